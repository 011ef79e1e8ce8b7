//! `leadscore-train train`: fit a model on a leads file (optionally with events and outcomes)
//! and write it to a file or add it to a registry, with its HTML report beside it.
//!
//! Every option value is checked here, in [`TryFrom<TrainArgs> for Train`](Train), before the
//! registry is opened or a file read: the penalty grid ([`PenaltyGridArgs`]), the holdout and
//! cross-validation split ([`SplitArgs`]), the landmarks and the example budget
//! ([`LandmarkArgs`]), and the delimiter. An out-of-range value exits 1 naming its flag.

use super::input::TableArgs;
use super::report::write_beside;
use super::{create_parent, emit};
use anyhow::{bail, Context};
use clap::Args;
use leadscore_core::artifact::{ModelArtifact, MAX_GRID_EXTENSIONS};
use leadscore_core::pairs::{PairCount, MAX_PAIRS};
use leadscore_core::registry::Registry;
use leadscore_train::fit::{log_grid, FitOptions};
use leadscore_train::load::ReadOptions;
use leadscore_train::pipeline::{
    check_landmarks, train, SplitKind, TrainConfig, DEFAULT_MAX_EXAMPLES,
};
use leadscore_train::{registry_cmd, report};
use std::path::PathBuf;

#[derive(Args)]
pub struct TrainArgs {
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
    #[command(flatten)]
    split: SplitArgs,
    #[command(flatten)]
    grid: PenaltyGridArgs,
    /// Do not write the HTML report beside the model (`<model>.report.html`).
    #[arg(long)]
    no_report: bool,
    /// Keep a model whose final fit did not converge (with a warning).
    #[arg(long)]
    allow_unconverged: bool,
    /// Flag a column as leakage when on its own it reaches this holdout ROC AUC.
    #[arg(long, default_value_t = 0.85)]
    leakage_auc: f64,
    #[command(flatten)]
    landmarks: LandmarkArgs,
    /// A flat file's "now", the time it was exported (RFC 3339, a date, or Unix seconds or
    /// milliseconds): its dates are measured from it, and one more than five minutes after it
    /// (a follow-up planned ahead) reads as missing, as when serving. Default: the file's latest date. Not with --events/--outcomes
    /// (each example has its own moment there).
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// Interaction terms: `auto` (rank the pairs of columns, keep the best 0, 4, 8, 16 or 32 as
    /// chosen by cross-validation; the spec's `[pairs]` can change that), a number (the best
    /// N), or `off` (none, not even the pairs the spec names). Overrides `[pairs] count`.
    #[arg(long, value_parser = parse_pair_count)]
    pairs: Option<PairCount>,
}

/// `auto`, `off` or a number of pairs (its range is checked with the other options).
fn parse_pair_count(s: &str) -> Result<PairCount, String> {
    match s {
        "auto" => Ok(PairCount::Auto),
        "off" => Ok(PairCount::Fixed(0)),
        n => n
            .parse::<usize>()
            .map(PairCount::Fixed)
            .map_err(|_| format!("expected auto, off or a number of pairs, got {n:?}")),
    }
}

