//! `leadscore-train`: a thin binary over the library. [`cli`] parses the flags into a checked
//! configuration per subcommand and runs it; `main` prints the error chain once. Exit codes:
//! 0 success, 1 the job failed (bad input, an out-of-range option value, a failed fit; nothing
//! was written), 2 bad usage (a command line that does not parse, from clap).

use clap::Parser;
use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`leadscore-train inspect ... | head`): not a failure.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Names from the data (a column, a value) in it are printed escaped.
            let text = format!("{e:#}");
            leadscore_core::stderr_line!(
                "error: {}",
                leadscore_train::report::terminal_safe(&text)
            );
            ExitCode::from(1)
        }
    }
}

/// Parses the command line (exiting 2 with clap's message when it does not parse) and runs it.
fn run() -> anyhow::Result<()> {
    cli::Cli::parse().run()
}
