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

pub mod network;
pub mod process;
pub mod text;
mod utils;
pub mod web;
pub mod windows;

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
    let mut functions = process::functions();
    functions.extend(network::functions());
    functions.extend(web::functions());
    functions.extend(text::functions());
    functions.extend(windows::functions());
    functions
}

/// Every huntsql table function.
pub fn table_functions() -> Vec<DocumentedTableFunction> {
    vec![DocumentedTableFunction {
        name: "add_process_features",
        function: Arc::new(process::AddProcessFeatures),
        documentation: process::add_process_features_documentation(),
    }]
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
