//! `dbcluster_events(table_name, columns [, eps, min_samples, normalize,
//! time_column])`: msticpy's `dbcluster_events` as a table function.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, TimestampNanosecondArray,
    UInt32Array,
};
use datafusion::arrow::compute::{cast, concat_batches, take};
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit, TimestampNanosecondType,
};
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::datasource::{MemTable, TableType};
use datafusion::logical_expr::{DocSection, Documentation, Expr};
use datafusion::physical_plan::{collect_partitioned, ExecutionPlan};

use super::args::{self, is_feature_type};
use super::dbscan::{dbscan, working_memory, NOISE};
use super::normalize::Normalize;
use crate::table_utils::{session_state, table_by_name};

const NAME: &str = "dbcluster_events";

/// msticpy's defaults (`max_cluster_distance`, `min_cluster_samples`,
/// `normalize`); the time column is Sentinel's.
const DEFAULT_EPS: f64 = 0.01;
const DEFAULT_MIN_SAMPLES: u64 = 2;
const DEFAULT_TIME_COLUMN: &str = "TimeGenerated";

/// The columns msticpy's `_merge_clustered_items` assigns, in its order.
const CLUSTERED: usize = 0;
const CLUSTER_ID: usize = 1;
const CLUSTER_SIZE: usize = 2;
const TIME_GENERATED: usize = 3;
const FIRST_EVENT_TIME: usize = 4;
const LAST_EVENT_TIME: usize = 5;
const ASSIGNED: [&str; 6] = [
    "Clustered",
    "ClusterId",
    "ClusterSize",
    "TimeGenerated",
    "FirstEventTime",
    "LastEventTime",
];

#[derive(Debug, Default)]
pub struct DbclusterEvents;

