//! Text functions for indicators.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod defang;
pub(crate) mod refang;
mod shannon_entropy;

pub use defang::Defang;
pub use refang::Refang;
pub use shannon_entropy::ShannonEntropy;

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ShannonEntropy::default().into()),
        Arc::new(Refang::default().into()),
        Arc::new(Defang::default().into()),
    ]
}
