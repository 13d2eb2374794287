use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;
use regex::{Captures, Regex};

use crate::utils::{map_string, string_signature, Utf8Output};

#[user_doc(
    doc_section(label = "Text Functions"),
    description = r#"Undoes common IoC defanging so indicators can be matched: `[.]` `(.)` `{.}` `[dot]` `(dot)` `{dot}` become `.`; `[at]` `(at)` `{at}` `[@]` `(@)` become `@`; `[:]` `[://]` `[/]` lose their brackets; `hxxp`/`hxxps` become `http`/`https` and `fxp://` `ftp://` (all case-insensitive). Other text is unchanged."#,
    syntax_example = "refang(value)",
    sql_example = r#"```sql
> SELECT refang('hxxps://evil[.]com/x') AS url, refang('admin[at]evil(dot)com') AS email, refang('1.2.3[.]4') AS ip;
+--------------------+----------------+---------+
| url                | email          | ip      |
+--------------------+----------------+---------+
| https://evil.com/x | admin@evil.com | 1.2.3.4 |
+--------------------+----------------+---------+
```"#,
    argument(
        name = "value",
        description = "Text containing defanged indicators (any string type)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Refang {
    signature: Signature,
}

impl Default for Refang {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for Refang {
    fn name(&self) -> &str {
        "refang"
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
            "value",
            &args.args,
            args.number_rows,
            |value| Some(refang_text(value)),
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

pub(crate) static DEFANGED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\[at\]|\(at\)|\{at\}|\[@\]|\(@\)|\[://\]|\[:\]|\[/\]|\bhxxp(s?)\b|\bfxp(s?)://",
    )
    .expect("valid refang pattern")
});

pub(crate) fn refang_text(value: &str) -> Cow<'_, str> {
    DEFANGED.replace_all(value, |caps: &Captures| {
        let matched = caps[0].to_ascii_lowercase();
        let s = |group| caps.get(group).map_or("", |m| m.as_str());
        match matched.as_str() {
            "[://]" => "://".to_string(),
            "[:]" => ":".to_string(),
            "[/]" => "/".to_string(),
            m if m.contains('.') || m.contains("dot") => ".".to_string(),
            m if m.contains('@') || m.contains("at") => "@".to_string(),
            m if m.starts_with("hxxp") => format!("http{}", s(1)),
            _ => format!("ftp{}://", s(2)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::assert_unary;
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use std::sync::Arc;

    #[test]
    fn common_defang_styles() {
        assert_eq!(refang_text("hxxps://evil[.]com/x"), "https://evil.com/x");
        assert_eq!(refang_text("HXXP[:]//1.2.3(.)4"), "http://1.2.3.4");
        assert_eq!(refang_text("hxxp[://]a{.}b[/]c"), "http://a.b/c");
        assert_eq!(refang_text("admin[at]evil[dot]com"), "admin@evil.com");
        assert_eq!(
            refang_text("admin(AT)evil{DOT}com a[@]b"),
            "admin@evil.com a@b"
        );
        assert_eq!(refang_text("fxp://files[.]example"), "ftp://files.example");
        assert_eq!(
            refang_text("fxpx hxxpd [x] at dot"),
            "fxpx hxxpd [x] at dot"
        );
        assert!(matches!(refang_text("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn per_row() {
        let expected: ArrayRef =
            Arc::new(StringArray::from(vec![Some("http://a.b"), Some(""), None]));
        assert_unary(
            &Refang::default(),
            &[Some("hxxp://a[.]b"), Some(""), None],
            expected,
        );
    }
}
