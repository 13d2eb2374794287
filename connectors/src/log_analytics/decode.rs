//! Streaming decoding of a query API answer straight into Arrow builders.
//!
//! An answer is `{"tables": [{"name", "columns": [...], "rows": [[...]]}],
//! "error": {...}}`. Building a `serde_json::Value` for every cell first
//! (one allocation per string, then a copy into Arrow) cost more than half
//! of the decoding time, so the first table is read with serde seeds: once
//! its `columns` are known, every cell of `rows` is parsed into the builder
//! of its column as it is read, strings borrowed from the body where they
//! have no escapes. The service writes `columns` before `rows`; an answer
//! that does not (or a scan with no columns, such as `count(*)`) is read
//! into values and decoded by [`super::types::decode`], with the same
//! results.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, DurationNanosecondBuilder, Float64Builder,
    Int32Builder, Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::types::{
    decode, missing_column, parse_bool, parse_datetime, parse_real, parse_timespan, value_error,
    RawColumn, RawTable,
};

/// A decoded answer: the rows of its first table as a batch of the
/// requested schema, and the error object a partial answer carries.
#[derive(Debug)]
pub struct Answer {
    pub batch: RecordBatch,
    pub error: Option<Value>,
}

/// Why an answer could not be decoded.
#[derive(Debug)]
pub enum AnswerError {
    /// The body is not the JSON of an answer.
    Json(serde_json::Error),
    /// The body has no result table.
    NoTable,
    /// A cell does not hold its column's type, or a column is missing; the
    /// error names the source and the column.
    Value(DataFusionError),
}

/// Decodes the body of a 200 answer into a batch of `schema` (columns
/// matched by name). `source` names the source in errors.
pub fn decode_answer(
    body: &[u8],
    schema: &SchemaRef,
    source: &str,
) -> std::result::Result<Answer, AnswerError> {
    let failure = RefCell::new(None);
    let seed = AnswerSeed {
        schema,
        source,
        failure: &failure,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = seed
        .deserialize(&mut deserializer)
        .and_then(|parsed| deserializer.end().map(|_| parsed));
    // A value error is raised inside serde as a placeholder; the real
    // error was kept aside.
    if let Some(e) = failure.into_inner() {
        return Err(AnswerError::Value(e));
    }
    let (table, error) = parsed.map_err(AnswerError::Json)?;
    let batch = match table {
        None => return Err(AnswerError::NoTable),
        Some(Decoded::Batch(batch)) => batch,
        Some(Decoded::Values(table)) => {
            decode(&table, schema, source).map_err(AnswerError::Value)?
        }
    };
    Ok(Answer { batch, error })
}

/// The first table, decoded as it was read or kept as values.
enum Decoded {
    Batch(RecordBatch),
    Values(RawTable),
}

struct AnswerSeed<'a> {
    schema: &'a SchemaRef,
    source: &'a str,
    failure: &'a RefCell<Option<DataFusionError>>,
}

impl<'de> DeserializeSeed<'de> for AnswerSeed<'_> {
    type Value = (Option<Decoded>, Option<Value>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AnswerSeed<'_> {
    type Value = (Option<Decoded>, Option<Value>);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a query API answer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut table = None;
        let mut error = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "tables" if table.is_none() => {
                    table = map.next_value_seed(TablesSeed {
                        schema: self.schema,
                        source: self.source,
                        failure: self.failure,
                    })?;
                }
                "error" => error = map.next_value::<Option<Value>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((table, error.filter(|e| !e.is_null())))
    }
}

/// `tables`: the first one is decoded, the others skipped.
struct TablesSeed<'a> {
    schema: &'a SchemaRef,
    source: &'a str,
    failure: &'a RefCell<Option<DataFusionError>>,
}

impl<'de> DeserializeSeed<'de> for TablesSeed<'_> {
    type Value = Option<Decoded>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TablesSeed<'_> {
    type Value = Option<Decoded>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of result tables")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element_seed(TableSeed {
            schema: self.schema,
            source: self.source,
            failure: self.failure,
        })?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(first)
    }
}

struct TableSeed<'a> {
    schema: &'a SchemaRef,
    source: &'a str,
    failure: &'a RefCell<Option<DataFusionError>>,
}

