//! The fitted feature spec and the per-lead featurizer.
//!
//! A [`FittedSpec`] is the spec plus the state learned on the training split (medians, levels,
//! bin edges). [`FittedSpec::featurize_into`] turns one lead (field -> value) into the feature
//! vector; `leadscore-train` computes the same vector for millions of rows with polars, and a
//! parity test on real data holds the two to 1e-9.

use crate::error::{Error, Result};
use crate::explain::Part;
use crate::pairs::FittedPair;
use crate::value::{
    bool_of, email_class, for_each_selection, month_and_weekday, number_to_level, parse_number_as,
    seniority, DateOrder, EmailClass, EmailRules, FieldValue, LeadFields, Seniority,
    SECONDS_PER_DAY,
};
use serde::{Deserialize, Serialize};

/// Month names used in feature names.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Weekday names (Monday first) used in feature names.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The learned state of one column's transform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FittedTransform {
    /// Outputs: value, [missing], [one per bin].
    Numeric {
        /// Imputed for a missing value (on the raw scale, before log1p).
        median: f64,
        /// Whether the training split had missing values (adds an indicator).
        missing_indicator: bool,
        /// Apply sign(x) * ln(1 + |x|).
        log1p: bool,
        /// Inner bin edges on the raw scale, ascending; `k` edges make `k + 1` bins.
        bin_edges: Vec<f64>,
        /// The smallest and largest value of the training split (raw scale). A value outside
        /// is scored as the nearest of the two, so a number far beyond anything training saw
        /// (`1e20` employees) weighs as the largest training value instead of extending the
        /// line without end, and is noted as unseen ([`FittedTransform::is_unseen`]). `None`
        /// (artifacts before format 5, or no value in training): no clamp.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        range: Option<[f64; 2]>,
    },
    /// Outputs: one per level, other, missing.
    Categorical {
        /// Levels frequent enough in training, most frequent first.
        levels: Vec<String>,
    },
    /// Outputs: one per option, other, missing. A value includes several options
    /// ([`for_each_selection`]): each kept option it includes is 1, `other` is 1 when it
    /// includes one not kept, `missing` when it includes none.
    MultiSelect {
        /// What separates the options in a value.
        separator: String,
        /// Options frequent enough in training (by rows including them), most frequent first.
        options: Vec<String>,
    },
    /// Outputs: is true, [missing].
    Boolean {
        /// Whether the training split had missing values.
        missing_indicator: bool,
    },
    /// Outputs: one per [`EmailClass`], missing.
    /// The rules are the spec's domain lists and the built-in lists' version, so a newer build
    /// classes a domain for this model as its training did.
    Email(EmailRules),
    /// Outputs: one per [`Seniority`], missing.
    JobTitle,
    /// Outputs: days since, [missing], month one-hot (12), weekday one-hot (7).
    Timestamp {
        /// Imputed days-since for a missing value.
        median_days_since: f64,
        /// Whether the training split had missing values.
        missing_indicator: bool,
        /// The most days before its scoring time a training value lay (at the training data's
        /// reference time, which no training example's own time is after). An older date
        /// (`1900-01-01`, a CRM's placeholder for none) is scored as this many days, noted as
        /// unseen, instead of extending the line without end. `None` (artifacts before format
        /// 6, or no value in training): no clamp.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_days_since: Option<f64>,
    },
    /// Lead age at the moment of scoring: days from this column's creation time to `as_of`,
    /// clamped to the landmark range, as a piecewise-linear function of age (one "hat" per
    /// landmark after the first, which is the reference). Outputs: one per landmark but the first.
    /// Added by training with several landmarks; the column's value is required.
    LeadAge {
        /// Landmark ages in days, strictly increasing (at least two).
        landmarks_days: Vec<f64>,
    },
}

impl FittedTransform {
    /// How many features this transform outputs.
    pub fn width(&self) -> usize {
        match self {
            Self::Numeric {
                missing_indicator,
                bin_edges,
                ..
            } => {
                1 + usize::from(*missing_indicator)
                    + if bin_edges.is_empty() {
                        0
                    } else {
                        bin_edges.len() + 1
                    }
            }
            Self::Categorical { levels } => levels.len() + 2,
            Self::MultiSelect { options, .. } => options.len() + 2,
            Self::Boolean { missing_indicator } => 1 + usize::from(*missing_indicator),
            Self::Email(_) => EmailClass::ALL.len() + 1,
            Self::JobTitle => Seniority::ALL.len() + 1,
            Self::Timestamp {
                missing_indicator, ..
            } => 1 + usize::from(*missing_indicator) + 12 + 7,
            Self::LeadAge { landmarks_days } => landmarks_days.len().saturating_sub(1),
        }
    }

    /// Whether `value` (already missing-normalized, see [`FittedSpec::normalize`]) is one
    /// training did not see, which the featurizers score as missing, `other` or the nearest
    /// training value instead of refusing it: for a boolean column, any value [`bool_of`] does
    /// not read as yes or no (`3` in a column trained on 0 and 1); for a categorical column,
    /// any level not kept at fit time (never seen, or seen fewer than `min_count` times); for
    /// a numeric column with a training range, a number outside it. Numeric text is not read
    /// here (how depends on the spec's `decimal_comma`): pass the number, or featurize with
    /// [`FittedSpec::featurize_values_noting_unseen`], which notes it. Always `false` for a
    /// missing value and for the other transforms (whose wrong values are errors).
    pub fn is_unseen(&self, value: FieldValue<'_>) -> bool {
        match (self, value) {
            (_, FieldValue::Missing) => false,
            (Self::Boolean { .. }, v) => bool_of(v).is_none(),
            (Self::Categorical { levels }, v) => level_index(levels, v).is_none(),
            (Self::MultiSelect { separator, options }, v) => {
                let mut unseen = false;
                for_each_selection(v, separator, |o| unseen |= !options.iter().any(|k| k == o));
                unseen
            }
            (Self::Numeric { range, .. }, FieldValue::Number(x)) => outside(x, *range),
            // A date's days since depend on the scoring time: see [`past_max_days`].
            _ => false,
        }
    }

    /// What an unseen value of this transform is scored as (`missing`, `other`, `nearest
    /// training value`), or `None` when it has no unseen values (see
    /// [`FittedTransform::is_unseen`]).
    pub fn unseen_scored_as(&self) -> Option<&'static str> {
        match self {
            Self::Boolean { .. } => Some("missing"),
            Self::Categorical { .. } | Self::MultiSelect { .. } => Some("other"),
            Self::Numeric { range: Some(_), .. } => Some(Self::NEAREST),
            Self::Timestamp { .. } => Some(Self::DATE_SCORED_AS),
            _ => None,
        }
    }

    /// What a number outside a numeric column's training range is scored as (and a date
    /// further back than any training date was).
    pub const NEAREST: &'static str = "nearest training value";

    /// What a date training did not see is scored as: further back than any training date
    /// was, the most days training saw ([`FittedTransform::NEAREST`]); after the scoring time,
    /// missing ([`FittedTransform::LATER_SCORED_AS`]).
    pub const DATE_SCORED_AS: &'static str =
        "nearest training value (further back) or missing (after the scoring time)";

    /// What a date after the scoring time is scored as ([`after_scoring`]).
    pub const LATER_SCORED_AS: &'static str = "missing (after the scoring time)";

    /// The value a numeric column with this transform scores `x` as: `x` clamped to the
    /// training range (`x` itself for other transforms, or without a range).
    pub fn scored_number(&self, x: f64) -> f64 {
        match self {
            // Not `f64::clamp`, which panics on a damaged range (`lo > hi`, NaN).
            Self::Numeric {
                range: Some([lo, hi]),
                ..
            } => x.max(*lo).min(*hi),
            _ => x,
        }
    }

    /// Readable names of this transform's features, in output order.
    pub fn feature_names(&self, column: &str) -> Vec<String> {
        let mut names = Vec::with_capacity(self.width());
        match self {
            Self::Numeric {
                missing_indicator,
                log1p,
                bin_edges,
                ..
            } => {
                names.push(if *log1p {
                    format!("{column} (log1p)")
                } else {
                    column.to_string()
                });
                if *missing_indicator {
                    names.push(format!("{column} is missing"));
                }
                if !bin_edges.is_empty() {
                    names.push(format!("{column} < {}", fmt_edge(bin_edges[0])));
                    for w in bin_edges.windows(2) {
                        names.push(format!(
                            "{column} in [{}, {})",
                            fmt_edge(w[0]),
                            fmt_edge(w[1])
                        ));
                    }
                    names.push(format!(
                        "{column} >= {}",
                        fmt_edge(bin_edges[bin_edges.len() - 1])
                    ));
                }
            }
            Self::Categorical { levels } => {
                names.extend(levels.iter().map(|l| level_feature_name(column, " = ", l)));
                names.push(format!("{column} = {OTHER}"));
                names.push(format!("{column} is missing"));
            }
            Self::MultiSelect { options, .. } => {
                names.extend(
                    options
                        .iter()
                        .map(|o| level_feature_name(column, " includes ", o)),
                );
                names.push(format!("{column} includes {OTHER}"));
                names.push(format!("{column} is missing"));
            }
            Self::Boolean { missing_indicator } => {
                names.push(format!("{column} = yes"));
                if *missing_indicator {
                    names.push(format!("{column} is missing"));
                }
            }
            Self::Email(_) => {
                names.extend(
                    EmailClass::ALL
                        .iter()
                        .map(|c| format!("{column} domain: {}", c.label())),
                );
                names.push(format!("{column} is missing"));
            }
            Self::JobTitle => {
                names.extend(
                    Seniority::ALL
                        .iter()
                        .map(|s| format!("{column} seniority: {}", s.label())),
                );
                names.push(format!("{column} is missing"));
            }
            Self::Timestamp {
                missing_indicator, ..
            } => {
                names.push(format!("{column}: days since"));
                if *missing_indicator {
                    names.push(format!("{column} is missing"));
                }
                names.extend(MONTHS.iter().map(|m| format!("{column}: month = {m}")));
                names.extend(WEEKDAYS.iter().map(|d| format!("{column}: weekday = {d}")));
            }
            Self::LeadAge { landmarks_days } => {
                names.extend(
                    landmarks_days
                        .iter()
                        .skip(1)
                        .map(|d| format!("lead age: {}d", fmt_edge(*d))),
                );
            }
        }
        names
    }
}

/// How far past the scoring time a lead's creation time may lie and the lead still be scored
/// (at age 0): the clock skew between a CRM that stamps a new lead and this process scoring it
/// on arrival. Without it, a CRM whose clock ran 3 s fast had every new lead refused (422,
/// "created after the scoring time"), while its events and dates had a day's slack.
pub const CREATED_SLACK_SECONDS: i64 = 300;

/// A lead's age in days at `as_of` (from its creation time `created`), clamped to the landmark
/// range `[landmarks[0], landmarks[last]]`; `None` when `created` is more than
/// [`CREATED_SLACK_SECONDS`] after `as_of` (0 within them). The second
/// value says whether the age was clamped (a lead older than the last landmark is scored as
/// if it were at the last one). Both times are whole seconds read down (unlike an event's,
/// which rounds up): a lead scored in the second it was created is scored at age 0, as a CRM
/// scoring it on arrival expects, rather than refused for a fraction of a second.
pub fn lead_age(created: i64, as_of: i64, landmarks: &[f64]) -> Option<(f64, bool)> {
    if created > as_of.saturating_add(CREATED_SLACK_SECONDS) {
        return None;
    }
    let age = age_days(created, as_of);
    let (lo, hi) = match (landmarks.first(), landmarks.last()) {
        (Some(lo), Some(hi)) => (*lo, *hi),
        _ => return Some((age, false)),
    };
    let clamped = age.clamp(lo, hi);
    Some((clamped, clamped != age))
}

/// Writes the age features: hat functions over the landmarks after the first, so the model's
/// age effect is linear between landmarks and exact at each; `age` is already clamped.
pub fn encode_age(age: f64, landmarks: &[f64], slot: &mut [f64]) {
    // The segment [l[k-1], l[k]] holding `age`: weight on l[k] rises from 0 to 1 across it.
    let k = landmarks
        .partition_point(|l| *l < age)
        .clamp(1, landmarks.len() - 1);
    let (a, b) = (landmarks[k - 1], landmarks[k]);
    let t = ((age - a) / (b - a)).clamp(0.0, 1.0);
    slot[k - 1] = t;
    if k >= 2 {
        slot[k - 2] = 1.0 - t;
    }
}

/// A bin edge (or a landmark) as its shortest text that reads back as the same number, so a
/// label such as `in [0.325502, 0.656)` holds for every value it is shown with: a number of
/// ordinary size in plain digits (`250`, `0.000123`, `2.5`; `-0` as `0`), a very small or very
/// large one with an exponent (`5e-10`, `1.0098263669402352e16`). Edges are training values, so
/// this is mostly the text the file had.
pub(crate) fn fmt_edge(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if (1e-4..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// The edge text of artifacts written before [`fmt_edge`] kept every digit (rounded to three
/// decimals): their stored feature names are read with it ([`legacy_edge_names`]).
fn fmt_edge_rounded(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{}", (x * 1000.0).round() / 1000.0)
    }
}

/// The feature of the rare levels of a categorical or multi_select column: `col = (other)`.
const OTHER: &str = "(other)";

/// A level's (or an option's) feature name, `col = level`; a level that is literally
/// `(other)` (as Google Analytics exports write one) is quoted, `col = "(other)"`, so that it
/// and the rare levels' feature are two names in `inspect`, the report and its shape chart.
fn level_feature_name(column: &str, separator: &str, level: &str) -> String {
    if level == OTHER {
        format!("{column}{separator}\"{OTHER}\"")
    } else {
        format!("{column}{separator}{level}")
    }
}

/// Whether a feature name the spec gives today and one an artifact stored are the same
/// feature: equal, or equal as older builds wrote them (bin edges with three decimals,
/// [`legacy_edge_names`]; a level literally `(other)` unquoted, [`level_feature_name`]).
pub fn same_feature_name(today: &str, stored: &str) -> bool {
    let unquoted = |n: &str| {
        n.replace(" = \"(other)\"", " = (other)")
            .replace(" includes \"(other)\"", " includes (other)")
    };
    today == stored || legacy_edge_names(&unquoted(today)) == legacy_edge_names(&unquoted(stored))
}

/// A feature name with every number in it written as artifacts before [`fmt_edge`] wrote
/// edges (three decimals): a name stored by such an artifact and the name the spec gives
/// today read the same through it. Applied to both names compared, so a number that is part
/// of a column's own name changes alike on both sides.
pub fn legacy_edge_names(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        // A number starts at a digit, with a sign just before it.
        let (before, from) = rest.split_at(start);
        let signed = before.ends_with('-');
        out.push_str(&before[..before.len() - usize::from(signed)]);
        let len = from
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_digit()
                    || c == '.'
                    || c == 'e'
                    || ((c == '-' || c == '+') && from[..i].ends_with('e')))
            })
            .map_or(from.len(), |(i, _)| i);
        let token = &from[..len];
        let text = if signed {
            format!("-{token}")
        } else {
            token.to_string()
        };
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => out.push_str(&fmt_edge_rounded(x)),
            _ => out.push_str(&text),
        }
        rest = &from[len..];
    }
    out.push_str(rest);
    out
}

