//! `dbscan_cluster(eps, min_samples, normalize, feature1 [, ...]) OVER (...)`:
//! scikit-learn's DBSCAN labels as a window function.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Builder};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{plan_err, Result, ScalarValue};
use datafusion::execution::memory_pool::MemoryPool;
use datafusion::logical_expr::function::{
    ExpressionArgs, PartitionEvaluatorArgs, WindowUDFFieldArgs,
};
use datafusion::logical_expr::{
    Documentation, PartitionEvaluator, Signature, Volatility, WindowUDFImpl,
};
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_expr::PhysicalExpr;
use datafusion_macros::user_doc;

use super::args::{self, is_feature_type};
use super::dbscan::{dbscan, working_memory};
use super::normalize::Normalize;

const NAME: &str = "dbscan_cluster";

/// Where a function finds the session's memory pool when it runs (the pool
/// changes with `SET datafusion.runtime.memory_limit`).
#[derive(Clone, Default)]
pub struct MemoryPoolSource(Option<Arc<PoolLookup>>);

type PoolLookup = dyn Fn() -> Option<Arc<dyn MemoryPool>> + Send + Sync;

impl MemoryPoolSource {
    pub fn new(source: impl Fn() -> Option<Arc<dyn MemoryPool>> + Send + Sync + 'static) -> Self {
        MemoryPoolSource(Some(Arc::new(source)))
    }

    fn pool(&self) -> Option<Arc<dyn MemoryPool>> {
        self.0.as_ref().and_then(|source| source())
    }
}

impl fmt::Debug for MemoryPoolSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "MemoryPoolSource(session)"
        } else {
            "MemoryPoolSource(none)"
        })
    }
}

#[user_doc(
    doc_section(label = "Clustering Functions"),
    description = r#"DBSCAN cluster of each row of the window partition, as a window function: the label `sklearn.cluster.DBSCAN(eps, min_samples).fit(X).labels_` gives the row, numbering included (clusters are numbered 0, 1, ... in the order of their first row; -1 is noise). Two rows are neighbours when the Euclidean distance of their (scaled) features is at most `eps`, a row counts itself towards `min_samples`, and a row that is not core but within `eps` of core rows of several clusters takes the lowest-numbered one, as in scikit-learn. Rows with a NULL feature get NULL and take no part; NaN or infinite features are an error. The window's `ORDER BY` fixes the row order (scikit-learn's row index order) and so the numbering; without it rows are taken as they arrive. The window frame is ignored: every row sees its whole partition, which is held in memory (the session's memory limit applies). msticpy's `dbcluster_events` clusters with `normalize = 'l2'`."#,
    syntax_example = "dbscan_cluster(eps, min_samples, normalize, feature1[, feature2, ...]) OVER ([PARTITION BY ...] [ORDER BY ...])",
    sql_example = r#"```sql
