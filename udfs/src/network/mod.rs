//! IP address functions.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod ip;
mod ip_in_cidr;
mod ip_is_private;
mod ip_to_int;
mod ip_type;

pub use ip_in_cidr::IpInCidr;
pub use ip_is_private::IpIsPrivate;
pub use ip_to_int::IpToInt;
pub use ip_type::IpType;

pub(crate) use ip::parse_ip as parse_ip_address;

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(IpType::default().into()),
        Arc::new(IpIsPrivate::default().into()),
        Arc::new(IpInCidr::default().into()),
        Arc::new(IpToInt::default().into()),
    ]
}
