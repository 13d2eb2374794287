//! URL and domain name functions.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

pub(crate) mod domain;
mod domain_suffix;
mod parse_url;
mod registered_domain;
mod url_host;
mod url_parts;

pub use domain_suffix::DomainSuffix;
pub use parse_url::ParseUrl;
pub use registered_domain::RegisteredDomain;
pub use url_host::UrlHost;

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ParseUrl::default().into()),
        Arc::new(UrlHost::default().into()),
        Arc::new(RegisteredDomain::default().into()),
        Arc::new(DomainSuffix::default().into()),
    ]
}
