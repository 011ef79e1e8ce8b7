//! `leadscore-train demo-data`: the seeded synthetic demo export, as one flat leads file or as
//! three tables (leads, events, outcomes).

use super::create_parent;
use anyhow::Context;
use clap::Args;
use leadscore_train::demo::{
    generate, write_csv, write_export_files, write_survey_csv, DemoConfig, SurveyConfig,
};
use std::path::PathBuf;

#[derive(Args)]
pub struct DemoArgs {
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
    /// Write a wide coded table instead (85 columns of answer codes 0-9, `respondent_id`,
    /// `converted`; --leads rows): the case where quantile bins on every column overfit.
    #[arg(long, conflicts_with_all = ["events_out", "outcomes_out"])]
    survey: bool,
}

/// Writes the export the flags ask for and says what it wrote on stderr.
pub fn run(a: DemoArgs) -> anyhow::Result<()> {
    let config = DemoConfig {
        leads: a.leads,
        seed: a.seed,
        ..DemoConfig::default()
    };
    // Every output first (the survey's too): a folder, a link, a FIFO or the same path twice is
    // refused before anything is written, and so is a file that is not a demo export
    // (`--out data/leads.csv` replaced a real export).
    super::distinct_files(
        &[],
        &[
            ("--out", Some(&a.out)),
            ("--events-out", a.events_out.as_deref()),
            ("--outcomes-out", a.outcomes_out.as_deref()),
        ],
    )?;
    for (flag, path) in [
        ("--out", Some(&a.out)),
        ("--events-out", a.events_out.as_ref()),
        ("--outcomes-out", a.outcomes_out.as_ref()),
    ] {
        if let Some(path) = path {
            super::replaces_only_ours(flag, path, super::Ours::Demo)?;
        }
    }
    if a.survey {
        let mut buf = Vec::new();
        let (rows, converted) = write_survey_csv(
            &SurveyConfig {
                rows: a.leads,
                seed: a.seed,
                ..SurveyConfig::default()
            },
            &mut buf,
        )?;
        create_parent(&a.out)?;
        leadscore_core::artifact::write_atomic(&a.out, &buf)?;
        leadscore_core::stderr_line!(
            "wrote {} ({rows} respondents, {converted} converted)",
            a.out.display()
        );
        return Ok(());
    }
    if let (Some(events), Some(outcomes)) = (&a.events_out, &a.outcomes_out) {
        for path in [&a.out, events, outcomes] {
            create_parent(path)?;
        }
        let n = write_export_files(&config, &a.out, events, outcomes)
            .context("writing the demo export")?;
        leadscore_core::stderr_line!(
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
    let leads = generate(&config);
    let mut buf = Vec::new();
    write_csv(&leads, &mut buf)?;
    create_parent(&a.out)?;
    leadscore_core::artifact::write_atomic(&a.out, &buf)?;
    let converted = leads.iter().filter(|l| l.converted).count();
    leadscore_core::stderr_line!(
        "wrote {} ({} leads, {} converted)",
        a.out.display(),
        leads.len(),
        converted
    );
    Ok(())
}
