//! A small RFC 4180 reader for the expected-output CSVs that pandas writes
//! (quoted fields with commas, quotes and newlines inside).

use std::collections::HashMap;
use std::path::Path;

/// The records of a CSV text, fields unquoted.
pub fn parse(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// The rows of a CSV file with a header, as column name → value.
pub fn read_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut records = parse(&text).into_iter();
    let header = records.next().unwrap_or_default();
    records
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_commas_and_newlines() {
        let rows = super::parse("a,b\n\"x,\"\"y\"\"\nz\",2\r\n3,\n");
        assert_eq!(
            rows,
            vec![vec!["a", "b"], vec!["x,\"y\"\nz", "2"], vec!["3", ""]]
        );
    }
}
