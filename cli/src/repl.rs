//! The interactive REPL: multi-line statements ending with `;`, history,
//! tab completion, Ctrl-C to cancel a query, Ctrl-D to leave.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use datafusion::arrow::array::AsArray;
use datafusion::sql::sqlparser::keywords::ALL_KEYWORDS;
use huntsql_engine::hunts;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

use crate::commands;
use crate::runner::{Failure, Flow, Runner};
use crate::script;

const PROMPT: &str = "huntsql> ";

/// Names offered by tab completion, refreshed after every statement.
#[derive(Default)]
struct Names {
    /// Tables, columns and functions: matched case-sensitively first.
    objects: BTreeSet<String>,
}

struct HuntHelper {
    names: Arc<RwLock<Names>>,
}

impl Helper for HuntHelper {}
impl Hinter for HuntHelper {
    type Hint = String;
}
impl Highlighter for HuntHelper {}

impl Validator for HuntHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        // Keep reading lines until the statement is closed by `;`.
        Ok(if script::is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Completer for HuntHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\\' || c == '.'))
            .map(|i| i + before[i..].chars().next().map_or(1, char::len_utf8))
            .unwrap_or(0);
        let word = &before[start..];
        let candidates = if before.trim_start().starts_with("\\hunt ") {
            hunts::all()
                .iter()
                .map(|h| h.name.to_string())
                .chain(["all".to_string()])
                .filter(|n| n.starts_with(word))
                .collect()
        } else if word.starts_with('\\') {
            commands::names()
                .into_iter()
                .filter(|c| c.starts_with(word))
                .collect()
        } else if word.is_empty() {
            Vec::new()
        } else {
            self.candidates(word)
        };
        let pairs = candidates
            .into_iter()
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl HuntHelper {
    /// Tables, columns and functions starting with `word` (any case), then
    /// SQL keywords in the case the user is typing in.
    fn candidates(&self, word: &str) -> Vec<String> {
        let lower = word.to_ascii_lowercase();
        let names = self.names.read().expect("names lock");
        let mut out: Vec<String> = names
            .objects
            .iter()
            .filter(|n| n.to_ascii_lowercase().starts_with(&lower))
            .cloned()
            .collect();
        let upper_case = word.chars().any(|c| c.is_ascii_uppercase());
        out.extend(
            ALL_KEYWORDS
                .iter()
                .filter(|k| k.to_ascii_lowercase().starts_with(&lower))
                .map(|k| {
                    if upper_case {
                        k.to_string()
                    } else {
                        k.to_ascii_lowercase()
                    }
                }),
        );
        out.dedup();
        out
    }
}

/// Fills the completion names from the session's catalog.
async fn refresh_names(runner: &Runner, names: &RwLock<Names>) {
    let mut objects: BTreeSet<String> = runner.session.table_names().into_iter().collect();
    objects.extend(runner.session.functions().into_iter().map(|f| f.name));
    let columns = runner
        .session
        .query("SELECT DISTINCT column_name FROM information_schema.columns WHERE table_schema <> 'information_schema'")
        .await
        .unwrap_or_default();
    for batch in columns {
        let array = batch.column(0);
        if let Some(strings) = array.as_string_opt::<i32>() {
            objects.extend(strings.iter().flatten().map(str::to_string));
        } else if let Some(strings) = array.as_string_view_opt() {
            objects.extend(strings.iter().flatten().map(str::to_string));
        }
    }
    names.write().expect("names lock").objects = objects;
}

fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("HUNTSQL_HISTORY") {
        return Some(PathBuf::from(path));
    }
    let dir = dirs::data_dir()?.join("huntsql");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history.txt"))
}

/// Runs the REPL until `\q` or Ctrl-D.
pub async fn run(runner: &mut Runner) -> rustyline::Result<()> {
    let names = Arc::new(RwLock::new(Names::default()));
    refresh_names(runner, &names).await;
    let mut editor: Editor<HuntHelper, DefaultHistory> = Editor::new()?;
    editor.set_helper(Some(HuntHelper {
        names: Arc::clone(&names),
    }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    eprintln!(
        "huntsql {} — SQL for threat hunting. Statements end with ';'. \\? for help, \\d for tables, \\hunt for hunts, Ctrl-D to quit.",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        let line = tokio::task::block_in_place(|| editor.readline(PROMPT));
        let input = match line {
            Ok(input) => input,
            Err(ReadlineError::Interrupted) => continue, // Ctrl-C clears the line
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        };
        if input.trim().is_empty() {
            continue;
        }
        // Secret option values ('aws.secret_access_key' '...') stay out
        // of the history file.
        let entry =
            huntsql_engine::huntsql_connectors::object_store::redact_sql_options(input.trim_end());
        let _ = editor.add_history_entry(entry);
        if let Some(path) = &history {
            let _ = editor.append_history(path);
        }
        match runner.run_script(&input).await {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(Failure::Cancelled) => eprintln!("query cancelled"),
            Err(Failure::Message(m)) => eprintln!("error: {m}"),
            Err(Failure::BrokenPipe) => break,
        }
        refresh_names(runner, &names).await;
    }
    Ok(())
}
