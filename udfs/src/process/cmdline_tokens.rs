use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::features::delimiter_count;
use crate::utils::{map_string, string_signature, Int64Output};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"Counts the delimiter characters in a command line: whitespace and `- \ / . , " ' | & : ; % $ ( )`. msticpy's `commandlineTokensFull` feature (`delim_count`); command lines that differ only in their values (host names, GUIDs) get the same count."#,
    syntax_example = "cmdline_tokens(cmdline)",
    sql_example = r#"```sql
> SELECT cmdline_tokens('cmd.exe /c "whoami /all"') AS tokens;
+--------+
| tokens |
+--------+
| 8      |
+--------+
```"#,
    argument(name = "cmdline", description = "Command line (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CmdlineTokens {
    signature: Signature,
}

impl Default for CmdlineTokens {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for CmdlineTokens {
    fn name(&self) -> &str {
        "cmdline_tokens"
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
        map_string::<Int64Output, _>(self.name(), "cmdline", &args.args, args.number_rows, |s| {
            Some(delimiter_count(s))
        })
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::invoke;
    use datafusion::arrow::array::{ArrayRef, Int64Array, StringViewArray};
    use std::sync::Arc;

    #[test]
    fn counts_delimiters_per_row() -> Result<()> {
        let input: ArrayRef = Arc::new(StringViewArray::from(vec![
            Some(r#"cmd.exe /c "whoami /all""#),
            Some("notepad"),
            None,
        ]));
        let out = invoke(&CmdlineTokens::default(), vec![input])?;
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![Some(8), Some(0), None]));
        assert_eq!(&out, &expected);
        Ok(())
    }
}
