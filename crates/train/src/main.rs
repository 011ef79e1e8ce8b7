//! `leadscore-train`: a thin binary over the library. It parses flags, builds a checked
//! configuration, calls the library and prints the error chain once. Exit codes: 0 success,
//! 1 the job failed (bad input, failed fit; nothing was written), 2 bad usage.

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::registry::Registry;
use leadscore_train::demo::{generate, write_csv, DemoConfig};
use leadscore_train::fit::{log_grid, FitOptions};
use leadscore_train::infer::{infer_spec, render_toml, InferOptions};
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{evaluate_fresh, train, FreshData, SplitKind, TrainConfig};
use leadscore_train::registry_cmd::{self, Decision, PromoteOptions};
use leadscore_train::report;
use std::path::PathBuf;
use std::process::ExitCode;

mod report_cmd;

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
    /// Score labeled data the model has never seen (a leads file, or leads + events +
    /// outcomes assembled point in time as the model was trained) and print its metrics.
    Evaluate(EvaluateArgs),
    /// Make a registry model CURRENT if it is not worse than the champion on fresh data.
    Promote(PromoteArgs),
    /// List a registry's models with their holdout metrics and which is CURRENT.
    Models(ModelsArgs),
    /// Print a model's weights and headline metrics.
    Inspect(InspectArgs),
    /// Write a model's report: one self-contained HTML file with its charts and tables.
    Report(report_cmd::ReportArgs),
    /// Write the seeded synthetic B2B demo export.
    DemoData(DemoArgs),
    /// Realized precision and recall of the served MQL cutoff on leads whose outcome is now
    /// known (from the server's --decision-log and an outcomes table), against the promise.
    Monitor(MonitorArgs),
}

#[derive(Args)]
struct MonitorArgs {
    /// The model artifact whose decisions to check.
    #[arg(long)]
    model: PathBuf,
    /// The decision log: a decisions.jsonl file, or the folder with it and its rotated files.
    #[arg(long)]
    log: PathBuf,
    /// Outcomes (CSV or Parquet): lead id, optionally converted (1/0) and converted_at; a lead
    /// missing from it did not convert.
    #[arg(long)]
    outcomes: PathBuf,
    /// Days after a decision's as_of within which a conversion counts (default: the model's
    /// training horizon, else 90).
    #[arg(long)]
    horizon_days: Option<f64>,
    /// "Now" for deciding whether a lead's horizon has passed (RFC 3339; default: the clock).
    #[arg(long)]
    now: Option<String>,
    /// Include decisions of every model in the log (promises only for --model's).
    #[arg(long)]
    all_models: bool,
    /// Confidence of the precision lower bounds.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
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
    #[arg(
        long,
        required_unless_present = "registry",
        conflicts_with = "registry"
    )]
    out: Option<PathBuf>,
    /// Add the model to this registry folder as <model_id>.json instead (created if absent);
    /// the registry's first model becomes CURRENT, later ones wait for `promote`.
    #[arg(long)]
    registry: Option<PathBuf>,
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
    /// Do not write the HTML report beside the model (`<model>.report.html`).
    #[arg(long)]
    no_report: bool,
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

/// Fresh labeled data, as `evaluate` and `promote` take it.
#[derive(Args)]
struct FreshArgs {
    /// A labeled leads file the model has not seen (for a model trained with --outcomes, the
    /// leads without labels).
    #[arg(long)]
    data: PathBuf,
    /// Engagement events of those leads (required by models trained with --events).
    #[arg(long)]
    events: Option<PathBuf>,
    /// Outcomes of those leads (required by models trained with --outcomes).
    #[arg(long)]
    outcomes: Option<PathBuf>,
    /// Label column (default: the one the model was trained with).
    #[arg(long)]
    label: Option<String>,
    /// Positive label values (default: the model's).
    #[arg(long = "positive")]
    positive: Vec<String>,
    /// CSV delimiter (detected when absent).
    #[arg(long)]
    delimiter: Option<char>,
}

