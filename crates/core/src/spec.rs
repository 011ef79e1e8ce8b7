//! The feature spec: what a person writes (or `leadscore-train init` infers) in TOML, one entry
//! per input column, and its checked form.
//!
//! Parse, then validate: [`FeatureSpec::from_toml`] turns the text into this type and rejects
//! options that do not belong to the chosen transform, naming the column.

use crate::error::{Error, Result};
use crate::explain::Part;
use crate::gates::GateSpec;
use crate::value::{default_missing_tokens, default_positive_values, DateOrder};
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
    /// Several levels in one value (`Pricing;Webinars`, a CRM's multi-select picklist or
    /// multiple-checkbox property): one feature per frequent option the value includes, plus
    /// `other` (an option too rare for its own) and `missing` (none selected).
    MultiSelect,
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
    /// numeric: bins one-hot encoded beside the linear term: a number of quantile bins (0 or 1 =
    /// none), `"N with spikes"` for N quantile bins with common values in bins of their own
    /// ([`Bins::Spikes`]), `"values"` for a bin per common value ([`Bins::Values`]), or `"auto"`
    /// to let training choose by cross-validation. Absent = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<Bins>,
    /// categorical, multi_select: a level (an option) needs this many training rows to get its
    /// own feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<usize>,
    /// categorical, multi_select: at most this many levels (options; the most frequent) get
    /// their own feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_levels: Option<usize>,
    /// multi_select: what separates the options in a value ([`DEFAULT_SEPARATOR`] when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// `fit` (who the lead is; the default) or `engagement` (what it did: visits, time on
    /// site, last activity): which part of the score the column counts toward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<Part>,
    /// numeric: a column the file does not have, whose value is the sum of these numeric
    /// columns of the spec (`total_charge` from the day, evening, night and international
    /// charges): missing when any of them is. A threshold on a total (heavy users across every
    /// period churn) is a term of one column here, where no term of one or two parts draws it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sum_of: Vec<String>,
}

/// A numeric column's quantile bins: a fixed number, or chosen by training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bins {
    /// This many bins (0 or 1 = none).
    Fixed(usize),
    /// Training chooses the number by cross-validation on the training split (written
    /// `bins = "auto"`); the artifact keeps the fitted edges and the evidence.
    Auto,
    /// A bin for every value with at least [`VALUE_BIN_MIN_COUNT`] training examples, rarer
    /// values sharing the bin of the nearest more common value below them (written
    /// `bins = "values"`): for short codes (a policy level 0 to 9), whose steps quantile bins
    /// would merge. Training's shape search chooses it for such columns.
    Values,
    /// This many bins (at least 2), a value that holds at least a bin's share of the training
    /// rows (a spike: 0 hours worked, exactly 40) in a bin of its own and the other rows in
    /// quantile bins (N in all, a few more when spikes split them), written `bins = "N with
    /// spikes"`. Plain quantiles put a spike and its neighbours in one bin, and several
    /// quantiles falling on one spike leave fewer bins than asked for. Training's bins search
    /// compares it with plain quantiles when the two differ.
    Spikes(usize),
}

/// `bins = "values"`: a value gets its own bin with at least this many training examples.
pub const VALUE_BIN_MIN_COUNT: usize = 20;

/// How `bins = "N with spikes"` is written, after the number.
const SPIKES_SUFFIX: &str = " with spikes";

impl Bins {
    /// The fixed number of bins (`N` or `"N with spikes"`), `None` for `auto` and `values`.
    pub fn fixed(self) -> Option<usize> {
        match self {
            Bins::Fixed(n) | Bins::Spikes(n) => Some(n),
            Bins::Auto | Bins::Values => None,
        }
    }
}

impl std::fmt::Display for Bins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bins::Fixed(n) => write!(f, "{n}"),
            Bins::Auto => f.write_str("\"auto\""),
            Bins::Values => f.write_str("\"values\""),
            Bins::Spikes(n) => write!(f, "\"{n}{SPIKES_SUFFIX}\""),
        }
    }
}

impl Serialize for Bins {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Bins::Fixed(n) => s.serialize_u64(*n as u64),
            Bins::Auto => s.serialize_str("auto"),
            Bins::Values => s.serialize_str("values"),
            Bins::Spikes(n) => s.serialize_str(&format!("{n}{SPIKES_SUFFIX}")),
        }
    }
}

