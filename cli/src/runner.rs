//! Runs statements and commands against a [`HuntSession`], for batch mode
//! and the REPL alike.

use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::Path;
use std::time::Instant;

use datafusion::error::DataFusionError;
use futures::StreamExt;
use huntsql_engine::HuntSession;

use crate::errors;
use crate::output::{Format, ResultWriter};
use crate::progress::Progress;
use crate::script::{self, Item};

/// What the caller should do after an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// An error already phrased for the user (one line, no `error:` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Message(String),
    /// The user pressed Ctrl-C; the session goes on.
    Cancelled,
    /// The reader of stdout went away (`huntsql ... | head`): stop quietly.
    BrokenPipe,
}

pub type Outcome<T> = Result<T, Failure>;

impl Failure {
    pub fn msg(text: impl Into<String>) -> Self {
        Failure::Message(text.into())
    }
}

/// Where results go: stdout or a file chosen with `\o FILE`.
pub enum Output {
    Stdout(std::io::Stdout),
    File(BufWriter<File>),
}

impl Output {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(s) => s,
            Output::File(f) => f,
        }
    }
}

/// The state of a huntsql run: the session and the output settings.
pub struct Runner {
    pub session: HuntSession,
    pub format: Format,
    pub output: Output,
    pub timing: bool,
    /// REPL mode: Ctrl-C cancels the running query, row counts are shown.
    pub interactive: bool,
}

impl Runner {
    pub fn new(session: HuntSession, format: Format, interactive: bool) -> Self {
        Self {
            session,
            format,
            output: Output::Stdout(std::io::stdout()),
            timing: false,
            interactive,
        }
    }

    /// Runs every statement and command in `text`, stopping at the first
    /// failure. Text after the last `;` runs as a final statement.
    pub async fn run_script(&mut self, text: &str) -> Outcome<Flow> {
        let (mut items, rest) = script::split(text);
        items.extend(rest.map(Item::Sql));
        for item in items {
            if self.run_item(item).await? == Flow::Quit {
                return Ok(Flow::Quit);
            }
        }
        Ok(Flow::Continue)
    }

    pub async fn run_item(&mut self, item: Item) -> Outcome<Flow> {
        match item {
            Item::Sql(sql) => {
                self.run_sql(&sql).await?;
                Ok(Flow::Continue)
            }
            Item::Command(line) => Box::pin(crate::commands::run(self, &line)).await,
        }
    }

    /// Runs a file of statements and commands (`-f`, `\i`).
    pub async fn run_file(&mut self, path: &Path) -> Outcome<Flow> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::msg(format!("cannot read {}: {e}", path.display())))?;
        self.run_script(&text).await
    }

    /// Runs one SQL statement and prints its result.
    pub async fn run_sql(&mut self, sql: &str) -> Outcome<()> {
        let start = Instant::now();
        let rows = if self.interactive {
            // Dropping the query future on Ctrl-C cancels every DataFusion
            // task it spawned; the session stays usable.
            tokio::select! {
                r = self.execute(sql) => r?,
                _ = tokio::signal::ctrl_c() => return Err(Failure::Cancelled),
            }
        } else {
            self.execute(sql).await?
        };
        let elapsed = start.elapsed().as_secs_f64();
        if let Some(rows) = rows {
            if self.interactive && self.format == Format::Table {
                let plural = if rows == 1 { "" } else { "s" };
                if self.timing {
                    eprintln!("{rows} row{plural} in {elapsed:.3} s");
                } else {
                    eprintln!("{rows} row{plural}");
                }
                return Ok(());
            }
        }
        if self.timing {
            eprintln!("Time: {elapsed:.3} s");
        }
        Ok(())
    }

    /// Plans, runs and prints; returns the row count of results with columns.
    async fn execute(&mut self, sql: &str) -> Outcome<Option<usize>> {
        let limit = self.session.memory_limit();
        let describe = |e: DataFusionError| Failure::Message(errors::describe(&e, limit));
        let df = self.session.sql(sql).await.map_err(describe)?;
        let schema = df.schema().inner().clone();
        let mut stream = df.execute_stream().await.map_err(describe)?;
        let progress = Progress::start();
        let format = self.format;
        let mut writer = ResultWriter::new(format, schema.clone(), self.output.writer());
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(describe)?;
            progress.add_rows(batch.num_rows());
            writer.write(&batch).map_err(write_failure)?;
        }
        drop(progress);
        let rows = writer.rows();
        writer.finish().map_err(write_failure)?;
        Ok((!schema.fields().is_empty()).then_some(rows))
    }

    /// Prints text (command output) to the current output.
    pub fn print(&mut self, text: &str) -> Outcome<()> {
        let out = self.output.writer();
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| write_failure(e.into()))
    }

    /// Sends results to `path`, or back to stdout with `None`.
    pub fn set_output(&mut self, path: Option<&str>) -> Outcome<()> {
        if let Output::File(f) = &mut self.output {
            f.flush()
                .map_err(|e| Failure::msg(format!("cannot write output file: {e}")))?;
        }
        self.output = match path {
            None => Output::Stdout(std::io::stdout()),
            Some(p) => {
                let file = File::create(p)
                    .map_err(|e| Failure::msg(format!("cannot write to {p}: {e}")))?;
                Output::File(BufWriter::new(file))
            }
        };
        Ok(())
    }
}

fn write_failure(e: DataFusionError) -> Failure {
    let broken_pipe = match e.find_root() {
        DataFusionError::IoError(io) => io.kind() == ErrorKind::BrokenPipe,
        DataFusionError::ArrowError(arrow, _) => arrow.to_string().contains("Broken pipe"),
        _ => false,
    };
    if broken_pipe {
        Failure::BrokenPipe
    } else {
        Failure::Message(format!("cannot write the result: {}", e.strip_backtrace()))
    }
}
