//! `leadscore-train`: a thin binary over the library. It parses flags, builds a checked
//! configuration, calls the library and prints the error chain once. Exit codes: 0 success,
//! 1 the job failed (bad input, failed fit; nothing was written), 2 bad usage.

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use leadscore_core::artifact::ModelArtifact;
use leadscore_train::demo::{generate, write_csv, DemoConfig};
use leadscore_train::fit::{log_grid, FitOptions};
use leadscore_train::infer::{infer_spec, render_toml, InferOptions};
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{evaluate_file, train, SplitKind, TrainConfig};
use leadscore_train::report;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "leadscore-train",
    version,
    about = "Train, evaluate and inspect leadscore models"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Infer a feature spec (TOML, one commented entry per column) from a lead file.
    Init(InitArgs),
    /// Train a model on a lead file and write the artifact (only if training succeeds).
    Train(TrainArgs),
    /// Score a labeled file the model has never seen and print its metrics.
    Evaluate(EvaluateArgs),
    /// Print a model's weights and headline metrics.
    Inspect(InspectArgs),
    /// Write the seeded synthetic B2B demo export.
    DemoData(DemoArgs),
}

#[derive(Args, Clone)]
struct TableArgs {
    /// Leads file: CSV (any of , ; tab |, detected) or Parquet.
    #[arg(long)]
    data: PathBuf,
    /// The label column (1/0, true/false, yes/no...).
    #[arg(long)]
    label: Option<String>,
    /// A label value that means "converted" (repeatable; default 1, true, yes, y in any case).
    #[arg(long = "positive")]
    positive: Vec<String>,
    /// The lead id column (kept out of the features).
    #[arg(long)]
    id: Option<String>,
    /// Columns to leave out of the features (repeatable), e.g. fields filled in after the outcome.
    #[arg(long = "exclude", num_args = 1..)]
    exclude: Vec<String>,
    /// CSV delimiter (one character; detected when absent).
    #[arg(long)]
    delimiter: Option<char>,
    /// Cell values that mean missing (repeatable; replaces the default "", NA, N/A, null, NULL, None, Select).
    #[arg(long = "missing")]
    missing: Vec<String>,
}

impl TableArgs {
    fn read_options(&self) -> anyhow::Result<ReadOptions> {
        let mut o = ReadOptions {
            delimiter: ascii_delimiter(self.delimiter)?,
            ..ReadOptions::default()
        };
        if !self.missing.is_empty() {
            o.missing_tokens = self.missing.clone();
        }
        Ok(o)
    }
}

/// A `--delimiter` as the byte the CSV reader takes; it must be one ASCII character.
fn ascii_delimiter(d: Option<char>) -> anyhow::Result<Option<u8>> {
    match d {
        None => Ok(None),
        Some(c) if c.is_ascii() => Ok(Some(c as u8)),
        Some(c) => bail!("--delimiter must be one ASCII character, got {c:?}"),
    }
}

