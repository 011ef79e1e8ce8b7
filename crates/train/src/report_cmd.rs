//! `leadscore-train report` and the report `train` writes beside each model: flags into
//! [`ReportOptions`], fresh labeled data into an [`EvaluationSet`], then `leadscore-report`.

use crate::FreshArgs;
use anyhow::Context;
use clap::Args;
use leadscore_core::artifact::{write_atomic, ModelArtifact};
use leadscore_report::{EvaluationSet, Report, ReportOptions, Tiers};
use leadscore_train::pipeline::evaluate_fresh;
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
}

/// Writes the report `a` asks for; returns what to print.
pub fn run(a: &ReportArgs) -> anyhow::Result<String> {
    let options = ReportOptions {
        target_precision: a.target_precision,
        confidence: a.confidence,
        tiers: Tiers::parse(&a.tiers)?,
        ..ReportOptions::default()
    };
    options.validate()?;
    let artifact = ModelArtifact::load(&a.model)?;
    let data = match &a.fresh {
        Some(fresh) => {
            let e = evaluate_fresh(&artifact, &fresh.fresh_data()?)?;
            let files: Vec<&str> = std::iter::once(&e.data)
                .chain(&e.events)
                .chain(&e.outcomes)
                .map(String::as_str)
                .collect();
            Some(EvaluationSet {
                name: format!("labeled data {}", files.join(" + ")),
                evaluation: e.evaluation,
                curve: e.curve,
                handoff: e.handoff_curve,
            })
        }
        None => None,
    };
    let report = Report::build(&artifact, data.as_ref(), &options)?;
    write(&report, &a.out)?;
    Ok(format!(
        "wrote {} (model {} on the {})\n",
        a.out.display(),
        artifact.model_id,
        report.evaluated_on
    ))
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

fn write(report: &Report, path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
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
