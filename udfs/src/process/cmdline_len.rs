use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::features::code_point_len;
use crate::utils::{map_string, string_signature, Int64Output};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"Length of a command line in Unicode code points (Python's `len`). msticpy's `commandlineLen` feature."#,
    syntax_example = "cmdline_len(cmdline)",
    sql_example = r#"```sql
> SELECT cmdline_len('héllo wörld') AS len;
+-----+
| len |
+-----+
| 11  |
+-----+
```"#,
    argument(name = "cmdline", description = "Command line (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CmdlineLen {
    signature: Signature,
}

impl Default for CmdlineLen {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for CmdlineLen {
    fn name(&self) -> &str {
        "cmdline_len"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_string::<Int64Output, _>(
            self.name(),
            "cmdline",
            &args.args,
            args.number_rows,
            |cmdline| Some(code_point_len(cmdline)),
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
    use datafusion::arrow::array::{ArrayRef, Int64Array};
    use std::sync::Arc;

    #[test]
    fn counts_code_points_not_bytes() {
        let expected: ArrayRef =
            Arc::new(Int64Array::from(vec![Some(24), Some(11), Some(0), None]));
        assert_unary(
            &CmdlineLen::default(),
            &[
                Some(r#"cmd.exe /c "whoami /all""#),
                Some("héllo wörld"),
                Some(""),
                None,
            ],
            expected,
        );
    }
}
