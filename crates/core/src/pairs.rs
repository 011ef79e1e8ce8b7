//! Pairwise interaction terms: a few pairs of columns, each crossed into a small grid of cells
//! (`Occupation = Unemployed & Time on site in [300, 720)`), one indicator feature per cell.
//!
//! The model stays a logistic regression and its explanation stays exact: a pair is one more
//! factor group, whose contribution (against the average training lead) is the sum over its
//! cell features, so `baseline + fit + engagement` is still the log-odds.
//!
//! A pair reads its two columns through their own features (the design matrix's slots of each
//! column), never through the raw text again: the cell of a lead is a function of features the
//! parity tests already hold equal in training and serving, and [`PairSide::cell`] is the one
//! function both call (the polars pipeline per row, the server per lead).
//!
//! - numeric column: a few quantile bins of its value (edges on the raw scale), plus a
//!   `missing` cell when the column has a missing indicator;
//! - indicator columns (categorical, boolean, email class, job-title seniority): each of the
//!   column's features maps to a cell (the most frequent levels keep their own, the rest share
//!   `(other)`); a lead with none active (a boolean's `no`) is in the `otherwise` cell.
//!
//! Which pairs, and how many, is decided by training (`leadscore-train`'s pair search); the
//! spec's `[pairs]` section ([`PairSpec`]) can name pairs, change the candidates or turn the
//! search off.

use crate::explain::{level_of, value_as_read, Exact, Part, Quoted};
use crate::fitted::{bin_index, encode_column, signed_log1p, FittedSpec, FittedTransform};
use crate::value::{bool_of, echo, FieldValue};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How a pair sees one of its columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairSide {
    /// The column's name.
    pub column: String,
    /// Its position in [`FittedSpec::columns`] (checked against the name on load).
    pub index: usize,
    /// Each cell as a condition on the column, in cell order (`< 3`, `in [3, 10)`, `>= 10`,
    /// `is missing`; `= Unemployed`, `= (other)`, `is missing`; `= yes`, `= no`).
    pub cells: Vec<String>,
    /// How the column's features select the cell.
    pub rule: CellRule,
}

/// How a column's features select a pair cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CellRule {
    /// A numeric column: the bin of its (imputed) value given these inner edges on the raw
    /// scale (`k` edges make cells `0..=k`), or the cell after them when the column's missing
    /// indicator is on.
    Bins {
        /// Inner edges, ascending, on the raw scale (before log1p).
        edges: Vec<f64>,
    },
    /// A column of indicator features: the first active feature `k` selects `of_feature[k]`;
    /// none active selects `otherwise`.
    Indicators {
        /// The cell of each of the column's features.
        of_feature: Vec<usize>,
        /// The cell when no feature is active (a boolean's `no`).
        otherwise: usize,
    },
}

impl PairSide {
    /// The cell of a lead given its column's features `slot` (the column's part of the design
    /// matrix). `transform` is the column's; `None` when the two do not fit together (a damaged
    /// artifact: [`check`] refuses it on load).
    pub fn cell(&self, transform: &FittedTransform, slot: &[f64]) -> Option<usize> {
        match (&self.rule, transform) {
            (
                CellRule::Bins { edges },
                FittedTransform::Numeric {
                    missing_indicator,
                    log1p,
                    ..
                },
            ) => {
                if *missing_indicator && *slot.get(1)? != 0.0 {
                    return Some(edges.len() + 1);
                }
                let v = *slot.first()?;
                // The slot holds the transformed value: compare it with transformed edges
                // (log1p is increasing, so the bins are the raw-scale bins).
                Some(if *log1p {
                    edges.partition_point(|e| signed_log1p(*e) <= v)
                } else {
                    bin_index(v, edges)
                })
            }
            (
                CellRule::Indicators {
                    of_feature,
                    otherwise,
                },
                _,
            ) => Some(
                slot.iter()
                    .position(|v| *v != 0.0)
                    .map_or(Some(*otherwise), |k| of_feature.get(k).copied())?,
            ),
            _ => None,
        }
    }

    /// The cell of a raw value (normalized for missing tokens), through the column's own
    /// encoding; `None` when the value cannot be encoded.
    pub fn cell_of_value(
        &self,
        spec: &FittedSpec,
        value: FieldValue<'_>,
        as_of: Option<i64>,
    ) -> Option<usize> {
        let col = spec.columns.get(self.index)?;
        let mut slot = vec![0.0; col.transform.width()];
        encode_column(
            &col.transform,
            &col.name,
            spec.normalize(value),
            as_of,
            &spec.reading(),
            &mut slot,
        )
        .ok()?;
        self.cell(&col.transform, &slot)
    }
}