impl<'de> Deserialize<'de> for Bins {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Bins;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a whole number of bins (0 = none), \"N with spikes\" (N >= 2), \"auto\" or \"values\"",
                )
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Bins, E> {
                usize::try_from(v)
                    .map(Bins::Fixed)
                    .map_err(|_| E::custom(format!("bins = {v} is too large")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Bins, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Bins, E> {
                if v == "auto" {
                    Ok(Bins::Auto)
                } else if v == "values" {
                    Ok(Bins::Values)
                } else if let Some(n) = v
                    .strip_suffix(SPIKES_SUFFIX)
                    .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| *n >= 2)
                {
                    Ok(Bins::Spikes(n))
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
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
            separator: None,
            part: None,
            sum_of: Vec::new(),
        }
    }

    /// A multi_select column's separator: the spec's, or [`DEFAULT_SEPARATOR`].
    pub fn separator(&self) -> &str {
        self.separator.as_deref().unwrap_or(DEFAULT_SEPARATOR)
    }
}

/// Whether `sep` can separate a multi_select value's options: visible text of 1 to 4
/// characters without `"` (a space would split options of several words, an empty separator
/// splits nothing).
pub fn check_separator(sep: &str) -> std::result::Result<(), String> {
    if sep.trim().is_empty() || sep.chars().count() > 4 || sep.contains('"') {
        return Err(format!(
            "separator {sep:?} must be 1 to 4 characters, not blank and without `\"` (such as \
             \";\" or \"|\")"
        ));
    }
    Ok(())
}

/// What separates the options of a multi_select value unless the spec says otherwise: `;`, as
/// Salesforce multi-select picklists and HubSpot multiple-checkbox properties are exported.
pub const DEFAULT_SEPARATOR: &str = ";";

/// Engagement events: which event types become features and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Event types that get features; empty = the most frequent `max_types` in the training data.
    #[serde(default)]
    pub types: Vec<String>,
    /// At most this many types when `types` is inferred.
    #[serde(default = "default_max_types")]
    pub max_types: usize,
    /// Count windows, in days before `as_of`.
    #[serde(default = "default_windows")]
    pub windows_days: Vec<u32>,
    /// Half-life of the decayed count (score decay), in days.
    #[serde(default = "default_half_life")]
    pub half_life_days: f64,
    /// Column names in the events file.
    #[serde(default = "default_lead_id")]
    pub lead_id: String,
    /// Event type column.
    #[serde(default = "default_event_type")]
    pub event_type: String,
    /// Event time column.
    #[serde(default = "default_occurred_at")]
    pub occurred_at: String,
}

impl Default for EventSpec {
    fn default() -> Self {
        Self {
            types: Vec::new(),
            max_types: default_max_types(),
            windows_days: default_windows(),
            half_life_days: default_half_life(),
            lead_id: default_lead_id(),
            event_type: default_event_type(),
            occurred_at: default_occurred_at(),
        }
    }
}

/// Point in time: when each lead is scored and how long its conversion may take.
///
/// A lead is scored at several moments of its life, its **landmarks**: `created_at` plus each
/// age in `landmarks_days` (default [`DEFAULT_LANDMARKS_DAYS`]). Each landmark yields one
/// training example, and lead age is then a feature. `observation_days` is the one-landmark
/// case (specs written before landmarks existed), and an `as_of` column scores each lead once,
/// at that moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpec {
    /// The lead creation time column.
    #[serde(default = "default_created_at")]
    pub created_at: String,
    /// A column holding each lead's scoring moment (one example per lead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// One landmark: days of activity observed after creation before a lead is scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation_days: Option<f64>,
    /// Landmark ages in days (strictly increasing): one example per lead and landmark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landmarks_days: Option<Vec<f64>>,
    /// A conversion counts when it happens within this many days after `as_of`.
    #[serde(default = "default_horizon")]
    pub horizon_days: f64,
}

/// Landmark ages (days after creation) when a spec names neither `landmarks_days` nor
/// `observation_days`: dense early in a lead's life, when most conversions happen.
pub const DEFAULT_LANDMARKS_DAYS: [f64; 8] = [0.0, 1.0, 3.0, 7.0, 14.0, 30.0, 60.0, 90.0];

