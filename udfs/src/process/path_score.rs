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
    description = r#"Sum of the Unicode code points of a process path. msticpy's `pathScore` feature (`char_ord_score`)."#,
    syntax_example = "path_score(path)",
    sql_example = r#"```sql
> SELECT path_score('C:\Windows\System32\cmd.exe') AS score;
+-------+
| score |
+-------+
| 2570  |
+-------+
```"#,
    argument(name = "path", description = "Process path (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PathScore {
    signature: Signature,
}

impl Default for PathScore {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for PathScore {
    fn name(&self) -> &str {
        "path_score"
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
        map_string::<Int64Output, _>(self.name(), "path", &args.args, args.number_rows, |path| {
            Some(code_point_sum(path))
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
    use datafusion::arrow::array::{ArrayRef, Int64Array};
    use std::sync::Arc;

    #[test]
    fn sums_code_points() {
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![Some(2570), Some(0), None]));
        assert_unary(
            &PathScore::default(),
            &[Some(r"C:\Windows\System32\cmd.exe"), Some(""), None],
            expected,
        );
    }
}
