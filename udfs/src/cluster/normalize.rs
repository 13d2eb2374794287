//! Feature scaling before clustering.

use datafusion::common::{plan_err, Result};

/// How the feature matrix is scaled before DBSCAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Normalize {
    /// The features as they are.
    None,
    /// Each row scaled to unit Euclidean length: scikit-learn's
    /// `Normalizer()` (norm `'l2'`), which msticpy's `dbcluster_events`
    /// applies by default.
    L2,
    /// Each column centred on its mean and divided by its population
    /// standard deviation (ddof = 0), over the rows being clustered, like
    /// scikit-learn's `StandardScaler`.
    ZScore,
}

impl Normalize {
    pub fn parse(function: &str, text: &str) -> Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "none" => Ok(Normalize::None),
            "l2" => Ok(Normalize::L2),
            "zscore" => Ok(Normalize::ZScore),
            _ => plan_err!("{function}: normalize must be 'none', 'l2' or 'zscore', got '{text}'"),
        }
    }

    /// Scales the row-major `points` (`dims` values per row) in place.
    pub fn apply(self, points: &mut [f64], dims: usize) {
        match self {
            Normalize::None => {}
            Normalize::L2 => l2_rows(points, dims),
            Normalize::ZScore => zscore_columns(points, dims),
        }
    }
}

/// The sum of squares of a row in the order of numpy's
/// `einsum("ij,ij->i", X, X)` (scikit-learn's `row_norms`) on numpy >= 1.22
/// for x86-64: its baseline SIMD kernel accumulates two lanes and adds them
/// at the end, `(x0² + x2² + ...) + (x1² + x3² + ...)`. That holds for up to
/// 7 features (from 8 on numpy unrolls in another order; on ARM it fuses
/// the multiply-adds), and the order only matters once squares exceed 2^53.
fn sum_of_squares(row: &[f64]) -> f64 {
    let (mut even, mut odd) = (0.0, 0.0);
    for pair in row.chunks(2) {
        even += pair[0] * pair[0];
        if let Some(x) = pair.get(1) {
            odd += x * x;
        }
    }
    even + odd
}

/// scikit-learn's `normalize(X, norm='l2')`: `X / sqrt(row sum of
/// squares)`, where a norm below `10 * f64::EPSILON` (an all-zero row, or
/// nearly) is replaced by 1 (`_handle_zeros_in_scale`), leaving the row
/// unchanged.
fn l2_rows(points: &mut [f64], dims: usize) {
    for row in points.chunks_exact_mut(dims) {
        let mut norm = sum_of_squares(row).sqrt();
        if norm < 10.0 * f64::EPSILON {
            norm = 1.0;
        }
        for x in row {
            *x /= norm;
        }
    }
}

/// `(x - mean) / std` per column with the population standard deviation. A
/// column scikit-learn's `StandardScaler` deems constant (variance within
/// rounding error of 0) is only centred.
fn zscore_columns(points: &mut [f64], dims: usize) {
    let rows = points.len() / dims;
    if rows == 0 {
        return;
    }
    let n = rows as f64;
    for j in 0..dims {
        let mean = points[j..].iter().step_by(dims).sum::<f64>() / n;
        let var = points[j..]
            .iter()
            .step_by(dims)
            .map(|x| (x - mean) * (x - mean))
            .sum::<f64>()
            / n;
        // sklearn.preprocessing._data._is_constant_feature
        let eps = f64::EPSILON;
        let upper_bound = n * eps * var + (n * mean * eps) * (n * mean * eps);
        let scale = if var <= upper_bound { 1.0 } else { var.sqrt() };
        for x in points[j..].iter_mut().step_by(dims) {
            *x = (*x - mean) / scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l2_keeps_zero_rows() {
        let mut points = [3.0, 4.0, 0.0, 0.0, 1e-16, 0.0];
        Normalize::L2.apply(&mut points, 2);
        assert_eq!(points, [0.6, 0.8, 0.0, 0.0, 1e-16, 0.0]);
    }

    #[test]
    fn zscore_uses_population_std() {
        let mut points = [1.0, 5.0, 3.0, 5.0];
        Normalize::ZScore.apply(&mut points, 2);
        assert_eq!(points, [-1.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn parses_names() {
        assert_eq!(Normalize::parse("f", "L2").unwrap(), Normalize::L2);
        let err = Normalize::parse("f", "max").unwrap_err().to_string();
        assert!(err.contains("normalize must be 'none', 'l2' or 'zscore', got 'max'"));
    }
}
