//! Object-store tables scanned in more partitions than the session has
//! cores.
//!
//! A listing table splits its files into `target_partitions` groups (one
//! per core by default), and each group reads its files one after another:
//! footer, then column chunks, each a request. On local disk that keeps
//! the cores busy; against S3 each partition spends most of its time
//! waiting for the next answer. Scans of object-store tables are therefore
//! planned with at least [`DEFAULT_SCAN_PARTITIONS`] file groups (the
//! `object_store_scan_partitions` setting), so that several requests are
//! in flight while the cores decode; the rest of the plan keeps the
//! session's partitioning. DataFusion's optimizer would merge those groups
//! back into one per core (`repartition_file_scans` rebalances file groups
//! by size), so the scan's data source is wrapped in [`FixedFileGroups`],
//! which keeps them. Measured in `benchmarks/RESULTS.md` (issue 6).

use std::any::Any;
use std::borrow::Cow;
use std::fmt::{self, Formatter};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider, UrlTableFactory};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Constraints, Statistics};
use datafusion::datasource::source::{DataSource, DataSourceExec, OpenArgs};
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, LogicalPlan, TableProviderFilterPushDown};
use datafusion::physical_expr::projection::ProjectionExprs;
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_expr_common::sort_expr::{LexOrdering, PhysicalSortExpr};
use datafusion::physical_plan::execution_plan::SchedulingType;
use datafusion::physical_plan::filter_pushdown::FilterPushdownPropagation;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::{DisplayFormatType, ExecutionPlan, SortOrderPushdownResult};

use super::config::is_object_store_url;

/// File groups of an object-store scan when not configured: requests in
/// flight at once, whatever the number of cores.
pub const DEFAULT_SCAN_PARTITIONS: usize = 8;

/// An object-store table whose scans are planned with at least
/// `partitions` file groups.
#[derive(Debug)]
pub struct WideScan {
    inner: Arc<dyn TableProvider>,
    partitions: usize,
}

impl WideScan {
    /// Wraps `inner`; `partitions` of 0 or 1 leaves its scans as they are.
    pub fn wrap(inner: Arc<dyn TableProvider>, partitions: usize) -> Arc<dyn TableProvider> {
        if partitions <= 1 {
            return inner;
        }
        Arc::new(Self { inner, partitions })
    }

    pub fn inner(&self) -> &Arc<dyn TableProvider> {
        &self.inner
    }

    /// `state` with `target_partitions` raised to `partitions`, when it is
    /// lower and `state` is a `SessionState`.
    fn widened(&self, state: &dyn Session) -> Option<SessionState> {
        let session = state.as_any().downcast_ref::<SessionState>()?;
        if session.config().target_partitions() >= self.partitions {
            return None;
        }
        let config = session
            .config()
            .clone()
            .with_target_partitions(self.partitions);
        Some(
            SessionStateBuilder::new_from_existing(session.clone())
                .with_config(config)
                .build(),
        )
    }
}

#[async_trait]
impl TableProvider for WideScan {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn get_table_definition(&self) -> Option<&str> {
        self.inner.get_table_definition()
    }

