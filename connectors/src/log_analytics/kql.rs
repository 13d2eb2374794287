//! SQL filters → KQL: literals (escaped so that no value can change the
//! query), identifiers, datetimes, and the translation of DataFusion
//! expressions into `| where` clauses.
//!
//! A translation is *exact* when KQL keeps exactly the rows SQL keeps, and
//! *inexact* when KQL keeps a superset (DataFusion filters again). KQL's `==`,
//! `in`, `startswith_cs`, `endswith_cs` and `contains_cs` are case-sensitive
//! like SQL; its `has`/`contains`/`startswith` are not, so they only serve
//! `ILIKE` (inexact). `!=`, `!in`, `!between` and `not()` are inexact: KQL
//! treats a null (or empty) value differently from SQL's three-valued logic.
//! Datetimes have 100 ns ticks in KQL: a literal between two ticks is
//! rounded outwards and the filter becomes inexact.

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Like, Operator};
use datafusion::scalar::ScalarValue;

/// KQL datetime precision.
pub const TICK_NS: i64 = 100;
const NS_PER_SEC: i64 = 1_000_000_000;

/// A string literal in double quotes with `\\`, `\"`, `\n`, `\r` and `\t`
/// escaped; `None` for other control characters (no escape is sure to be
/// read the same way by every KQL parser, so such filters stay in DataFusion).
pub fn quote_string(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => return None,
            c => out.push(c),
        }
    }
    out.push('"');
    Some(out)
}

/// A column name: bare when it is a plain identifier, else `["name"]`.
pub fn quote_ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(name);
    if plain {
        name.to_string()
    } else {
        // Control characters cannot be escaped reliably; such names are
        // rare enough to be written with \n-style escapes or not at all.
        format!(
            "[{}]",
            quote_string(name).unwrap_or_else(|| format!("\"{}\"", name.escape_default()))
        )
    }
}