/// sign(x) * ln(1 + |x|): log1p that is defined for every real, so a negative count at serving
/// time cannot produce NaN.
pub fn signed_log1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

/// Which bin `x` falls in given ascending inner edges: bin 0 is `x < e[0]`, bin `j` is
/// `e[j-1] <= x < e[j]`, the last is `x >= e[k-1]`.
pub fn bin_index(x: f64, edges: &[f64]) -> usize {
    edges.partition_point(|e| *e <= x)
}

/// How a spec reads a value: with a decimal comma, its dates' order, and the numbers among its
/// missing tokens ([`numeric_missing_tokens`]): [`FittedSpec::reading`].
pub type Reading<'a> = (bool, DateOrder, &'a [f64]);

/// Numeric text as the featurizer reads it: `None` when it is no number; `Some(None)` when it
/// counts as missing (not finite, a numeric missing token: `-1.0` where `-1` is one, as
/// training reads such a cell, [`numeric_missing_tokens`], or a placeholder for no value that
/// is no number, `n/a`, `unknown`, `-`: [`crate::value::is_no_value`]); else the number.
#[inline]
pub(crate) fn read_number(
    text: &str,
    decimal_comma: bool,
    number_tokens: &[f64],
) -> Option<Option<f64>> {
    match parse_number_as(text, decimal_comma) {
        Some(x) => Some(Some(x).filter(|x| x.is_finite() && !is_numeric_token(number_tokens, *x))),
        None if crate::value::is_no_value(text) => Some(None),
        None => None,
    }
}

/// Whether a time field's value is no time: missing, the zero time an export writes for an
/// unset date ([`crate::value::is_zero_time`]: `0`, `0.0`, `0000-00-00`), or a number that is
/// a missing token (`-1` where it is one, as a number or its digits), as training reads a
/// column of times ([`crate::value::unix_number_text`]).
#[inline]
pub fn is_unset_time(value: FieldValue<'_>, number_tokens: &[f64]) -> bool {
    let token = |x: f64| is_numeric_token(number_tokens, x);
    match value {
        FieldValue::Missing => true,
        FieldValue::Number(x) => x == 0.0 || token(x),
        FieldValue::Text(s) => {
            crate::value::is_zero_time_text(s)
                || (!number_tokens.is_empty() && signed_number_text(s).is_some_and(token))
        }
        FieldValue::Bool(_) => false,
    }
}

/// Whether a date feature column's value is no date: [`is_unset_time`], or text an export
/// writes for "no date" ([`crate::value::is_date_placeholder`]: `n/a`, `-`, `Never`,
/// `00/00/0000`), listed as a missing token or not, as training reads such a column. (A
/// lead's creation time and an event's time are not read so: a placeholder there is refused.)
#[inline]
pub fn is_no_date(value: FieldValue<'_>, number_tokens: &[f64]) -> bool {
    is_unset_time(value, number_tokens)
        || matches!(value, FieldValue::Text(s)
            // A date starts with a digit other than 0 (no placeholder does): at once.
            if !s.as_bytes().first().is_some_and(|b| (b'1'..=b'9').contains(b))
                && crate::value::is_date_placeholder(s))
}

/// Digits as [`crate::value::unix_number_text`] reads them, with a leading `-` allowed (a
/// missing token such as `-1`, written `-1.0` by pandas).
fn signed_number_text(text: &str) -> Option<f64> {
    let t = text.trim();
    match t.strip_prefix('-') {
        Some(digits) => crate::value::unix_number_text(digits).map(|x| -x),
        None => crate::value::unix_number_text(t),
    }
}

/// What is wrong with a lead or a row whose total `total` (a `sum_of` column of the parts
/// `parts`) adds up beyond the largest float: said alike by the server, `score` and training,
/// which each name the part that took the sum there.
pub fn total_overflow_problem<'a>(total: &str, parts: impl Iterator<Item = &'a str>) -> String {
    let parts: Vec<String> = parts
        .map(|p| format!("`{}`", crate::value::escape_controls(p)))
        .collect();
    format!(
        "with the other parts of the total `{}` ({}), it adds up beyond the largest number \
         (about 1.8e308), which no factor could show; send smaller values",
        crate::value::escape_controls(total),
        parts.join(", ")
    )
}

/// Whether `x` is one of `numbers` ([`numeric_missing_tokens`]); most specs have none, and the
/// emptiness check first spares the featurizer's hot loop a slice search (~20 instructions a
/// lead by callgrind).
#[inline]
pub fn is_numeric_token(numbers: &[f64], x: f64) -> bool {
    !numbers.is_empty() && numbers.contains(&x)
}

/// Whether `x` lies outside a numeric column's training `range` (never without one).
pub fn outside(x: f64, range: Option<[f64; 2]>) -> bool {
    range.is_some_and(|[lo, hi]| x < lo || x > hi)
}

/// Engagement features: per event type, counts in windows, a decayed count, days since the
/// last event and a `never` indicator; then distinct active days over all types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedEvents {
    /// Event types with features, in output order (other types are ignored).
    pub types: Vec<String>,
    /// Count windows in days.
    pub windows_days: Vec<u32>,
    /// Half-life of the decayed count, in days.
    pub half_life_days: f64,
    /// Other event types seen in training (accepted and ignored when scoring; any type outside
    /// `types` and `other_types` is unknown to the model).
    #[serde(default)]
    pub other_types: Vec<String>,
    /// The largest value of each event feature (in output order, [`FittedEvents::width`] of
    /// them) over the training examples: a lead's count above it is scored as it
    /// ([`FittedEvents::encode_noting`]; days since and `never` are kept as they are), as a numeric
    /// column's number above its training range is,
    /// so that a burst of events (a looping form, a bot) is not extrapolated without end.
    /// Empty in artifacts written before it existed (nothing clamped); a model with it is
    /// written as format 10.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub max: Vec<f64>,
    /// Whether each type's days since the last event is held to its training maximum in
    /// [`FittedEvents::max`] too, for a lead with an event of that type ([`FittedEvents::is_held`]):
    /// a lead scored long after an event every training lead had recently (Marketo's "New
    /// Lead" activity, at creation) was scored on a line extrapolated past anything training
    /// saw (-10 in log-odds at 314 days), while its age was held to the last landmark. `never`
    /// leads keep the cap, as before. False in artifacts written before (format 10 and
    /// older); a model with it is written as format 11.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub days_since_held: bool,
    /// `types` and `other_types` by length, worked out on first use (not part of the artifact;
    /// `Default::default()` where written by hand). Set both lists before the first
    /// [`FittedEvents::encode`] or [`FittedEvents::knows`].
    #[serde(skip)]
    pub index: TypeIndex,
}

/// Which of a model's event types a name is: `types` then `other_types`, listed by length and
/// with their first and last eight bytes as words, so that an event's type is compared with the
/// one or two names of its length only, mostly without a call to `memcmp` (the featurizer looks
/// up every event of every lead it scores). A cache, not data: equal to every other
/// `TypeIndex`.
#[derive(Debug, Clone, Default)]
pub struct TypeIndex(std::sync::OnceLock<Vec<Vec<TypeEntry>>>);

/// One name of a [`TypeIndex`].
#[derive(Debug, Clone, Copy)]
pub struct TypeEntry {
    /// Position in `types` followed by `other_types`.
    index: u32,
    /// The first and the last eight bytes (the name, zero-padded, when shorter).
    head: u64,
    tail: u64,
}

impl PartialEq for TypeIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The first and last eight bytes of a name as words (a shorter name, zero-padded, twice).
#[inline(always)]
fn name_words(b: &[u8]) -> (u64, u64) {
    let mut head = [0u8; 8];
    let mut tail = [0u8; 8];
    if b.len() >= 8 {
        head.copy_from_slice(&b[..8]);
        tail.copy_from_slice(&b[b.len() - 8..]);
    } else {
        head[..b.len()].copy_from_slice(b);
        tail = head;
    }
    (u64::from_ne_bytes(head), u64::from_ne_bytes(tail))
}

/// Names of this many bytes or more share the last list of a [`TypeIndex`] (compared whole):
/// a list per length would make a 1 GB name (a hand-written artifact's) a 27 GB table.
const TYPE_INDEX_LENGTHS: usize = 256;

impl TypeIndex {
    /// The names by length, those of [`TYPE_INDEX_LENGTHS`] bytes or more in the last list (the
    /// lists must be those of every earlier call).
    fn table(&self, types: &[String], other_types: &[String]) -> &[Vec<TypeEntry>] {
        self.0.get_or_init(|| {
            let all = || types.iter().chain(other_types);
            let longest = all().map(String::len).max().unwrap_or(0);
            let mut by_length = vec![Vec::new(); longest.min(TYPE_INDEX_LENGTHS) + 1];
            for (i, t) in all().enumerate() {
                let (head, tail) = name_words(t.as_bytes());
                by_length[t.len().min(TYPE_INDEX_LENGTHS)].push(TypeEntry {
                    index: i as u32,
                    head,
                    tail,
                });
            }
            by_length
        })
    }

    /// The position of `name` in `types` followed by `other_types`, if it is there.
    #[inline(always)]
    fn find_in(
        by_length: &[Vec<TypeEntry>],
        types: &[String],
        other_types: &[String],
        name: &str,
    ) -> Option<usize> {
        Self::find_exactly(by_length, types, other_types, name).or_else(|| {
            // A type id written as a float (`10.0`) is the type training read as `10`
            // (`leadscore-train` reads a type column so, and a client's JSON `10` is `10`):
            // looked up only after a miss, so a model trained before, whose type is `10.0`
            // as written, still finds it.
            let whole = crate::value::float_written_integer(name)?;
            Self::find_exactly(by_length, types, other_types, whole)
        })
    }

    #[inline(always)]
    fn find_exactly(
        by_length: &[Vec<TypeEntry>],
        types: &[String],
        other_types: &[String],
        name: &str,
    ) -> Option<usize> {
        let b = name.as_bytes();
        // A long name's list holds every length from TYPE_INDEX_LENGTHS on: compared whole
        // below (past 16 bytes), so another length never matches.
        let entries = by_length.get(b.len().min(TYPE_INDEX_LENGTHS))?;
        let (head, tail) = name_words(b);
        for e in entries {
            if e.head == head && e.tail == tail {
                let i = e.index as usize;
                // Past 16 bytes the middle is compared too.
                let whole = b.len() <= 16 || {
                    let t = types
                        .get(i)
                        .unwrap_or_else(|| &other_types[i - types.len()]);
                    t.as_bytes() == b
                };
                if whole {
                    return Some(i);
                }
            }
        }
        None
    }

    fn find(&self, types: &[String], other_types: &[String], name: &str) -> Option<usize> {
        Self::find_in(self.table(types, other_types), types, other_types, name)
    }
}

/// "Days since last event" for a lead with none of that type (and the cap for older ones).
pub const DAYS_SINCE_CAP: f64 = 365.0;

/// One engagement event of a lead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadEvent<'a> {
    /// The event type (`demo_request`).
    pub event_type: &'a str,
    /// When it happened, Unix seconds.
    pub occurred_at: i64,
}

impl FittedEvents {
    /// What [`FittedSpec::unseen_field`] calls an event type training never saw, and what such
    /// an event is scored as (see [`FittedEvents::encode`]).
    pub const UNSEEN_FIELD: &'static str = "events.event_type";
    pub const UNSEEN_SCORED_AS: &'static str = "active days only";
    /// What [`FittedSpec::unseen_field`] calls a lead whose event features went past the
    /// largest training value ([`FittedEvents::max`]), and what they were scored as.
    pub const ABOVE_FIELD: &'static str = "events.count";
    pub const ABOVE_SCORED_AS: &'static str = "the most training saw";

    /// Whether event feature `i` (output order) is a count: a window's, the decayed one or
    /// the distinct active days, which are held to the training maximum
    /// ([`FittedEvents::encode_noting`]).
    /// Days since the last event (capped at [`DAYS_SINCE_CAP`]) and `never` are not: a lead
    /// without an event of a type every training lead had is `never`, as it is.
    #[inline]
    pub fn is_count(&self, i: usize) -> bool {
        let per = self.per_type();
        i == self.types.len() * per || i % per <= self.windows_days.len()
    }

    /// Whether event feature `i` is held to its training maximum: a count
    /// ([`FittedEvents::is_count`]), or with [`FittedEvents::days_since_held`] a type's days
    /// since its last event (for a lead with one: `never` keeps the cap).
    #[inline]
    pub fn is_held(&self, i: usize) -> bool {
        self.is_count(i) || (self.days_since_held && self.is_days_since(i))
    }

    /// Whether event feature `i` is a type's days since its last event.
    #[inline]
    pub fn is_days_since(&self, i: usize) -> bool {
        let per = self.per_type();
        i < self.types.len() * per && i % per == self.windows_days.len() + 1
    }

