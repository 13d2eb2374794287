use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::features::is_system_logon_id;
use crate::utils::{map_string, string_or_integer_coercion, BooleanOutput};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"Whether a logon id is the SYSTEM session: true for exactly `'0x3e7'` (Windows LocalSystem) or `'-1'` (Linux, no audit session). msticpy's `isSystemSession` feature; like msticpy the comparison is exact, so `'0x3E7'` is false. Integers are compared by their decimal text, so `-1` is true."#,
    syntax_example = "is_system_session(logon_id)",
    sql_example = r#"```sql
> SELECT is_system_session('0x3e7') AS system, is_system_session('0x3e4') AS network_service, is_system_session(-1) AS linux;
+--------+-----------------+-------+
| system | network_service | linux |
+--------+-----------------+-------+
| true   | false           | true  |
+--------+-----------------+-------+
```"#,
    argument(
        name = "logon_id",
        description = "Logon id (`SubjectLogonId`), a string or an integer."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IsSystemSession {
    signature: Signature,
}

impl Default for IsSystemSession {
    fn default() -> Self {
        Self {
            signature: Signature::coercible(
                vec![string_or_integer_coercion()],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for IsSystemSession {
    fn name(&self) -> &str {
        "is_system_session"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_string::<BooleanOutput, _>(
            self.name(),
            "logon_id",
            &args.args,
            args.number_rows,
            |id| Some(is_system_logon_id(id)),
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::assert_unary;
    use datafusion::arrow::array::{ArrayRef, BooleanArray};
    use std::sync::Arc;

    #[test]
    fn exact_match_of_system_ids() {
        let expected: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            Some(true),
            Some(false),
            Some(false),
            None,
        ]));
        assert_unary(
            &IsSystemSession::default(),
            &[
                Some("0x3e7"),
                Some("-1"),
                Some("0x3E7"),
                Some("0x3e4"),
                None,
            ],
            expected,
        );
    }
}
