//! Seeded synthetic B2B lead export (`leadscore-train demo-data`).
//!
//! The generator produces rows shaped like a CRM / marketing-automation lead export: an id, a
//! creation timestamp, a contact email, a free-text job title, firmographics (company size,
//! industry, country), the acquisition channel and two engagement signals. The `converted` label
//! is drawn as `Bernoulli(sigmoid(log_odds))`, where the log-odds are the sum of the documented
//! contributions in [`GROUND_TRUTH`], the intercept [`GROUND_TRUTH_INTERCEPT`], and an
//! unobserved per-lead noise term (standard deviation [`GROUND_TRUTH_NOISE_SD`]) that stands for
//! everything an export does not capture (budget, timing, champion, ...). Together with the
//! Bernoulli draw and the missing cells, it keeps the achievable ROC AUC on the exported columns
//! around 0.83 (0.82-0.84 across seeds on 20,000 leads; that is the AUC of the true observable
//! log-odds) instead of 1.0, and the conversion rate around 25%.
//!
//! The ground truth is defined on *latent* attributes: the seniority class a title was drawn
//! from, the class of the email domain, and the true company size and industry. The export hides
//! the size for ~6% of rows and the industry for ~4% (missing completely at random), and the
//! title is free text with varied wording and case, so a model has to recover seniority and
//! domain class from the strings.
//!
//! [`generate_export`] and [`write_export`] produce the same leads as a three-table CRM export
//! instead: leads (without the label and the two engagement columns), engagement events (~30 a
//! lead, [`EVENT_TYPES`]) and a closed-deals outcomes table (converted leads only, with a date).
//! Its ground truth is point-in-time: each lead is scored as of `created_at` +
//! [`OBSERVATION_DAYS`], its log-odds add decayed event counts ([`ENGAGEMENT_TRUTH`], half-life
//! [`ENGAGEMENT_HALF_LIFE_DAYS`]) to the fit entries of [`GROUND_TRUTH`], and the label is a
//! conversion within [`HORIZON_DAYS`] after that. Events after `as_of`, conversions before it or
//! after the horizon, and censored leads are all in the data, for a pipeline to handle. The flat
//! file of a configuration is unchanged by the export (its random streams are separate).
//!
//! Everything is determined by [`DemoConfig::seed`]; the same configuration always yields the
//! same rows on every platform.
//!
//! Layout: `vocab` (what leads are drawn from), `truth` (the log-odds and the point-in-time
//! frame), `leads` (the lead profiles and the flat label), `events` and `outcomes` (the
//! three-table export's engagement and conversions), `export` (the three tables in memory),
//! `csv` (both exports written), `draw` (the shared random draws); `survey` is a separate
//! wide table of answer codes (`demo-data --survey`), the case where quantile bins overfit.

use leadscore_core::civil;

mod csv;
mod draw;
mod events;
mod export;
mod leads;
mod outcomes;
mod survey;
#[cfg(test)]
mod tests;
mod truth;
mod vocab;

pub use self::csv::{is_demo_header, write_csv, write_export, write_export_files};
pub use events::EVENT_TYPES;
pub use export::{generate_export, DemoEvent, DemoExport, ExportCounts};
pub use leads::generate;
pub use survey::{survey_column, write_survey_csv, SurveyConfig, SURVEY_INTERCEPT, SURVEY_SIGNAL};
pub use truth::{
    ENGAGEMENT_HALF_LIFE_DAYS, ENGAGEMENT_TRUTH, EXPORT_INTERCEPT, GROUND_TRUTH,
    GROUND_TRUTH_INTERCEPT, GROUND_TRUTH_NOISE_SD, HORIZON_DAYS, OBSERVATION_DAYS,
};

/// One generated lead, as a row of the export.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoLead {
    /// Export id, `L000001`, `L000002`, ... in order of `created_at`.
    pub lead_id: String,
    /// Creation time, `YYYY-MM-DD HH:MM:SS`.
    pub created_at: String,
    /// Contact email, e.g. `jane.doe@acme-corp.com` or `jdoe1987@gmail.com`.
    pub email: String,
    /// Free-text job title as typed into the form (varied wording and case).
    pub job_title: String,
    /// Company size in employees; `None` when the export has no value (~6% of rows).
    pub company_size: Option<u32>,
    /// Industry; `None` when the export has no value (~4% of rows).
    pub industry: Option<String>,
    /// Country name, e.g. `United States`.
    pub country: String,
    /// Acquisition channel, e.g. `Organic Search`, `Demo Request Form`.
    pub lead_source: String,
    /// Number of visits to the pricing page before the export.
    pub pricing_page_visits: u32,
    /// Whether the lead attended a webinar (exported as `yes` / `no`).
    pub webinar_attended: bool,
    /// The label: whether the lead converted (exported as `1` / `0`).
    pub converted: bool,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of leads (rows).
    pub leads: usize,
    /// Seed of the random stream; the output is a pure function of the whole config.
    pub seed: u64,
    /// First day of the `created_at` span as `(year, month, day)`.
    pub start_date: (i32, u32, u32),
    /// Length of the `created_at` span in days (0 is treated as 1).
    pub days: u32,
}

impl Default for DemoConfig {
    /// 5,000 leads over calendar year 2025 with seed 42.
    fn default() -> Self {
        Self {
            leads: 5000,
            seed: 42,
            start_date: (2025, 1, 1),
            days: 365,
        }
    }
}

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Days since the epoch of `config.start_date` (month and day clamped into range).
fn start_day(config: &DemoConfig) -> i64 {
    let (y, m, d) = config.start_date;
    civil::days_from_civil(
        i64::from(y),
        i64::from(m.clamp(1, 12)),
        i64::from(d.clamp(1, 31)),
    )
}
