//! `leadscore-core`: what training and serving share, with no polars, linfa or axum.
//!
//! - [`spec`]: the feature spec a person edits (TOML); [`fitted`]: the spec with learned state
//!   and the per-lead featurizer;
//! - [`model`]: weights and scores; [`explain`]: key factors per field and event type, the
//!   fit/engagement split and each field's effect; [`pairs`]: interaction terms (two columns
//!   crossed into a few cells), read from the columns' own features; [`gates`]: hard rules that keep a lead from
//!   being an MQL whatever its score; [`artifact`]: the versioned model file; [`registry`]: a
//!   folder of artifacts and its `CURRENT` pointer; [`files`]: reading such files with limits
//!   (regular files only, a size cap, optionally no symlinks);
//! - [`batch`]: one lead's whole decision (score, MQL, tier, split, gates, factors) outside the
//!   server, for batch scoring and the Python package;
//! - [`metrics`]: ROC AUC, PR AUC, log loss, Brier, calibration, lift; [`funnel`]: leads, MQLs
//!   and MQL conversions by group and period;
//! - [`curve`]: the operating curve and [`curve::cutoff_for_precision`], the MQL cutoff from a
//!   target precision; [`tiers`]: named precision targets (`A=0.8,B=0.6,C=0.4,D`), parsed and
//!   checked once, each tier's cutoff on the curve and the tier of a score;
//! - [`value`]: field values and the value-level parsers both featurizers call; [`civil`]: the
//!   calendar arithmetic (days since 1970 <-> dates) they and the demo generator share.
//!
//! ```
//! use leadscore_core::fitted::{FittedColumn, FittedSpec, FittedTransform};
//! use std::collections::HashMap;
//!
//! let spec = FittedSpec {
//!     missing_tokens: vec!["".into()],
//!     reference_time: None,
//!     columns: vec![FittedColumn {
//!         name: "Lead Source".into(),
//!         transform: FittedTransform::Categorical { levels: vec!["Referral".into()] },
//!         part: Default::default(),
//!         sum_of: Vec::new(),
//!     }],
//!     events: None,
//!     pairs: Vec::new(),
//!     decimal_comma: false,
//!     date_order: Default::default(),
//!     missing_lengths: Default::default(),
//! };
//! let lead: HashMap<String, String> = [("Lead Source".to_string(), "Referral".to_string())].into();
//! assert_eq!(spec.featurize(&lead, None).unwrap(), vec![1.0, 0.0, 0.0]);
//! ```

/// `eprintln!` that never panics: with stderr closed (`2>&-`) or its reader gone, the line is
/// lost and the program goes on, where `eprintln!` panics ("failed printing to stderr").
#[macro_export]
macro_rules! stderr_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// [`stderr_line!`] without the line end (`eprint!` that never panics).
#[macro_export]
macro_rules! stderr_text {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

pub mod artifact;
pub mod batch;
pub mod civil;
pub mod curve;
pub mod error;
pub mod explain;
pub mod files;
pub mod fitted;
pub mod funnel;
pub mod gates;
pub mod metrics;
pub mod model;
pub mod pairs;
pub mod registry;
pub mod rng;
pub mod spec;
pub mod tiers;
pub mod value;

pub use error::{Error, Result};
