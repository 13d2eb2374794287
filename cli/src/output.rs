//! Result formats: table, csv, json, ndjson and markdown.
//!
//! CSV and JSON stream batch by batch; table and markdown need every row to
//! size their columns, so they buffer.

use std::io::Write;
use std::str::FromStr;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::json::writer::{JsonArray, LineDelimited, WriterBuilder};
use datafusion::arrow::json::Writer as JsonWriter;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches_with_options;
use datafusion::error::Result;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
    Markdown,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        <Format as clap::ValueEnum>::from_str(s, true).map_err(|_| {
            format!("unknown format '{s}'; expected one of table, csv, json, ndjson, markdown")
        })
    }
}

fn format_options() -> FormatOptions<'static> {
    FormatOptions::default().with_null("NULL")
}

/// Writes one result in a [`Format`] to `out`.
pub struct ResultWriter<'w> {
    format: Format,
    schema: SchemaRef,
    out: &'w mut dyn Write,
    buffered: Vec<RecordBatch>,
    csv_started: bool,
    json: Option<JsonWriter<Vec<u8>, JsonArray>>,
    rows: usize,
}

impl<'w> ResultWriter<'w> {
    pub fn new(format: Format, schema: SchemaRef, out: &'w mut dyn Write) -> Self {
        Self {
            format,
            schema,
            out,
            buffered: Vec::new(),
            csv_started: false,
            json: None,
            rows: 0,
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows();
        match self.format {
            Format::Table | Format::Markdown => self.buffered.push(batch.clone()),
            Format::Csv => {
                // One writer per batch; only the first writes the header.
                let mut writer = csv::WriterBuilder::new()
                    .with_header(!self.csv_started)
                    .build(&mut *self.out);
                writer.write(batch)?;
                self.csv_started = true;
            }
            Format::Json => {
                let writer = self.json.get_or_insert_with(|| {
                    WriterBuilder::new()
                        .with_explicit_nulls(true)
                        .build::<_, JsonArray>(Vec::new())
                });
                writer.write(batch)?;
                // Stream what the writer has produced so far.
                let bytes = std::mem::take(writer.get_mut());
                self.out.write_all(&bytes)?;
            }
            Format::Ndjson => {
                let mut writer = WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, LineDelimited>(&mut *self.out);
                writer.write(batch)?;
                writer.finish()?;
            }
        }
        Ok(())
    }

    /// Writes what was buffered and the closing parts of the format.
    pub fn finish(mut self) -> Result<()> {
        match self.format {
            Format::Table => {
                if self.schema.fields().is_empty() {
                    return Ok(());
                }
                let mut batches = std::mem::take(&mut self.buffered);
                if batches.is_empty() {
                    batches.push(RecordBatch::new_empty(self.schema.clone()));
                }
                let table = pretty_format_batches_with_options(&batches, &format_options())?;
                writeln!(self.out, "{table}")?;
            }
            Format::Markdown => self.write_markdown()?,
            Format::Csv => match self.csv_started {
                true => {}
                false => {
                    // No rows: still print the header.
                    let names: Vec<&str> = self
                        .schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect();
                    if !names.is_empty() {
                        writeln!(self.out, "{}", names.join(","))?;
                    }
                }
            },
            Format::Json => match self.json.take() {
                Some(mut writer) => {
                    writer.finish()?;
                    self.out.write_all(&writer.into_inner())?;
                    writeln!(self.out)?;
                }
                None => writeln!(self.out, "[]")?,
            },
            Format::Ndjson => {}
        }
        self.out.flush()?;
        Ok(())
    }

    fn write_markdown(&mut self) -> Result<()> {
        if self.schema.fields().is_empty() {
            return Ok(());
        }
        let escape = |s: &str| s.replace('|', "\\|").replace('\n', "<br>");
        let header: Vec<String> = self
            .schema
            .fields()
            .iter()
            .map(|f| escape(f.name()))
            .collect();
        writeln!(self.out, "| {} |", header.join(" | "))?;
        writeln!(self.out, "|{}", "---|".repeat(header.len()))?;
        let options = format_options();
        for batch in &self.buffered {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            for row in 0..batch.num_rows() {
                let cells: Vec<String> = formatters
                    .iter()
                    .map(|f| escape(&f.value(row).to_string()))
                    .collect();
                writeln!(self.out, "| {} |", cells.join(" | "))?;
            }
        }
        Ok(())
    }
}

/// Formats `batches` as a string.
#[cfg(test)]
fn to_string(format: Format, schema: SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    let mut buf = Vec::new();
    let mut writer = ResultWriter::new(format, schema, &mut buf);
    for b in batches {
        writer.write(b)?;
    }
    writer.finish()?;
    Ok(String::from_utf8(buf).expect("formats write UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![Some(1), None])),
                Arc::new(StringArray::from(vec![Some("x|y\nz"), Some("w")])),
            ],
        )
        .unwrap()
    }

    #[test]
    fn csv_header_is_written_once_across_batches() {
        let b = batch();
        let text = to_string(Format::Csv, b.schema(), &[b.clone(), b.clone()]).unwrap();
        assert_eq!(text.matches("n,s").count(), 1, "{text}");
        assert_eq!(text.lines().count(), 1 + 2 * 3, "{text}"); // quoted newline adds a line
    }

    #[test]
    fn json_array_spans_batches() {
        let b = batch();
        let text = to_string(Format::Json, b.schema(), &[b.clone(), b.clone()]).unwrap();
        assert!(
            text.starts_with("[{") && text.trim_end().ends_with("}]"),
            "{text}"
        );
        assert_eq!(text.matches("\"n\":null").count(), 2, "{text}");
    }

    #[test]
    fn markdown_escapes_pipes_and_newlines() {
        let b = batch();
        let text = to_string(Format::Markdown, b.schema(), &[b]).unwrap();
        assert!(text.contains("| 1 | x\\|y<br>z |"), "{text}");
        assert!(text.contains("| NULL | w |"), "{text}");
    }
}
