//! Command-line entry point: parses arguments and dispatches to each subcommand.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "townhall", version, about = "One hub to publish, listen, analyse what people said, and show progress.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply database migrations and exit.
    Migrate,
    /// Analyse a CSV or JSONL file of responses: themes, campaigns, quotes.
    Analyse(crate::analyse::AnalyseArgs),
}

/// Runs the command line and maps errors to exit codes: 0 success, 1 user error, 2 bad invocation.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match cli.command {
        Command::Migrate => ExitCode::SUCCESS,
        Command::Analyse(args) => match crate::analyse::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
                ExitCode::from(1)
            }
        },
    }
}
