//! Turns engine errors into one line a hunter can act on.

use datafusion::error::DataFusionError;

/// One line: what went wrong, and where useful what to do.
pub fn describe(error: &DataFusionError, memory_limit: Option<usize>) -> String {
    let root = error.find_root();
    let text = match root {
        DataFusionError::ResourcesExhausted(detail) => {
            let limit = memory_limit
                .map(|b| format!(" ({})", human_bytes(b)))
                .unwrap_or_default();
            format!(
                "the query needs more memory than the memory limit{limit} allows: {}; raise --memory-limit, or filter or aggregate earlier",
                first_sentence(detail)
            )
        }
        DataFusionError::SQL(parser_error, _) => format!("SQL syntax error: {parser_error}"),
        _ => error.strip_backtrace(),
    };
    one_line(&text)
}

fn first_sentence(text: &str) -> &str {
    text.split(". ").next().unwrap_or(text).trim_end_matches('.')
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
                "Failed to allocate 10 MB for ExternalSorter. Top consumers: ...".into(),
            )),
        );
        let line = describe(&e, Some(4 << 30));
        assert!(line.contains("4.0 GiB") && line.contains("--memory-limit"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn multi_line_errors_become_one_line() {
        let e = DataFusionError::Plan("first\n  second\n".into());
        assert_eq!(describe(&e, None), "Error during planning: first second");
    }
}
