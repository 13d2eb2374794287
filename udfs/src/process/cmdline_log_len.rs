use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::features::{code_point_len, log10_or_zero};
use crate::utils::{map_string, string_signature, Float64Output};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"Base-10 logarithm of a command line's length in code points, 0 for an empty command line. msticpy's `commandlineLogLen` feature."#,
    syntax_example = "cmdline_log_len(cmdline)",
    sql_example = r#"```sql
> SELECT cmdline_log_len('cmd.exe /c whoami') AS log_len, cmdline_log_len('') AS empty;
+--------------------+-------+
| log_len            | empty |
+--------------------+-------+
| 1.2304489213782739 | 0.0   |
+--------------------+-------+
```"#,
    argument(name = "cmdline", description = "Command line (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CmdlineLogLen {
    signature: Signature,
}

impl Default for CmdlineLogLen {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for CmdlineLogLen {
    fn name(&self) -> &str {
        "cmdline_log_len"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_string::<Float64Output, _>(
            self.name(),
            "cmdline",
            &args.args,
            args.number_rows,
            |cmdline| Some(log10_or_zero(code_point_len(cmdline))),
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
    use datafusion::arrow::array::{ArrayRef, Float64Array};
    use std::sync::Arc;

    #[test]
    fn log10_of_length_and_zero_for_empty() {
        let expected: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(1.380_211_241_711_606),
            Some(1.041_392_685_158_225),
            Some(0.0),
            None,
        ]));
        assert_unary(
            &CmdlineLogLen::default(),
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
