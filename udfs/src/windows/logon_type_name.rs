use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::utils::{map_string, string_or_integer_coercion, Utf8Output};

#[user_doc(
    doc_section(label = "Windows Functions"),
    description = r#"The name of a Windows logon type (events 4624, 4625, 4634...): 0 System, 2 Interactive, 3 Network, 4 Batch, 5 Service, 7 Unlock, 8 NetworkCleartext, 9 NewCredentials, 10 RemoteInteractive, 11 CachedInteractive, 12 CachedRemoteInteractive, 13 CachedUnlock. Accepts integers and strings such as `'3'` (surrounding spaces allowed). NULL for any other value."#,
    syntax_example = "logon_type_name(logon_type)",
    sql_example = r#"```sql
> SELECT logon_type_name(3) AS a, logon_type_name('10') AS b, logon_type_name(6) AS c;
+---------+-------------------+---+
| a       | b                 | c |
+---------+-------------------+---+
| Network | RemoteInteractive |   |
+---------+-------------------+---+
```"#,
    argument(
        name = "logon_type",
        description = "Logon type, an integer or a string of digits."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LogonTypeName {
    signature: Signature,
}

impl Default for LogonTypeName {
    fn default() -> Self {
        Self {
            signature: Signature::coercible(
                vec![string_or_integer_coercion()],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for LogonTypeName {
    fn name(&self) -> &str {
        "logon_type_name"
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
            "logon_type",
            &args.args,
            args.number_rows,
            |logon_type| logon_type_name(logon_type).map(Cow::Borrowed),
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Microsoft's names for the `LogonType` field of the logon events.
fn logon_type_name(logon_type: &str) -> Option<&'static str> {
    Some(match logon_type.trim().parse::<i64>().ok()? {
        0 => "System",
        2 => "Interactive",
        3 => "Network",
        4 => "Batch",
        5 => "Service",
        7 => "Unlock",
        8 => "NetworkCleartext",
        9 => "NewCredentials",
        10 => "RemoteInteractive",
        11 => "CachedInteractive",
        12 => "CachedRemoteInteractive",
        13 => "CachedUnlock",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::assert_unary;
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use std::sync::Arc;

    #[test]
    fn names_known_types() {
        assert_eq!(logon_type_name("2"), Some("Interactive"));
        assert_eq!(logon_type_name(" 3 "), Some("Network"));
        assert_eq!(logon_type_name("11"), Some("CachedInteractive"));
        assert_eq!(logon_type_name("1"), None);
        assert_eq!(logon_type_name("6"), None);
        assert_eq!(logon_type_name("Network"), None);
        assert_eq!(logon_type_name(""), None);
    }

    #[test]
    fn per_row() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("RemoteInteractive"),
            Some("Service"),
            None,
            None,
        ]));
        assert_unary(
            &LogonTypeName::default(),
            &[Some("10"), Some("5"), Some("x"), None],
            expected,
        );
    }
}
