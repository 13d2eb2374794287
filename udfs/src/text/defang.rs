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
    description = r#"Defangs indicators so they can be shared without becoming links: every `.` becomes `[.]`, `@` becomes `[at]`, and the schemes `http://`, `https://`, `ftp://` become `hxxp://`, `hxxps://`, `fxp://`. Already defanged `[.]` is left alone, so `defang` is idempotent; `refang(defang(x))` gives `x` back."#,
    syntax_example = "defang(value)",
    sql_example = r#"```sql
> SELECT defang('https://evil.com/x') AS url, defang('admin@evil.com') AS email, defang('1.2.3.4') AS ip;
+----------------------+---------------------+---------------+
| url                  | email               | ip            |
+----------------------+---------------------+---------------+
| hxxps://evil[.]com/x | admin[at]evil[.]com | 1[.]2[.]3[.]4 |
+----------------------+---------------------+---------------+
```"#,
    argument(
        name = "value",
        description = "Text containing indicators (any string type)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Defang {
    signature: Signature,
}

impl Default for Defang {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for Defang {
    fn name(&self) -> &str {
        "defang"
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
            |value| Some(defang(value)),
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

static FANGED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(h)tt(ps?://)|\b(f)t(p://)|\[\.\]|\.|@").expect("valid defang pattern")
});

fn defang(value: &str) -> Cow<'_, str> {
    FANGED.replace_all(value, |caps: &Captures| {
        if let (Some(h), Some(rest)) = (caps.get(1), caps.get(2)) {
            return format!("{}xx{}", h.as_str(), rest.as_str());
        }
        if let (Some(f), Some(rest)) = (caps.get(3), caps.get(4)) {
            return format!("{}x{}", f.as_str(), rest.as_str());
        }
        match &caps[0] {
            "." => "[.]".to_string(),
            "@" => "[at]".to_string(),
            already_defanged => already_defanged.to_string(),
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
    fn defangs_urls_emails_and_ips() {
        assert_eq!(
            defang("https://evil.com/x.php"),
            "hxxps://evil[.]com/x[.]php"
        );
        assert_eq!(defang("HTTP://A.B"), "HxxP://A[.]B");
        assert_eq!(defang("ftp://files.example"), "fxp://files[.]example");
        assert_eq!(defang("admin@evil.com"), "admin[at]evil[.]com");
        assert_eq!(defang("http"), "http");
        assert_eq!(defang("no indicators"), "no indicators");
    }

    #[test]
    fn idempotent_and_reversible() {
        for s in ["https://evil.com/a.b?c=d@e", "10.0.0.1", "x"] {
            let once = defang(s);
            assert_eq!(defang(&once), once);
            assert_eq!(super::super::refang::refang_text(&once), s);
        }
    }

    #[test]
    fn per_row() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![Some("1[.]2[.]3[.]4"), None]));
        assert_unary(&Defang::default(), &[Some("1.2.3.4"), None], expected);
    }
}
