use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::features::{code_point_sum, log10_or_zero};
use crate::utils::{map_string, string_signature, Float64Output};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"Base-10 logarithm of `path_score(path)`, 0 for an empty path. msticpy's `pathLogScore` feature."#,
    syntax_example = "path_log_score(path)",
    sql_example = r#"```sql
> SELECT path_log_score('C:\Windows\System32\cmd.exe') AS log_score, path_log_score('') AS empty;
+--------------------+-------+
| log_score          | empty |
+--------------------+-------+
| 3.4099331233312946 | 0.0   |
+--------------------+-------+
```"#,
    argument(name = "path", description = "Process path (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PathLogScore {
    signature: Signature,
}

impl Default for PathLogScore {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for PathLogScore {
    fn name(&self) -> &str {
        "path_log_score"
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
        map_string::<Float64Output, _>(self.name(), "path", &args.args, args.number_rows, |path| {
            Some(log10_or_zero(code_point_sum(path)))
        })
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
    fn log10_of_score_and_zero_for_empty() {
        let expected: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(3.409_933_123_331_294_5),
            Some(0.0),
            None,
        ]));
        assert_unary(
            &PathLogScore::default(),
            &[Some(r"C:\Windows\System32\cmd.exe"), Some(""), None],
            expected,
        );
    }
}
