//! JSON values (document `_source` fields, SQL API rows) as Arrow arrays.
//!
//! Multi-valued fields: a text column shows one value as itself and several
//! as a JSON array text (`["a","b"]`); number, date and boolean columns take
//! the first value. Values that do not parse as the column's type (a
//! malformed number ignored by `ignore_malformed`, a date in a custom
//! format) read as NULL.

use std::borrow::Cow;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int16Builder, Int32Builder, Int64Builder,
    Int8Builder, StringBuilder, TimestampMillisecondBuilder, TimestampNanosecondBuilder,
    UInt64Builder,
};
use datafusion::arrow::compute::kernels::cast_utils::string_to_timestamp_nanos;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::error::{DataFusionError, Result};
use serde_json::Value;

/// The value(s) at a dotted path of a document: follows both nested objects
/// (`{"process":{"name":..}}`) and dotted keys (`{"process.name":..}`), and
/// collects across arrays of objects.
pub fn lookup<'a>(source: &'a Value, path: &str) -> Option<Cow<'a, Value>> {
    let mut found = Vec::new();
    collect(source, path, &mut found);
    match found.len() {
        0 => None,
        1 => Some(Cow::Borrowed(found[0])),
        _ => Some(Cow::Owned(Value::Array(
            found.into_iter().cloned().collect(),
        ))),
    }
}

fn collect<'a>(value: &'a Value, path: &str, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                collect(item, path, out);
            }
        }
        Value::Object(map) => {
            if let Some(v) = map.get(path) {
                out.push(v);
                return;
            }
            for (i, _) in path.match_indices('.') {
                if let Some(child) = map.get(&path[..i]) {
                    collect(child, &path[i + 1..], out);
                }
            }
        }
        _ => {}
    }
}

/// The scalar values of a field, arrays flattened and nulls dropped.
fn scalars<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|i| scalars(i, out)),
        v => out.push(v),
    }
}

fn first_scalar(value: &Value) -> Option<&Value> {
    match value {
        Value::Null => None,
        Value::Array(items) => items.iter().find_map(first_scalar),
        v => Some(v),
    }
}

/// Text for a text column.
pub fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(_) => {
            let mut all = Vec::new();
            scalars(value, &mut all);
            match all.len() {
                0 => None,
                1 => as_text(all[0]),
                _ => Some(Value::Array(all.into_iter().cloned().collect()).to_string()),
            }
        }
        v => Some(v.to_string()),
    }
}

/// Text for a JSON column: structured values as JSON, strings as they are.
pub fn as_json_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        v => Some(v.to_string()),
    }
}

