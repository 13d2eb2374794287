//! huntsql's security functions for Apache DataFusion.
//!
//! One function per file, each with its `#[user_doc]` documentation and a
//! runnable example. [`register_all`] adds every function to a session;
//! table functions (which DataFusion does not document) come with their
//! [`Documentation`] in [`DocumentedTableFunction`].

use std::sync::Arc;

use datafusion::catalog::TableFunctionImpl;
use datafusion::error::Result;
use datafusion::logical_expr::{Documentation, ScalarUDF};
use datafusion::prelude::SessionContext;

/// A table function together with its user documentation, which DataFusion's
/// table-function registry has no place for.
#[derive(Debug, Clone)]
pub struct DocumentedTableFunction {
    pub name: &'static str,
    pub function: Arc<dyn TableFunctionImpl>,
    pub documentation: Documentation,
}

/// Every huntsql scalar function.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![]
}

/// Every huntsql table function.
pub fn table_functions() -> Vec<DocumentedTableFunction> {
    vec![]
}

/// Registers every huntsql function with `ctx`.
pub fn register_all(ctx: &SessionContext) -> Result<()> {
    for udf in scalar_functions() {
        ctx.register_udf(udf.as_ref().clone());
    }
    for f in table_functions() {
        ctx.register_udtf(f.name, f.function);
    }
    Ok(())
}