impl<'de> DeserializeSeed<'de> for TableSeed<'_> {
    type Value = Decoded;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TableSeed<'_> {
    type Value = Decoded;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a result table with columns and rows")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut name = String::new();
        let mut columns: Option<Vec<RawColumn>> = None;
        let mut decoded: Option<RecordBatch> = None;
        let mut values: Option<Vec<Vec<Value>>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => name = map.next_value()?,
                "columns" => columns = Some(map.next_value()?),
                "rows" => match &columns {
                    Some(cols) if !self.schema.fields().is_empty() => {
                        let mut plan = Plan::new(cols, self.schema, self.source)
                            .map_err(|e| self.fail::<A::Error>(e))?;
                        map.next_value_seed(RowsSeed {
                            plan: &mut plan,
                            failure: self.failure,
                        })?;
                        decoded = Some(plan.finish().map_err(|e| self.fail::<A::Error>(e))?);
                    }
                    _ => values = Some(map.next_value()?),
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let columns = columns.ok_or_else(|| de::Error::missing_field("columns"))?;
        if let Some(batch) = decoded {
            return Ok(Decoded::Batch(batch));
        }
        Ok(Decoded::Values(RawTable {
            name,
            columns,
            rows: values.unwrap_or_default(),
        }))
    }
}

impl TableSeed<'_> {
    fn fail<E: de::Error>(&self, e: DataFusionError) -> E {
        fail(self.failure, e)
    }
}

/// Keeps `e` aside and returns serde's placeholder for it.
fn fail<E: de::Error>(failure: &RefCell<Option<DataFusionError>>, e: DataFusionError) -> E {
    let mut slot = failure.borrow_mut();
    if slot.is_none() {
        *slot = Some(e);
    }
    E::custom("a cell could not be decoded")
}

/// Where each cell of a row goes: `targets[i]` is the builder of answer
/// column `i`, if the schema asks for it.
struct Plan<'a> {
    schema: &'a SchemaRef,
    source: &'a str,
    answer_columns: Vec<String>,
    targets: Vec<Option<usize>>,
    builders: Vec<Builder>,
    rows: usize,
}

impl<'a> Plan<'a> {
    fn new(columns: &[RawColumn], schema: &'a SchemaRef, source: &'a str) -> Result<Self> {
        let mut targets = vec![None; columns.len()];
        let mut builders = Vec::with_capacity(schema.fields().len());
        for (field_index, field) in schema.fields().iter().enumerate() {
            let index = columns
                .iter()
                .position(|c| &c.name == field.name())
                .ok_or_else(|| missing_column(source, field.name(), columns))?;
            targets[index] = Some(field_index);
            builders.push(Builder::for_type(field.data_type()));
        }
        Ok(Self {
            schema,
            source,
            answer_columns: columns.iter().map(|c| c.name.clone()).collect(),
            targets,
            builders,
            rows: 0,
        })
    }

    /// Pads a short row with nulls, as a missing cell reads as null.
    fn end_row(&mut self) {
        self.rows += 1;
        for b in &mut self.builders {
            if b.len() < self.rows {
                b.append_null();
            }
        }
    }

    fn finish(self) -> Result<RecordBatch> {
        let arrays: Vec<ArrayRef> = self
            .builders
            .into_iter()
            .zip(self.schema.fields())
            .map(|(b, f)| b.finish(f.data_type()))
            .collect();
        Ok(RecordBatch::try_new(Arc::clone(self.schema), arrays)?)
    }

    fn bad_value(&self, column: usize, shown: String) -> DataFusionError {
        let field = &self.schema.fields()[self.targets[column].unwrap_or_default()];
        let kind = match field.data_type() {
            DataType::Boolean => "bool",
            DataType::Int32 => "int",
            DataType::Int64 => "long",
            DataType::Float64 => "real",
            DataType::Timestamp(..) => "datetime",
            DataType::Duration(_) => "timespan",
            _ => "string",
        };
        value_error(self.source, &self.answer_columns[column], kind, shown)
    }
}

