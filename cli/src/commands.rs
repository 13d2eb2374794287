//! Backslash commands: `\?`, `\q`, `\d`, `\df`, `\i`, `\o`, `\format`,
//! `\timing`, `\hunt` and `\vt`.

use std::path::Path;

use huntsql_engine::{hunts, FunctionInfo};

use crate::runner::{Failure, Flow, Outcome, Runner};

/// The commands with their one-line help, in the order `\?` lists them.
pub const COMMANDS: &[(&str, &str)] = &[
    ("\\?", "this help"),
    ("\\q", "quit (Ctrl-D too)"),
    ("\\d", "list tables and views"),
    ("\\d NAME", "columns and types of a table or view"),
    ("\\df [PATTERN]", "functions: all, or those matching PATTERN (substring or LIKE with %), with documentation and an example"),
    ("\\i FILE", "run the statements and commands in FILE"),
    ("\\o [FILE]", "send results to FILE; \\o alone sends them back to the terminal"),
    ("\\format table|csv|json|ndjson|markdown", "how results are printed"),
    ("\\timing on|off", "show how long each statement takes"),
    ("\\hunt", "list the hunts of the hunt library"),
    ("\\hunt NAME", "run a hunt (\\hunt all runs every hunt)"),
    ("\\vt [cache]", "vt_reputation's cache: file, answers, fresh ones, this session's lookups"),
    ("\\vt clear", "empty vt_reputation's cache"),
    ("\\vt offline on|off", "answer vt_reputation from the cache only (no API calls)"),
    ("\\vt max_lookups N", "new API calls one statement may make before it stops and asks"),
];

/// Runs one command line such as `\d process_events`.
pub async fn run(runner: &mut Runner, line: &str) -> Outcome<Flow> {
    let line = line.trim().trim_end_matches(';').trim();
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, Some(a.trim()).filter(|a| !a.is_empty())),
        None => (line, None),
    };
    match (name, arg) {
        ("\\?" | "\\h" | "\\help", _) => runner.print(&help())?,
        ("\\q" | "\\quit", _) => return Ok(Flow::Quit),
        ("\\d", None) => list_tables(runner).await?,
        ("\\d", Some(table)) => describe_table(runner, table).await?,
        ("\\df", pattern) => describe_functions(runner, pattern)?,
        ("\\i", Some(file)) => return runner.run_file(Path::new(file)).await,
        ("\\o", file) => runner.set_output(file)?,
        ("\\format", Some(f)) => runner.format = f.parse().map_err(Failure::Message)?,
        ("\\timing", Some("on")) => runner.timing = true,
        ("\\timing", Some("off")) => runner.timing = false,
        ("\\timing", None) => runner.timing = !runner.timing,
        ("\\hunt", None) => list_hunts(runner)?,
        ("\\hunt", Some(name)) => return run_hunt(runner, name).await,
        ("\\vt", arg) => threat_intel(runner, arg)?,
        ("\\i" | "\\format", None) => {
            return Err(Failure::msg(format!(
                "{name} needs an argument; \\? lists the commands"
            )))
        }
        _ => {
            return Err(Failure::msg(format!(
                "unknown command '{line}'; \\? lists the commands"
            )))
        }
    }
    Ok(Flow::Continue)
}

/// `\vt`, `\vt cache`, `\vt clear`, `\vt offline on|off`, `\vt max_lookups N`.
fn threat_intel(runner: &mut Runner, arg: Option<&str>) -> Outcome<()> {
    let service = std::sync::Arc::clone(runner.session.threat_intel());
    let words: Vec<&str> = arg.unwrap_or("cache").split_whitespace().collect();
    match words.as_slice() {
        ["cache"] => runner.print(&format!("{}\n", service.cache_report())),
        ["clear"] => {
            let removed = service
                .clear_cache()
                .map_err(|e| Failure::msg(crate::errors::describe(&e, None)))?;
            runner.print(&format!("removed {removed} cached answers\n"))
        }
        ["offline", "on"] => {
            service.set_offline(true);
            runner.print("vt_reputation answers from the cache only\n")
        }
        ["offline", "off"] => {
            service.set_offline(false);
            runner.print("vt_reputation calls the API for answers it has not cached\n")
        }
        ["max_lookups", n] => {
            let max: u64 = n.parse().map_err(|_| {
                Failure::msg(format!(
                    "\\vt max_lookups: '{n}' is not a whole number; e.g. \\vt max_lookups 500"
                ))
            })?;
            service.set_max_lookups(max);
            runner.print(&format!(
                "a statement may now make up to {max} new lookups\n"
            ))
        }
        _ => Err(Failure::msg(
            "\\vt takes cache, clear, offline on|off or max_lookups N; \\? lists the commands",
        )),
    }
}

fn help() -> String {
    let width = COMMANDS.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    let mut text = String::from("Statements end with ';' and may span lines.\n\n");
    for (command, what) in COMMANDS {
        text.push_str(&format!("  {command:width$}  {what}\n"));
    }
    text
}

async fn list_tables(runner: &mut Runner) -> Outcome<()> {
    runner
        .run_sql(
            "SELECT CASE WHEN table_schema = 'public' THEN table_name \
                    ELSE table_schema || '.' || table_name END AS name, \
                    lower(replace(table_type, 'BASE ', '')) AS kind \
             FROM information_schema.tables \
             WHERE table_schema <> 'information_schema' \
             ORDER BY table_schema <> 'public', table_schema, table_name",
        )
        .await
}

