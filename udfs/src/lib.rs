//! huntsql's security functions for Apache DataFusion.
//!
//! One function per file, each with its `#[user_doc]` documentation and a
//! runnable example. [`register_all`] adds every function to a session;
//! table functions (which DataFusion does not document) come with their
//! [`Documentation`] in [`DocumentedTableFunction`].

use std::sync::Arc;

use datafusion::catalog::TableFunctionImpl;
use datafusion::error::Result;
use datafusion::logical_expr::{Documentation, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;

pub mod base64;
pub mod cluster;
pub mod ioc;
pub mod network;
pub mod process;
mod table_utils;
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
    functions.extend(ioc::functions());
    functions.extend(base64::functions());
    functions
}

/// Every huntsql window function, not bound to a session; [`register_all`]
/// registers them bound to the session (e.g. to use its memory pool).
pub fn window_functions() -> Vec<Arc<WindowUDF>> {
    session_window_functions(None)
}

/// The window functions, bound to `session` if given.
fn session_window_functions(session: Option<&SessionContext>) -> Vec<Arc<WindowUDF>> {
    cluster::window_functions(session)
}

/// Every huntsql table function.
pub fn table_functions() -> Vec<DocumentedTableFunction> {
    vec![
        DocumentedTableFunction {
            name: "add_process_features",
            function: Arc::new(process::AddProcessFeatures),
            documentation: process::add_process_features_documentation(),
        },
        DocumentedTableFunction {
            name: "dbcluster_events",
            function: Arc::new(cluster::DbclusterEvents),
            documentation: cluster::dbcluster_events_documentation(),
        },
    ]
}

/// Registers every huntsql function with `ctx`.
pub fn register_all(ctx: &SessionContext) -> Result<()> {
    for udf in scalar_functions() {
        ctx.register_udf(udf.as_ref().clone());
    }
    for udwf in session_window_functions(Some(ctx)) {
        ctx.register_udwf(udwf.as_ref().clone());
    }
    for f in table_functions() {
        ctx.register_udtf(f.name, f.function);
    }
    Ok(())
}
