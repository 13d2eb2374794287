use std::net::IpAddr;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::ip::parse_ip;
use crate::utils::{map_string, string_signature, Int64Output};

#[user_doc(
    doc_section(label = "Network Functions"),
    description = r#"An IPv4 address as a number (a.b.c.d = a*2^24 + b*2^16 + c*2^8 + d), for range comparisons and joins with numeric geo-IP tables. NULL for an IPv6 address (128 bits do not fit a 64-bit integer, nor Decimal128(38, 0)) and for a malformed address."#,
    syntax_example = "ip_to_int(ip)",
    sql_example = r#"```sql
> SELECT ip_to_int('192.168.1.1') AS n, ip_to_int('::1') AS v6;
+------------+----+
| n          | v6 |
+------------+----+
| 3232235777 |    |
+------------+----+
```"#,
    argument(name = "ip", description = "IPv4 address (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IpToInt {
    signature: Signature,
}

impl Default for IpToInt {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for IpToInt {
    fn name(&self) -> &str {
        "ip_to_int"
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
        map_string::<Int64Output, _>(self.name(), "ip", &args.args, args.number_rows, |ip| {
            match parse_ip(ip)? {
                IpAddr::V4(v4) => Some(i64::from(u32::from(v4))),
                // 128 bits fit neither Int64 nor Decimal128(38, 0)
                IpAddr::V6(_) => None,
            }
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
    fn ipv4_to_number() {
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(0),
            Some(3_232_235_777),
            Some(4_294_967_295),
            None,
            None,
            None,
        ]));
        assert_unary(
            &IpToInt::default(),
            &[
                Some("0.0.0.0"),
                Some("192.168.1.1"),
                Some("255.255.255.255"),
                Some("::1"),
                Some("1.2.3.256"),
                None,
            ],
            expected,
        );
    }
}
