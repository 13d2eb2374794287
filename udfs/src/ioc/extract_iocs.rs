use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, Int32Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::kinds::KindSet;
use super::list::ListRows;
use super::scan::extract;
use crate::utils::{string_signature, StringValues};

#[user_doc(
    doc_section(label = "IoC Functions"),
    description = r#"Every indicator of compromise in a text, as a list of `{ioc_type, observable, original, start, end}`: `ioc_type` is one of ipv4, ipv6, dns, url, email, md5_hash, sha1_hash, sha256_hash, windows_path, linux_path; `observable` the value normalised (refanged: `hxxps://evil[.]com` gives `https://evil.com`; domains, e-mail domains, hashes and IPv6 in lower case; URLs as written apart from the scheme); `original` the text as written; `start`/`end` where it is, in Unicode code points, 0-based, end exclusive (`substr(text, start + 1, end - start)` is `original`). Defanged forms (`1.2.3[.]4`, `hxxps://`, `fXp://`, `domain[.]com`, `user[at]domain[.]com`) are found. Domains must end in a suffix of the Public Suffix List compiled into huntsql (no network access); names that stand alone and look like files or code (`payload.ps1`, `report.zip`, `Microsoft.NET`, `WScript.Shell`, `$x.name`) are not domains, while the hosts of URLs, UNC paths and e-mail addresses are. IPv4 octets must be 0–255 and stand alone (not `v1.2.3.4` or part of `10.0.17763.1`); hashes are standalone hex of 32/40/64 characters (not GUIDs, longer runs, hex inside a file name, or one repeated character). Every URL is also checked %-decoded. One list element per occurrence, in order of position; an enclosing URL or e-mail comes before the host inside it. Expand the list with `unnest` and read the fields with `ioc['observable']` (see the example); `SELECT DISTINCT` for unique values."#,
    syntax_example = "extract_iocs(text[, types])",
    sql_example = r#"```sql
> SELECT ioc['ioc_type'] AS ioc_type, ioc['observable'] AS observable, ioc['original'] AS original, ioc['start'] AS start, ioc['end'] AS "end"
  FROM (SELECT unnest(extract_iocs('iwr hxxps://evil[.]com/a.ps1 -o C:\x.ps1; ping 10.0.0.1')) AS ioc);
+----------+------------------------+--------------------------+-------+-----+
| ioc_type | observable             | original                 | start | end |
+----------+------------------------+--------------------------+-------+-----+
| url      | https://evil.com/a.ps1 | hxxps://evil[.]com/a.ps1 | 4     | 28  |
| dns      | evil.com               | evil[.]com               | 12    | 22  |
| ipv4     | 10.0.0.1               | 10.0.0.1                 | 47    | 55  |
+----------+------------------------+--------------------------+-------+-----+
> SELECT ioc['ioc_type'] AS ioc_type, ioc['observable'] AS observable
  FROM (SELECT unnest(extract_iocs('mail bob[at]evil[.]com from C:\Users\bob', 'email,windows_path')) AS ioc);