/// One column's Arrow builder.
enum Builder {
    Bool(BooleanBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Timestamp(TimestampNanosecondBuilder),
    Duration(DurationNanosecondBuilder),
    Utf8(StringBuilder),
}

impl Builder {
    fn for_type(data_type: &DataType) -> Self {
        match data_type {
            DataType::Boolean => Self::Bool(BooleanBuilder::new()),
            DataType::Int32 => Self::Int32(Int32Builder::new()),
            DataType::Int64 => Self::Int64(Int64Builder::new()),
            DataType::Float64 => Self::Float64(Float64Builder::new()),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                Self::Timestamp(TimestampNanosecondBuilder::new())
            }
            DataType::Duration(TimeUnit::Nanosecond) => {
                Self::Duration(DurationNanosecondBuilder::new())
            }
            _ => Self::Utf8(StringBuilder::new()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Bool(b) => b.len(),
            Self::Int32(b) => b.len(),
            Self::Int64(b) => b.len(),
            Self::Float64(b) => b.len(),
            Self::Timestamp(b) => b.len(),
            Self::Duration(b) => b.len(),
            Self::Utf8(b) => b.len(),
        }
    }

    fn append_null(&mut self) {
        match self {
            Self::Bool(b) => b.append_null(),
            Self::Int32(b) => b.append_null(),
            Self::Int64(b) => b.append_null(),
            Self::Float64(b) => b.append_null(),
            Self::Timestamp(b) => b.append_null(),
            Self::Duration(b) => b.append_null(),
            Self::Utf8(b) => b.append_null(),
        }
    }

    fn finish(self, data_type: &DataType) -> ArrayRef {
        match self {
            Self::Bool(mut b) => Arc::new(b.finish()),
            Self::Int32(mut b) => Arc::new(b.finish()),
            Self::Int64(mut b) => Arc::new(b.finish()),
            Self::Float64(mut b) => Arc::new(b.finish()),
            Self::Timestamp(mut b) => {
                let tz = match data_type {
                    DataType::Timestamp(_, tz) => tz.clone(),
                    _ => None,
                };
                Arc::new(b.finish().with_timezone_opt(tz))
            }
            Self::Duration(mut b) => Arc::new(b.finish()),
            Self::Utf8(mut b) => Arc::new(b.finish()),
        }
    }

    /// Appends a number; `false` if the column cannot hold it.
    fn append_i64(&mut self, x: i64) -> bool {
        match self {
            Self::Int32(b) => match i32::try_from(x) {
                Ok(v) => b.append_value(v),
                Err(_) => return false,
            },
            Self::Int64(b) => b.append_value(x),
            Self::Float64(b) => b.append_value(x as f64),
            Self::Bool(b) if x == 0 || x == 1 => b.append_value(x == 1),
            Self::Utf8(b) => b.append_value(x.to_string()),
            _ => return false,
        }
        true
    }

    fn append_f64(&mut self, x: f64) -> bool {
        match self {
            Self::Float64(b) => b.append_value(x),
            Self::Int32(_) | Self::Int64(_) if x.fract() == 0.0 && x.abs() < 9.2e18 => {
                return self.append_i64(x as i64)
            }
            Self::Utf8(b) => b.append_value(Value::from(x).to_string()),
            _ => return false,
        }
        true
    }

    fn append_str(&mut self, s: &str) -> bool {
        match self {
            Self::Utf8(b) => b.append_value(s),
            Self::Timestamp(b) => {
                if s.is_empty() {
                    b.append_null()
                } else {
                    match parse_datetime(s) {
                        Some(v) => b.append_value(v),
                        None => return false,
                    }
                }
            }
            Self::Int32(b) => match s.trim().parse::<i32>() {
                Ok(v) => b.append_value(v),
                Err(_) => return false,
            },
            Self::Int64(b) => match s.trim().parse::<i64>() {
                Ok(v) => b.append_value(v),
                Err(_) => return false,
            },
            Self::Float64(b) => match parse_real(s) {
                Some(v) => b.append_value(v),
                None => return false,
            },
            Self::Bool(b) => match parse_bool(s) {
                Some(v) => b.append_value(v),
                None => return false,
            },
            Self::Duration(b) => match parse_timespan(s) {
                Some(v) => b.append_value(v),
                None => return false,
            },
        }
        true
    }
}

struct RowsSeed<'p, 'a> {
    plan: &'p mut Plan<'a>,
    failure: &'p RefCell<Option<DataFusionError>>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(RowSeed {
                plan: &mut *self.plan,
                failure: self.failure,
            })?
            .is_some()
        {}
        Ok(())
    }
}