> SELECT id, dbscan_cluster(1.5, 2, 'none', x, y) OVER (ORDER BY id) AS cluster FROM (VALUES (1, 10, 10), (2, 0, 0), (3, 11, 10), (4, 1, 1), (5, 50, 50)) AS t(id, x, y) ORDER BY id;
+----+---------+
| id | cluster |
+----+---------+
| 1  | 0       |
| 2  | 1       |
| 3  | 0       |
| 4  | 1       |
| 5  | -1      |
+----+---------+
```"#,
    argument(
        name = "eps",
        description = "Largest distance between two neighbours, a number literal > 0 (scikit-learn's `eps`, msticpy's `max_cluster_distance`)."
    ),
    argument(
        name = "min_samples",
        description = "Integer literal >= 1: the neighbours (the row itself included) a core row needs (scikit-learn's `min_samples`, msticpy's `min_cluster_samples`)."
    ),
    argument(
        name = "normalize",
        description = "String literal: `'none'`; `'l2'` scales each row's features to unit Euclidean length (scikit-learn's `Normalizer`: an all-zero row, or one of length below 2.2e-15, stays as it is); `'zscore'` centres each feature on its mean over the partition and divides by its population standard deviation (ddof = 0, like `StandardScaler`; a constant feature is only centred)."
    ),
    argument(
        name = "feature1, feature2, ...",
        description = "Numeric expressions (booleans count as 0/1)."
    )
)]
#[derive(Debug)]
pub struct DbscanCluster {
    signature: Signature,
    memory: MemoryPoolSource,
}

impl Default for DbscanCluster {
    fn default() -> Self {
        Self::new(MemoryPoolSource::default())
    }
}

impl DbscanCluster {
    /// A `dbscan_cluster` that reserves its working memory in the pool
    /// `memory` gives.
    pub fn new(memory: MemoryPoolSource) -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
            memory,
        }
    }
}

impl PartialEq for DbscanCluster {
    fn eq(&self, other: &Self) -> bool {
        self.signature == other.signature
            && match (&self.memory.0, &other.memory.0) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for DbscanCluster {}

impl Hash for DbscanCluster {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.signature.hash(state);
    }
}

/// The value of a literal argument, or an error naming it.
fn literal<'a>(
    exprs: &'a [Arc<dyn PhysicalExpr>],
    index: usize,
    name: &str,
) -> Result<&'a ScalarValue> {
    match exprs.get(index) {
        Some(expr) => match expr.downcast_ref::<Literal>() {
            Some(literal) => Ok(literal.value()),
            None => plan_err!("{NAME}: {name} must be a literal, got {expr}"),
        },
        None => plan_err!("{NAME}: missing argument {name}"),
    }
}

fn feature_name(j: usize) -> String {
    format!("feature{} (argument {})", j + 1, j + 4)
}

impl WindowUDFImpl for DbscanCluster {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() < 4 {
            return plan_err!(
                "{NAME}: expected (eps, min_samples, normalize, feature1 [, feature2 ...]), \
                 got {} arguments",
                arg_types.len()
            );
        }
        let mut types = arg_types[..3].to_vec();
        if !(arg_types[0].is_numeric() || arg_types[0] == DataType::Null) {
            return plan_err!("{NAME}: eps must be a number > 0, got {}", arg_types[0]);
        }
        if !(arg_types[1].is_integer() || arg_types[1] == DataType::Null) {
            return plan_err!(
                "{NAME}: min_samples must be an integer >= 1, got {}",
                arg_types[1]
            );
        }
        if !matches!(
            arg_types[2],
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
        ) {
            return plan_err!(
                "{NAME}: normalize must be 'none', 'l2' or 'zscore', got a {}",
                arg_types[2]
            );
        }
        for (j, data_type) in arg_types[3..].iter().enumerate() {
            if !is_feature_type(data_type) {
                return plan_err!(
                    "{NAME}: {} must be numeric or boolean, got {data_type}",
                    feature_name(j)
                );
            }
            types.push(DataType::Float64);
        }
        Ok(types)
    }

    /// Only the features are evaluated per row; `eps`, `min_samples` and
    /// `normalize` are read once from their literals.
    fn expressions(&self, expr_args: ExpressionArgs) -> Vec<Arc<dyn PhysicalExpr>> {
        expr_args.input_exprs().iter().skip(3).cloned().collect()
    }

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        let exprs = args.input_exprs();
        let eps = args::eps(NAME, literal(exprs, 0, "eps")?)?;
        let min_samples = args::min_samples(NAME, literal(exprs, 1, "min_samples")?)?;
        let normalize = match literal(exprs, 2, "normalize")? {
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)) => Normalize::parse(NAME, s)?,
            other => {
                return plan_err!("{NAME}: normalize must be 'none', 'l2' or 'zscore', got {other}")
            }
        };
        if exprs.len() < 4 {
            return plan_err!("{NAME}: needs at least one feature");
        }
        Ok(Box::new(DbscanEvaluator {
            eps,
            min_samples,
            normalize,
            memory: self.memory.pool(),
        }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            field_args.name(),
            DataType::Int64,
            true,
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[derive(Debug)]
struct DbscanEvaluator {
    eps: f64,
    min_samples: u64,
    normalize: Normalize,
    memory: Option<Arc<dyn MemoryPool>>,
}

impl PartitionEvaluator for DbscanEvaluator {
    fn evaluate_all(&mut self, features: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let dims = features.len();
        let _reservation = match &self.memory {
            Some(pool) => Some(args::reserve(
                NAME,
                pool,
                num_rows,
                working_memory(num_rows, dims),
            )?),
            None => None,
        };
        let (mut points, rows) = args::feature_matrix(NAME, features, &feature_name)?;
        self.normalize.apply(&mut points, dims);
        let labels = dbscan(&points, dims, self.eps, self.min_samples);

        let mut builder = Int64Builder::with_capacity(num_rows);
        let mut next = 0;
        for (&row, &label) in rows.iter().zip(&labels) {
            builder.append_nulls(row as usize - next);
            builder.append_value(label);
            next = row as usize + 1;
        }
        builder.append_nulls(num_rows - next);
        Ok(Arc::new(builder.finish()))
    }
}
