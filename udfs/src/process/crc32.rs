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
    description = r#"CRC-32 (IEEE, as zlib and Python's `binascii.crc32`) of a string's UTF-8 bytes, as an unsigned number. msticpy's `crc32_hash`."#,
    syntax_example = "crc32(value)",
    sql_example = r#"```sql
> SELECT crc32('123456789') AS crc;
+------------+
| crc        |
+------------+
| 3421780262 |
+------------+
```"#,
    argument(name = "value", description = "String (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Crc32 {
    signature: Signature,
}

impl Default for Crc32 {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for Crc32 {
    fn name(&self) -> &str {
        "crc32"
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
            |value| Some(crc32(value)),
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
    fn crc32_of_utf8_bytes() {
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(2_866_286_114),
            Some(354_246_585),
            Some(0),
            None,
        ]));
        assert_unary(
            &Crc32::default(),
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
