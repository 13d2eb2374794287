//! The `huntsql` binary in batch mode: -c, -f, stdin, formats, exit codes
//! and the errors a hunter meets on bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn huntsql() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huntsql"));
    // Never pick up the developer's own configuration.
    cmd.env("HUNTSQL_CONFIG", "/dev/null");
    cmd
}

fn run(args: &[&str]) -> Output {
    huntsql().args(args).output().expect("huntsql runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

/// Asserts failure with exactly one error line that contains every `needle`.
fn assert_one_error_line(o: &Output, needles: &[&str]) {
    assert!(!o.status.success(), "expected failure, got {:?}", o.status);
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    for n in needles {
        assert!(lines[0].contains(n), "'{n}' missing from: {err}");
    }
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The row count of a Parquet file, read from its footer.
fn parquet_rows(path: &Path) -> i64 {
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    let file = std::fs::File::open(path).expect("sample file");
    SerializedFileReader::new(file)
        .expect("parquet")
        .metadata()
        .file_metadata()
        .num_rows()
}

#[test]
fn counts_the_embedded_sample() {
    let expected = parquet_rows(&repo_root().join("data/sample/process_events.parquet"));
    let o = run(&[
        "-c",
        "SELECT count(*) AS n FROM process_events",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("n\n{expected}\n"));
}

#[test]
fn data_dir_replaces_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("my-events.csv"), "host,n\nws1,3\nws2,4\n").unwrap();
    let o = run(&[
        "--data",
        dir.path().to_str().unwrap(),
        "-c",
        "SELECT sum(n) AS total FROM my_events",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "total\n7\n");
    let o = run(&[
        "--data",
        dir.path().to_str().unwrap(),
        "-c",
        "SELECT * FROM process_events",
    ]);
    assert_one_error_line(&o, &["process_events", "not found"]);
}

#[test]
fn every_format_prints_the_same_rows() {
    let sql =
        "SELECT * FROM (VALUES (1, 'a|b', NULL), (2, 'c', 'd')) AS t(id, name, note) ORDER BY id";
    let out = |format: &str| {
        let o = run(&["-c", sql, "--format", format]);
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        stdout(&o)
    };

    assert_eq!(out("csv"), "id,name,note\n1,a|b,\n2,c,d\n");

    let ndjson = out("ndjson");
    let lines: Vec<&str> = ndjson.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"id":1,"name":"a|b","note":null}"#,
            r#"{"id":2,"name":"c","note":"d"}"#
        ]
    );

    let json = out("json");
    assert_eq!(
        json.trim(),
        r#"[{"id":1,"name":"a|b","note":null},{"id":2,"name":"c","note":"d"}]"#
    );

    let markdown = out("markdown");
    assert_eq!(
        markdown,
        "| id | name | note |\n|---|---|---|\n| 1 | a\\|b | NULL |\n| 2 | c | d |\n"
    );

    let table = out("table");
    assert!(table.starts_with("+----+"), "{table}");
    assert!(table.contains("| 1  | a|b  | NULL |"), "{table}");
}

#[test]
fn empty_results_keep_their_header() {
    let sql = "SELECT 1 AS x WHERE false";
    assert_eq!(stdout(&run(&["-c", sql, "--format", "csv"])), "x\n");
    assert_eq!(stdout(&run(&["-c", sql, "--format", "json"])).trim(), "[]");
    assert!(stdout(&run(&["-c", sql])).contains("| x |"));
}