    fn get_logical_plan(&'_ self) -> Option<Cow<'_, LogicalPlan>> {
        self.inner.get_logical_plan()
    }

    fn get_column_default(&self, column: &str) -> Option<&Expr> {
        self.inner.get_column_default(column)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(wide) = self.widened(state) else {
            return self.inner.scan(state, projection, filters, limit).await;
        };
        let plan = self.inner.scan(&wide, projection, filters, limit).await?;
        Ok(plan
            .transform_down(|node| {
                let Some(exec) = node.downcast_ref::<DataSourceExec>() else {
                    return Ok(Transformed::no(node));
                };
                let fixed = FixedFileGroups::wrap(Arc::clone(exec.data_source()));
                Ok(Transformed::yes(Arc::new(
                    exec.clone().with_data_source(fixed),
                )))
            })?
            .data)
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    fn statistics(&self) -> Option<Statistics> {
        self.inner.statistics()
    }

    async fn insert_into(
        &self,
        state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.insert_into(state, input, insert_op).await
    }
}

/// A scan's data source whose file groups the optimizer may not merge:
/// everything else is the wrapped source's, and what the optimizer derives
/// from it (a limit, a projection, pushed-down filters, a sort) is wrapped
/// again.
#[derive(Debug)]
pub struct FixedFileGroups {
    inner: Arc<dyn DataSource>,
}

impl FixedFileGroups {
    pub fn wrap(inner: Arc<dyn DataSource>) -> Arc<dyn DataSource> {
        Arc::new(Self { inner })
    }
}

impl DataSource for FixedFileGroups {
    fn open(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.inner.open(partition, context)
    }

    fn open_with_args(&self, args: OpenArgs) -> Result<SendableRecordBatchStream> {
        self.inner.open_with_args(args)
    }

    fn fmt_as(&self, t: DisplayFormatType, f: &mut Formatter) -> fmt::Result {
        self.inner.fmt_as(t, f)
    }

    /// The point of this wrapper: the groups stay as planned.
    fn repartitioned(
        &self,
        _target_partitions: usize,
        _repartition_file_min_size: usize,
        _output_ordering: Option<LexOrdering>,
    ) -> Result<Option<Arc<dyn DataSource>>> {
        Ok(None)
    }

    fn output_partitioning(&self) -> Partitioning {
        self.inner.output_partitioning()
    }

    fn eq_properties(&self) -> EquivalenceProperties {
        self.inner.eq_properties()
    }

    fn scheduling_type(&self) -> SchedulingType {
        self.inner.scheduling_type()
    }

    fn partition_statistics(&self, partition: Option<usize>) -> Result<Arc<Statistics>> {
        self.inner.partition_statistics(partition)
    }

    fn with_fetch(&self, limit: Option<usize>) -> Option<Arc<dyn DataSource>> {
        self.inner.with_fetch(limit).map(Self::wrap)
    }

    fn fetch(&self) -> Option<usize> {
        self.inner.fetch()
    }

    fn metrics(&self) -> ExecutionPlanMetricsSet {
        self.inner.metrics()
    }

    fn try_swapping_with_projection(
        &self,
        projection: &ProjectionExprs,
    ) -> Result<Option<Arc<dyn DataSource>>> {
        Ok(self
            .inner
            .try_swapping_with_projection(projection)?
            .map(Self::wrap))
    }

    fn try_pushdown_filters(
        &self,
        filters: Vec<Arc<dyn PhysicalExpr>>,
        config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn DataSource>>> {
        let mut pushed = self.inner.try_pushdown_filters(filters, config)?;
        pushed.updated_node = pushed.updated_node.map(Self::wrap);
        Ok(pushed)
    }

    fn try_pushdown_sort(
        &self,
        order: &[PhysicalSortExpr],
    ) -> Result<SortOrderPushdownResult<Arc<dyn DataSource>>> {
        Ok(match self.inner.try_pushdown_sort(order)? {
            SortOrderPushdownResult::Exact { inner } => SortOrderPushdownResult::Exact {
                inner: Self::wrap(inner),
            },
            SortOrderPushdownResult::Inexact { inner } => SortOrderPushdownResult::Inexact {
                inner: Self::wrap(inner),
            },
            SortOrderPushdownResult::Unsupported => SortOrderPushdownResult::Unsupported,
        })
    }

    fn with_preserve_order(&self, preserve_order: bool) -> Option<Arc<dyn DataSource>> {
        self.inner
            .with_preserve_order(preserve_order)
            .map(Self::wrap)
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.inner.apply_expressions(f)
    }

    fn with_new_state(&self, state: Arc<dyn Any + Send + Sync>) -> Option<Arc<dyn DataSource>> {
        self.inner.with_new_state(state).map(Self::wrap)
    }

    fn create_sibling_state(&self, config: &ConfigOptions) -> Option<Arc<dyn Any + Send + Sync>> {
        self.inner.create_sibling_state(config)
    }
}

/// `SELECT * FROM 's3://bucket/file.parquet'`: DataFusion's URL tables,
/// with object-store ones wrapped in [`WideScan`].
#[derive(Debug)]
pub struct WideUrlTables {
    inner: Arc<dyn UrlTableFactory>,
    partitions: usize,
}

impl WideUrlTables {
    pub fn new(inner: Arc<dyn UrlTableFactory>, partitions: usize) -> Self {
        Self { inner, partitions }
    }
}

#[async_trait]
impl UrlTableFactory for WideUrlTables {
    async fn try_new(&self, url: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let table = self.inner.try_new(url).await?;
        Ok(match table {
            Some(t) if is_object_store_url(url) => Some(WideScan::wrap(t, self.partitions)),
            other => other,
        })
    }
}
