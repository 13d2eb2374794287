//! `b64_unpack` / `b64_items` against msticpy 3.0.2's base64 unpacker.
//!
//! - msticpy's unit-test fixtures (`expected/msticpy_cases/base64unpack.json`:
//!   the nested zip/tar/gz files of `data/msticpy_testdata/`) give the same
//!   items: the same fragments decoding to the same bytes (MD5), names and
//!   archive types;
//! - every fragment msticpy decodes on the dev rows
//!   (`expected/msticpy_dev/b64.csv`) decodes to the same bytes here;
//! - every encoded PowerShell command of the corpus decodes to readable text.
//!
//! Documented differences: references follow the tree (msticpy numbers a
//! level's fragments in the order it meets them, whatever their parent);
//! UTF-16 text is read as text (msticpy needs `utf16=True`, and otherwise
//! shows it NUL-riddled or as binary); raw deflate streams are inflated.

use std::collections::BTreeMap;
use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use huntsql_tests::{csv, shared_dir};
use huntsql_udfs::base64::{unpack, unpack_items, Item, Limits};
use serde_json::Value;

fn shared(path: &str) -> PathBuf {
    shared_dir().join(path)
}

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(shared(path)).expect("shared file");
    serde_json::from_str(&text).expect("valid JSON")
}

/// `b64_items`'s items (the unpacker without the text), checked against
/// the items of the unpacker that writes the text.
fn items(text: &str) -> Vec<Item> {
    let listed = unpack_items(text, Limits::default());
    assert_eq!(
        listed,
        unpack(text, Limits::default(), true).items,
        "{text}"
    );
    listed
}

fn unpacked(text: &str) -> String {
    unpack(text, Limits::default(), false).text.into_owned()
}

/// (original_string, md5) of each item, sorted.
fn fragments_and_bytes(items: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<_> = items.into_iter().collect();
    out.sort();
    out
}

#[test]
fn msticpy_fixtures_give_the_same_items() {
    let cases = json("expected/msticpy_cases/base64unpack.json");
    for case in cases["cases"].as_array().unwrap() {
        let file = case["input_file"].as_str().unwrap();
        let name = file.rsplit('/').next().unwrap();
        let input =
            std::fs::read_to_string(shared(&format!("data/msticpy_testdata/{name}"))).unwrap();
        assert_eq!(
            input,
            case["input"].as_str().unwrap(),
            "{file} is the fixture msticpy read"
        );
        let expected = case["observed_records_unpack"].as_array().unwrap();
        let ours = items(&input);
        assert_eq!(ours.len(), expected.len(), "{file}: item count");
        if let Some(shape) = case["asserted_shape_unpack_items_and_unpack"].as_array() {
            assert_eq!(
                ours.len() as u64,
                shape[0].as_u64().unwrap(),
                "{file}: msticpy's assertion"
            );
        }
        assert_eq!(
            fragments_and_bytes(
                ours.iter()
                    .map(|i| (i.original_string.clone(), i.md5.clone()))
            ),
            fragments_and_bytes(expected.iter().map(|r| (
                r["original_string"].as_str().unwrap().to_string(),
                r["md5"].as_str().unwrap().to_string()
            ))),
            "{file}: the same fragments decode to the same bytes"
        );
        for record in expected {
            let md5 = record["md5"].as_str().unwrap();
            let ours: Vec<&Item> = ours
                .iter()
                .filter(|i| {
                    i.md5 == md5 && i.original_string == record["original_string"].as_str().unwrap()
                })
                .collect();
            let item = ours[0];
            assert_eq!(
                item.file_name,
                record["file_name"].as_str().unwrap(),
                "{file} {md5}"
            );
            // msticpy's file_type of an archive member is the archive's type.
            assert_eq!(
                item.container.or(item.file_type),
                record["file_type"].as_str(),
                "{file} {md5}"
            );
            assert_eq!(item.sha256, record["sha256"].as_str().unwrap());
            assert_eq!(
                item.printable_bytes,
                record["printable_bytes"].as_str().unwrap()
            );
            match item.encoding {
                // UTF-16 with a byte-order mark: binary to msticpy.
                "utf-16" => {
                    assert_eq!(record["encoding_type"], "binary");
                    assert_eq!(item.decoded_string.as_deref(), Some("text\r\nfile\r\n"));
                }
                encoding => {
                    assert_eq!(
                        encoding,
                        record["encoding_type"].as_str().unwrap(),
                        "{file} {md5}"
                    );
                    assert_eq!(
                        item.decoded_string.as_deref(),
                        record["decoded_string"].as_str()
                    );
                }
            }
        }
    }
}

