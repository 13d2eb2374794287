//! SQL filters as Elasticsearch query DSL.
//!
//! | SQL | DSL | exact when |
//! |---|---|---|
//! | `col = v`, `col IN (...)` | `term` / `terms` | keyword (no normalizer; literal not longer than `ignore_above`), a text field's keyword multi-field, numbers, booleans, dates |
//! | `<`, `<=`, `>`, `>=`, `BETWEEN` | `range` (dates as `epoch_millis`) | keyword without `ignore_above`, integers, `double`, dates |
//! | `col LIKE 'ab%'` / `'%a_b%'` | `prefix` / `wildcard` | keyword without `ignore_above` |
//! | `col IS [NOT] NULL` | `exists` (in `must_not`) | keyword without `ignore_above`, numbers, booleans, dates, ip |
//! | `a AND b`, `a OR b`, `NOT a`, `!=` | `bool` `must` / `should` / `must_not` (+ `exists` for SQL's NULL logic) | every part exact |
//!
//! Inexact (Elasticsearch returns a superset that DataFusion filters again):
//! `=` on a `text` field without keyword sub-field (`match_phrase`), `ip`
//! equality, `float`/`half_float`/`scaled_float` equality, keywords with a
//! normalizer, `ILIKE` with an ASCII pattern (`case_insensitive`), and
//! conjunctions of which only some parts translate. Everything else is not
//! pushed. With `exact_pushdown = false` every pushed predicate is inexact.
//!
//! Elasticsearch matches a multi-valued field when any value matches, while
//! the column shows the values as a JSON array (text) or the first value:
//! with multi-valued fields set `exact_pushdown = false`.

use std::collections::HashSet;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::InList;
use datafusion::logical_expr::{Between, BinaryExpr, Cast, Expr, Like, Operator};
use serde_json::{json, Value};

use super::mapping::{EsField, Kind, TermField};

/// A filter in DSL form; `exact` when Elasticsearch matches exactly the
/// rows for which the SQL predicate is true.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    pub query: Value,
    pub exact: bool,
}

impl Pushed {
    fn exact(query: Value) -> Self {
        Pushed { query, exact: true }
    }
    fn inexact(query: Value) -> Self {
        Pushed {
            query,
            exact: false,
        }
    }
    fn when(query: Value, exact: bool) -> Self {
        Pushed { query, exact }
    }
}

/// Translates filters against an index's fields.
pub struct Translator<'a> {
    fields: &'a [EsField],
    exact_allowed: bool,
}

impl<'a> Translator<'a> {
    pub fn new(fields: &'a [EsField], exact_allowed: bool) -> Self {
        Self {
            fields,
            exact_allowed,
        }
    }

    /// The DSL for a filter, or None when it cannot be pushed.
    pub fn translate(&self, expr: &Expr) -> Option<Pushed> {
        let mut pushed = self.expr(expr)?;
        pushed.exact &= self.exact_allowed;
        Some(pushed)
    }

