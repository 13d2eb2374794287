//! Table functions `es_sql` and `es_search`, and the named clusters they use.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{DocSection, Documentation, Expr};
use serde_json::{json, Value};

use super::client::EsClient;
use super::config::EsConfig;
use super::dsl::epoch_millis_of;
use super::sql_api::{EsSqlTable, SqlRequest};
use super::table::EsTable;

/// The clusters of `[sources.NAME] kind = "elasticsearch"`, by name.
#[derive(Debug, Default)]
pub struct EsSources {
    clients: RwLock<BTreeMap<String, EsClient>>,
}

impl EsSources {
    pub fn add(&self, name: &str, client: EsClient) {
        if let Ok(mut c) = self.clients.write() {
            c.insert(name.to_string(), client);
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.clients
            .read()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A configured source by name, or a client for an `http(s)://` URL
    /// (no credentials: use a source for those).
    pub fn resolve(&self, function: &str, source: &str) -> Result<EsClient> {
        if source.starts_with("http://") || source.starts_with("https://") {
            return EsClient::new(Arc::new(EsConfig::new(source)?));
        }
        if let Some(c) = self
            .clients
            .read()
            .ok()
            .and_then(|c| c.get(source).cloned())
        {
            return Ok(c);
        }
        let names = self.names();
        Err(DataFusionError::Plan(format!(
            "{function}: no Elasticsearch source named '{source}'; {}",
            if names.is_empty() {
                "add one to the configuration ([sources.NAME] kind = \"elasticsearch\", url = ...) or pass an http(s):// URL".to_string()
            } else {
                format!("configured: {}", names.join(", "))
            }
        )))
    }
}

fn string_arg(function: &str, what: &str, expr: &Expr) -> Result<String> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Ok(s.clone()),
        // An unquoted source name reads as a column reference.
        Expr::Column(c) if what == "source" => Ok(c.name.clone()),
        other => Err(DataFusionError::Plan(format!(
            "{function}: {what} must be a string literal, got {other}"
        ))),
    }
}

/// A time bound: a timestamp literal (epoch milliseconds) or text passed to
/// Elasticsearch as it is (ISO 8601 or date math such as `now-24h`).
fn time_arg(function: &str, what: &str, expr: &Expr) -> Result<Option<Value>> {
    match expr {
        Expr::Literal(v, _) if v.is_null() => Ok(None),
        Expr::Literal(v, _) => {
            if let Some(ms) = epoch_millis_of(v) {
                return Ok(Some(json!(ms)));
            }
            match v {
                ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                    Ok(Some(json!(s)))
                }
                other => Err(DataFusionError::Plan(format!(
                    "{function}: {what} must be a timestamp or text such as '2024-01-01T00:00:00Z' or 'now-24h', got {other}"
                ))),
            }
        }
        other => Err(DataFusionError::Plan(format!(
            "{function}: {what} must be a literal, got {other}"
        ))),
    }
}

/// Runs planning-time requests on a helper thread with its own runtime
/// (table functions are called synchronously, possibly inside a runtime).
fn block_on_helper<T, F, Fut>(work: F) -> Result<T>
where
    T: Send,
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = Result<T>>,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| DataFusionError::Execution(format!("tokio runtime: {e}")))?;
                runtime.block_on(work())
            })
            .join()
            .map_err(|_| {
                DataFusionError::Internal("elasticsearch planning thread panicked".into())
            })?
    })
}

/// `es_sql(source, 'SQL' [, 'filter DSL JSON' [, 'time_zone']])`.
#[derive(Debug)]
pub struct EsSql {
    sources: Arc<EsSources>,
}

impl EsSql {
    pub fn new(sources: Arc<EsSources>) -> Self {
        Self { sources }
    }
}

