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

/// The type of the whole of `value` and its normalised (refanged) form, as
/// `ioc_type` judges it: `Some(("url", "https://evil.com/x"))` for
/// `hxxps://evil[.]com/x`, `None` when the value is no indicator. Used by
/// the threat-intelligence lookups to pick an API endpoint.
pub fn classify_observable(value: &str) -> Option<(&'static str, String)> {
    let value = value.trim();
    let kind = validate::classify(value)?;
    let len = value.chars().count();
    let mut observable = None;
    scan::extract(value, kinds::KindSet::only(kind), |ioc| {
        if observable.is_none() && ioc.start == 0 && ioc.end == len {
            observable = Some(ioc.observable.to_string());
        }
    });
    Some((kind.name(), observable.unwrap_or_else(|| value.to_string())))
}

/// Whether the whole of `value` is an indicator of the type named
/// `ioc_type` (any name `ioc_valid` accepts); an unknown name is an error
/// naming the valid ones.
pub fn observable_is(value: &str, ioc_type: &str) -> Result<bool, String> {
    let kind = validate::ValidType::parse(ioc_type)?;
    Ok(validate::is_valid(value, kind))
}

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ExtractIocs::default().into()),
        Arc::new(IocType::default().into()),
        Arc::new(IocValid::default().into()),
    ]
}