/// One interaction term: two columns crossed, one feature per kept cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPair {
    /// The first column (the heat map's rows).
    pub a: PairSide,
    /// The second column (the heat map's columns).
    pub b: PairSide,
    /// The cells with a feature, `(cell of a, cell of b)`, in feature order: those with enough
    /// training examples. A lead in another cell has every feature of the pair at 0.
    pub cells: Vec<(usize, usize)>,
}

impl FittedPair {
    /// `A x B`: the name of the pair's factor group and its features' column.
    pub fn name(&self) -> String {
        format!("{} x {}", self.a.column, self.b.column)
    }

    /// Features of the pair.
    pub fn width(&self) -> usize {
        self.cells.len()
    }

    /// Feature names, in output order: `A = Unemployed & B in [300, 720)`.
    pub fn feature_names(&self) -> Vec<String> {
        self.cells
            .iter()
            .map(|&(i, j)| {
                format!(
                    "{} {} & {} {}",
                    self.a.column,
                    self.a.cells.get(i).map_or("?", String::as_str),
                    self.b.column,
                    self.b.cells.get(j).map_or("?", String::as_str)
                )
            })
            .collect()
    }

    /// The feature of cell `(i, j)`, if it has one.
    pub fn feature_of(&self, i: usize, j: usize) -> Option<usize> {
        self.cells.iter().position(|c| *c == (i, j))
    }

    /// Fit when both columns are fit, else engagement.
    pub fn part(&self, spec: &FittedSpec) -> Part {
        let part = |s: &PairSide| spec.columns.get(s.index).map_or(Part::Fit, |c| c.part);
        if part(&self.a) == Part::Fit && part(&self.b) == Part::Fit {
            Part::Fit
        } else {
            Part::Engagement
        }
    }

    /// Writes the pair's features (`slot`, zeroed, [`FittedPair::width`] long) from the
    /// features of its two columns.
    pub fn encode(
        &self,
        a: (&FittedTransform, &[f64]),
        b: (&FittedTransform, &[f64]),
        slot: &mut [f64],
    ) -> Option<()> {
        let i = self.a.cell(a.0, a.1)?;
        let j = self.b.cell(b.0, b.1)?;
        if let Some(k) = self.feature_of(i, j) {
            *slot.get_mut(k)? = 1.0;
        }
        Some(())
    }
}

/// Where each column's features start in the design matrix.
pub fn column_offsets(spec: &FittedSpec) -> Vec<usize> {
    let mut at = 0;
    spec.columns
        .iter()
        .map(|c| {
            let start = at;
            at += c.transform.width();
            start
        })
        .collect()
}

/// Writes every pair's features into `out` (the pairs' part of the design matrix) from the
/// column features in `x` (at least [`FittedSpec::columns_width`] long).
pub(crate) fn encode_pairs(spec: &FittedSpec, x: &[f64], out: &mut [f64]) -> Option<()> {
    // Column offsets without allocating for the usual sizes (this runs per lead when serving).
    let mut stack = [0usize; 64];
    let heap: Vec<usize>;
    let offsets: &[usize] = if spec.columns.len() <= stack.len() {
        let mut at = 0;
        for (k, c) in spec.columns.iter().enumerate() {
            stack[k] = at;
            at += c.transform.width();
        }
        &stack[..spec.columns.len()]
    } else {
        heap = column_offsets(spec);
        &heap
    };
    let side = |s: &PairSide| -> Option<(&FittedTransform, &[f64])> {
        let t = &spec.columns.get(s.index)?.transform;
        let start = *offsets.get(s.index)?;
        Some((t, x.get(start..start + t.width())?))
    };
    let mut at = 0;
    for p in &spec.pairs {
        let w = p.width();
        p.encode(side(&p.a)?, side(&p.b)?, out.get_mut(at..at + w)?)?;
        at += w;
    }
    Some(())
}

