use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::ip::{parse_ip, Cidr};
use crate::utils::{map_strings, string_signature, BooleanOutput, StringValues};

#[user_doc(
    doc_section(label = "Network Functions"),
    description = r#"Whether an IP address lies in a network given in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a single-address network, host bits may be set). An address of the other family is never in the network. NULL for a malformed address, or a malformed network in a column; a malformed constant network is an error."#,
    syntax_example = "ip_in_cidr(ip, cidr)",
    sql_example = r#"```sql
> SELECT ip_in_cidr('10.1.2.3', '10.0.0.0/8') AS a, ip_in_cidr('10.1.2.3', '192.168.0.0/16') AS b, ip_in_cidr('2001:db8::1', '2001:db8::/32') AS c;
+------+-------+------+
| a    | b     | c    |
+------+-------+------+
| true | false | true |
+------+-------+------+
```"#,
    argument(name = "ip", description = "IPv4 or IPv6 address (any string type)."),
    argument(
        name = "cidr",
        description = "Network in CIDR notation (any string type)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IpInCidr {
    signature: Signature,
}

impl Default for IpInCidr {
    fn default() -> Self {
        Self {
            signature: string_signature(2, 0),
        }
    }
}

impl ScalarUDFImpl for IpInCidr {
    fn name(&self) -> &str {
        "ip_in_cidr"
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
        // A typo in a constant network would otherwise silently match nothing.
        let constant_cidr = match args.args.get(1) {
            Some(arg) => match StringValues::new(name, "cidr", arg)?.constant() {
                Some(Some(text)) => match Cidr::parse(text) {
                    Some(cidr) => Some(cidr),
                    None => return exec_err!("{name}: invalid CIDR '{text}'"),
                },
                _ => None,
            },
            None => None,
        };
        map_strings::<2, BooleanOutput, _>(
            name,
            ["ip", "cidr"],
            &args.args,
            args.number_rows,
            |[ip, cidr]| {
                let Some(cidr) = constant_cidr.or_else(|| Cidr::parse(cidr)) else {
                    return Ok(None);
                };
                Ok(parse_ip(ip).map(|ip| cidr.contains(ip)))
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
    use crate::utils::test_util::{invoke, invoke_values, string_columns};
    use datafusion::arrow::array::{ArrayRef, BooleanArray, StringArray};
    use datafusion::common::ScalarValue;
    use std::sync::Arc;

    #[test]
    fn membership_per_row() -> Result<()> {
        let ips = [
            Some("10.1.2.3"),
            Some("10.1.2.3"),
            Some("::1"),
            Some("bad"),
            Some("1.1.1.1"),
            None,
        ];
        let cidrs = [
            Some("10.0.0.0/8"),
            Some("11.0.0.0/8"),
            Some("10.0.0.0/8"),
            Some("10.0.0.0/8"),
            Some("1.1.1.0/33"),
            Some("10.0.0.0/8"),
        ];
        let expected: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            Some(false),
            Some(false),
            None,
            None,
            None,
        ]));
        for (ip, cidr) in string_columns(&ips).into_iter().zip(string_columns(&cidrs)) {
            assert_eq!(&invoke(&IpInCidr::default(), vec![ip, cidr])?, &expected);
        }
        Ok(())
    }

    #[test]
    fn malformed_constant_cidr_is_an_error() {
        let ips: ArrayRef = Arc::new(StringArray::from(vec![Some("10.0.0.1")]));
        let cidr = ScalarValue::Utf8(Some("10.0.0.0/40".into()));
        let args = vec![ColumnarValue::Array(ips), ColumnarValue::Scalar(cidr)];
        let err = invoke_values(&IpInCidr::default(), args, 1).unwrap_err();
        assert!(
            err.to_string()
                .contains("ip_in_cidr: invalid CIDR '10.0.0.0/40'"),
            "{err}"
        );
    }
}
