//! Arguments shared by the clustering functions: checking `eps`,
//! `min_samples` and feature values, and reserving working memory.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool, MemoryReservation};

/// [`super::dbscan::dbscan`] takes fewer than 2^31 points.
const MAX_ROWS: usize = 1 << 31;

/// DBSCAN's `eps`: a finite number > 0.
pub(crate) fn eps(function: &str, value: &ScalarValue) -> Result<f64> {
    let data_type = value.data_type();
    if value.is_null() {
        return plan_err!("{function}: eps must be a number > 0, got NULL");
    }
    if !data_type.is_numeric() {
        return plan_err!("{function}: eps must be a number > 0, got {value} ({data_type})");
    }
    let eps = match value.cast_to(&DataType::Float64)? {
        ScalarValue::Float64(Some(eps)) => eps,
        other => return plan_err!("{function}: eps must be a number > 0, got {other}"),
    };
    if eps.is_nan() || eps <= 0.0 {
        return plan_err!("{function}: eps must be > 0, got {value}");
    }
    if eps.is_infinite() {
        return plan_err!("{function}: eps must be finite, got {value}");
    }
    Ok(eps)
}

/// DBSCAN's `min_samples`: an integer >= 1.
pub(crate) fn min_samples(function: &str, value: &ScalarValue) -> Result<u64> {
    let data_type = value.data_type();
    if value.is_null() {
        return plan_err!("{function}: min_samples must be an integer >= 1, got NULL");
    }
    if !data_type.is_integer() {
        return plan_err!(
            "{function}: min_samples must be an integer >= 1, got {value} ({data_type})"
        );
    }
    if data_type.is_unsigned_integer() {
        if let ScalarValue::UInt64(Some(n)) = value.cast_to(&DataType::UInt64)? {
            if n >= 1 {
                return Ok(n);
            }
        }
    } else if let ScalarValue::Int64(Some(n)) = value.cast_to(&DataType::Int64)? {
        if n >= 1 {
            return Ok(n as u64);
        }
    }
    plan_err!("{function}: min_samples must be >= 1, got {value}")
}

/// Whether a column of this type can be a feature (numbers, booleans as
/// 0/1, NULL).
pub(crate) fn is_feature_type(data_type: &DataType) -> bool {
    match data_type {
        DataType::Boolean | DataType::Null => true,
        DataType::Dictionary(_, value) => is_feature_type(value),
        other => other.is_numeric(),
    }
}

/// A feature column as Float64 (booleans 0/1).
pub(crate) fn as_float64(array: &ArrayRef) -> Result<ArrayRef> {
    if array.data_type() == &DataType::Float64 {
        Ok(Arc::clone(array))
    } else {
        Ok(cast(array, &DataType::Float64)?)
    }
}

/// The row-major matrix of the rows where every feature is non-NULL, and
/// those rows. NaN and infinite values are an error: DBSCAN needs finite
/// coordinates (scikit-learn raises "Input X contains NaN" likewise).
pub(crate) fn feature_matrix(
    function: &str,
    features: &[ArrayRef],
    names: &dyn Fn(usize) -> String,
) -> Result<(Vec<f64>, Vec<u32>)> {
    let rows = features.first().map_or(0, |f| f.len());
    let dims = features.len();
    if rows >= MAX_ROWS {
        return exec_err!(
            "{function}: at most {} rows can be clustered at once, got {rows}",
            MAX_ROWS - 1
        );
    }
    let columns = features
        .iter()
        .map(as_float64)
        .collect::<Result<Vec<_>>>()?;
    let columns: Vec<_> = columns
        .iter()
        .map(|c| c.as_primitive::<Float64Type>())
        .collect();
    let mut valid = Vec::with_capacity(rows);
    let mut matrix = Vec::with_capacity(rows * dims);
    for row in 0..rows {
        if columns.iter().any(|c| c.is_null(row)) {
            continue;
        }
        for (j, column) in columns.iter().enumerate() {
            let value = column.value(row);
            if !value.is_finite() {
                return exec_err!(
                    "{function}: {} is {value} in row {} of the partition; \
                     DBSCAN needs finite numbers (filter the row out or replace the value)",
                    names(j),
                    row + 1
                );
            }
            matrix.push(value);
        }
        valid.push(row as u32);
    }
    Ok((matrix, valid))
}

/// Reserves `bytes` of working memory from `pool` for `function`, failing
/// with an error that names the memory limit.
pub(crate) fn reserve(
    function: &str,
    pool: &Arc<dyn MemoryPool>,
    rows: usize,
    bytes: usize,
) -> Result<MemoryReservation> {
    let reservation = MemoryConsumer::new(function).register(pool);
    // Kept a ResourcesExhausted error underneath, which huntsql reports as
    // "more memory than the memory limit allows".
    reservation.try_grow(bytes).map_err(|e| {
        e.context(format!(
            "{function}: clustering {rows} rows needs about {bytes} bytes of working memory, \
             more than the session's memory limit allows \
             (datafusion.runtime.memory_limit; cluster smaller partitions)"
        ))
    })?;
    Ok(reservation)
}
