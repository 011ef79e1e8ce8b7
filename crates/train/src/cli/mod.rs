//! The command line of `leadscore-train`. Each subcommand has its own module: clap's raw flags
//! (`...Args`), where there is anything to check a configuration converted from them with
//! `TryFrom` before any file is read (so an out-of-range value fails in one place, with one
//! message, and nothing is written), and the `run` that calls the library and prints.
//!
//! Input flags several subcommands share are in [`input`].

use clap::{Parser, Subcommand};

mod demo;
mod evaluate;
mod funnel;
mod init;
mod input;
mod inspect;
mod models;
mod monitor;
mod promote;
mod report;
mod score;
mod train;

/// The parsed command line.
#[derive(Parser)]
#[command(
    name = "leadscore-train",
    version,
    about = "Train, evaluate and inspect leadscore models"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Infer a feature spec (TOML, one commented entry per column) from a lead file.
    Init(init::InitArgs),
    /// Train a model on a lead file and write the artifact (only if training succeeds).
    // Boxed: its flags are most of the enum's size.
    Train(Box<train::TrainArgs>),
    /// Score labeled data the model has never seen (a leads file, or leads + events +
    /// outcomes assembled point in time as the model was trained) and print its metrics.
    Evaluate(evaluate::EvaluateArgs),
    /// Score a whole leads file as of one moment, as the server would (CSV or Parquet out),
    /// and with --previous the leads that crossed the cutoff or changed tier since.
    Score(Box<score::ScoreArgs>),
    /// Funnel metrics by source (or any lead column) and week or month: leads, MQLs, how the
    /// MQLs converted, realized precision against the promise, days from MQL to conversion.
    Funnel(Box<funnel::FunnelArgs>),
    /// Make a registry model CURRENT if it is not worse than the champion on fresh data.
    Promote(promote::PromoteArgs),
    /// List a registry's models with their holdout metrics and which is CURRENT.
    Models(models::ModelsArgs),
    /// Print a model's weights and headline metrics.
    Inspect(inspect::InspectArgs),
    /// Write a model's report: one self-contained HTML file with its charts and tables.
    Report(report::ReportArgs),
    /// Write the seeded synthetic B2B demo export.
    DemoData(demo::DemoArgs),
    /// Realized precision and recall of the served MQL cutoff on leads whose outcome is now
    /// known (from the server's --decision-log and an outcomes table), against the promise.
    Monitor(monitor::MonitorArgs),
}

impl Cli {
    /// Checks the subcommand's options, then runs it.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Init(a) => init::run(a.try_into()?),
            Command::Train(a) => train::run((*a).try_into()?),
            Command::Evaluate(a) => evaluate::run(a.try_into()?),
            Command::Score(a) => score::run((*a).try_into()?),
            Command::Funnel(a) => funnel::run((*a).try_into()?),
            Command::Promote(a) => promote::run(a.try_into()?),
            Command::Models(a) => models::run(a),
            Command::Inspect(a) => inspect::run(a),
            Command::Report(a) => report::run(a.try_into()?),
            Command::DemoData(a) => demo::run(a),
            Command::Monitor(a) => monitor::run(a.try_into()?),
        }
    }
}

/// Writes to stdout, returning the error (a closed pipe) instead of panicking like `print!`.
fn emit(text: impl AsRef<str>) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_ref().as_bytes())?;
    out.flush()
}

/// Creates the folder `path` goes in, if it has one.
fn create_parent(path: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}