/// The zip fixture's whole output is msticpy's, but for the UTF-16 member,
/// shown as text instead of bytes.
#[test]
fn msticpy_zip_fixture_output() {
    let cases = json("expected/msticpy_cases/base64unpack.json");
    let case = &cases["cases"][0];
    assert_eq!(case["input_file"], "testdata/b64text_inzip.txt");
    let expected = case["observed_full_decoded_string_unpack"]
        .as_str()
        .unwrap()
        .replace(
            "<decoded value='binary'  name='[None]' type='None' index='1.1' depth='2'>ff fe 74 00 65 00 78 00 74 00 0d 00 0a 00 66 00 69 00 6c 00 65 00 0d 00 0a 00</decoded>",
            "<decoded type='string' name='[None]' index='1.1' depth='2'>text\r\nfile\r\n</decoded>",
        );
    assert_eq!(unpacked(case["input"].as_str().unwrap()), expected);
}

/// The nested fixture: a tar and a zip of three files each, two of which
/// hold base64 again. The structure is msticpy's; references follow the
/// tree (`1.1.1` for the fragment inside member 1.1, which msticpy numbers
/// `2.1` at depth 2), and a binary member's `type` is its own (`gz`), not
/// its archive's.
#[test]
fn msticpy_nested_fixture_output() {
    let cases = json("expected/msticpy_cases/base64unpack.json");
    let case = &cases["cases"][1];
    assert_eq!(case["input_file"], "testdata/base64msg.txt");
    let out = unpacked(case["input"].as_str().unwrap());
    let expected = case["observed_full_decoded_string_unpack"]
        .as_str()
        .unwrap();
    let tree = expected
        .replace("index='2.1' depth='2'>3e 7b", "index='1.1.1' depth='3'>3e 7b")
        .replace("type='tar' index='1.3'", "type='gz' index='1.3'")
        .replace("type='zip' index='2.3'", "type='gz' index='2.3'")
        .replace(
            "<decoded value='binary'  name='[None]' type='None' index='2.2' depth='2'>ff fe 74 00 65 00 78 00 74 00 0d 00 0a 00 66 00 69 00 6c 00 65 00 0d 00 0a 00</decoded>",
            "<decoded type='string' name='[None]' index='1.2.1' depth='3'>text\r\nfile\r\n</decoded>",
        );
    assert_eq!(out, tree);
}

