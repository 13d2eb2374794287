use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::features::crc32;
use crate::utils::{map_string, string_signature, Int64Output};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"CRC-32 (unsigned) of a process path's UTF-8 bytes. msticpy's `pathHash` feature (`crc32_hash`)."#,
    syntax_example = "path_hash(path)",
    sql_example = r#"```sql
> SELECT path_hash('C:\Windows\System32\cmd.exe') AS hash;
+------------+
| hash       |
+------------+
| 2866286114 |
+------------+
```"#,
    argument(name = "path", description = "Process path (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PathHash {
    signature: Signature,
}

impl Default for PathHash {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for PathHash {
    fn name(&self) -> &str {
        "path_hash"
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
            Some(crc32(path))
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
    fn crc32_of_utf8_bytes() {
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(2_866_286_114),
            Some(354_246_585),
            Some(0),
            None,
        ]));
        assert_unary(
            &PathHash::default(),
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
