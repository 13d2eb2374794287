use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::features::delimiter_hash;
use crate::utils::{map_string, string_signature, Int64Output};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"CRC-32 (unsigned) of a command line's delimiter characters (see `cmdline_tokens`) concatenated in order, as UTF-8. msticpy's `commandlineTokensHash` feature (`delim_hash`): command lines with the same punctuation pattern share a hash."#,
    syntax_example = "cmdline_tokens_hash(cmdline)",
    sql_example = r#"```sql
> SELECT cmdline_tokens_hash('cmd.exe /c whoami') AS h1, cmdline_tokens_hash('ping.exe -n localhost') AS h2;
+------------+------------+
| h1         | h2         |
+------------+------------+
| 1888901460 | 1117797334 |
+------------+------------+
```"#,
    argument(name = "cmdline", description = "Command line (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CmdlineTokensHash {
    signature: Signature,
}

impl Default for CmdlineTokensHash {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for CmdlineTokensHash {
    fn name(&self) -> &str {
        "cmdline_tokens_hash"
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
            |cmdline| Some(delimiter_hash(cmdline)),
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
    fn hashes_the_delimiters_only() {
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(2_219_988_650),
            Some(0),
            Some(3_916_222_277),
            Some(3_916_222_277),
            None,
        ]));
        assert_unary(
            &CmdlineTokensHash::default(),
            &[
                Some(r#"cmd.exe /c "whoami /all""#),
                Some("notepad"),
                Some("a b"),
                Some("héllo wörld"),
                None,
            ],
            expected,
        );
    }
}