struct RowSeed<'p, 'a> {
    plan: &'p mut Plan<'a>,
    failure: &'p RefCell<Option<DataFusionError>>,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row (a list of cells)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut column = 0;
        loop {
            let target = self.plan.targets.get(column).copied().flatten();
            let more = match target {
                Some(builder) => seq
                    .next_element_seed(CellSeed {
                        plan: &mut *self.plan,
                        builder,
                        column,
                        failure: self.failure,
                    })?
                    .is_some(),
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                break;
            }
            column += 1;
        }
        self.plan.end_row();
        Ok(())
    }
}

/// One cell, appended to the builder of its column.
struct CellSeed<'p, 'a> {
    plan: &'p mut Plan<'a>,
    builder: usize,
    column: usize,
    failure: &'p RefCell<Option<DataFusionError>>,
}

impl CellSeed<'_, '_> {
    fn builder(&mut self) -> &mut Builder {
        &mut self.plan.builders[self.builder]
    }

    fn check<E: de::Error>(&self, ok: bool, shown: impl FnOnce() -> String) -> Result<(), E> {
        if ok {
            Ok(())
        } else {
            Err(fail(
                self.failure,
                self.plan.bad_value(self.column, shown()),
            ))
        }
    }
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a cell value")
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.builder().append_null();
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<(), E> {
        let ok = match self.builder() {
            Builder::Bool(b) => {
                b.append_value(v);
                true
            }
            Builder::Utf8(b) => {
                b.append_value(if v { "true" } else { "false" });
                true
            }
            _ => false,
        };
        self.check(ok, || v.to_string())
    }

    fn visit_i64<E: de::Error>(mut self, v: i64) -> Result<(), E> {
        let ok = self.builder().append_i64(v);
        self.check(ok, || v.to_string())
    }

    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<(), E> {
        let ok = match i64::try_from(v) {
            Ok(x) => self.builder().append_i64(x),
            Err(_) => match self.builder() {
                Builder::Float64(b) => {
                    b.append_value(v as f64);
                    true
                }
                Builder::Utf8(b) => {
                    b.append_value(v.to_string());
                    true
                }
                _ => false,
            },
        };
        self.check(ok, || v.to_string())
    }

    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<(), E> {
        let ok = self.builder().append_f64(v);
        self.check(ok, || Value::from(v).to_string())
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        let ok = self.builder().append_str(v);
        self.check(ok, || Value::from(v).to_string())
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.visit_str(v)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        // dynamic values that arrive as JSON: keep their text.
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.dynamic(value)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, seq: A) -> Result<(), A::Error> {
        let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.dynamic(value)
    }
}