impl FreshArgs {
    fn fresh_data(&self) -> anyhow::Result<FreshData> {
        Ok(FreshData {
            leads: self.data.clone(),
            events: self.events.clone(),
            outcomes: self.outcomes.clone(),
            label: self.label.clone(),
            positive: self.positive.clone(),
            read: ReadOptions {
                delimiter: ascii_delimiter(self.delimiter)?,
                ..ReadOptions::default()
            },
        })
    }
}

#[derive(Args)]
struct EvaluateArgs {
    /// The model artifact.
    #[arg(long)]
    model: PathBuf,
    #[command(flatten)]
    fresh: FreshArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct PromoteArgs {
    /// The registry folder.
    #[arg(long)]
    registry: PathBuf,
    /// The challenger: a model id or file name in the registry, or an artifact's path (copied
    /// into the registry if promoted).
    #[arg(long)]
    model: String,
    #[command(flatten)]
    fresh: FreshArgs,
    /// Largest ROC AUC drop from the champion's that still counts as "not worse".
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    max_auc_drop: f64,
    /// Largest log loss rise over the champion's that still counts as "not worse".
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    max_log_loss_rise: f64,
    /// Promote even if the challenger is worse, or the champion cannot be compared (a bad
    /// CURRENT); the promotion log records that it was forced.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct ModelsArgs {
    /// The registry folder.
    #[arg(long)]
    registry: PathBuf,
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

/// What `train --registry` prints after adding the model: where it went, and how to promote it.
fn added_text(
    registry: &Registry,
    added: &registry_cmd::Added,
    artifact: &ModelArtifact,
) -> String {
    let dir = registry.dir().display();
    let model = added.file_name.trim_end_matches(".json");
    let mut out = format!("wrote {} (model {model})\n", added.path.display());
    if added.became_current {
        out += &format!("{dir} had no models: {} is now CURRENT\n", added.file_name);
        return out;
    }
    match (&added.champion, &added.pointer_problem) {
        (Some(champion), _) => {
            out += &format!("CURRENT still names {champion}; to compare the two on fresh labeled data and promote if not worse:\n");
        }
        (None, Some(problem)) => {
            out += &format!("WARNING: CURRENT was left alone: {problem}\nto promote this model:\n");
        }
        (None, None) => {
            out += &format!("{dir} has no CURRENT model; to make this one CURRENT:\n");
        }
    }
    let assembly = artifact.assembly.as_ref();
    out += &format!(
        "  leadscore-train promote --registry {dir} --model {model} --data FRESH_LEADS{}{}\n",
        if artifact.spec.events.is_some() {
            " --events FRESH_EVENTS"
        } else {
            ""
        },
        if assembly.is_some_and(|s| s.outcomes.is_some()) {
            " --outcomes FRESH_OUTCOMES"
        } else {
            ""
        }
    );
    out
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
            // Open the registry before training: a bad folder fails in seconds, not minutes.
            let registry = match &a.registry {
                Some(dir) => Some(
                    Registry::open_or_create(dir)
                        .with_context(|| format!("opening the model registry {}", dir.display()))?,
                ),
                None => None,
            };
            let outcome = train(&config).with_context(|| {
                format!(
                    "training on {} failed; no model was written",
                    config.data.display()
                )
            })?;
            // Write the model first: a closed stdout must not lose it.
            let write_start = std::time::Instant::now();
            let mut wrote = String::new();
            if let Some(out) = &a.out {
                if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                outcome.artifact.write_atomic(out)?;
                wrote = format!(
                    "wrote {} (model {})\n",
                    out.display(),
                    outcome.artifact.model_id
                );
                if !a.no_report {
                    let path = report_cmd::write_beside(&outcome.artifact, out)?;
                    wrote += &format!("wrote {} (its report)\n", path.display());
                }
            }
            if let Some(registry) = &registry {
                let added =
                    registry_cmd::add_trained(registry, &outcome.artifact).with_context(|| {
                        format!(
                            "adding the model to the registry {}",
                            registry.dir().display()
                        )
                    })?;
                wrote = added_text(registry, &added, &outcome.artifact);
                if !a.no_report {
                    let path = report_cmd::write_beside(&outcome.artifact, &added.path)?;
                    wrote += &format!("wrote {} (its report)\n", path.display());
                }
            }
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
            emit(wrote)?;
        }
        Command::Evaluate(a) => {
            let artifact = ModelArtifact::load(&a.model)?;
            let e = evaluate_fresh(&artifact, &a.fresh.fresh_data()?)?;
            if a.json {
                emit(serde_json::to_string(&e)? + "\n")?;
            } else {
                emit(format!("model {} on ", e.model_id))?;
                emit(registry_cmd::fresh_data_text(&e))?;
                emit(report::metrics_text(&e.evaluation))?;
                emit(report::targets_text(&e.curve))?;
            }
        }
        Command::Promote(a) => {
            let registry = Registry::open(&a.registry)
                .with_context(|| format!("opening the model registry {}", a.registry.display()))?;
            let options = PromoteOptions {
                challenger: a.model.clone(),
                fresh: a.fresh.fresh_data()?,
                max_auc_drop: a.max_auc_drop,
                max_log_loss_rise: a.max_log_loss_rise,
                force: a.force,
            };
            let p = registry_cmd::promote(&registry, &options)?;
            let from = p.previous.as_deref().unwrap_or("nothing");
            match &p.decision {
                Decision::AlreadyCurrent => {
                    emit(format!(
                        "{} already is CURRENT in {}; nothing to do\n",
                        p.challenger.file_name,
                        registry.dir().display()
                    ))?;
                }
                Decision::Promoted { forced_over } => {
                    emit(registry_cmd::comparison_text(&p))?;
                    match forced_over {
                        None => emit(format!(
                            "promoted: CURRENT now names {} (was {from}): {}\n",
                            p.challenger.file_name, p.reason
                        ))?,
                        Some(why) => emit(format!(
                            "promoted WITH --force: CURRENT now names {} (was {from}), although {why}\n",
                            p.challenger.file_name
                        ))?,
                    }
                }
                Decision::Refused { reason } => {
                    emit(registry_cmd::comparison_text(&p))?;
                    bail!(
                        "model {} not promoted: {reason}. CURRENT still names {from} (--force promotes anyway; recorded in {})",
                        p.challenger.artifact.model_id,
                        registry.dir().join(leadscore_core::registry::PROMOTIONS).display()
                    );
                }
            }
        }
        Command::Models(a) => {
            let registry = Registry::open(&a.registry)
                .with_context(|| format!("opening the model registry {}", a.registry.display()))?;
            let listing = registry_cmd::list_models(&registry)?;
            if a.json {
                emit(serde_json::to_string(&listing)? + "\n")?;
            } else {
                emit(registry_cmd::listing_text(&listing))?;
            }
            for w in &listing.warnings {
                eprintln!("WARNING: {w}");
            }
        }
        Command::Report(a) => emit(report_cmd::run(&a)?)?,
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
        Command::Monitor(a) => {
            let now = match &a.now {
                None => None,
                Some(t) => Some(
                    leadscore_core::value::parse_timestamp(t)
                        .with_context(|| format!("--now {t:?} is not a time"))?,
                ),
            };
            let report =
                leadscore_train::monitor::monitor(&leadscore_train::monitor::MonitorOptions {
                    model: a.model,
                    log: a.log,
                    outcomes: a.outcomes,
                    horizon_days: a.horizon_days,
                    now,
                    all_models: a.all_models,
                    confidence: a.confidence,
                })?;
            if a.json {
                emit(serde_json::to_string(&report)? + "\n")?;
            } else {
                emit(leadscore_train::monitor::render_text(&report))?;
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
