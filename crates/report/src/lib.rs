//! `leadscore-report`: what a model file says, for people. It draws the charts of a model
//! artifact with plotters (SVG, no fonts needed) and wraps them in a self-contained HTML
//! report: the model card, the weights with odds ratios, ROC and precision-recall curves with
//! the MQL cutoff marked, calibration, conversion and lift by decile and by tier, the score
//! distribution of converted and unconverted leads, and what each target precision costs.
//!
//! `leadscore-train report` writes the document; `leadscore-serve` shows the same charts on its
//! model page. Both depend on this crate, which depends only on `leadscore-core`.
//!
//! - [`figures`]: the numbers behind the charts (tiers, targets, score histogram by outcome);
//!   the tiers themselves are `leadscore-core`'s ([`Tiers`], re-exported), as the server's are;
//! - [`charts`]: one SVG per chart; [`html`]: the card, tables and the document.
//!
//! ```no_run
//! use leadscore_core::artifact::ModelArtifact;
//! use leadscore_report::{report_html, ReportOptions};
//!
//! let artifact = ModelArtifact::load("models/demo.json".as_ref())?;
//! let html = report_html(&artifact, None, &ReportOptions::default())?;
//! std::fs::write("report.html", html)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod charts;
pub mod figures;
pub mod html;

pub use charts::{Chart, Frame, CHART_IDS};
pub use figures::{EvaluationSet, ReportOptions, TierTarget, Tiers};
pub use html::{report_html, Report, STYLE};

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// plotters failed to draw a chart (with an in-memory SVG target this means a bug).
    #[error("drawing chart `{chart}` failed: {message}")]
    Draw {
        /// The chart's id.
        chart: &'static str,
        /// What plotters said.
        message: String,
    },
    /// A tier specification did not parse ([`Tiers::parse`] returns core's
    /// [`TiersError`](leadscore_core::tiers::TiersError), which converts into this).
    #[error("tiers `{text}`: {message}")]
    Tiers {
        /// The text given.
        text: String,
        /// What is wrong with it.
        message: String,
    },
    /// An option is out of range.
    #[error("{0}")]
    Option(String),
}

impl From<leadscore_core::tiers::TiersError> for ReportError {
    fn from(e: leadscore_core::tiers::TiersError) -> Self {
        Self::Tiers {
            text: e.text,
            message: e.problem.to_string(),
        }
    }
}