+--------------+--------------+
| ioc_type     | observable   |
+--------------+--------------+
| email        | bob@evil.com |
| windows_path | C:\Users\bob |
+--------------+--------------+
```"#,
    argument(
        name = "text",
        description = "Text to search (any string type); NULL gives NULL."
    ),
    argument(
        name = "types",
        description = "Optional comma-separated list of the IoC types to report (case-insensitive; `all` for every type). Default: every type but windows_path and linux_path (msticpy's default). An unknown type is an error listing the valid ones."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ExtractIocs {
    signature: Signature,
}

impl Default for ExtractIocs {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 1),
        }
    }
}

/// `{ioc_type, observable, original, start, end}`.
fn item_fields() -> Fields {
    Fields::from(vec![
        Field::new("ioc_type", DataType::Utf8, false),
        Field::new("observable", DataType::Utf8, false),
        Field::new("original", DataType::Utf8, false),
        Field::new("start", DataType::Int32, false),
        Field::new("end", DataType::Int32, false),
    ])
}

static ITEM: LazyLock<Arc<Field>> =
    LazyLock::new(|| Arc::new(Field::new("item", DataType::Struct(item_fields()), true)));

/// The type of `extract_iocs`'s result.
pub(crate) fn return_type() -> DataType {
    DataType::List(ITEM.clone())
}

impl ScalarUDFImpl for ExtractIocs {
    fn name(&self) -> &str {
        "extract_iocs"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(return_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let texts = match args.args.first() {
            Some(text) => StringValues::new(name, "text", text)?,
            None => return exec_err!("{name}: expected the text to search"),
        };
        let types = match args.args.get(1) {
            Some(types) => Some(StringValues::new(name, "types", types)?),
            None => None,
        };
        let constant = texts.constant().is_some() && types.is_none_or(|t| t.constant().is_some());
        let rows = if constant { 1 } else { args.number_rows };

        let mut builder = IocListBuilder::with_capacity(rows);
        // The list is parsed once per distinct value, not once per row.
        let mut parsed: Option<(&str, KindSet)> = None;
        for row in 0..rows {
            let kinds = match types.map(|t| t.get(row)) {
                None => Some(KindSet::DEFAULT),
                Some(None) => None,
                Some(Some(list)) => match parsed {
                    Some((last, kinds)) if last == list => Some(kinds),
                    _ => {
                        let kinds = match KindSet::parse_list(list) {
                            Ok(kinds) => kinds,
                            Err(e) => return exec_err!("{name}: {e}"),
                        };
                        parsed = Some((list, kinds));
                        Some(kinds)
                    }
                },
            };
            match (texts.get(row), kinds) {
                (Some(text), Some(kinds)) => builder.append(text, kinds)?,
                _ => builder.append_null(),
            }
        }
        let array = builder.finish()?;
        if constant {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &array, 0,
            )?))
        } else {
            Ok(ColumnarValue::Array(array))
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Builds the `List<Struct>` column directly from its child columns.
struct IocListBuilder {
    rows: ListRows,
    ioc_type: StringBuilder,
    observable: StringBuilder,
    original: StringBuilder,
    start: Int32Builder,
    end: Int32Builder,
    len: usize,
}

impl IocListBuilder {
    fn with_capacity(rows: usize) -> Self {
        IocListBuilder {
            rows: ListRows::with_capacity(rows),
            ioc_type: StringBuilder::new(),
            observable: StringBuilder::new(),
            original: StringBuilder::new(),
            start: Int32Builder::new(),
            end: Int32Builder::new(),
            len: 0,
        }
    }

    fn append(&mut self, text: &str, kinds: KindSet) -> Result<()> {
        extract(text, kinds, |ioc| {
            self.ioc_type.append_value(ioc.kind.name());
            self.observable.append_value(ioc.observable);
            self.original.append_value(ioc.original);
            // Offsets of texts over 2^31 code points saturate rather than wrap.
            self.start
                .append_value(i32::try_from(ioc.start).unwrap_or(i32::MAX));
            self.end
                .append_value(i32::try_from(ioc.end).unwrap_or(i32::MAX));
            self.len += 1;
        });
        self.rows.end_row("extract_iocs", self.len)
    }

    fn append_null(&mut self) {
        self.rows.null_row();
    }

    fn finish(mut self) -> Result<ArrayRef> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.ioc_type.finish()),
            Arc::new(self.observable.finish()),
            Arc::new(self.original.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
        ];
        self.rows.finish(ITEM.clone(), item_fields(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::{invoke, invoke_values, string_columns};
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int32Type;

    /// `(type, observable, original, start, end)`.
    type Row = (String, String, String, i32, i32);

    /// The indicators of each row.
    fn rows(array: &ArrayRef) -> Vec<Option<Vec<Row>>> {
        let list = array.as_list::<i32>();
        (0..list.len())
            .map(|i| {
                list.is_valid(i).then(|| {
                    let items = list.value(i);
                    let s = items.as_struct();
                    let text =
                        |c: usize, j: usize| s.column(c).as_string::<i32>().value(j).to_string();
                    let int = |c: usize, j: usize| s.column(c).as_primitive::<Int32Type>().value(j);
                    (0..s.len())
                        .map(|j| (text(0, j), text(1, j), text(2, j), int(3, j), int(4, j)))
                        .collect()
                })
            })
            .collect()
    }

    #[test]
    fn every_string_type_and_nulls() {
        for column in string_columns(&[Some("ping 10.0.0.1"), None, Some("nothing here")]) {
            let out = invoke(&ExtractIocs::default(), vec![column]).unwrap();
            assert_eq!(
                rows(&out),
                vec![
                    Some(vec![(
                        "ipv4".into(),
                        "10.0.0.1".into(),
                        "10.0.0.1".into(),
                        5,
                        13
                    )]),
                    None,
                    Some(vec![]),
                ]
            );
        }
    }

    #[test]
    fn types_select_and_unknown_types_fail() {
        let [text, ..] = string_columns(&[Some("see http://evil.com/x and 1.2.3.4")]);
        let [types, ..] = string_columns(&[Some("ipv4")]);
        let out = invoke(&ExtractIocs::default(), vec![text.clone(), types]).unwrap();
        assert_eq!(rows(&out)[0].as_ref().unwrap().len(), 1);
        let [bad, ..] = string_columns(&[Some("ipv4, ip4")]);
        let err = invoke(&ExtractIocs::default(), vec![text, bad]).unwrap_err();
        assert!(
            err.to_string()
                .contains("extract_iocs: unknown IoC type 'ip4'; expected one of ipv4, ipv6, dns"),
            "{err}"
        );
    }

    #[test]
    fn constants_stay_scalar() {
        let out = invoke_values(
            &ExtractIocs::default(),
            vec![ColumnarValue::Scalar(ScalarValue::Utf8View(Some(
                "a@example.com".into(),
            )))],
            3,
        )
        .unwrap();
        let ColumnarValue::Scalar(ScalarValue::List(list)) = out else {
            panic!("expected a scalar list, got {out:?}");
        };
        assert_eq!(list.value(0).len(), 2);
    }
}