    /// With [`FittedEvents::days_since_held`], the most days since type `k`'s last event that
    /// is scored (its training maximum); `None` otherwise (the cap alone).
    #[inline]
    pub fn days_since_max(&self, k: usize) -> Option<f64> {
        let i = k * self.per_type() + self.windows_days.len() + 1;
        self.max.get(i).copied().filter(|_| self.days_since_held)
    }

    /// The positions (in output order) of event type `k`'s features.
    pub fn type_features(&self, k: usize) -> std::ops::Range<usize> {
        k * self.per_type()..(k + 1) * self.per_type()
    }

    /// Whether training saw this event type (with or without features).
    pub fn knows(&self, event_type: &str) -> bool {
        self.position(event_type).is_some()
    }

    /// Where the featurizer finds `event_type`: its position in `types` (a type with
    /// features) then `other_types`, a type id written as a float (`2.0`) at its whole
    /// number's (`2`). The factor texts count a lead's events of a type by this too.
    pub fn position(&self, event_type: &str) -> Option<usize> {
        self.index.find(&self.types, &self.other_types, event_type)
    }

    /// Features per event type.
    pub fn per_type(&self) -> usize {
        self.windows_days.len() + 3
    }

    /// How many features the events make.
    pub fn width(&self) -> usize {
        self.types.len() * self.per_type() + 1
    }

    /// Readable names, in output order.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.width());
        for t in &self.types {
            for w in &self.windows_days {
                names.push(format!("events: {t} in last {w}d (log1p)"));
            }
            names.push(format!(
                "events: {t} decayed, half-life {}d (log1p)",
                self.half_life_days
            ));
            names.push(format!("events: {t} days since last"));
            names.push(format!("events: {t} never"));
        }
        names.push("events: distinct active days (log1p)".into());
        names
    }

    /// Decay weight of an event `age_days` old.
    pub fn decay(&self, age_days: f64) -> f64 {
        (-age_days * std::f64::consts::LN_2 / self.half_life_days).exp()
    }

    /// Writes the event features of one lead into `slot`, which comes zeroed. Events after
    /// `as_of` are ignored (they cannot have been known at scoring time); events of a type
    /// without features count only toward the distinct active days, whether training saw the
    /// type ([`FittedEvents::other_types`]) or not. Returns whether an event known at `as_of`
    /// has a type training never saw ([`FittedEvents::knows`]): the callers count those, as
    /// they count the values of a column that training did not see.
    pub fn encode(&self, events: &[LeadEvent<'_>], as_of: i64, slot: &mut [f64]) -> bool {
        self.encode_noting(events, as_of, slot).0
    }

    /// [`FittedEvents::encode`], and whether a feature went past its training maximum and was
    /// scored as it ([`FittedEvents::max`]): (an unseen type, a feature above training).
    pub fn encode_noting(
        &self,
        events: &[LeadEvent<'_>],
        as_of: i64,
        slot: &mut [f64],
    ) -> (bool, bool) {
        let per = self.per_type();
        let nw = self.windows_days.len();
        if events.iter().all(|e| e.occurred_at > as_of) {
            // Nothing known yet (most leads a server scores): every count and decay sum is
            // ln(1 + 0) = 0, as `slot` came (never above a maximum); each type's last event
            // is "never".
            for base in (0..self.types.len()).map(|k| k * per) {
                slot[base + nw + 1] = DAYS_SINCE_CAP;
                slot[base + nw + 2] = 1.0;
            }
            slot[self.types.len() * per] = 0.0;
            return (false, false);
        }
        self.encode_known(events, as_of, slot)
    }

    /// [`FittedEvents::encode_noting`] of a lead with an event known at `as_of`: the counts
    /// of each type it has events of held to their maxima ([`FittedEvents::is_count`]; a type
    /// without any has counts of 0, never above).
    fn encode_known(&self, events: &[LeadEvent<'_>], as_of: i64, slot: &mut [f64]) -> (bool, bool) {
        let per = self.per_type();
        let nw = self.windows_days.len();
        // Days since the last event of each type, and the days with any event: on the stack
        // for the usual sizes (this runs per lead when serving).
        let mut last_stack = [f64::INFINITY; 16];
        let mut last_heap = Vec::new();
        let last: &mut [f64] = if self.types.len() <= last_stack.len() {
            &mut last_stack[..self.types.len()]
        } else {
            last_heap.resize(self.types.len(), f64::INFINITY);
            &mut last_heap
        };
        // The distinct days with an event, counted as they come while the events are in time
        // order (as a CRM sends them); otherwise counted once more at the end, sorted.
        let mut n_days = 0usize;
        let mut last_day = i64::MIN;
        let mut in_order = true;
        let mut unseen = false;
        let types = self.index.table(&self.types, &self.other_types);
        // The windows as floats, once (on the stack for up to 8 windows).
        let mut windows_stack = [0.0f64; 8];
        let windows_heap: Vec<f64>;
        let windows: &[f64] = if nw <= windows_stack.len() {
            for (w, d) in windows_stack.iter_mut().zip(&self.windows_days) {
                *w = f64::from(*d);
            }
            &windows_stack[..nw]
        } else {
            windows_heap = self.windows_days.iter().map(|d| f64::from(*d)).collect();
            &windows_heap
        };
        for e in events {
            if e.occurred_at > as_of {
                continue;
            }
            let day = e.occurred_at.div_euclid(86_400);
            n_days += usize::from(day > last_day);
            in_order &= day >= last_day;
            last_day = last_day.max(day);
            let k = match TypeIndex::find_in(types, &self.types, &self.other_types, e.event_type) {
                Some(k) if k < self.types.len() => k,
                Some(_) => continue,
                None => {
                    unseen = true;
                    continue;
                }
            };
            let age = days_since(e.occurred_at, as_of);
            let counts = &mut slot[k * per..k * per + nw + 1];
            // Adding 0 leaves a count as it was: no branch per window.
            for (c, w) in counts.iter_mut().zip(windows) {
                *c += f64::from(u8::from(age <= *w));
            }
            counts[nw] += self.decay(age);
            last[k] = last[k].min(age);
        }
        let mut above = false;
        for (k, l) in last.iter().enumerate() {
            let base = k * per;
            // ln(1 + 0) is exactly 0: the (many) empty counts stay. The window counts are
            // whole numbers: ln(1 + n) from a table (the same values).
            for v in &mut slot[base..base + nw] {
                if *v != 0.0 {
                    *v = ln_1p_count(*v);
                }
            }
            let decayed = &mut slot[base + nw];
            if *decayed != 0.0 {
                *decayed = decayed.ln_1p();
            }
            if l.is_finite() {
                if let Some(max) = self.max.get(base..=base + nw) {
                    for (v, m) in slot[base..=base + nw].iter_mut().zip(max) {
                        if *v > *m {
                            *v = *m;
                            above = true;
                        }
                    }
                }
            }
            slot[base + nw + 1] = l.min(DAYS_SINCE_CAP);
            if let Some(m) = self.days_since_max(k).filter(|_| l.is_finite()) {
                if slot[base + nw + 1] > m {
                    slot[base + nw + 1] = m;
                    above = true;
                }
            }
            slot[base + nw + 2] = f64::from(u8::from(l.is_infinite()));
        }
        if !in_order {
            let mut days: Vec<i64> = events
                .iter()
                .filter(|e| e.occurred_at <= as_of)
                .map(|e| e.occurred_at.div_euclid(86_400))
                .collect();
            n_days = distinct_days(&mut days);
        }
        let active = self.types.len() * per;
        slot[active] = ln_1p_count(n_days as f64);
        if let Some(m) = self.max.get(active) {
            if slot[active] > *m {
                slot[active] = *m;
                above = true;
            }
        }
        (unseen, above)
    }
}

/// `n.ln_1p()` for a count `n`: looked up for the whole numbers below 256 (a lead's counts of
/// events per window and its active days, computed per lead when serving, where a call of
/// `ln_1p` costs ~90 instructions), computed otherwise. The table holds `ln_1p`'s own values.
#[inline]
pub fn ln_1p_count(n: f64) -> f64 {
    static TABLE: std::sync::LazyLock<[f64; 256]> =
        std::sync::LazyLock::new(|| std::array::from_fn(|i| (i as f64).ln_1p()));
    // `as` saturates: a negative or non-finite count fails the round trip and is computed.
    let i = n as usize;
    if i < 256 && i as f64 == n {
        TABLE[i]
    } else {
        n.ln_1p()
    }
}

/// How many distinct days `days` holds (sorts it in place): the `distinct active days` feature,
/// for one lead here and per example in training.
pub fn distinct_days(days: &mut [i64]) -> usize {
    // Events usually arrive in time order: a check costs less than a sort.
    if !days.is_sorted() {
        days.sort_unstable();
    }
    days.iter()
        .enumerate()
        .filter(|(i, d)| *i == 0 || days[i - 1] != **d)
        .count()
}

/// One fitted column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedColumn {
    /// The input column's name.
    pub name: String,
    /// Its fitted transform.
    pub transform: FittedTransform,
    /// Whether it describes who the lead is (fit, the default) or what it did (engagement).
    #[serde(default, skip_serializing_if = "Part::is_fit")]
    pub part: Part,
    /// A numeric column the input does not have: the sum of these columns (positions in
    /// [`FittedSpec::columns`], numeric ones), missing when any is ([`FittedSpec::sum_value`]).
    /// Empty for every other column; a model with one is written as format 9.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sum_of: Vec<usize>,
}

impl FittedColumn {
    /// Whether the column is a total of other columns (`sum_of`): computed from its parts,
    /// never read from a lead, so not one of the model's inputs.
    pub fn is_total(&self) -> bool {
        !self.sum_of.is_empty()
    }
}

/// The spec with the state learned on the training split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedSpec {
    /// Cell values that mean "missing".
    pub missing_tokens: Vec<String>,
    /// Numbers in text are written with a decimal comma (see [`crate::spec::FeatureSpec`]);
    /// absent (false) in artifacts written before it existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decimal_comma: bool,
    /// How dates with the year last are read (see [`crate::spec::FeatureSpec`]); absent (ISO
    /// only) in artifacts written before it existed.
    #[serde(default, skip_serializing_if = "DateOrder::is_iso")]
    pub date_order: DateOrder,
    /// The "now" of the training data for timestamp features (Unix seconds), used when no
    /// `as_of` is given.
    pub reference_time: Option<i64>,
    /// The feature columns, in output order.
    pub columns: Vec<FittedColumn>,
    /// Engagement features, after the columns' (when the model was trained with events).
    #[serde(default)]
    pub events: Option<FittedEvents>,
    /// Interaction terms, after the events' features (see [`crate::pairs`]); absent in
    /// artifacts written before pairs existed and in models without any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<FittedPair>,
    /// The lengths of `missing_tokens`, worked out on first use (not part of the artifact;
    /// `TokenLengths::default()` where a spec is written by hand). Set `missing_tokens` before
    /// the first [`FittedSpec::is_missing_token`]: the lengths are not worked out again.
    #[serde(skip)]
    pub missing_lengths: TokenLengths,
}

/// The lengths of a list of tokens as a bit set, worked out once: bit `n` is set when a token
/// has `n` bytes (bit 63: 63 bytes or more). Most values a featurizer sees are ruled out by
/// their length alone (a check per value per lead runs ~18 times a lead when serving), before
/// any comparison of bytes. Beside it, the tokens that are numbers ([`TokenLengths::numbers`]).
/// Equal to every other `TokenLengths`: it is a cache, not data.
#[derive(Debug, Clone, Default)]
pub struct TokenLengths(std::sync::OnceLock<u64>, std::sync::OnceLock<Box<[f64]>>);

/// The missing tokens that are numbers as a CSV writes them (`-1`, `999`, `2.5`: text that
/// [`number_to_level`] writes back the same), as numbers. A number sent as a number (JSON, a
/// DataFrame, a Parquet column) is missing when the text a CSV would hold for it is a missing
/// token: `-1` sent as a number is missing where the CSV cell `-1` is (but `-1.0` or `01`
/// written as text are not the token `-1`, in training or serving).
pub fn numeric_missing_tokens(tokens: &[String]) -> Vec<f64> {
    tokens
        .iter()
        .filter_map(|t| {
            let x: f64 = t.parse().ok()?;
            (x.is_finite() && number_to_level(x) == *t).then_some(x)
        })
        .collect()
}

impl TokenLengths {
    fn bit(len: usize) -> u64 {
        1u64 << len.min(63)
    }

    /// Whether `text` is one of `tokens` (which must be the tokens of every earlier call). Text
    /// of whitespace only (`" "`, a tab) is the empty text here, as training reads such a cell:
    /// one of `tokens` when `""` is.
    #[inline]
    pub fn contains(&self, tokens: &[String], text: &str) -> bool {
        let lengths = self
            .0
            .get_or_init(|| tokens.iter().fold(0, |m, t| m | Self::bit(t.len())));
        if lengths & Self::bit(text.len()) != 0 && tokens.iter().any(|t| t == text) {
            return true;
        }
        // Bit 0 is set when `""` is a token (no other token has length 0).
        lengths & 1 != 0 && Self::blank(text)
    }

    /// [`numeric_missing_tokens`] of `tokens` (those of every earlier call), worked out once.
    #[inline]
    pub fn numbers(&self, tokens: &[String]) -> &[f64] {
        self.1
            .get_or_init(|| numeric_missing_tokens(tokens).into_boxed_slice())
    }

    /// Non-empty text of whitespace only; its first byte decides for most text.
    #[inline]
    fn blank(text: &str) -> bool {
        text.as_bytes()
            .first()
            .is_some_and(|b| *b <= b' ' || *b >= 0x80)
            && text.trim().is_empty()
    }
}

