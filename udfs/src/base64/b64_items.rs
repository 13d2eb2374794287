use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Int32Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{exec_err, HashMap, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::args::{limits, signature};
use super::decode::may_hold_fragment;
use super::unpack::{unpack_items_with, BatchBudget, DigestCache, Item, Limits};
use crate::ioc::list::ListRows;
use crate::utils::StringValues;

#[user_doc(
    doc_section(label = "Decoding Functions"),
    description = r#"The items `b64_unpack` decodes from a text, as a list of records for analysis: `reference` (the `index` in b64_unpack's markup: `1`, `1.2`...), `depth`, `original_string` (the base64 fragment as written; for an archive member, the archive's fragment), `decoded_string` (the text, NULL for binary), `encoding` (utf-8, utf-16 or binary), `file_type` (from the header of binary content: exe, dll, sys, zip, gz, 7z, rar, pdf, msi, wim, tar), `file_name` (the member's name in its archive, the name stored in a gzip header or `gzip_file`, else `unknown`), `container` (gz, zip, tar or deflate for a member of one), `md5`, `sha1`, `sha256` (of the decoded bytes), `printable_bytes` (the bytes as hex) and `truncated` (cut at `max_item_bytes`, or damaged). Items come in the order of the markup, each before what was decoded inside it. Same caps as `b64_unpack`. Expand with `unnest` and read fields with `item['md5']`."#,
    syntax_example = "b64_items(text[, max_item_bytes[, max_value_bytes]])",
    sql_example = r#"```sql
> SELECT i['reference'] AS reference, i['encoding'] AS encoding, i['decoded_string'] AS decoded, i['md5'] AS md5
  FROM (SELECT unnest(b64_items('echo ZWNobyBkR2hwY3lCcGN5QjBhR1VnYVc1dVpYSnRiM04wSUhCc1lXbHVkR1Y0ZENCemRISnBibWNo')) AS i);
+-----------+----------+-----------------------------------------------------------+----------------------------------+
| reference | encoding | decoded                                                   | md5                              |
+-----------+----------+-----------------------------------------------------------+----------------------------------+
| 1         | utf-8    | echo dGhpcyBpcyB0aGUgaW5uZXJtb3N0IHBsYWludGV4dCBzdHJpbmch | 8d9ba2ac74d447df804ede424d92a564 |
| 1.1       | utf-8    | this is the innermost plaintext string!                   | 58510b09320567908cfbc7a5eaa88010 |
+-----------+----------+-----------------------------------------------------------+----------------------------------+
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
pub struct B64Items {
    signature: Signature,
}

impl Default for B64Items {
    fn default() -> Self {
        Self {
            signature: signature(),
        }
    }
}

fn item_fields() -> Fields {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    Fields::from(vec![
        text("reference", false),
        Field::new("depth", DataType::Int32, false),
        text("original_string", false),
        text("decoded_string", true),
        text("encoding", false),
        text("file_type", true),
        text("file_name", false),
        text("container", true),
        text("md5", false),
        text("sha1", false),
        text("sha256", false),
        text("printable_bytes", false),
        Field::new("truncated", DataType::Boolean, false),
    ])
}

static ITEM: LazyLock<Arc<Field>> =
    LazyLock::new(|| Arc::new(Field::new("item", DataType::Struct(item_fields()), true)));

impl ScalarUDFImpl for B64Items {
    fn name(&self) -> &str {
        "b64_items"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(ITEM.clone()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let limits = limits(name, &args.args)?;
        let texts = match args.args.first() {
            Some(text) => StringValues::new(name, "text", text)?,
            None => return exec_err!("{name}: expected the text to decode"),
        };
        let constant = texts.constant().is_some();
        let rows = if constant { 1 } else { args.number_rows };
        let mut builder = ItemListBuilder::new(rows, limits);
        for row in 0..rows {
            match texts.get(row) {
                Some(text) => builder.append(text)?,
                None => builder.rows.null_row(),
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

struct ItemListBuilder<'a> {
    limits: Limits,
    /// The items of values met earlier in the batch: logs repeat (the same
    /// scheduled command thousands of times), and a repeat is listed again
    /// without decoding and hashing it again.
    repeats: HashMap<&'a str, Vec<Item>>,
    /// Hashes and hex dumps of the payloads met in the batch.
    digests: DigestCache,
    rows: ListRows,
    text: [StringBuilder; 11],
    depth: Int32Builder,
    truncated: BooleanBuilder,
    len: usize,
    budget: BatchBudget,
}

impl<'a> ItemListBuilder<'a> {
    fn new(rows: usize, limits: Limits) -> Self {
        ItemListBuilder {
            limits,
            repeats: HashMap::new(),
            digests: DigestCache::default(),
            rows: ListRows::with_capacity(rows),
            text: std::array::from_fn(|_| StringBuilder::new()),
            depth: Int32Builder::new(),
            truncated: BooleanBuilder::new(),
            len: 0,
            budget: BatchBudget::default(),
        }
    }

    fn append(&mut self, text: &'a str) -> Result<()> {
        if !may_hold_fragment(text) {
            return self.rows.end_row("b64_items", self.len);
        }
        // A repeat is reused only while the batch budget leaves the caps as
        // given: then decoding it again would give the same items.
        let caps = self.budget.limits(self.limits);
        let reusable = caps == self.limits;
        let fresh = match self.repeats.contains_key(text) {
            true if reusable => None,
            _ => Some(unpack_items_with(text, caps, &mut self.digests)),
        };
        let items: &[Item] = match &fresh {
            Some(items) => items,
            None => &self.repeats[text],
        };
        // The hex dump is the largest field: three bytes per decoded byte.
        let spent = items.iter().map(|i| i.printable_bytes.len() / 3).sum();
        for item in items {
            let values: [Option<&str>; 11] = [
                Some(&item.reference),
                Some(&item.original_string),
                item.decoded_string.as_deref(),
                Some(item.encoding),
                item.file_type,
                Some(&item.file_name),
                item.container,
                Some(&item.md5),
                Some(&item.sha1),
                Some(&item.sha256),
                Some(&item.printable_bytes),
            ];
            for (builder, value) in self.text.iter_mut().zip(values) {
                builder.append_option(value);
            }
            self.depth
                .append_value(i32::try_from(item.depth).unwrap_or(i32::MAX));
            self.truncated.append_value(item.truncated);
            self.len += 1;
        }
        self.budget.spend(spent);
        if let (Some(items), true) = (fresh, reusable) {
            self.repeats.insert(text, items);
        }
        self.rows.end_row("b64_items", self.len)
    }

    fn finish(mut self) -> Result<ArrayRef> {
        let mut text = self
            .text
            .map(|mut b| Arc::new(b.finish()) as ArrayRef)
            .into_iter();
        let mut next = || text.next().expect("eleven text columns");
        let reference = next();
        let columns: Vec<ArrayRef> = vec![
            reference,
            Arc::new(self.depth.finish()),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            Arc::new(self.truncated.finish()),
        ];
        self.rows.finish(ITEM.clone(), item_fields(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::{invoke, string_columns};
    use datafusion::arrow::array::{Array, AsArray};

    #[test]
    fn a_value_repeated_in_a_batch_lists_the_same_items_as_alone() {
        let nested =
            "cmd ZWNobyBkR2hwY3lCcGN5QjBhR1VnYVc1dVpYSnRiM04wSUhCc1lXbHVkR1Y0ZENCemRISnBibWNo";
        let other = "echo aGVsbG8gd29ybGQsIHRoaXMgaXMgYSBwbGFpbiB1dGY4IGJhc2U2NCB0ZXN0";
        let batch = [
            Some(nested),
            Some(other),
            Some("plain"),
            Some(nested),
            None,
            Some(other),
            Some(nested),
        ];
        for column in string_columns(&batch) {
            let together = invoke(&B64Items::default(), vec![column]).unwrap();
            let together = together.as_list::<i32>();
            for (row, value) in batch.iter().enumerate() {
                let [alone, ..] = string_columns(&[*value]);
                let alone = invoke(&B64Items::default(), vec![alone]).unwrap();
                let alone = alone.as_list::<i32>();
                assert_eq!(together.is_null(row), alone.is_null(0), "row {row}");
                if !alone.is_null(0) {
                    assert_eq!(&together.value(row), &alone.value(0), "row {row}");
                }
            }
            assert_eq!(together.value(3).len(), 2);
        }
    }

    #[test]
    fn items_per_row_in_every_string_type() {
        let input = [
            Some(
                "cmd ZWNobyBkR2hwY3lCcGN5QjBhR1VnYVc1dVpYSnRiM04wSUhCc1lXbHVkR1Y0ZENCemRISnBibWNo",
            ),
            None,
            Some("nothing"),
        ];
        for column in string_columns(&input) {
            let out = invoke(&B64Items::default(), vec![column]).unwrap();
            let list = out.as_list::<i32>();
            assert!(list.is_null(1));
            assert_eq!(list.value(2).len(), 0);
            let items = list.value(0);
            let s = items.as_struct();
            let col = |name: &str| s.column_by_name(name).unwrap().as_string::<i32>().clone();
            assert_eq!(col("reference").value(0), "1");
            assert_eq!(col("reference").value(1), "1.1");
            assert_eq!(
                col("decoded_string").value(1),
                "this is the innermost plaintext string!"
            );
            assert_eq!(col("encoding").value(0), "utf-8");
            assert_eq!(col("md5").value(1), "58510b09320567908cfbc7a5eaa88010");
            assert!(col("file_type").is_null(0));
        }
    }
}
