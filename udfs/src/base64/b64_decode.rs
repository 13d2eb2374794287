use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::decode::{as_text, decode_lenient, hex, Encoding};
use crate::utils::{map_string, map_strings, string_signature, Utf8Output};

#[user_doc(
    doc_section(label = "Decoding Functions"),
    description = r#"One base64 value decoded (white space ignored, standard or URL-safe alphabet, padding optional), read as text in `encoding`: `auto` (the default: UTF-16 when the bytes are UTF-16 text, such as a PowerShell `-EncodedCommand`, else UTF-8), `utf-8`, `utf-16le` (also `utf-16`, `unicode`), `utf-16be`, `latin1` (one character per byte), or `hex` (the bytes as hex digits, for binary). NULL when the value is not base64 or the bytes are not text in that encoding. For text with base64 fragments inside it, use `b64_unpack`."#,
    syntax_example = "b64_decode(value[, encoding])",
    sql_example = r#"```sql
> SELECT b64_decode('aGVsbG8gd29ybGQ=') AS a, b64_decode('VwByAGkAdABlAC0ASABvAHMAdAA=') AS b, b64_decode('TVqQAA==', 'hex') AS c, b64_decode('not base64!') IS NULL AS d;
+-------------+------------+----------+------+
| a           | b          | c        | d    |
+-------------+------------+----------+------+
| hello world | Write-Host | 4d5a9000 | true |
+-------------+------------+----------+------+
```"#,
    argument(
        name = "value",
        description = "Base64 text (any string type); NULL gives NULL."
    ),
    argument(
        name = "encoding",
        description = "Optional: auto, utf-8, utf-16le, utf-16be, latin1 or hex (case-insensitive). Another name is an error listing these."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct B64Decode {
    signature: Signature,
}

impl Default for B64Decode {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Auto,
    Utf8,
    Utf16Le,
    Utf16Be,
    Latin1,
    Hex,
}

impl TextEncoding {
    fn parse(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "auto" => TextEncoding::Auto,
            "utf-8" | "utf8" => TextEncoding::Utf8,
            "utf-16le" | "utf-16" | "utf16" | "utf16le" | "unicode" => TextEncoding::Utf16Le,
            "utf-16be" | "utf16be" => TextEncoding::Utf16Be,
            "latin1" | "latin-1" | "iso-8859-1" => TextEncoding::Latin1,
            "hex" => TextEncoding::Hex,
            _ => return None,
        })
    }
}

fn utf16(bytes: &[u8], big_endian: bool) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|p| {
        if big_endian {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        }
    });
    let text: String = char::decode_utf16(units).collect::<Result<_, _>>().ok()?;
    Some(
        text.strip_prefix('\u{FEFF}')
            .map(str::to_string)
            .unwrap_or(text),
    )
}

fn decode(value: &str, encoding: TextEncoding) -> Option<String> {
    let bytes = decode_lenient(value)?;
    match encoding {
        TextEncoding::Auto => match as_text(&bytes) {
            (Encoding::Binary, _) | (_, None) => None,
            (_, Some(text)) => Some(text.into_owned()),
        },
        TextEncoding::Utf8 => String::from_utf8(bytes).ok(),
        TextEncoding::Utf16Le => utf16(&bytes, false),
        TextEncoding::Utf16Be => utf16(&bytes, true),
        TextEncoding::Latin1 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        TextEncoding::Hex => Some(hex(&bytes)),
    }
}

impl ScalarUDFImpl for B64Decode {
    fn name(&self) -> &str {
        "b64_decode"
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
        let name = self.name();
        if args.args.len() == 1 {
            return map_string::<Utf8Output, _>(name, "value", &args.args, args.number_rows, |v| {
                decode(v, TextEncoding::Auto).map(Cow::Owned)
            });
        }
        map_strings::<2, Utf8Output, _>(
            name,
            ["value", "encoding"],
            &args.args,
            args.number_rows,
            |[value, encoding]| {
                let Some(encoding) = TextEncoding::parse(encoding) else {
                    return exec_err!(
                        "{name}: unknown encoding '{encoding}'; expected auto, utf-8, utf-16le, utf-16be, latin1 or hex"
                    );
                };
                Ok(decode(value, encoding).map(Cow::Owned))
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
    use crate::utils::test_util::{assert_unary, invoke, string_columns};
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use std::sync::Arc;

    #[test]
    fn auto_detects_utf16_and_utf8() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("hello world"),
            Some("Write-Host"),
            None,
            None,
            None,
        ]));
        assert_unary(
            &B64Decode::default(),
            &[
                Some("aGVsbG8gd29ybGQ="),
                Some("VwByAGkAdABlAC0ASABvAHMAdAA="),
                Some("TVqQAA=="),
                Some("not base64!"),
                None,
            ],
            expected,
        );
    }

    #[test]
    fn explicit_encodings() {
        let cases = [
            ("TVqQAA==", "hex", Some("4d5a9000")),
            ("TVqQAA==", "latin1", Some("MZ\u{90}\u{0}")),
            ("VwByAGkAdABlAA==", "UTF-16LE", Some("Write")),
            ("AFcAcg==", "utf-16be", Some("Wr")),
            ("TVqQAA==", "utf-8", None),
        ];
        for (value, encoding, expected) in cases {
            let [v, ..] = string_columns(&[Some(value)]);
            let [e, ..] = string_columns(&[Some(encoding)]);
            let out = invoke(&B64Decode::default(), vec![v, e]).unwrap();
            let expected: ArrayRef = Arc::new(StringArray::from(vec![expected]));
            assert_eq!(&out, &expected, "{value} as {encoding}");
        }
        let [v, ..] = string_columns(&[Some("aGk=")]);
        let [e, ..] = string_columns(&[Some("ebcdic")]);
        let err = invoke(&B64Decode::default(), vec![v, e]).unwrap_err();
        assert!(
            err.to_string()
                .contains("b64_decode: unknown encoding 'ebcdic'; expected auto"),
            "{err}"
        );
    }
}