    fn field(&self, expr: &Expr) -> Option<&'a EsField> {
        match expr {
            Expr::Column(c) => self.fields.iter().find(|f| f.name == c.name),
            // A date column cast to a finer timestamp (to compare with a
            // `TIMESTAMP '...'` literal) keeps its instants: same field.
            Expr::Cast(Cast { expr, field })
                if matches!(field.data_type(), DataType::Timestamp(_, _)) =>
            {
                self.field(expr).filter(|f| f.kind == Kind::Date)
            }
            _ => None,
        }
    }

    fn expr(&self, expr: &Expr) -> Option<Pushed> {
        match expr {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
                Operator::And => {
                    let parts: Vec<Option<Pushed>> =
                        [left, right].iter().map(|e| self.expr(e)).collect();
                    let all = parts.iter().all(Option::is_some);
                    let parts: Vec<Pushed> = parts.into_iter().flatten().collect();
                    if parts.is_empty() {
                        return None;
                    }
                    let exact = all && parts.iter().all(|p| p.exact);
                    Some(Pushed::when(
                        json!({"bool": {"must": parts.into_iter().map(|p| p.query).collect::<Vec<_>>()}}),
                        exact,
                    ))
                }
                Operator::Or => {
                    let l = self.expr(left)?;
                    let r = self.expr(right)?;
                    let exact = l.exact && r.exact;
                    // Flatten nested ORs into one should list.
                    let mut should = Vec::new();
                    for p in [l, r] {
                        match p.query.pointer("/bool/should").and_then(Value::as_array) {
                            Some(items)
                                if p.query["bool"].as_object().map(|o| o.len()) == Some(2) =>
                            {
                                should.extend(items.iter().cloned())
                            }
                            _ => should.push(p.query),
                        }
                    }
                    // `a = 1 OR a = 2` (DataFusion's form of a short IN
                    // list) as one `terms` query.
                    if let Some(terms) = same_field_terms(&should) {
                        return Some(Pushed::when(terms, exact));
                    }
                    Some(Pushed::when(
                        json!({"bool": {"should": should, "minimum_should_match": 1}}),
                        exact,
                    ))
                }
                Operator::NotEq => {
                    let eq = Expr::BinaryExpr(BinaryExpr::new(
                        left.clone(),
                        Operator::Eq,
                        right.clone(),
                    ));
                    self.not(&eq)
                }
                Operator::Eq | Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq => {
                    let (field, value, op) = match (self.field(left), literal(right)) {
                        (Some(f), Some(v)) => (f, v, *op),
                        _ => match (self.field(right), literal(left)) {
                            (Some(f), Some(v)) => (f, v, op.swap()?),
                            _ => return None,
                        },
                    };
                    self.compare(field, op, value)
                }
                _ => None,
            },
            Expr::Not(inner) => self.not(inner),
            Expr::IsNotNull(inner) => self.exists(self.field(inner)?),
            Expr::IsNull(inner) => {
                let e = self.exists(self.field(inner)?)?;
                Some(Pushed::when(
                    json!({"bool": {"must_not": [e.query]}}),
                    e.exact,
                ))
            }
            Expr::Column(_) => {
                let field = self.field(expr)?;
                self.compare(field, Operator::Eq, &ScalarValue::Boolean(Some(true)))
            }
            Expr::InList(InList {
                expr: inner,
                list,
                negated,
            }) => {
                if *negated {
                    let positive = Expr::InList(InList::new(inner.clone(), list.clone(), false));
                    return self.not(&positive);
                }
                let field = self.field(inner)?;
                let values: Vec<&ScalarValue> =
                    list.iter().map(literal).collect::<Option<Vec<_>>>()?;
                self.terms(field, &values)
            }
            Expr::Between(Between {
                expr: inner,
                negated,
                low,
                high,
            }) => {
                if *negated {
                    let positive = Expr::Between(Between::new(
                        inner.clone(),
                        false,
                        low.clone(),
                        high.clone(),
                    ));
                    return self.not(&positive);
                }
                let field = self.field(inner)?;
                let lo = self.compare(field, Operator::GtEq, literal(low)?)?;
                let hi = self.compare(field, Operator::LtEq, literal(high)?)?;
                Some(Pushed::when(
                    json!({"bool": {"must": [lo.query, hi.query]}}),
                    lo.exact && hi.exact,
                ))
            }
            Expr::Like(like) => {
                if like.negated {
                    let mut positive = like.clone();
                    positive.negated = false;
                    return self.not(&Expr::Like(positive));
                }
                self.like(like)
            }
            _ => None,
        }
    }

    /// `NOT e`: `must_not`, plus `exists` on e's columns so that rows where
    /// e is NULL stay out, as in SQL.
    fn not(&self, inner: &Expr) -> Option<Pushed> {
        let child = self.expr(inner)?;
        if !child.exact {
            // The complement of a superset is a subset: never push.
            return None;
        }
        let columns: HashSet<&str> = inner
            .column_refs()
            .into_iter()
            .map(|c| c.name.as_str())
            .collect();
        let mut must = Vec::new();
        let mut exact = true;
        let mut names: Vec<&str> = columns.into_iter().collect();
        names.sort();
        for name in names {
            let field = self.fields.iter().find(|f| f.name == name)?;
            match self.exists(field) {
                Some(e) if e.exact => must.push(e.query),
                _ => exact = false,
            }
        }
        let query = if must.is_empty() {
            json!({"bool": {"must_not": [child.query]}})
        } else {
            json!({"bool": {"must": must, "must_not": [child.query]}})
        };
        Some(Pushed::when(query, exact))
    }

    fn exists(&self, field: &EsField) -> Option<Pushed> {
        if !field.indexed {
            return None;
        }
        let exact = match field.kind {
            Kind::Keyword => field
                .term_field
                .as_ref()
                .is_some_and(|t| t.ignore_above.is_none()),
            Kind::Integer
            | Kind::Double
            | Kind::LossyFloat
            | Kind::Boolean
            | Kind::Date
            | Kind::DateNanos
            | Kind::Ip => true,
            _ => return None,
        };
        if !exact {
            return None;
        }
        Some(Pushed::exact(json!({"exists": {"field": field.name}})))
    }

    /// The keyword field for exact string matches of `value`, and whether
    /// matches are exact; None when long values may be unindexed.
    fn term_target(
        &self,
        field: &'a EsField,
        value: Option<&str>,
    ) -> Option<(&'a TermField, bool)> {
        let tf = field.term_field.as_ref()?;
        if let Some(limit) = tf.ignore_above {
            // Values longer than ignore_above are not indexed: only equality
            // with a literal no longer than it is safe.
            let v = value?;
            if v.chars().count() > limit {
                return None;
            }
        }
        Some((tf, !tf.normalized))
    }

    fn compare(&self, field: &'a EsField, op: Operator, value: &ScalarValue) -> Option<Pushed> {
        if !field.indexed {
            return None;
        }
        let range_op = match op {
            Operator::Lt => Some("lt"),
            Operator::LtEq => Some("lte"),
            Operator::Gt => Some("gt"),
            Operator::GtEq => Some("gte"),
            _ => None,
        };
        match field.kind {
            Kind::Meta => {
                let s = string_of(value)?;
                if op != Operator::Eq {
                    return None;
                }
                if field.name == "_id" {
                    Some(Pushed::exact(json!({"ids": {"values": [s]}})))
                } else {
                    Some(Pushed::exact(json!({"term": {"_index": {"value": s}}})))
                }
            }
            Kind::Keyword | Kind::Text => {
                let s = string_of(value)?;
                if op == Operator::Eq {
                    match self.term_target(field, Some(s)) {
                        Some((tf, exact)) => Some(Pushed::when(
                            json!({"term": {tf.name.clone(): {"value": s}}}),
                            exact,
                        )),
                        None if field.kind == Kind::Text => Some(Pushed::inexact(
                            json!({"match_phrase": {field.name.clone(): s}}),
                        )),
                        None => None,
                    }
                } else {
                    let (tf, exact) = self.term_target(field, None)?;
                    let r = range_op?;
                    Some(Pushed::when(
                        json!({"range": {tf.name.clone(): {r: s}}}),
                        exact,
                    ))
                }
            }
            Kind::Ip => {
                let s = string_of(value)?;
                if op != Operator::Eq || s.parse::<std::net::IpAddr>().is_err() {
                    return None;
                }
                // 10.0.0.1 and ::ffff:10.0.0.1 are the same address to Elasticsearch.
                Some(Pushed::inexact(
                    json!({"term": {field.name.clone(): {"value": s}}}),
                ))
            }
            Kind::Integer | Kind::Double | Kind::LossyFloat => {
                let n = number_of(value)?;
                let lossy = field.kind == Kind::LossyFloat;
                if op == Operator::Eq {
                    Some(Pushed::when(
                        json!({"term": {field.name.clone(): {"value": n}}}),
                        !lossy,
                    ))
                } else if lossy {
                    // Indexed with less precision: a range could drop rows.
                    None
                } else {
                    let r = range_op?;
                    Some(Pushed::exact(
                        json!({"range": {field.name.clone(): {r: n}}}),
                    ))
                }
            }
            Kind::Boolean => match (op, value) {
                (Operator::Eq, ScalarValue::Boolean(Some(b))) => Some(Pushed::exact(
                    json!({"term": {field.name.clone(): {"value": b}}}),
                )),
                _ => None,
            },
            Kind::Date => {
                let ms = epoch_millis_of(value)?;
                let bounds = match range_op {
                    Some(r) => json!({r: ms, "format": "epoch_millis"}),
                    None => json!({"gte": ms, "lte": ms, "format": "epoch_millis"}),
                };
                Some(Pushed::exact(
                    json!({"range": {field.name.clone(): bounds}}),
                ))
            }
            Kind::DateNanos => {
                // ISO 8601 with nine fraction digits: epoch_millis would
                // drop the nanoseconds the field keeps.
                let instant = iso_nanos_of(value)?;
                let format = "strict_date_optional_time_nanos";
                let bounds = match range_op {
                    Some(r) => json!({r: instant, "format": format}),
                    None => json!({"gte": instant, "lte": instant, "format": format}),
                };
                Some(Pushed::exact(
                    json!({"range": {field.name.clone(): bounds}}),
                ))
            }
            Kind::OtherString | Kind::Json | Kind::Conflict => None,
        }
    }

    fn terms(&self, field: &'a EsField, values: &[&ScalarValue]) -> Option<Pushed> {
        if values.is_empty() || !field.indexed {
            return None;
        }
        match field.kind {
            Kind::Keyword | Kind::Text | Kind::Meta | Kind::Ip => {
                let strings: Vec<&str> =
                    values.iter().map(|v| string_of(v)).collect::<Option<_>>()?;
                if field.kind == Kind::Ip {
                    if strings
                        .iter()
                        .any(|s| s.parse::<std::net::IpAddr>().is_err())
                    {
                        return None;
                    }
                    return Some(Pushed::inexact(
                        json!({"terms": {field.name.clone(): strings}}),
                    ));
                }
                if field.name == "_id" && field.kind == Kind::Meta {
                    return Some(Pushed::exact(json!({"ids": {"values": strings}})));
                }
                let mut target: Option<(&TermField, bool)> = None;
                for s in &strings {
                    target = Some(self.term_target(field, Some(s))?);
                }
                let (tf, exact) = target?;
                Some(Pushed::when(
                    json!({"terms": {tf.name.clone(): strings}}),
                    exact,
                ))
            }
            Kind::Integer | Kind::Double | Kind::LossyFloat => {
                let numbers: Vec<Value> =
                    values.iter().map(|v| number_of(v)).collect::<Option<_>>()?;
                Some(Pushed::when(
                    json!({"terms": {field.name.clone(): numbers}}),
                    field.kind != Kind::LossyFloat,
                ))
            }
            Kind::Boolean => {
                let bools: Vec<bool> = values
                    .iter()
                    .map(|v| match v {
                        ScalarValue::Boolean(Some(b)) => Some(*b),
                        _ => None,
                    })
                    .collect::<Option<_>>()?;
                Some(Pushed::exact(json!({"terms": {field.name.clone(): bools}})))
            }
            Kind::Date | Kind::DateNanos => {
                let should: Vec<Value> = values
                    .iter()
                    .map(|v| self.compare(field, Operator::Eq, v).map(|p| p.query))
                    .collect::<Option<_>>()?;
                Some(Pushed::exact(
                    json!({"bool": {"should": should, "minimum_should_match": 1}}),
                ))
            }
            _ => None,
        }
    }

    fn like(&self, like: &Like) -> Option<Pushed> {
        let field = self.field(&like.expr)?;
        let pattern = string_of(literal(&like.pattern)?)?;
        if !field.indexed || !matches!(field.kind, Kind::Keyword | Kind::Text | Kind::Meta) {
            return None;
        }
        if field.kind == Kind::Meta && field.name == "_id" {
            return None;
        }
        let tokens = like_tokens(pattern, like.escape_char.unwrap_or('\\'))?;
        let has_wildcard = tokens.iter().any(|t| !matches!(t, LikeToken::Char(_)));
        if like.case_insensitive {
            if !pattern.is_ascii() {
                return None;
            }
            let (tf, _) = self.term_target(field, None)?;
            return Some(Pushed::inexact(json!({"wildcard": {tf.name.clone(): {
                "value": wildcard_text(&tokens), "case_insensitive": true}}})));
        }
        if !has_wildcard {
            let literal: String = tokens
                .iter()
                .map(|t| match t {
                    LikeToken::Char(c) => *c,
                    _ => '?',
                })
                .collect();
            let (tf, exact) = self.term_target(field, Some(&literal))?;
            return Some(Pushed::when(
                json!({"term": {tf.name.clone(): {"value": literal}}}),
                exact,
            ));
        }
        let (tf, exact) = self.term_target(field, None)?;
        let prefix_len = tokens
            .iter()
            .take_while(|t| matches!(t, LikeToken::Char(_)))
            .count();
        let is_prefix = prefix_len + 1 == tokens.len() && tokens.last() == Some(&LikeToken::Many);
        if is_prefix {
            let prefix: String = tokens[..prefix_len]
                .iter()
                .map(|t| match t {
                    LikeToken::Char(c) => *c,
                    _ => '?',
                })
                .collect();
            return Some(Pushed::when(
                json!({"prefix": {tf.name.clone(): {"value": prefix}}}),
                exact,
            ));
        }
        Some(Pushed::when(
            json!({"wildcard": {tf.name.clone(): {"value": wildcard_text(&tokens)}}}),
            exact,
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LikeToken {
    Char(char),
    /// `%`
    Many,
    /// `_`
    One,
}

fn like_tokens(pattern: &str, escape: char) -> Option<Vec<LikeToken>> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            // A trailing escape is malformed: do not push.
            out.push(LikeToken::Char(chars.next()?));
        } else if c == '%' {
            if out.last() != Some(&LikeToken::Many) {
                out.push(LikeToken::Many);
            }
        } else if c == '_' {
            out.push(LikeToken::One);
        } else {
            out.push(LikeToken::Char(c));
        }
    }
    Some(out)
}

