//! Index mappings (`GET /<index>/_mapping`) as Arrow schemas.
//!
//! Object fields are flattened to dotted column names (`process.command_line`);
//! `nested`, `flattened`, geo and other structured fields become one JSON
//! text column. Multi-fields (`command_line.keyword`) are not columns of
//! their own: they hold the same value, and pushdown uses them for exact
//! matches on `text` fields. When an index pattern matches several indices
//! whose mappings disagree on a field's type, the column is text and no
//! predicate on it is pushed down. Two columns are always added: `_id` and
//! `_index`.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::error::{DataFusionError, Result};
use serde_json::{Map, Value};

/// What a field is, for decoding and pushdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `keyword`, `constant_keyword`, `wildcard`: exact, case-sensitive terms.
    Keyword,
    /// `text`, `match_only_text`: analysed; exact only through a keyword sub-field.
    Text,
    Ip,
    /// `version` and other strings with no exact term semantics.
    OtherString,
    /// `long`, `integer`, `short`, `byte`, `unsigned_long`.
    Integer,
    /// `double`.
    Double,
    /// `float`, `half_float`, `scaled_float`: indexed with less precision than `_source` holds.
    LossyFloat,
    Boolean,
    /// `date` (millisecond precision).
    Date,
    /// `date_nanos`.
    DateNanos,
    /// Structured values shown as JSON text (`nested`, `flattened`, geo, ...).
    Json,
    /// A field whose type differs between the indices of a pattern.
    Conflict,
    /// `_id` and `_index`.
    Meta,
}

/// The keyword field a term query on a string column goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermField {
    pub name: String,
    /// Longer values are not indexed: only equality with shorter literals is safe.
    pub ignore_above: Option<usize>,
    /// A normalizer (lowercase...) makes term matches looser than `=`.
    pub normalized: bool,
}

/// One column of an index table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsField {
    /// Dotted path (`process.command_line`), also the column name.
    pub name: String,
    /// The Elasticsearch type as mapped (`keyword`, `text`, `long`...).
    pub es_type: String,
    pub kind: Kind,
    /// Where exact string matches go: the field itself (keyword) or a
    /// keyword multi-field (text).
    pub term_field: Option<TermField>,
    /// `index: false` fields cannot be searched.
    pub indexed: bool,
}

impl EsField {
    pub fn data_type(&self) -> DataType {
        arrow_type(self.kind, &self.es_type)
    }
}

/// The Arrow type of an Elasticsearch field type.
pub fn arrow_type(kind: Kind, es_type: &str) -> DataType {
    match kind {
        Kind::Integer => match es_type {
            "integer" => DataType::Int32,
            "short" => DataType::Int16,
            "byte" => DataType::Int8,
            "unsigned_long" => DataType::UInt64,
            _ => DataType::Int64,
        },
        Kind::Double | Kind::LossyFloat => DataType::Float64,
        Kind::Boolean => DataType::Boolean,
        Kind::Date => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        Kind::DateNanos => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        _ => DataType::Utf8,
    }
}

/// The kind of a mapped type.
pub fn kind_of(es_type: &str) -> Kind {
    match es_type {
        "keyword" | "constant_keyword" | "wildcard" => Kind::Keyword,
        "text" | "match_only_text" | "search_as_you_type" => Kind::Text,
        "ip" => Kind::Ip,
        "long" | "integer" | "short" | "byte" | "unsigned_long" => Kind::Integer,
        "double" => Kind::Double,
        "float" | "half_float" | "scaled_float" => Kind::LossyFloat,
        "boolean" => Kind::Boolean,
        "date" => Kind::Date,
        "date_nanos" => Kind::DateNanos,
        "version" | "binary" | "token_count" => Kind::OtherString,
        _ => Kind::Json,
    }
}

/// The fields of a `_mapping` answer (one or several indices), merged.
pub fn fields_from_mapping(answer: &Value) -> Result<Vec<EsField>> {
    let indices = answer.as_object().ok_or_else(|| {
        DataFusionError::Execution("elasticsearch: the _mapping answer is not an object".into())
    })?;
    let mut merged: BTreeMap<String, EsField> = BTreeMap::new();
    for (_index, body) in indices {
        let Some(mappings) = body.get("mappings") else {
            continue;
        };
        // Elasticsearch 6 and older nest the properties under a type name.
        let properties = match mappings.get("properties") {
            Some(p) => p.as_object(),
            None => mappings
                .as_object()
                .and_then(|m| m.values().find_map(|t| t.get("properties")))
                .and_then(Value::as_object),
        };
        let Some(properties) = properties else {
            continue;
        };
        let mut fields = Vec::new();
        flatten("", properties, &mut fields);
        for field in fields {
            match merged.get_mut(&field.name) {
                None => {
                    merged.insert(field.name.clone(), field);
                }
                Some(existing) if *existing == field => {}
                Some(existing) => {
                    if existing.es_type != field.es_type {
                        existing.kind = Kind::Conflict;
                        existing.es_type = format!("{}|{}", existing.es_type, field.es_type);
                        existing.term_field = None;
                    } else if existing.term_field != field.term_field {
                        // Same type, different sub-fields: keep no term field.
                        existing.term_field = None;
                    }
                    existing.indexed &= field.indexed;
                }
            }
        }
    }
    Ok(merged.into_values().collect())
}