#[test]
fn sql_on_stdin_runs_in_batch() {
    let mut child = huntsql()
        .args(["--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"CREATE VIEW v AS SELECT 40 AS x;\nSELECT x + 2 AS y\nFROM v;\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "y\n42\n");
}

#[test]
fn commands_and_files_run_in_the_order_given() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("q.sql");
    std::fs::write(
        &file,
        "-- a comment\nSELECT 2 AS n;\n\\format ndjson\nSELECT 3 AS n;",
    )
    .unwrap();
    let o = run(&[
        "--format",
        "csv",
        "-c",
        "SELECT 1 AS n",
        "-f",
        file.to_str().unwrap(),
        "-c",
        "SELECT 4 AS n",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "n\n1\nn\n2\n{\"n\":3}\n{\"n\":4}\n");
}

#[test]
fn errors_exit_non_zero_with_one_line() {
    assert_one_error_line(&run(&["-c", "SELEC 1"]), &["syntax error", "SELEC"]);
    assert_one_error_line(
        &run(&["-c", "SELECT * FROM nope"]),
        &["'huntsql.public.nope' not found", "\\d"],
    );
    assert_one_error_line(&run(&["-f", "/no/such/file.sql"]), &["/no/such/file.sql"]);
    assert_one_error_line(
        &run(&["--data", "/no/such/dir", "-c", "SELECT 1"]),
        &["/no/such/dir"],
    );
    assert_one_error_line(&run(&["-c", "\\nosuch"]), &["unknown command", "\\?"]);
    assert_one_error_line(
        &run(&["--memory-limit", "lots", "-c", "SELECT 1"]),
        &["--memory-limit", "lots"],
    );
    assert_one_error_line(
        &run(&["-c", "\\hunt nosuch"]),
        &["nosuch", "least_common_parent_child"],
    );
}

#[test]
fn a_batch_stops_at_the_first_error() {
    let o = run(&[
        "--format",
        "csv",
        "-c",
        "SELECT 1 AS a; SELECT * FROM nope; SELECT 3 AS c",
    ]);
    assert_one_error_line(&o, &["nope"]);
    assert_eq!(stdout(&o), "a\n1\n");
}

#[test]
fn bad_files_are_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    };
    let corrupt = d("corrupt");
    std::fs::write(corrupt.join("broken.parquet"), "not parquet").unwrap();
    let o = run(&["--data", corrupt.to_str().unwrap(), "-c", "SELECT 1"]);
    assert_one_error_line(&o, &["broken.parquet", "Parquet"]);

    let non_utf8 = d("non_utf8");
    std::fs::write(non_utf8.join("bad.csv"), b"a,b\n1,\xff\xfe\n").unwrap();
    let o = run(&[
        "--data",
        non_utf8.to_str().unwrap(),
        "-c",
        "SELECT * FROM bad",
    ]);
    assert_one_error_line(&o, &["bad.csv", "UTF-8"]);

    let mixed = d("mixed");
    let t = mixed.join("t");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(t.join("1.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(t.join("2.csv"), "a,c\n3,x\n").unwrap();
    let o = run(&["--data", mixed.to_str().unwrap(), "-c", "SELECT * FROM t"]);
    assert_one_error_line(&o, &["mixes CSV schemas", "1.csv", "2.csv"]);

    let clash = d("clash");
    std::fs::write(clash.join("events.csv"), "a\n1\n").unwrap();
    std::fs::write(clash.join("events.heldout.csv"), "a\n2\n").unwrap();
    let o = run(&["--data", clash.to_str().unwrap(), "-c", "SELECT 1"]);
    assert_one_error_line(&o, &["'events'", "events.csv", "events.heldout.csv"]);
}

#[test]
fn mixed_parquet_schemas_in_a_directory_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t");
    for (file, value) in [("a.parquet", "1"), ("b.parquet", "'text'")] {
        let out = t.join(file);
        let o = run(&[
            "-c",
            &format!("COPY (SELECT {value} AS x) TO '{}'", out.display()),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = run(&[
        "--data",
        dir.path().to_str().unwrap(),
        "-c",
        "SELECT * FROM t",
    ]);
    assert_one_error_line(&o, &["'t'", "merge schema", "x"]);
}

#[test]
fn hive_partitions_become_columns_and_prune() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    for day in ["2024-01-01", "2024-01-02"] {
        let part = logs.join(format!("date={day}"));
        std::fs::create_dir_all(&part).unwrap();
        std::fs::write(part.join("events.csv"), format!("host\nws-{day}\nsrv\n")).unwrap();
    }
    let o = run(&[
        "--data",
        dir.path().to_str().unwrap(),
        "--format",
        "csv",
        "-c",
        "SELECT date, count(*) AS n FROM logs GROUP BY date ORDER BY date",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "date,n\n2024-01-01,2\n2024-01-02,2\n");
}

#[test]
fn memory_limit_fails_a_query_that_needs_more_with_a_clear_message() {
    let sql = "SELECT count(*) FROM generate_series(1, 3000000) a JOIN generate_series(1, 3000000) b ON a.value = b.value";
    let o = run(&["--memory-limit", "2m", "-c", sql]);
    assert_one_error_line(&o, &["needs more memory", "2.0 MiB", "--memory-limit"]);
    // The same query fits without the limit.
    let o = run(&["--format", "csv", "-c", sql]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "count(*)\n3000000\n");
}

#[test]
fn copy_writes_parquet_that_reads_back_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pairs.parquet");
    let o = run(&[
        "--format",
        "csv",
        "-c",
        &format!(
            "COPY (SELECT ParentProcessName, NewProcessName FROM process_events) TO '{}'",
            out.display()
        ),
        "-c",
        &format!(
            "SELECT count(*) = (SELECT count(*) FROM process_events) AS same FROM '{}'",
            out.display()
        ),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).ends_with("same\ntrue\n"), "{}", stdout(&o));
}

#[test]
fn every_hunt_runs_on_the_sample() {
    let o = run(&["-c", "\\hunt all", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for hunt in [
        "cluster_rare_processes",
        "command_line_iocs",
        "encoded_powershell",
        "least_common_parent_child",
        "logons_by_account_and_type",
        "single_host_command_lines",
    ] {
        assert!(
            err.contains(&format!("-- hunt {hunt}:")),
            "{hunt} missing: {err}"
        );
    }
    // Every hunt returns rows on the sample: six CSV headers, more lines than that.
    assert!(stdout(&o).lines().count() > 12, "{}", stdout(&o));
    // The encoded PowerShell is shown decoded, not as NUL-riddled text.
    let out = stdout(&o);
    assert!(!out.contains('\0'), "NUL characters in the output");
    // The indicators hunt reports refanged observables with their type.
    assert!(
        out.lines()
            .any(|l| l.starts_with("dns,") || l.starts_with("url,") || l.starts_with("ipv4,")),
        "{out}"
    );
}

#[test]
fn the_config_file_sets_data_and_rejects_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "x\n5\n").unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("data = [{:?}]\n", dir.path().to_str().unwrap()),
    )
    .unwrap();
    let o = run(&[
        "--config",
        config.to_str().unwrap(),
        "--format",
        "csv",
        "-c",
        "SELECT x FROM t",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "x\n5\n");

    std::fs::write(&config, "memory_limt = \"1g\"\n").unwrap();
    let o = run(&["--config", config.to_str().unwrap(), "-c", "SELECT 1"]);
    assert_one_error_line(&o, &["config.toml", "memory_limt"]);
}

#[test]
fn describe_commands_print_tables_columns_and_functions() {
    let o = run(&["-c", "\\d", "--format", "csv"]);
    assert!(
        stdout(&o).contains("process_events,table"),
        "{}",
        stdout(&o)
    );
    let o = run(&["-c", "\\d logon_events", "--format", "csv"]);
    assert!(stdout(&o).contains("LogonType,Int32"), "{}", stdout(&o));
    assert_one_error_line(&run(&["-c", "\\d nope"]), &["nope", "\\d"]);
    let o = run(&["-c", "\\df regexp_like"]);
    let text = stdout(&o);
    assert!(
        text.contains("Syntax:") && text.contains("Example:"),
        "{text}"
    );
}

#[test]
fn output_goes_to_a_file_and_back_and_files_include_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let inner = dir.path().join("inner.sql");
    std::fs::write(&inner, "SELECT 'from include' AS src;\n").unwrap();
    let o = run(&[
        "--format",
        "csv",
        "-c",
        &format!("\\o {}", out.display()),
        "-c",
        "SELECT 1 AS to_file",
        "-c",
        &format!("\\i {}", inner.display()),
        "-c",
        "\\o",
        "-c",
        "SELECT 2 AS to_stdout",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "to_stdout\n2\n");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "to_file\n1\nsrc\nfrom include\n"
    );
    assert_one_error_line(
        &run(&["-c", "\\o /no/such/dir/x.csv"]),
        &["/no/such/dir/x.csv"],
    );
}