#[test]
fn msticpy_probes_and_quirks() {
    let cases = json("expected/msticpy_cases/base64unpack.json");
    // Each probe ran with utf16 off and on: huntsql gives one of the two,
    // UTF-16 exactly when the bytes are UTF-16 text.
    let mut by_input: BTreeMap<&str, BTreeMap<bool, &str>> = BTreeMap::new();
    for probe in cases["probes_observed"].as_array().unwrap() {
        by_input
            .entry(probe["input"].as_str().unwrap())
            .or_default()
            .insert(
                probe["utf16"].as_bool().unwrap(),
                probe["full_decoded_string"].as_str().unwrap(),
            );
    }
    for (input, outputs) in by_input {
        let ours = unpacked(input);
        let utf16 = input.starts_with("powershell -enc");
        assert_eq!(ours, outputs[&utf16], "{input}");
    }
    let quirks = json("expected/msticpy_cases/quirks.json");
    for (name, case) in quirks["b64"].as_object().unwrap() {
        let input = case["input"].as_str().unwrap();
        // `unpack`, not `unpack_items`: the latter pads the whole input
        // with `A`s first (a msticpy bug), so 30 plain letters decode.
        assert_eq!(
            unpacked(input),
            case["unpack"]["full_decoded_string"].as_str().unwrap(),
            "{name}"
        );
        let expected: Vec<(String, String)> = case["unpack"]["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r[1].as_str().unwrap().to_string(),
                    r[2].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let ours: Vec<(String, String)> = items(input)
            .into_iter()
            .map(|i| (i.original_string, i.decoded_string.unwrap_or_default()))
            .collect();
        assert_eq!(ours, expected, "{name}");
    }
}

/// A column of a parquet file as strings, in file order.
async fn column(path: &str, name: &str) -> Vec<Option<String>> {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    let batches = ctx
        .read_parquet(
            shared(path).to_str().unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .and_then(|df| df.select_columns(&[name]))
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut out = Vec::new();
    for batch in batches {
        let strings = datafusion::arrow::compute::cast(batch.column(0), &DataType::Utf8).unwrap();
        let strings = strings.as_string::<i32>();
        for i in 0..strings.len() {
            out.push(strings.is_valid(i).then(|| strings.value(i).to_string()));
        }
    }
    out
}

#[tokio::test]
async fn every_fragment_msticpy_decodes_on_dev_rows_decodes_the_same() {
    let lines = column("data/process_events.dev.parquet", "CommandLine").await;
    let records = csv::read_rows(&shared("expected/msticpy_dev/b64.csv"));
    assert_eq!(records.len(), 204);
    let mut checked = 0;
    let mut cache: BTreeMap<usize, Vec<Item>> = BTreeMap::new();
    for record in &records {
        let row: usize = record["src_index"].parse().unwrap();
        let line = lines[row].as_deref().expect("a command line");
        assert_eq!(line, record["CommandLine"], "row {row} is msticpy's row");
        let ours = cache.entry(row).or_insert_with(|| items(line));
        let found = ours
            .iter()
            .any(|i| i.original_string == record["original_string"] && i.md5 == record["md5"]);
        assert!(
            found,
            "row {row}: msticpy's fragment {:?} (md5 {}) is not decoded the same",
            &record["original_string"][..record["original_string"].len().min(80)],
            record["md5"]
        );
        checked += 1;
    }
    assert_eq!(checked, 204);
}

/// Readable: no NUL, and at least 95% printable characters or white space.
fn readable(text: &str) -> bool {
    let total = text.chars().count();
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .count();
    !text.contains('\0') && total > 0 && printable * 20 >= total * 19
}

#[tokio::test]
async fn every_encoded_powershell_command_reads_as_text() {
    let path = "data/corpus/encoded_powershell.parquet";
    let commands = column(path, "CommandLine").await;
    let parents = column(path, "ParentCommandLine").await;
    assert_eq!(commands.len(), 134);
    let flag = regex::Regex::new(r"(?i)\s-e(?:nc|ncodedcommand|c)?\s+(\S+)").unwrap();
    let (mut decoded, mut elsewhere) = (0, 0);
    for (row, (command, parent)) in commands.iter().zip(&parents).enumerate() {
        let line = [command, parent]
            .into_iter()
            .flatten()
            .find(|l| flag.is_match(l))
            .unwrap_or_else(|| panic!("row {row} has an encoded command"));
        let argument = flag.captures(line).unwrap()[1]
            .trim_matches(['"', '\''])
            .to_string();
        // `-enc $x`: the payload is in a variable (read from the registry),
        // not in the command line.
        if argument.starts_with('$') {
            elsewhere += 1;
            continue;
        }
        let items = items(line);
        let item = items
            .iter()
            .find(|i| i.original_string == argument)
            .unwrap_or_else(|| panic!("row {row}: {argument:.60} not decoded"));
        // PowerShell wants UTF-16; one test row encodes UTF-8, read as such.
        assert!(
            matches!(item.encoding, "utf-16" | "utf-8"),
            "row {row}: {}",
            item.encoding
        );
        let text = item.decoded_string.as_deref().unwrap();
        assert!(readable(text), "row {row}: {text:.200}");
        let element = format!(
            "<decoded type='string' name='[None]' index='{}' depth='1'>",
            item.reference
        );
        assert!(
            unpacked(line).contains(&element),
            "row {row}: shown in place as text"
        );
        decoded += 1;
    }
    println!("{decoded} encoded commands decoded, {elsewhere} held in a variable");
    assert_eq!(decoded + elsewhere, 134);
    assert!(elsewhere <= 5, "{elsewhere} commands without their payload");
}
