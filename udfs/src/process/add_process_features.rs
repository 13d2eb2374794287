//! `add_process_features(table_name [, path_separator])`: the table with
//! msticpy's ten process feature columns appended, so a notebook calling
//! `add_process_features(df)` ports to one SQL table function.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{plan_datafusion_err, plan_err, Result, ScalarValue, TableReference};
use datafusion::datasource::{provider_as_source, ViewTable};
use datafusion::execution::SessionState;
use datafusion::logical_expr::select_expr::SelectExpr;
use datafusion::logical_expr::{
    ident, lit, wildcard, DocSection, Documentation, Expr, LogicalPlanBuilder, ScalarUDF,
};
use datafusion::prelude::coalesce;

use super::features::parse_separator;
use super::{
    CmdlineLen, CmdlineLogLen, CmdlineScore, CmdlineTokens, CmdlineTokensHash, IsSystemSession,
    PathHash, PathLogScore, PathScore, ProcessName,
};
use crate::table_utils::resolve_table;

const NAME: &str = "add_process_features";

/// msticpy's input columns.
const PATH_COLUMN: &str = "NewProcessName";
const CMDLINE_COLUMN: &str = "CommandLine";
const LOGON_ID_COLUMN: &str = "SubjectLogonId";

#[derive(Debug, Default)]
pub struct AddProcessFeatures;

pub(crate) fn documentation() -> Documentation {
    Documentation::builder(
        DocSection {
            include: true,
            label: "Process Feature Functions",
            description: None,
        },
        "Returns every row and column of a table with msticpy's ten process features appended, \
         computed from its `NewProcessName`, `CommandLine` and `SubjectLogonId` columns: \
         `processName`, `pathScore`, `pathLogScore`, `pathHash`, `commandlineLen`, \
         `commandlineLogLen`, `commandlineTokensFull`, `commandlineScore`, \
         `commandlineTokensHash`, `isSystemSession` (see `process_name`, `path_score`, ... for each \
         formula). As in msticpy, a NULL path or command line counts as an empty string, a NULL \
         logon id is not a system session, and a feature column the table already has is kept \
         rather than recomputed. Without `path_separator` the separator is chosen per row \
         (`/` if the path contains one, else `\\`), where msticpy chooses once from the first 10 rows.",
        "add_process_features(table_name[, path_separator])",
    )
    .with_sql_example(
        r#"```sql
> CREATE TABLE events ("NewProcessName" VARCHAR, "CommandLine" VARCHAR, "SubjectLogonId" VARCHAR) AS VALUES ('C:\Windows\System32\cmd.exe', 'cmd.exe /c whoami', '0x3e7');
> SELECT "processName", "pathScore", "commandlineTokensFull", "isSystemSession" FROM add_process_features('events');
+-------------+-----------+-----------------------+-----------------+
| processName | pathScore | commandlineTokensFull | isSystemSession |
+-------------+-----------+-----------------------+-----------------+
| cmd.exe     | 2570      | 4                     | true            |
+-------------+-----------+-----------------------+-----------------+
```"#,
    )
    .with_argument("table_name", "Name of a table or view, as a string literal.")
    .with_argument(
        "path_separator",
        "Optional path separator, `'\\'` or `'/'`, used for every row.",
    )
    .build()
}

impl TableFunctionImpl for AddProcessFeatures {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let (table_arg, separator_arg) = match args.exprs() {
            [table] => (table, None),
            [table, separator] => (table, Some(separator)),
            other => {
                return plan_err!(
                    "{NAME}: expected (table_name [, path_separator]), got {} arguments",
                    other.len()
                )
            }
        };
        let table_name = string_literal(table_arg, "table_name")?;
        let separator = match separator_arg {
            Some(expr) => {
                let text = string_literal(expr, "path_separator")?;
                parse_separator(NAME, &text)?;
                Some(text)
            }
            None => None,
        };

        let state = args
            .session()
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| plan_datafusion_err!("{NAME}: needs a DataFusion SessionState"))?;
        // Resolve the name as the session resolves SQL identifiers, so a
        // session that keeps identifiers' case finds `MyTable` too.
        let keep_case = !state
            .config()
            .options()
            .sql_parser
            .enable_ident_normalization;
        let table_ref = TableReference::parse_str_normalized(&table_name, keep_case);
        let provider = resolve_table(NAME, state, &table_ref)?
            .ok_or_else(|| plan_datafusion_err!("{NAME}: table '{table_name}' not found"))?;

        let schema = provider.schema();
        let existing: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        for required in [PATH_COLUMN, CMDLINE_COLUMN, LOGON_ID_COLUMN] {
            if !existing.contains(&required) {
                return plan_err!(
                    "{NAME}: table '{table_name}' has no column '{required}' (needs {PATH_COLUMN}, \
                     {CMDLINE_COLUMN} and {LOGON_ID_COLUMN}; it has: {})",
                    existing.join(", ")
                );
            }
        }

        // msticpy fills missing paths and command lines with "" before
        // computing features, so NULLs get the features of an empty string.
        let path = || coalesce(vec![ident(PATH_COLUMN), lit("")]);
        let cmdline = || coalesce(vec![ident(CMDLINE_COLUMN), lit("")]);
        let call = |udf: ScalarUDF, arg: Expr| udf.call(vec![arg]);
        let mut process_name_args = vec![path()];
        process_name_args.extend(separator.map(lit));

        let features: [(&str, Expr); 10] = [
            (
                "processName",
                ScalarUDF::from(ProcessName::default()).call(process_name_args),
            ),
            ("pathScore", call(PathScore::default().into(), path())),
            ("pathLogScore", call(PathLogScore::default().into(), path())),
            ("pathHash", call(PathHash::default().into(), path())),
            (
                "commandlineLen",
                call(CmdlineLen::default().into(), cmdline()),
            ),
            (
                "commandlineLogLen",
                call(CmdlineLogLen::default().into(), cmdline()),
            ),
            (
                "commandlineTokensFull",
                call(CmdlineTokens::default().into(), cmdline()),
            ),
            (
                "commandlineScore",
                call(CmdlineScore::default().into(), cmdline()),
            ),
            (
                "commandlineTokensHash",
                call(CmdlineTokensHash::default().into(), cmdline()),
            ),
            (
                "isSystemSession",
                // pandas `isin` is false for a missing value
                coalesce(vec![
                    call(IsSystemSession::default().into(), ident(LOGON_ID_COLUMN)),
                    lit(false),
                ]),
            ),
        ];

        let mut projection: Vec<SelectExpr> = vec![wildcard()];
        projection.extend(
            features
                .into_iter()
                // msticpy (without `force`) keeps feature columns that exist
                .filter(|(name, _)| !existing.contains(name))
                .map(|(name, expr)| expr.alias(name).into()),
        );
        let plan = LogicalPlanBuilder::scan(table_ref, provider_as_source(provider), None)?
            .project(projection)?
            .build()?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
}

/// Table functions receive planned expressions; the table name and separator
/// must be constants.
fn string_literal(expr: &Expr, argument: &str) -> Result<String> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Ok(s.clone()),
        other => plan_err!("{NAME}: {argument} must be a string literal, got {other}"),
    }
}