/// How the leads are split: the holdout, and the cross-validation folds of the training part.
#[derive(Args)]
struct SplitArgs {
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
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SplitArg {
    Random,
    Time,
}

impl From<SplitArg> for SplitKind {
    fn from(s: SplitArg) -> Self {
        match s {
            SplitArg::Random => SplitKind::Random,
            SplitArg::Time => SplitKind::Time,
        }
    }
}

impl SplitArgs {
    /// The holdout share must leave leads on both sides. (`pipeline::train` checks the same
    /// for library callers; here it fails before a registry folder is created.) Cross-validation
    /// needs 2 folds or more (the fit uses at most as many as the rarer class allows).
    fn check(&self) -> anyhow::Result<()> {
        if !(self.holdout > 0.0 && self.holdout < 1.0) {
            bail!("--holdout must be in (0, 1), got {}", self.holdout);
        }
        if self.folds < 2 {
            bail!("--folds must be at least 2, got {}", self.folds);
        }
        Ok(())
    }
}

/// The penalties tried by cross-validation and the solver's limits.
#[derive(Args)]
struct PenaltyGridArgs {
    /// Penalties tried: this many values of C, log-spaced from --c-min to --c-max (alpha = 1/C).
    #[arg(long, default_value_t = 8)]
    grid_size: usize,
    /// Smallest C (strongest penalty).
    #[arg(long, default_value_t = 1e-3)]
    c_min: f64,
    /// Largest C (weakest penalty).
    #[arg(long, default_value_t = 1e2)]
    c_max: f64,
    /// While the best penalty is at an edge of the grid, add one more a decade beyond it, at
    /// most this many times (0 = keep the grid as given).
    #[arg(long, default_value_t = MAX_GRID_EXTENSIONS)]
    grid_extensions: usize,
    /// L-BFGS iteration limit.
    #[arg(long, default_value_t = 1000)]
    max_iterations: u64,
    /// Gradient tolerance per training row (linfa minimizes a sum over rows).
    #[arg(long, default_value_t = 1e-4)]
    tolerance: f64,
}

impl PenaltyGridArgs {
    /// The penalties as linfa's alphas (1 / C), after checking that the grid is not empty and
    /// its bounds are positive and ordered.
    fn alphas(&self) -> anyhow::Result<Vec<f64>> {
        if self.grid_size == 0
            || !(self.c_min > 0.0 && self.c_max >= self.c_min && self.c_max.is_finite())
        {
            bail!("the penalty grid needs --grid-size >= 1 and 0 < --c-min <= --c-max");
        }
        if self.max_iterations == 0 {
            // No step at all: every fit would be all zeros, blamed on the label.
            bail!("--max-iterations must be at least 1");
        }
        if !(self.tolerance > 0.0 && self.tolerance.is_finite()) {
            bail!(
                "--tolerance must be a positive number, got {}",
                self.tolerance
            );
        }
        Ok(log_grid(self.c_min, self.c_max, self.grid_size)
            .into_iter()
            .map(|c| 1.0 / c)
            .collect())
    }
}

/// Point-in-time examples: at which lead ages they are taken and how many are kept.
#[derive(Args)]
struct LandmarkArgs {
    /// Landmark ages in days, comma separated (e.g. 0,1,3,7,14,30,60,90): each lead yields one
    /// example per landmark. Overrides the spec's `[time] landmarks_days`.
    // Hyphen values: `-1,2` is an out-of-range age (exit 1 from check_landmarks), not a flag.
    #[arg(
        long = "landmarks",
        value_name = "DAYS",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    landmarks_days: Option<Vec<f64>>,
    /// Train even though conversions carry no time (a label column, or outcomes without
    /// converted_at) while events or landmarks place leads in time; the report names the risk.
    #[arg(long)]
    allow_untimed_conversions: bool,
    /// At most this many landmark examples; beyond it, each is kept with one seeded probability.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_EXAMPLES)]
    max_examples: usize,
}

impl LandmarkArgs {
    /// Landmark ages must be valid ([`check_landmarks`]); the budget must allow an example.
    fn check(&self) -> anyhow::Result<()> {
        if let Some(days) = &self.landmarks_days {
            check_landmarks(days).map_err(|e| anyhow::anyhow!("--landmarks: {e}"))?;
        }
        if self.max_examples == 0 {
            bail!("--max-examples must be at least 1, got 0");
        }
        Ok(())
    }
}

/// Where the trained model goes.
enum Destination {
    /// `--out`: this file.
    File(PathBuf),
    /// `--registry`: this registry folder, under the model's id.
    Registry(PathBuf),
}

/// [`Destination`] made ready: the registry opened (or created).
enum Target {
    File(PathBuf),
    Registry(Registry),
}

/// `train` with every option checked: the library's job and what to do with its result.
pub struct Train {
    config: TrainConfig,
    destination: Destination,
    holdout_out: Option<PathBuf>,
    report: bool,
    timings: bool,
}

/// Checks the penalty grid, the delimiter, the split and the landmark options, in that order.
impl TryFrom<TrainArgs> for Train {
    type Error = anyhow::Error;