impl Default for TimeSpec {
    fn default() -> Self {
        Self {
            created_at: default_created_at(),
            as_of: None,
            observation_days: None,
            landmarks_days: None,
            horizon_days: default_horizon(),
        }
    }
}

impl TimeSpec {
    /// The landmark ages in force: `landmarks_days`, else `[observation_days]`, else the
    /// defaults; empty when an `as_of` column sets each lead's one scoring moment.
    pub fn landmarks(&self) -> Vec<f64> {
        if self.as_of.is_some() {
            return Vec::new();
        }
        match (&self.landmarks_days, self.observation_days) {
            (Some(l), _) => l.clone(),
            (None, Some(o)) => vec![o],
            (None, None) => DEFAULT_LANDMARKS_DAYS.to_vec(),
        }
    }

    /// Whether lead age is a feature: more than one landmark.
    pub fn age_aware(&self) -> bool {
        self.landmarks().len() > 1
    }

    /// Checks the combination and the values (see [`check_landmarks`]).
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.landmarks_days.is_some() && self.observation_days.is_some() {
            return Err(
                "[time] sets both `landmarks_days` and `observation_days`: keep one \
                        (observation_days = N is landmarks_days = [N])"
                    .into(),
            );
        }
        if self.as_of.is_some()
            && (self.landmarks_days.is_some() || self.observation_days.is_some())
        {
            return Err(
                "[time] sets an `as_of` column and landmarks: an `as_of` column scores \
                        each lead once, at that moment; remove one of them"
                    .into(),
            );
        }
        if let Some(l) = &self.landmarks_days {
            check_landmarks(l).map_err(|e| format!("[time] landmarks_days: {e}"))?;
        }
        if let Some(o) = self.observation_days {
            check_landmarks(&[o]).map_err(|e| format!("[time] observation_days: {e}"))?;
        }
        if !(self.horizon_days.is_finite() && self.horizon_days > 0.0) {
            return Err(format!(
                "[time] horizon_days must be a positive number of days, got {}",
                self.horizon_days
            ));
        }
        Ok(())
    }
}

/// Checks landmark ages: at least one, each a number of days in [0, 3650], strictly increasing.
pub fn check_landmarks(days: &[f64]) -> std::result::Result<(), String> {
    if days.is_empty() {
        return Err("at least one landmark age is needed".into());
    }
    for (i, d) in days.iter().enumerate() {
        if !d.is_finite() || *d < 0.0 || *d > 3650.0 {
            return Err(format!(
                "landmark age {d} must be a number of days between 0 and 3650"
            ));
        }
        if i > 0 && *d <= days[i - 1] {
            return Err(format!(
                "landmark ages must be strictly increasing: {d} comes after {}",
                days[i - 1]
            ));
        }
    }
    Ok(())
}

/// Column names of the outcomes table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeSpec {
    /// Lead id column.
    #[serde(default = "default_lead_id")]
    pub lead_id: String,
    /// 1/0 column; when the file lacks it, every listed lead converted (a closed-deals export).
    #[serde(default = "default_converted")]
    pub converted: String,
    /// Conversion time column (optional in the file).
    #[serde(default = "default_converted_at")]
    pub converted_at: String,
}

impl Default for OutcomeSpec {
    fn default() -> Self {
        Self {
            lead_id: default_lead_id(),
            converted: default_converted(),
            converted_at: default_converted_at(),
        }
    }
}

/// The rules that turn three tables into labelled examples, as a model was trained under them:
/// the lead id column, where the label comes from, and the `[time]`, `[events]` and
/// `[outcomes]` settings. The artifact keeps them (unfitted) so that fresh data can be assembled
/// point in time exactly as the training data was, to evaluate the model or to compare it with
/// another one on the same examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointInTimeSettings {
    /// The lead id column of the leads table.
    pub id: String,
    /// The label column of the leads table, when there is no outcomes table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Values of the label (or of the outcomes' `converted` column) that mean "converted".
    pub positive: Vec<String>,
    /// When each lead is scored and the conversion horizon.
    pub time: TimeSpec,
    /// Events table columns (present when the model was trained with events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<EventSpec>,
    /// Outcomes table columns (present when the model was trained with an outcomes table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<OutcomeSpec>,
    /// Conversions without a time were accepted (`--allow-untimed-conversions`), so fresh
    /// data is assembled the same way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_untimed_conversions: bool,
}

