//! `leadscore-train`: from a lead export to an evaluated, versioned logistic model.
//!
//! - [`load`]: CSV (delimiter detected) and Parquet with polars; [`table`]: the label;
//! - [`infer`]: `init`, a commented spec inferred from the data;
//! - [`featurize`]: the vectorized featurizer (the polars twin of the per-lead one in core);
//! - [`fit`]: standardization, linfa-logistic, penalty by cross-validation, convergence checks;
//! - [`bins`]: how many quantile bins `bins = "auto"` columns get, and whether spikes get bins of
//!   their own, by cross-validation;
//! - [`pairs`]: the interaction terms: pairs ranked on the main model's residuals, how many by
//!   cross-validation;
//! - [`pipeline`]: the whole job, holdout evaluation, leakage check, the artifact;
//! - [`score`]: a whole leads file scored as the server would at one moment, and the crossings
//!   against an earlier run; [`notify`]: the new MQLs to a signed webhook, with retries and
//!   a dead-letter file;
//! - [`registry_cmd`]: a registry of models, promotion on fresh data, the listing;
//! - [`funnel`]: leads, MQLs and MQL conversions by a lead column and period;
//! - [`monitor`]: realized precision and recall of the served cutoff, from the decision log;
//! - [`report`]: text for people; [`demo`]: the synthetic demo export.
//!
//! ```no_run
//! use leadscore_train::pipeline::{train, TrainConfig};
//! let mut config = TrainConfig::new("Leads.csv");
//! config.label = Some("Converted".into());
//! let outcome = train(&config)?;
//! outcome.artifact.write_atomic(std::path::Path::new("model.json"))?;
//! # Ok::<(), leadscore_train::error::TrainError>(())
//! ```

pub mod assemble;
pub mod bins;
pub mod demo;
pub mod error;
pub mod explain;
pub mod featurize;
pub mod fit;
pub mod funnel;
pub mod infer;
pub mod load;
pub mod monitor;
pub mod notify;
pub mod pairs;
pub mod pipeline;
pub mod registry_cmd;
pub mod report;
pub mod score;
pub mod shapes;
pub mod table;
