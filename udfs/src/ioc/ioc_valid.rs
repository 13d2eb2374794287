use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::validate::{is_valid, ValidType};
use crate::utils::{map_strings, string_signature, BooleanOutput};

#[user_doc(
    doc_section(label = "IoC Functions"),
    description = r#"Whether the whole of a value (surrounding spaces ignored, defanged or not) is a valid indicator of the given type: an IPv4 address with octets 0–255, a parsable IPv6 address, a host name under a Public Suffix List suffix (dns, or its alias hostname), a URL with a scheme and a valid host, an e-mail address with a public domain, a 32/40/64-character hash (file_hash: any of them), or a path. Unlike msticpy's `validate`, `999.1.1.1` is not an IPv4 address."#,
    syntax_example = "ioc_valid(observable, type)",
    sql_example = r#"```sql
> SELECT ioc_valid('999.1.1.1', 'ipv4') AS a, ioc_valid('www.microsoft.com', 'dns') AS b, ioc_valid('foo.iandom', 'dns') AS c, ioc_valid('d41d8cd98f00b204e9800998ecf8427e', 'file_hash') AS d;
+-------+------+-------+------+
| a     | b    | c     | d    |
+-------+------+-------+------+
| false | true | false | true |
+-------+------+-------+------+
```"#,
    argument(
        name = "observable",
        description = "The value to check (any string type); NULL gives NULL."
    ),
    argument(
        name = "type",
        description = "One of ipv4, ipv6, dns, url, email, md5_hash, sha1_hash, sha256_hash, windows_path, linux_path, file_hash, hostname (case-insensitive). An unknown type is an error listing the valid ones."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IocValid {
    signature: Signature,
}

impl Default for IocValid {
    fn default() -> Self {
        Self {
            signature: string_signature(2, 0),
        }
    }
}

impl ScalarUDFImpl for IocValid {
    fn name(&self) -> &str {
        "ioc_valid"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let mut parsed: Option<(&str, ValidType)> = None;
        map_strings::<2, BooleanOutput, _>(
            name,
            ["observable", "type"],
            &args.args,
            args.number_rows,
            |[value, type_name]| {
                let kind = match parsed {
                    Some((last, kind)) if last == type_name => kind,
                    _ => match ValidType::parse(type_name) {
                        Ok(kind) => {
                            parsed = Some((type_name, kind));
                            kind
                        }
                        Err(e) => return exec_err!("{name}: {e}"),
                    },
                };
                Ok(Some(is_valid(value, kind)))
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
    use crate::utils::test_util::{invoke, string_columns};
    use datafusion::arrow::array::{ArrayRef, BooleanArray};
    use std::sync::Arc;

    #[test]
    fn per_row() {
        let values = [Some("1.2.3.4"), Some("999.1.1.1"), None, Some("evil[.]com")];
        let types = [Some("ipv4"), Some("IPv4"), Some("ipv4"), Some("dns")];
        for (v, t) in string_columns(&values)
            .into_iter()
            .zip(string_columns(&types))
        {
            let out = invoke(&IocValid::default(), vec![v, t]).unwrap();
            let expected: ArrayRef = Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                None,
                Some(true),
            ]));
            assert_eq!(&out, &expected);
        }
    }

    #[test]
    fn unknown_type_is_an_error() {
        let [v, ..] = string_columns(&[Some("1.2.3.4")]);
        let [t, ..] = string_columns(&[Some("ip")]);
        let err = invoke(&IocValid::default(), vec![v, t]).unwrap_err();
        assert!(
            err.to_string()
                .contains("ioc_valid: unknown IoC type 'ip'; expected one of ipv4"),
            "{err}"
        );
    }
}
