//! The feature spec: what a person writes (or `leadscore-train init` infers) in TOML, one entry
//! per input column, and its checked form.
//!
//! Parse, then validate: [`FeatureSpec::from_toml`] turns the text into this type and rejects
//! options that do not belong to the chosen transform, naming the column.

use crate::error::{Error, Result};
use crate::value::{default_missing_tokens, default_positive_values};
use serde::{Deserialize, Serialize};

/// Version of the spec file format; bumped on any incompatible change.
pub const SPEC_FORMAT_VERSION: u32 = 1;

/// The transform a column goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransformKind {
    /// Median imputation + missing indicator, optional log1p and quantile bins.
    Numeric,
    /// One-hot of frequent levels, plus `other` and `missing`.
    Categorical,
    /// yes/no, true/false, y/n, 1/0, plus `missing`.
    Boolean,
    /// Email domain class (business, free webmail, education, disposable, competitor).
    Email,
    /// Job-title seniority from keywords.
    JobTitle,
    /// Days since, month, weekday.
    Timestamp,
    /// Not a feature (identifier, label, free text, leakage, or excluded by hand).
    Ignore,
}

/// One column's entry in the spec file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// The input column's name.
    pub name: String,
    /// What to do with it.
    pub transform: TransformKind,
    /// numeric: apply sign(x) * ln(1 + |x|) before use (for skewed counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log1p: Option<bool>,
    /// numeric: number of quantile bins one-hot encoded beside the linear term (0 or 1 = none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<usize>,
    /// categorical: a level needs this many training rows to get its own feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<usize>,
    /// categorical: at most this many levels (the most frequent) get their own feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_levels: Option<usize>,
}

/// Default for `min_count` when the spec leaves it out.
pub const DEFAULT_MIN_COUNT: usize = 20;
/// Default for `max_levels` when the spec leaves it out.
pub const DEFAULT_MAX_LEVELS: usize = 50;

impl ColumnSpec {
    /// A column entry with no options.
    pub fn new(name: impl Into<String>, transform: TransformKind) -> Self {
        Self {
            name: name.into(),
            transform,
            log1p: None,
            bins: None,
            min_count: None,
            max_levels: None,
        }
    }
}

/// The whole spec file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// [`SPEC_FORMAT_VERSION`].
    pub format_version: u32,
    /// The label column of a flat table (`None` when outcomes come from another table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Label values that mean "converted" (case-insensitive).
    #[serde(default = "default_positive_values")]
    pub positive: Vec<String>,
    /// The lead id column, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Cell values that mean "missing".
    #[serde(default = "default_missing_tokens")]
    pub missing_tokens: Vec<String>,
    /// Email domains of competitors (classified as `competitor`).
    #[serde(default)]
    pub competitor_domains: Vec<String>,
    /// One entry per input column.
    pub columns: Vec<ColumnSpec>,
}

impl FeatureSpec {
    /// Parses and validates a spec from TOML text; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let spec: FeatureSpec = toml::from_str(text).map_err(|e| Error::Spec {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        spec.validate(origin)?;
        Ok(spec)
    }

    /// Checks the rules serde cannot: version, duplicate columns, options that fit the transform.
    pub fn validate(&self, origin: &str) -> Result<()> {
        let err = |message: String| Error::Spec {
            origin: origin.to_string(),
            message,
        };
        if self.format_version != SPEC_FORMAT_VERSION {
            return Err(err(format!(
                "format_version {} is not supported (this build reads {SPEC_FORMAT_VERSION})",
                self.format_version
            )));
        }
        if self.positive.is_empty() {
            return Err(err("`positive` lists no label values".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.columns {
            if !seen.insert(c.name.as_str()) {
                return Err(err(format!("column `{}` is listed twice", c.name)));
            }
            let misplaced = |opt: &str| {
                err(format!(
                    "column `{}`: option `{opt}` does not apply to transform `{}`",
                    c.name,
                    serde_json::to_value(c.transform)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                ))
            };
            if c.transform != TransformKind::Numeric {
                if c.log1p.is_some() {
                    return Err(misplaced("log1p"));
                }
                if c.bins.is_some() {
                    return Err(misplaced("bins"));
                }
            }
            if c.transform != TransformKind::Categorical {
                if c.min_count.is_some() {
                    return Err(misplaced("min_count"));
                }
                if c.max_levels.is_some() {
                    return Err(misplaced("max_levels"));
                }
            }
            if let Some(b) = c.bins {
                if b > 50 {
                    return Err(err(format!(
                        "column `{}`: bins = {b} is more than 50",
                        c.name
                    )));
                }
            }
            if c.max_levels == Some(0) {
                return Err(err(format!(
                    "column `{}`: max_levels must be at least 1",
                    c.name
                )));
            }
        }
        if !self
            .columns
            .iter()
            .any(|c| c.transform != TransformKind::Ignore)
        {
            return Err(err(
                "no column is used as a feature (all are `ignore`)".into()
            ));
        }
        Ok(())
    }

    /// The columns that become features.
    pub fn feature_columns(&self) -> impl Iterator<Item = &ColumnSpec> {
        self.columns
            .iter()
            .filter(|c| c.transform != TransformKind::Ignore)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
format_version = 1
label = "Converted"
id = "Prospect ID"

[[columns]]
name = "TotalVisits"
transform = "numeric"
log1p = true
bins = 5

[[columns]]
name = "Lead Source"
transform = "categorical"
min_count = 10
"#;

    #[test]
    fn parses_with_defaults() {
        let spec = FeatureSpec::from_toml(TEXT, "spec.toml").unwrap();
        assert_eq!(spec.columns.len(), 2);
        assert_eq!(spec.positive, default_positive_values());
        assert!(spec.missing_tokens.contains(&"Select".to_string()));
        assert_eq!(spec.columns[0].bins, Some(5));
    }

    #[test]
    fn option_on_wrong_transform_names_column() {
        let bad = TEXT.replace("min_count = 10", "log1p = true");
        let e = FeatureSpec::from_toml(&bad, "spec.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("spec.toml") && e.contains("Lead Source") && e.contains("log1p"),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_and_transform_are_errors() {
        let e = FeatureSpec::from_toml(&TEXT.replace("bins = 5", "binz = 5"), "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("binz"), "{e}");
        let e = FeatureSpec::from_toml(&TEXT.replace("\"numeric\"", "\"numerik\""), "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("numerik"), "{e}");
    }

    #[test]
    fn wrong_version_is_an_error() {
        let e = FeatureSpec::from_toml(
            &TEXT.replace("format_version = 1", "format_version = 9"),
            "s.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("format_version 9"), "{e}");
    }
}
