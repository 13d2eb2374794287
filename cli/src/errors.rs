//! Turns engine errors into one line a hunter can act on.

use datafusion::error::DataFusionError;
use huntsql_engine::huntsql_connectors::object_store;

/// One line: what went wrong, and where useful what to do.
pub fn describe(error: &DataFusionError, memory_limit: Option<usize>) -> String {
    if let Some(advice) = huntsql_engine::async_misuse_advice(error) {
        return advice;
    }
    let root = error.find_root();
    let text = match root {
        DataFusionError::ResourcesExhausted(detail) => {
            let limit = memory_limit
                .map(|b| format!(" ({})", human_bytes(b)))
                .unwrap_or_default();
            format!(
                "the query needs more memory than the memory limit{limit} allows ({}); raise --memory-limit, or filter or aggregate earlier",
                allocation_failure(detail)
            )
        }
        DataFusionError::SQL(parser_error, _) => {
            let text = parser_error.to_string();
            let text = text.strip_prefix("sql parser error: ").unwrap_or(&text);
            format!("SQL syntax error: {text}")
        }
        _ => {
            let mut text = error.strip_backtrace();
            // DataFusion's category prefixes say nothing a hunter can act on.
            for prefix in ["Error during planning: ", "Execution error: "] {
                if let Some(rest) = text.strip_prefix(prefix) {
                    text = rest.to_string();
                }
            }
            if text.contains("not found") && text.starts_with("table '") {
                text.push_str("; \\d lists the tables");
            }
            text
        }
    };
    let mut text = one_line(&text);
    // Elasticsearch errors carry their own advice; the object-store hints
    // (connection refused...) would point at the wrong settings.
    let from_elasticsearch =
        text.contains("elasticsearch http") || text.contains("elasticsearch: ");
    if let Some(hint) = object_store::hint(&text).filter(|_| !from_elasticsearch) {
        text.push_str("; ");
        text.push_str(hint);
    }
    // Never print a secret an object-store option held.
    object_store::redact_secrets(&text)
}

/// The operator and amount from DataFusion's long memory report.
fn allocation_failure(detail: &str) -> &str {
    let core = detail
        .find("Failed to allocate")
        .map_or(detail, |i| &detail[i..]);
    core.split(" - ")
        .next()
        .unwrap_or(core)
        .trim_end_matches('.')
}

/// Joins the lines of a multi-line message.
fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// `4294967296` → `4.0 GiB`.
pub fn human_bytes(bytes: usize) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_errors_name_the_limit_and_the_remedy() {
        let e = DataFusionError::Context(
            "while sorting".into(),
            Box::new(DataFusionError::ResourcesExhausted(
                "Additional allocation failed with top memory consumers: X. Error: Failed to allocate additional 10 MB for ExternalSorter with 1 MB already allocated - 5 KB remain".into(),
            )),
        );
        let line = describe(&e, Some(4 << 30));
        assert!(
            line.contains("4.0 GiB") && line.contains("--memory-limit"),
            "{line}"
        );
        assert!(line.contains("(Failed to allocate additional 10 MB for ExternalSorter with 1 MB already allocated)"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn multi_line_errors_become_one_line() {
        let e = DataFusionError::Plan("first\n  second\n".into());
        assert_eq!(describe(&e, None), "first second");
        let e = DataFusionError::Plan("table 'huntsql.public.x' not found".into());
        assert_eq!(
            describe(&e, None),
            "table 'huntsql.public.x' not found; \\d lists the tables"
        );
    }

    #[test]
    fn elasticsearch_errors_get_no_object_store_hint() {
        let e = DataFusionError::Execution(
            "elasticsearch http://127.0.0.1:1: GET /: cannot connect (tcp connect error: Connection refused); check the url and that the cluster is up".into(),
        );
        let line = describe(&e, None);
        assert!(
            line.contains("check the url") && !line.contains("object store"),
            "{line}"
        );
        let e = DataFusionError::Execution("s3: tcp connect error: Connection refused".into());
        assert!(describe(&e, None).contains("object store"));
    }
}
