//! `huntsql`: a SQL REPL and batch runner for threat hunting.

mod commands;
mod errors;
mod output;
mod progress;
mod repl;
mod runner;
mod script;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use huntsql_engine::config::parse_size;
use huntsql_engine::{HuntConfig, HuntSession};

use crate::output::Format;
use crate::runner::{Failure, Flow, Runner};

/// SQL for threat hunting: query security logs with huntsql's functions.
///
/// With no -c or -f and a terminal on stdin, opens the REPL; SQL piped on
/// stdin runs in batch. With no --data, the embedded sample of real Windows
/// security events is registered (tables process_events and logon_events).
#[derive(Parser, Debug)]
#[command(name = "huntsql", version)]
struct Args {
    /// Register every CSV, JSON/NDJSON and Parquet file in DIR, and each
    /// directory of such files, as a table named after it (repeatable). DIR
    /// may be an object-store prefix: s3://bucket/prefix/, gs://, az://
    #[arg(long = "data", value_name = "DIR")]
    data: Vec<PathBuf>,

    /// Run SQL statements or a backslash command, then exit (repeatable)
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    command: Vec<String>,

    /// Run the statements in FILE, then exit (repeatable; - reads stdin)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Vec<PathBuf>,

    /// How results are printed
    #[arg(long, value_enum, default_value = "table")]
    format: Format,

    /// Bound the memory queries may use, e.g. 4g or 512m (spills to disk
    /// where DataFusion can)
    #[arg(long, value_name = "SIZE")]
    memory_limit: Option<String>,

    /// Configuration file [default: ~/.config/huntsql/config.toml]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// What to run in batch mode, in the order given on the command line.
enum Input {
    Sql(String),
    File(PathBuf),
}

fn inputs_in_order(args: &Args, matches: &ArgMatches) -> Vec<Input> {
    let mut inputs: Vec<(usize, Input)> = Vec::new();
    if let Some(indices) = matches.indices_of("command") {
        inputs.extend(
            indices
                .zip(&args.command)
                .map(|(i, c)| (i, Input::Sql(c.clone()))),
        );
    }
    if let Some(indices) = matches.indices_of("file") {
        inputs.extend(
            indices
                .zip(&args.file)
                .map(|(i, f)| (i, Input::File(f.clone()))),
        );
    }
    inputs.sort_by_key(|(i, _)| *i);
    inputs.into_iter().map(|(_, input)| input).collect()
}

async fn build_session(args: &Args) -> Result<HuntSession, String> {
    let describe = |e: datafusion::error::DataFusionError| errors::describe(&e, None);
    let config = match &args.config {
        Some(path) => HuntConfig::from_file(path),
        None => HuntConfig::load_default(),
    }
    .map_err(describe)?;
    let use_sample =
        config.sample.unwrap_or(true) && args.data.is_empty() && config.data.is_empty();
    let mut builder = HuntSession::builder()
        .with_config(config.clone())
        .with_sample(use_sample);
    if let Some(limit) = &args.memory_limit {
        let bytes = parse_size(limit).map_err(|e| format!("--memory-limit: {}", describe(e)))?;
        builder = builder.with_memory_limit(bytes);
    }
    let session = builder.build().map_err(describe)?;
    session
        .register_config_data(&config)
        .await
        .map_err(describe)?;
    for dir in &args.data {
        let location = dir
            .to_str()
            .ok_or_else(|| format!("--data {}: not valid UTF-8", dir.display()))?;
        session
            .register_data(location)
            .await
            .map_err(|e| format!("--data {}: {}", dir.display(), describe(e)))?;
    }
    Ok(session)
}

async fn run_batch(runner: &mut Runner, inputs: Vec<Input>) -> Result<(), Failure> {
    for input in inputs {
        let flow = match input {
            Input::Sql(sql) => runner.run_script(&sql).await,
            Input::File(path) if path.as_os_str() == "-" => runner.run_script(&read_stdin()?).await,
            Input::File(path) => runner.run_file(&path).await,
        }?;
        if flow == Flow::Quit {
            break;
        }
    }
    Ok(())
}

fn read_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::msg(format!("cannot read SQL from stdin: {e}")))?;
    Ok(text)
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    let session = match build_session(&args).await {
        Ok(session) => session,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let mut inputs = inputs_in_order(&args, &matches);
    let interactive = inputs.is_empty() && std::io::stdin().is_terminal();
    let mut runner = Runner::new(session, args.format, interactive);
    if interactive {
        return match repl::run(&mut runner).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: terminal: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if inputs.is_empty() {
        inputs.push(Input::File(PathBuf::from("-")));
    }
    match run_batch(&mut runner, inputs).await {
        Ok(()) | Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Message(m)) => {
            eprintln!("error: {m}");
            ExitCode::FAILURE
        }
        Err(Failure::Cancelled) => {
            eprintln!("error: cancelled");
            ExitCode::FAILURE
        }
    }
}
