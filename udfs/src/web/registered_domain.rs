use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::domain::registrable_domain;
use crate::utils::{map_string, string_signature, Utf8Output};

#[user_doc(
    doc_section(label = "URL and Domain Functions"),
    description = r#"The registered domain (eTLD+1) of a host name, from the Public Suffix List built into huntsql (ICANN and private sections, as browsers use it; never downloaded): `www.bbc.co.uk` gives `bbc.co.uk`, `alice.github.io` gives `alice.github.io`. Lower case, without a trailing dot. NULL for a bare public suffix, an unlisted suffix (`dc01.corp.local`), an IP address or a malformed name."#,
    syntax_example = "registered_domain(host)",
    sql_example = r#"```sql
> SELECT registered_domain('WWW.BBC.co.uk') AS a, registered_domain('login.microsoftonline.com') AS b, registered_domain('dc01.corp.local') AS c;
+-----------+---------------------+---+
| a         | b                   | c |
+-----------+---------------------+---+
| bbc.co.uk | microsoftonline.com |   |
+-----------+---------------------+---+
```"#,
    argument(
        name = "host",
        description = "Host name (any string type); use `url_host` first for a URL."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RegisteredDomain {
    signature: Signature,
}

impl Default for RegisteredDomain {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for RegisteredDomain {
    fn name(&self) -> &str {
        "registered_domain"
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
        map_string::<Utf8Output, _>(self.name(), "host", &args.args, args.number_rows, |host| {
            registrable_domain(host).map(Cow::Owned)
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
    fn etld_plus_one() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("bbc.co.uk"),
            Some("evil.com"),
            None,
            None,
        ]));
        assert_unary(
            &RegisteredDomain::default(),
            &[
                Some("news.BBC.co.uk"),
                Some("a.b.evil.com."),
                Some("co.uk"),
                None,
            ],
            expected,
        );
    }
}
