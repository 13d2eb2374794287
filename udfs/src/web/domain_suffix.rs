use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::domain::public_suffix;
use crate::utils::{map_string, string_signature, Utf8Output};

#[user_doc(
    doc_section(label = "URL and Domain Functions"),
    description = r#"The public suffix (eTLD) of a host name, from the Public Suffix List built into huntsql (ICANN and private sections; never downloaded): `www.bbc.co.uk` gives `co.uk`. Lower case. NULL when the suffix is not in the list (`.local`, `.corp`, file extensions such as `.ps1`), for an IP address or a malformed name."#,
    syntax_example = "domain_suffix(host)",
    sql_example = r#"```sql
> SELECT domain_suffix('www.bbc.co.uk') AS a, domain_suffix('evil.ru') AS b, domain_suffix('payload.ps1') AS c;
+-------+----+---+
| a     | b  | c |
+-------+----+---+
| co.uk | ru |   |
+-------+----+---+
```"#,
    argument(name = "host", description = "Host name (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DomainSuffix {
    signature: Signature,
}

impl Default for DomainSuffix {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for DomainSuffix {
    fn name(&self) -> &str {
        "domain_suffix"
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
            public_suffix(host).map(Cow::Owned)
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
    fn public_suffix_or_null() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("co.uk"),
            Some("com"),
            None,
            None,
            None,
        ]));
        assert_unary(
            &DomainSuffix::default(),
            &[
                Some("www.bbc.co.uk"),
                Some("Example.COM"),
                Some("invoke.ps1"),
                Some("8.8.8.8"),
                None,
            ],
            expected,
        );
    }
}