impl CellSeed<'_, '_> {
    fn dynamic<E: de::Error>(&mut self, value: Value) -> Result<(), E> {
        let ok = match self.builder() {
            Builder::Utf8(b) => {
                b.append_value(value.to_string());
                true
            }
            _ => false,
        };
        self.check(ok, || value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_analytics::types::tests::msticpy_sample_answer;
    use crate::log_analytics::types::{schema_of, RawResponse};
    use datafusion::arrow::datatypes::{Field, Schema};

    /// The streaming decoder and the value decoder give the same batch.
    fn both(body: &str, schema: &SchemaRef) -> (RecordBatch, RecordBatch) {
        let streamed = decode_answer(body.as_bytes(), schema, "src").unwrap().batch;
        let response: RawResponse = serde_json::from_str(body).unwrap();
        let by_values = decode(&response.tables[0], schema, "src").unwrap();
        (streamed, by_values)
    }

    const EVERY_TYPE: &str = r#"{"tables":[{"name":"PrimaryResult","columns":[
        {"name":"b","type":"bool"},{"name":"i","type":"int"},{"name":"l","type":"long"},
        {"name":"r","type":"real"},{"name":"d","type":"decimal"},{"name":"s","type":"string"},
        {"name":"g","type":"guid"},{"name":"ts","type":"timespan"},{"name":"dyn","type":"dynamic"},
        {"name":"t","type":"datetime"}],
        "rows":[[true,1,9007199254740993,1.5,"1.25","s \"q\" \\ \u00e9","82482c0d-8227-4aef-93eb-9a91eaf93978","1.00:01:30","{\"a\":[1]}","2024-01-01T00:00:00.1234567Z"],
                [null,null,null,"NaN",null,null,null,null,{"x":[1,{"y":null}]},null],
                [0,-2147483648,-1,-1e300,2,"",null,"-00:00:00.0000001",[1,"a"],"2024-02-29T23:59:59Z"],
                ["FALSE",2147483647,"12",3,"Infinity","x",null,"00:00:00",7,""],
                [false,2.0,4e3,"  2.5 ",null,true]]}]}"#;

    #[test]
    fn streaming_and_value_decoding_agree_on_every_type() {
        let response: RawResponse = serde_json::from_str(EVERY_TYPE).unwrap();
        let schema = schema_of(&response.tables[0].columns);
        let (streamed, by_values) = both(EVERY_TYPE, &schema);
        assert_eq!(streamed.num_rows(), 5);
        assert_eq!(streamed, by_values);
    }

    #[test]
    fn msticpys_sample_answer_decodes_the_same_both_ways() {
        let text = msticpy_sample_answer();
        let response: RawResponse = serde_json::from_str(&text).unwrap();
        let schema = schema_of(&response.tables[0].columns);
        let (streamed, by_values) = both(&text, &schema);
        assert_eq!(streamed.num_rows(), response.tables[0].rows.len());
        assert!(streamed.num_rows() > 0);
        assert_eq!(streamed, by_values);
    }

    #[test]
    fn a_projection_takes_columns_by_name_in_schema_order() {
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "t",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                true,
            ),
            Field::new("s", DataType::Utf8, true),
        ]));
        let (streamed, by_values) = both(EVERY_TYPE, &schema);
        assert_eq!(streamed, by_values);
        assert_eq!(streamed.num_columns(), 2);
    }

    #[test]
    fn rows_before_columns_and_empty_schemas_use_the_value_path() {
        let body = r#"{"tables":[{"rows":[[3]],"name":"PrimaryResult","columns":[{"name":"Count","type":"long"}]}]}"#;
        let schema = Arc::new(Schema::new(vec![Field::new(
            "Count",
            DataType::Int64,
            true,
        )]));
        let (streamed, by_values) = both(body, &schema);
        assert_eq!(streamed, by_values);
        let empty = Arc::new(Schema::empty());
        let counted = decode_answer(body.as_bytes(), &empty, "src").unwrap();
        assert_eq!(counted.batch.num_rows(), 3);
    }

    #[test]
    fn partial_answers_keep_their_error() {
        let body = r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"n","type":"int"}],"rows":[[1]]}],
            "error":{"code":"PartialError","message":"limit"}}"#;
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int32, true)]));
        let answer = decode_answer(body.as_bytes(), &schema, "src").unwrap();
        assert_eq!(answer.batch.num_rows(), 1);
        assert_eq!(answer.error.unwrap()["code"], "PartialError");
        let complete = r#"{"tables":[{"name":"P","columns":[{"name":"n","type":"int"}],"rows":[]}],"error":null}"#;
        assert!(decode_answer(complete.as_bytes(), &schema, "src")
            .unwrap()
            .error
            .is_none());
    }

    #[test]
    fn wrong_values_and_missing_columns_name_the_source_and_column() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int32, true)]));
        for (body, expect) in [
            (
                r#"{"tables":[{"columns":[{"name":"n","type":"int"}],"rows":[[1],["x"]]}]}"#,
                "column 'n' should hold int values but the answer has \"x\"",
            ),
            (
                r#"{"tables":[{"columns":[{"name":"n","type":"int"}],"rows":[[3000000000]]}]}"#,
                "column 'n' should hold int values but the answer has 3000000000",
            ),
            (
                r#"{"tables":[{"columns":[{"name":"m","type":"int"}],"rows":[[1]]}]}"#,
                "the answer has no column 'n' (it has m)",
            ),
        ] {
            match decode_answer(body.as_bytes(), &schema, "sentinel") {
                Err(AnswerError::Value(e)) => {
                    let e = e.to_string();
                    assert!(e.contains("'sentinel'") && e.contains(expect), "{e}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_bodies_are_json_errors_and_no_table_is_said() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int32, true)]));
        for body in [
            "<html>",
            r#"{"tables":[{"columns":[{"name":"n","type":"int"}],"rows":[[1]"#,
            r#"{"tables":[]} trailing"#,
        ] {
            assert!(
                matches!(
                    decode_answer(body.as_bytes(), &schema, "s"),
                    Err(AnswerError::Json(_))
                ),
                "{body}"
            );
        }
        assert!(matches!(
            decode_answer(br#"{"tables":[]}"#, &schema, "s"),
            Err(AnswerError::NoTable)
        ));
    }
}
