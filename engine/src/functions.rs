//! The function catalogue behind `\df`, completion and documentation tests.

use std::any::Any;
use std::fmt;

use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::async_udf::AsyncScalarUDF;
use datafusion::logical_expr::Documentation;

/// What kind of function a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FunctionKind {
    Scalar,
    /// A scalar function that calls out (e.g. to a web API) and runs batched.
    AsyncScalar,
    Aggregate,
    Window,
    Table,
}

impl fmt::Display for FunctionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FunctionKind::Scalar => "scalar",
            FunctionKind::AsyncScalar => "async scalar",
            FunctionKind::Aggregate => "aggregate",
            FunctionKind::Window => "window",
            FunctionKind::Table => "table",
        })
    }
}

/// A function and its documentation, if it has any.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    pub name: String,
    pub kind: FunctionKind,
    pub documentation: Option<Documentation>,
}

impl FunctionInfo {
    /// The section of the documentation the function belongs to.
    pub fn section(&self) -> &str {
        self.documentation
            .as_ref()
            .map(|d| d.doc_section.label)
            .unwrap_or("Other Functions")
    }

    /// Whether `pattern` selects this function: a case-insensitive substring,
    /// or, when it has a `%`, a SQL LIKE pattern (`%` and `_`).
    pub fn matches(&self, pattern: &str) -> bool {
        let name = self.name.to_ascii_lowercase();
        let pattern = pattern.to_ascii_lowercase();
        if pattern.contains('%') {
            like(&name, &pattern)
        } else {
            name.contains(&pattern)
        }
    }
}

/// SQL LIKE matching (`%` any run, `_` one character), no escapes.
fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Iterative matcher with one backtrack point: linear in practice.
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '%')
}

/// Every function in `state`, plus the documentation huntsql keeps beside
/// (table functions, async scalar functions), sorted by name then kind.
pub fn list(state: &SessionState, table_docs: &[(String, Documentation)]) -> Vec<FunctionInfo> {
    let mut out = Vec::new();
    for (name, udf) in state.scalar_functions() {
        let inner: &dyn Any = udf.inner().as_ref();
        let kind = if inner.is::<AsyncScalarUDF>() {
            FunctionKind::AsyncScalar
        } else {
            FunctionKind::Scalar
        };
        // DataFusion's async wrapper does not pass its function's
        // documentation on; the session keeps it beside.
        let documentation = udf
            .documentation()
            .cloned()
            .or_else(|| extra_docs(table_docs, name));
        out.push(FunctionInfo {
            name: name.clone(),
            kind,
            documentation,
        });
    }
    for (name, udaf) in state.aggregate_functions() {
        out.push(FunctionInfo {
            name: name.clone(),
            kind: FunctionKind::Aggregate,
            documentation: udaf.documentation().cloned(),
        });
    }
    for (name, udwf) in state.window_functions() {
        out.push(FunctionInfo {
            name: name.clone(),
            kind: FunctionKind::Window,
            documentation: udwf.documentation().cloned(),
        });
    }
    for name in state.table_functions().keys() {
        let documentation = extra_docs(table_docs, name);
        out.push(FunctionInfo {
            name: name.clone(),
            kind: FunctionKind::Table,
            documentation,
        });
    }
    out.sort_by(|a, b| (&a.name, a.kind).cmp(&(&b.name, b.kind)));
    out
}

fn extra_docs(docs: &[(String, Documentation)], name: &str) -> Option<Documentation> {
    docs.iter().find(|(n, _)| n == name).map(|(_, d)| d.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("cmdline_tokens", "cmd%"));
        assert!(like("cmdline_tokens", "%tok%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abc", "a_d"));
        assert!(!like("abc", "ab"));
    }
}