impl TableFunctionImpl for EsSql {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        const NAME: &str = "es_sql";
        let exprs = args.exprs();
        if !(2..=4).contains(&exprs.len()) {
            return Err(DataFusionError::Plan(format!(
                "{NAME}: expected (source, 'SQL' [, 'filter JSON' [, 'time_zone']]), got {} arguments",
                exprs.len()
            )));
        }
        let source = string_arg(NAME, "source", &exprs[0])?;
        let query = string_arg(NAME, "the SQL query", &exprs[1])?;
        let filter = match exprs.get(2) {
            Some(Expr::Literal(v, _)) if v.is_null() => None,
            Some(e) => {
                let text = string_arg(NAME, "filter", e)?;
                let value: Value = serde_json::from_str(&text).map_err(|err| {
                    DataFusionError::Plan(format!(
                        "{NAME}: filter must be query DSL as JSON (e.g. '{{\"term\":{{\"host.name\":\"ws1\"}}}}'): {err}"
                    ))
                })?;
                if !value.is_object() {
                    return Err(DataFusionError::Plan(format!(
                        "{NAME}: filter must be a JSON object of query DSL"
                    )));
                }
                Some(value)
            }
            None => None,
        };
        let time_zone = match exprs.get(3) {
            Some(e) => string_arg(NAME, "time_zone", e)?,
            None => "Z".to_string(),
        };
        let client = self.sources.resolve(NAME, &source)?;
        let request = SqlRequest {
            query,
            filter,
            time_zone,
            fetch_size: client.config().page_size,
        };
        let planning = client.fresh()?;
        let table =
            block_on_helper(
                move || async move { EsSqlTable::plan(client, &planning, request).await },
            )?;
        Ok(Arc::new(table))
    }
}

/// `es_search(source, index, 'lucene query' [, start [, end]])`.
#[derive(Debug)]
pub struct EsSearch {
    sources: Arc<EsSources>,
}

impl EsSearch {
    pub fn new(sources: Arc<EsSources>) -> Self {
        Self { sources }
    }
}

impl TableFunctionImpl for EsSearch {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        const NAME: &str = "es_search";
        let exprs = args.exprs();
        if !(3..=5).contains(&exprs.len()) {
            return Err(DataFusionError::Plan(format!(
                "{NAME}: expected (source, index, 'lucene query' [, start [, end]]), got {} arguments",
                exprs.len()
            )));
        }
        let source = string_arg(NAME, "source", &exprs[0])?;
        let index = string_arg(NAME, "index", &exprs[1])?;
        let query_string = string_arg(NAME, "the query string", &exprs[2])?;
        let start = exprs
            .get(3)
            .map(|e| time_arg(NAME, "start", e))
            .transpose()?
            .flatten();
        let end = exprs
            .get(4)
            .map(|e| time_arg(NAME, "end", e))
            .transpose()?
            .flatten();
        let client = self.sources.resolve(NAME, &source)?;
        let mut must = Vec::new();
        if !query_string.trim().is_empty() {
            must.push(json!({"query_string": {"query": query_string}}));
        }
        if start.is_some() || end.is_some() {
            let mut range = serde_json::Map::new();
            let numeric = start.as_ref().is_some_and(Value::is_number)
                || end.as_ref().is_some_and(Value::is_number);
            if let Some(s) = start {
                range.insert("gte".into(), s);
            }
            if let Some(e) = end {
                range.insert("lt".into(), e);
            }
            if numeric {
                // Numbers are epoch milliseconds; text uses the field's format.
                range.insert(
                    "format".into(),
                    json!("epoch_millis||strict_date_optional_time"),
                );
            }
            must.push(json!({"range": {client.config().time_field.clone(): range}}));
        }
        let planning = client.fresh()?;
        let index_for_thread = index.clone();
        let mapping =
            block_on_helper(move || async move { planning.mapping(&index_for_thread).await })
                .map_err(|e| e.context(format!("{NAME}: reading the mapping of '{index}'")))?;
        let table = EsTable::from_mapping(client, &index, &mapping)?
            .with_base_query(json!({"bool": {"must": must}}));
        Ok(Arc::new(table))
    }
}

