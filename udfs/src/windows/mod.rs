//! Windows event field helpers.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod logon_type_name;
mod sid_type;

pub use logon_type_name::LogonTypeName;
pub use sid_type::SidType;

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(LogonTypeName::default().into()),
        Arc::new(SidType::default().into()),
    ]
}