/// Checks the pairs of a fitted spec against its columns: each side names a column at its
/// index, its rule fits the column's transform, every cell index is in range, cells are
/// distinct.
pub fn check(spec: &FittedSpec) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for p in &spec.pairs {
        let name = p.name();
        if !seen.insert((p.a.index, p.b.index)) || p.a.index == p.b.index {
            return Err(format!(
                "pair `{name}` repeats another pair or pairs a column with itself"
            ));
        }
        for s in [&p.a, &p.b] {
            let col = spec.columns.get(s.index).filter(|c| c.name == s.column);
            let Some(col) = col else {
                return Err(format!(
                    "pair `{name}`: column `{}` is not column {} of the spec",
                    s.column, s.index
                ));
            };
            let n = s.cells.len();
            let ok = match (&s.rule, &col.transform) {
                (
                    CellRule::Bins { edges },
                    FittedTransform::Numeric {
                        missing_indicator, ..
                    },
                ) => {
                    edges.windows(2).all(|w| w[0] < w[1])
                        && edges.iter().all(|e| e.is_finite())
                        && n == edges.len() + 1 + usize::from(*missing_indicator)
                }
                (
                    CellRule::Indicators {
                        of_feature,
                        otherwise,
                    },
                    FittedTransform::Categorical { .. }
                    | FittedTransform::Boolean { .. }
                    | FittedTransform::Email(_)
                    | FittedTransform::JobTitle,
                ) => {
                    of_feature.len() == col.transform.width()
                        && of_feature.iter().all(|c| *c < n)
                        && *otherwise < n
                }
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "pair `{name}`: its cells of column `{}` do not fit the column's transform",
                    s.column
                ));
            }
        }
        let mut cells = std::collections::HashSet::new();
        for &(i, j) in &p.cells {
            if i >= p.a.cells.len() || j >= p.b.cells.len() || !cells.insert((i, j)) {
                return Err(format!(
                    "pair `{name}`: cell ({i}, {j}) is out of range or repeated"
                ));
            }
        }
    }
    Ok(())
}

/// A side's part of a factor's text, from the lead's own value, shown as the column's own
/// factor shows it: `Occupation = "Unemployed"`, `Country = "Kenya" (other)`, `Time on site =
/// 412 (in [300, 720))` (the number as the lead has it: 1.9996, not a rounded 2 beside `(< 2)`),
/// `Newsletter = "maybe" (scored as no)`, `City missing`.
fn describe_side(
    spec: &FittedSpec,
    side: &PairSide,
    value: FieldValue<'_>,
    as_of: Option<i64>,
) -> String {
    let column = &side.column;
    let Some(col) = spec.columns.get(side.index) else {
        return column.clone();
    };
    let value = value_as_read(spec, &col.transform, value);
    let cell = side.cell_of_value(spec, value, as_of);
    let label = cell.and_then(|c| side.cells.get(c)).map(String::as_str);
    let scored_as = |l: &str| match l {
        "is missing" => "missing".to_string(),
        l => l.strip_prefix("= ").unwrap_or(l).to_string(),
    };
    if matches!(value, FieldValue::Missing) {
        return match label {
            Some("is missing") | None => format!("{column} missing"),
            // No missing cell: the value was imputed (a median's bin, a boolean's no).
            Some(l) => format!("{column} missing (scored as {})", scored_as(l)),
        };
    }
    match (&col.transform, label) {
        (FittedTransform::Numeric { .. }, Some(l)) => match value {
            FieldValue::Number(x) => format!("{column} = {} ({l})", Exact(x)),
            other => format!("{column} = {} ({l})", echo(other)),
        },
        // The value as the column's factor echoes it (untrimmed text, `true`, `1.23456`).
        (FittedTransform::Categorical { .. }, Some("= (other)")) => {
            format!("{column} = {} (other)", echo(value))
        }
        (FittedTransform::Categorical { .. }, Some(_)) => match value {
            FieldValue::Text(s) => format!("{column} = {}", Quoted(s)),
            other => format!("{column} = {}", Quoted(&level_of(other))),
        },
        // A value that is not yes or no is scored as missing (or as no).
        (FittedTransform::Boolean { .. }, Some(l)) if bool_of(value).is_none() => {
            format!("{column} = {} (scored as {})", echo(value), scored_as(l))
        }
        (_, Some(l)) => format!("{column} {l}"),
        (_, None) => format!("{column} = {}", echo(value)),
    }
}

