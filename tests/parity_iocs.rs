//! `extract_iocs` against msticpy 3.0.2 and against hand labels.
//!
//! - msticpy's own test expectations (`expected/msticpy_cases/iocextract.json`)
//!   hold, and its known bugs (`quirks.json`) are not copied;
//! - on the dev command lines (`data/process_events.dev.parquet`, row i =
//!   row_id i) huntsql scores at least as well as msticpy
//!   (`expected/msticpy_dev/iocs.csv`) against `data/ioc_labels.dev.jsonl`,
//!   type by type, in precision and in recall;
//! - every observable where huntsql and msticpy differ on those rows falls
//!   in a documented category.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use huntsql_tests::{csv, shared_dir};
use huntsql_udfs::ioc::extract_iocs_value;
use serde_json::Value;

fn shared(path: &str) -> PathBuf {
    shared_dir().join(path)
}

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(shared(path)).expect("shared file");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The dev `CommandLine`s, row i = row_id i.
async fn command_lines() -> Vec<Option<String>> {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    let path = shared("data/process_events.dev.parquet");
    let batches = ctx
        .read_parquet(
            path.to_str().expect("utf-8 path"),
            ParquetReadOptions::default(),
        )
        .await
        .and_then(|df| df.select_columns(&["CommandLine"]))
        .expect("dev parquet")
        .collect()
        .await
        .expect("dev parquet rows");
    let mut out = Vec::new();
    for batch in batches {
        let column = datafusion::arrow::compute::cast(
            batch.column(0),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .expect("string column");
        let strings = column.as_string::<i32>();
        for i in 0..strings.len() {
            out.push(strings.is_valid(i).then(|| strings.value(i).to_string()));
        }
    }
    out
}

fn extract(text: &str, types: Option<&str>) -> Vec<(&'static str, String)> {
    extract_iocs_value(text, types)
        .expect("valid types")
        .into_iter()
        .map(|(t, observable, ..)| (t, observable))
        .collect()
}

/// Distinct observables per type.
fn by_type(found: &[(&str, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, v) in found {
        out.entry(t.to_string()).or_default().insert(v.clone());
    }
    out
}

// ---------------------------------------------------------------------------
// msticpy's unit-test cases

#[test]
fn msticpy_string_cases_counts() {
    let cases = json("expected/msticpy_cases/iocextract.json");
    for case in cases["string_cases"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        // msticpy's string extract scans every type, paths included.
        let found = by_type(&extract(input, Some("all")));
        for (t, count) in case["asserted_counts"].as_object().unwrap() {
            let got = found.get(t).map_or(0, BTreeSet::len);
            assert_eq!(
                got as u64,
                count.as_u64().unwrap(),
                "case {}: {t} in {input:?}: found {:?}",
                case["id"],
                found.get(t)
            );
        }
    }
}

/// msticpy's DataFrame cases run over the string cases as rows. One count is
/// not reproduced on purpose: msticpy counts the pieces of URLs
/// (`//some.domain.it/thepath?...`, `/url:https:`) as Linux paths.
#[test]
fn msticpy_dataframe_cases_counts() {
    let cases = json("expected/msticpy_cases/iocextract.json");
    let rows: Vec<&str> = cases["string_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["input"].as_str().unwrap())
        .collect();
    for case in cases["dataframe_cases"].as_array().unwrap() {
        let Some(asserted) = case["asserted_type_counts"].as_object() else {
            continue;
        };
        let kwargs = &case["kwargs"];
        let types = match kwargs["ioc_types"].as_array() {
            Some(list) => list
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(","),
            None if kwargs["include_paths"] == Value::Bool(true) => {
                "ipv4,ipv6,dns,url,email,md5_hash,sha1_hash,sha256_hash,windows_path".into()
            }
            None => "ipv4,ipv6,dns,url,email,md5_hash,sha1_hash,sha256_hash".into(),
        };
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for row in &rows {
            for (t, values) in by_type(&extract(row, Some(&types))) {
                *counts.entry(t).or_default() += values.len() as u64;
            }
        }
        for (t, count) in asserted {
            if t == "linux_path" && count.as_u64() != Some(0) {
                assert_eq!(counts.get(t), Some(&3), "the three real Linux paths");
                continue;
            }
            assert_eq!(
                counts.get(t).copied().unwrap_or(0),
                count.as_u64().unwrap(),
                "{t} with {kwargs}"
            );
        }
    }
}

#[test]
fn msticpy_defanged_cases() {
    let cases = json("expected/msticpy_cases/iocextract.json");
    for case in cases["defanged_cases"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let t = case["ioc_type"].as_str().unwrap();
        let found = by_type(&extract(input, Some("all")));
        let expected = case["asserted_found"].as_bool().unwrap();
        assert_eq!(
            found.contains_key(t),
            expected,
            "{t} in {input:?}: {found:?}"
        );
        // Unlike msticpy, the observable is refanged.
        for values in found.values() {
            for v in values {
                assert!(
                    !v.contains("[.]") && !v.contains("[AT]"),
                    "{v} in {input:?}"
                );
                assert!(!v.to_ascii_lowercase().starts_with("hxxp"), "{v}");
            }
        }
    }
}

/// msticpy's bugs pinned in `quirks.json`, and what huntsql does instead.
#[test]
fn msticpy_quirks_not_copied() {
    let quirks = json("expected/msticpy_cases/quirks.json");
    let expected: &[(&str, &[(&str, &str)])] = &[
        (
            "adjacent_hashes_every_second_missed",
            &[
                ("md5_hash", "d41d8cd98f00b204e9800998ecf8427e"),
                ("md5_hash", "0cc175b9c0f1b6a831c399e269772661"),
                ("md5_hash", "92eb5ffee6ae2fec3ad71c777531578f"),
            ],
        ),
        (
            "adjacent_hashes_comma",
            &[
                ("md5_hash", "d41d8cd98f00b204e9800998ecf8427e"),
                ("md5_hash", "0cc175b9c0f1b6a831c399e269772661"),
            ],
        ),
        (
            "adjacent_hashes_newline_ok",
            &[
                ("md5_hash", "d41d8cd98f00b204e9800998ecf8427e"),
                ("md5_hash", "0cc175b9c0f1b6a831c399e269772661"),
            ],
        ),
        (
            "second_url_decode_skipped",
            &[
                ("url", "http://a.com/x%2Fy"),
                ("url", "http://a.com/x/y"),
                ("dns", "a.com"),
                ("url", "http://b.com/p%2Fq%2Fr"),
                ("url", "http://b.com/p/q/r"),
                ("dns", "b.com"),
            ],
        ),
        (
            "url_host_added_as_dns_without_tld_check",
            &[("url", "http://intranet/x")],
        ),
        ("ipv4_no_octet_validation", &[]),
        ("dns_suffix_of_filename", &[]),
        ("dns_case_preserved", &[("dns", "www.microsoft.com")]),
        ("private_tlds_rejected", &[]),
        (
            "ipv6_with_zone_and_prefix",
            &[
                ("ipv6", "fe80::1"),
                ("ipv6", "2001:db8::1"),
                ("ipv6", "::1"),
            ],
        ),
        (
            "url_trailing_quote_kept",
            &[("url", "https://x.example.com/a"), ("dns", "x.example.com")],
        ),
        (
            "defanged_output_not_refanged",
            &[
                ("ipv4", "1.2.3.4"),
                ("dns", "evil.com"),
                ("url", "https://evil.com/x"),
                ("dns", "evil.com"),
            ],
        ),
    ];
    let cases = quirks["ioc"].as_object().unwrap();
    assert_eq!(
        cases.len(),
        expected.len(),
        "every quirk has an expectation"
    );
    for (name, want) in expected {
        let input = cases[*name]["input"].as_str().unwrap();
        let got = extract(input, None);
        let want: Vec<(&str, String)> = want.iter().map(|(t, v)| (*t, v.to_string())).collect();
        assert_eq!(got, want, "{name}: {input:?}");
    }
}

// ---------------------------------------------------------------------------
// Scoring against the hand labels: tools/score_iocs.py, in Rust.

const TYPES: [&str; 8] = [
    "ipv4",
    "ipv6",
    "dns",
    "url",
    "email",
    "md5_hash",
    "sha1_hash",
    "sha256_hash",
];

fn refang(v: &str) -> String {
    let mut v = v.to_string();
    for (a, b) in [
        ("[.]", "."),
        ("(.)", "."),
        ("[dot]", "."),
        ("hxxp", "http"),
        ("hXXp", "http"),
        ("fxp", "ftp"),
        ("fXp", "ftp"),
        ("[at]", "@"),
        ("[AT]", "@"),
        ("[@]", "@"),
    ] {
        v = v.replace(a, b);
    }
    v
}

fn norm(t: &str, v: &str) -> String {
    let v = refang(v.trim());
    if matches!(
        t,
        "dns" | "email" | "md5_hash" | "sha1_hash" | "sha256_hash"
    ) {
        v.to_lowercase()
    } else {
        v
    }
}

type Labelled = BTreeSet<(usize, String)>;

struct Labels {
    gold: HashMap<&'static str, Labelled>,
    internal: Labelled,
}

fn load_labels() -> Labels {
    let text = std::fs::read_to_string(shared("data/ioc_labels.dev.jsonl")).unwrap();
    let mut labels = Labels {
        gold: HashMap::new(),
        internal: BTreeSet::new(),
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record: Value = serde_json::from_str(line).unwrap();
        let row = record["row_id"].as_u64().unwrap() as usize;
        for ioc in record["iocs"].as_array().unwrap() {
            let t = ioc["type"].as_str().unwrap();
            let v = ioc["value"].as_str().unwrap();
            if t == "dns_internal" {
                labels.internal.insert((row, norm("dns", v)));
            } else if let Some(t) = TYPES.iter().find(|x| **x == t) {
                labels.gold.entry(t).or_default().insert((row, norm(t, v)));
            }
        }
    }
    labels
}

#[derive(Debug, Clone, Copy)]
struct Score {
    precision: f64,
    recall: f64,
    f1: f64,
    n: usize,
}

/// Per-type and overall (precision, recall), as score_iocs.py computes them.
fn score(labels: &Labels, predictions: &[(usize, String, String)]) -> (Vec<Score>, f64, f64) {
    let mut pred: HashMap<&str, Labelled> = HashMap::new();
    for (row, t, v) in predictions {
        if let Some(t) = TYPES.iter().find(|x| **x == t.as_str()) {
            if !v.is_empty() {
                pred.entry(t).or_default().insert((*row, norm(t, v)));
            }
        }
    }
    let empty = BTreeSet::new();
    let (mut tp_all, mut fp_all, mut fn_all) = (0, 0, 0);
    let mut per_type = Vec::new();
    for t in TYPES {
        let gold = labels.gold.get(t).unwrap_or(&empty);
        let p: Labelled = pred
            .get(t)
            .unwrap_or(&empty)
            .iter()
            .filter(|x| !(t == "dns" && labels.internal.contains(x)))
            .cloned()
            .collect();
        let tp = p.intersection(gold).count();
        let fp = p.difference(gold).count();
        let fneg = gold.difference(&p).count();
        (tp_all, fp_all, fn_all) = (tp_all + tp, fp_all + fp, fn_all + fneg);
        let ratio = |a: usize, b: usize| {
            if a + b > 0 {
                a as f64 / (a + b) as f64
            } else {
                1.0
            }
        };
        let (precision, recall) = (ratio(tp, fp), ratio(tp, fneg));
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        per_type.push(Score {
            precision,
            recall,
            f1,
            n: gold.len(),
        });
    }
    let ratio = |a: usize, b: usize| {
        if a + b > 0 {
            a as f64 / (a + b) as f64
        } else {
            1.0
        }
    };
    (per_type, ratio(tp_all, fp_all), ratio(tp_all, fn_all))
}

fn msticpy_predictions() -> Vec<(usize, String, String)> {
    csv::read_rows(&shared("expected/msticpy_dev/iocs.csv"))
        .into_iter()
        .map(|r| {
            (
                r["SourceIndex"].parse::<f64>().unwrap() as usize,
                r["IoCType"].clone(),
                r["Observable"].clone(),
            )
        })
        .collect()
}

fn huntsql_predictions(lines: &[Option<String>]) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (row, line) in lines.iter().enumerate() {
        if let Some(line) = line {
            for (t, v) in extract(line, None) {
                out.push((row, t.to_string(), v));
            }
        }
    }
    out
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

#[tokio::test]
async fn beats_msticpy_against_dev_labels() {
    let lines = command_lines().await;
    assert_eq!(lines.len(), 5489);
    let ours = huntsql_predictions(&lines);
    let theirs = msticpy_predictions();
    let labels = load_labels();

    // The predictions as CSV, for tools/score_iocs.py.
    let csv_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("huntsql_iocs_dev.csv");
    let mut text = String::from("row_id,ioc_type,observable\n");
    for (row, t, v) in &ours {
        text.push_str(&format!("{row},{t},{}\n", csv_field(v)));
    }
    std::fs::write(&csv_path, text).unwrap();

    let (ours_t, ours_p, ours_r) = score(&labels, &ours);
    let (theirs_t, theirs_p, theirs_r) = score(&labels, &theirs);
    assert!(
        (theirs_p - 0.750).abs() < 5e-4 && (theirs_r - 0.990).abs() < 5e-4,
        "msticpy's anchor scores as the README says: P={theirs_p:.3} R={theirs_r:.3}"
    );
    let mut report = String::new();
    let mut worse = Vec::new();
    for ((t, o), a) in TYPES.iter().zip(&ours_t).zip(&theirs_t) {
        report.push_str(&format!(
            "{t:12} n={:4} huntsql P={:.3} R={:.3} F1={:.3}   msticpy P={:.3} R={:.3} F1={:.3}\n",
            o.n, o.precision, o.recall, o.f1, a.precision, a.recall, a.f1
        ));
        if o.precision + 1e-9 < a.precision || o.recall + 1e-9 < a.recall {
            worse.push(*t);
        }
    }
    report.push_str(&format!(
        "overall huntsql P={ours_p:.3} R={ours_r:.3}   msticpy P={theirs_p:.3} R={theirs_r:.3}\n"
    ));
    println!("{report}predictions: {}", csv_path.display());
    assert!(
        worse.is_empty(),
        "worse than msticpy on {worse:?}:\n{report}"
    );
    assert!(
        ours_p + 1e-9 >= theirs_p && ours_r + 1e-9 >= theirs_r,
        "{report}"
    );

    // The reference scorer agrees, where python3 is installed (it needs no
    // third-party package).
    let script = shared("tools/score_iocs.py");
    match std::process::Command::new("python3")
        .arg(&script)
        .arg(shared("data/ioc_labels.dev.jsonl"))
        .arg(&csv_path)
        .arg(shared("expected/msticpy_dev/iocs.csv"))
        .output()
    {
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            println!("score_iocs.py:\n{stdout}");
            assert!(out.status.success(), "score_iocs.py says worse:\n{stdout}");
            assert!(
                stdout.contains(&format!("overall P={ours_p:.3} R={ours_r:.3}")),
                "the Rust scorer agrees with score_iocs.py:\n{stdout}"
            );
        }
        Err(e) => println!("python3 not available ({e}): score_iocs.py not run"),
    }
}

// ---------------------------------------------------------------------------
// Every difference from msticpy on the dev rows, explained.

/// File extensions that msticpy's domain regex took for top-level domains.
const FILE_EXTENSIONS: &[&str] = &[
    "zip", "md", "py", "ps", "cab", "man", "sh", "exe", "dll", "ps1", "txt", "bat", "cmd", "vbs",
    "js",
];

/// Members of .NET/COM/scripting objects that are also top-level domains
/// (`WScript.Shell`, `$x.name`, `objShell.Run`, `Microsoft.NET`).
const CODE_MEMBERS: &[&str] = &[
    "shell", "name", "run", "read", "open", "net", "ie", "photos",
];

fn occurrences<'a>(text: &'a str, value: &'a str) -> impl Iterator<Item = usize> + 'a {
    let lower_text = text.to_lowercase();
    let lower_value = value.to_lowercase();
    let found: Vec<usize> = lower_text
        .match_indices(&lower_value)
        .map(|(i, _)| i)
        .collect();
    found.into_iter()
}

fn before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn after(text: &str, i: usize, len: usize) -> Option<char> {
    text[i + len..].chars().next()
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Why msticpy reports `value` (of type `t`) in `text` and huntsql does not.
fn msticpy_only(
    t: &str,
    value: &str,
    text: &str,
    ours: &BTreeSet<(String, String)>,
) -> Option<&'static str> {
    let at: Vec<usize> = occurrences(text, value).collect();
    let everywhere = |f: &dyn Fn(usize) -> bool| !at.is_empty() && at.iter().all(|&i| f(i));
    match t {
        "dns" => {
            let last = value.rsplit('.').next().unwrap_or("");
            if !value.contains('.') {
                Some("dns: single-label URL host (http://server/x), not a domain")
            } else if everywhere(&|i| {
                is_word(after(text, i, value.len())) || is_word(before(text, i))
            }) {
                Some("dns: piece of a longer name (blah.ps1 read as blah.ps)")
            } else if FILE_EXTENSIONS.contains(&last.to_lowercase().as_str()) {
                Some("dns: file name (report.zip, T1197.md)")
            } else if CODE_MEMBERS.contains(&last)
                || everywhere(&|i| {
                    matches!(before(text, i), Some('$' | '\\' | '/'))
                        || after(text, i, value.len()) == Some('(')
                })
            {
                Some("dns: .NET/COM/PowerShell name or path component (WScript.Shell, $x.name)")
            } else if ours
                .iter()
                .any(|(ot, ov)| ot == "url" && text.contains(ov.as_str()))
                && value.contains("')")
            {
                Some("dns: taken from a URL running into code")
            } else {
                None
            }
        }
        "ipv4" => {
            let parts: Vec<&str> = value.split('.').collect();
            if parts
                .iter()
                .any(|p| p.parse::<u32>().map_or(true, |n| n > 255))
            {
                Some("ipv4: octet over 255")
            } else if parts.iter().any(|p| p.len() > 1 && p.starts_with('0')) {
                Some("ipv4: octet with a leading zero (version number)")
            } else if everywhere(&|i| {
                let (b, a) = (before(text, i), after(text, i, value.len()));
                is_word(b)
                    || b == Some('.')
                    || is_word(a)
                    || (a == Some('.') && is_word(after(text, i, value.len() + 1)))
            }) {
                Some("ipv4: part of a longer dotted number or name (version)")
            } else {
                None
            }
        }
        "md5_hash" | "sha1_hash" | "sha256_hash" => {
            if value.chars().all(|c| c == value.chars().next().unwrap()) {
                Some("hash: one repeated character")
            } else if everywhere(&|i| is_word(before(text, i))) {
                Some("hash: hex inside a file name (CSC<hex>.TMP, tmp<hex>.rsp)")
            } else {
                None
            }
        }
        "url" => {
            let trimmed_is_ours = ours.iter().any(|(ot, ov)| {
                ot == "url"
                    && value.len() > ov.len()
                    && value.starts_with(ov.as_str())
                    && value[ov.len()..].starts_with(['\'', '"', ')', ';', ',', '.'])
            });
            if trimmed_is_ours {
                Some("url: trailing quote/paren/semicolon not part of the URL")
            } else if !value
                .split("://")
                .nth(1)
                .unwrap_or("")
                .split(['/', ':', '\''])
                .next()
                .unwrap_or("")
                .contains('.')
                || value.contains("amsiutils")
            {
                Some("url: host is not a place (string trick)")
            } else {
                None
            }
        }
        "email" => {
            let domain = value.rsplit('@').next().unwrap_or("").to_lowercase();
            let tld = domain.rsplit('.').next().unwrap_or("");
            if ["local", "corp", "internal", "lan", "cpl"].contains(&tld) {
                Some("email: domain without a public suffix (UPN user@corp.local, file name)")
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Why huntsql reports `value` (of type `t`) and msticpy does not.
fn huntsql_only(
    t: &str,
    value: &str,
    text: &str,
    theirs: &BTreeSet<(String, String)>,
) -> Option<&'static str> {
    match t {
        "url"
            if theirs
                .iter()
                .any(|(tt, tv)| tt == "url" && tv.len() > value.len() && tv.starts_with(value)) =>
        {
            Some("url: trailing quote/paren/semicolon not part of the URL")
        }
        "md5_hash" | "sha1_hash" | "sha256_hash" => {
            // msticpy's hash regex consumes the separator after a hash, so
            // the next hash has no boundary left before it.
            let lower = text.to_lowercase();
            let i = lower.find(value)?;
            let before = lower[..i].trim_end_matches([' ', ',', ';', '\t']);
            before
                .chars()
                .rev()
                .take(32)
                .all(|c| c.is_ascii_hexdigit())
                .then_some("hash: right after another hash (msticpy misses every second)")
        }
        _ => None,
    }
}

fn normalised_set(items: impl IntoIterator<Item = (String, String)>) -> BTreeSet<(String, String)> {
    items
        .into_iter()
        .map(|(t, v)| {
            let v = if matches!(
                t.as_str(),
                "dns" | "email" | "md5_hash" | "sha1_hash" | "sha256_hash" | "ipv6"
            ) {
                v.to_lowercase()
            } else {
                v
            };
            (t, v)
        })
        .collect()
}

#[tokio::test]
async fn every_difference_from_msticpy_is_explained() {
    let lines = command_lines().await;
    let mut theirs: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for (row, t, v) in msticpy_predictions() {
        theirs.entry(row).or_default().push((t, v));
    }
    let mut categories: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut unexplained = Vec::new();
    for (row, line) in lines.iter().enumerate() {
        let Some(line) = line else { continue };
        let ours = normalised_set(
            extract(line, None)
                .into_iter()
                .map(|(t, v)| (t.to_string(), v)),
        );
        let theirs = normalised_set(theirs.remove(&row).unwrap_or_default());
        for (t, v) in theirs.difference(&ours) {
            match msticpy_only(t, v, line, &ours) {
                Some(why) => {
                    categories
                        .entry(why)
                        .or_default()
                        .insert(format!("msticpy {t} {v:?}"));
                }
                None => unexplained.push(format!("row {row}: msticpy only {t} {v:?} in {line:?}")),
            }
        }
        for (t, v) in ours.difference(&theirs) {
            match huntsql_only(t, v, line, &theirs) {
                Some(why) => {
                    categories
                        .entry(why)
                        .or_default()
                        .insert(format!("huntsql {t} {v:?}"));
                }
                None => unexplained.push(format!("row {row}: huntsql only {t} {v:?} in {line:?}")),
            }
        }
    }
    for (why, examples) in &categories {
        let shown: Vec<&String> = examples.iter().take(4).collect();
        println!("{why}: {} distinct, e.g. {shown:?}", examples.len());
    }
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
