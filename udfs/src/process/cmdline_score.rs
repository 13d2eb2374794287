use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::features::code_point_sum;
use crate::utils::{map_string, string_signature, Int64Output};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"Sum of the Unicode code points of a command line. msticpy's `commandlineScore` feature (`char_ord_score`): similar command lines get similar scores."#,
    syntax_example = "cmdline_score(cmdline)",
    sql_example = r#"```sql
> SELECT cmdline_score('whoami') AS score;
+-------+
| score |
+-------+
| 645   |
+-------+
```"#,
    argument(name = "cmdline", description = "Command line (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CmdlineScore {
    signature: Signature,
}

impl Default for CmdlineScore {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for CmdlineScore {
    fn name(&self) -> &str {
        "cmdline_score"
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
            |cmdline| Some(code_point_sum(cmdline)),
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
    fn sums_code_points() {
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(1991),
            Some(1383),
            Some(0),
            None,
        ]));
        assert_unary(
            &CmdlineScore::default(),
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
