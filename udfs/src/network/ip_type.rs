use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::ip::{ip_type, parse_ip};
use crate::utils::{map_string, string_signature, Utf8Output};

#[user_doc(
    doc_section(label = "Network Functions"),
    description = r#"Category of an IP address as msticpy's `get_ip_type` names it: `Multicast`, `Public`, `Loopback`, `Link Local`, `Unspecified`, `Private` or `Reserved`, the first that holds in that order, with Python `ipaddress` (IANA registry) definitions. `Public` is Python's `is_global`, so 100.64.0.0/10 (carrier-grade NAT) is `Unspecified` and `Reserved` never occurs in practice. IPv4-mapped IPv6 addresses are classified as their IPv4 address. NULL for a malformed address (msticpy returns `Unspecified`)."#,
    syntax_example = "ip_type(ip)",
    sql_example = r#"```sql
> SELECT ip_type('8.8.8.8') AS a, ip_type('10.1.2.3') AS b, ip_type('fe80::1') AS c, ip_type('224.0.0.1') AS d, ip_type('not an ip') AS e;
+--------+---------+------------+-----------+---+
| a      | b       | c          | d         | e |
+--------+---------+------------+-----------+---+
| Public | Private | Link Local | Multicast |   |
+--------+---------+------------+-----------+---+
```"#,
    argument(
        name = "ip",
        description = "IPv4 or IPv6 address (any string type); an IPv6 zone such as `%eth0` is ignored."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IpType {
    signature: Signature,
}

impl Default for IpType {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for IpType {
    fn name(&self) -> &str {
        "ip_type"
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
        map_string::<Utf8Output, _>(self.name(), "ip", &args.args, args.number_rows, |ip| {
            parse_ip(ip).map(|ip| Cow::Borrowed(ip_type(ip)))
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
    fn categories_and_null_for_malformed() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("Public"),
            Some("Private"),
            Some("Loopback"),
            None,
            None,
        ]));
        assert_unary(
            &IpType::default(),
            &[
                Some("8.8.8.8"),
                Some("192.168.1.10"),
                Some("::1"),
                Some("999.1.1.1"),
                None,
            ],
            expected,
        );
    }
}
