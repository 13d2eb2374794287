use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::url_parts::split_url;
use crate::utils::{map_string, string_signature, Utf8Output};

#[user_doc(
    doc_section(label = "URL and Domain Functions"),
    description = r#"The host of a URL as written (an IPv6 literal without its brackets): `parse_url(url)['host']`. The host follows the last `@`, so `http://bank.com@evil.com/` gives `evil.com`. NULL when the URL has no authority (`mailto:`, `example.com/x`)."#,
    syntax_example = "url_host(url)",
    sql_example = r#"```sql
> SELECT url_host('https://login.example.com:8443/x') AS host, url_host('http://[::1]/') AS v6, url_host('example.com/x') AS no_scheme;
+-------------------+-----+-----------+
| host              | v6  | no_scheme |
+-------------------+-----+-----------+
| login.example.com | ::1 |           |
+-------------------+-----+-----------+
```"#,
    argument(name = "url", description = "URL (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct UrlHost {
    signature: Signature,
}

impl Default for UrlHost {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for UrlHost {
    fn name(&self) -> &str {
        "url_host"
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
        map_string::<Utf8Output, _>(self.name(), "url", &args.args, args.number_rows, |url| {
            split_url(url)?.host.map(Cow::Borrowed)
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
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use std::sync::Arc;

    #[test]
    fn host_or_null() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("evil.com"),
            Some("10.0.0.1"),
            None,
            None,
        ]));
        assert_unary(
            &UrlHost::default(),
            &[
                Some("http://bank.com@evil.com/"),
                Some("ftp://10.0.0.1:21"),
                Some("mailto:a@b.c"),
                None,
            ],
            expected,
        );
    }
}