async fn describe_table(runner: &mut Runner, name: &str) -> Outcome<()> {
    let (schema, table) = match name.split_once('.') {
        Some((s, t)) => (s, t),
        None => ("public", name),
    };
    let exists = runner
        .session
        .table_names()
        .iter()
        .any(|n| n == name || n == &format!("{schema}.{table}"));
    if !exists {
        return Err(Failure::msg(format!(
            "no table or view named '{name}'; \\d lists them"
        )));
    }
    let quote = |s: &str| s.replace('\'', "''");
    runner
        .run_sql(&format!(
            "SELECT column_name AS column, data_type AS type, is_nullable AS nullable \
             FROM information_schema.columns \
             WHERE table_schema = '{}' AND table_name = '{}' ORDER BY ordinal_position",
            quote(schema),
            quote(table)
        ))
        .await
}

fn describe_functions(runner: &mut Runner, pattern: Option<&str>) -> Outcome<()> {
    let functions: Vec<FunctionInfo> = runner
        .session
        .functions()
        .into_iter()
        .filter(|f| pattern.is_none_or(|p| f.matches(p)))
        .collect();
    if functions.is_empty() {
        return Err(Failure::msg(format!(
            "no function matches '{}'; \\df lists them all",
            pattern.unwrap_or_default()
        )));
    }
    let exact = pattern.and_then(|p| functions.iter().find(|f| f.name.eq_ignore_ascii_case(p)));
    let text = match exact {
        Some(f) => function_page(f),
        None if functions.len() <= 5 => functions
            .iter()
            .map(function_page)
            .collect::<Vec<_>>()
            .join("\n"),
        None => function_list(&functions),
    };
    runner.print(&text)
}

/// One line a function: name, kind, section and the first sentence.
fn function_list(functions: &[FunctionInfo]) -> String {
    let width = functions
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0)
        .min(32);
    let mut text = String::new();
    for f in functions {
        let summary = f
            .documentation
            .as_ref()
            .map(|d| first_sentence(&d.description))
            .unwrap_or_default();
        text.push_str(&format!(
            "{:width$}  {:<12}  {}\n",
            f.name,
            f.kind.to_string(),
            summary
        ));
    }
    text.push_str(&format!(
        "({} functions; \\df NAME shows one with its syntax and an example)\n",
        functions.len()
    ));
    text
}

fn first_sentence(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.find(". ") {
        Some(i) => line[..=i].to_string(),
        None => line.to_string(),
    }
}

/// Everything known about one function.
pub fn function_page(f: &FunctionInfo) -> String {
    let mut text = format!("{} ({} function, {})\n", f.name, f.kind, f.section());
    let Some(doc) = &f.documentation else {
        text.push_str("  (no documentation)\n");
        return text;
    };
    for line in doc.description.lines() {
        text.push_str(&format!("  {line}\n"));
    }
    text.push_str(&format!("\nSyntax:\n  {}\n", doc.syntax_example));
    if let Some(args) = &doc.arguments {
        text.push_str("\nArguments:\n");
        for (name, what) in args {
            text.push_str(&format!("  {name}: {}\n", what.replace('\n', " ")));
        }
    }
    if let Some(example) = &doc.sql_example {
        text.push_str("\nExample:\n");
        for line in example.lines().filter(|l| !l.starts_with("```")) {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text
}

fn list_hunts(runner: &mut Runner) -> Outcome<()> {
    let hunts = hunts::all();
    let width = hunts.iter().map(|h| h.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for h in &hunts {
        text.push_str(&format!(
            "{:width$}  {}  [{}; tables: {}]\n",
            h.name,
            h.title(),
            h.field("ATT&CK").unwrap_or("-"),
            h.field("Tables").unwrap_or("-")
        ));
    }
    text.push_str("(\\hunt NAME runs one; \\hunt all runs every hunt)\n");
    runner.print(&text)
}

async fn run_hunt(runner: &mut Runner, name: &str) -> Outcome<Flow> {
    let selected = if name == "all" {
        hunts::all()
    } else {
        let hunt = hunts::find(name).ok_or_else(|| {
            let names: Vec<&str> = hunts::all().iter().map(|h| h.name).collect();
            Failure::msg(format!(
                "no hunt named '{name}'; the hunts are: {}",
                names.join(", ")
            ))
        })?;
        vec![hunt]
    };
    for hunt in selected {
        eprintln!("-- hunt {}: {}", hunt.name, hunt.title());
        runner.run_script(hunt.sql).await.map_err(|f| match f {
            Failure::Message(m) => Failure::Message(format!("hunt {}: {m}", hunt.name)),
            other => other,
        })?;
    }
    Ok(Flow::Continue)
}

/// Command names for completion.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = COMMANDS
        .iter()
        .map(|(c, _)| c.split_whitespace().next().unwrap_or(c).to_string())
        .collect();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Format;

    #[test]
    fn help_lists_every_command() {
        let h = help();
        for (c, _) in COMMANDS {
            assert!(h.contains(c), "{c} missing from help");
        }
    }

    #[test]
    fn format_names_parse() {
        assert_eq!("markdown".parse::<Format>(), Ok(Format::Markdown));
        assert!("xml"
            .parse::<Format>()
            .unwrap_err()
            .contains("expected one of"));
    }
}