impl PartialEq for TokenLengths {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The values of one column that a model's training did not see, counted over a data set
/// (`leadscore-train evaluate`, `report --data`): scored as missing, `other` or the nearest
/// training value, not refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnseenValues {
    /// The input column.
    pub column: String,
    /// What they were scored as: `missing` (a yes/no column), `other` (a categorical column,
    /// whose value was not among the levels kept in training), `nearest training value` (a
    /// numeric column's number outside the training range) or, for event types, `active days
    /// only`.
    pub scored_as: String,
    /// Leads (rows of the leads file) with such a value.
    pub leads: u64,
    /// Distinct such values.
    pub distinct: u64,
    /// The most frequent of them (at most [`UNSEEN_SHOWN`]), the text as the file has it (no
    /// quotes or escapes, so a program can look it up in its own data; cut when long, as
    /// [`crate::value::shorten`] cuts), numbers in full ([`crate::explain::fmt_exact`]),
    /// dates as `YYYY-MM-DD`. [`UnseenValues::shown`] quotes them for people.
    pub values: Vec<String>,
}

impl UnseenValues {
    /// [`Self::values`] for people (`evaluate`'s text, the report): text quoted, with what
    /// cannot be seen escaped (`"Google\u{a0}"` is not `"Google"`), as factor texts show a
    /// value; numbers and dates as they are.
    pub fn shown(&self) -> Vec<String> {
        let text = !matches!(
            self.scored_as.as_str(),
            FittedTransform::NEAREST | FittedTransform::LATER_SCORED_AS
        );
        self.values
            .iter()
            .map(|v| {
                if text {
                    // Already cut (`values` hold the text cut, for programs): the quotes go
                    // around what was kept, not again around the whole.
                    match crate::value::shortened_parts(v) {
                        Some((kept, bytes)) => {
                            format!("{}... ({bytes} bytes)", crate::explain::Quoted(kept))
                        }
                        None => crate::explain::Quoted(v).to_string(),
                    }
                } else {
                    v.clone()
                }
            })
            .collect()
    }
}

/// How many unseen values of a column [`UnseenValues`] names.
pub const UNSEEN_SHOWN: usize = 5;

/// Where one feature comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureInfo {
    /// Readable name, such as `Lead Source = Reference`.
    pub name: String,
    /// The input column.
    pub column: String,
}

impl FittedSpec {
    /// The columns a lead is read from, in [`FittedSpec::columns`] order: every column but the
    /// totals (`sum_of`), which are computed from their parts.
    pub fn inputs(&self) -> impl Iterator<Item = &FittedColumn> {
        self.columns.iter().filter(|c| !c.is_total())
    }

    /// Each total (`sum_of` column) with the names of its parts.
    pub fn totals(&self) -> impl Iterator<Item = (&FittedColumn, Vec<&str>)> {
        self.columns.iter().filter(|c| c.is_total()).map(|c| {
            let parts = c
                .sum_of
                .iter()
                .filter_map(|&i| self.columns.get(i).map(|p| p.name.as_str()))
                .collect();
            (c, parts)
        })
    }

    /// Total number of features.
    pub fn width(&self) -> usize {
        self.columns_width()
            + self.events.as_ref().map_or(0, FittedEvents::width)
            + self.pairs_width()
    }

    /// Number of pair features (the last ones).
    pub fn pairs_width(&self) -> usize {
        self.pairs.iter().map(FittedPair::width).sum()
    }

    /// Number of features from the lead's own fields (the event features follow them).
    pub fn columns_width(&self) -> usize {
        self.columns.iter().map(|c| c.transform.width()).sum()
    }

    /// Name and source column of every feature, in output order.
    pub fn features(&self) -> Vec<FeatureInfo> {
        self.columns
            .iter()
            .flat_map(|c| {
                c.transform
                    .feature_names(&c.name)
                    .into_iter()
                    .map(|name| FeatureInfo {
                        name,
                        column: c.name.clone(),
                    })
            })
            .chain(self.events.iter().flat_map(|e| {
                e.feature_names().into_iter().map(|name| FeatureInfo {
                    name,
                    column: "events".into(),
                })
            }))
            .chain(self.pairs.iter().flat_map(|p| {
                let column = p.name();
                p.feature_names().into_iter().map(move |name| FeatureInfo {
                    name,
                    column: column.clone(),
                })
            }))
            .collect()
    }

