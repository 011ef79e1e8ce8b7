//! The error type of `leadscore-core`.
//!
//! One enum for the crate; each variant carries what a user needs to fix the input (the file,
//! the column, the value). Metrics and cutoff errors keep their own types (they carry numbers)
//! and convert into this one.

use crate::curve::CutoffError;
use crate::metrics::MetricsError;

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `leadscore-core`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A feature spec that does not parse or validate.
    #[error("feature spec {origin}: {message}")]
    Spec {
        /// The file (or other source) the spec came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A lead field whose value the featurizer cannot use.
    #[error("column `{column}`: {problem}")]
    Feature {
        /// The input column.
        column: String,
        /// What is wrong with the value.
        problem: String,
    },
    /// A model artifact that cannot be read or is inconsistent.
    #[error("model artifact {origin}: {message}")]
    Artifact {
        /// The file the artifact came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A file refused before or without reading it as a model (a link, a FIFO, a device, one
    /// over its size limit, text that is not UTF-8), or a file of the model registry other
    /// than a model (its folder, `CURRENT`, the promotion log) that is not as it should be.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error (shown in the message, not chained, so it prints once).
        error: std::io::Error,
    },
    /// A metric could not be computed.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// No cutoff meets the target.
    #[error(transparent)]
    Cutoff(#[from] CutoffError),
}
