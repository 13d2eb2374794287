//! Plumbing shared by table functions: the session behind a call and the
//! tables it names.

use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{plan_datafusion_err, plan_err, Result, TableReference};
use datafusion::execution::SessionState;

/// The DataFusion [`SessionState`] behind a table function call.
pub(crate) fn session_state<'a>(
    function: &str,
    session: &'a dyn Session,
) -> Result<&'a SessionState> {
    session
        .as_any()
        .downcast_ref::<SessionState>()
        .ok_or_else(|| plan_datafusion_err!("{function}: needs a DataFusion SessionState"))
}

/// The table or view called `name`, resolved as the session resolves SQL
/// identifiers (a session that keeps identifiers' case finds `MyTable`).
pub(crate) fn table_by_name(
    function: &str,
    state: &SessionState,
    name: &str,
) -> Result<(TableReference, Arc<dyn TableProvider>)> {
    let keep_case = !state
        .config()
        .options()
        .sql_parser
        .enable_ident_normalization;
    let table_ref = TableReference::parse_str_normalized(name, keep_case);
    let provider = resolve_table(function, state, &table_ref)?
        .ok_or_else(|| plan_datafusion_err!("{function}: table '{name}' not found"))?;
    Ok((table_ref, provider))
}

/// `SchemaProvider::table` is async, table functions are not. Tables and
/// views registered on the session answer at the first poll; a provider that
/// would have to wait for I/O (a file path looked up by a dynamic catalog) is
/// reported as an error instead of blocking the planner.
pub(crate) fn resolve_table(
    function: &str,
    state: &SessionState,
    table_ref: &TableReference,
) -> Result<Option<Arc<dyn TableProvider>>> {
    let schema = state.schema_for_ref(table_ref.clone())?;
    if !schema.table_exist(table_ref.table()) {
        return Ok(None);
    }
    let mut lookup = schema.table(table_ref.table());
    match lookup
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result,
        Poll::Pending => plan_err!(
            "{function}: table '{table_ref}' cannot be read while planning; \
             copy it first (CREATE TABLE t AS SELECT * FROM ...)"
        ),
    }
}