pub(crate) fn documentation() -> Documentation {
    Documentation::builder(
        DocSection {
            include: true,
            label: "Clustering Functions",
            description: None,
        },
        "msticpy's `dbcluster_events`: clusters the rows of a table with DBSCAN on the numeric \
         (or boolean) `columns` (see `dbscan_cluster`, same labels) and returns one row per \
         cluster, its first row in the table's order, plus every noise row, with msticpy's \
         columns: `Clustered` (false for noise), `ClusterId` (-1 for noise), `ClusterSize` (1 \
         for noise), `TimeGenerated`, `FirstEventTime`, `LastEventTime`. Rows come in msticpy's \
         order: the noise rows in table order, then the clusters by `ClusterId`. Times are \
         nanosecond timestamps, in UTC when the time column has a time zone. As in msticpy, the \
         new columns replace same-named columns in place and are appended otherwise, and \
         `TimeGenerated` is overwritten with the first time of the row's cluster whatever the \
         time column. msticpy's quirk, copied here only: noise rows are treated as one set, so \
         every noise row gets the earliest noise time as `TimeGenerated` and `FirstEventTime` \
         and the latest as `LastEventTime`, not its own time (`dbscan_cluster` has no such \
         quirk). `LastEventTime` is NULL when a member's time is NULL (pandas sorts missing times \
         last). A NULL, NaN or infinite feature is an error, as in scikit-learn. The table is \
         read in one partition, in its scan order (which fixes the cluster numbering), and the \
         result is computed eagerly into an in-memory table when the query is planned, within \
         the session's memory limit. An empty table gives no rows (msticpy fails).",
        "dbcluster_events(table_name, columns[, eps[, min_samples[, normalize[, time_column]]]])",
    )
    .with_sql_example(
        r#"```sql
> CREATE TABLE cluster_demo (TimeGenerated TIMESTAMP, Host VARCHAR, x INT, y INT) AS VALUES ('2024-01-01T10:00:00', 'a', 10, 10), ('2024-01-01T10:05:00', 'b', 0, 0), ('2024-01-01T10:10:00', 'c', 11, 10), ('2024-01-01T10:15:00', 'd', 1, 1), ('2024-01-01T10:20:00', 'e', 50, 50), ('2024-01-01T10:25:00', 'f', -40, 7);
> SELECT Host, Clustered, ClusterId, ClusterSize, TimeGenerated, FirstEventTime, LastEventTime FROM dbcluster_events('cluster_demo', 'x, y', 1.5, 2, 'none');
+------+-----------+-----------+-------------+---------------------+---------------------+---------------------+
| Host | Clustered | ClusterId | ClusterSize | TimeGenerated       | FirstEventTime      | LastEventTime       |
+------+-----------+-----------+-------------+---------------------+---------------------+---------------------+
| e    | false     | -1        | 1           | 2024-01-01T10:20:00 | 2024-01-01T10:20:00 | 2024-01-01T10:25:00 |
| f    | false     | -1        | 1           | 2024-01-01T10:20:00 | 2024-01-01T10:20:00 | 2024-01-01T10:25:00 |
| a    | true      | 0         | 2           | 2024-01-01T10:00:00 | 2024-01-01T10:00:00 | 2024-01-01T10:10:00 |
| b    | true      | 1         | 2           | 2024-01-01T10:05:00 | 2024-01-01T10:05:00 | 2024-01-01T10:15:00 |
+------+-----------+-----------+-------------+---------------------+---------------------+---------------------+
```"#,
    )
    .with_argument("table_name", "Name of a table or view, as a string literal.")
    .with_argument(
        "columns",
        "String literal: the comma-separated names of the feature columns (msticpy's \
         `cluster_columns`), numeric or boolean.",
    )
    .with_argument(
        "eps",
        "Largest distance between two neighbours, a number literal > 0; default 0.01 \
         (msticpy's `max_cluster_distance`).",
    )
    .with_argument(
        "min_samples",
        "Integer literal >= 1, default 2 (msticpy's `min_cluster_samples`).",
    )
    .with_argument(
        "normalize",
        "`'l2'` (default: msticpy's `normalize=True`, scikit-learn's `Normalizer`), `'none'` or \
         `'zscore'` (see `dbscan_cluster`); `true` and `false` are taken as `'l2'` and `'none'`.",
    )
    .with_argument(
        "time_column",
        "Name of the timestamp column for the first and last event times, default \
         `'TimeGenerated'` (msticpy's own default is `TimeCreatedUtc`).",
    )
    .build()
}

fn string_literal(expr: &Expr, argument: &str) -> Result<String> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Ok(s.clone()),
        other => plan_err!("{NAME}: {argument} must be a string literal, got {other}"),
    }
}

fn scalar_literal<'a>(expr: &'a Expr, argument: &str) -> Result<&'a ScalarValue> {
    match expr {
        Expr::Literal(value, _) => Ok(value),
        other => plan_err!("{NAME}: {argument} must be a literal, got {other}"),
    }
}

/// The time type of the output: pandas' `datetime64[ns, UTC]` for a column
/// with a time zone, `datetime64[ns]` otherwise.
fn output_time_type(column: &str, input: &DataType) -> Result<DataType> {
    match input {
        DataType::Timestamp(_, tz) => Ok(DataType::Timestamp(
            TimeUnit::Nanosecond,
            tz.as_ref().map(|_| "UTC".into()),
        )),
        DataType::Date32 | DataType::Date64 => Ok(DataType::Timestamp(TimeUnit::Nanosecond, None)),
        other => plan_err!("{NAME}: time column '{column}' must be a timestamp, got {other}"),
    }
}

impl TableFunctionImpl for DbclusterEvents {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if !(2..=6).contains(&exprs.len()) {
            return plan_err!(
                "{NAME}: expected (table_name, columns [, eps [, min_samples [, normalize \
                 [, time_column]]]]), got {} arguments",
                exprs.len()
            );
        }
        let table_name = string_literal(&exprs[0], "table_name")?;
        let columns = string_literal(&exprs[1], "columns")?;
        let eps = match exprs.get(2) {
            Some(expr) => args::eps(NAME, scalar_literal(expr, "eps")?)?,
            None => DEFAULT_EPS,
        };
        let min_samples = match exprs.get(3) {
            Some(expr) => args::min_samples(NAME, scalar_literal(expr, "min_samples")?)?,
            None => DEFAULT_MIN_SAMPLES,
        };
        let normalize = match exprs
            .get(4)
            .map(|e| scalar_literal(e, "normalize"))
            .transpose()?
        {
            None => Normalize::L2,
            Some(ScalarValue::Boolean(Some(true))) => Normalize::L2,
            Some(ScalarValue::Boolean(Some(false))) => Normalize::None,
            Some(
                ScalarValue::Utf8(Some(s))
                | ScalarValue::LargeUtf8(Some(s))
                | ScalarValue::Utf8View(Some(s)),
            ) => Normalize::parse(NAME, s)?,
            Some(other) => {
                return plan_err!("{NAME}: normalize must be 'none', 'l2' or 'zscore', got {other}")
            }
        };
        let time_column = match exprs.get(5) {
            Some(expr) => string_literal(expr, "time_column")?,
            None => DEFAULT_TIME_COLUMN.to_string(),
        };

        let state = session_state(NAME, args.session())?;
        let (_, input) = table_by_name(NAME, state, &table_name)?;
        let input_schema = input.schema();
        let index_of = |name: &str| -> Result<usize> {
            match input_schema.index_of(name) {
                Ok(i) => Ok(i),
                Err(_) => plan_err!(
                    "{NAME}: table '{table_name}' has no column '{name}' (it has: {})",
                    input_schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        };

        let mut features = Vec::new();
        for name in columns.split(',').map(str::trim) {
            if name.is_empty() {
                return plan_err!(
                    "{NAME}: columns must be a comma-separated list of column names, got '{columns}'"
                );
            }
            let i = index_of(name)?;
            let data_type = input_schema.field(i).data_type();
            if !is_feature_type(data_type) {
                return plan_err!(
                    "{NAME}: column '{name}' must be numeric or boolean, got {data_type}"
                );
            }
            features.push(i);
        }
        let time = index_of(&time_column)?;
        let time_type = output_time_type(&time_column, input_schema.field(time).data_type())?;

        // msticpy's `assign`: existing columns are replaced in place, new
        // ones appended in assignment order.
        let assigned_fields: Vec<FieldRef> = ASSIGNED
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let (data_type, nullable) = match k {
                    CLUSTERED => (DataType::Boolean, false),
                    CLUSTER_ID | CLUSTER_SIZE => (DataType::Int64, false),
                    _ => (time_type.clone(), true),
                };
                Arc::new(Field::new(*name, data_type, nullable))
            })
            .collect();
        let mut layout = Vec::new();
        let mut fields = Vec::new();
        for (i, field) in input_schema.fields().iter().enumerate() {
            match ASSIGNED.iter().position(|name| name == field.name()) {
                Some(k) => {
                    layout.push(Column::Assigned(k));
                    fields.push(Arc::clone(&assigned_fields[k]));
                }
                None => {
                    layout.push(Column::Input(i));
                    fields.push(Arc::clone(field));
                }
            }
        }
        for (k, field) in assigned_fields.iter().enumerate() {
            if !layout.contains(&Column::Assigned(k)) {
                layout.push(Column::Assigned(k));
                fields.push(Arc::clone(field));
            }
        }

        Ok(Arc::new(DbclusterEventsTable {
            input,
            features,
            time,
            time_type,
            eps,
            min_samples,
            normalize,
            layout,
            schema: Arc::new(Schema::new(fields)),
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Input(usize),
    Assigned(usize),
}

#[derive(Debug)]
struct DbclusterEventsTable {
    input: Arc<dyn TableProvider>,
    features: Vec<usize>,
    time: usize,
    time_type: DataType,
    eps: f64,
    min_samples: u64,
    normalize: Normalize,
    layout: Vec<Column>,
    schema: SchemaRef,
}

/// First and last event time of a group of rows, as msticpy takes them from
/// `sort_values(time_column)`: missing times sort last.
#[derive(Debug, Clone, Copy, Default)]
struct Times {
    first: Option<i64>,
    last: Option<i64>,
    missing: bool,
}

impl Times {
    fn add(&mut self, time: Option<i64>) {
        match time {
            Some(t) => {
                self.first = Some(self.first.map_or(t, |f| f.min(t)));
                self.last = Some(self.last.map_or(t, |l| l.max(t)));
            }
            None => self.missing = true,
        }
    }

    fn last(&self) -> Option<i64> {
        if self.missing {
            None
        } else {
            self.last
        }
    }
}

impl DbclusterEventsTable {
    /// Reads the whole input in one partition, in its scan order.
    async fn read_input(&self, session: &dyn Session) -> Result<RecordBatch> {
        // A copy of the session planning for one partition. (Not rebuilt
        // with SessionStateBuilder, which would replace the default catalog
        // that the copy shares with the session.)
        let mut single = session_state(NAME, session)?.clone();
        single
            .config_mut()
            .options_mut()
            .execution
            .target_partitions = 1;
        let plan = self.input.scan(&single, None, &[], None).await?;
        let schema = plan.schema();
        let partitions = collect_partitioned(plan, single.task_ctx()).await?;
        let batches: Vec<RecordBatch> = partitions.into_iter().flatten().collect();
        Ok(concat_batches(&schema, &batches)?)
    }

    fn cluster(&self, session: &dyn Session, input: &RecordBatch) -> Result<RecordBatch> {
        let rows = input.num_rows();
        let dims = self.features.len();
        let _reservation = args::reserve(
            NAME,
            &session.runtime_env().memory_pool,
            rows,
            input.get_array_memory_size() + working_memory(rows, dims),
        )?;
        let schema = input.schema();
        let features: Vec<ArrayRef> = self
            .features
            .iter()
            .map(|&i| Arc::clone(input.column(i)))
            .collect();
        for (&i, feature) in self.features.iter().zip(&features) {
            if let Some(row) = (0..rows).find(|&row| feature.is_null(row)) {
                return exec_err!(
                    "{NAME}: column '{}' is NULL in row {}; DBSCAN needs a value in every row \
                     (filter the rows out or coalesce the column in a view)",
                    schema.field(i).name(),
                    row + 1
                );
            }
        }
        let names = |j: usize| format!("column '{}'", schema.field(self.features[j]).name());
        let (mut points, _) = args::feature_matrix(NAME, &features, &names)?;
        self.normalize.apply(&mut points, dims);
        let labels = dbscan(&points, dims, self.eps, self.min_samples);

        let times = cast(input.column(self.time), &self.time_type)?;
        let times = times.as_primitive::<TimestampNanosecondType>();
        // Group g = label + 1: 0 is noise, k + 1 cluster k.
        let groups = labels.iter().max().map_or(0, |&k| (k + 2) as usize);
        let mut size = vec![0i64; groups];
        let mut first_row = vec![u32::MAX; groups];
        let mut group_times = vec![Times::default(); groups];
        for (row, &label) in labels.iter().enumerate() {
            let g = (label + 1) as usize;
            size[g] += 1;
            first_row[g] = first_row[g].min(row as u32);
            group_times[g].add(times.is_valid(row).then(|| times.value(row)));
        }

        // msticpy's row order: noise rows, then each cluster's first row.
        let mut take_rows: Vec<u32> = Vec::new();
        let mut row_group: Vec<usize> = Vec::new();
        for (row, &label) in labels.iter().enumerate() {
            if label == NOISE {
                take_rows.push(row as u32);
                row_group.push(0);
            }
        }
        for (g, &row) in first_row.iter().enumerate().skip(1) {
            take_rows.push(row);
            row_group.push(g);
        }
        let indices = UInt32Array::from(take_rows);
        let tz = match &self.time_type {
            DataType::Timestamp(_, tz) => tz.clone(),
            _ => None,
        };
        let time_array = |value: &dyn Fn(&Times) -> Option<i64>| -> ArrayRef {
            Arc::new(
                TimestampNanosecondArray::from(
                    row_group
                        .iter()
                        .map(|&g| value(&group_times[g]))
                        .collect::<Vec<_>>(),
                )
                .with_timezone_opt(tz.clone()),
            )
        };
        let mut columns = Vec::with_capacity(self.layout.len());
        for column in &self.layout {
            columns.push(match *column {
                Column::Input(i) => take(input.column(i), &indices, None)?,
                Column::Assigned(CLUSTERED) => Arc::new(BooleanArray::from(
                    row_group.iter().map(|&g| g != 0).collect::<Vec<_>>(),
                )) as ArrayRef,
                Column::Assigned(CLUSTER_ID) => Arc::new(Int64Array::from(
                    row_group.iter().map(|&g| g as i64 - 1).collect::<Vec<_>>(),
                )),
                Column::Assigned(CLUSTER_SIZE) => Arc::new(Int64Array::from(
                    row_group
                        .iter()
                        .map(|&g| if g == 0 { 1 } else { size[g] })
                        .collect::<Vec<_>>(),
                )),
                Column::Assigned(TIME_GENERATED | FIRST_EVENT_TIME) => time_array(&|t| t.first),
                Column::Assigned(LAST_EVENT_TIME) => time_array(&|t| t.last()),
                Column::Assigned(k) => return exec_err!("{NAME}: unknown column {k}"),
            });
        }
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }
}

#[async_trait]
impl TableProvider for DbclusterEventsTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        session: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = self.read_input(session).await?;
        let output = self.cluster(session, &input)?;
        MemTable::try_new(Arc::clone(&self.schema), vec![vec![output]])?
            .scan(session, projection, filters, limit)
            .await
    }
}
