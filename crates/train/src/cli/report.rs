//! `leadscore-train report` and the report `train` writes beside each model: flags into
//! [`ReportOptions`], fresh labeled data into an [`EvaluationSet`], then `leadscore-report`.

use super::input::FreshArgs;
use super::{create_parent, emit};
use anyhow::Context;
use clap::Args;
use leadscore_core::artifact::{write_atomic, ModelArtifact};
use leadscore_report::{EvaluationSet, Report, ReportOptions, Tiers};
use leadscore_train::pipeline::{evaluate_fresh, FreshData};
use std::path::{Path, PathBuf};

#[derive(Args)]
// `--data` is required by `evaluate`, optional here (no data: the holdout in the artifact).
#[command(mut_arg("data", |a| a.required(false)))]
pub struct ReportArgs {
    /// The model artifact.
    #[arg(long)]
    model: PathBuf,
    /// Labeled data to draw the charts on instead of the model's holdout (as `evaluate` takes
    /// it); the cutoff marked is still the one chosen on the holdout, as the server sets it.
    #[command(flatten)]
    fresh: Option<FreshArgs>,
    /// Where to write the report (one self-contained HTML file).
    #[arg(long)]
    out: PathBuf,
    /// Target precision whose MQL cutoff the charts mark.
    #[arg(long, default_value_t = 0.5)]
    target_precision: f64,
    /// Confidence of the precision lower bound.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Tiers as precision targets, strictest first, as `leadscore-serve --tiers` takes them.
    #[arg(long, default_value = "A=0.8,B=0.6,C=0.4,D")]
    tiers: String,
    /// Add a funnel section: the JSON `leadscore-train funnel --json` prints.
    #[arg(long)]
    funnel: Option<PathBuf>,
}

/// `report` with its options checked.
pub struct ReportJob {
    model: PathBuf,
    fresh: Option<FreshData>,
    out: PathBuf,
    options: ReportOptions,
    funnel: Option<PathBuf>,
}

/// Parses the tiers, checks the target precision and confidence ([`ReportOptions::validate`])
/// and the fresh data's flags.
impl TryFrom<ReportArgs> for ReportJob {
    type Error = anyhow::Error;

    fn try_from(a: ReportArgs) -> anyhow::Result<Self> {
        let options = ReportOptions {
            target_precision: a.target_precision,
            confidence: a.confidence,
            tiers: Tiers::parse(&a.tiers)?,
            ..ReportOptions::default()
        };
        options.validate()?;
        let fresh = a.fresh.map(FreshData::try_from).transpose()?;
        super::distinct_files(
            &[
                ("--model", Some(&a.model)),
                ("--data", fresh.as_ref().map(|f| f.leads.as_path())),
                ("--events", fresh.as_ref().and_then(|f| f.events.as_deref())),
                (
                    "--outcomes",
                    fresh.as_ref().and_then(|f| f.outcomes.as_deref()),
                ),
                ("--funnel", a.funnel.as_deref()),
            ],
            &[("--out", Some(&a.out))],
        )?;
        super::replaces_only_ours("--out", &a.out, super::Ours::Report)?;
        Ok(Self {
            model: a.model,
            fresh,
            out: a.out,
            options,
            funnel: a.funnel,
        })
    }
}

/// Writes the report the job asks for and says where.
pub fn run(job: ReportJob) -> anyhow::Result<()> {
    let artifact = ModelArtifact::load(&job.model)?;
    let data = match &job.fresh {
        Some(fresh) => {
            let e = evaluate_fresh(&artifact, fresh)?;
            let files: Vec<&str> = std::iter::once(&e.data)
                .chain(&e.events)
                .chain(&e.outcomes)
                .map(String::as_str)
                .collect();
            // What reading the files left out (title lines, footers, repeated headers, another
            // encoding), as `evaluate` says it.
            for w in &e.warnings {
                emit(format!("WARNING: {w}\n"))?;
            }
            emit(leadscore_train::report::unseen_text(&e.unseen))?;
            Some(EvaluationSet {
                name: format!("labeled data {}", files.join(" + ")),
                evaluation: e.evaluation,
                curve: e.curve,
                handoff: e.handoff_curve,
                drawn: e.ungated_curve,
                model_cutoffs: Some(e.model_cutoffs),
                unseen: Some(e.unseen),
            })
        }
        None => None,
    };
    let mut report = Report::build(&artifact, data.as_ref(), &job.options)?;
    if let Some(path) = &job.funnel {
        let text = leadscore_core::files::read_limited(
            path,
            64 << 20,
            leadscore_core::files::Symlinks::Follow,
        )
        .with_context(|| format!("--funnel {}", path.display()))?;
        let funnel: leadscore_core::funnel::Funnel =
            serde_json::from_slice(&text).with_context(|| {
                format!(
                    "--funnel {}: not the JSON of `leadscore-train funnel --json`",
                    path.display()
                )
            })?;
        report.add_funnel(&funnel)?;
    }
    write(&report, &job.out)?;
    emit(format!(
        "wrote {} (model {} on the {})\n",
        job.out.display(),
        artifact.model_id,
        report.evaluated_on
    ))?;
    Ok(())
}

/// Where `train` puts the report of the model written to `model_path`:
/// `models/demo.json` -> `models/demo.report.html`.
pub fn beside(model_path: &Path) -> PathBuf {
    let stem = model_path
        .file_stem()
        .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned());
    model_path.with_file_name(format!("{stem}.report.html"))
}

/// Writes the holdout report of a freshly trained model beside its file; returns its path.
pub fn write_beside(artifact: &ModelArtifact, model_path: &Path) -> anyhow::Result<PathBuf> {
    let path = beside(model_path);
    let report = Report::build(artifact, None, &ReportOptions::default())?;
    write(&report, &path).with_context(|| {
        format!(
            "the model was written to {}, but its report was not (skip it with --no-report)",
            model_path.display()
        )
    })?;
    Ok(path)
}

/// Writes the report's HTML to `path` (atomically), creating its folder.
fn write(report: &Report, path: &Path) -> anyhow::Result<()> {
    create_parent(path)?;
    write_atomic(path, report.document().as_bytes())
        .with_context(|| format!("writing the report {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_goes_beside_the_model() {
        assert_eq!(
            beside(Path::new("models/demo.json")),
            PathBuf::from("models/demo.report.html")
        );
        assert_eq!(beside(Path::new("m")), PathBuf::from("m.report.html"));
        assert_eq!(
            beside(Path::new("/r/a1.b.json")),
            PathBuf::from("/r/a1.b.report.html")
        );
    }
}
