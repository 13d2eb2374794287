use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::ip::{is_private, parse_ip};
use crate::utils::{map_string, string_signature, BooleanOutput};

#[user_doc(
    doc_section(label = "Network Functions"),
    description = r#"Whether an IP address is not globally reachable (Python `ipaddress` `is_private`, from the IANA special-purpose registries): RFC 1918, loopback, link-local, unique local (fc00::/7), documentation and benchmarking ranges, 0.0.0.0/8, 240.0.0.0/4 and the like. False for 100.64.0.0/10. NULL for a malformed address."#,
    syntax_example = "ip_is_private(ip)",
    sql_example = r#"```sql
> SELECT ip_is_private('10.0.0.5') AS a, ip_is_private('8.8.8.8') AS b, ip_is_private('fd12::1') AS c;
+------+-------+------+
| a    | b     | c    |
+------+-------+------+
| true | false | true |
+------+-------+------+
```"#,
    argument(name = "ip", description = "IPv4 or IPv6 address (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IpIsPrivate {
    signature: Signature,
}

impl Default for IpIsPrivate {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for IpIsPrivate {
    fn name(&self) -> &str {
        "ip_is_private"
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
        map_string::<BooleanOutput, _>(self.name(), "ip", &args.args, args.number_rows, |ip| {
            parse_ip(ip).map(is_private)
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
    use datafusion::arrow::array::{ArrayRef, BooleanArray};
    use std::sync::Arc;

    #[test]
    fn private_public_and_malformed() {
        let expected: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            Some(true),
            Some(false),
            Some(false),
            Some(true),
            None,
            None,
        ]));
        assert_unary(
            &IpIsPrivate::default(),
            &[
                Some("172.16.0.1"),
                Some("127.0.0.1"),
                Some("100.64.0.1"),
                Some("2001:4860:4860::8888"),
                Some("fd00::1"),
                Some("10.0.0"),
                None,
            ],
            expected,
        );
    }
}