fn section() -> DocSection {
    DocSection {
        include: true,
        label: "Elasticsearch / OpenSearch Functions",
        description: None,
    }
}

/// Documentation of `es_sql`.
pub fn es_sql_documentation() -> Documentation {
    Documentation::builder(
        section(),
        "Runs a query through the cluster's SQL API and returns its rows: Elasticsearch's \
         `POST /_sql?format=json` or OpenSearch's `POST /_plugins/_sql`, paged with `fetch_size` \
         (the source's `page_size`) and the `cursor` until it is exhausted; the cursor is closed \
         (`POST /_sql/close`) when the query stops early (LIMIT, cancel, error). Columns are \
         typed from the answer: keyword, text, ip, version as text; long, integer, short, byte as \
         integers; double, float, half_float, scaled_float as Float64; boolean; datetime as \
         Timestamp(ms, UTC); object and nested as JSON text. `source` is a `[sources.NAME]` of \
         kind `elasticsearch` or an `http(s)://` URL (without credentials).",
        "es_sql(source, sql[, filter[, time_zone]])",
    )
    .with_sql_example(
        r#"```sql
> SELECT "process.name", count FROM es_sql('elastic', 'SELECT "process.name", COUNT(*) AS count FROM "logs-endpoint.events.process-*" GROUP BY 1 ORDER BY 2 DESC LIMIT 3');
+----------------+-------+
| process.name   | count |
+----------------+-------+
| svchost.exe    | 812   |
| powershell.exe | 97    |
| cmd.exe        | 64    |
+----------------+-------+
```"#,
    )
    .with_argument("source", "Name of an elasticsearch source (or an http(s):// URL), as a string.")
    .with_argument("sql", "The Elasticsearch / OpenSearch SQL query, as a string.")
    .with_argument(
        "filter",
        "Optional query DSL as JSON text that every row must also match, e.g. '{\"term\":{\"host.name\":\"ws1\"}}'.",
    )
    .with_argument("time_zone", "Optional time zone of the query (default 'Z'); Elasticsearch only.")
    .build()
}

/// Documentation of `es_search`.
pub fn es_search_documentation() -> Documentation {
    Documentation::builder(
        section(),
        "Searches an index (or alias or pattern) with a Lucene query string, as Kibana and \
         `query_string` searches do, optionally within a time range on `@timestamp` (the source's \
         `time_field`): `start` inclusive, `end` exclusive, each a timestamp or text Elasticsearch \
         parses (ISO 8601 or date math such as 'now-24h'). Returns the index's columns (dotted \
         field names, `_id`, `_index`); SQL filters, projection and LIMIT are pushed down as for \
         index tables.",
        "es_search(source, index, query[, start[, end]])",
    )
    .with_sql_example(
        r#"```sql
> SELECT "@timestamp", "host.name", "process.command_line" FROM es_search('elastic', 'logs-endpoint.events.*', 'data_stream.dataset:endpoint.events.process AND process.name:powershell.exe', 'now-24h') LIMIT 2;
+--------------------------+-----------+--------------------------------------+
| @timestamp               | host.name | process.command_line                 |
+--------------------------+-----------+--------------------------------------+
| 2024-05-06T07:08:09.123Z | ws1       | powershell.exe -nop -enc SQBFAFgA... |
| 2024-05-06T07:09:12.001Z | ws1       | powershell.exe Get-Process           |
+--------------------------+-----------+--------------------------------------+
```"#,
    )
    .with_argument("source", "Name of an elasticsearch source (or an http(s):// URL), as a string.")
    .with_argument("index", "Index, alias, data stream or pattern, as a string.")
    .with_argument("query", "Lucene query string (query_string syntax); '' matches everything.")
    .with_argument("start", "Optional inclusive start of the time range.")
    .with_argument("end", "Optional exclusive end of the time range.")
    .build()
}
