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
    description = r#"Counts the characters of a string that match msticpy's default delimiter class `[\s\-\\/\.,"'|&:;%$()]` (Python Unicode whitespace included). msticpy's `delim_count`; `cmdline_tokens` is the same count under its feature name."#,
    syntax_example = "delim_count(value)",
    sql_example = r#"```sql
> SELECT delim_count('The quick & sly (as all foxes might be/or not) fox, jumped over a frog.') AS delims;
+--------+
| delims |
+--------+
| 20     |
+--------+
```"#,
    argument(name = "value", description = "String (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DelimCount {
    signature: Signature,
}

impl Default for DelimCount {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for DelimCount {
    fn name(&self) -> &str {
        "delim_count"
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
            "value",
            &args.args,
            args.number_rows,
            |value| Some(delimiter_count(value)),
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
    fn counts_delimiters() {
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![Some(5), Some(1), Some(0), None]));
        assert_unary(
            &DelimCount::default(),
            &[
                Some(r"C:\Windows\System32\cmd.exe"),
                Some("héllo wörld"),
                Some(""),
                None,
            ],
            expected,
        );
    }
}