    fn try_from(a: TrainArgs) -> anyhow::Result<Self> {
        let alphas = a.grid.alphas()?;
        let read = ReadOptions::try_from(&a.table)?;
        a.split.check()?;
        a.landmarks.check()?;
        // An AUC of 0.5 is chance: a threshold at or below it flags every column, one above 1
        // none (NaN too), which would switch the check off without a word.
        if !(a.leakage_auc > 0.5 && a.leakage_auc <= 1.0) {
            bail!("--leakage-auc must be in (0.5, 1], got {}", a.leakage_auc);
        }
        let as_of = match &a.as_of {
            None => None,
            Some(t) => {
                let at = leadscore_core::value::parse_as_of(t).with_context(|| {
                    format!(
                        "--as-of {t:?} is not a time (expected {})",
                        leadscore_core::value::AS_OF_FORMS
                    )
                })?;
                if a.events.is_some() || a.outcomes.is_some() {
                    bail!(
                        "--as-of is a flat file's export time; with --events or --outcomes each \
                         example is scored at its own moment (the spec's [time])"
                    );
                }
                Some(at)
            }
        };
        if let Some(PairCount::Fixed(n)) = a.pairs {
            if n > MAX_PAIRS {
                bail!("--pairs {n} is more than {MAX_PAIRS}");
            }
        }
        let report_path = a
            .out
            .as_deref()
            .filter(|_| !a.no_report)
            .map(super::report::beside);
        super::distinct_files(
            &[
                ("--data", Some(&a.table.data)),
                ("--spec", a.spec.as_deref()),
                ("--events", a.events.as_deref()),
                ("--outcomes", a.outcomes.as_deref()),
            ],
            &[
                ("--out", a.out.as_deref()),
                ("--holdout-out", a.holdout_out.as_deref()),
                ("the report beside --out", report_path.as_deref()),
            ],
        )?;
        if let Some(out) = &a.out {
            super::replaces_only_ours("--out", out, super::Ours::Model)?;
        }
        if let Some(report) = &report_path {
            super::replaces_only_ours("the report beside --out", report, super::Ours::Report)?;
        }
        let destination = match (a.out, a.registry) {
            (Some(out), None) => Destination::File(out),
            (None, Some(dir)) => Destination::Registry(dir),
            // clap lets exactly one through.
            _ => bail!("give one of --out and --registry"),
        };
        let t = a.table;
        let mut config = TrainConfig::new(t.data);
        config.read = read;
        config.spec = a.spec;
        config.label = t.label;
        config.positive = t.positive;
        config.negative = t.negative;
        config.id = t.id;
        config.exclude = t.exclude;
        config.events = a.events;
        config.outcomes = a.outcomes;
        config.split = a.split.split.into();
        config.holdout = a.split.holdout;
        config.seed = a.split.seed;
        config.allow_unconverged = a.allow_unconverged;
        config.leakage_auc = a.leakage_auc;
        config.landmarks_days = a.landmarks.landmarks_days;
        config.allow_untimed_conversions = a.landmarks.allow_untimed_conversions;
        config.max_examples = a.landmarks.max_examples;
        config.pairs = a.pairs;
        config.as_of = as_of;
        config.fit = FitOptions {
            folds: a.split.folds,
            alphas,
            max_iterations: a.grid.max_iterations,
            tolerance_per_row: a.grid.tolerance,
            max_grid_extensions: a.grid.grid_extensions,
            ..FitOptions::default()
        };
        Ok(Self {
            config,
            destination,
            holdout_out: a.holdout_out,
            report: !a.no_report,
            timings: a.timings,
        })
    }
}

/// Trains, writes the model (and its report and holdout file), then prints the summary. The
/// model is written before anything is printed: a closed stdout must not lose it.
pub fn run(job: Train) -> anyhow::Result<()> {
    // Open the registry before training: a bad folder fails in seconds, not minutes.
    let target = match job.destination {
        Destination::File(out) => Target::File(out),
        Destination::Registry(dir) => {
            let registry = Registry::open_or_create(&dir)
                .with_context(|| format!("opening the model registry {}", dir.display()))?;
            // A folder that takes no file (read-only) failed only when the model was added.
            super::can_create_beside("--registry", &dir.join("model.json"))?;
            Target::Registry(registry)
        }
    };
    let outcome = train(&job.config).with_context(|| {
        format!(
            "training on {} failed; no model was written",
            job.config.data.display()
        )
    })?;
    let write_start = std::time::Instant::now();
    let artifact = &outcome.artifact;
    let (model_path, mut wrote) = match &target {
        Target::File(out) => {
            create_parent(out)?;
            artifact.write_atomic(out)?;
            let text = format!("wrote {} (model {})\n", out.display(), artifact.model_id);
            (out.clone(), text)
        }
        Target::Registry(registry) => {
            let added = registry_cmd::add_trained(registry, artifact).with_context(|| {
                format!(
                    "adding the model to the registry {}",
                    registry.dir().display()
                )
            })?;
            let text = added_text(registry, &added, artifact);
            (added.path, text)
        }
    };
    if job.report {
        let path = write_beside(artifact, &model_path)?;
        wrote += &format!("wrote {} (its report)\n", path.display());
    }
    if let Some(path) = &job.holdout_out {
        let csv = report::holdout_csv(&outcome);
        leadscore_core::artifact::write_atomic(path, csv.as_bytes())
            .with_context(|| format!("writing the holdout file {}", path.display()))?;
    }
    if job.timings {
        for (stage, secs) in &outcome.timings {
            leadscore_core::stderr_line!("timing {stage:<15} {secs:>9.3} s");
        }
        leadscore_core::stderr_line!(
            "timing {:<15} {:>9.3} s",
            "write",
            write_start.elapsed().as_secs_f64()
        );
    }
    emit(report::training_text(artifact))?;
    emit(wrote)?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `train`'s flags alone.
    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        train: TrainArgs,
    }

