//! Workspace tables as DataFusion tables (`sentinel.SecurityEvent`), with
//! projection, filters and limit pushed into KQL, and the result table of
//! `kql()`.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;

use super::chunks::{split_range, TimeRange};
use super::client::LogAnalyticsClient;
use super::exec::{on_io, LogAnalyticsExec, Target};
use super::kql::{quote_ident, time_bounds, translate};
use super::types::schema_of;

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// `| project a, b` (or a count for no columns) and `| take n`.
fn tail(
    schema: &SchemaRef,
    projection: Option<&Vec<usize>>,
    limit: Option<usize>,
) -> (String, SchemaRef) {
    let mut tail = String::new();
    if let Some(n) = limit {
        tail.push_str(&format!("\n| take {n}"));
    }
    let projected = match projection {
        Some(p) => Arc::new(
            schema
                .project(p)
                .unwrap_or_else(|_| schema.as_ref().clone()),
        ),
        None => Arc::clone(schema),
    };
    if projected.fields().is_empty() {
        tail.push_str("\n| summarize Count = count()");
    } else if projection.is_some() {
        let names: Vec<String> = projected
            .fields()
            .iter()
            .map(|f| quote_ident(f.name()))
            .collect();
        tail.push_str(&format!("\n| project {}", names.join(", ")));
    }
    (tail, projected)
}

/// One workspace table.
#[derive(Debug)]
pub struct LogAnalyticsTable {
    client: Arc<LogAnalyticsClient>,
    table: String,
    label: String,
    schema: SchemaRef,
    time_column: Option<String>,
}

impl LogAnalyticsTable {
    /// `time_column` is used for chunking when the schema has it as a datetime.
    pub fn new(
        client: Arc<LogAnalyticsClient>,
        label: String,
        table: String,
        schema: SchemaRef,
        time_column: Option<String>,
    ) -> Self {
        let time_column = time_column.filter(|c| {
            schema
                .field_with_name(c)
                .is_ok_and(|f| matches!(f.data_type(), DataType::Timestamp(_, _)))
        });
        LogAnalyticsTable {
            client,
            table,
            label,
            schema,
            time_column,
        }
    }

    pub fn time_column(&self) -> Option<&str> {
        self.time_column.as_deref()
    }
}

#[async_trait]
impl TableProvider for LogAnalyticsTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match translate(f, &self.schema) {
                Some(p) if p.exact => TableProviderFilterPushDown::Exact,
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let wheres: Vec<String> = filters
            .iter()
            .filter_map(|f| translate(f, &self.schema))
            .map(|p| p.kql)
            .collect();
        let mut kql_tail = String::new();
        if !wheres.is_empty() {
            kql_tail.push_str("\n| where ");
            kql_tail.push_str(&wheres.join(" and "));
        }
        let (rest, projected) = tail(&self.schema, projection, limit);
        kql_tail.push_str(&rest);
        let now = now_ns();
        let chunks = match &self.time_column {
            Some(column) => {
                let (start, end) = time_bounds(filters, column);
                split_range(start, end, self.client.options().chunk_ns, now)
            }
            None => vec![TimeRange::ALL],
        };
        Ok(Arc::new(LogAnalyticsExec::new(
            Arc::clone(&self.client),
            self.label.clone(),
            Target::Table {
                table: self.table.clone(),
                time_column: self.time_column.clone(),
                tail: kql_tail,
            },
            chunks,
            projected,
            now,
        )))
    }
}

/// The result of `kql(source, query [, start, end])`.
#[derive(Debug)]
pub struct KqlTable {
    client: Arc<LogAnalyticsClient>,
    kql: String,
    timespan: Option<String>,
    schema: SchemaRef,
}

impl KqlTable {
    pub fn new(
        client: Arc<LogAnalyticsClient>,
        kql: String,
        timespan: Option<String>,
        schema: SchemaRef,
    ) -> Self {
        KqlTable {
            client,
            kql,
            timespan,
            schema,
        }
    }
}

#[async_trait]
impl TableProvider for KqlTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (tail, projected) = tail(&self.schema, projection, limit);
        Ok(Arc::new(LogAnalyticsExec::new(
            Arc::clone(&self.client),
            format!("kql({})", self.client.name()),
            Target::Raw {
                kql: self.kql.clone(),
                tail,
                timespan: self.timespan.clone(),
            },
            vec![TimeRange::ALL],
            projected,
            now_ns(),
        )))
    }
}

/// The workspace's tables as providers named `source.Table`: the tables
/// the `tables` option names (schemas from `| getschema`), else every
/// table the metadata API lists.
pub async fn discover(
    client: Arc<LogAnalyticsClient>,
) -> Result<Vec<(String, Arc<LogAnalyticsTable>)>> {
    let c = Arc::clone(&client);
    let listed: Vec<(String, Vec<super::types::RawColumn>, Option<String>)> =
        match client.options().tables.clone() {
            Some(names) => {
                on_io(async move {
                    let mut out = Vec::new();
                    for name in names {
                        let columns = c.schema_of_query(&quote_ident(&name)).await?;
                        out.push((name, columns, None));
                    }
                    Ok(out)
                })
                .await?
            }
            None => on_io(async move { c.tables().await })
                .await?
                .into_iter()
                .map(|t| (t.name, t.columns, t.timespan_column))
                .collect(),
        };
    Ok(listed
        .into_iter()
        .map(|(name, columns, time_column)| {
            let schema = schema_of(&columns);
            let time_column = time_column.or_else(|| Some(client.options().time_column.clone()));
            let table = LogAnalyticsTable::new(
                Arc::clone(&client),
                format!("{}.{name}", client.name()),
                name.clone(),
                schema,
                time_column,
            );
            (name, Arc::new(table))
        })
        .collect())
}
