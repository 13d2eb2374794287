use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::validate::classify;
use crate::utils::{map_string, string_signature, Utf8Output};

#[user_doc(
    doc_section(label = "IoC Functions"),
    description = r#"The type of indicator a value is, as `extract_iocs` would report it if the value stood alone: url, email, ipv4, ipv6, sha256_hash, sha1_hash, md5_hash, dns, windows_path or linux_path (in that order of preference), or NULL when it is none. The whole value (surrounding spaces ignored) must be the indicator; defanged values are recognised. File-like and code-like names (`report.zip`, `Microsoft.NET`) are not dns here; `ioc_valid(value, 'dns')` checks only syntax and the Public Suffix List."#,
    syntax_example = "ioc_type(observable)",
    sql_example = r#"```sql
> SELECT ioc_type('hxxps://evil[.]com/x') AS a, ioc_type('10.1.2.3') AS b, ioc_type('d41d8cd98f00b204e9800998ecf8427e') AS c, ioc_type('news.ycombinator.com') AS d, ioc_type('payload.ps1') IS NULL AS e;
+-----+------+----------+-----+------+
| a   | b    | c        | d   | e    |
+-----+------+----------+-----+------+
| url | ipv4 | md5_hash | dns | true |
+-----+------+----------+-----+------+
```"#,
    argument(
        name = "observable",
        description = "The value to classify (any string type); NULL gives NULL."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IocType {
    signature: Signature,
}

impl Default for IocType {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for IocType {
    fn name(&self) -> &str {
        "ioc_type"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_string::<Utf8Output, _>(
            self.name(),
            "observable",
            &args.args,
            args.number_rows,
            |value| classify(value).map(|k| Cow::Borrowed(k.name())),
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
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use std::sync::Arc;

    #[test]
    fn per_row() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("ipv4"),
            Some("email"),
            None,
            None,
        ]));
        assert_unary(
            &IocType::default(),
            &[Some("1.2.3[.]4"), Some("a@b.com"), Some("hello"), None],
            expected,
        );
    }
}