#[derive(Args)]
struct InitArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Where to write the spec (stdout when absent).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct TrainArgs {
    #[command(flatten)]
    table: TableArgs,
    /// A feature spec (from `init`, edited); inferred from the data when absent.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Where to write the model artifact (JSON).
    #[arg(long)]
    out: PathBuf,
    /// Engagement events (lead_id, event_type, occurred_at): event features, point in time.
    #[arg(long)]
    events: Option<PathBuf>,
    /// Outcomes (lead_id, optional converted, optional converted_at); a closed-deals export
    /// listing only converted leads works: leads absent from it are negatives.
    #[arg(long)]
    outcomes: Option<PathBuf>,
    /// Print wall time per stage to stderr (for benchmarks).
    #[arg(long)]
    timings: bool,
    /// Also write the holdout leads as CSV: id, as_of, label, score and key factors (the same
    /// split another tool can be compared on; the scored file the notebook reads).
    #[arg(long)]
    holdout_out: Option<PathBuf>,
    /// Holdout: `random` (stratified) or `time` (the newest leads by as_of).
    #[arg(long, value_enum, default_value_t = SplitArg::Random)]
    split: SplitArg,
    /// Share of leads held out for evaluation (stratified random).
    #[arg(long, default_value_t = 0.2)]
    holdout: f64,
    /// Seed of the split and the folds.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Cross-validation folds for the penalty.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Penalties tried: this many values of C, log-spaced from --c-min to --c-max (alpha = 1/C).
    #[arg(long, default_value_t = 8)]
    grid_size: usize,
    /// Smallest C (strongest penalty).
    #[arg(long, default_value_t = 1e-3)]
    c_min: f64,
    /// Largest C (weakest penalty).
    #[arg(long, default_value_t = 1e2)]
    c_max: f64,
    /// L-BFGS iteration limit.
    #[arg(long, default_value_t = 1000)]
    max_iterations: u64,
    /// Gradient tolerance per training row (linfa minimizes a sum over rows).
    #[arg(long, default_value_t = 1e-4)]
    tolerance: f64,
    /// Keep a model whose final fit did not converge (with a warning).
    #[arg(long)]
    allow_unconverged: bool,
    /// Flag a column as leakage when on its own it reaches this holdout ROC AUC.
    #[arg(long, default_value_t = 0.85)]
    leakage_auc: f64,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SplitArg {
    Random,
    Time,
}

#[derive(Args)]
struct EvaluateArgs {
    /// The model artifact.
    #[arg(long)]
    model: PathBuf,
    /// A labeled leads file the model has not seen.
    #[arg(long)]
    data: PathBuf,
    /// Label column (default: the one the model was trained with).
    #[arg(long)]
    label: Option<String>,
    /// Positive label values (default: the model's).
    #[arg(long = "positive")]
    positive: Vec<String>,
    /// CSV delimiter (detected when absent).
    #[arg(long)]
    delimiter: Option<char>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct InspectArgs {
    /// The model artifact.
    #[arg(long)]
    model: PathBuf,
    /// Show only the strongest N weights.
    #[arg(long)]
    limit: Option<usize>,
}

#[derive(Args)]
struct DemoArgs {
    /// Where to write the CSV.
    #[arg(long)]
    out: PathBuf,
    /// Number of leads.
    #[arg(long, default_value_t = 5000)]
    leads: usize,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// With --outcomes-out: write the three-table export instead (leads without the label to
    /// --out, engagement events here).
    #[arg(long, requires = "outcomes_out")]
    events_out: Option<PathBuf>,
    /// With --events-out: where to write the closed-deals outcomes (converted leads only).
    #[arg(long, requires = "events_out")]
    outcomes_out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`leadscore-train inspect ... | head`): not a failure.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
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

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(a) => {
            let table = read_table(&a.table.data, &a.table.read_options()?)?;
            let inferred = infer_spec(
                &table,
                &InferOptions {
                    label: a.table.label.clone(),
                    positive: a.table.positive.clone(),
                    id: a.table.id.clone(),
                    exclude: a.table.exclude.clone(),
                    missing_tokens: a.table.missing.clone(),
                },
            )?;
            let text = render_toml(&inferred);
            match a.out {
                Some(out) => {
                    leadscore_core::artifact::write_atomic(&out, text.as_bytes())?;
                    eprintln!(
                        "wrote {} ({} columns)",
                        out.display(),
                        inferred.spec.columns.len()
                    );
                }
                None => emit(&text)?,
            }
        }
        Command::Train(a) => {
            if a.grid_size == 0 || !(a.c_min > 0.0 && a.c_max >= a.c_min) {
                bail!("the penalty grid needs --grid-size >= 1 and 0 < --c-min <= --c-max");
            }
            let mut config = TrainConfig::new(&a.table.data);
            config.read = a.table.read_options()?;
            config.spec = a.spec;
            config.label = a.table.label;
            config.positive = a.table.positive;
            config.id = a.table.id;
            config.exclude = a.table.exclude;
            config.holdout = a.holdout;
            config.events = a.events;
            config.outcomes = a.outcomes;
            config.split = match a.split {
                SplitArg::Random => SplitKind::Random,
                SplitArg::Time => SplitKind::Time,
            };
            config.seed = a.seed;
            config.allow_unconverged = a.allow_unconverged;
            config.leakage_auc = a.leakage_auc;
            config.fit = FitOptions {
                folds: a.folds,
                alphas: log_grid(a.c_min, a.c_max, a.grid_size)
                    .into_iter()
                    .map(|c| 1.0 / c)
                    .collect(),
                max_iterations: a.max_iterations,
                tolerance_per_row: a.tolerance,
                ..FitOptions::default()
            };
            let outcome = train(&config).with_context(|| {
                format!(
                    "training on {} failed; no model was written",
                    config.data.display()
                )
            })?;
            // Write the model first: a closed stdout must not lose it.
            if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let write_start = std::time::Instant::now();
            outcome.artifact.write_atomic(&a.out)?;
            if let Some(path) = &a.holdout_out {
                let csv = report::holdout_csv(&outcome);
                leadscore_core::artifact::write_atomic(path, csv.as_bytes())
                    .with_context(|| format!("writing the holdout file {}", path.display()))?;
            }
            if a.timings {
                for (stage, secs) in &outcome.timings {
                    eprintln!("timing {stage:<15} {secs:>9.3} s");
                }
                eprintln!(
                    "timing {:<15} {:>9.3} s",
                    "write",
                    write_start.elapsed().as_secs_f64()
                );
            }
            emit(report::training_text(&outcome.artifact))?;
            emit(format!(
                "wrote {} (model {})\n",
                a.out.display(),
                outcome.artifact.model_id
            ))?;
        }
        Command::Evaluate(a) => {
            let artifact = ModelArtifact::load(&a.model)?;
            let read = ReadOptions {
                delimiter: ascii_delimiter(a.delimiter)?,
                ..ReadOptions::default()
            };
            let e = evaluate_file(&artifact, &a.data, a.label.as_deref(), &a.positive, &read)?;
            if a.json {
                emit(serde_json::to_string(&e)? + "\n")?;
            } else {
                emit(format!("model {} on {}:", e.model_id, e.data) + "\n")?;
                emit(report::metrics_text(&e.evaluation))?;
                emit(report::targets_text(&e.curve))?;
            }
        }
        Command::Inspect(a) => {
            let artifact = ModelArtifact::load(&a.model)?;
            let p = &artifact.provenance;
            emit(
                format!(
                    "model {}  created {}  trained on {} leads ({} converted)",
                    artifact.model_id, artifact.created_at, p.train_rows, p.train_positives
                ) + "\n",
            )?;
            let e = &artifact.evaluation;
            emit(
                format!(
                    "holdout ({} leads): ROC AUC {:.4}  PR AUC {:.4}  log loss {:.4}  Brier {:.4}",
                    e.n, e.roc_auc, e.pr_auc, e.log_loss, e.brier
                ) + "\n",
            )?;
            emit(report::weights_text(&artifact, a.limit))?;
            for w in &p.warnings {
                emit(format!("WARNING: {w}") + "\n")?;
            }
        }
        Command::DemoData(a) => {
            if let (Some(events), Some(outcomes)) = (&a.events_out, &a.outcomes_out) {
                let config = DemoConfig {
                    leads: a.leads,
                    seed: a.seed,
                    ..DemoConfig::default()
                };
                for path in [&a.out, events, outcomes] {
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir)
                            .with_context(|| format!("creating {}", dir.display()))?;
                    }
                }
                let n =
                    leadscore_train::demo::write_export_files(&config, &a.out, events, outcomes)
                        .context("writing the demo export")?;
                eprintln!(
                    "wrote {} ({} leads), {} ({} events), {} ({} converted)",
                    a.out.display(),
                    n.leads,
                    events.display(),
                    n.events,
                    outcomes.display(),
                    n.converted
                );
                return Ok(());
            }
            let leads = generate(&DemoConfig {
                leads: a.leads,
                seed: a.seed,
                ..DemoConfig::default()
            });
            let mut buf = Vec::new();
            write_csv(&leads, &mut buf)?;
            if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            leadscore_core::artifact::write_atomic(&a.out, &buf)?;
            let converted = leads.iter().filter(|l| l.converted).count();
            eprintln!(
                "wrote {} ({} leads, {} converted)",
                a.out.display(),
                leads.len(),
                converted
            );
        }
    }
    Ok(())
}