/// Names a pair factor by the lead's own values: `Occupation = "Unemployed" & Time on site =
/// 412 (in [300, 720))`. `values` are the lead's values in [`FittedSpec::columns`] order.
pub fn describe_pair(
    spec: &FittedSpec,
    pair: &FittedPair,
    values: &[FieldValue<'_>],
    as_of: Option<i64>,
) -> String {
    let value = |s: &PairSide| spec.column_value(values, s.index);
    format!(
        "{} & {}",
        describe_side(spec, &pair.a, value(&pair.a), as_of),
        describe_side(spec, &pair.b, value(&pair.b), as_of)
    )
}

/// The condition strings of numeric bins: `< e0`, `in [e0, e1)`, ..., `>= ek`.
pub fn bin_labels(edges: &[f64]) -> Vec<String> {
    let f = crate::fitted::fmt_edge;
    if edges.is_empty() {
        return vec!["(any value)".into()];
    }
    let mut out = vec![format!("< {}", f(edges[0]))];
    out.extend(
        edges
            .windows(2)
            .map(|w| format!("in [{}, {})", f(w[0]), f(w[1]))),
    );
    out.push(format!(">= {}", f(edges[edges.len() - 1])));
    out
}

/// Whether a column of this transform can be paired: numeric, categorical, boolean, email
/// and job-title columns (not timestamps).
pub fn pairable(kind: crate::spec::TransformKind) -> bool {
    use crate::spec::TransformKind as K;
    matches!(
        kind,
        K::Numeric | K::Categorical | K::Boolean | K::Email | K::JobTitle
    )
}

/// How many searched pairs a model gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PairCount {
    /// Chosen by cross-validation among [`PairSpec::candidates`] (written `"auto"`).
    #[default]
    Auto,
    /// The best `n` of the ranking (0 = no search).
    Fixed(usize),
}

impl std::fmt::Display for PairCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Fixed(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for PairCount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Auto => s.serialize_str("auto"),
            Self::Fixed(n) => s.serialize_u64(*n as u64),
        }
    }
}