/// Lucene wildcard syntax: `*`, `?`, and `\` escaping literal `*?\`.
fn wildcard_text(tokens: &[LikeToken]) -> String {
    let mut out = String::new();
    for t in tokens {
        match t {
            LikeToken::Many => out.push('*'),
            LikeToken::One => out.push('?'),
            LikeToken::Char(c) => {
                if matches!(c, '*' | '?' | '\\') {
                    out.push('\\');
                }
                out.push(*c);
            }
        }
    }
    out
}

/// `[{"term": {f: {"value": a}}}, {"term": {f: {"value": b}}}]` (or
/// `terms` on f) as `{"terms": {f: [a, b]}}`; None for anything else.
fn same_field_terms(should: &[Value]) -> Option<Value> {
    let mut field: Option<&str> = None;
    let mut values = Vec::new();
    for q in should {
        let query = q.as_object()?;
        let (kind, body) = query.iter().next()?;
        let body = body.as_object()?;
        let (name, v) = body.iter().next()?;
        if query.len() != 1 || body.len() != 1 || field.is_some_and(|f| f != name) {
            return None;
        }
        field = Some(name);
        match kind.as_str() {
            "term" => values.push(v.as_object()?.get("value")?.clone()),
            "terms" => values.extend(v.as_array()?.iter().cloned()),
            _ => return None,
        }
    }
    Some(json!({"terms": {field?: values}}))
}

