//! The Log Analytics response (`{"tables": [{"name", "columns": [{"name",
//! "type"}], "rows": [[...]]}]}`) and its decoding into Arrow.
//!
//! | KQL type | Arrow type |
//! |---|---|
//! | bool | Boolean |
//! | datetime | Timestamp(ns, "UTC") |
//! | int | Int32 |
//! | long | Int64 |
//! | real | Float64 (`NaN`, `Infinity`, `-Infinity` strings included) |
//! | decimal | Float64: values beyond 15–17 significant digits lose precision |
//! | string, guid | Utf8 |
//! | timespan | Duration(ns) |
//! | dynamic | Utf8 holding JSON text (use the JSON functions on it) |
//! | anything else | Utf8 |

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, DurationNanosecondBuilder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use datafusion::arrow::compute::kernels::cast_utils::string_to_timestamp_nanos;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::error::{DataFusionError, Result};
use serde::Deserialize;
use serde_json::Value;

/// One column of a response table.
#[derive(Debug, Clone, Deserialize)]
pub struct RawColumn {
    #[serde(alias = "ColumnName")]
    pub name: String,
    #[serde(rename = "type", alias = "ColumnType", default)]
    pub kind: String,
}

/// One response table.
#[derive(Debug, Clone, Deserialize)]
pub struct RawTable {
    #[serde(default)]
    pub name: String,
    pub columns: Vec<RawColumn>,
    #[serde(default)]
    pub rows: Vec<Vec<Value>>,
}

/// The body of a 200 answer: the tables, and an error object when the
/// results are partial.
#[derive(Debug, Deserialize)]
pub struct RawResponse {
    #[serde(default)]
    pub tables: Vec<RawTable>,
    #[serde(default)]
    pub error: Option<Value>,
}

/// The Arrow type huntsql gives a KQL type.
pub fn arrow_type(kql_type: &str) -> DataType {
    match kql_type.to_ascii_lowercase().as_str() {
        "bool" | "boolean" | "system.boolean" | "system.sbyte" => DataType::Boolean,
        "datetime" | "date" | "system.datetime" => {
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
        }
        "int" | "system.int32" => DataType::Int32,
        "long" | "system.int64" => DataType::Int64,
        "real" | "double" | "system.double" | "decimal" | "system.data.sqltypes.sqldecimal" => {
            DataType::Float64
        }
        "timespan" | "time" | "system.timespan" => DataType::Duration(TimeUnit::Nanosecond),
        _ => DataType::Utf8,
    }
}

/// An Arrow schema from response (or metadata) columns.
pub fn schema_of(columns: &[RawColumn]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(&c.name, arrow_type(&c.kind), true))
            .collect::<Vec<_>>(),
    ))
}

/// Parses a KQL timespan (`[-][d.]hh:mm:ss[.fffffff]`) into nanoseconds.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (days, clock) = match text.split_once(':') {
        Some((head, _)) if head.contains('.') => {
            let (d, rest) = text.split_once('.')?;
            (d.parse::<i64>().ok()?, rest)
        }
        _ => (0, text),
    };
    let mut parts = clock.splitn(3, ':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds_text = parts.next()?;
    let (secs, frac) = match seconds_text.split_once('.') {
        Some((s, f)) => (s, f),
        None => (seconds_text, ""),
    };
    let seconds: i64 = secs.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_ns: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    let total = ((days * 24 + hours) * 60 + minutes)
        .checked_mul(60)?
        .checked_add(seconds)?
        .checked_mul(1_000_000_000)?
        .checked_add(frac_ns)?;
    Some(if negative { -total } else { total })
}

