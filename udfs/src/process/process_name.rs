use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::features::{detect_separator, last_segment, parse_separator};
use crate::utils::{map_string, map_strings, string_signature, Utf8Output};

#[user_doc(
    doc_section(label = "Process Feature Functions"),
    description = r#"The file name of a process path: the text after the last separator (empty when the path ends with one). msticpy's `processName` feature. Without `separator`, `/` is used for a path containing `/` and `\` otherwise (msticpy makes that choice once, from the first 10 rows)."#,
    syntax_example = "process_name(path[, separator])",
    sql_example = r#"```sql
> SELECT process_name('C:\Windows\System32\cmd.exe') AS windows, process_name('/usr/bin/bash') AS linux, process_name('C:\Tools/x.exe', '\') AS forced;
+---------+-------+-------------+
| windows | linux | forced      |
+---------+-------+-------------+
| cmd.exe | bash  | Tools/x.exe |
+---------+-------+-------------+
```"#,
    argument(name = "path", description = "Process path (any string type)."),
    argument(
        name = "separator",
        description = "Optional path separator, `'\\'` or `'/'`."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ProcessName {
    signature: Signature,
}

impl Default for ProcessName {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 1),
        }
    }
}

impl ScalarUDFImpl for ProcessName {
    fn name(&self) -> &str {
        "process_name"
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
            return map_string::<Utf8Output, _>(name, "path", &args.args, args.number_rows, |p| {
                Some(Cow::Borrowed(last_segment(p, detect_separator(p))))
            });
        }
        map_strings::<2, Utf8Output, _>(
            name,
            ["path", "separator"],
            &args.args,
            args.number_rows,
            |[path, separator]| {
                let separator = parse_separator(name, separator)?;
                Ok(Some(Cow::Borrowed(last_segment(path, separator))))
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
    fn detects_the_separator_per_path() {
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("cmd.exe"),
            Some("bash"),
            Some("x.exe"),
            Some(""),
            Some("notepad.exe"),
            None,
        ]));
        assert_unary(
            &ProcessName::default(),
            &[
                Some(r"C:\Windows\System32\cmd.exe"),
                Some("/usr/bin/bash"),
                Some(r"C:\Tools/x.exe"),
                Some(r"C:\dir\"),
                Some("notepad.exe"),
                None,
            ],
            expected,
        );
    }

    #[test]
    fn explicit_separator() -> Result<()> {
        let [paths, ..] = string_columns(&[Some(r"C:\Tools/x.exe"), Some("/usr/bin/bash")]);
        let [separators, ..] = string_columns(&[Some("\\"), Some("\\")]);
        let out = invoke(&ProcessName::default(), vec![paths, separators])?;
        let expected: ArrayRef = Arc::new(StringArray::from(vec![
            Some("Tools/x.exe"),
            Some("/usr/bin/bash"),
        ]));
        assert_eq!(&out, &expected);
        Ok(())
    }

    #[test]
    fn bad_separator_is_an_error() {
        let [paths, ..] = string_columns(&[Some("a")]);
        let [separators, ..] = string_columns(&[Some("x")]);
        let err = invoke(&ProcessName::default(), vec![paths, separators]).unwrap_err();
        assert!(
            err.to_string()
                .contains(r"process_name: separator must be '\' or '/', got 'x'"),
            "{err}"
        );
    }
}
