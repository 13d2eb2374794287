//! `kql(source, 'KQL' [, start, end])`: a KQL query on a Log Analytics
//! source as a table.

use std::sync::Arc;

use datafusion::arrow::compute::kernels::cast_utils::string_to_timestamp_nanos;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{DocSection, Documentation, Expr};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::scalar::ScalarValue;

use super::exec::block_on_io;
use super::kql::{format_datetime, timestamp_ns};
use super::table::KqlTable;
use super::types::schema_of;
use super::LogAnalyticsSources;

/// The `kql` table function over the session's Log Analytics sources.
#[derive(Debug)]
pub struct KqlFunction {
    sources: Arc<LogAnalyticsSources>,
}

impl KqlFunction {
    pub fn new(sources: Arc<LogAnalyticsSources>) -> Self {
        KqlFunction { sources }
    }
}

fn plan_err(message: String) -> DataFusionError {
    DataFusionError::Plan(format!("kql(): {message}"))
}

fn string_arg(expr: &Expr, what: &str) -> Result<String> {
    match expr {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _)
        | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _)
        | Expr::Literal(ScalarValue::Utf8View(Some(s)), _) => Ok(s.clone()),
        other => Err(plan_err(format!(
            "the {what} must be a string literal, not {other}"
        ))),
    }
}

fn time_arg(expr: &Expr, what: &str, args: &TableFunctionArgs) -> Result<i64> {
    // now() - INTERVAL '1 day' and the like are folded first.
    let props = args.session().execution_props();
    let builder = SimplifyContext::builder();
    let context = match props.query_execution_start_time {
        Some(t) => builder.with_query_execution_start_time(Some(t)),
        None => builder.with_current_time(),
    }
    .build();
    let simplified = ExprSimplifier::new(context).simplify(expr.clone())?;
    let bad = || {
        plan_err(format!(
            "the {what} time must be a timestamp or an ISO 8601 string such as '2024-01-01T00:00:00Z', not {expr}"
        ))
    };
    match &simplified {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _)
        | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _)
        | Expr::Literal(ScalarValue::Utf8View(Some(s)), _) => {
            string_to_timestamp_nanos(s).map_err(|_| bad())
        }
        Expr::Literal(v, _) => timestamp_ns(v).ok_or_else(bad),
        _ => Err(bad()),
    }
}

impl TableFunctionImpl for KqlFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if !(2..=4).contains(&exprs.len()) || exprs.len() == 3 {
            return Err(plan_err(format!(
                "expected kql(source, 'query') or kql(source, 'query', start, end), got {} arguments",
                exprs.len()
            )));
        }
        let source = string_arg(&exprs[0], "source (a [sources.NAME] of kind log_analytics)")?;
        let query = string_arg(&exprs[1], "query")?;
        let client = self.sources.get(&source).ok_or_else(|| {
            let known = self.sources.names();
            plan_err(format!(
                "no Log Analytics source '{source}'; {}",
                if known.is_empty() {
                    "add one to the config file: [sources.NAME] kind = \"log_analytics\", workspace_id = \"...\"".to_string()
                } else {
                    format!("known: {}", known.join(", "))
                }
            ))
        })?;
        let timespan = if exprs.len() == 4 {
            let start = time_arg(&exprs[2], "start", &args)?;
            let end = time_arg(&exprs[3], "end", &args)?;
            if end <= start {
                return Err(plan_err("the end time must be after the start time".into()));
            }
            let fmt = |ns: i64| {
                format_datetime(ns)
                    .ok_or_else(|| plan_err("times must be within the years 1 to 9999".into()))
            };
            Some(format!("{}/{}", fmt(start)?, fmt(end)?))
        } else {
            None
        };
        let c = Arc::clone(&client);
        let q = query.clone();
        let columns = block_on_io(async move { c.schema_of_query(&q).await }).map_err(|e| {
            e.context(format!(
                "kql('{source}', ...): finding the result's columns"
            ))
        })?;
        Ok(Arc::new(KqlTable::new(
            client,
            query,
            timespan,
            schema_of(&columns),
        )))
    }
}

/// The documentation `\df kql` shows.
pub fn kql_documentation() -> Documentation {
    Documentation::builder(
        DocSection {
            include: true,
            label: "Data Source Functions",
            description: None,
        },
        "Runs a KQL query on a Microsoft Sentinel / Azure Log Analytics workspace and returns its \
         result as a table. `source` names a `[sources.NAME]` entry of the config file with \
         `kind = \"log_analytics\"`. With `start` and `end`, the query runs over that time range \
         (the API's `timespan`, applied to every table's TimeGenerated). Types: bool → BOOLEAN, \
         datetime → TIMESTAMP (ns, UTC), int → INT, long → BIGINT, real and decimal → DOUBLE, \
         string and guid → VARCHAR, timespan → DURATION, dynamic → VARCHAR holding JSON. The query \
         is sent as written and as one request: a result over the service limits (500,000 rows or \
         64 MB) fails rather than returning part of the rows; to pull large ranges read the table \
         as `source.Table` with a time filter, which huntsql splits into chunks.",
        "kql(source, query[, start, end])",
    )
    .with_sql_example(
        r#"```sql
SELECT Computer, count(*) AS n
FROM kql('sentinel', 'SecurityEvent | where EventID == 4688', now() - INTERVAL '1 day', now())
GROUP BY Computer ORDER BY n DESC;
```"#,
    )
    .with_argument(
        "source",
        "Name of a Log Analytics source, as a string literal.",
    )
    .with_argument("query", "The KQL query, as a string literal.")
    .with_argument(
        "start",
        "Optional start of the time range: a timestamp or ISO 8601 string (inclusive).",
    )
    .with_argument("end", "Optional end of the time range (with start).")
    .build()
}
