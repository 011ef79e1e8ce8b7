//! The error type of `leadscore-train`: every variant names the file, and where it applies the
//! row and column, so a data team can fix its export without reading code.

/// Result with [`TrainError`].
pub type Result<T, E = TrainError> = std::result::Result<T, E>;

/// Everything that can go wrong while loading, featurizing, fitting or evaluating.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The file cannot be read or parsed as a table.
    #[error("{path}: {message}")]
    Read {
        /// The input file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A problem with one column as a whole (missing, wrong kind, one class).
    #[error("{path}: column `{column}`: {message}")]
    Column {
        /// The input file.
        path: String,
        /// The column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A problem with one cell.
    #[error("{path}: row {row}, column `{column}`: {message}")]
    Cell {
        /// The input file.
        path: String,
        /// 1-based data row (the header is not counted).
        row: usize,
        /// The column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The model could not be fitted or failed its checks.
    #[error("fit: {0}")]
    Fit(String),
    /// Invalid options.
    #[error("{0}")]
    Config(String),
    /// An error from `leadscore-core` (spec, artifact, metrics, cutoff).
    #[error(transparent)]
    Core(#[from] leadscore_core::Error),
}

impl TrainError {
    /// This error with a cell's row replaced by `row(it)` (a row of a chunk or of an examples
    /// table given as the file's row), when it is a cell error of the file `path` (any file
    /// when `None`); other errors as they are.
    pub fn with_cell_row(self, path: Option<&str>, row: impl FnOnce(usize) -> usize) -> Self {
        match self {
            TrainError::Cell {
                path: p,
                row: r,
                column,
                message,
            } if path.is_none_or(|path| path == p) => TrainError::Cell {
                row: row(r),
                path: p,
                column,
                message,
            },
            e => e,
        }
    }
}

impl From<leadscore_core::metrics::MetricsError> for TrainError {
    fn from(e: leadscore_core::metrics::MetricsError) -> Self {
        Self::Core(e.into())
    }
}
