use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use crate::utils::{map_string, map_strings, string_signature, Int64Output};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"Number of pieces a string splits into at `delimiter` (default a single space), as Python's `len(value.split(delimiter))`: an empty string is 1 token and consecutive delimiters make empty tokens. msticpy's `token_count`."#,
    syntax_example = "token_count(value[, delimiter])",
    sql_example = r#"```sql
> SELECT token_count('net user admin /add') AS tokens, token_count('a,b,,c', ',') AS fields, token_count('') AS empty;
+--------+--------+-------+
| tokens | fields | empty |
+--------+--------+-------+
| 4      | 4      | 1     |
+--------+--------+-------+
```"#,
    argument(name = "value", description = "String to split (any string type)."),
    argument(
        name = "delimiter",
        description = "Optional non-empty string to split on; a single space by default."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TokenCount {
    signature: Signature,
}

impl Default for TokenCount {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 1),
        }
    }
}

/// Python's `str.split(delimiter)` splits at non-overlapping occurrences
/// from the left, exactly as `str::split` does.
fn token_count(value: &str, delimiter: &str) -> i64 {
    value.split(delimiter).count() as i64
}

impl ScalarUDFImpl for TokenCount {
    fn name(&self) -> &str {
        "token_count"
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
        let name = self.name();
        if args.args.len() == 1 {
            return map_string::<Int64Output, _>(
                name,
                "value",
                &args.args,
                args.number_rows,
                |v| Some(token_count(v, " ")),
            );
        }
        map_strings::<2, Int64Output, _>(
            name,
            ["value", "delimiter"],
            &args.args,
            args.number_rows,
            |[value, delimiter]| {
                if delimiter.is_empty() {
                    return exec_err!("{name}: delimiter must not be empty");
                }
                Ok(Some(token_count(value, delimiter)))
            },
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::{assert_unary, invoke, string_columns};
    use datafusion::arrow::array::{ArrayRef, Int64Array};
    use std::sync::Arc;

    #[test]
    fn splits_like_python() {
        assert_eq!(token_count("a b", " "), 2);
        assert_eq!(token_count("a  b", " "), 3);
        assert_eq!(token_count("", " "), 1);
        assert_eq!(token_count("a--b--c", "--"), 3);
        assert_eq!(token_count("a,b,,c", ","), 4);
        assert_eq!(token_count("---", "--"), 2);
    }

    #[test]
    fn default_delimiter_is_a_space() {
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![Some(4), Some(1), None]));
        assert_unary(
            &TokenCount::default(),
            &[Some(r#"cmd.exe /c "whoami /all""#), Some(""), None],
            expected,
        );
    }

    #[test]
    fn empty_delimiter_is_an_error() {
        let [values, ..] = string_columns(&[Some("a b")]);
        let [delimiter, ..] = string_columns(&[Some("")]);
        let err = invoke(&TokenCount::default(), vec![values, delimiter]).unwrap_err();
        assert!(
            err.to_string()
                .contains("token_count: delimiter must not be empty"),
            "{err}"
        );
    }
}