fn as_i64(value: &Value) -> Option<i64> {
    match first_scalar(value)? {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= i64::MIN as f64 && *f <= i64::MAX as f64)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_u64(value: &Value) -> Option<u64> {
    match first_scalar(value)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_f64(value: &Value) -> Option<f64> {
    match first_scalar(value)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_bool(value: &Value) -> Option<bool> {
    match first_scalar(value)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Nanoseconds since the epoch: ISO 8601 / RFC 3339 text (UTC when no
/// offset is given) or a number of epoch milliseconds.
pub fn as_epoch_nanos(value: &Value) -> Option<i64> {
    match first_scalar(value)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .and_then(|ms| ms.checked_mul(1_000_000)),
        Value::String(s) => {
            let s = s.trim();
            string_to_timestamp_nanos(s).ok().or_else(|| {
                // Epoch milliseconds as text.
                s.parse::<i64>()
                    .ok()
                    .and_then(|ms| ms.checked_mul(1_000_000))
            })
        }
        _ => None,
    }
}

/// How a column's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMode {
    /// Scalars as text, several values as a JSON array.
    Text,
    /// Whole value as JSON text.
    Json,
}

/// Builds one Arrow array of `data_type` from the values (None = missing).
pub fn build_array<'a>(
    data_type: &DataType,
    mode: TextMode,
    values: impl Iterator<Item = Option<&'a Value>>,
) -> Result<ArrayRef> {
    macro_rules! build {
        ($builder:ty, $conv:expr) => {{
            let mut b = <$builder>::new();
            for v in values {
                b.append_option(v.and_then($conv));
            }
            Arc::new(b.finish()) as ArrayRef
        }};
    }
    Ok(match data_type {
        DataType::Utf8 => {
            let mut b = StringBuilder::new();
            for v in values {
                let text = v.and_then(|v| match mode {
                    TextMode::Text => as_text(v),
                    TextMode::Json => as_json_text(v),
                });
                b.append_option(text);
            }
            Arc::new(b.finish())
        }
        DataType::Int64 => build!(Int64Builder, as_i64),
        DataType::Int32 => build!(Int32Builder, |v| as_i64(v)
            .and_then(|i| i32::try_from(i).ok())),
        DataType::Int16 => build!(Int16Builder, |v| as_i64(v)
            .and_then(|i| i16::try_from(i).ok())),
        DataType::Int8 => build!(Int8Builder, |v| as_i64(v)
            .and_then(|i| i8::try_from(i).ok())),
        DataType::UInt64 => build!(UInt64Builder, as_u64),
        DataType::Float64 => build!(Float64Builder, as_f64),
        DataType::Boolean => build!(BooleanBuilder, as_bool),
        DataType::Timestamp(TimeUnit::Millisecond, tz) => {
            let mut b = TimestampMillisecondBuilder::new();
            for v in values {
                b.append_option(v.and_then(as_epoch_nanos).map(|n| n.div_euclid(1_000_000)));
            }
            Arc::new(b.finish().with_timezone_opt(tz.clone()))
        }
        DataType::Timestamp(TimeUnit::Nanosecond, tz) => {
            let mut b = TimestampNanosecondBuilder::new();
            for v in values {
                b.append_option(v.and_then(as_epoch_nanos));
            }
            Arc::new(b.finish().with_timezone_opt(tz.clone()))
        }
        other => {
            return Err(DataFusionError::Internal(format!(
                "elasticsearch: no decoder for {other}"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Int64Type, TimestampMillisecondType};
    use serde_json::json;

    #[test]
    fn lookup_follows_objects_dotted_keys_and_arrays() {
        let doc = json!({
            "process": {"name": "cmd.exe", "parent": {"pid": 4}},
            "host.name": "WS1",
            "user": [{"name": "a"}, {"name": "b"}],
            "tags": ["x", "y"]
        });
        assert_eq!(
            lookup(&doc, "process.name").unwrap().as_ref(),
            &json!("cmd.exe")
        );
        assert_eq!(
            lookup(&doc, "process.parent.pid").unwrap().as_ref(),
            &json!(4)
        );
        assert_eq!(lookup(&doc, "host.name").unwrap().as_ref(), &json!("WS1"));
        assert_eq!(
            lookup(&doc, "user.name").unwrap().as_ref(),
            &json!(["a", "b"])
        );
        assert!(lookup(&doc, "process.missing").is_none());
        assert_eq!(as_text(&json!(["x", "y"])).unwrap(), r#"["x","y"]"#);
        assert_eq!(as_text(&json!(["only"])).unwrap(), "only");
        assert_eq!(as_text(&json!([])), None);
        assert_eq!(as_text(&json!(12)).unwrap(), "12");
        assert_eq!(as_json_text(&json!({"a": 1})).unwrap(), r#"{"a":1}"#);
    }

    #[test]
    fn typed_columns_decode_and_bad_values_are_null() {
        let values = [
            json!(5),
            json!("6"),
            json!([7, 8]),
            json!("x"),
            json!(1.0),
            json!(1.5),
            Value::Null,
        ];
        let a = build_array(&DataType::Int64, TextMode::Text, values.iter().map(Some)).unwrap();
        let a = a.as_primitive::<Int64Type>();
        let got: Vec<Option<i64>> = (0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i)))
            .collect();
        assert_eq!(got, [Some(5), Some(6), Some(7), None, Some(1), None, None]);

        let big = [json!(300)];
        let a = build_array(&DataType::Int8, TextMode::Text, big.iter().map(Some)).unwrap();
        assert!(a.is_null(0));

        let dates = [
            json!("2024-01-02T03:04:05.678Z"),
            json!("2024-01-02T05:04:05.678+02:00"),
            json!("2024-01-02"),
            json!(1_704_164_645_678_i64),
            json!("not a date"),
        ];
        let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
        let a = build_array(&ts, TextMode::Text, dates.iter().map(Some)).unwrap();
        let a = a.as_primitive::<TimestampMillisecondType>();
        assert_eq!(a.value(0), 1_704_164_645_678);
        assert_eq!(a.value(1), 1_704_164_645_678);
        assert_eq!(a.value(2), 1_704_153_600_000);
        assert_eq!(a.value(3), 1_704_164_645_678);
        assert!(a.is_null(4));

        let bools = [json!(true), json!("false"), json!([true]), json!(1)];
        let a = build_array(&DataType::Boolean, TextMode::Text, bools.iter().map(Some)).unwrap();
        let a = a.as_boolean();
        assert!(a.value(0) && !a.value(1) && a.value(2) && a.is_null(3));
        let floats = [json!(1.25), json!("2.5"), json!([3.5, 1.0])];
        let a = build_array(&DataType::Float64, TextMode::Text, floats.iter().map(Some)).unwrap();
        let a = a.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
        assert_eq!(a.values().to_vec(), vec![1.25, 2.5, 3.5]);
    }
}