fn flatten(prefix: &str, properties: &Map<String, Value>, out: &mut Vec<EsField>) {
    for (name, def) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let es_type = def.get("type").and_then(Value::as_str);
        match (es_type, def.get("properties").and_then(Value::as_object)) {
            // Plain objects are flattened; nested documents stay one JSON value.
            (None | Some("object"), Some(children)) => flatten(&path, children, out),
            (None | Some("object"), None) => {
                // An object with no known sub-field (dynamic: false).
                out.push(field(path, "object", def));
            }
            (Some("alias"), _) => {}
            (Some(t), _) => out.push(field(path, t, def)),
        }
    }
}

fn field(name: String, es_type: &str, def: &Value) -> EsField {
    let kind = kind_of(es_type);
    let indexed = def.get("index").and_then(Value::as_bool).unwrap_or(true);
    let ignore_above = |d: &Value| {
        d.get("ignore_above")
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .map(|n| n as usize)
    };
    let term_field = match kind {
        Kind::Keyword if indexed => Some(TermField {
            name: name.clone(),
            ignore_above: ignore_above(def),
            normalized: def.get("normalizer").is_some() || es_type == "wildcard",
        }),
        Kind::Text => def
            .get("fields")
            .and_then(Value::as_object)
            .and_then(|subs| {
                let mut subs: Vec<_> = subs.iter().collect();
                // Prefer the conventional `keyword` sub-field.
                subs.sort_by_key(|(n, _)| *n != "keyword");
                subs.into_iter().find(|(_, d)| {
                    d.get("type").and_then(Value::as_str) == Some("keyword")
                        && d.get("index").and_then(Value::as_bool).unwrap_or(true)
                })
            })
            .map(|(sub, d)| TermField {
                name: format!("{name}.{sub}"),
                ignore_above: ignore_above(d),
                normalized: d.get("normalizer").is_some(),
            }),
        _ => None,
    };
    EsField {
        name,
        es_type: es_type.to_string(),
        kind,
        term_field,
        indexed,
    }
}

/// The two metadata columns appended to every index table.
pub fn meta_fields() -> Vec<EsField> {
    ["_id", "_index"]
        .into_iter()
        .map(|name| EsField {
            name: name.into(),
            es_type: "keyword".into(),
            kind: Kind::Meta,
            term_field: Some(TermField {
                name: name.into(),
                ignore_above: None,
                normalized: false,
            }),
            indexed: true,
        })
        .collect()
}

/// The Arrow schema of the fields (all nullable).
pub fn schema_of(fields: &[EsField]) -> SchemaRef {
    Arc::new(Schema::new(
        fields
            .iter()
            .map(|f| Field::new(&f.name, f.data_type(), true))
            .collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_flatten_and_multi_fields_give_term_fields() {
        let answer = json!({"logs-1": {"mappings": {"properties": {
            "@timestamp": {"type": "date"},
            "process": {"properties": {
                "name": {"type": "keyword", "ignore_above": 1024},
                "command_line": {"type": "text", "fields": {"raw": {"type": "keyword"}, "keyword": {"type": "keyword", "ignore_above": 256}}},
                "pid": {"type": "long"},
                "parent": {"type": "object", "properties": {"pid": {"type": "integer"}}}
            }},
            "user": {"type": "nested", "properties": {"name": {"type": "keyword"}}},
            "labels": {"type": "flattened"},
            "score": {"type": "half_float"},
            "host": {"properties": {"ip": {"type": "ip"}}},
            "alias_f": {"type": "alias", "path": "process.name"},
            "secret": {"type": "keyword", "index": false}
        }}}});
        let fields = fields_from_mapping(&answer).unwrap();
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "@timestamp",
                "host.ip",
                "labels",
                "process.command_line",
                "process.name",
                "process.parent.pid",
                "process.pid",
                "score",
                "secret",
                "user"
            ]
        );
        let get = |n: &str| fields.iter().find(|f| f.name == n).unwrap();
        assert_eq!(
            get("process.command_line").term_field.as_ref().unwrap(),
            &TermField {
                name: "process.command_line.keyword".into(),
                ignore_above: Some(256),
                normalized: false
            }
        );
        assert_eq!(
            get("process.name")
                .term_field
                .as_ref()
                .unwrap()
                .ignore_above,
            Some(1024)
        );
        assert_eq!(get("process.parent.pid").data_type(), DataType::Int32);
        assert_eq!(get("process.pid").data_type(), DataType::Int64);
        assert_eq!(get("user").kind, Kind::Json);
        assert_eq!(get("labels").data_type(), DataType::Utf8);
        assert_eq!(get("score").kind, Kind::LossyFloat);
        assert_eq!(get("host.ip").kind, Kind::Ip);
        assert!(get("secret").term_field.is_none() && !get("secret").indexed);
        assert_eq!(
            get("@timestamp").data_type(),
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
    }

    #[test]
    fn patterns_merge_and_conflicts_become_text() {
        let answer = json!({
            "a": {"mappings": {"properties": {"x": {"type": "long"}, "y": {"type": "keyword"}}}},
            "b": {"mappings": {"properties": {"x": {"type": "keyword"}, "z": {"type": "boolean"}}}},
            "old": {"mappings": {"_doc": {"properties": {"y": {"type": "keyword"}}}}}
        });
        let fields = fields_from_mapping(&answer).unwrap();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0].kind, Kind::Conflict);
        assert_eq!(fields[0].data_type(), DataType::Utf8);
        assert!(fields[0].term_field.is_none());
        assert_eq!(fields[1].kind, Kind::Keyword);
        assert_eq!(fields[2].data_type(), DataType::Boolean);
        assert!(fields_from_mapping(&json!([1])).is_err());
    }
}