impl<'de> Deserialize<'de> for PairCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = PairCount;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"auto\" or a number of pairs (0 = none)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PairCount, E> {
                match v {
                    "auto" => Ok(PairCount::Auto),
                    "off" | "none" => Ok(PairCount::Fixed(0)),
                    _ => v.parse::<usize>().map(PairCount::Fixed).map_err(|_| {
                        E::custom(format!(
                            "pairs count {v:?}: expected \"auto\", \"off\" or a number of pairs"
                        ))
                    }),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PairCount, E> {
                usize::try_from(v)
                    .map(PairCount::Fixed)
                    .map_err(|_| E::custom("pairs count is too large"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PairCount, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("pairs count {v} is negative")))
                    .and_then(|v| self.visit_u64(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Most pairs a model may get (searched and named together).
pub const MAX_PAIRS: usize = 64;

/// Candidates for the number of searched pairs when the spec names none.
pub const DEFAULT_CANDIDATES: [usize; 5] = [0, 4, 8, 16, 32];

fn default_candidates() -> Vec<usize> {
    DEFAULT_CANDIDATES.to_vec()
}

/// The spec's `[pairs]` section: which interaction terms training adds. Without it, training
/// searches (`count = "auto"`, candidates 0, 4, 8, 16 and 32).
///
/// ```toml
/// [pairs]
/// count = "auto"             # or a number: the best N of the ranking; 0 or "off": no search
/// candidates = [0, 4, 8, 16, 32]  # the numbers of pairs cross-validation compares
/// include = [["What is your current occupation", "Total Time Spent on Website"]]
/// exclude = ["Country"]      # columns the search never pairs
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    /// How many searched pairs.
    #[serde(default)]
    pub count: PairCount,
    /// The numbers of searched pairs compared by cross-validation (`count = "auto"`).
    #[serde(default = "default_candidates")]
    pub candidates: Vec<usize>,
    /// Pairs always in the model (beside the searched ones), by column name.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "two_names_each"
    )]
    pub include: Vec<[String; 2]>,
    /// Columns the search never pairs (a named pair may still use them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// `[pairs] include`: lists of exactly two column names (a fixed-size array would take the
/// first two of a longer list and drop the rest without a word).
fn two_names_each<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<[String; 2]>, D::Error> {
    Vec::<Vec<String>>::deserialize(d)?
        .into_iter()
        .map(|names| match <[String; 2]>::try_from(names) {
            Ok(pair) => Ok(pair),
            Err(names) => Err(serde::de::Error::custom(format!(
                "[pairs] include: a pair names two columns, this one {} ({})",
                names.len(),
                names
                    .iter()
                    .map(|n| format!("`{}`", n.chars().take(100).collect::<String>()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        })
        .collect()
}

impl Default for PairSpec {
    fn default() -> Self {
        Self {
            count: PairCount::Auto,
            candidates: default_candidates(),
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

impl PairSpec {
    /// Checks the section against the spec's columns: `columns` are the feature columns with
    /// whether each can be paired (numeric, categorical, boolean, email, job title).
    pub fn check(&self, columns: &[(&str, bool)]) -> Result<(), String> {
        let pairable = |name: &str, what: &str| -> Result<(), String> {
            match columns.iter().find(|(n, _)| *n == name) {
                Some((_, true)) => Ok(()),
                Some((_, false)) => Err(format!(
                    "[pairs] {what}: column `{name}` cannot be paired (only numeric, \
                     categorical, boolean, email and job_title columns can)"
                )),
                None => Err(format!(
                    "[pairs] {what}: `{name}` is not a feature column of the spec"
                )),
            }
        };
        if let PairCount::Fixed(n) = self.count {
            if n > MAX_PAIRS {
                return Err(format!("[pairs] count = {n} is more than {MAX_PAIRS}"));
            }
        }
        if self.candidates.is_empty() {
            return Err("[pairs] candidates lists no number of pairs".into());
        }
        if let Some(c) = self.candidates.iter().find(|c| **c > MAX_PAIRS) {
            return Err(format!(
                "[pairs] candidates: {c} is more than {MAX_PAIRS} pairs"
            ));
        }
        if self.include.len() > MAX_PAIRS {
            return Err(format!(
                "[pairs] include names {} pairs, more than {MAX_PAIRS}",
                self.include.len()
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for [a, b] in &self.include {
            pairable(a, "include")?;
            pairable(b, "include")?;
            if a == b {
                return Err(format!("[pairs] include pairs `{a}` with itself"));
            }
            let key = if a < b { (a, b) } else { (b, a) };
            if !seen.insert(key) {
                return Err(format!("[pairs] include names `{a}` x `{b}` twice"));
            }
        }
        for c in &self.exclude {
            if !columns.iter().any(|(n, _)| n == c) {
                return Err(format!(
                    "[pairs] exclude: `{c}` is not a feature column of the spec"
                ));
            }
        }
        Ok(())
    }

    /// Whether training searches for pairs at all.
    pub fn searches(&self) -> bool {
        match self.count {
            PairCount::Auto => self.candidates.iter().any(|c| *c > 0),
            PairCount::Fixed(n) => n > 0,
        }
    }
}

/// How the pairs of a model were chosen: the provenance's `pairs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairSearch {
    /// `auto`, or the fixed number of searched pairs.
    pub count: String,
    /// Columns the search paired.
    pub columns: Vec<String>,
    /// Training examples the ranking and the cross-validation used (all of the training split,
    /// or a seeded sample of its leads on large data).
    pub rows: u64,
    /// The best candidate pairs by gain, best first (at most 20, then the ones chosen).
    pub ranked: Vec<RankedPair>,
    /// The numbers of pairs compared, with their cross-validation scores (empty for a fixed
    /// count).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<PairCandidate>,
    /// The penalty the candidates were compared at (the one the penalty search chose).
    pub alpha: f64,
    /// Cross-validation folds (those of the penalty search).
    pub folds: usize,
    /// Counts tried beyond the candidates because the largest candidate did best (half as
    /// many again, one step; also listed in `candidates`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended: Vec<usize>,
    /// Candidate counts not cross-validated: the search stopped at a count that did no better
    /// than the best before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_tried: Vec<usize>,
    /// Searched pairs kept.
    pub chosen: usize,
    /// Pairs the spec names (always kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named: Vec<String>,
    /// Columns left out of the search as copies of another: `[column, the earlier column]`
    /// whose coarse cells split the training examples the same way (a charge that is a fixed
    /// rate times the minutes, an amount in two currencies), so every pair with one would
    /// repeat a pair with the other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<[String; 2]>,
    /// Quantile cells a numeric column is cut into for its pairs (absent in artifacts written
    /// before the search compared two cuts: 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric_cells: Option<usize>,
    /// The other cut the search compared by cross-validation (on the same rows and folds),
    /// when it compared one: it ran only when the first search kept pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cells_compared: Option<CellsCompared>,
    /// The penalty cross-validated again with the chosen pairs (the same rows and folds, each
    /// fold with its own ranked pairs): `alpha` first, then the others tried. Empty when the
    /// count was not chosen by cross-validation or none was kept (and in artifacts written
    /// before: their model with pairs was fitted at `alpha`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub penalties: Vec<PairPenalty>,
    /// The penalty the model with its pairs was fitted at, when it is not `alpha`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refit_alpha: Option<f64>,
}

/// A penalty cross-validated with the chosen pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairPenalty {
    /// The penalty (alpha = 1/C).
    pub alpha: f64,
    /// Pooled out-of-fold log loss.
    pub cv_log_loss: f64,
    /// Pooled out-of-fold ROC AUC.
    pub cv_roc_auc: f64,
}

/// The pair search run with another number of cells per numeric column: what it chose and its
/// cross-validation scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellsCompared {
    /// Quantile cells per numeric column.
    pub numeric_cells: usize,
    /// Searched pairs it kept.
    pub pairs: usize,
    /// Pooled out-of-fold log loss of its chosen count.
    pub cv_log_loss: f64,
    /// Pooled out-of-fold ROC AUC of its chosen count.
    pub cv_roc_auc: f64,
}

/// One ranked candidate pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedPair {
    /// `A x B`.
    pub name: String,
    /// Gain on the training residuals of the model without pairs: the log-likelihood a
    /// piecewise-constant term on the pair's cells would add beyond its two columns' own cells,
    /// less what noise alone would add (so a pair with no interaction scores about 0).
    pub gain: f64,
    /// Cells of the pair's grid.
    pub cells: usize,
}

/// One candidate number of pairs, cross-validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairCandidate {
    /// Searched pairs (the best `pairs` of the ranking).
    pub pairs: usize,
    /// Features of the model.
    pub features: usize,
    /// Pooled out-of-fold log loss.
    pub cv_log_loss: f64,
    /// Pooled out-of-fold ROC AUC.
    pub cv_roc_auc: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fitted::FittedColumn;
    use std::collections::HashMap;

    pub(crate) fn spec() -> FittedSpec {
        let col = |name: &str, transform| FittedColumn {
            name: name.into(),
            transform,
            part: Part::Fit,
            sum_of: Vec::new(),
        };
        let mut s = FittedSpec {
            missing_tokens: vec!["".into()],
            reference_time: None,
            columns: vec![
                col(
                    "visits",
                    FittedTransform::Numeric {
                        median: 3.0,
                        missing_indicator: true,
                        log1p: true,
                        bin_edges: vec![2.0],
                        range: None,
                    },
                ),
                col(
                    "source",
                    FittedTransform::Categorical {
                        levels: vec!["Web".into(), "Ads".into(), "Fair".into()],
                    },
                ),
                col(
                    "webinar",
                    FittedTransform::Boolean {
                        missing_indicator: false,
                    },
                ),
            ],
            events: None,
            pairs: Vec::new(),
            decimal_comma: false,
            date_order: Default::default(),
            missing_lengths: Default::default(),
        };
        s.pairs = vec![
            FittedPair {
                a: PairSide {
                    column: "source".into(),
                    index: 1,
                    cells: vec![
                        "= Web".into(),
                        "= Ads".into(),
                        "= (other)".into(),
                        "is missing".into(),
                    ],
                    rule: CellRule::Indicators {
                        of_feature: vec![0, 1, 2, 2, 3],
                        otherwise: 2,
                    },
                },
                b: PairSide {
                    column: "visits".into(),
                    index: 0,
                    cells: vec![
                        "< 1".into(),
                        "in [1, 5)".into(),
                        ">= 5".into(),
                        "is missing".into(),
                    ],
                    rule: CellRule::Bins {
                        edges: vec![1.0, 5.0],
                    },
                },
                cells: vec![(0, 0), (0, 1), (0, 2), (1, 1), (2, 2), (3, 3), (2, 3)],
            },
            FittedPair {
                a: PairSide {
                    column: "webinar".into(),
                    index: 2,
                    cells: vec!["= yes".into(), "= no".into()],
                    rule: CellRule::Indicators {
                        of_feature: vec![0],
                        otherwise: 1,
                    },
                },
                b: PairSide {
                    column: "source".into(),
                    index: 1,
                    cells: vec!["= Web".into(), "= (other)".into()],
                    rule: CellRule::Indicators {
                        of_feature: vec![0, 1, 1, 1, 1],
                        otherwise: 1,
                    },
                },
                cells: vec![(0, 0), (1, 0), (0, 1), (1, 1)],
            },
        ];
        s
    }

    fn lead(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pair_features_follow_the_cells_of_both_columns() {
        let s = spec();
        check(&s).unwrap();
        let main = s.columns_width();
        assert_eq!(s.width(), main + 7 + 4);
        let names: Vec<String> = s.features().into_iter().map(|f| f.name).collect();
        assert_eq!(names[main], "source = Web & visits < 1");
        assert_eq!(names[main + 7], "webinar = yes & source = Web");
        let on = |l: &HashMap<String, String>| -> Vec<String> {
            let x = s.featurize(l, None).unwrap();
            (main..s.width())
                .filter(|&j| x[j] == 1.0)
                .map(|j| names[j].clone())
                .collect()
        };
        assert_eq!(
            on(&lead(&[
                ("source", "Ads"),
                ("visits", "4"),
                ("webinar", "yes")
            ])),
            [
                "source = Ads & visits in [1, 5)",
                "webinar = yes & source = (other)"
            ]
        );
        // 5 is on an edge (goes up, as bins do), a level outside the pair's goes to other, a
        // lead with no webinar answer is a `no`.
        assert_eq!(
            on(&lead(&[("source", "Fair"), ("visits", "5")])),
            [
                "source = (other) & visits >= 5",
                "webinar = no & source = (other)"
            ]
        );
        // Missing visits: the missing cell, even though the value is imputed with the median.
        assert_eq!(
            on(&lead(&[("source", "")])),
            [
                "source is missing & visits is missing",
                "webinar = no & source = (other)"
            ]
        );
        // A cell without a feature (Ads & >= 5) leaves the pair's features at 0.
        assert_eq!(
            on(&lead(&[
                ("source", "Ads"),
                ("visits", "9"),
                ("webinar", "no")
            ])),
            ["webinar = no & source = (other)"]
        );
    }

    #[test]
    fn pair_factors_name_the_leads_own_values() {
        let s = spec();
        let values = [
            FieldValue::Text("412"),
            FieldValue::Text("Fair"),
            FieldValue::Missing,
        ];
        assert_eq!(
            describe_pair(&s, &s.pairs[0], &values, None),
            "source = \"Fair\" (other) & visits = 412 (>= 5)"
        );
        assert_eq!(
            describe_pair(&s, &s.pairs[1], &values, None),
            "webinar missing (scored as no) & source = \"Fair\" (other)"
        );
        let values = [
            FieldValue::Missing,
            FieldValue::Text("Web"),
            FieldValue::Bool(true),
        ];
        assert_eq!(
            describe_pair(&s, &s.pairs[0], &values, None),
            "source = \"Web\" & visits missing"
        );
        assert_eq!(
            describe_pair(&s, &s.pairs[1], &values, None),
            "webinar = yes & source = \"Web\""
        );
    }

    /// The value a side names is the lead's, as the column's own factor shows it: a number in
    /// full (0.9996 rounded would read as 1, beside its cell `< 1`), a yes/no value training
    /// did not see as sent and what it was scored as, a level outside the kept ones untrimmed
    /// (` Web ` is not `Web`), and numbers or yes/no in a text column as sent.
    #[test]
    fn pair_sides_show_the_value_as_the_lead_has_it() {
        let s = spec();
        let side = |values: [FieldValue<'_>; 3], pair: usize| {
            describe_pair(&s, &s.pairs[pair], &values, None)
        };
        assert_eq!(
            side(
                [
                    FieldValue::Number(0.9996),
                    FieldValue::Text("Web"),
                    FieldValue::Missing
                ],
                0
            ),
            "source = \"Web\" & visits = 0.9996 (< 1)"
        );
        assert_eq!(
            side(
                [
                    FieldValue::Text("4.99999"),
                    FieldValue::Text(" Web "),
                    FieldValue::Text("maybe")
                ],
                0
            ),
            "source = \" Web \" (other) & visits = 4.99999 (in [1, 5))"
        );
        assert_eq!(
            side(
                [
                    FieldValue::Missing,
                    FieldValue::Bool(true),
                    FieldValue::Text("maybe")
                ],
                1
            ),
            "webinar = \"maybe\" (scored as no) & source = true (other)"
        );
        assert_eq!(
            side(
                [
                    FieldValue::Missing,
                    FieldValue::Number(1.23456),
                    FieldValue::Number(3.0)
                ],
                1
            ),
            "webinar = 3 (scored as no) & source = 1.23456 (other)"
        );
    }

    #[test]
    fn damaged_pairs_are_refused() {
        let mut s = spec();
        s.pairs[0].a.index = 0;
        assert!(check(&s).unwrap_err().contains("source"));
        let mut s = spec();
        s.pairs[0].b.rule = CellRule::Bins { edges: vec![1.0] };
        assert!(check(&s).unwrap_err().contains("visits"));
        let mut s = spec();
        s.pairs[1].cells.push((0, 0));
        assert!(check(&s).unwrap_err().contains("repeated"));
        let mut s = spec();
        s.pairs[1].b.rule = CellRule::Indicators {
            of_feature: vec![0, 1],
            otherwise: 1,
        };
        assert!(check(&s).is_err());
        // A featurizer given a damaged spec fails instead of panicking.
        let mut s = spec();
        s.pairs[0].a.index = 7;
        assert!(s.featurize(&lead(&[]), None).is_err());
    }

    #[test]
    fn pair_spec_parses_counts_and_checks_columns() {
        #[derive(Deserialize)]
        struct W {
            pairs: PairSpec,
        }
        let p = |t: &str| toml::from_str::<W>(t).map(|w| w.pairs);
        assert_eq!(p("[pairs]").unwrap(), PairSpec::default());
        assert_eq!(p("[pairs]\ncount = 3").unwrap().count, PairCount::Fixed(3));
        assert_eq!(
            p("[pairs]\ncount = \"off\"").unwrap().count,
            PairCount::Fixed(0)
        );
        assert!(!p("[pairs]\ncount = \"off\"").unwrap().searches());
        assert!(p("[pairs]\ncount = \"many\"")
            .err()
            .unwrap()
            .to_string()
            .contains("many"));
        assert!(p("[pairs]\ncount = -1").is_err());
        assert!(p("[pairs]\nsearch = true").is_err());
        let cols = [("a", true), ("b", true), ("t", false)];
        let with = |t: &str| p(t).unwrap().check(&cols);
        assert!(with("[pairs]\ninclude = [[\"a\", \"b\"]]").is_ok());
        assert!(with("[pairs]\ninclude = [[\"a\", \"t\"]]")
            .unwrap_err()
            .contains("`t` cannot be paired"));
        assert!(with("[pairs]\ninclude = [[\"a\", \"z\"]]")
            .unwrap_err()
            .contains("`z`"));
        assert!(with("[pairs]\ninclude = [[\"a\", \"b\"], [\"b\", \"a\"]]")
            .unwrap_err()
            .contains("twice"));
        assert!(with("[pairs]\nexclude = [\"zz\"]")
            .unwrap_err()
            .contains("zz"));
        assert!(with("[pairs]\ncandidates = []").is_err());
        assert!(with("[pairs]\ncount = 99").is_err());
        let text = toml::to_string(&PairSpec {
            count: PairCount::Fixed(2),
            ..PairSpec::default()
        })
        .unwrap();
        assert!(text.contains("count = 2"), "{text}");
    }

    #[test]
    fn bin_labels_read_as_conditions() {
        assert_eq!(bin_labels(&[1.0, 2.5]), ["< 1", "in [1, 2.5)", ">= 2.5"]);
        // Every digit an edge has, whatever its scale: a label holds for the value it is
        // shown with (`0.3258` is not in `[0.326, ...)`; tiny edges were all `0`).
        assert_eq!(
            bin_labels(&[0.325502, 0.656]),
            ["< 0.325502", "in [0.325502, 0.656)", ">= 0.656"]
        );
        assert_eq!(
            bin_labels(&[-0.0004, -0.0, 5e-10, 1.0098263669402352e16]),
            [
                "< -0.0004",
                "in [-0.0004, 0)",
                "in [0, 5e-10)",
                "in [5e-10, 1.0098263669402352e16)",
                ">= 1.0098263669402352e16"
            ]
        );
    }
}