    fn checked(args: &[&str]) -> anyhow::Result<Train> {
        let base = ["train", "--data", "d.csv", "--out", "m.json"];
        let flags = Flags::try_parse_from(base.iter().chain(args))?;
        Train::try_from(flags.train)
    }

    fn error(args: &[&str]) -> String {
        checked(args)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn defaults_are_the_library_defaults() {
        let t = checked(&[]).unwrap();
        let (c, lib, fit) = (&t.config, TrainConfig::new("d.csv"), FitOptions::default());
        assert_eq!(
            (
                c.split,
                c.holdout,
                c.seed,
                c.leakage_auc,
                c.allow_unconverged
            ),
            (
                lib.split,
                lib.holdout,
                lib.seed,
                lib.leakage_auc,
                lib.allow_unconverged
            )
        );
        assert_eq!(
            (
                &c.fit.alphas,
                c.fit.folds,
                c.fit.max_iterations,
                c.fit.tolerance_per_row
            ),
            (
                &fit.alphas,
                fit.folds,
                fit.max_iterations,
                fit.tolerance_per_row
            )
        );
        assert_eq!(c.fit.max_grid_extensions, fit.max_grid_extensions);
        assert_eq!(c.bins, lib.bins);
        assert_eq!(
            checked(&["--grid-extensions", "0"])
                .unwrap()
                .config
                .fit
                .max_grid_extensions,
            0
        );
        assert_eq!(
            (
                &c.landmarks_days,
                c.allow_untimed_conversions,
                c.max_examples
            ),
            (
                &lib.landmarks_days,
                lib.allow_untimed_conversions,
                lib.max_examples
            )
        );
        assert!(t.report && !t.timings);
        assert!(matches!(&t.destination, Destination::File(p) if p.as_os_str() == "m.json"));
    }

    #[test]
    fn the_point_in_time_options_reach_the_config() {
        let t = checked(&[
            "--landmarks",
            "0,1,3,7,14,30,60,90",
            "--allow-untimed-conversions",
            "--max-examples",
            "1000",
            "--split",
            "time",
            "--folds",
            "3",
        ])
        .unwrap();
        let c = &t.config;
        assert_eq!(
            c.landmarks_days.as_deref(),
            Some(&[0.0, 1.0, 3.0, 7.0, 14.0, 30.0, 60.0, 90.0][..])
        );
        assert!(c.allow_untimed_conversions);
        assert_eq!(
            (c.max_examples, c.split, c.fit.folds),
            (1000, SplitKind::Time, 3)
        );
        // Repeating the flag appends, as for the other list flags.
        let t = checked(&["--landmarks", "0,1", "--landmarks", "7"]).unwrap();
        assert_eq!(t.config.landmarks_days, Some(vec![0.0, 1.0, 7.0]));
    }

    #[test]
    fn out_of_range_values_name_their_flag() {
        assert_eq!(
            error(&["--grid-size", "0"]),
            "the penalty grid needs --grid-size >= 1 and 0 < --c-min <= --c-max"
        );
        assert!(error(&["--c-min", "0"]).contains("--c-min"));
        assert!(error(&["--c-max", "inf"]).contains("--c-max"));
        assert_eq!(
            error(&["--max-iterations", "0"]),
            "--max-iterations must be at least 1"
        );
        for bad in ["NaN", "0", "-1e-4", "inf"] {
            let flag = format!("--tolerance={bad}");
            assert!(error(&[&flag]).starts_with("--tolerance"), "{bad}");
        }
        for bad in ["0", "1"] {
            assert_eq!(
                error(&["--folds", bad]),
                format!("--folds must be at least 2, got {bad}")
            );
        }
        for bad in ["nan", "5", "-1", "0.5"] {
            let flag = format!("--leakage-auc={bad}");
            assert!(error(&[&flag]).starts_with("--leakage-auc"), "{bad}");
        }
        assert!(checked(&["--leakage-auc", "1"]).is_ok());
        assert_eq!(
            error(&["--holdout", "1"]),
            "--holdout must be in (0, 1), got 1"
        );
        assert_eq!(
            error(&["--landmarks", "3,1"]),
            "--landmarks: landmark ages must be strictly increasing: 1 comes after 3"
        );
        assert!(error(&["--landmarks", "0,NaN"]).starts_with("--landmarks: landmark age NaN"));
        assert_eq!(
            error(&["--max-examples", "0"]),
            "--max-examples must be at least 1, got 0"
        );
        assert!(error(&["--delimiter", "é"]).contains("--delimiter"));
        // The grid is checked first, as before the landmarks existed.
        assert!(error(&["--grid-size", "0", "--holdout", "2"]).contains("penalty grid"));
    }
}