/// Parses a datetime into nanoseconds since the epoch. The service writes
/// `YYYY-MM-DDTHH:MM:SS[.fffffff]Z`, which is read here directly (a
/// general timestamp parser was a fifth of the decoding time); anything
/// else goes to Arrow's parser.
pub fn parse_datetime(text: &str) -> Option<i64> {
    parse_service_datetime(text).or_else(|| string_to_timestamp_nanos(text).ok())
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` only; `None` for anything else.
fn parse_service_datetime(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let rest = &b[19..];
    let (fraction, zone) = match rest.split_first() {
        Some((b'.', after)) => {
            let n = after.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return None;
            }
            (&after[..n], &after[n..])
        }
        _ => (&rest[..0], rest),
    };
    if zone != b"Z" {
        return None;
    }
    let mut nanos = 0i64;
    for i in 0..9 {
        nanos = nanos * 10 + fraction.get(i).map_or(0, |c| i64::from(c - b'0'));
    }
    // Days from the civil date (H. Hinnant's algorithm), March-based years.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// A cell that does not hold its column's `kind` (shown cut at 80 chars).
pub(crate) fn value_error(
    source: &str,
    column: &str,
    kind: &str,
    shown: String,
) -> DataFusionError {
    let mut shown = shown;
    if shown.len() > 80 {
        shown = format!("{}…", shown.chars().take(80).collect::<String>());
    }
    DataFusionError::Execution(format!(
        "Log Analytics source '{source}': column '{column}' should hold {kind} values but the answer has {shown}"
    ))
}

/// A column the schema asks for that the answer lacks.
pub(crate) fn missing_column(source: &str, name: &str, columns: &[RawColumn]) -> DataFusionError {
    DataFusionError::Execution(format!(
        "Log Analytics source '{source}': the answer has no column '{name}' (it has {})",
        columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// A `real` written as text: a number, or `NaN` / `Infinity` / `-Infinity`.
pub(crate) fn parse_real(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        other => other.trim().parse().ok(),
    }
}

/// A `bool` written as text, in any case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn bad_value(source: &str, column: &str, kind: &str, value: &Value) -> DataFusionError {
    value_error(source, column, kind, value.to_string())
}

fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_real(s),
        _ => None,
    }
}

fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Decodes the rows of `table` into a batch of `schema`, matching columns
/// by name. An empty schema (a `count(*)` scan) needs a single `Count`
/// column whose value is the row count.
pub fn decode(table: &RawTable, schema: &SchemaRef, source: &str) -> Result<RecordBatch> {
    if schema.fields().is_empty() {
        let rows = match table.rows.as_slice() {
            [row] if table.columns.len() == 1 => row
                .first()
                .and_then(as_i64)
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(0),
            _ => table.rows.len(),
        };
        return Ok(RecordBatch::try_new_with_options(
            Arc::clone(schema),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )?);
    }
    let n = table.rows.len();
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let name = field.name();
        let index = table
            .columns
            .iter()
            .position(|c| &c.name == name)
            .ok_or_else(|| missing_column(source, name, &table.columns))?;
        let cells = table
            .rows
            .iter()
            .map(|row| row.get(index).unwrap_or(&Value::Null));
        let array: ArrayRef = match field.data_type() {
            DataType::Boolean => {
                let mut b = BooleanBuilder::with_capacity(n);
                for v in cells {
                    match v {
                        Value::Null => b.append_null(),
                        Value::Bool(x) => b.append_value(*x),
                        Value::Number(x) if x.as_i64() == Some(0) => b.append_value(false),
                        Value::Number(x) if x.as_i64() == Some(1) => b.append_value(true),
                        Value::String(s) => b.append_value(
                            parse_bool(s).ok_or_else(|| bad_value(source, name, "bool", v))?,
                        ),
                        other => return Err(bad_value(source, name, "bool", other)),
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Int32 => {
                let mut b = Int32Builder::with_capacity(n);
                for v in cells {
                    if v.is_null() {
                        b.append_null();
                        continue;
                    }
                    let x = as_i64(v)
                        .and_then(|x| i32::try_from(x).ok())
                        .ok_or_else(|| bad_value(source, name, "int", v))?;
                    b.append_value(x);
                }
                Arc::new(b.finish())
            }
            DataType::Int64 => {
                let mut b = Int64Builder::with_capacity(n);
                for v in cells {
                    if v.is_null() {
                        b.append_null();
                        continue;
                    }
                    b.append_value(as_i64(v).ok_or_else(|| bad_value(source, name, "long", v))?);
                }
                Arc::new(b.finish())
            }
            DataType::Float64 => {
                let mut b = Float64Builder::with_capacity(n);
                for v in cells {
                    if v.is_null() {
                        b.append_null();
                        continue;
                    }
                    b.append_value(as_f64(v).ok_or_else(|| bad_value(source, name, "real", v))?);
                }
                Arc::new(b.finish())
            }
            DataType::Timestamp(TimeUnit::Nanosecond, tz) => {
                let mut b = TimestampNanosecondBuilder::with_capacity(n);
                for v in cells {
                    match v {
                        Value::Null => b.append_null(),
                        Value::String(s) if s.is_empty() => b.append_null(),
                        Value::String(s) => b.append_value(
                            parse_datetime(s)
                                .ok_or_else(|| bad_value(source, name, "datetime", v))?,
                        ),
                        other => return Err(bad_value(source, name, "datetime", other)),
                    }
                }
                Arc::new(b.finish().with_timezone_opt(tz.clone()))
            }
            DataType::Duration(TimeUnit::Nanosecond) => {
                let mut b = DurationNanosecondBuilder::with_capacity(n);
                for v in cells {
                    match v {
                        Value::Null => b.append_null(),
                        Value::String(s) => b.append_value(
                            parse_timespan(s)
                                .ok_or_else(|| bad_value(source, name, "timespan", v))?,
                        ),
                        other => return Err(bad_value(source, name, "timespan", other)),
                    }
                }
                Arc::new(b.finish())
            }
            _ => {
                let mut b = StringBuilder::with_capacity(n, n * 16);
                for v in cells {
                    match v {
                        Value::Null => b.append_null(),
                        Value::String(s) => b.append_value(s),
                        // dynamic values that arrive as JSON: keep their text.
                        other => b.append_value(other.to_string()),
                    }
                }
                Arc::new(b.finish())
            }
        };
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), arrays)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Array, AsArray, BooleanArray, DurationNanosecondArray, Float64Array, Int32Array,
        Int64Array, StringArray, TimestampNanosecondArray,
    };

    /// The raw response msticpy's tests use (shared data).
    pub(crate) fn msticpy_sample_answer() -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/msticpy_testdata/azmondata/az_mon_raw_query.json");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (shared data beside the repository)",
                path.display()
            )
        })
    }

    #[test]
    fn service_datetimes_read_directly_match_arrows_parser() {
        let mut texts = vec![
            "1970-01-01T00:00:00Z".to_string(),
            "2024-02-29T23:59:59.9999999Z".into(),
            "2000-03-01T00:00:00.1Z".into(),
            "1900-02-28T12:34:56.123456789Z".into(),
            "1969-12-31T23:59:59.5Z".into(),
            "2262-04-11T23:47:16.854775807Z".into(),
        ];
        // Every month start and end over four centuries, some odd times.
        let mut n = 7u64;
        for year in (1601..=2261).step_by(17) {
            for month in 1..=12 {
                for day in [1, 28, 29, 30, 31] {
                    n = n
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let (h, m, s) = ((n >> 33) % 24, (n >> 40) % 60, (n >> 50) % 60);
                    let digits = (n % 10) as usize;
                    let fraction = format!("{:09}", n % 1_000_000_000);
                    let fraction = if digits == 0 {
                        String::new()
                    } else {
                        format!(".{}", &fraction[..digits])
                    };
                    texts.push(format!(
                        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}{fraction}Z"
                    ));
                }
            }
        }
        let mut direct = 0;
        for text in &texts {
            let expected = string_to_timestamp_nanos(text).ok();
            if let Some(fast) = parse_service_datetime(text) {
                direct += 1;
                assert_eq!(Some(fast), expected, "{text}");
            }
            assert_eq!(parse_datetime(text), expected, "{text}");
        }
        // Invalid dates (Feb 30, 1900-02-29) are left to Arrow's parser.
        assert!(direct > texts.len() / 2, "{direct} of {}", texts.len());
        assert_eq!(parse_service_datetime("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_service_datetime("2024-01-01 00:00:00Z"), None);
        assert_eq!(parse_service_datetime("2024-01-01T00:00:00.Z"), None);
        assert_eq!(parse_service_datetime("2024-01-01T00:00:00+01:00"), None);
        assert_eq!(
            parse_datetime("2024-01-01T01:00:00+01:00"),
            parse_datetime("2024-01-01T00:00:00Z")
        );
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("00:01:30"), Some(90_000_000_000));
        assert_eq!(parse_timespan("1.02:00:00"), Some(26 * 3_600_000_000_000));
        assert_eq!(parse_timespan("-00:00:00.0000001"), Some(-100));
        assert_eq!(parse_timespan("00:00:01.5"), Some(1_500_000_000));
        assert_eq!(parse_timespan("abc"), None);
        assert_eq!(parse_timespan("1:2"), None);
    }

    #[test]
    fn every_type_decodes_and_nulls_stay_null() {
        let body = r#"{"tables":[{"name":"PrimaryResult","columns":[
            {"name":"b","type":"bool"},{"name":"i","type":"int"},{"name":"l","type":"long"},
            {"name":"r","type":"real"},{"name":"d","type":"decimal"},{"name":"s","type":"string"},
            {"name":"g","type":"guid"},{"name":"ts","type":"timespan"},{"name":"dyn","type":"dynamic"},
            {"name":"t","type":"datetime"}],
            "rows":[[true,1,9007199254740993,1.5,"1.25","s","82482c0d-8227-4aef-93eb-9a91eaf93978","1.00:01:30","{\"a\":[1]}","2024-01-01T00:00:00.1234567Z"],
                    [null,null,null,"NaN",null,null,null,null,{"x":1},null]]}]}"#;
        let response: RawResponse = serde_json::from_str(body).unwrap();
        let table = &response.tables[0];
        let schema = schema_of(&table.columns);
        let batch = decode(table, &schema, "src").unwrap();
        assert_eq!(batch.num_rows(), 2);
        let col = |name: &str| batch.column(schema.index_of(name).unwrap()).clone();
        assert!(col("b")
            .as_any()
            .downcast_ref::<BooleanArray>()
            .unwrap()
            .value(0));
        assert_eq!(
            col("i")
                .as_any()
                .downcast_ref::<Int32Array>()
                .unwrap()
                .value(0),
            1
        );
        assert_eq!(
            col("l")
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .value(0),
            9_007_199_254_740_993
        );
        let r = col("r");
        let r = r.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(r.value(0), 1.5);
        assert!(r.value(1).is_nan());
        assert_eq!(
            col("d")
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .value(0),
            1.25
        );
        assert_eq!(
            col("g")
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .value(0),
            "82482c0d-8227-4aef-93eb-9a91eaf93978"
        );
        assert_eq!(
            col("ts")
                .as_any()
                .downcast_ref::<DurationNanosecondArray>()
                .unwrap()
                .value(0),
            (86_400 + 90) * 1_000_000_000
        );
        let dynamic = col("dyn");
        let dynamic = dynamic.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(dynamic.value(0), r#"{"a":[1]}"#);
        assert_eq!(dynamic.value(1), r#"{"x":1}"#);
        let t = col("t");
        let t = t
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .unwrap();
        assert_eq!(t.value(0), 1_704_067_200_123_456_700);
        assert_eq!(t.timezone(), Some("UTC"));
        for name in ["b", "i", "l", "d", "s", "g", "ts", "t"] {
            assert!(col(name).is_null(1), "{name} row 1 should be null");
        }
    }

    #[test]
    fn wrong_values_name_the_column() {
        let table = RawTable {
            name: String::new(),
            columns: vec![RawColumn {
                name: "n".into(),
                kind: "int".into(),
            }],
            rows: vec![vec![Value::String("x".into())]],
        };
        let schema = schema_of(&table.columns);
        let err = decode(&table, &schema, "sentinel").unwrap_err().to_string();
        assert!(
            err.contains("sentinel") && err.contains("'n'") && err.contains("int"),
            "{err}"
        );
    }

    #[test]
    fn sample_response_from_msticpy_decodes() {
        let text = msticpy_sample_answer();
        let response: RawResponse = serde_json::from_str(&text).unwrap();
        let table = &response.tables[0];
        let schema = schema_of(&table.columns);
        let batch = decode(table, &schema, "msticpy").unwrap();
        assert_eq!(batch.num_rows(), table.rows.len());
        assert_eq!(
            schema.field_with_name("TimeGenerated").unwrap().data_type(),
            &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
        );
        assert_eq!(
            schema.field_with_name("IsIncident").unwrap().data_type(),
            &DataType::Boolean
        );
    }
}