fn is_keyword(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "and"
            | "or"
            | "not"
            | "in"
            | "between"
            | "by"
            | "on"
            | "true"
            | "false"
            | "null"
            | "where"
            | "project"
            | "take"
            | "limit"
            | "let"
            | "datetime"
            | "timespan"
            | "dynamic"
            | "has"
            | "contains"
            | "startswith"
            | "endswith"
            | "like"
    )
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2024-01-01T00:00:00.1234567Z` (the tick at or before `ns`); `None`
/// outside the years 1–9999 KQL can represent.
pub fn format_datetime(ns: i64) -> Option<String> {
    let secs = ns.div_euclid(NS_PER_SEC);
    let frac = ns.rem_euclid(NS_PER_SEC);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    if !(1..=9999).contains(&y) {
        return None;
    }
    let sod = secs.rem_euclid(86_400);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:07}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        frac / TICK_NS
    ))
}

/// `datetime(2024-01-01T00:00:00.0000000Z)`.
pub fn datetime_literal(ns: i64) -> Option<String> {
    format_datetime(ns).map(|t| format!("datetime({t})"))
}

/// `ns` rounded down / up to a tick.
pub fn floor_tick(ns: i64) -> i64 {
    floor_to(ns, TICK_NS)
}
pub fn ceil_tick(ns: i64) -> i64 {
    ceil_to(ns, TICK_NS)
}

/// A translated filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    pub kql: String,
    pub exact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Num,
    Time,
    Bool,
}

fn kind_of(t: &DataType) -> Option<Kind> {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(Kind::Str),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::Float32
        | DataType::Float64 => Some(Kind::Num),
        DataType::Timestamp(_, _) => Some(Kind::Time),
        DataType::Boolean => Some(Kind::Bool),
        _ => None,
    }
}

/// A column of the table (possibly under a widening numeric cast).
fn column<'a>(expr: &'a Expr, schema: &Schema) -> Option<(&'a str, Kind)> {
    match expr {
        Expr::Column(c) => {
            let field = schema.field_with_name(&c.name).ok()?;
            Some((c.name.as_str(), kind_of(field.data_type())?))
        }
        Expr::Cast(cast) => {
            let (name, kind) = column(&cast.expr, schema)?;
            let target = kind_of(cast.field.data_type())?;
            (kind == Kind::Num && target == Kind::Num).then_some((name, kind))
        }
        _ => None,
    }
}

/// How a literal rounds when it falls between two ticks.
#[derive(Clone, Copy)]
enum Round {
    Down,
    Up,
    Exact,
}

/// A literal: its KQL text and whether it is exact.
fn literal(expr: &Expr, kind: Kind, round: Round) -> Option<(String, bool)> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    let int = |v: i128| Some((v.to_string(), true));
    match (kind, value) {
        (Kind::Str, ScalarValue::Utf8(Some(s)))
        | (Kind::Str, ScalarValue::LargeUtf8(Some(s)))
        | (Kind::Str, ScalarValue::Utf8View(Some(s))) => quote_string(s).map(|q| (q, true)),
        (Kind::Num, ScalarValue::Int8(Some(v))) => int(*v as i128),
        (Kind::Num, ScalarValue::Int16(Some(v))) => int(*v as i128),
        (Kind::Num, ScalarValue::Int32(Some(v))) => int(*v as i128),
        (Kind::Num, ScalarValue::Int64(Some(v))) => int(*v as i128),
        (Kind::Num, ScalarValue::UInt8(Some(v))) => int(*v as i128),
        (Kind::Num, ScalarValue::UInt16(Some(v))) => int(*v as i128),
        (Kind::Num, ScalarValue::UInt32(Some(v))) => int(*v as i128),
        (Kind::Num, ScalarValue::UInt64(Some(v))) if *v <= i64::MAX as u64 => int(*v as i128),
        (Kind::Num, ScalarValue::Float64(Some(v))) if v.is_finite() => {
            Some((format!("real({v:?})"), true))
        }
        (Kind::Num, ScalarValue::Float32(Some(v))) if v.is_finite() => {
            Some((format!("real({:?})", *v as f64), true))
        }
        (Kind::Bool, ScalarValue::Boolean(Some(b))) => Some((b.to_string(), true)),
        (Kind::Time, v) => {
            let ns = timestamp_ns(v)?;
            let aligned = ns.rem_euclid(TICK_NS) == 0;
            let rounded = match round {
                Round::Down => floor_tick(ns),
                Round::Up => ceil_tick(ns),
                Round::Exact if aligned => ns,
                Round::Exact => return None,
            };
            datetime_literal(rounded).map(|l| (l, aligned))
        }
        _ => None,
    }
}

/// A timestamp literal in nanoseconds since the epoch (UTC).
pub fn timestamp_ns(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampMicrosecond(Some(v), _) => v.checked_mul(1_000),
        ScalarValue::TimestampMillisecond(Some(v), _) => v.checked_mul(1_000_000),
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(NS_PER_SEC),
        _ => None,
    }
}

fn flip(op: Operator) -> Operator {
    match op {
        Operator::Lt => Operator::Gt,
        Operator::LtEq => Operator::GtEq,
        Operator::Gt => Operator::Lt,
        Operator::GtEq => Operator::LtEq,
        other => other,
    }
}

/// Translates a filter into a KQL predicate, or `None` when it cannot be
/// pushed (DataFusion then evaluates it).
pub fn translate(expr: &Expr, schema: &Schema) -> Option<Pushed> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => {
                let l = translate(left, schema);
                let r = translate(right, schema);
                match (l, r) {
                    (Some(l), Some(r)) => Some(Pushed {
                        kql: format!("({} and {})", l.kql, r.kql),
                        exact: l.exact && r.exact,
                    }),
                    // One side alone keeps a superset.
                    (Some(one), None) | (None, Some(one)) => Some(Pushed {
                        kql: one.kql,
                        exact: false,
                    }),
                    (None, None) => None,
                }
            }
            Operator::Or => {
                let l = translate(left, schema)?;
                let r = translate(right, schema)?;
                Some(Pushed {
                    kql: format!("({} or {})", l.kql, r.kql),
                    exact: l.exact && r.exact,
                })
            }
            Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq => {
                let (col, lit, op) = match (column(left, schema), column(right, schema)) {
                    (Some(c), None) => (c, right.as_ref(), *op),
                    (None, Some(c)) => (c, left.as_ref(), flip(*op)),
                    _ => return None,
                };
                comparison(col, op, lit)
            }
            _ => None,
        },
        Expr::Not(inner) => {
            let inner = translate(inner, schema)?;
            // not() of a superset would be a subset: only exact inners.
            inner.exact.then(|| Pushed {
                kql: format!("not({})", inner.kql),
                exact: false,
            })
        }
        Expr::IsNull(inner) => {
            let (name, _) = column(inner, schema)?;
            Some(Pushed {
                kql: format!("isnull({})", quote_ident(name)),
                exact: true,
            })
        }
        Expr::IsNotNull(inner) => {
            let (name, _) = column(inner, schema)?;
            Some(Pushed {
                kql: format!("isnotnull({})", quote_ident(name)),
                exact: true,
            })
        }
        Expr::Column(_) => {
            let (name, kind) = column(expr, schema)?;
            (kind == Kind::Bool).then(|| Pushed {
                kql: format!("({} == true)", quote_ident(name)),
                exact: true,
            })
        }
        Expr::Between(Between {
            expr,
            negated,
            low,
            high,
        }) => {
            let (name, kind) = column(expr, schema)?;
            if !matches!(kind, Kind::Num | Kind::Time) {
                return None;
            }
            // Outward rounding keeps a superset; negated needs exact bounds.
            let (lo_round, hi_round) = if *negated {
                (Round::Exact, Round::Exact)
            } else {
                (Round::Down, Round::Up)
            };
            let (lo, lo_exact) = literal(low, kind, lo_round)?;
            let (hi, hi_exact) = literal(high, kind, hi_round)?;
            let op = if *negated { "!between" } else { "between" };
            Some(Pushed {
                kql: format!("{} {op} ({lo} .. {hi})", quote_ident(name)),
                exact: !negated && lo_exact && hi_exact,
            })
        }
        Expr::InList(list) => {
            let (name, kind) = column(&list.expr, schema)?;
            if list.list.is_empty() || kind == Kind::Bool {
                return None;
            }
            let mut items = Vec::with_capacity(list.list.len());
            for item in &list.list {
                let (text, exact) = literal(item, kind, Round::Exact)?;
                if !exact {
                    return None;
                }
                items.push(text);
            }
            let op = if list.negated { "!in" } else { "in" };
            Some(Pushed {
                kql: format!("{} {op} ({})", quote_ident(name), items.join(", ")),
                exact: !list.negated,
            })
        }
        Expr::Like(like) => translate_like(like, schema),
        Expr::ScalarFunction(f) => {
            let op = match f.func.name() {
                "starts_with" => "startswith_cs",
                "ends_with" => "endswith_cs",
                "contains" => "contains_cs",
                _ => return None,
            };
            let [col, lit] = f.args.as_slice() else {
                return None;
            };
            let (name, kind) = column(col, schema)?;
            if kind != Kind::Str {
                return None;
            }
            let (text, _) = literal(lit, Kind::Str, Round::Exact)?;
            Some(Pushed {
                kql: format!("{} {op} {text}", quote_ident(name)),
                exact: true,
            })
        }
        _ => None,
    }
}

fn comparison(col: (&str, Kind), op: Operator, lit: &Expr) -> Option<Pushed> {
    let (name, kind) = col;
    let name = quote_ident(name);
    let (kql_op, round) = match op {
        Operator::Eq => ("==", Round::Exact),
        Operator::NotEq => ("!=", Round::Exact),
        Operator::Lt => ("<", Round::Up),
        Operator::LtEq => ("<=", Round::Up),
        Operator::Gt => (">", Round::Down),
        Operator::GtEq => (">=", Round::Down),
        _ => return None,
    };
    match kind {
        Kind::Str | Kind::Bool if !matches!(op, Operator::Eq | Operator::NotEq) => return None,
        _ => {}
    }
    let (text, lit_exact) = literal(lit, kind, round)?;
    // Rounded outwards: `< ceil` and `> floor` keep a superset, but `<=`
    // / `>=` of a rounded value do too.
    Some(Pushed {
        kql: format!("{name} {kql_op} {text}"),
        exact: lit_exact && op != Operator::NotEq,
    })
}

fn translate_like(like: &Like, schema: &Schema) -> Option<Pushed> {
    let (name, kind) = column(&like.expr, schema)?;
    if kind != Kind::Str {
        return None;
    }
    let Expr::Literal(value, _) = like.pattern.as_ref() else {
        return None;
    };
    let pattern = match value {
        ScalarValue::Utf8(Some(p))
        | ScalarValue::LargeUtf8(Some(p))
        | ScalarValue::Utf8View(Some(p)) => p,
        _ => return None,
    };
    let escape = like.escape_char.unwrap_or('\\');
    if pattern.contains(escape) || pattern.contains('\\') {
        return None;
    }
    let leading = pattern.starts_with('%');
    let trailing = (pattern.len() > 1 && pattern.ends_with('%')) || pattern == "%";
    let core = pattern.trim_start_matches('%').trim_end_matches('%');
    if core.contains('%') || core.contains('_') {
        return None;
    }
    let ident = quote_ident(name);
    if core.is_empty() {
        if !leading {
            return None; // '' matches only the empty string
        }
        return (!like.negated).then(|| Pushed {
            kql: format!("isnotnull({ident})"),
            exact: true,
        });
    }
    let text = quote_string(core)?;
    if like.case_insensitive {
        // Kusto's case folding may differ from SQL's outside ASCII.
        if like.negated || !core.is_ascii() {
            return None;
        }
        let op = match (leading, trailing) {
            (false, false) => "=~",
            (false, true) => "startswith",
            (true, false) => "endswith",
            (true, true) => "contains",
        };
        return Some(Pushed {
            kql: format!("{ident} {op} {text}"),
            exact: false,
        });
    }
    let op = match (leading, trailing, like.negated) {
        (false, false, false) => "==",
        (false, false, true) => "!=",
        (false, true, false) => "startswith_cs",
        (false, true, true) => "!startswith_cs",
        (true, false, false) => "endswith_cs",
        (true, false, true) => "!endswith_cs",
        (true, true, false) => "contains_cs",
        (true, true, true) => "!contains_cs",
    };
    Some(Pushed {
        kql: format!("{ident} {op} {text}"),
        exact: !like.negated,
    })
}

/// The time range `[start, end)` (tick-aligned, outwards) that the filters
/// restrict `column` to; either end may be open.
pub fn time_bounds(filters: &[Expr], column: &str) -> (Option<i64>, Option<i64>) {
    let mut lo: Option<i64> = None;
    let mut hi: Option<i64> = None;
    let mut lower = |v: i64| lo = Some(lo.map_or(v, |l| l.max(v)));
    let mut upper = |v: i64| hi = Some(hi.map_or(v, |h| h.min(v)));
    fn is_col(e: &Expr, column: &str) -> bool {
        matches!(e, Expr::Column(c) if c.name == column)
    }
    fn ts(e: &Expr) -> Option<i64> {
        match e {
            Expr::Literal(v, _) => timestamp_ns(v),
            _ => None,
        }
    }
    let mut stack: Vec<&Expr> = filters.iter().collect();
    while let Some(e) = stack.pop() {
        match e {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::And,
                right,
            }) => {
                stack.push(left);
                stack.push(right);
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (op, v) = if is_col(left, column) {
                    (*op, ts(right))
                } else if is_col(right, column) {
                    (flip(*op), ts(left))
                } else {
                    continue;
                };
                let Some(v) = v else { continue };
                match op {
                    Operator::Gt => lower(v.saturating_add(1)),
                    Operator::GtEq => lower(v),
                    Operator::Lt => upper(v),
                    Operator::LtEq => upper(v.saturating_add(1)),
                    Operator::Eq => {
                        lower(v);
                        upper(v.saturating_add(1));
                    }
                    _ => {}
                }
            }
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) if is_col(expr, column) => {
                if let (Some(l), Some(h)) = (ts(low), ts(high)) {
                    lower(l);
                    upper(h.saturating_add(1));
                }
            }
            _ => {}
        }
    }
    // Outwards to whole microseconds, not just ticks: the range only bounds
    // the pull (the filters themselves keep their exact bounds and are sent
    // too), and an engine with microsecond datetimes (DuckDB behind the test
    // emulator, exports of the data) reads `12:00:00.0000001` as `12:00:00`,
    // which would drop the rows of an inclusive end.
    (
        lo.map(|v| floor_to(v, MICRO_NS)),
        hi.map(|v| ceil_to(v, MICRO_NS)),
    )
}

const MICRO_NS: i64 = 1_000;

fn floor_to(ns: i64, unit: i64) -> i64 {
    ns - ns.rem_euclid(unit)
}

fn ceil_to(ns: i64, unit: i64) -> i64 {
    match ns.rem_euclid(unit) {
        0 => ns,
        r => ns.saturating_add(unit - r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{Field, TimeUnit};
    // `ident`, not `col`: `col` lower-cases unquoted names.
    use datafusion::logical_expr::{ident as col, lit};
    use datafusion::prelude::{in_list, not};

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("EventID", DataType::Int32, true),
            Field::new("Computer", DataType::Utf8, true),
            Field::new(
                "TimeGenerated",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                true,
            ),
            Field::new("Flag", DataType::Boolean, true),
            Field::new("Score", DataType::Float64, true),
            Field::new("odd name", DataType::Utf8, true),
        ])
    }

    fn ts(ns: i64) -> Expr {
        lit(ScalarValue::TimestampNanosecond(
            Some(ns),
            Some("UTC".into()),
        ))
    }

    fn t(e: Expr) -> Option<(String, bool)> {
        translate(&e, &schema()).map(|p| (p.kql, p.exact))
    }

    #[test]
    fn strings_are_escaped_so_no_value_changes_the_query() {
        assert_eq!(quote_string("a\"b").unwrap(), r#""a\"b""#);
        assert_eq!(quote_string("x\\").unwrap(), r#""x\\""#);
        assert_eq!(quote_string("l1\nl2\r\t").unwrap(), r#""l1\nl2\r\t""#);
        assert_eq!(
            quote_string("a' | take 1; // x").unwrap(),
            r#""a' | take 1; // x""#
        );
        assert_eq!(quote_string("nul\u{0}"), None);
        // The quoted text never has an unescaped quote or a raw newline.
        for hostile in [
            "\"",
            "\\\"",
            "\\",
            "\"\\\"",
            "x\") or true or (\"",
            "\n| take 1",
        ] {
            let q = quote_string(hostile).unwrap();
            let inner = &q[1..q.len() - 1];
            let mut escaped = false;
            for c in inner.chars() {
                assert!(escaped || c != '"', "{hostile:?} → {q}");
                assert!(c != '\n');
                escaped = !escaped && c == '\\';
            }
            assert!(!escaped, "{q} ends inside an escape");
        }
        assert_eq!(quote_ident("EventID"), "EventID");
        assert_eq!(quote_ident("odd name"), r#"["odd name"]"#);
        assert_eq!(quote_ident("where"), r#"["where"]"#);
    }

    #[test]
    fn datetimes_have_seven_digits() {
        assert_eq!(
            format_datetime(1_704_067_200_123_456_700).unwrap(),
            "2024-01-01T00:00:00.1234567Z"
        );
        assert_eq!(format_datetime(0).unwrap(), "1970-01-01T00:00:00.0000000Z");
        assert_eq!(
            format_datetime(-100).unwrap(),
            "1969-12-31T23:59:59.9999999Z"
        );
        assert_eq!(
            format_datetime(951_782_400 * NS_PER_SEC).unwrap(),
            "2000-02-29T00:00:00.0000000Z"
        );
        assert_eq!(floor_tick(150), 100);
        assert_eq!(ceil_tick(150), 200);
        assert_eq!(ceil_tick(-150), -100);
    }

    #[test]
    fn predicates_translate_with_the_right_exactness() {
        assert_eq!(
            t(col("EventID").eq(lit(4688))),
            Some(("EventID == 4688".into(), true))
        );
        assert_eq!(
            t(lit(4688).lt(col("EventID"))),
            Some(("EventID > 4688".into(), true))
        );
        assert_eq!(
            t(col("EventID").not_eq(lit(1))),
            Some(("EventID != 1".into(), false))
        );
        assert_eq!(
            t(col("Computer").eq(lit("DC01"))),
            Some((r#"Computer == "DC01""#.into(), true))
        );
        assert_eq!(t(col("Computer").lt(lit("b"))), None);
        assert_eq!(
            t(col("Score").gt_eq(lit(1.5))),
            Some(("Score >= real(1.5)".into(), true))
        );
        assert_eq!(
            t(in_list(col("EventID"), vec![lit(1), lit(2)], false)),
            Some(("EventID in (1, 2)".into(), true))
        );
        assert_eq!(
            t(in_list(col("Computer"), vec![lit("a")], true)),
            Some((r#"Computer !in ("a")"#.into(), false))
        );
        assert_eq!(
            t(col("Computer").is_null()),
            Some(("isnull(Computer)".into(), true))
        );
        assert_eq!(
            t(col("Computer").is_not_null()),
            Some(("isnotnull(Computer)".into(), true))
        );
        assert_eq!(
            t(col("EventID").between(lit(1), lit(5))),
            Some(("EventID between (1 .. 5)".into(), true))
        );
        assert_eq!(
            t(col("EventID").not_between(lit(1), lit(5))),
            Some(("EventID !between (1 .. 5)".into(), false))
        );
        assert_eq!(
            t(col("Computer").like(lit("WORK%"))),
            Some((r#"Computer startswith_cs "WORK""#.into(), true))
        );
        assert_eq!(
            t(col("Computer").like(lit("%.local"))),
            Some((r#"Computer endswith_cs ".local""#.into(), true))
        );
        assert_eq!(
            t(col("Computer").like(lit("%mordor%"))),
            Some((r#"Computer contains_cs "mordor""#.into(), true))
        );
        assert_eq!(
            t(col("Computer").not_like(lit("%mordor%"))),
            Some((r#"Computer !contains_cs "mordor""#.into(), false))
        );
        assert_eq!(
            t(col("Computer").ilike(lit("%MORDOR%"))),
            Some((r#"Computer contains "MORDOR""#.into(), false))
        );
        assert_eq!(t(col("Computer").like(lit("a_c"))), None);
        assert_eq!(t(col("Computer").like(lit("a%c"))), None);
        assert_eq!(
            t(col("EventID").eq(lit(1)).or(col("Computer").eq(lit("x")))),
            Some((r#"(EventID == 1 or Computer == "x")"#.into(), true))
        );
        assert_eq!(
            t(not(col("EventID").eq(lit(1)))),
            Some(("not(EventID == 1)".into(), false))
        );
        // not() of an inexact filter would lose rows: not pushed.
        assert_eq!(t(not(col("Computer").ilike(lit("%x%")))), None);
        assert_eq!(t(col("Flag")), Some(("(Flag == true)".into(), true)));
        assert_eq!(
            t(col("odd name").eq(lit("v"))),
            Some((r#"["odd name"] == "v""#.into(), true))
        );
        // AND keeps the part it can push, inexactly.
        assert_eq!(
            t(col("EventID")
                .eq(lit(1))
                .and(col("Computer").like(lit("a_")))),
            Some(("EventID == 1".into(), false))
        );
    }

    #[test]
    fn datetimes_between_ticks_round_outwards() {
        let aligned = 1_704_067_200_000_000_000;
        assert_eq!(
            t(col("TimeGenerated").gt_eq(ts(aligned))),
            Some((
                "TimeGenerated >= datetime(2024-01-01T00:00:00.0000000Z)".into(),
                true
            ))
        );
        assert_eq!(
            t(col("TimeGenerated").lt(ts(aligned + 50))),
            Some((
                "TimeGenerated < datetime(2024-01-01T00:00:00.0000001Z)".into(),
                false
            ))
        );
        assert_eq!(
            t(col("TimeGenerated").gt(ts(aligned + 50))),
            Some((
                "TimeGenerated > datetime(2024-01-01T00:00:00.0000000Z)".into(),
                false
            ))
        );
        assert_eq!(t(col("TimeGenerated").eq(ts(aligned + 50))), None);
    }

    #[test]
    fn time_bounds_are_half_open() {
        let a = 1_000_000_000_000;
        let filters = vec![
            col("TimeGenerated").gt_eq(ts(a)),
            col("TimeGenerated").lt_eq(ts(a + 1_000)),
            col("EventID").eq(lit(1)),
        ];
        // Outwards to whole microseconds.
        assert_eq!(
            time_bounds(&filters, "TimeGenerated"),
            (Some(a), Some(a + 2_000))
        );
        let filters = vec![col("TimeGenerated").gt(ts(a))];
        assert_eq!(time_bounds(&filters, "TimeGenerated"), (Some(a), None));
        let filters = vec![col("TimeGenerated").between(ts(a), ts(a + 50))];
        assert_eq!(
            time_bounds(&filters, "TimeGenerated"),
            (Some(a), Some(a + 1_000))
        );
        let filters = vec![col("TimeGenerated").gt(ts(a + 1_500))];
        assert_eq!(
            time_bounds(&filters, "TimeGenerated"),
            (Some(a + 1_000), None)
        );
        assert_eq!(time_bounds(&[], "TimeGenerated"), (None, None));
    }
}