fn literal(expr: &Expr) -> Option<&ScalarValue> {
    match expr {
        Expr::Literal(v, _) if !v.is_null() => Some(v),
        _ => None,
    }
}

fn string_of(value: &ScalarValue) -> Option<&str> {
    match value {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.as_str()),
        _ => None,
    }
}

fn number_of(value: &ScalarValue) -> Option<Value> {
    Some(match value {
        ScalarValue::Int8(Some(v)) => json!(v),
        ScalarValue::Int16(Some(v)) => json!(v),
        ScalarValue::Int32(Some(v)) => json!(v),
        ScalarValue::Int64(Some(v)) => json!(v),
        ScalarValue::UInt8(Some(v)) => json!(v),
        ScalarValue::UInt16(Some(v)) => json!(v),
        ScalarValue::UInt32(Some(v)) => json!(v),
        ScalarValue::UInt64(Some(v)) => json!(v),
        ScalarValue::Float64(Some(v)) if v.is_finite() => json!(v),
        ScalarValue::Float32(Some(v)) if v.is_finite() => json!(v),
        _ => return None,
    })
}

/// Epoch milliseconds of a timestamp literal; None when it is finer than a
/// millisecond (the column's precision) or not a timestamp.
pub fn epoch_millis_of(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1000),
        ScalarValue::TimestampMillisecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampMicrosecond(Some(v), _) if v % 1000 == 0 => Some(v / 1000),
        ScalarValue::TimestampNanosecond(Some(v), _) if v % 1_000_000 == 0 => Some(v / 1_000_000),
        _ => None,
    }
}

