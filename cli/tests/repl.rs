//! The REPL driven through a pseudo-terminal, as a hunter types.

use std::process::Command;

use rexpect::session::{spawn_command, PtySession};

const TIMEOUT_MS: u64 = 30_000;

fn repl(history: &std::path::Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huntsql"));
    cmd.env("HUNTSQL_CONFIG", "/dev/null")
        .env("HUNTSQL_HISTORY", history)
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(TIMEOUT_MS)).expect("spawn huntsql");
    p.exp_string(PROMPT).expect("prompt");
    p
}

const PROMPT: &str = "huntsql> ";

/// Types `line`, waits for `expected` in the output and for the next prompt
/// (the line editor drops keys typed before it is ready, as terminals do).
fn type_line(p: &mut PtySession, line: &str, expected: &str) {
    p.send_line(line).unwrap();
    if !expected.is_empty() {
        p.exp_string(expected)
            .unwrap_or_else(|e| panic!("after {line:?}, expected {expected:?}: {e}"));
    }
    p.exp_string(PROMPT).unwrap();
}

/// Types keys without Enter.
fn type_keys(p: &mut PtySession, keys: &str) {
    p.send(keys).unwrap();
    p.flush().unwrap();
}

#[test]
fn statements_span_lines_and_errors_keep_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir.path().join("history"));
    p.send_line("SELECT 40 + 2").unwrap();
    p.send_line("  AS answer;").unwrap();
    p.exp_string("| 42     |").unwrap();
    p.exp_string("1 row").unwrap();
    p.exp_string(PROMPT).unwrap();

    type_line(
        &mut p,
        "SELECT * FROM nope;",
        "error: table 'huntsql.public.nope' not found",
    );
    type_line(&mut p, "SELEC 1;", "SQL syntax error");
    type_line(&mut p, "SELECT 7 AS still_here;", "| 7          |");
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();

    let history = std::fs::read_to_string(dir.path().join("history")).unwrap();
    assert!(history.contains("SELECT 7 AS still_here;"), "{history}");
}

#[test]
fn backslash_commands_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir.path().join("history"));
    type_line(&mut p, "\\d", "process_events");
    type_line(&mut p, "\\d logon_events", "TargetUserName");
    type_line(&mut p, "\\format csv", "");
    type_line(&mut p, "SELECT 1 AS a, 2 AS b;", "a,b\r\n1,2");
    type_line(&mut p, "\\timing on", "");
    type_line(&mut p, "SELECT 3 AS c;", "Time: ");
    type_line(&mut p, "\\hunt", "encoded_powershell");
    type_line(&mut p, "\\df cmdline", "");
    type_line(&mut p, "\\?", "\\timing on|off");
    p.send_line("\\q").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn tab_completes_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir.path().join("history"));
    // "proc<TAB>" is unique among tables, columns and functions.
    // Only the completions make this a valid statement.
    type_keys(&mut p, "SELECT count(DISTINCT NewProcessNa");
    type_keys(&mut p, "\t");
    p.exp_string("NewProcessName").unwrap();
    type_keys(&mut p, ") AS n FROM process_ev");
    type_keys(&mut p, "\t");
    p.exp_string("process_events").unwrap();
    type_line(&mut p, ";", "1 row");
    type_keys(&mut p, "\\hu");
    type_keys(&mut p, "\t");
    p.exp_string("\\hunt").unwrap();
    type_keys(&mut p, " least_");
    type_keys(&mut p, "\t");
    p.exp_string("least_common_parent_child").unwrap();
    type_line(&mut p, "", "parent");
    p.send_line("\\q").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn ctrl_c_cancels_a_running_query_and_keeps_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir.path().join("history"));
    p.send_line("SELECT count(*) FROM generate_series(1, 100000000000);")
        .unwrap();
    // Past a second, the progress line shows on stderr (a terminal here).
    p.exp_string("rows so far").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("query cancelled").unwrap();
    p.exp_string(PROMPT).unwrap();
    type_line(&mut p, "SELECT 5 AS after_cancel;", "| 5            |");
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}
