use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, HashMap, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::args::{limits, signature};
use super::decode::may_hold_fragment;
use super::unpack::{unpack, BatchBudget};
use crate::utils::{map_strings, Utf8Output};

#[user_doc(
    doc_section(label = "Decoding Functions"),
    description = r#"The text with every base64 fragment (msticpy's rule: 30 or more base64 characters, line breaks included, then up to two `=`) replaced in place by what it decodes to, recursively (20 levels), in msticpy's markup, so the payload reads where it was: `<decoded type='string' name='[None]' index='1' depth='1'>text</decoded>` for text (UTF-8, or UTF-16 such as PowerShell's `-EncodedCommand`, which msticpy shows NUL-riddled), `<decoded value='binary'  name='[exe]' type='exe' index='1' depth='1'>4d 5a ...</decoded>` for bytes (type from the header: exe, dll, sys, zip, gz, 7z, rar, pdf, msi, wim, tar), the members of gzip, zip and tar archives (`name='[zip] Filename: a.ps1'`, several inside `<decoded value='multiple binary' ...>`) and raw deflate streams (PowerShell's `IO.Compression.DeflateStream`, inside the binary element). A fragment that does not decode (bad length or padding) is left as it is; a fragment seen twice is shown the same way. `index` follows the tree: `1.2` is the second fragment inside item 1. Decompression is capped: an item keeps at most `max_item_bytes` (default 1 MiB) and is then marked `truncated='true'`; a value decodes at most `max_value_bytes` in all (default 4 MiB, repeats included; and 256 MiB for all the values of one batch), after which fragments stay encoded and the text ends with `<decoded truncated='true' reason='max_value_bytes'/>`. Give other caps as constant arguments. `b64_items` lists the items with their hashes."#,
    syntax_example = "b64_unpack(text[, max_item_bytes[, max_value_bytes]])",
    sql_example = r#"```sql
> SELECT b64_unpack('powershell -enc VwByAGkAdABlAC0ASABvAHMAdAAgAGgAZQBsAGwAbwA=') AS unpacked;
+-----------------------------------------------------------------------------------------------------+
| unpacked                                                                                            |
+-----------------------------------------------------------------------------------------------------+
| powershell -enc <decoded type='string' name='[None]' index='1' depth='1'>Write-Host hello</decoded> |
+-----------------------------------------------------------------------------------------------------+
```"#,
    argument(
        name = "text",
        description = "Text holding base64 fragments (any string type); NULL gives NULL."
    ),
    argument(
        name = "max_item_bytes",
        description = "Optional constant: the most bytes kept of one decoded item (default 1048576)."
    ),
    argument(
        name = "max_value_bytes",
        description = "Optional constant: the most decoded bytes for one value (default 4194304)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct B64Unpack {
    signature: Signature,
}

impl Default for B64Unpack {
    fn default() -> Self {
        Self {
            signature: signature(),
        }
    }
}

impl ScalarUDFImpl for B64Unpack {
    fn name(&self) -> &str {
        "b64_unpack"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let limits = limits(name, &args.args)?;
        let Some(text) = args.args.first() else {
            return exec_err!("{name}: expected the text to decode");
        };
        let mut budget = BatchBudget::default();
        // The output of values met earlier in the batch: logs repeat (the
        // same scheduled command thousands of times), and a repeat is not
        // decoded again. Reused only while the batch budget leaves the caps
        // as given, so the output is what decoding again would give.
        let mut repeats: HashMap<&str, String> = HashMap::new();
        map_strings::<1, Utf8Output, _>(
            name,
            ["text"],
            std::slice::from_ref(text),
            args.number_rows,
            |[value]| {
                if !may_hold_fragment(value) {
                    return Ok(Some(Cow::Borrowed(value)));
                }
                let caps = budget.limits(limits);
                let reusable = caps == limits;
                let unpacked = match repeats.get(value) {
                    Some(out) if reusable => Cow::Owned(out.clone()),
                    _ => unpack(value, caps, false).text,
                };
                budget.spend(unpacked.len().saturating_sub(value.len()));
                if reusable && !repeats.contains_key(value) {
                    repeats.insert(value, unpacked.to_string());
                }
                Ok(Some(unpacked))
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
    use crate::utils::test_util::{assert_unary, invoke_values, string_columns};
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use datafusion::common::ScalarValue;
    use std::sync::Arc;

    #[test]
    fn per_row_in_every_string_type() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("echo <decoded type='string' name='[None]' index='1' depth='1'>hello world, this is a plain utf8 base64 test</decoded>"),
            Some("no base64 here"),
            None,
        ]));
        assert_unary(
            &B64Unpack::default(),
            &[
                Some("echo aGVsbG8gd29ybGQsIHRoaXMgaXMgYSBwbGFpbiB1dGY4IGJhc2U2NCB0ZXN0"),
                Some("no base64 here"),
                None,
            ],
            expected,
        );
    }

    #[test]
    fn a_value_repeated_in_a_batch_unpacks_as_alone() {
        let nested =
            "cmd ZWNobyBkR2hwY3lCcGN5QjBhR1VnYVc1dVpYSnRiM04wSUhCc1lXbHVkR1Y0ZENCemRISnBibWNo";
        let other = "echo aGVsbG8gd29ybGQsIHRoaXMgaXMgYSBwbGFpbiB1dGY4IGJhc2U2NCB0ZXN0";
        let batch = [
            Some(nested),
            Some(other),
            None,
            Some(nested),
            Some("plain"),
            Some(other),
        ];
        let alone = |value: &str| unpack(value, Default::default(), false).text.into_owned();
        let expected: ArrayRef = Arc::new(StringArray::from(
            batch.iter().map(|v| v.map(alone)).collect::<Vec<_>>(),
        ));
        assert!(alone(nested).contains("index='1.1'"));
        assert_unary(&B64Unpack::default(), &batch, expected);
    }

    #[test]
    fn caps_are_checked() {
        let [text, ..] = string_columns(&[Some("x")]);
        for (cap, message) in [
            (
                ScalarValue::Int64(Some(0)),
                "b64_unpack: max_item_bytes must be a positive number of bytes, got 0",
            ),
            (
                ScalarValue::Int64(None),
                "b64_unpack: max_item_bytes must be a positive number of bytes, got NULL",
            ),
        ] {
            let err = invoke_values(
                &B64Unpack::default(),
                vec![
                    ColumnarValue::Array(text.clone()),
                    ColumnarValue::Scalar(cap),
                ],
                1,
            )
            .unwrap_err();
            assert!(err.to_string().contains(message), "{err}");
        }
        let err = invoke_values(
            &B64Unpack::default(),
            vec![
                ColumnarValue::Array(text.clone()),
                ColumnarValue::Array(Arc::new(datafusion::arrow::array::Int64Array::from(vec![
                    5,
                ]))),
            ],
            1,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("max_item_bytes must be a constant"),
            "{err}"
        );
    }
}
