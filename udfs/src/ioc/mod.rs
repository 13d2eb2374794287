//! Indicators of compromise in text: `extract_iocs` finds them, `ioc_type`
//! and `ioc_valid` judge one value.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod extract_iocs;
mod ioc_type;
mod ioc_valid;
mod kinds;
pub(crate) mod list;
mod scan;
mod validate;

pub use extract_iocs::ExtractIocs;
pub use ioc_type::IocType;
pub use ioc_valid::IocValid;

/// One indicator as `extract_iocs` reports it: `(ioc_type, observable,
/// original, start, end)`, offsets in code points.
pub type IocRow = (&'static str, String, String, usize, usize);

/// The per-value entry point behind `extract_iocs`, for fuzzing and
/// benchmarks: every indicator of the comma-separated `types` (the default
/// set when `None`) in `text`, as `(ioc_type, observable, original, start,
/// end)`. An unknown type is an error naming the valid ones.
pub fn extract_iocs_value(text: &str, types: Option<&str>) -> Result<Vec<IocRow>, String> {
    let kinds = match types {
        Some(list) => kinds::KindSet::parse_list(list)?,
        None => kinds::KindSet::DEFAULT,
    };
    let mut out = Vec::new();
    scan::extract(text, kinds, |ioc| {
        out.push((
            ioc.kind.name(),
            ioc.observable.to_string(),
            ioc.original.to_string(),
            ioc.start,
            ioc.end,
        ))
    });
    Ok(out)
}

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ExtractIocs::default().into()),
        Arc::new(IocType::default().into()),
        Arc::new(IocValid::default().into()),
    ]
}