/// A timestamp literal as ISO 8601 UTC with nanoseconds (for `date_nanos`).
pub fn iso_nanos_of(value: &ScalarValue) -> Option<String> {
    let nanos = match value {
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1_000_000_000)?,
        ScalarValue::TimestampMillisecond(Some(v), _) => v.checked_mul(1_000_000)?,
        ScalarValue::TimestampMicrosecond(Some(v), _) => v.checked_mul(1000)?,
        ScalarValue::TimestampNanosecond(Some(v), _) => *v,
        _ => return None,
    };
    let instant = datafusion::arrow::temporal_conversions::timestamp_ns_to_datetime(nanos)?;
    Some(instant.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string())
}

/// The query of a scan: the pushed filters (and a base query) under `bool.must`.
pub fn combine(mut parts: Vec<Value>) -> Value {
    match parts.len() {
        0 => json!({"match_all": {}}),
        1 => parts.remove(0),
        _ => json!({"bool": {"must": parts}}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elasticsearch::mapping::{fields_from_mapping, meta_fields};
    use datafusion::prelude::{col, lit};
    use std::ops::Not;

    fn fields() -> Vec<EsField> {
        let mut f = fields_from_mapping(&json!({"i": {"mappings": {"properties": {
            "name": {"type": "keyword"},
            "short": {"type": "keyword", "ignore_above": 5},
            "lower": {"type": "keyword", "normalizer": "lowercase"},
            "cmd": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 8}}},
            "body": {"type": "text"},
            "pid": {"type": "long"},
            "score": {"type": "float"},
            "ok": {"type": "boolean"},
            "ts": {"type": "date"},
            "tsn": {"type": "date_nanos"},
            "ip": {"type": "ip"},
            "geo": {"type": "geo_point"}
        }}}}))
        .unwrap();
        f.extend(meta_fields());
        f
    }

    fn t(expr: Expr) -> Option<Pushed> {
        let f = fields();
        Translator::new(&f, true).translate(&expr)
    }

    #[test]
    fn date_nanos_ranges_keep_nanoseconds() {
        let at = |nanos: i64| {
            lit(ScalarValue::TimestampNanosecond(
                Some(nanos),
                Some("UTC".into()),
            ))
        };
        let format = "strict_date_optional_time_nanos";
        assert_eq!(
            t(col("tsn").gt(at(1_704_067_200_123_456_789))).unwrap(),
            Pushed::exact(json!({"range": {"tsn": {
                "gt": "2024-01-01T00:00:00.123456789Z", "format": format
            }}}))
        );
        assert_eq!(
            t(col("tsn").eq(at(-1))).unwrap(),
            Pushed::exact(json!({"range": {"tsn": {
                "gte": "1969-12-31T23:59:59.999999999Z",
                "lte": "1969-12-31T23:59:59.999999999Z",
                "format": format
            }}}))
        );
        // A second-precision literal, and an IN list.
        let second = lit(ScalarValue::TimestampSecond(Some(0), None));
        assert_eq!(
            t(col("tsn").lt_eq(second)).unwrap(),
            Pushed::exact(json!({"range": {"tsn": {
                "lte": "1970-01-01T00:00:00.000000000Z", "format": format
            }}}))
        );
        let list = t(col("tsn").in_list(vec![at(1), at(2)], false)).unwrap();
        assert!(list.exact, "{list:?}");
        assert_eq!(
            list.query["bool"]["should"].as_array().map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn comparisons_by_field_kind() {
        assert_eq!(
            t(col("name").eq(lit("cmd.exe"))).unwrap(),
            Pushed::exact(json!({"term": {"name": {"value": "cmd.exe"}}}))
        );
        // Literal on the left.
        assert_eq!(
            t(lit("cmd.exe").eq(col("name"))).unwrap(),
            Pushed::exact(json!({"term": {"name": {"value": "cmd.exe"}}}))
        );
        assert_eq!(
            t(col("name").gt(lit("m"))).unwrap(),
            Pushed::exact(json!({"range": {"name": {"gt": "m"}}}))
        );
        assert_eq!(
            t(lit(5i64).lt(col("pid"))).unwrap(),
            Pushed::exact(json!({"range": {"pid": {"gt": 5}}}))
        );
        // ignore_above: short literals only, no ranges.
        assert!(t(col("short").eq(lit("abc"))).unwrap().exact);
        assert!(t(col("short").eq(lit("abcdefgh"))).is_none());
        assert!(t(col("short").gt(lit("a"))).is_none());
        // Text with a keyword sub-field / without.
        assert_eq!(
            t(col("cmd").eq(lit("whoami"))).unwrap(),
            Pushed::exact(json!({"term": {"cmd.keyword": {"value": "whoami"}}}))
        );
        assert_eq!(
            t(col("cmd").eq(lit("a very long command"))).unwrap(),
            Pushed::inexact(json!({"match_phrase": {"cmd": "a very long command"}}))
        );
        assert!(!t(col("body").eq(lit("x"))).unwrap().exact);
        assert!(!t(col("lower").eq(lit("X"))).unwrap().exact);
        assert!(!t(col("score").eq(lit(1.5))).unwrap().exact);
        assert!(t(col("score").gt(lit(1.5))).is_none());
        assert!(!t(col("ip").eq(lit("10.0.0.1"))).unwrap().exact);
        assert!(t(col("ip").eq(lit("not-an-ip"))).is_none());
        assert!(t(col("geo").eq(lit("x"))).is_none());
        assert_eq!(
            t(col("ok")).unwrap(),
            Pushed::exact(json!({"term": {"ok": {"value": true}}}))
        );
        let ts = ScalarValue::TimestampMillisecond(Some(1_700_000_000_000), Some("UTC".into()));
        assert_eq!(
            t(col("ts").gt_eq(lit(ts.clone()))).unwrap(),
            Pushed::exact(
                json!({"range": {"ts": {"gte": 1_700_000_000_000_i64, "format": "epoch_millis"}}})
            )
        );
        // A date column cast to nanoseconds (TIMESTAMP '...' literals) is
        // the same field; a literal finer than a millisecond is not pushed.
        let ns = DataType::Timestamp(
            datafusion::arrow::datatypes::TimeUnit::Nanosecond,
            Some("UTC".into()),
        );
        let cast_ts = Expr::Cast(Cast::new(Box::new(col("ts")), ns));
        let whole =
            ScalarValue::TimestampNanosecond(Some(1_700_000_000_000_000_000), Some("UTC".into()));
        assert_eq!(
            t(cast_ts.clone().lt(lit(whole))).unwrap().query,
            json!({"range": {"ts": {"lt": 1_700_000_000_000_i64, "format": "epoch_millis"}}})
        );
        let fine =
            ScalarValue::TimestampNanosecond(Some(1_700_000_000_000_000_001), Some("UTC".into()));
        assert!(t(cast_ts.lt(lit(fine))).is_none());
        assert!(
            t(Expr::Cast(Cast::new(Box::new(col("name")), DataType::Utf8)).eq(lit("x"))).is_none()
        );
        assert_eq!(
            t(col("_id").eq(lit("abc"))).unwrap(),
            Pushed::exact(json!({"ids": {"values": ["abc"]}}))
        );
        // Unknown columns and expressions are not pushed.
        assert!(t(col("nope").eq(lit(1))).is_none());
        assert!(t(col("pid").eq(col("pid"))).is_none());
    }

    #[test]
    fn boolean_logic_keeps_sql_null_semantics() {
        // != adds exists so that NULLs stay out, as in SQL.
        assert_eq!(
            t(col("name").not_eq(lit("x"))).unwrap(),
            Pushed::exact(json!({"bool": {"must": [{"exists": {"field": "name"}}],
                "must_not": [{"term": {"name": {"value": "x"}}}]}}))
        );
        // ORs of equalities on one field become one terms query.
        assert_eq!(
            t(col("name")
                .eq(lit("a"))
                .or(col("name").eq(lit("b")))
                .or(col("name").eq(lit("c"))))
            .unwrap(),
            Pushed::exact(json!({"terms": {"name": ["a", "b", "c"]}}))
        );
        let or = t(col("name")
            .eq(lit("a"))
            .or(col("pid").eq(lit(1i64)))
            .or(col("ok")))
        .unwrap();
        assert!(or.exact);
        assert_eq!(or.query["bool"]["should"].as_array().unwrap().len(), 3);
        // AND with an untranslatable part: inexact, the rest pushed.
        let and = t(col("name").eq(lit("a")).and(col("geo").eq(lit("x")))).unwrap();
        assert!(!and.exact);
        // OR with an untranslatable part: not pushed at all.
        assert!(t(col("name").eq(lit("a")).or(col("geo").eq(lit("x")))).is_none());
        // NOT over an inexact filter would drop rows: not pushed.
        assert!(t(col("body").eq(lit("x")).not()).is_none());
        assert_eq!(
            t(col("pid").is_null()).unwrap(),
            Pushed::exact(json!({"bool": {"must_not": [{"exists": {"field": "pid"}}]}}))
        );
        assert!(t(col("body").is_not_null()).is_none());
        assert!(t(col("short").is_not_null()).is_none());
        let in_list = t(col("pid").in_list(vec![lit(1i64), lit(2i64)], false)).unwrap();
        assert_eq!(in_list, Pushed::exact(json!({"terms": {"pid": [1, 2]}})));
        let not_in = t(col("name").in_list(vec![lit("a"), lit("b")], true)).unwrap();
        assert!(not_in.exact);
        assert_eq!(
            not_in.query["bool"]["must_not"][0],
            json!({"terms": {"name": ["a", "b"]}})
        );
        let between = t(col("pid").between(lit(1i64), lit(9i64))).unwrap();
        assert_eq!(
            between.query,
            json!({"bool": {"must": [{"range": {"pid": {"gte": 1}}}, {"range": {"pid": {"lte": 9}}}]}})
        );
        // exact_pushdown = false
        let f = fields();
        assert!(
            !Translator::new(&f, false)
                .translate(&col("name").eq(lit("a")))
                .unwrap()
                .exact
        );
    }

    #[test]
    fn like_patterns_and_hostile_strings() {
        assert_eq!(
            t(col("name").like(lit("power%"))).unwrap(),
            Pushed::exact(json!({"prefix": {"name": {"value": "power"}}}))
        );
        assert_eq!(
            t(col("name").like(lit("%shell_exe"))).unwrap(),
            Pushed::exact(json!({"wildcard": {"name": {"value": "*shell?exe"}}}))
        );
        // Lucene's wildcard characters in the literal part are escaped...
        assert_eq!(
            t(col("name").like(lit("a*b?c\\\\d%x"))).unwrap().query,
            json!({"wildcard": {"name": {"value": "a\\*b\\?c\\\\d*x"}}})
        );
        // ...and a prefix query takes them literally.
        assert_eq!(
            t(col("name").like(lit("a*b?c\\\\d%"))).unwrap().query,
            json!({"prefix": {"name": {"value": "a*b?c\\d"}}})
        );
        // Escaped % is a literal %: a term query.
        assert_eq!(
            t(col("name").like(lit("100\\%"))).unwrap().query,
            json!({"term": {"name": {"value": "100%"}}})
        );
        let hostile = "x\"}]}},{\"match_all\":{}} ' OR 1=1 --\n\u{0}é";
        let p = t(col("name").eq(lit(hostile))).unwrap();
        assert_eq!(p.query["term"]["name"]["value"], json!(hostile));
        let ilike = t(col("name").ilike(lit("%POWERSHELL%"))).unwrap();
        assert!(!ilike.exact);
        assert_eq!(
            ilike.query["wildcard"]["name"]["case_insensitive"],
            json!(true)
        );
        assert!(t(col("name").ilike(lit("%É%"))).is_none());
        assert!(t(col("body").like(lit("a%"))).is_none());
        assert!(t(col("cmd").like(lit("a%"))).is_none()); // keyword sub-field has ignore_above
        let not_like = t(col("name").not_like(lit("a%"))).unwrap();
        assert!(not_like.exact);
        assert!(like_tokens("abc\\", '\\').is_none());
    }
}