    /// How this spec reads values ([`Reading`]): decimal comma, date order, numeric tokens.
    #[inline]
    pub fn reading(&self) -> Reading<'_> {
        (
            self.decimal_comma,
            self.date_order,
            self.missing_lengths.numbers(&self.missing_tokens),
        )
    }

    /// Whether `text` is one of the missing tokens.
    pub fn is_missing_token(&self, text: &str) -> bool {
        self.missing_lengths.contains(&self.missing_tokens, text)
    }

    /// The value as the featurizer sees it: a missing token, a number whose CSV text is one
    /// (`-1` sent as a number where `-1` is a token: [`numeric_missing_tokens`]) or a
    /// non-finite number is missing.
    #[inline]
    pub fn normalize<'a>(&self, v: FieldValue<'a>) -> FieldValue<'a> {
        self.normalize_with(v, self.missing_lengths.numbers(&self.missing_tokens))
    }

    /// [`FittedSpec::normalize`] with the numeric tokens looked up once (a lead's loop;
    /// inlined there, where a call per column cost ~100 instructions a lead).
    #[inline(always)]
    fn normalize_with<'a>(&self, v: FieldValue<'a>, numbers: &[f64]) -> FieldValue<'a> {
        match v {
            FieldValue::Text(s) if self.is_missing_token(s) => FieldValue::Missing,
            FieldValue::Number(x) if !x.is_finite() || is_numeric_token(numbers, x) => {
                FieldValue::Missing
            }
            other => other,
        }
    }

    /// The value of a `sum_of` column ([`FittedColumn::sum_of`]) from the values of its parts
    /// (`value_of(k)` for column `k`): their sum, in the order listed, of the numbers the parts
    /// read as (missing tokens and decimal commas as the column reads them); missing when any
    /// part is missing, not finite or not a number (such a part's own column says why), and
    /// when the total is a numeric missing token, as any number a column reads. The polars
    /// pipeline adds up the same numbers in the same order (`leadscore-train`'s
    /// `featurize::sum_values`) and reads the total as a numeric column, so the two agree bit
    /// for bit.
    pub fn sum_value<'v>(
        &self,
        parts: &[usize],
        value_of: impl Fn(usize) -> FieldValue<'v>,
    ) -> FieldValue<'static> {
        match self.add_parts(parts, value_of) {
            Ok(Some(sum)) => self.normalize_with(FieldValue::Number(sum), self.reading().2),
            Ok(None) | Err(_) => FieldValue::Missing,
        }
    }

    /// The sum of a total's parts ([`FittedSpec::sum_value`]) before it is read as a number:
    /// `None` when a part is missing, not finite or not a number; `Err(k)` when the parts before
    /// `k` and `k` itself are finite numbers but adding `k` takes the sum beyond the largest
    /// float (`1e308 + 1e308`), whatever the parts after it. Featurizing refuses such a lead,
    /// naming part `k`, as training refuses the row (`leadscore-train`'s
    /// `featurize::sum_values`), so that no factor says the total is missing when every part
    /// was sent.
    fn add_parts<'v>(
        &self,
        parts: &[usize],
        value_of: impl Fn(usize) -> FieldValue<'v>,
    ) -> Result<Option<f64>, usize> {
        let (decimal_comma, _, numbers) = self.reading();
        let mut sum = 0.0;
        for &k in parts {
            let x = match self.normalize_with(value_of(k), numbers) {
                FieldValue::Number(x) => Some(x),
                FieldValue::Text(t) => read_number(t, decimal_comma, numbers).flatten(),
                FieldValue::Bool(_) | FieldValue::Missing => None,
            };
            match x {
                Some(x) if x.is_finite() => {
                    sum += x;
                    if !sum.is_finite() {
                        return Err(k);
                    }
                }
                _ => return Ok(None),
            }
        }
        Ok(Some(sum))
    }

    /// The refusal of a lead whose total's parts add up beyond the largest float
    /// ([`FittedSpec::add_parts`]), naming the part that took it there.
    fn overflowing_total(&self, total: &FittedColumn, part: usize) -> Error {
        let name = |k: usize| self.columns.get(k).map_or("", |c| c.name.as_str());
        Error::Feature {
            column: name(part).to_string(),
            problem: total_overflow_problem(&total.name, total.sum_of.iter().map(|&k| name(k))),
        }
    }

    /// Column `i`'s value for a lead whose column values `value_of(k)` gives: that value, or
    /// for a `sum_of` column the sum of its parts ([`FittedSpec::sum_value`]).
    pub fn field_value<'v>(
        &self,
        i: usize,
        value_of: impl Fn(usize) -> FieldValue<'v>,
    ) -> FieldValue<'v> {
        match self.columns.get(i) {
            Some(c) if c.is_total() => self.sum_value(&c.sum_of, value_of),
            _ => value_of(i),
        }
    }

    /// The value of column `i` for the text that names it, for a lead whose values (in
    /// [`FittedSpec::columns`] order) are `values`: `values[i]`, or for a `sum_of` column the
    /// sum of its parts rounded to 12 significant digits (`253.9`, not the
    /// `253.89999999999998` that adding `87.3`, `92.4` and `74.2` gives; featurizing uses the
    /// sum itself, [`FittedSpec::sum_value`]).
    pub fn column_value<'v>(&self, values: &[FieldValue<'v>], i: usize) -> FieldValue<'v> {
        let value = self.field_value(i, |k| values.get(k).copied().unwrap_or(FieldValue::Missing));
        match value {
            FieldValue::Number(x) if self.columns.get(i).is_some_and(FittedColumn::is_total) => {
                FieldValue::Number(format!("{x:.11e}").parse().unwrap_or(x))
            }
            other => other,
        }
    }

    /// Whether column `column` (an index into [`FittedSpec::columns`]) reads `value` as
    /// missing, exactly as the featurizer does: [`FittedSpec::normalize`], then what a
    /// transform reads as nothing (numeric text that is a missing token or not finite, a time
    /// field's numeric token such as `0.0`, a multi-select value selecting no option). The
    /// fill rates of drift monitoring (training's reference and the server's live counts)
    /// both count with it. A value training did not see (`maybe` in a yes/no column) is not
    /// missing here: it is counted as unseen.
    pub fn reads_as_missing(&self, column: usize, value: FieldValue<'_>) -> bool {
        let (decimal_comma, _, numbers) = self.reading();
        let Some(c) = self.columns.get(column) else {
            return true;
        };
        match (&c.transform, self.normalize_with(value, numbers)) {
            (_, FieldValue::Missing) => true,
            (FittedTransform::Numeric { .. }, FieldValue::Text(s)) => {
                read_number(s, decimal_comma, numbers) == Some(None)
            }
            (FittedTransform::Timestamp { .. }, v) => is_no_date(v, numbers),
            (FittedTransform::MultiSelect { separator, .. }, v) => {
                crate::value::for_each_selection(v, separator, |_| {}) == 0
            }
            _ => false,
        }
    }

    /// Featurizes one lead into a new vector (see [`FittedSpec::featurize_into`]).
    pub fn featurize<L: LeadFields + ?Sized>(
        &self,
        lead: &L,
        as_of: Option<i64>,
    ) -> Result<Vec<f64>> {
        let mut out = vec![0.0; self.width()];
        self.featurize_into(lead, as_of, &mut out)?;
        Ok(out)
    }

    /// Writes the features of one lead into `out` (length [`FittedSpec::width`]). `as_of` is
    /// the moment of scoring in Unix seconds (defaults to [`FittedSpec::reference_time`]).
    /// A value of the wrong kind (text in a numeric column, an unparseable timestamp) is an
    /// error naming the column; a missing value is imputed as in training; a value training
    /// did not see in a boolean, categorical or numeric column (`3` in a yes/no column, a new
    /// level, a number outside the training range) is scored as missing, `other` or the
    /// nearest training value ([`FittedTransform::is_unseen`]), never an error.
    pub fn featurize_into<L: LeadFields + ?Sized>(
        &self,
        lead: &L,
        as_of: Option<i64>,
        out: &mut [f64],
    ) -> Result<()> {
        self.featurize_with_events_into(lead, &[], as_of, out)
    }

    /// Featurizes one lead with its engagement events (see [`FittedSpec::featurize_into`]);
    /// events after `as_of` are ignored.
    pub fn featurize_with_events_into<L: LeadFields + ?Sized>(
        &self,
        lead: &L,
        events: &[LeadEvent<'_>],
        as_of: Option<i64>,
        out: &mut [f64],
    ) -> Result<()> {
        self.featurize_by(|_, name| lead.field(name), events, as_of, out, None)
    }

    /// Featurizes one lead whose values are given in [`FittedSpec::columns`] order
    /// (`values[i]` is the value of `columns[i]`): the serving path, which parses a request
    /// straight into this shape and so never looks a column up by name.
    pub fn featurize_values_into(
        &self,
        values: &[FieldValue<'_>],
        events: &[LeadEvent<'_>],
        as_of: Option<i64>,
        out: &mut [f64],
    ) -> Result<()> {
        self.featurize_values_noting_unseen(values, events, as_of, out, &mut Vec::new())
    }

    /// The field an index of [`FittedSpec::featurize_values_noting_unseen`]'s `unseen` stands
    /// for, and what its unseen value was scored as: a column (`other`, `missing`), or, at
    /// `self.columns.len()`, the events' type ([`FittedEvents::UNSEEN_FIELD`]). `None` for an
    /// index that is neither.
    pub fn unseen_field(&self, index: usize) -> Option<(&str, &'static str)> {
        match self.columns.get(index) {
            Some(c) => Some((&c.name, c.transform.unseen_scored_as()?)),
            None if index == self.columns.len() && self.events.is_some() => {
                Some((FittedEvents::UNSEEN_FIELD, FittedEvents::UNSEEN_SCORED_AS))
            }
            None if index == self.columns.len() + 1
                && self.events.as_ref().is_some_and(|e| !e.max.is_empty()) =>
            {
                Some((FittedEvents::ABOVE_FIELD, FittedEvents::ABOVE_SCORED_AS))
            }
            None => None,
        }
    }

    /// The name of an index of [`FittedSpec::featurize_values_noting_unseen`]'s `unseen`: the
    /// column's, or [`FittedEvents::UNSEEN_FIELD`] past the columns.
    pub fn unseen_name(&self, index: usize) -> &str {
        match self.columns.get(index) {
            Some(c) => &c.name,
            None if index == self.columns.len() + 1 => FittedEvents::ABOVE_FIELD,
            None => FittedEvents::UNSEEN_FIELD,
        }
    }

    /// How many indices [`FittedSpec::featurize_values_noting_unseen`] can note: one per
    /// column, and when the spec has events one for the event types, and one for event counts
    /// above the training maxima when it has them ([`FittedEvents::max`]).
    pub fn unseen_slots(&self) -> usize {
        self.columns.len()
            + self
                .events
                .as_ref()
                .map_or(0, |e| 1 + usize::from(!e.max.is_empty()))
    }

    /// [`FittedSpec::featurize_values_into`], noting in `unseen` (cleared first) the index of
    /// every column whose value training did not see ([`FittedTransform::is_unseen`]): scored
    /// as missing, `other` or the nearest training value, counted by the caller. An event
    /// known at `as_of` of a type training never saw is noted as the index `self.columns.len()`
    /// ([`FittedSpec::unseen_field`] names both kinds).
    pub fn featurize_values_noting_unseen(
        &self,
        values: &[FieldValue<'_>],
        events: &[LeadEvent<'_>],
        as_of: Option<i64>,
        out: &mut [f64],
        unseen: &mut Vec<usize>,
    ) -> Result<()> {
        unseen.clear();
        if values.len() != self.columns.len() {
            return Err(Error::Feature {
                column: String::new(),
                problem: format!(
                    "{} values given, the spec has {} columns",
                    values.len(),
                    self.columns.len()
                ),
            });
        }
        self.featurize_by(|i, _| values[i], events, as_of, out, Some(unseen))
    }

    fn featurize_by<'v>(
        &self,
        value_of: impl Fn(usize, &str) -> FieldValue<'v>,
        events: &[LeadEvent<'_>],
        as_of: Option<i64>,
        out: &mut [f64],
        mut unseen: Option<&mut Vec<usize>>,
    ) -> Result<()> {
        // The length of `out` is checked as the slots are laid out (adding up the widths first
        // would walk the columns twice a lead) and once more at the end.
        let wrong_width = |out: &[f64]| Error::Feature {
            column: String::new(),
            problem: format!(
                "output has {} slots, the spec makes {}",
                out.len(),
                self.width()
            ),
        };
        out.fill(0.0);
        let mut offset = 0;
        let reading = self.reading();
        for (i, col) in self.columns.iter().enumerate() {
            let width = col.transform.width();
            if offset + width > out.len() {
                return Err(wrong_width(out));
            }
            let slot = &mut out[offset..offset + width];
            let value = if col.sum_of.is_empty() {
                self.normalize_with(value_of(i, &col.name), reading.2)
            } else {
                let sum = self.add_parts(&col.sum_of, |k| {
                    self.columns
                        .get(k)
                        .map_or(FieldValue::Missing, |c| value_of(k, &c.name))
                });
                match sum {
                    Ok(Some(sum)) => self.normalize_with(FieldValue::Number(sum), reading.2),
                    Ok(None) => FieldValue::Missing,
                    Err(part) => return Err(self.overflowing_total(col, part)),
                }
            };
            let not_seen = encode_column(
                &col.transform,
                &col.name,
                value,
                as_of.or(self.reference_time),
                &reading,
                slot,
            )?;
            if not_seen {
                if let Some(u) = unseen.as_deref_mut() {
                    u.push(i);
                }
            }
            offset += width;
        }
        if let Some(ev) = &self.events {
            let as_of = as_of
                .or(self.reference_time)
                .ok_or_else(|| Error::Feature {
                    column: "events".into(),
                    problem: "no as_of time to place the events in time".into(),
                })?;
            let width = ev.width();
            if offset + width > out.len() {
                return Err(wrong_width(out));
            }
            let (unseen_type, above) =
                ev.encode_noting(events, as_of, &mut out[offset..offset + width]);
            if let Some(u) = unseen {
                if unseen_type {
                    u.push(self.columns.len());
                }
                if above {
                    u.push(self.columns.len() + 1);
                }
            }
            offset += width;
        }
        if offset + self.pairs_width() != out.len() {
            return Err(wrong_width(out));
        }
        if !self.pairs.is_empty() {
            let (x, pairs) = out.split_at_mut(offset);
            crate::pairs::encode_pairs(self, x, pairs).ok_or_else(|| Error::Feature {
                column: String::new(),
                problem: "the spec's pairs do not fit its columns".into(),
            })?;
        }
        Ok(())
    }
}

/// The position of a (present) value among a categorical column's kept levels; numbers and
/// booleans are compared as the levels training made of them.
/// The level a text names, looked up by `lookup`: the text itself, else for a whole number
/// written as a float (`3.0`) the level training read from the number (`3`;
/// [`crate::value::float_written_integer`]). The per-lead featurizer looks up a slice and the
/// polars pipeline (`leadscore-train`'s `featurize`) a hash map, both through this.
pub fn find_level<T>(text: &str, lookup: impl Fn(&str) -> Option<T>) -> Option<T> {
    lookup(text).or_else(|| lookup(crate::value::float_written_integer(text)?))
}

fn level_index(levels: &[String], value: FieldValue<'_>) -> Option<usize> {
    match value {
        FieldValue::Missing => None,
        FieldValue::Text(s) => find_level(s, |t| levels.iter().position(|v| v == t)),
        FieldValue::Number(x) => {
            let l = number_to_level(x);
            levels.iter().position(|v| *v == l)
        }
        // `true`, else the level that says the same in other words (`True`, `Yes`: a pandas
        // bool or a JSON `true` against levels a CSV wrote as `True`/`False` scored `(other)`).
        FieldValue::Bool(b) => {
            let l = if b { "true" } else { "false" };
            levels.iter().position(|v| v == l).or_else(|| {
                levels
                    .iter()
                    .position(|v| crate::value::parse_bool(v) == Some(b))
            })
        }
    }
}

fn wrong(column: &str, expected: &str, found: FieldValue<'_>) -> Error {
    let found = match found {
        // Cut when long, as every echo is.
        FieldValue::Text(s) => crate::explain::Quoted(s).to_string(),
        FieldValue::Number(x) => format!("the number {x}"),
        FieldValue::Bool(b) => format!("{b}"),
        FieldValue::Missing => "nothing".into(),
    };
    Error::Feature {
        column: column.to_string(),
        problem: format!("expected {expected}, found {found}"),
    }
}

/// [`wrong`] for a field that holds a time ([`crate::value::field_time`]).
fn wrong_time(column: &str, order: DateOrder, found: FieldValue<'_>) -> Error {
    wrong(
        column,
        &format!(
            "{}, or Unix seconds or milliseconds from 2000 to 2100 (or a spreadsheet's serial \
             date, days since 1899-12-30)",
            order.expected()
        ),
        found,
    )
}

/// Encodes one (already missing-normalized) value; `slot` is zeroed and has the transform's
/// width. `Ok(true)` when the value is one training did not see
/// ([`FittedTransform::is_unseen`]), encoded as missing or `other`.
pub(crate) fn encode_column(
    t: &FittedTransform,
    column: &str,
    value: FieldValue<'_>,
    as_of: Option<i64>,
    &(decimal_comma, date_order, number_tokens): &Reading<'_>,
    slot: &mut [f64],
) -> Result<bool> {
    match t {
        FittedTransform::Numeric {
            median,
            missing_indicator,
            log1p,
            bin_edges,
            range,
        } => {
            let raw = match value {
                FieldValue::Missing => None,
                FieldValue::Number(x) => Some(x),
                FieldValue::Text(s) => match read_number(s, decimal_comma, number_tokens) {
                    Some(x) => x,
                    None => return Err(wrong(column, "a number", value)),
                },
                FieldValue::Bool(_) => return Err(wrong(column, "a number", value)),
            };
            // Outside the training range, the nearest training value (the median is inside).
            let x = raw.unwrap_or(*median);
            let unseen = outside(x, *range);
            let x = t.scored_number(x);
            slot[0] = if *log1p { signed_log1p(x) } else { x };
            let mut i = 1;
            if *missing_indicator {
                slot[1] = f64::from(u8::from(raw.is_none()));
                i = 2;
            }
            if !bin_edges.is_empty() {
                slot[i + bin_index(x, bin_edges)] = 1.0;
            }
            return Ok(unseen);
        }
        FittedTransform::Categorical { levels } => {
            let n = levels.len();
            if matches!(value, FieldValue::Missing) {
                slot[n + 1] = 1.0;
            } else {
                match level_index(levels, value) {
                    Some(i) => slot[i] = 1.0,
                    None => {
                        slot[n] = 1.0;
                        return Ok(true);
                    }
                }
            }
        }
        FittedTransform::MultiSelect { separator, options } => {
            let n = options.len();
            let mut unseen = false;
            let selected = for_each_selection(value, separator, |o| {
                match options.iter().position(|k| k == o) {
                    Some(i) => slot[i] = 1.0,
                    None => {
                        slot[n] = 1.0;
                        unseen = true;
                    }
                }
            });
            if selected == 0 {
                slot[n + 1] = 1.0;
            }
            return Ok(unseen);
        }
        FittedTransform::Boolean { missing_indicator } => {
            // A value that is not yes or no is one training never saw: scored as missing.
            let b = bool_of(value);
            slot[0] = f64::from(u8::from(b == Some(true)));
            if *missing_indicator {
                slot[1] = f64::from(u8::from(b.is_none()));
            }
            return Ok(b.is_none() && !matches!(value, FieldValue::Missing));
        }
        FittedTransform::Email(rules) => match value {
            FieldValue::Missing => slot[EmailClass::ALL.len()] = 1.0,
            FieldValue::Text(s) => slot[email_class(s, rules).index()] = 1.0,
            _ => return Err(wrong(column, "an email address", value)),
        },
        FittedTransform::JobTitle => match value {
            FieldValue::Missing => slot[Seniority::ALL.len()] = 1.0,
            FieldValue::Text(s) => slot[seniority(s).index()] = 1.0,
            // A number or a JSON boolean where a title belongs reads as its text, as a CSV
            // cell holding `5` does ([`crate::value::title_text`]).
            v => slot[seniority(&crate::value::title_text(v)).index()] = 1.0,
        },
        FittedTransform::Timestamp {
            median_days_since,
            missing_indicator,
            max_days_since,
        } => {
            let ts = match value {
                v if is_no_date(v, number_tokens) => None,
                v => Some(
                    crate::value::field_time(v, date_order)
                        .ok_or_else(|| wrong_time(column, date_order, value))?,
                ),
            };
            let base = 1 + usize::from(*missing_indicator);
            let dated = match ts {
                Some(t) => Some((
                    t,
                    as_of.ok_or_else(|| Error::Feature {
                        column: column.to_string(),
                        problem: "no as_of time to compute days since".into(),
                    })?,
                )),
                None => None,
            };
            // A date after the scoring time was not known then: missing, and counted as a
            // value training did not see.
            let later = dated.is_some_and(|(t, as_of)| after_scoring(t, as_of));
            match dated.filter(|_| !later) {
                None => {
                    slot[0] = *median_days_since;
                    if *missing_indicator {
                        slot[1] = 1.0;
                    }
                    return Ok(later);
                }
                Some((t, as_of)) => {
                    let days = days_since(t, as_of);
                    let older = past_max_days(days, *max_days_since);
                    slot[0] = scored_days(days, *max_days_since);
                    let (month, weekday) = month_and_weekday(t);
                    slot[base + month] = 1.0;
                    slot[base + 12 + weekday] = 1.0;
                    return Ok(older);
                }
            }
        }
        FittedTransform::LeadAge { landmarks_days } => {
            let created = match value {
                // The zero time (`0`, `0000-00-00`) is an unset date: no creation time.
                v if is_unset_time(v, number_tokens) => {
                    return Err(Error::Feature {
                        column: column.to_string(),
                        problem: "missing: this model scores a lead by its age, so it needs the \
                                  lead's creation time"
                            .into(),
                    })
                }
                v => crate::value::field_time(v, date_order)
                    .ok_or_else(|| wrong_time(column, date_order, value))?,
            };
            let as_of = as_of.ok_or_else(|| Error::Feature {
                column: column.to_string(),
                problem: "no as_of time to compute the lead's age".into(),
            })?;
            let (age, _) =
                lead_age(created, as_of, landmarks_days).ok_or_else(|| Error::Feature {
                    column: column.to_string(),
                    problem: format!(
                        "the lead was created ({}) after the scoring time ({})",
                        crate::value::rfc3339(created),
                        crate::value::rfc3339(as_of)
                    ),
                })?;
            encode_age(age, landmarks_days, slot);
        }
    }
    Ok(false)
}

/// How far past the scoring time an event may lie before a request holding it is refused (a
/// day: an event after the scoring time is left out, one further ahead says the caller sent
/// another moment's data), and how far one date column's latest may run past the others'
/// before a flat file's "now" is said to lie after its export: a day.
pub const FUTURE_SLACK_SECONDS: i64 = 86_400;

/// Whether `t` lies more than [`FUTURE_SLACK_SECONDS`] after `as_of` (an event a request may
/// not hold; a flat file's date column planned ahead).
#[inline]
pub fn known_later(t: i64, as_of: i64) -> bool {
    t > as_of.saturating_add(FUTURE_SLACK_SECONDS)
}

/// Whether a date field `t` of a lead lies after `as_of`, beyond the clock skew a lead's
/// creation time is allowed ([`CREATED_SLACK_SECONDS`]): not known at `as_of` (a later
/// export's "last contacted", a scheduled follow-up), so a timestamp column reads it as
/// missing, in training, `evaluate`, `score`, the Python package and the server alike. With a
/// day's slack, training counted a "sales contacted" date of the next morning as known at the
/// lead's creation: the leads sales called first were the ones that converted, and the
/// holdout's AUC rose by 0.02 on what a lead scored on arrival never has.
#[inline]
pub fn after_scoring(t: i64, as_of: i64) -> bool {
    t > as_of.saturating_add(CREATED_SLACK_SECONDS)
}

/// Whether `days` since a date lie past a timestamp column's `max_days_since` (the training
/// featurizer clamps with the same rule).
#[inline]
pub fn past_max_days(days: f64, max_days_since: Option<f64>) -> bool {
    max_days_since.is_some_and(|m| days > m)
}

/// The days since a date a timestamp column scores: `days`, or `max_days_since` past it.
#[inline]
pub fn scored_days(days: f64, max_days_since: Option<f64>) -> f64 {
    max_days_since.map_or(days, |m| days.min(m))
}

/// Days from `t` to `as_of` (fractional; negative when `t` is after `as_of`).
pub fn days_since(t: i64, as_of: i64) -> f64 {
    (as_of - t) as f64 / SECONDS_PER_DAY
}

/// A lead's age in days at `as_of`, unclamped: 0 for one created within the clock-skew
/// slack after it ([`CREATED_SLACK_SECONDS`]), as [`lead_age`] scores it.
pub fn age_days(created: i64, as_of: i64) -> f64 {
    days_since(created.min(as_of), as_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A boolean against levels a CSV wrote as words (`True`/`False`) finds them, as a number
    /// finds the level written as its digits; `true` itself first.
    #[test]
    fn a_boolean_finds_the_level_that_says_it_in_other_words() {
        let levels: Vec<String> = ["True", "False", "Unknown"].map(String::from).to_vec();
        assert_eq!(level_index(&levels, FieldValue::Bool(true)), Some(0));
        assert_eq!(level_index(&levels, FieldValue::Bool(false)), Some(1));
        let exact: Vec<String> = ["yes", "true"].map(String::from).to_vec();
        assert_eq!(level_index(&exact, FieldValue::Bool(true)), Some(1));
        let none: Vec<String> = ["High", "Low"].map(String::from).to_vec();
        assert_eq!(level_index(&none, FieldValue::Bool(true)), None);
        let digits: Vec<String> = vec!["123456789012345678".into()];
        assert_eq!(
            level_index(&digits, FieldValue::Text("123456789012345678")),
            Some(0)
        );
        // A whole number written as a float finds the level training read from the number;
        // a level of its own, written so, is found first.
        let codes: Vec<String> = ["1", "3", "-2", "0"].map(String::from).to_vec();
        for (text, want) in [
            ("3.0", Some(1)),
            ("3.00", Some(1)),
            ("-2.0", Some(2)),
            ("-0.0", Some(3)),
            ("3.5", None),
            ("3.", None),
            ("03.0", None),
            ("a.0", None),
            ("3.0e0", None),
        ] {
            assert_eq!(level_index(&codes, FieldValue::Text(text)), want, "{text}");
        }
        let both: Vec<String> = ["3", "3.0"].map(String::from).to_vec();
        assert_eq!(level_index(&both, FieldValue::Text("3.0")), Some(1));
    }
    use crate::value::parse_timestamp;
    use std::collections::HashMap;

    /// An unset time: missing, the zero time, or a numeric missing token as a number or as
    /// its digits, signed (`-1.0`, as pandas writes `-1` in a column of floats).
    #[test]
    fn an_unset_time_is_missing_zero_or_a_numeric_token() {
        let tokens = [-1.0, 999.0];
        for v in [
            "-1",
            " -1.0 ",
            "-1.00",
            "999",
            "999.0",
            "0",
            "0000-00-00 00:00:00+02:00",
        ] {
            assert!(is_unset_time(FieldValue::Text(v), &tokens), "{v:?}");
        }
        for v in [-1.0, 0.0, 999.0] {
            assert!(is_unset_time(FieldValue::Number(v), &tokens), "{v}");
        }
        assert!(is_unset_time(FieldValue::Missing, &tokens));
        for v in ["-2.0", "--1", "-", "1", "2025-03-01", "-1e0", "1738220429"] {
            assert!(!is_unset_time(FieldValue::Text(v), &tokens), "{v:?}");
        }
        // Without tokens, only the zero time and missing.
        assert!(!is_unset_time(FieldValue::Text("-1.0"), &[]));
        assert!(!is_unset_time(FieldValue::Number(-1.0), &[]));
    }

    /// Names of any length are found (long ones in one shared list, compared whole), and a
    /// long name's table is not sized by its length.
    #[test]
    fn the_type_index_finds_long_names_without_a_table_per_length() {
        let long = |n: usize, c: char| std::iter::repeat_n(c, n).collect::<String>();
        let types = vec!["demo".to_string(), long(300, 'a'), long(5_000_000, 'b')];
        let other = vec![long(301, 'a'), long(256, 'c'), long(255, 'c')];
        let index = TypeIndex::default();
        for (i, name) in types.iter().chain(&other).enumerate() {
            assert_eq!(index.find(&types, &other, name), Some(i), "{}", name.len());
        }
        for name in [
            long(302, 'a'),
            long(299, 'a'),
            long(257, 'c'),
            "dem".to_string(),
        ] {
            assert_eq!(index.find(&types, &other, &name), None, "{}", name.len());
        }
        assert_eq!(index.table(&types, &other).len(), TYPE_INDEX_LENGTHS + 1);
    }

    fn spec() -> FittedSpec {
        FittedSpec {
            missing_tokens: vec!["".into(), "Select".into()],
            reference_time: parse_timestamp("2025-06-30"),
            columns: vec![
                FittedColumn {
                    name: "visits".into(),
                    transform: FittedTransform::Numeric {
                        median: 3.0,
                        missing_indicator: true,
                        log1p: true,
                        bin_edges: vec![1.0, 4.0],
                        range: Some([0.0, 50.0]),
                    },
                    part: Default::default(),
                    sum_of: Vec::new(),
                },
                FittedColumn {
                    name: "source".into(),
                    transform: FittedTransform::Categorical {
                        levels: vec!["Google".into(), "Referral".into()],
                    },
                    part: Default::default(),
                    sum_of: Vec::new(),
                },
                FittedColumn {
                    name: "webinar".into(),
                    transform: FittedTransform::Boolean {
                        missing_indicator: false,
                    },
                    part: Default::default(),
                    sum_of: Vec::new(),
                },
                FittedColumn {
                    name: "email".into(),
                    transform: FittedTransform::Email(EmailRules::default()),
                    part: Default::default(),
                    sum_of: Vec::new(),
                },
                FittedColumn {
                    name: "title".into(),
                    transform: FittedTransform::JobTitle,
                    part: Default::default(),
                    sum_of: Vec::new(),
                },
                FittedColumn {
                    name: "created".into(),
                    transform: FittedTransform::Timestamp {
                        median_days_since: 10.0,
                        missing_indicator: true,
                        max_days_since: None,
                    },
                    part: Default::default(),
                    sum_of: Vec::new(),
                },
            ],
            events: None,
            pairs: Vec::new(),
            decimal_comma: false,
            date_order: Default::default(),
            missing_lengths: Default::default(),
        }
    }

    /// A `sum_of` column reads its parts' numbers (text, numbers, decimal commas, tokens) and
    /// adds them in order; a missing or unreadable part makes it missing; its factor text
    /// names the sum the lead has.
    #[test]
    fn a_sum_column_adds_up_its_parts() {
        let mut s = spec();
        let numeric = |median: f64| FittedTransform::Numeric {
            median,
            missing_indicator: true,
            log1p: false,
            bin_edges: vec![],
            range: Some([0.0, 1000.0]),
        };
        s.columns.push(FittedColumn {
            name: "calls".into(),
            transform: numeric(2.0),
            part: Default::default(),
            sum_of: Vec::new(),
        });
        s.columns.push(FittedColumn {
            name: "all".into(),
            transform: numeric(7.0),
            part: Default::default(),
            sum_of: vec![0, 6],
        });
        let slot = |s: &FittedSpec, lead: &HashMap<String, String>| {
            let x = s.featurize(lead, None).unwrap();
            let at = s.width() - 2;
            (x[at], x[at + 1])
        };
        // 2 visits + 3.5 calls; a field named like the sum is not read.
        let l = lead(&[("visits", "2"), ("calls", "3.5"), ("all", "100")]);
        assert_eq!(slot(&s, &l), (5.5, 0.0));
        // A missing part (empty, a token, absent): the sum is missing, imputed.
        for l in [
            lead(&[("visits", "2"), ("calls", "")]),
            lead(&[("visits", "Select"), ("calls", "1")]),
            lead(&[("calls", "1")]),
        ] {
            assert_eq!(slot(&s, &l), (7.0, 1.0), "{l:?}");
        }
        // Numbers sent as numbers, and a decimal comma where the spec says so.
        let values = [FieldValue::Number(2.0)]
            .into_iter()
            .chain(std::iter::repeat_n(FieldValue::Missing, 5))
            .chain([FieldValue::Text("0.25"), FieldValue::Missing])
            .collect::<Vec<_>>();
        assert_eq!(s.column_value(&values, 7), FieldValue::Number(2.25));
        assert_eq!(s.column_value(&values, 0), FieldValue::Number(2.0));
        // The factor names the lead's sum.
        let groups = crate::explain::factor_groups(&s);
        let g = groups.iter().find(|g| g.name == "all").unwrap();
        let text = crate::explain::describe_row(&s, g, &values, &[], None);
        assert_eq!(text, "all = 2.25");
        s.decimal_comma = true;
        let l = lead(&[("visits", "1"), ("calls", "1,5")]);
        assert_eq!(slot(&s, &l), (2.5, 0.0));
        // A total that is a numeric missing token is missing, as training reads the column.
        s.decimal_comma = false;
        s.missing_tokens.push("6".into());
        s.missing_lengths = Default::default();
        let l = lead(&[("visits", "2"), ("calls", "4")]);
        assert_eq!(slot(&s, &l), (7.0, 1.0));
        // Finite parts whose sum is not: refused, naming the part that took it there (a
        // missing part before it still makes the total missing).
        let l = lead(&[("visits", "1e308"), ("calls", "1.7e308")]);
        match s.featurize(&l, None) {
            Err(Error::Feature { column, problem }) => {
                assert_eq!(column, "calls");
                assert!(
                    problem.contains("the total `all` (`visits`, `calls`)"),
                    "{problem}"
                );
            }
            other => panic!("{other:?}"),
        }
        let l = lead(&[("visits", ""), ("calls", "1.7e308")]);
        assert_eq!(slot(&s, &l), (7.0, 1.0));
    }

    /// A level that is literally `(other)` and the rare levels' feature get two names (the
    /// report drew two bars labelled `(other)`); an artifact that stored the unquoted name
    /// still matches its spec.
    #[test]
    fn a_level_named_other_is_not_the_rare_levels() {
        let t = FittedTransform::Categorical {
            levels: vec!["google".into(), "(other)".into()],
        };
        let names = t.feature_names("source");
        assert_eq!(
            names,
            [
                "source = google",
                "source = \"(other)\"",
                "source = (other)",
                "source is missing"
            ]
        );
        assert!(same_feature_name(&names[1], "source = (other)"));
        assert!(same_feature_name("x in [0.5, 1.25)", "x in [0.5, 1.25)"));
        assert!(!same_feature_name(&names[0], "source = bing"));
        let m = FittedTransform::MultiSelect {
            separator: ";".into(),
            options: vec!["(other)".into()],
        };
        assert_eq!(
            m.feature_names("tags")[..2],
            ["tags includes \"(other)\"", "tags includes (other)"]
        );
    }

    #[test]
    fn numbers_whose_csv_text_is_a_token_are_missing() {
        let tokens: Vec<String> = ["", "-1", "999", "2.5", "01", "NaN", "1e3"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(numeric_missing_tokens(&tokens), [-1.0, 999.0, 2.5]);
        let mut s = spec();
        s.missing_tokens = tokens;
        for x in [-1.0, 999.0, 2.5] {
            assert_eq!(
                s.normalize(FieldValue::Number(x)),
                FieldValue::Missing,
                "{x}"
            );
        }
        // `01` and `1e3` are not how a CSV writes 1 and 1000: those numbers stay numbers.
        for x in [1.0, 1000.0, -1.5, 0.0] {
            assert_eq!(
                s.normalize(FieldValue::Number(x)),
                FieldValue::Number(x),
                "{x}"
            );
        }
        assert_eq!(s.normalize(FieldValue::Text("-1")), FieldValue::Missing);
        assert_eq!(
            s.normalize(FieldValue::Text("-1.0")),
            FieldValue::Text("-1.0")
        );
        // In a numeric column (visits), text that reads as such a number is missing too.
        let features = |v: FieldValue<'_>| {
            let mut values: Vec<FieldValue<'_>> = vec![FieldValue::Missing; s.columns.len()];
            values[0] = v;
            let mut x = vec![0.0; s.width()];
            s.featurize_values_into(&values, &[], None, &mut x).unwrap();
            x
        };
        let missing = features(FieldValue::Missing);
        for v in [
            FieldValue::Text("-1.0"),
            FieldValue::Text("-1"),
            FieldValue::Number(-1.0),
            FieldValue::Text("999"),
        ] {
            assert_eq!(features(v), missing, "{v:?}");
        }
        assert_ne!(features(FieldValue::Text("-1.5")), missing);
        // Without numeric tokens, numbers are numbers.
        let plain = spec();
        assert_eq!(
            plain.normalize(FieldValue::Number(-1.0)),
            FieldValue::Number(-1.0)
        );
    }

    #[test]
    fn whitespace_only_text_is_the_empty_token() {
        let tokens = vec![String::new(), "NA".to_string()];
        let t = TokenLengths::default();
        for blank in [" ", "   ", "\t", " \r\n", "\u{a0}", "\u{b}"] {
            assert!(t.contains(&tokens, blank), "{blank:?}");
        }
        for kept in [" NA", "x", " x ", "0", "\u{e9}"] {
            assert!(!t.contains(&tokens, kept), "{kept:?}");
        }
        assert!(t.contains(&tokens, "NA") && t.contains(&tokens, ""));
        // Without the empty token, blank text is text.
        let only_na = vec!["NA".to_string()];
        assert!(!TokenLengths::default().contains(&only_na, "  "));
    }

    #[test]
    fn event_types_are_found_by_length_and_words() {
        // Short, 8 to 16 and longer names; two of one length; one pair equal but for the middle.
        let types: Vec<String> = [
            "open",
            "demo_request",
            "trial_signup",
            "pricing_page_visit_a",
            "pricing_page_visit",
        ]
        .map(String::from)
        .to_vec();
        let other: Vec<String> = ["pricing_xxxx_visit_a", "webinar"]
            .map(String::from)
            .to_vec();
        let index = TypeIndex::default();
        let all: Vec<&String> = types.iter().chain(&other).collect();
        for (i, t) in all.iter().enumerate() {
            assert_eq!(index.find(&types, &other, t), Some(i), "{t}");
        }
        for name in [
            "",
            "ope",
            "opem",
            "demo_requesT",
            "trial_signuq",
            "pricing_yyyy_visit_a",
            "pricing_page_visit_b",
            "webinar ",
            "Open",
        ] {
            assert_eq!(index.find(&types, &other, name), None, "{name:?}");
        }
        // Type ids: `10.0` (a float-written CSV, a client's text) is the type `10`; a model
        // trained before, whose type is `2.0` as written, still finds `2.0` itself.
        let ids: Vec<String> = ["10", "2.0", "11"].map(String::from).to_vec();
        let none: Vec<String> = Vec::new();
        let index = TypeIndex::default();
        for (name, want) in [
            ("10", Some(0)),
            ("10.0", Some(0)),
            ("10.00", Some(0)),
            ("2.0", Some(1)),
            ("2", None),
            ("11.5", None),
            ("1.0", None),
        ] {
            assert_eq!(index.find(&ids, &none, name), want, "{name:?}");
        }
    }

    #[test]
    fn active_days_do_not_depend_on_the_order_of_the_events() {
        let ev = FittedEvents {
            types: vec!["demo_request".into(), "page_view".into()],
            windows_days: vec![7, 30],
            half_life_days: 14.0,
            other_types: vec![],
            index: Default::default(),
            max: Vec::new(),
            days_since_held: false,
        };
        let as_of = 400 * 86_400 + 3_600;
        // 90 events over 30 days, several a day, one after as_of, one of an unseen type.
        let times: Vec<i64> = (0..90).map(|i| as_of - (i % 30) * 86_400 - i * 7).collect();
        let mut events: Vec<LeadEvent<'_>> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| LeadEvent {
                event_type: ["demo_request", "page_view", "webinar"][i % 3],
                occurred_at: t,
            })
            .collect();
        events.push(LeadEvent {
            event_type: "page_view",
            occurred_at: as_of + 86_400 * 5,
        });
        let encoded = |events: &[LeadEvent<'_>]| {
            let mut slot = vec![0.0; ev.width()];
            assert!(ev.encode(events, as_of, &mut slot), "webinar: unseen");
            slot
        };
        let shuffled = encoded(&events);
        events.sort_by_key(|e| e.occurred_at);
        let sorted = encoded(&events);
        let active = sorted[ev.width() - 1];
        assert_eq!(active.to_bits(), 30f64.ln_1p().to_bits(), "30 active days");
        // Sums of decay weights may round differently in another order; the rest is exact.
        for (i, (a, b)) in shuffled.iter().zip(&sorted).enumerate() {
            assert!(
                (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                "feature {i}: {a} vs {b}"
            );
        }
        events.reverse();
        assert_eq!(encoded(&events)[ev.width() - 1].to_bits(), active.to_bits());
    }

    #[test]
    fn an_output_of_the_wrong_length_is_an_error() {
        let spec = spec();
        let lead: HashMap<String, String> = HashMap::new();
        for len in [0, 1, spec.width() - 1, spec.width() + 1, spec.width() + 40] {
            let mut out = vec![0.0; len];
            let e = spec
                .featurize_into(&lead, Some(0), &mut out)
                .expect_err("a wrong length");
            assert!(
                e.to_string().contains(&format!(
                    "output has {len} slots, the spec makes {}",
                    spec.width()
                )),
                "{len}: {e}"
            );
        }
        let mut out = vec![f64::NAN; spec.width()];
        spec.featurize_into(&lead, Some(0), &mut out)
            .expect("the right length");
        assert!(out.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn names_of_older_artifacts_read_alike() {
        for (today, stored) in [
            ("x in [0.000123, 0.000246)", "x in [0, 0)"),
            ("x < -0.0004", "x < -0"),
            ("ratio in [0.325502, 0.656)", "ratio in [0.326, 0.656)"),
            ("q1 >= 5e-10", "q1 >= 0"),
            ("score 2events in [1, 2.5)", "score 2events in [1, 2.5)"),
            ("lead age: 0.5d", "lead age: 0.5d"),
        ] {
            assert_eq!(
                legacy_edge_names(today),
                legacy_edge_names(stored),
                "{today}"
            );
        }
        assert_ne!(
            legacy_edge_names("x in [0.5, 1)"),
            legacy_edge_names("x in [0.6, 1)")
        );
    }

    #[test]
    fn count_logs_are_ln_1p_bit_for_bit() {
        for n in (0..300)
            .map(f64::from)
            .chain([0.5, 2.25, 1e9, -1.0, f64::INFINITY])
        {
            assert_eq!(ln_1p_count(n).to_bits(), n.ln_1p().to_bits(), "{n}");
        }
        assert!(ln_1p_count(f64::NAN).is_nan());
    }

    /// A lead's counts past the training maxima are held to them; days since, `never` and the
    /// counts of a lead within them are as they were.
    #[test]
    fn event_counts_are_held_to_the_training_maxima() {
        let mut ev = FittedEvents {
            types: vec!["demo".into()],
            windows_days: vec![7],
            half_life_days: 14.0,
            other_types: Vec::new(),
            index: Default::default(),
            max: Vec::new(),
            days_since_held: false,
        };
        let as_of = 100 * 86_400;
        let burst: Vec<LeadEvent<'_>> = (0..5)
            .map(|i| LeadEvent {
                event_type: "demo",
                occurred_at: as_of - 3_600 - i,
            })
            .collect();
        let mut free = vec![0.0; ev.width()];
        assert_eq!(ev.encode_noting(&burst, as_of, &mut free), (false, false));
        // [7d count, decayed, days since, never, active days]
        ev.max = vec![3f64.ln_1p(), 1.5f64.ln_1p(), 0.0, 0.0, 2f64.ln_1p()];
        let mut held = vec![0.0; ev.width()];
        assert_eq!(ev.encode_noting(&burst, as_of, &mut held), (false, true));
        assert_eq!(held[0], 3f64.ln_1p());
        assert_eq!(held[1], 1.5f64.ln_1p());
        assert_eq!(
            held[2..],
            free[2..],
            "days since, never and 1 active day as they were"
        );
        let mut one = vec![0.0; ev.width()];
        assert_eq!(
            ev.encode_noting(&burst[..1], as_of, &mut one),
            (false, false)
        );
        assert_eq!(one[0], 1f64.ln_1p());
        // No event known: nothing to hold.
        let mut none = vec![0.0; ev.width()];
        assert_eq!(ev.encode_noting(&[], as_of, &mut none), (false, false));

        // Format 11: days since the last event held too, for a lead with one (an event every
        // training lead had within 30 days, now 314 days old); `never` keeps the cap.
        ev.max = vec![3f64.ln_1p(), 1.5f64.ln_1p(), 30.0, 1.0, 2f64.ln_1p()];
        ev.days_since_held = true;
        assert!(ev.is_held(2) && !ev.is_held(3) && ev.is_held(4));
        let old = [LeadEvent {
            event_type: "demo",
            occurred_at: as_of - 314 * 86_400,
        }];
        let mut slot = vec![0.0; ev.width()];
        assert_eq!(ev.encode_noting(&old, as_of, &mut slot), (false, true));
        assert_eq!(slot[2..4], [30.0, 0.0]);
        let recent = [LeadEvent {
            event_type: "demo",
            occurred_at: as_of - 10 * 86_400,
        }];
        let mut slot = vec![0.0; ev.width()];
        assert_eq!(ev.encode_noting(&recent, as_of, &mut slot), (false, false));
        assert_eq!(slot[2..4], [10.0, 0.0]);
        let other = [LeadEvent {
            event_type: "visit",
            occurred_at: as_of - 86_400,
        }];
        for events in [&other[..], &[]] {
            let mut slot = vec![0.0; ev.width()];
            assert!(!ev.encode_noting(events, as_of, &mut slot).1);
            assert_eq!(slot[2..4], [DAYS_SINCE_CAP, 1.0], "never, as it is");
        }
    }

    #[test]
    fn event_features_ignore_the_future_and_decay() {
        let ev = FittedEvents {
            types: vec!["demo_request".into(), "unsubscribe".into()],
            windows_days: vec![7, 30],
            half_life_days: 10.0,
            other_types: vec!["page_view".into()],
            index: Default::default(),
            max: Vec::new(),
            days_since_held: false,
        };
        assert!(ev.knows("page_view") && ev.knows("unsubscribe") && !ev.knows("dmeo_request"));
        let as_of = 100 * 86_400;
        let day = |d: i64| as_of - d * 86_400;
        let events = [
            LeadEvent {
                event_type: "demo_request",
                occurred_at: day(1),
            },
            LeadEvent {
                event_type: "demo_request",
                occurred_at: day(20),
            },
            LeadEvent {
                event_type: "page_view",
                occurred_at: day(3),
            },
            LeadEvent {
                event_type: "demo_request",
                occurred_at: as_of + 60,
            },
        ];
        let mut slot = vec![0.0; ev.width()];
        assert!(
            !ev.encode(&events, as_of, &mut slot),
            "page_view: a type without features, but seen in training"
        );
        assert_eq!(ev.feature_names().len(), ev.width());
        assert!((slot[0] - 1f64.ln_1p()).abs() < 1e-12, "7d count");
        assert!((slot[1] - 2f64.ln_1p()).abs() < 1e-12, "30d count");
        let decayed = 0.5f64.powf(0.1) + 0.5f64.powf(2.0);
        assert!((slot[2] - decayed.ln_1p()).abs() < 1e-12);
        assert!((slot[3] - 1.0).abs() < 1e-12, "days since last");
        assert_eq!(slot[4], 0.0);
        assert_eq!(
            &slot[5..10],
            &[0.0, 0.0, 0.0, DAYS_SINCE_CAP, 1.0],
            "never unsubscribed"
        );
        assert!(
            (slot[10] - 3f64.ln_1p()).abs() < 1e-12,
            "3 active days, the future one excluded"
        );
        // The future event changes nothing.
        let mut without = vec![0.0; ev.width()];
        ev.encode(&events[..3], as_of, &mut without);
        assert_eq!(slot, without);
    }

    /// A type training never saw is scored like a type without features (only the active
    /// days count it) and reported, when it was known at `as_of`; a later one is not.
    #[test]
    fn an_event_type_training_never_saw_counts_as_an_active_day_and_is_reported() {
        let ev = FittedEvents {
            types: vec!["demo_request".into()],
            windows_days: vec![7],
            half_life_days: 10.0,
            other_types: vec!["page_view".into()],
            index: Default::default(),
            max: Vec::new(),
            days_since_held: false,
        };
        let as_of = 100 * 86_400;
        let at = |event_type, days: i64| LeadEvent {
            event_type,
            occurred_at: as_of - days * 86_400,
        };
        let encode = |events: &[LeadEvent<'_>]| {
            let mut slot = vec![0.0; ev.width()];
            let unseen = ev.encode(events, as_of, &mut slot);
            (slot, unseen)
        };
        let (odd, unseen) = encode(&[at("demo_request", 1), at("chatbot_open", 2)]);
        assert!(unseen);
        let (seen, unseen) = encode(&[at("demo_request", 1), at("page_view", 2)]);
        assert!(!unseen);
        assert_eq!(odd, seen, "scored as a type without features");
        let (_, unseen) = encode(&[at("demo_request", 1), at("chatbot_open", -2)]);
        assert!(!unseen, "not known at as_of");

        // Through the spec: noted after the columns, named for callers.
        let mut spec = spec();
        let n = spec.columns.len();
        assert_eq!(spec.unseen_slots(), n);
        assert_eq!(spec.unseen_field(n), None, "no events, no events slot");
        spec.events = Some(ev.clone());
        let values = vec![FieldValue::Missing; n];
        let mut x = vec![0.0; spec.width()];
        let mut noted = Vec::new();
        spec.featurize_values_noting_unseen(
            &values,
            &[at("chatbot_open", 2)],
            Some(as_of),
            &mut x,
            &mut noted,
        )
        .unwrap();
        assert_eq!(noted, [n]);
        assert_eq!(spec.unseen_slots(), n + 1);
        assert_eq!(
            spec.unseen_field(n),
            Some(("events.event_type", "active days only"))
        );
        assert_eq!(
            spec.unseen_field(n + 1),
            None,
            "no maxima, no slot for them"
        );
        let mut with_max = spec.clone();
        let ev = with_max.events.as_mut().unwrap();
        ev.max = vec![1.0; ev.width()];
        assert_eq!(with_max.unseen_slots(), n + 2);
        assert_eq!(
            with_max.unseen_field(n + 1),
            Some(("events.count", "the most training saw"))
        );
        assert_eq!(with_max.unseen_name(n + 1), "events.count");
        assert_eq!(with_max.unseen_field(n + 2), None);
        assert_eq!(spec.unseen_name(n), "events.event_type");
        assert_eq!(spec.unseen_name(0), spec.columns[0].name);
    }

    #[test]
    fn many_events_and_types_leave_the_stack_buffers() {
        let types: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
        let ev = FittedEvents {
            types: types.clone(),
            windows_days: vec![7],
            half_life_days: 14.0,
            other_types: vec![],
            index: Default::default(),
            max: Vec::new(),
            days_since_held: false,
        };
        let as_of = 400 * 86_400;
        // 150 events on 100 distinct days, of every type.
        let events: Vec<LeadEvent<'_>> = (0..150)
            .map(|i| LeadEvent {
                event_type: &types[i % 20],
                occurred_at: as_of - (i as i64 % 100) * 86_400 - 3_600,
            })
            .collect();
        let mut slot = vec![0.0; ev.width()];
        ev.encode(&events, as_of, &mut slot);
        assert!((slot[ev.width() - 1] - 100f64.ln_1p()).abs() < 1e-12);
        let per = ev.per_type();
        assert_eq!(slot[19 * per + 3], 0.0, "type t19 was seen");
        assert!(slot[19 * per + 2] < 365.0);
    }

    #[test]
    fn values_in_column_order_match_the_keyed_path() {
        let s = spec();
        let l = lead(&[
            ("visits", "5"),
            ("source", "Referral"),
            ("email", "a@Gmail.com"),
            ("title", "VP Sales"),
            ("created", "2025-06-20 00:00:00"),
        ]);
        let values: Vec<FieldValue<'_>> = s.columns.iter().map(|c| l.field(&c.name)).collect();
        let mut a = vec![0.0; s.width()];
        s.featurize_values_into(&values, &[], None, &mut a).unwrap();
        assert_eq!(a, s.featurize(&l, None).unwrap());
        assert!(s
            .featurize_values_into(&values[1..], &[], None, &mut a)
            .is_err());
    }

    fn lead(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A timestamp field given as Unix seconds or milliseconds (a JSON number, or digits)
    /// encodes as the same time written as text; other numbers are refused naming the column.
    #[test]
    fn a_timestamp_field_takes_unix_times() {
        let s = spec();
        let as_of = parse_timestamp("2025-06-30T12:00:00Z");
        let text = s
            .featurize(&lead(&[("created", "2025-06-01T09:30:00Z")]), as_of)
            .unwrap();
        for value in [
            serde_json::json!(1_748_770_200),
            serde_json::json!(1_748_770_200_999_i64),
            serde_json::json!("1748770200"),
        ] {
            let mut fields = serde_json::Map::new();
            fields.insert("created".into(), value.clone());
            assert_eq!(s.featurize(&fields, as_of).unwrap(), text, "{value}");
        }
        // `0.0` where `0` is a missing token: missing, as training reads it.
        let mut with_zero = spec();
        with_zero.missing_tokens.push("0".into());
        let missing = with_zero.featurize(&lead(&[]), as_of).unwrap();
        assert_eq!(
            with_zero
                .featurize(&lead(&[("created", "0.0")]), as_of)
                .unwrap(),
            missing
        );
        // Text an export writes for "no date", listed as a missing token or not: missing, and
        // so read by drift's fill rates; a word that is no date is still refused.
        let none = s.featurize(&lead(&[]), as_of).unwrap();
        let created = s.columns.iter().position(|c| c.name == "created").unwrap();
        for placeholder in ["n/a", "-", "Never", " unknown ", "00/00/0000", "#N/A"] {
            assert_eq!(
                s.featurize(&lead(&[("created", placeholder)]), as_of)
                    .unwrap(),
                none,
                "{placeholder:?}"
            );
            assert!(s.reads_as_missing(created, FieldValue::Text(placeholder)));
        }
        assert!(s.featurize(&lead(&[("created", "soon")]), as_of).is_err());
        let mut fields = serde_json::Map::new();
        fields.insert("created".into(), serde_json::json!(20_250_601));
        let e = s.featurize(&fields, as_of).unwrap_err().to_string();
        assert!(
            e.contains("`created`") && e.contains("Unix seconds or milliseconds"),
            "{e}"
        );
    }

    #[test]
    fn names_match_width() {
        let s = spec();
        assert_eq!(s.features().len(), s.width());
        assert_eq!(s.width(), 5 + 4 + 1 + 7 + 7 + 21);
    }

    #[test]
    fn encodes_each_transform() {
        let s = spec();
        let l = lead(&[
            ("visits", "5"),
            ("source", "Referral"),
            ("webinar", "Yes"),
            ("email", "a@gmail.com"),
            ("title", "VP Sales"),
            ("created", "2025-06-20 00:00:00"),
        ]);
        let x = s.featurize(&l, None).unwrap();
        let names = s.features();
        let on: Vec<&str> = names
            .iter()
            .zip(&x)
            .filter(|(_, v)| **v == 1.0)
            .map(|(n, _)| n.name.as_str())
            .collect();
        assert_eq!(
            on,
            [
                "visits >= 4",
                "source = Referral",
                "webinar = yes",
                "email domain: free webmail",
                "title seniority: vp",
                "created: month = Jun",
                "created: weekday = Fri"
            ]
        );
        assert!((x[0] - 6f64.ln()).abs() < 1e-12);
        assert!((x[s.width() - 21] - 10.0).abs() < 1e-12);
    }

    #[test]
    fn missing_tokens_and_unknown_levels() {
        let s = spec();
        let x = s
            .featurize(&lead(&[("visits", "Select"), ("source", "Bing")]), None)
            .unwrap();
        assert!((x[0] - 4f64.ln()).abs() < 1e-12, "median imputed");
        assert_eq!(x[1], 1.0, "missing indicator");
        assert_eq!(x[3], 1.0, "median 3 is in [1, 4)");
        assert_eq!(x[5 + 2], 1.0, "unknown level -> other");
        let email_missing = 5 + 4 + 1 + 6;
        assert_eq!(x[email_missing], 1.0);
    }

    /// A placeholder for no value that the spec's missing tokens do not list (`n/a`, `-`,
    /// `Unknown` with spaces around it) is missing in a numeric column, as the polars pipeline
    /// reads it; `NaN` written as text is still a non-finite number, not a placeholder.
    #[test]
    fn placeholders_in_a_numeric_column_are_missing() {
        let s = spec();
        let missing = s.featurize(&lead(&[]), None).unwrap();
        for placeholder in [
            "n/a",
            "-",
            " Unknown ",
            "#N/A",
            "?",
            "(not set)",
            "Not Available",
            "—",
            " – ",
        ] {
            let x = s
                .featurize(&lead(&[("visits", placeholder)]), None)
                .unwrap();
            assert_eq!(x, missing, "{placeholder:?}");
            assert!(s.reads_as_missing(0, FieldValue::Text(placeholder)));
        }
        assert_eq!(read_number("n/a", false, &[]), Some(None));
        assert_eq!(read_number("ten", false, &[]), None);
        assert_eq!(read_number(" 12 ", false, &[]), Some(Some(12.0)));
    }

    #[test]
    fn wrong_values_name_the_column() {
        let s = spec();
        let e = s
            .featurize(&lead(&[("visits", "many")]), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`visits`") && e.contains("many"), "{e}");
        let e = s
            .featurize(&lead(&[("created", "yesterday")]), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`created`"), "{e}");
    }

    #[test]
    fn unseen_values_are_scored_as_missing_or_other_and_noted() {
        let s = spec();
        let names = s.features();
        let at = |name: &str| names.iter().position(|f| f.name == name).unwrap();
        let (webinar, other) = (at("webinar = yes"), at("source = (other)"));
        let seen = s.featurize(&lead(&[("webinar", "no")]), None).unwrap();
        for sent in [
            FieldValue::Text("perhaps"),
            FieldValue::Text("3"),
            FieldValue::Number(3.0),
        ] {
            let mut values: Vec<FieldValue<'_>> = vec![FieldValue::Missing; s.columns.len()];
            values[2] = sent;
            values[1] = FieldValue::Text("Bing");
            let mut x = vec![0.0; s.width()];
            let mut unseen = vec![99];
            s.featurize_values_noting_unseen(&values, &[], None, &mut x, &mut unseen)
                .unwrap();
            assert_eq!(unseen, [1, 2], "{sent:?}");
            assert_eq!(
                x[webinar], 0.0,
                "no missing indicator: scored as a missing `no`"
            );
            assert_eq!(x[other], 1.0);
            assert_eq!(x[webinar], seen[webinar]);
            assert!(s.columns[2].transform.is_unseen(sent));
        }
        // Seen values are not noted, whatever their form.
        let mut x = vec![0.0; s.width()];
        let mut unseen = Vec::new();
        let mut values: Vec<FieldValue<'_>> = vec![FieldValue::Missing; s.columns.len()];
        values[2] = FieldValue::Number(1.0);
        values[1] = FieldValue::Text("Google");
        s.featurize_values_noting_unseen(&values, &[], None, &mut x, &mut unseen)
            .unwrap();
        assert!(unseen.is_empty());
        assert_eq!(x[webinar], 1.0);
        assert!(!s.columns[2].transform.is_unseen(FieldValue::Missing));
        assert!(!s.columns[0].transform.is_unseen(FieldValue::Text("x")));
    }

    /// A date older than every training date is scored as the oldest one's days and noted;
    /// newer dates (a lead scored long after training) are not clamped; without
    /// `max_days_since` (artifacts before format 6) dates score unclamped.
    #[test]
    fn dates_older_than_training_score_as_the_oldest_and_are_noted() {
        let day = 86_400;
        let as_of = 20_000 * day;
        let t = FittedTransform::Timestamp {
            median_days_since: 10.0,
            missing_indicator: false,
            max_days_since: Some(400.0),
        };
        let cfg = &(false, DateOrder::default(), &[][..]);
        let encode = |t: &FittedTransform, text: &str| {
            let mut slot = vec![0.0; t.width()];
            let noted = encode_column(
                t,
                "signup",
                FieldValue::Text(text),
                Some(as_of),
                cfg,
                &mut slot,
            )
            .unwrap();
            (slot[0], noted)
        };
        // 1900-01-01 and 0001-01-01: the oldest training date's 400 days, noted.
        assert_eq!(encode(&t, "1900-01-01"), (400.0, true));
        assert_eq!(encode(&t, "0001-01-01"), (400.0, true));
        // 30 days before `as_of`: inside.
        let recent = crate::explain::date_text(as_of - 30 * day);
        assert_eq!(encode(&t, &recent), (30.0, false));
        assert!(past_max_days(400.5, Some(400.0)) && !past_max_days(400.0, Some(400.0)));
        assert_eq!(scored_days(30.0, Some(400.0)), 30.0);
        assert_eq!(scored_days(4e5, None), 4e5);
        assert_eq!(t.unseen_scored_as(), Some(FittedTransform::DATE_SCORED_AS));
        // Before format 6: unclamped, never noted.
        let mut json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["max_days_since"], serde_json::json!(400.0));
        json.as_object_mut().unwrap().remove("max_days_since");
        let old: FittedTransform = serde_json::from_value(json).unwrap();
        let (days, noted) = encode(&old, "1900-01-01");
        assert!(days > 40_000.0 && !noted);
    }

    #[test]
    fn numbers_outside_the_training_range_score_as_its_nearest_end_and_are_noted() {
        let s = spec(); // visits: training range [0, 50], log1p, edges 1 and 4
        let features = |v: FieldValue<'_>| {
            let mut values: Vec<FieldValue<'_>> = vec![FieldValue::Missing; s.columns.len()];
            values[0] = v;
            let mut x = vec![0.0; s.width()];
            let mut unseen = Vec::new();
            s.featurize_values_noting_unseen(&values, &[], None, &mut x, &mut unseen)
                .unwrap();
            (x, unseen)
        };
        let (top, none) = features(FieldValue::Number(50.0));
        assert!(none.is_empty(), "the largest training value is seen");
        let (bottom, _) = features(FieldValue::Number(0.0));
        for (sent, edge) in [
            (FieldValue::Number(1e20), &top),
            (FieldValue::Number(f64::MAX), &top),
            (FieldValue::Text("1e20"), &top),
            (FieldValue::Number(50.5), &top),
            (FieldValue::Number(-3.0), &bottom),
            (FieldValue::Text("-1e300"), &bottom),
        ] {
            let (x, unseen) = features(sent);
            assert_eq!(&x, edge, "{sent:?}");
            assert_eq!(unseen, [0], "{sent:?}");
            if let FieldValue::Number(_) = sent {
                assert!(s.columns[0].transform.is_unseen(sent), "{sent:?}");
            }
        }
        assert_eq!(
            s.unseen_field(0),
            Some(("visits", FittedTransform::NEAREST))
        );
        // Inside the range: the value itself (its log1p), not noted.
        let (x, unseen) = features(FieldValue::Number(20.0));
        assert!((x[0] - 21f64.ln()).abs() < 1e-12 && unseen.is_empty());
        // An artifact written before ranges (no `range`) scores the value as trained: unclamped.
        let mut json = serde_json::to_value(&s.columns[0].transform).unwrap();
        assert_eq!(json["range"], serde_json::json!([0.0, 50.0]));
        json.as_object_mut().unwrap().remove("range");
        let old: FittedTransform = serde_json::from_value(json).unwrap();
        assert!(matches!(old, FittedTransform::Numeric { range: None, .. }));
        assert!(!old.is_unseen(FieldValue::Number(1e20)));
        assert_eq!(old.unseen_scored_as(), None);
        let mut slot = vec![0.0; old.width()];
        let cfg = &(false, DateOrder::default(), &[][..]);
        let noted = encode_column(&old, "v", FieldValue::Number(1e20), None, cfg, &mut slot);
        assert!(!noted.unwrap());
        assert!((slot[0] - 1e20f64.ln()).abs() < 1e-9);
        // A damaged range (reversed) neither panics nor yields NaN.
        let bad = FittedTransform::Numeric {
            median: 1.0,
            missing_indicator: false,
            log1p: false,
            bin_edges: vec![],
            range: Some([5.0, 1.0]),
        };
        assert!(bad.scored_number(3.0).is_finite());
    }

    #[test]
    fn bins() {
        assert_eq!(bin_index(0.5, &[1.0, 4.0]), 0);
        assert_eq!(bin_index(1.0, &[1.0, 4.0]), 1);
        assert_eq!(bin_index(4.0, &[1.0, 4.0]), 2);
        assert_eq!(signed_log1p(-3.0), -(4f64.ln()));
    }
}