impl PointInTimeSettings {
    /// The spec the point-in-time assembly reads: these settings, `missing_tokens`, and no
    /// columns (assembly needs no transforms; this spec is not meant to be validated or fitted).
    pub fn assembly_spec(&self, missing_tokens: &[String]) -> FeatureSpec {
        FeatureSpec {
            format_version: SPEC_FORMAT_VERSION,
            label: self.label.clone(),
            positive: self.positive.clone(),
            negative: Vec::new(),
            id: Some(self.id.clone()),
            missing_tokens: missing_tokens.to_vec(),
            competitor_domains: Vec::new(),
            free_webmail_domains: Vec::new(),
            email_domain_lists: None,
            decimal_comma: false,
            date_order: Default::default(),
            events: self.events.clone(),
            time: Some(self.time.clone()),
            outcomes: self.outcomes.clone(),
            columns: Vec::new(),
            gates: Vec::new(),
            pairs: None,
        }
    }
}

fn default_max_types() -> usize {
    20
}
fn default_windows() -> Vec<u32> {
    vec![7, 30, 90]
}
fn default_half_life() -> f64 {
    14.0
}
fn default_lead_id() -> String {
    "lead_id".into()
}
fn default_event_type() -> String {
    "event_type".into()
}
fn default_occurred_at() -> String {
    "occurred_at".into()
}
fn default_created_at() -> String {
    "created_at".into()
}
fn default_horizon() -> f64 {
    90.0
}
fn default_converted() -> String {
    "converted".into()
}
fn default_converted_at() -> String {
    "converted_at".into()
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
    /// Label values that mean "not converted" (case-insensitive). Empty (the default): every
    /// value that is not positive. When set, a row whose label is neither (`Open`, `Working`) is
    /// a lead without an outcome yet, left out of training and evaluation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub negative: Vec<String>,
    /// The lead id column, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Cell values that mean "missing".
    #[serde(default = "default_missing_tokens")]
    pub missing_tokens: Vec<String>,
    /// Email domains of competitors (classified as `competitor`).
    #[serde(default)]
    pub competitor_domains: Vec<String>,
    /// Email domains classified as `free webmail` besides the built-in lists (the domain
    /// itself, not its subdomains): a region's providers the built-in lists lack.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub free_webmail_domains: Vec<String>,
    /// The version of the built-in domain lists (see [`crate::value::DOMAIN_LISTS`]); absent:
    /// the newest. Set to train as a model of an earlier version classed domains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_domain_lists: Option<u32>,
    /// The file writes numbers with a decimal comma (`12,5`, `1.234,5`): a numeric column's
    /// text is read by [`crate::value::parse_decimal_comma_number`] in training, `score`,
    /// `evaluate` and the server. `init` sets it when a column reads only that way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decimal_comma: bool,
    /// Dates written with the year last (`12/31/2023 10:00 AM`, `31.12.2023`) are read in this
    /// order ([`crate::value::parse_timestamp_as`]) in every table and by the server; ISO 8601
    /// text reads the same in any order. `init` sets it when a column's dates decide it.
    #[serde(default, skip_serializing_if = "DateOrder::is_iso")]
    pub date_order: DateOrder,
    /// Engagement event features (when an events table is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<EventSpec>,
    /// Point-in-time settings (when events or an outcomes table are given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeSpec>,
    /// Outcomes table column names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<OutcomeSpec>,
    /// One entry per input column.
    pub columns: Vec<ColumnSpec>,
    /// Hard rules beside the score: a lead a gate holds back is never an MQL (see
    /// [`crate::gates`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateSpec>,
    /// Interaction terms (see [`crate::pairs::PairSpec`]); absent = searched, the count chosen
    /// by cross-validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<crate::pairs::PairSpec>,
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

    /// A `sum_of` column: numeric, of at least two distinct numeric columns of the spec that are
    /// not sums themselves.
    fn check_sum(&self, c: &ColumnSpec) -> std::result::Result<(), String> {
        let name = &c.name;
        if c.transform != TransformKind::Numeric {
            return Err(format!(
                "column `{name}`: `sum_of` makes a number: its transform must be numeric"
            ));
        }
        if c.sum_of.len() < 2 {
            return Err(format!(
                "column `{name}`: `sum_of` needs at least two columns to add"
            ));
        }
        let mut parts = std::collections::HashSet::new();
        for p in &c.sum_of {
            if !parts.insert(p.as_str()) {
                return Err(format!("column `{name}`: `sum_of` lists `{p}` twice"));
            }
            match self.columns.iter().find(|o| &o.name == p) {
                Some(o) if o.name == *name => {
                    return Err(format!("column `{name}`: `sum_of` lists the column itself"))
                }
                Some(o) if o.transform == TransformKind::Numeric && o.sum_of.is_empty() => {}
                Some(_) => {
                    return Err(format!(
                        "column `{name}`: `sum_of` column `{p}` must be a numeric column that is \
                         not a sum itself"
                    ))
                }
                None => {
                    return Err(format!(
                        "column `{name}`: `sum_of` column `{p}` is not a column of the spec (list \
                         it with transform = \"numeric\")"
                    ))
                }
            }
        }
        Ok(())
    }

    /// Checks the rules serde cannot: version, duplicate columns, options that fit the
    /// transform. (Names the server reads as something else are checked by training, once
    /// `--exclude` has had its say: [`FeatureSpec::check_names`].)
    /// Refuses a feature column the server could not be sent ([`reserved_name`]: `events`,
    /// `leads`), saying why and how to keep it; an ignored one may stay.
    pub fn check_names(&self, origin: &str) -> Result<()> {
        for c in self.feature_columns() {
            if let Some(why) = reserved_name(&c.name) {
                return Err(Error::Spec {
                    origin: origin.to_string(),
                    message: format!(
                        "column `{}`: {why}, so a lead's value of it could not be sent to the \
                         server: rename the column in the file (or set transform = \"ignore\", \
                         or pass --exclude {})",
                        c.name, c.name
                    ),
                });
            }
        }
        Ok(())
    }

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
        self.email_rules()
            .check()
            .map_err(|e| err(format!("`email_domain_lists`: {e}")))?;
        for d in &self.free_webmail_domains {
            let t = d.trim().trim_end_matches('.');
            // Letters, digits, `-` and dots only (a domain, matched whole: `*.x.com` would
            // never match), with a dot.
            let domain_char = |c: char| c.is_alphanumeric() || c == '-' || c == '.';
            if !t.contains('.') || !t.chars().all(domain_char) || t.starts_with('.') {
                return Err(err(format!(
                    "`free_webmail_domains`: {d:?} is not a domain (such as `provider.com.br`)"
                )));
            }
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
            if !c.sum_of.is_empty() {
                self.check_sum(c).map_err(err)?;
            }
            if c.transform != TransformKind::MultiSelect && c.separator.is_some() {
                return Err(misplaced("separator"));
            }
            if let Some(sep) = &c.separator {
                check_separator(sep).map_err(|e| err(format!("column `{}`: {e}", c.name)))?;
            }
            if !matches!(
                c.transform,
                TransformKind::Categorical | TransformKind::MultiSelect
            ) {
                if c.min_count.is_some() {
                    return Err(misplaced("min_count"));
                }
                if c.max_levels.is_some() {
                    return Err(misplaced("max_levels"));
                }
            }
            if let Some(b) = c.bins.filter(|b| b.fixed().is_some_and(|n| n > 50)) {
                return Err(err(format!(
                    "column `{}`: bins = {b} is more than 50 bins",
                    c.name
                )));
            }
            if c.max_levels == Some(0) {
                return Err(err(format!(
                    "column `{}`: max_levels must be at least 1",
                    c.name
                )));
            }
        }
        if let Some(time) = &self.time {
            time.check().map_err(err)?;
        }
        crate::gates::Gates::compile(&self.gates, &self.gate_columns(), &self.missing_tokens)
            .map_err(err)?;
        if let Some(pairs) = &self.pairs {
            let columns: Vec<(&str, bool)> = self
                .feature_columns()
                .map(|c| (c.name.as_str(), crate::pairs::pairable(c.transform)))
                .collect();
            pairs.check(&columns).map_err(err)?;
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

    /// The feature columns as gates see them.
    pub fn gate_columns(&self) -> Vec<(String, crate::gates::ColumnKind)> {
        use crate::gates::ColumnKind;
        self.feature_columns()
            .map(|c| {
                let kind = match c.transform {
                    TransformKind::Categorical => ColumnKind::Categorical,
                    TransformKind::MultiSelect => {
                        ColumnKind::MultiSelect(c.separator().to_string())
                    }
                    TransformKind::Boolean => ColumnKind::Boolean,
                    TransformKind::Email => ColumnKind::Email(self.email_rules()),
                    TransformKind::JobTitle => ColumnKind::JobTitle,
                    _ => ColumnKind::Other,
                };
                (c.name.clone(), kind)
            })
            .collect()
    }

    /// How this spec's email columns class domains.
    pub fn email_rules(&self) -> crate::value::EmailRules {
        crate::value::EmailRules {
            competitor_domains: self.competitor_domains.clone(),
            free_webmail_domains: self.free_webmail_domains.clone(),
            domain_lists: self
                .email_domain_lists
                .unwrap_or(crate::value::DOMAIN_LISTS),
        }
    }

    /// The columns that become features.
    pub fn feature_columns(&self) -> impl Iterator<Item = &ColumnSpec> {
        self.columns
            .iter()
            .filter(|c| c.transform != TransformKind::Ignore)
    }

    /// The point-in-time settings of this spec (for three-table training): the lead id column
    /// (`lead_id` by default), the label rules and the `[time]`, `[events]` and `[outcomes]`
    /// sections (`[time]` defaulted when absent).
    pub fn point_in_time_settings(&self) -> PointInTimeSettings {
        PointInTimeSettings {
            id: self.id.clone().unwrap_or_else(|| "lead_id".into()),
            label: self.label.clone(),
            positive: self.positive.clone(),
            time: self.time.clone().unwrap_or_default(),
            events: self.events.clone(),
            outcomes: self.outcomes.clone(),
            allow_untimed_conversions: false,
        }
    }
}

/// Why a feature column may not have this name, if it may not: the server reads a lead's
/// `events` key as its events and a request's `leads` key as a batch, so a column so named
/// could be trained and scored from files but never sent over HTTP. (`as_of` may be a column:
/// the server reads it as one when the model has it.)
pub fn reserved_name(name: &str) -> Option<&'static str> {
    match name {
        "events" => Some("the server reads a lead's `events` as its list of events"),
        "leads" => Some("the server reads a request's `leads` as a batch of leads"),
        _ => None,
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

    /// A feature column named `events` or `leads` could not be sent to the server: refused,
    /// saying why and how to keep it; ignored, it may stay.
    #[test]
    fn names_the_server_reads_otherwise_are_refused() {
        for name in ["events", "leads"] {
            let text = TEXT.replace("\"Lead Source\"", &format!("\"{name}\""));
            let spec = FeatureSpec::from_toml(&text, "s.toml").unwrap();
            let e = spec.check_names("s.toml").unwrap_err().to_string();
            assert!(
                e.contains(&format!("column `{name}`")) && e.contains("rename the column"),
                "{e}"
            );
            let ignored = text.replace(
                "transform = \"categorical\"\nmin_count = 10",
                "transform = \"ignore\"",
            );
            let ignored = FeatureSpec::from_toml(&ignored, "s.toml").unwrap();
            ignored.check_names("s.toml").unwrap();
        }
        let as_of = FeatureSpec::from_toml(&TEXT.replace("\"Lead Source\"", "\"as_of\""), "s.toml");
        as_of.unwrap().check_names("s.toml").unwrap();
    }

    #[test]
    fn parses_with_defaults() {
        let spec = FeatureSpec::from_toml(TEXT, "spec.toml").unwrap();
        assert_eq!(spec.columns.len(), 2);
        assert_eq!(spec.positive, default_positive_values());
        assert!(spec.missing_tokens.contains(&"Select".to_string()));
        assert_eq!(spec.columns[0].bins, Some(Bins::Fixed(5)));
    }

    #[test]
    fn bins_are_a_number_or_auto() {
        let spec =
            FeatureSpec::from_toml(&TEXT.replace("bins = 5", "bins = \"auto\""), "s.toml").unwrap();
        assert_eq!(spec.columns[0].bins, Some(Bins::Auto));
        let toml = toml::to_string(&spec).unwrap();
        assert!(toml.contains("bins = \"auto\""), "{toml}");
        assert_eq!(FeatureSpec::from_toml(&toml, "s.toml").unwrap(), spec);
        let spec = FeatureSpec::from_toml(&TEXT.replace("bins = 5", "bins = \"values\""), "s.toml")
            .unwrap();
        assert_eq!(spec.columns[0].bins, Some(Bins::Values));
        assert!(toml::to_string(&spec)
            .unwrap()
            .contains("bins = \"values\""));
        let spec = FeatureSpec::from_toml(
            &TEXT.replace("bins = 5", "bins = \"16 with spikes\""),
            "s.toml",
        )
        .unwrap();
        assert_eq!(spec.columns[0].bins, Some(Bins::Spikes(16)));
        let toml = toml::to_string(&spec).unwrap();
        assert!(toml.contains("bins = \"16 with spikes\""), "{toml}");
        assert_eq!(FeatureSpec::from_toml(&toml, "s.toml").unwrap(), spec);
        for bad in [
            "bins = \"many\"",
            "bins = -2",
            "bins = 2.5",
            "bins = 51",
            "bins = \"51 with spikes\"",
            "bins = \"x with spikes\"",
            "bins = \"16 spikes\"",
            "bins = \"1 with spikes\"",
            "bins = \"+8 with spikes\"",
        ] {
            let e = FeatureSpec::from_toml(&TEXT.replace("bins = 5", bad), "s.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains("s.toml") && e.contains("bins"), "{bad}: {e}");
        }
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
    fn sum_columns_add_numeric_columns_of_the_spec() {
        let with = |extra: &str| {
            let text = format!(
                "{TEXT}\n[[columns]]\nname = \"Page Views\"\ntransform = \"numeric\"\n\n\
                 [[columns]]\nname = \"total\"\ntransform = \"numeric\"\n{extra}\n"
            );
            FeatureSpec::from_toml(&text, "spec.toml").map_err(|e| e.to_string())
        };
        let spec = with("sum_of = [\"TotalVisits\", \"Page Views\"]").unwrap();
        assert_eq!(spec.columns[3].sum_of, ["TotalVisits", "Page Views"]);
        for (extra, says) in [
            ("sum_of = [\"TotalVisits\"]", "at least two"),
            ("sum_of = [\"TotalVisits\", \"TotalVisits\"]", "twice"),
            (
                "sum_of = [\"TotalVisits\", \"Nope\"]",
                "`Nope` is not a column",
            ),
            (
                "sum_of = [\"TotalVisits\", \"Lead Source\"]",
                "must be a numeric column",
            ),
            ("sum_of = [\"TotalVisits\", \"total\"]", "the column itself"),
        ] {
            let e = with(extra).unwrap_err();
            assert!(e.contains("`total`") && e.contains(says), "{extra}: {e}");
        }
        let text = TEXT.replace(
            "min_count = 10",
            "min_count = 10\nsum_of = [\"TotalVisits\", \"TotalVisits\"]",
        );
        let e = FeatureSpec::from_toml(&text, "spec.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`Lead Source`") && e.contains("numeric"), "{e}");
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
    fn point_in_time_settings_round_trip_and_rebuild_the_assembly_spec() {
        let mut spec = FeatureSpec::from_toml(TEXT, "spec.toml").unwrap();
        spec.label = None;
        spec.time = Some(TimeSpec {
            horizon_days: 60.0,
            ..TimeSpec::default()
        });
        spec.outcomes = Some(OutcomeSpec::default());
        let settings = spec.point_in_time_settings();
        assert_eq!(settings.id, "Prospect ID");
        let json = serde_json::to_string(&settings).unwrap();
        assert!(
            !json.contains("\"label\"") && !json.contains("\"events\""),
            "{json}"
        );
        let back: PointInTimeSettings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, settings);
        let rebuilt = back.assembly_spec(&spec.missing_tokens);
        assert_eq!(rebuilt.point_in_time_settings(), settings);
        assert_eq!(rebuilt.missing_tokens, spec.missing_tokens);
        assert!(rebuilt.columns.is_empty());
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
