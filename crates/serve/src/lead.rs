//! Request leads: JSON parsed once, straight into a typed [`Lead`] laid out in the model's
//! column order, each value checked where it stands so an error names its JSON path
//! (`leads[3].company_size`).
//!
//! The parser is a serde visitor ([`LeadSeed`]) driven either by the request bytes (the
//! `/v1/score` path: no intermediate JSON tree, strings borrowed from the body) or by a
//! [`serde_json::Value`] (the MLflow path), so both endpoints share one set of rules.
//!
//! Field values must be scalars (string, number, boolean, null); the feature spec then decides
//! what each column accepts (core's featurizer), and this module adds the checks core leaves to
//! the caller: a non-finite number written as text (`"NaN"`), a timestamp outside
//! [1970-01-01, as_of + 1 day], and the shape of `events`. An event of a type the model
//! never saw is not refused: core scores it as an active day only and reports it, and the
//! drift counters count it (`events.event_type`), as they count a column's unseen values.

use crate::error::{Error, Result};
use crate::json_text::escape_at;
use leadscore_core::fitted::{FittedSpec, FittedTransform};
use leadscore_core::value::{
    parse_event_time, parse_number, unix_event_time_of, FieldValue, EVENT_TIME_FORMS,
};
use serde::de::{self, Deserialize, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

/// 422 for an empty batch, 413 over the limit (the MLflow path; `/v1/score` counts while it
/// parses, in [`parse_score_body`]).
pub fn check_batch_size(leads: usize, limit: usize) -> Result<()> {
    if leads == 0 {
        Err(Error::EmptyBatch)
    } else if leads > limit {
        Err(Error::BatchTooLarge { leads, limit })
    } else {
        Ok(())
    }
}

/// Where a lead sits in the request, to name the JSON path of its fields in errors. Cheap to
/// build: paths are only formatted when an error needs one.
#[derive(Debug, Clone)]
pub enum LeadPath {
    /// The request root is the lead.
    Root,
    /// Element `index` of the array under the root key `array` (`leads[3]`).
    Item {
        /// The array's key.
        array: &'static str,
        /// Position in it.
        index: usize,
    },
    /// Row `index` of MLflow's `dataframe_split.data`, fields named by `columns`.
    Row {
        /// Position of the row.
        index: usize,
        /// Column names, in row order.
        columns: Arc<[String]>,
    },
    /// Row `index` of MLflow's column-oriented input (`{"inputs": {"column": [...]}}`): field
    /// `c` is `inputs.c[index]`.
    Column {
        /// The root key (`inputs`, `instances`).
        object: &'static str,
        /// Position of the row.
        index: usize,
    },
}

impl LeadPath {
    /// The path of the lead itself.
    pub fn root(&self) -> String {
        match self {
            Self::Root => "$".into(),
            Self::Item { array, index } => format!("{array}[{index}]"),
            Self::Row { index, .. } => format!("dataframe_split.data[{index}]"),
            Self::Column { object, index } => format!("{object}.*[{index}]"),
        }
    }

    /// The path of field `column` of this lead.
    pub fn field(&self, column: &str) -> String {
        match self {
            Self::Root => key_path("", column),
            Self::Item { array, index } => key_path(&format!("{array}[{index}]"), column),
            // A column named twice: the last is the value read (as a JSON object's last key).
            Self::Row { index, columns } => match columns.iter().rposition(|c| c == column) {
                Some(j) => format!("dataframe_split.data[{index}][{j}]"),
                None => key_path(&self.root(), column),
            },
            Self::Column { object, index } => format!("{}[{index}]", key_path(object, column)),
        }
    }
}

/// How much of a long key a path keeps ([`key_path`]), in bytes: short enough that the path
/// stays under the envelope's own cut (`crate::error::shorten`), which would cut the brackets off.
const PATH_KEY_BYTES: usize = 150;

/// `prefix.key`, or `prefix["key"]` when the key is not a plain identifier. A key over
/// [`PATH_KEY_BYTES`] is cut with its own size, inside the brackets (`leads[0]["LLL..."...
/// (300 bytes)]`), so that the path still reads as one.
pub fn key_path(prefix: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    // Kept up to PATH_KEY_BYTES as written in the path, JSON escapes counted (a control
    // character is 6 bytes there, a quote 2).
    let mut end = 0;
    let mut written = 0;
    for (i, c) in key.char_indices() {
        written += match c {
            '"' | '\\' => 2,
            c if c.is_control() => 6,
            c => c.len_utf8(),
        };
        if written > PATH_KEY_BYTES {
            break;
        }
        end = i + c.len_utf8();
    }
    let (kept, cut) = if end < key.len() {
        (&key[..end], format!("... ({} bytes)", key.len()))
    } else {
        (key, String::new())
    };
    match (plain, prefix.is_empty()) {
        (true, true) => format!("{kept}{cut}"),
        (true, false) => format!("{prefix}.{kept}{cut}"),
        (false, _) => format!(
            "{prefix}[{}{cut}]",
            serde_json::to_string(kept).unwrap_or_default()
        ),
    }
}

/// One field value of a request lead; text is borrowed from the request body when it has no
/// escapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// Absent or null.
    Missing,
    /// A JSON string.
    Text(Cow<'a, str>),
    /// A JSON number (always finite).
    Number(f64),
    /// A JSON boolean.
    Bool(bool),
}

/// Integers beyond 2^53 in magnitude (2^53 itself is exact).
const EXACT_INTEGERS: u64 = 1 << 53;

/// A JSON integer of magnitude `magnitude`: the number `as_float`, or past 2^53, where a float
/// loses its last digits, the text of its digits (`digits()`), as the Python package reads an
/// int64 past 2^53 and training reads such a column: an 18-digit owner id then finds the
/// categorical level training read (as a float it scored `(other)`, and its factor showed
/// digits the lead never sent), and a numeric column reads the digits as the same number.
fn integer_val<'a, T: Into<Cow<'a, str>>>(
    magnitude: u64,
    digits: impl FnOnce() -> T,
    as_float: f64,
) -> Val<'a> {
    if magnitude > EXACT_INTEGERS {
        Val::Text(digits().into())
    } else {
        Val::Number(as_float)
    }
}

impl Val<'_> {
    /// As core's field value.
    pub fn as_field(&self) -> FieldValue<'_> {
        match self {
            Self::Missing => FieldValue::Missing,
            Self::Text(s) => FieldValue::Text(s),
            Self::Number(x) => FieldValue::Number(*x),
            Self::Bool(b) => FieldValue::Bool(*b),
        }
    }
}

/// The longest lead id accepted, in bytes (a string's UTF-8, a number's JSON text); a longer
/// one is refused (422 naming the field) rather than logged whole or cut.
pub const MAX_ID_BYTES: usize = 256;

/// A lead id exactly as the request sent it, for the decision log: a number keeps its JSON
/// text (`9007199254740993` stays that, not the nearest double), so the log joins with the
/// outcomes on the same digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadId {
    /// Absent or null.
    Missing,
    /// A JSON string.
    Text(String),
    /// A JSON number, as its text in the request (finite, at most [`MAX_ID_BYTES`]).
    Number(String),
    /// A JSON boolean.
    Bool(bool),
}

impl LeadId {
    /// Reads the raw JSON of an id field; `Err` says what is wrong (the caller adds the path).
    /// Also returns the id as a field value, for a model that uses the id column.
    fn from_raw(raw: &str) -> std::result::Result<(Self, Val<'static>), String> {
        let too_long = |n: usize| {
            format!("the lead id is {n} bytes long; at most {MAX_ID_BYTES} bytes are accepted")
        };
        match raw.as_bytes().first() {
            Some(b'"') => {
                // The raw value passed the JSON syntax; what can still fail is an escape that
                // is no character (a lone UTF-16 surrogate, `\ud800`). serde_json's position is
                // in the value, not the body: left out.
                let text: String = serde_json::from_str(raw).map_err(|e| {
                    let e = e.to_string();
                    let what = e.rsplit_once(" at line ").map_or(e.as_str(), |(m, _)| m);
                    format!(
                        "the lead id is not valid text ({what}: a lone UTF-16 surrogate escape \
                         such as \\ud800 is no character)"
                    )
                })?;
                if text.len() > MAX_ID_BYTES {
                    return Err(too_long(text.len()));
                }
                Ok((Self::Text(text.clone()), Val::Text(Cow::Owned(text))))
            }
            Some(b'-' | b'0'..=b'9') => {
                if raw.len() > MAX_ID_BYTES {
                    return Err(too_long(raw.len()));
                }
                match raw.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok((Self::Number(raw.to_string()), Val::Number(x))),
                    _ => Err("the lead id is a number out of range".into()),
                }
            }
            Some(b't') => Ok((Self::Bool(true), Val::Bool(true))),
            Some(b'f') => Ok((Self::Bool(false), Val::Bool(false))),
            Some(b'n') => Ok((Self::Missing, Val::Missing)),
            Some(b'[') => Err("expected a string, number, boolean or null, found an array".into()),
            _ => Err("expected a string, number, boolean or null, found an object".into()),
        }
    }
}

/// One engagement event sent with a lead (see [`Lead`] for when it is used).
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// What happened (`pricing_page_visit`).
    pub event_type: Cow<'a, str>,
    /// When, in Unix seconds.
    pub occurred_at: i64,
    /// An optional amount.
    pub value: Option<f64>,
}

/// A lead as the server scores it: one value per column of the model's spec, in spec order.
///
/// Fields the model does not use are checked to be scalars and dropped. `events` are always
/// checked for shape, time and type; they feed the model only when its spec has event features.
#[derive(Debug, Clone)]
pub struct Lead<'a> {
    /// `values[i]` is the value of the spec's column `i`.
    pub values: Vec<Val<'a>>,
    /// Events, in request order.
    pub events: Vec<Event<'a>>,
    /// Where the lead sits in the request.
    pub path: LeadPath,
    /// The value of the lead id field ([`ColumnIndex::id_column`]) exactly as sent, for the
    /// decision log; [`LeadId::Missing`] when absent.
    pub id: LeadId,
}

/// The model's column names, for placing request fields (built once per model).
#[derive(Debug, Clone)]
pub struct ColumnIndex {
    sorted: Vec<(String, usize)>,
    /// Each column's name length and first 8 bytes (zero-padded), in column order: for models
    /// of up to [`SCAN_COLUMNS`] columns a name is found by a scan that compares these before
    /// any bytes (a binary search over the names cost ~150 instructions a field).
    keys: Vec<(usize, u64)>,
    /// The names in column order.
    names: Vec<String>,
    /// The names of the columns a lead is read from (all but the totals), in column order.
    inputs: Vec<String>,
    /// Per column in order, the separator of a multi-select column (which also reads an
    /// array of options), `None` for the others.
    separators: Vec<Option<String>>,
    len: usize,
    id: String,
}

/// Models with at most this many columns place fields by scanning [`ColumnIndex::keys`].
const SCAN_COLUMNS: usize = 48;

/// A name's length and first 8 bytes, zero-padded.
fn name_key(name: &str) -> (usize, u64) {
    let mut head = [0u8; 8];
    let n = name.len().min(8);
    head[..n].copy_from_slice(&name.as_bytes()[..n]);
    (name.len(), u64::from_le_bytes(head))
}

/// The lead id field when the artifact does not name one (the spec's default).
pub const DEFAULT_ID_COLUMN: &str = "lead_id";

impl ColumnIndex {
    /// The index of `spec`'s columns.
    pub fn new(spec: &FittedSpec) -> Self {
        // A total (`sum_of`) is computed from its parts, never read: a field of its name is
        // one the model does not read, as any other unknown field.
        let mut sorted: Vec<(String, usize)> = spec
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_total())
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        sorted.sort_unstable();
        Self {
            sorted,
            // No name is `usize::MAX` bytes long: a total's key matches none.
            keys: spec
                .columns
                .iter()
                .map(|c| {
                    if c.is_total() {
                        (usize::MAX, 0)
                    } else {
                        name_key(&c.name)
                    }
                })
                .collect(),
            names: spec.columns.iter().map(|c| c.name.clone()).collect(),
            inputs: spec.inputs().map(|c| c.name.clone()).collect(),
            separators: spec
                .columns
                .iter()
                .map(|c| match &c.transform {
                    FittedTransform::MultiSelect { separator, .. } => Some(separator.clone()),
                    _ => None,
                })
                .collect(),
            len: spec.columns.len(),
            id: DEFAULT_ID_COLUMN.to_string(),
        }
    }

    /// The index of an artifact's columns, with the lead id field its point-in-time assembly
    /// names (`lead_id` for flat-file models, whose fitted spec does not keep the id column).
    pub fn for_artifact(artifact: &leadscore_core::artifact::ModelArtifact) -> Self {
        let mut index = Self::new(&artifact.spec);
        if let Some(assembly) = &artifact.assembly {
            index.id.clone_from(&assembly.id);
        }
        index
    }

    /// The request field that carries the lead id.
    pub fn id_column(&self) -> &str {
        &self.id
    }

    /// Whether `key` is a field of a lead: a column, the lead id or `events`.
    pub fn is_lead_field(&self, key: &str) -> bool {
        key == "events" || key == self.id || self.get(key).is_some()
    }

    /// The names of the columns a lead is read from (not the totals), in the model's order.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    /// The position of column `name`, if the model has it.
    pub fn get(&self, name: &str) -> Option<usize> {
        if self.len <= SCAN_COLUMNS {
            let key = name_key(name);
            // Equal keys of names up to 8 bytes long mean equal names; longer ones are
            // compared whole.
            return self.keys.iter().enumerate().find_map(|(i, k)| {
                (*k == key && (key.0 <= 8 || self.names[i] == name)).then_some(i)
            });
        }
        self.sorted
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|k| self.sorted[k].1)
    }

    /// Column `i`'s separator, when it is a multi-select column.
    pub fn separator(&self, i: usize) -> Option<&str> {
        self.separators.get(i).and_then(Option::as_deref)
    }

    /// Whether column `i` is named `name` (false for an `i` past the columns).
    fn is(&self, i: usize, name: &str) -> bool {
        self.names.get(i).is_some_and(|n| n == name)
    }
}

/// Where a visitor stores the first request error, to surface it whole (with its JSON path)
/// instead of serde's text.
#[derive(Default)]
pub struct ErrorSlot(RefCell<Option<Error>>);

impl ErrorSlot {
    /// Stores `error` (when it is the first) and returns serde's error to stop the parse.
    pub fn fail<E: de::Error>(&self, error: Error) -> E {
        let text = error.to_string();
        let mut slot = self.0.borrow_mut();
        if slot.is_none() {
            *slot = Some(error);
        }
        E::custom(text)
    }

    /// The stored request error, or `fallback` (a JSON syntax error) turned into one.
    pub fn into_error(self, fallback: impl fmt::Display) -> Error {
        self.0
            .into_inner()
            .unwrap_or_else(|| Error::InvalidJson(fallback.to_string()))
    }
}

/// A lead field named so, when the model has no such column: the moment of scoring sent as a
/// lead's field, which was ignored (the lead scored at now) where the Python package and the
/// MLflow flavor read such a column as the lead's moment.
pub const AS_OF_FIELD: &str = "as_of";

/// The 422 for an [`AS_OF_FIELD`] at `path`.
pub fn as_of_field_error(path: String) -> Error {
    Error::InvalidField {
        path,
        message: "the moment of scoring is the request's `?as_of=` (default now), not a lead \
                  field: every lead of a request is scored at that one moment, so send each \
                  moment's leads in a request of their own"
            .into(),
    }
}

/// What the visitors need: the model's columns and the error slot.
pub struct ParseContext<'c> {
    /// The model's columns.
    pub columns: &'c ColumnIndex,
    /// The first error.
    pub errors: ErrorSlot,
    /// Whether a field the model does not use may hold any JSON value (MLflow ignores unknown
    /// columns of any type); otherwise it must be a scalar (`/v1/score`).
    pub ignore_unknown: bool,
    /// With `ignore_unknown`: the fields seen, to refuse a body none of whose columns the model
    /// reads (a misspelled header would score every lead as all-missing).
    pub seen: FieldsSeen,
    /// Without `ignore_unknown` (`/v1/score`): the fields of the lead being read, to refuse a
    /// lead none of whose fields the model reads (`{"Lead Sourse": "Google"}` was scored as a
    /// lead with every field missing, 200).
    pub lead_seen: FieldsSeen,
}

/// The fields an MLflow body named: whether one was the model's, and the others (the first
/// three, and how many).
#[derive(Default)]
pub struct FieldsSeen {
    known: std::cell::Cell<bool>,
    unknown: RefCell<Vec<String>>,
    n_unknown: std::cell::Cell<usize>,
}

impl FieldsSeen {
    /// Notes a field the model reads (a column, the lead id or `events`).
    pub fn known(&self) {
        self.known.set(true);
    }

    /// Notes a field the model does not read.
    pub fn unknown(&self, key: &str) {
        self.n_unknown.set(self.n_unknown.get() + 1);
        let mut names = self.unknown.borrow_mut();
        if names.len() < 3 && !names.iter().any(|n| n == key) {
            names.push(key.to_string());
        }
    }

    /// Whether a field the model reads was seen.
    pub fn any_known(&self) -> bool {
        self.known.get()
    }

    /// Forgets what was seen (before the next lead).
    pub fn reset(&self) {
        self.known.set(false);
        self.n_unknown.set(0);
        self.unknown.borrow_mut().clear();
    }

    /// The error for a body whose fields were all unknown to the model; `None` otherwise.
    pub fn none_known(&self, columns: &ColumnIndex) -> Option<Error> {
        self.none_known_at(columns, "$".into())
    }

    /// [`FieldsSeen::none_known`] for the lead at `path`.
    pub fn none_known_at(&self, columns: &ColumnIndex, path: String) -> Option<Error> {
        let n = self.n_unknown.get();
        if self.known.get() || n == 0 {
            return None;
        }
        let names = self.unknown.borrow();
        let sent: Vec<String> = names
            .iter()
            .map(|k| format!("`{}`", crate::error::shorten(k)))
            .collect();
        let model = columns.inputs();
        let shown: Vec<String> = model.iter().take(8).map(|n| format!("`{n}`")).collect();
        Some(Error::InvalidField {
            path,
            message: format!(
                "none of the columns sent ({}{}) is one the model reads: {}{}",
                sent.join(", "),
                if n > names.len() { ", ..." } else { "" },
                shown.join(", "),
                if model.len() > shown.len() {
                    format!(" and {} more (GET /v1/model lists them)", model.len() - 8)
                } else {
                    String::new()
                }
            ),
        })
    }
}

impl<'c> ParseContext<'c> {
    /// A context for one request.
    pub fn new(columns: &'c ColumnIndex) -> Self {
        Self {
            columns,
            errors: ErrorSlot::default(),
            ignore_unknown: false,
            seen: FieldsSeen::default(),
            lead_seen: FieldsSeen::default(),
        }
    }

    /// A context for one MLflow request: fields the model does not use may be anything.
    pub fn ignoring_unknown(columns: &'c ColumnIndex) -> Self {
        Self {
            ignore_unknown: true,
            ..Self::new(columns)
        }
    }
}

/// A scalar field value, or what else was found (for the error message).
enum Scalar<'a> {
    Val(Val<'a>),
    Other(&'static str),
}

/// Reads a scalar; with a separator (a multi-select column's), also an array of options
/// (`["Pricing", "Webinars"]`), joined with it into the one text the column reads
/// (`Pricing;Webinars`). `null` options are skipped; an option that is an array or an object
/// is refused.
struct ScalarSeed<'s>(Option<&'s str>);

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_> {
    type Value = Scalar<'de>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed<'_> {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Val(Val::Missing))
    }
    fn visit_none<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Val(Val::Missing))
    }
    fn visit_bool<E>(self, b: bool) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Val(Val::Bool(b)))
    }
    fn visit_i64<E>(self, x: i64) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Val(integer_val(
            x.unsigned_abs(),
            || x.to_string(),
            x as f64,
        )))
    }
    fn visit_u64<E>(self, x: u64) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Val(integer_val(x, || x.to_string(), x as f64)))
    }
    fn visit_f64<E>(self, x: f64) -> std::result::Result<Self::Value, E> {
        // serde_json never yields a non-finite number; a Value-built one cannot hold one either.
        Ok(Scalar::Val(if x.is_finite() {
            Val::Number(x)
        } else {
            Val::Missing
        }))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Val(Val::Text(Cow::Borrowed(s))))
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Val(Val::Text(Cow::Owned(s.to_string()))))
    }
    fn visit_string<E>(self, s: String) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Val(Val::Text(Cow::Owned(s))))
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let Some(separator) = self.0 else {
            while seq.next_element::<Skip>()?.is_some() {}
            return Ok(Scalar::Other("an array"));
        };
        let mut joined = String::new();
        let mut nested = false;
        while let Some(option) = seq.next_element_seed(ScalarSeed(None))? {
            let text = match option {
                Scalar::Val(Val::Missing) => continue,
                Scalar::Val(Val::Text(t)) => t,
                Scalar::Val(Val::Number(x)) => {
                    Cow::Owned(leadscore_core::value::number_to_level(x))
                }
                Scalar::Val(Val::Bool(b)) => Cow::Borrowed(if b { "true" } else { "false" }),
                Scalar::Other(_) => {
                    nested = true;
                    continue;
                }
            };
            if !joined.is_empty() {
                joined.push_str(separator);
            }
            joined.push_str(&text);
        }
        if nested {
            return Ok(Scalar::Other("an array holding an array or an object"));
        }
        Ok(Scalar::Val(if joined.is_empty() {
            Val::Missing
        } else {
            Val::Text(Cow::Owned(joined))
        }))
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Scalar::Other("an object"))
    }
}

/// A value read and thrown away, through the deserializer's own nesting check: serde's
/// `IgnoredAny` takes serde_json's skipping path, which has no depth limit, so a body nested
/// 100,000 deep in an unknown field was accepted although nesting past 128 is refused
/// everywhere else (400 `invalid_json`).
pub(crate) struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_bytes<E>(self, _: &[u8]) -> std::result::Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> std::result::Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E>(self) -> std::result::Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Skip, D::Error> {
        d.deserialize_any(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// Reads an unwanted array to its end, so a syntax error inside it (or nesting past serde's
/// depth limit) is reported as invalid JSON before the shape error.
pub fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> std::result::Result<(), A::Error> {
    while seq.next_element::<Skip>()?.is_some() {}
    Ok(())
}

/// [`drain_seq`] for an unwanted object.
pub fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> std::result::Result<(), A::Error> {
    while map.next_entry::<Skip, Skip>()?.is_some() {}
    Ok(())
}

/// A map key, borrowed when it has no escapes.
pub struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

/// Parses one lead object at `path`.
pub struct LeadSeed<'c, 'x> {
    /// The request's context.
    pub cx: &'x ParseContext<'c>,
    /// Where the lead sits.
    pub path: LeadPath,
}

impl<'de> DeserializeSeed<'de> for LeadSeed<'_, '_> {
    type Value = Lead<'de>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LeadSeed<'_, '_> {
    type Value = Lead<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a lead object")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut lead = Lead {
            values: vec![Val::Missing; self.cx.columns.len],
            id: LeadId::Missing,
            events: Vec::new(),
            path: self.path,
        };
        self.cx.lead_seen.reset();
        lead_fields(&mut map, &mut lead, self.cx, None)?;
        if !self.cx.ignore_unknown {
            let e = self
                .cx
                .lead_seen
                .none_known_at(self.cx.columns, lead.path.root());
            if let Some(e) = e {
                return Err(self.cx.errors.fail(e));
            }
        }
        Ok(lead)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Err(self.not_a_lead("an array"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Err(self.not_a_lead("a string"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Err(self.not_a_lead("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Err(self.not_a_lead("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Err(self.not_a_lead("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Err(self.not_a_lead("a number"))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Err(self.not_a_lead("null"))
    }
}

impl LeadSeed<'_, '_> {
    fn not_a_lead<E: de::Error>(&self, found: &str) -> E {
        self.cx.errors.fail(Error::InvalidField {
            path: self.path.root(),
            message: format!("expected a lead object, found {found}"),
        })
    }
}

/// Reads the rest of a lead object from `map` into `lead`. When `stop_at` names a key, reading
/// stops at it and the key is returned (the request root: `leads` turns it into a batch).
pub fn lead_fields<'de, A: MapAccess<'de>>(
    map: &mut A,
    lead: &mut Lead<'de>,
    cx: &ParseContext<'_>,
    stop_at: Option<&str>,
) -> std::result::Result<bool, A::Error> {
    while let Some(key) = map.next_key_seed(KeySeed)? {
        if stop_at == Some(key.as_ref()) {
            return Ok(true);
        }
        map.next_value_seed(FieldSeed {
            cx,
            lead: &mut *lead,
            key: &key,
        })?;
    }
    Ok(false)
}

/// Reads the value of field `key` of `lead` (from an object's entry or a row's cell): `events`
/// as the lead's events, a model column's or the id field's value as a scalar, and anything else
/// checked to be a scalar (or, with [`ParseContext::ignore_unknown`], skipped whatever it is).
pub struct FieldSeed<'a, 'de, 'c, 'x> {
    /// The request's context.
    pub cx: &'x ParseContext<'c>,
    /// The lead the value belongs to.
    pub lead: &'a mut Lead<'de>,
    /// The field's name.
    pub key: &'a str,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, 'de, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        let Self { cx, lead, key } = self;
        let column = (key != "events").then(|| cx.columns.get(key)).flatten();
        let read = key == "events" || key == cx.columns.id.as_str() || column.is_some();
        if cx.ignore_unknown && (key == "events" || key == cx.columns.id.as_str()) {
            cx.seen.known();
        }
        if !cx.ignore_unknown {
            if read {
                cx.lead_seen.known();
            } else if key != AS_OF_FIELD {
                cx.lead_seen.unknown(key);
            }
        }
        if key == "events" {
            lead.events = EventsSeed {
                cx,
                path: &lead.path,
            }
            .deserialize(d)?;
            return Ok(());
        }
        if column.is_none() && key == AS_OF_FIELD {
            return Err(cx.errors.fail(as_of_field_error(lead.path.field(key))));
        }
        if key == cx.columns.id.as_str() {
            // Kept as the raw JSON text, so a number is logged with the digits sent.
            let raw: Box<serde_json::value::RawValue> = Deserialize::deserialize(d)?;
            let (id, value) = LeadId::from_raw(raw.get()).map_err(|message| {
                cx.errors.fail::<D::Error>(Error::InvalidField {
                    path: lead.path.field(key),
                    message,
                })
            })?;
            lead.id = id;
            if let Some(i) = column {
                lead.values[i] = value;
            }
            return Ok(());
        }
        if cx.ignore_unknown {
            if column.is_none() {
                cx.seen.unknown(key);
                Skip::deserialize(d)?;
                return Ok(());
            }
            cx.seen.known();
        }
        let separator = column.and_then(|i| cx.columns.separator(i));
        match ScalarSeed(separator).deserialize(d)? {
            Scalar::Val(v) => {
                if let Some(i) = column {
                    lead.values[i] = v;
                }
                Ok(())
            }
            Scalar::Other(found) => Err(cx.errors.fail(Error::InvalidField {
                path: lead.path.field(key),
                message: if separator.is_some() {
                    format!(
                        "expected a string, number, boolean, null or an array of options, \
                         found {found}"
                    )
                } else {
                    format!("expected a string, number, boolean or null, found {found}")
                },
            })),
        }
    }
}

struct EventsSeed<'c, 'x, 'p> {
    cx: &'x ParseContext<'c>,
    path: &'p LeadPath,
}

impl EventsSeed<'_, '_, '_> {
    fn events_path(&self) -> String {
        self.path.field("events")
    }
    fn fail<E: de::Error>(&self, at: String, message: String) -> E {
        self.cx
            .errors
            .fail(Error::InvalidField { path: at, message })
    }
}

impl<'de> DeserializeSeed<'de> for EventsSeed<'_, '_, '_> {
    type Value = Vec<Event<'de>>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_, '_, '_> {
    type Value = Vec<Event<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events")
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(e) = seq.next_element_seed(EventSeed {
            events: &self,
            index: events.len(),
        })? {
            events.push(e);
        }
        Ok(events)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        drain_map(map)?;
        Err(self.fail(
            self.events_path(),
            "expected an array of events, found an object".into(),
        ))
    }
    /// The JSON text of an array of events (`"[{\"event_type\": ...}]"`): a DataFrame column
    /// of events read from a CSV holds them so, and MLflow's client sends that text, which
    /// the Python package's flavor reads too. Errors inside name the events' path as usual.
    fn visit_str<E: de::Error>(self, text: &str) -> std::result::Result<Self::Value, E> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Vec::new());
        }
        if !trimmed.starts_with('[') {
            return Err(self.fail(
                self.events_path(),
                "expected an array of events (or its JSON text), found a string".into(),
            ));
        }
        let mut de = serde_json::Deserializer::from_str(trimmed);
        let parsed = EventsSeed {
            cx: self.cx,
            path: self.path,
        }
        .deserialize(&mut de)
        .and_then(|events| de.end().map(|()| events));
        match parsed {
            Ok(events) => Ok(events
                .into_iter()
                .map(|e| Event {
                    event_type: Cow::Owned(e.event_type.into_owned()),
                    occurred_at: e.occurred_at,
                    value: e.value,
                })
                .collect()),
            // An error inside was stored with its path (the first one is the request's).
            Err(e) => Err(self.fail(
                self.events_path(),
                format!("a string of events that is not a JSON array of events: {e}"),
            )),
        }
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Err(self.fail(
            self.events_path(),
            "expected an array of events, found a boolean".into(),
        ))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Err(self.fail(
            self.events_path(),
            "expected an array of events, found a number".into(),
        ))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Err(self.fail(
            self.events_path(),
            "expected an array of events, found a number".into(),
        ))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Err(self.fail(
            self.events_path(),
            "expected an array of events, found a number".into(),
        ))
    }
}

struct EventSeed<'a, 'c, 'x, 'p> {
    events: &'a EventsSeed<'c, 'x, 'p>,
    index: usize,
}

impl EventSeed<'_, '_, '_, '_> {
    fn at(&self) -> String {
        format!("{}[{}]", self.events.events_path(), self.index)
    }
    fn field_fail<E: de::Error>(&self, name: &str, message: String) -> E {
        self.events.fail(format!("{}.{name}", self.at()), message)
    }
    fn not_an_event<E: de::Error>(&self, found: &str) -> E {
        self.events.fail(
            self.at(),
            format!("expected an event object, found {found}"),
        )
    }
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_, '_, '_, '_> {
    type Value = Event<'de>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_, '_, '_, '_> {
    type Value = Event<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let (mut event_type, mut occurred_at, mut value) = (None, None, None);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key.as_ref() {
                "event_type" => {
                    event_type = Some(match map.next_value_seed(ScalarSeed(None))? {
                        Scalar::Val(Val::Text(s)) if !s.trim().is_empty() => s,
                        Scalar::Val(Val::Text(_)) => {
                            return Err(self.field_fail("event_type", "is empty".into()))
                        }
                        // A type id (Marketo's `activityTypeId`), as training reads a column
                        // of them: `2` is the type `2` (past 2^53 the digits come as text).
                        Scalar::Val(Val::Number(x)) => {
                            Cow::Owned(leadscore_core::value::number_to_level(x))
                        }
                        found => {
                            return Err(self.field_fail(
                                "event_type",
                                format!(
                                    "expected a string or a number (a type id), found {}",
                                    scalar_kind(&found)
                                ),
                            ))
                        }
                    })
                }
                "occurred_at" => {
                    occurred_at = Some(match map.next_value_seed(ScalarSeed(None))? {
                        // The zero time (`0`, `0000-00-00`): no time, as training reads it.
                        Scalar::Val(v) if leadscore_core::value::is_zero_time(v.as_field()) => {
                            return Err(self.field_fail(
                                "occurred_at",
                                "missing: the zero time is no time, and an event needs the \
                                 time it happened"
                                    .into(),
                            ))
                        }
                        Scalar::Val(Val::Text(s)) => parse_event_time(&s).ok_or_else(|| {
                            self.field_fail(
                                "occurred_at",
                                format!(
                                    "expected {EVENT_TIME_FORMS}, found {}",
                                    leadscore_core::explain::Quoted(&s)
                                ),
                            )
                        })?,
                        Scalar::Val(Val::Number(x)) => unix_event_time_of(x).ok_or_else(|| {
                            self.field_fail(
                                "occurred_at",
                                format!("expected {EVENT_TIME_FORMS}, found the number {x}"),
                            )
                        })?,
                        found => {
                            return Err(self.field_fail(
                                "occurred_at",
                                format!(
                                    "expected a timestamp string or Unix time, found {}",
                                    scalar_kind(&found)
                                ),
                            ))
                        }
                    })
                }
                "value" => {
                    value = match map.next_value_seed(ScalarSeed(None))? {
                        Scalar::Val(Val::Missing) => None,
                        Scalar::Val(Val::Number(x)) => Some(x),
                        // A number sent as text, as a lead's numeric fields take it.
                        Scalar::Val(Val::Text(t)) => {
                            match leadscore_core::value::parse_number(&t).filter(|x| x.is_finite())
                            {
                                Some(x) => Some(x),
                                None => {
                                    return Err(self.field_fail(
                                        "value",
                                        format!(
                                            "expected a number, found {}",
                                            leadscore_core::explain::Quoted(&t)
                                        ),
                                    ))
                                }
                            }
                        }
                        found => {
                            return Err(self.field_fail(
                                "value",
                                format!("expected a number, found {}", scalar_kind(&found)),
                            ))
                        }
                    }
                }
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        let Some(event_type) = event_type else {
            return Err(self.field_fail("event_type", "is required".into()));
        };
        let Some(occurred_at) = occurred_at else {
            return Err(self.field_fail("occurred_at", "is required".into()));
        };
        Ok(Event {
            event_type,
            occurred_at,
            value,
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Err(self.not_an_event("an array"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_event("a string"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_event("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_event("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_event("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_event("a number"))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_event("null"))
    }
}

fn scalar_kind(s: &Scalar<'_>) -> &'static str {
    match s {
        Scalar::Other(k) => k,
        Scalar::Val(Val::Missing) => "null",
        Scalar::Val(Val::Text(_)) => "a string",
        Scalar::Val(Val::Number(_)) => "a number",
        Scalar::Val(Val::Bool(_)) => "a boolean",
    }
}

/// A parsed `/v1/score` body: one lead, or `{"leads": [...]}`.
#[derive(Debug)]
pub struct ScoreBody<'a> {
    /// The leads, in request order.
    pub leads: Vec<Lead<'a>>,
    /// Whether the request was a batch.
    pub batch: bool,
}

/// Parses a `/v1/score` body straight from its bytes: one lead object, or `{"leads": [...]}`
/// (at most `max_batch` leads). Keys of the root before `leads` are read as a lead's fields
/// (and must be scalars); keys after it are ignored.
pub fn parse_score_body<'de>(
    bytes: &'de [u8],
    columns: &ColumnIndex,
    max_batch: usize,
) -> Result<ScoreBody<'de>> {
    let cx = ParseContext::new(columns);
    let seed = ScoreBodySeed { cx: &cx, max_batch };
    // A body that is valid UTF-8 as a whole (checked in one pass) is read as a `str`, so that
    // serde_json does not check every string in it again; any other body is read as bytes,
    // which reports the first invalid byte's line and column.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => {
            if let Some(body) = Flat::new(text).score_body(columns, max_batch) {
                return Ok(body);
            }
            read_whole(seed, &mut serde_json::Deserializer::from_str(text))
        }
        Err(_) => read_whole(seed, &mut serde_json::Deserializer::from_slice(bytes)),
    };
    parsed.map_err(|e| cx.errors.into_error(e))
}

/// The usual `/v1/score` body read without serde: one flat lead object, or `{"leads": [...]}`
/// with `leads` its only key, whose leads are flat objects; keys and strings without escapes,
/// values strings, numbers (integers up to 18 digits), booleans or null, and `events` an array
/// of flat event objects ([`Flat::events`]). It gives
/// exactly the [`ScoreBody`] serde's path gives (`tests::the_flat_reader_agrees_with_serde`)
/// or, for anything else (escapes, nested values, a number it does not read as serde_json
/// does, any error), `None`, and the body goes through serde's path, which also names the
/// errors. Serde's machinery cost ~5k instructions a lead of the ~27k a batch lead costs.
struct Flat<'de> {
    text: &'de str,
    b: &'de [u8],
    i: usize,
    /// The column of each field of the last lead read, by the field's position (`u32::MAX`
    /// for a field that is no column, or none yet), for its first [`ORDER_FIELDS`] fields: a
    /// batch's leads mostly list their fields in one order, so the next lead's field is first
    /// compared with that column's name alone. On the stack: a growing `Vec` cost two
    /// allocations a request (~850 instructions of a single-lead request, callgrind).
    order: [u32; ORDER_FIELDS],
}

/// How many fields of a lead [`Flat::order`] remembers the columns of.
const ORDER_FIELDS: usize = 64;

impl<'de> Flat<'de> {
    fn new(text: &'de str) -> Self {
        Self {
            text,
            b: text.as_bytes(),
            i: 0,
            order: [u32::MAX; ORDER_FIELDS],
        }
    }

    /// The column of field `name`, the `k`th of its lead ([`Flat::order`]).
    fn column(&mut self, columns: &ColumnIndex, k: usize, name: &str) -> Option<usize> {
        let remembered = self.order.get_mut(k);
        if let Some(&i) = remembered.as_deref() {
            if columns.is(i as usize, name) {
                return Some(i as usize);
            }
        }
        let found = columns.get(name);
        if let Some(slot) = remembered {
            *slot = found.map_or(u32::MAX, |i| u32::try_from(i).unwrap_or(u32::MAX));
        }
        found
    }

    fn score_body(mut self, columns: &ColumnIndex, max_batch: usize) -> Option<ScoreBody<'de>> {
        self.ws();
        let root = self.i;
        self.eat(b'{')?;
        self.ws();
        let batch = self.peek() == Some(b'"') && self.string()? == "leads";
        let leads = if batch {
            self.ws();
            self.eat(b':')?;
            self.ws();
            self.eat(b'[')?;
            let mut leads = Vec::with_capacity(max_batch.min(1024));
            loop {
                // An empty batch, and one over the limit, are errors serde's path words.
                if leads.len() == max_batch {
                    return None;
                }
                self.ws();
                let path = LeadPath::Item {
                    array: "leads",
                    index: leads.len(),
                };
                leads.push(self.lead(columns, path)?);
                self.ws();
                match self.next()? {
                    b',' => {}
                    b']' => break,
                    _ => return None,
                }
            }
            self.ws();
            self.eat(b'}')?;
            leads
        } else {
            self.i = root;
            vec![self.lead(columns, LeadPath::Root)?]
        };
        self.ws();
        (self.i == self.b.len()).then_some(ScoreBody { leads, batch })
    }

    /// One flat lead object.
    fn lead(&mut self, columns: &ColumnIndex, path: LeadPath) -> Option<Lead<'de>> {
        let root = matches!(path, LeadPath::Root);
        let mut lead = Lead {
            values: vec![Val::Missing; columns.len],
            id: LeadId::Missing,
            events: Vec::new(),
            path,
        };
        let mut field = 0;
        // A field the model reads, and one it does not: a lead of unknown fields alone is an
        // error, which serde's path words.
        let (mut known, mut unknown) = (false, false);
        self.object(|this, key| {
            if root && key == "leads" {
                return None;
            }
            field += 1;
            if key == "events" {
                known = true;
                lead.events = this.events()?;
                return Some(());
            }
            let start = this.i;
            let value = this.scalar()?;
            let column = this.column(columns, field - 1, key);
            if column.is_none() && key == AS_OF_FIELD {
                return None; // An error, which serde's path words.
            }
            if key == columns.id {
                // Kept as the raw JSON text, as serde's path keeps it. A string here has no
                // escape, so its text is the id as is (without a parse of the raw JSON, and
                // borrowed as the column's value).
                let quoted = this.b.get(start) == Some(&b'"');
                let (id, value) = match value {
                    // (Not an integer past 2^53, which is also its text: its raw JSON decides.)
                    Val::Text(Cow::Borrowed(t)) if quoted && t.len() <= MAX_ID_BYTES => {
                        (LeadId::Text(t.to_string()), Val::Text(Cow::Borrowed(t)))
                    }
                    _ => LeadId::from_raw(&this.text[start..this.i]).ok()?,
                };
                lead.id = id;
                known = true;
                if let Some(i) = column {
                    lead.values[i] = value;
                }
            } else if let Some(i) = column {
                known = true;
                lead.values[i] = value;
            } else {
                unknown = true;
            }
            Some(())
        })?;
        (known || !unknown).then_some(lead)
    }

    /// An object whose keys need no escape: `value(self, key)` reads each entry's value.
    fn object(&mut self, mut value: impl FnMut(&mut Self, &'de str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            value(self, key)?;
            self.ws();
            match self.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// A lead's `events`: null, or an array of event objects with `event_type` a string that
    /// is not blank, `occurred_at` a string [`parse_event_time`] reads or a number
    /// [`unix_event_time_of`] reads (a fraction of a second rounds it up), `value` a number or
    /// null, any other key a scalar (serde's path keeps the last of a repeated key, and so does
    /// this). Anything else, a missing field included, is left to serde's path, which words
    /// the error.
    fn events(&mut self) -> Option<Vec<Event<'de>>> {
        if self.peek()? == b'n' {
            self.literal(b"null", Val::Missing)?;
            return Some(Vec::new());
        }
        self.eat(b'[')?;
        let mut events = Vec::new();
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(events);
        }
        loop {
            self.ws();
            events.push(self.event()?);
            self.ws();
            match self.next()? {
                b',' => {}
                b']' => return Some(events),
                _ => return None,
            }
        }
    }

    fn event(&mut self) -> Option<Event<'de>> {
        let (mut event_type, mut occurred_at, mut value) = (None, None, None);
        self.object(|this, key| {
            match (key, this.scalar()?) {
                ("event_type", Val::Text(t)) if !t.trim().is_empty() => event_type = Some(t),
                ("event_type", Val::Number(x)) => {
                    event_type = Some(Cow::Owned(leadscore_core::value::number_to_level(x)))
                }
                ("occurred_at", Val::Text(t)) => occurred_at = Some(parse_event_time(&t)?),
                ("occurred_at", Val::Number(x)) => occurred_at = Some(unix_event_time_of(x)?),
                ("value", Val::Number(x)) => value = Some(x),
                ("value", Val::Missing) => value = None,
                ("event_type" | "occurred_at" | "value", _) => return None,
                _ => {}
            }
            Some(())
        })?;
        Some(Event {
            event_type: event_type?,
            occurred_at: occurred_at?,
            value,
        })
    }

    fn scalar(&mut self) -> Option<Val<'de>> {
        match self.peek()? {
            b'"' => Some(Val::Text(Cow::Borrowed(self.string()?))),
            b't' => self.literal(b"true", Val::Bool(true)),
            b'f' => self.literal(b"false", Val::Bool(false)),
            b'n' => self.literal(b"null", Val::Missing),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// A string without escapes or control characters (both ends are ASCII quotes, so the
    /// slice is whole characters).
    fn string(&mut self) -> Option<&'de str> {
        self.eat(b'"')?;
        let start = self.i;
        let len = escape_at(&self.b[start..])?;
        if self.b[start + len] != b'"' {
            return None;
        }
        self.i = start + len + 1;
        self.text.get(start..start + len)
    }

    /// A JSON number, read as serde_json reads it: an integer (at most 18 digits, so it fits
    /// an `i64`/`u64` as in serde_json) converted to `f64`, or past 2^53 kept as its digits
    /// ([`integer_val`], as [`ScalarSeed`] reads one); otherwise the correctly rounded `f64` of
    /// the text (serde_json's `float_roundtrip`), which must be finite.
    fn number(&mut self) -> Option<Val<'de>> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let int_start = self.i;
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let int_end = self.i;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            float = true;
            let d = self.i;
            self.digits();
            if self.i == d {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            let d = self.i;
            self.digits();
            if self.i == d {
                return None;
            }
        }
        if float {
            let x: f64 = self.text.get(start..self.i)?.parse().ok()?;
            return x.is_finite().then_some(Val::Number(x));
        }
        let digits = self.text.get(int_start..int_end)?;
        if digits.len() > 18 {
            return None;
        }
        let m: u64 = digits.parse().ok()?;
        let m = i64::try_from(m).ok()?;
        if negative && m == 0 {
            // serde_json reads `-0` as the float -0.0: left to it.
            return None;
        }
        let raw = self.text.get(start..self.i)?;
        Some(integer_val(
            m.unsigned_abs(),
            || raw,
            (if negative { -m } else { m }) as f64,
        ))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8], value: Val<'de>) -> Option<Val<'de>> {
        if self.b.get(self.i..self.i + word.len())? != word {
            return None;
        }
        self.i += word.len();
        Some(value)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    /// JSON's whitespace: space, tab, newline, carriage return.
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
}

/// The body's one value, and nothing after it but whitespace.
fn read_whole<'de, R: serde_json::de::Read<'de>>(
    seed: ScoreBodySeed<'_, '_>,
    de: &mut serde_json::Deserializer<R>,
) -> serde_json::Result<ScoreBody<'de>> {
    let body = seed.deserialize(&mut *de)?;
    de.end()?;
    Ok(body)
}

struct ScoreBodySeed<'c, 'x> {
    cx: &'x ParseContext<'c>,
    max_batch: usize,
}

impl ScoreBodySeed<'_, '_> {
    fn not_an_object<E: de::Error>(&self) -> E {
        self.cx.errors.fail(Error::InvalidField {
            path: "$".into(),
            message: "expected a lead object or {\"leads\": [...]}".into(),
        })
    }
}

impl<'de> DeserializeSeed<'de> for ScoreBodySeed<'_, '_> {
    type Value = ScoreBody<'de>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScoreBodySeed<'_, '_> {
    type Value = ScoreBody<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a lead object or {\"leads\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut single = Lead {
            values: vec![Val::Missing; self.cx.columns.len],
            id: LeadId::Missing,
            events: Vec::new(),
            path: LeadPath::Root,
        };
        self.cx.lead_seen.reset();
        if !lead_fields(&mut map, &mut single, self.cx, Some("leads"))? {
            if let Some(e) = self.cx.lead_seen.none_known_at(self.cx.columns, "$".into()) {
                return Err(self.cx.errors.fail(e));
            }
            return Ok(ScoreBody {
                leads: vec![single],
                batch: false,
            });
        }
        // A lead's own field beside `leads` (before or after it), or `leads` twice: which
        // leads were meant cannot be told, so neither is scored. Other keys are ignored.
        let beside = |key: Option<&str>| {
            let message = match key {
                Some("leads") => "given twice: send every lead in one `leads` array".to_string(),
                Some(key) => format!(
                    "`{}` is a lead's field, after `leads`: send one lead as the body, or every \
                     lead inside `leads`",
                    crate::error::shorten(key)
                ),
                None => "a lead's fields came before `leads`: send one lead as the body, or \
                         every lead inside `leads`"
                    .to_string(),
            };
            self.cx.errors.fail(Error::InvalidField {
                path: "leads".into(),
                message,
            })
        };
        if self.cx.lead_seen.any_known() {
            return Err(beside(None));
        }
        let leads = map.next_value_seed(BatchSeed {
            cx: self.cx,
            max_batch: self.max_batch,
        })?;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let key: &str = key.as_ref();
            if key == "leads" || self.cx.columns.is_lead_field(key) {
                return Err(beside(Some(key)));
            }
            map.next_value::<Skip>()?;
        }
        Ok(ScoreBody { leads, batch: true })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Err(self.not_an_object())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_object())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_object())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_object())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_object())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_object())
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_object())
    }
}

struct BatchSeed<'c, 'x> {
    cx: &'x ParseContext<'c>,
    max_batch: usize,
}

/// At the batch limit with `read` leads read: counts the rest of `seq` without building it and
/// refuses the batch ([`Error::BatchTooLarge`], with the count) when there was more.
pub fn refuse_over_limit<'de, A: SeqAccess<'de>>(
    cx: &ParseContext<'_>,
    mut seq: A,
    read: usize,
    max_batch: usize,
) -> std::result::Result<(), A::Error> {
    let mut n = read;
    while seq.next_element::<Skip>()?.is_some() {
        n += 1;
    }
    if n > max_batch {
        return Err(cx.errors.fail(Error::BatchTooLarge {
            leads: n,
            limit: max_batch,
        }));
    }
    Ok(())
}

/// Reads a batch's leads from `seq` (`seed(i)` reads lead `i`), at most `max_batch` of them:
/// past the limit the rest is only counted, never built, for [`Error::BatchTooLarge`]. An
/// empty batch is [`Error::EmptyBatch`]. `/v1/score` and every `/invocations` shape read
/// their leads through here.
pub fn read_batch<'de, A, S>(
    cx: &ParseContext<'_>,
    mut seq: A,
    max_batch: usize,
    mut seed: impl FnMut(usize) -> S,
) -> std::result::Result<Vec<Lead<'de>>, A::Error>
where
    A: SeqAccess<'de>,
    S: DeserializeSeed<'de, Value = Lead<'de>>,
{
    let mut leads = Vec::with_capacity(seq.size_hint().unwrap_or(16).min(max_batch));
    loop {
        if leads.len() == max_batch {
            refuse_over_limit(cx, seq, max_batch, max_batch)?;
            break;
        }
        match seq.next_element_seed(seed(leads.len()))? {
            Some(lead) => leads.push(lead),
            None => break,
        }
    }
    if leads.is_empty() {
        return Err(cx.errors.fail(Error::EmptyBatch));
    }
    Ok(leads)
}

impl BatchSeed<'_, '_> {
    fn not_an_array<E: de::Error>(&self) -> E {
        self.cx.errors.fail(Error::InvalidField {
            path: "leads".into(),
            message: "expected an array of lead objects".into(),
        })
    }
}

impl<'de> DeserializeSeed<'de> for BatchSeed<'_, '_> {
    type Value = Vec<Lead<'de>>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BatchSeed<'_, '_> {
    type Value = Vec<Lead<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of lead objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        read_batch(self.cx, seq, self.max_batch, |index| LeadSeed {
            cx: self.cx,
            path: LeadPath::Item {
                array: "leads",
                index,
            },
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        drain_map(map)?;
        Err(self.not_an_array())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_array())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_array())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_array())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_array())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_array())
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Err(self.not_an_array())
    }
}

impl<'a> Lead<'a> {
    /// A lead at `path` with every field missing and no events, laid out for `columns`.
    pub fn blank(columns: &ColumnIndex, path: LeadPath) -> Self {
        Lead {
            values: vec![Val::Missing; columns.len],
            id: LeadId::Missing,
            events: Vec::new(),
            path,
        }
    }
}

impl Lead<'_> {
    /// A lead at `path` from a JSON value (must be an object), placed in `columns`' order.
    pub fn from_value(
        value: serde_json::Value,
        path: LeadPath,
        columns: &ColumnIndex,
    ) -> Result<Lead<'static>> {
        let cx = ParseContext::new(columns);
        let seed = LeadSeed { cx: &cx, path };
        match seed.deserialize(value) {
            Ok(lead) => Ok(lead),
            Err(e) => Err(cx.errors.into_error(e)),
        }
    }

    /// The checks core leaves to the caller, against the model's spec: numbers written as
    /// text must be finite, event times must lie in [1970-01-01, as_of + 1 day]. (A date
    /// field more than five minutes after `as_of` is read as missing by featurizing and named in
    /// `unseen`: it was not known then.)
    pub fn check(&self, spec: &FittedSpec, as_of: i64) -> Result<()> {
        for (col, value) in spec.columns.iter().zip(&self.values) {
            let Val::Text(text) = value else {
                continue;
            };
            if spec.is_missing_token(text) {
                continue;
            }
            match &col.transform {
                FittedTransform::Numeric { .. }
                    if parse_number(text).is_some_and(|x| !x.is_finite()) =>
                {
                    return Err(Error::InvalidField {
                        path: self.path.field(&col.name),
                        message: format!(
                            "expected a finite number, found {}",
                            leadscore_core::explain::Quoted(text)
                        ),
                    });
                }
                _ => {}
            }
        }
        for (i, e) in self.events.iter().enumerate() {
            check_time(e.occurred_at, as_of, || {
                format!("{}[{i}].occurred_at", self.path.field("events"))
            })?;
        }
        Ok(())
    }
}

/// An event's time: no later than a day after `as_of` (before 1970 is a time like any other:
/// training and `score` count such an event, so the server does too).
fn check_time(t: i64, as_of: i64, path: impl FnOnce() -> String) -> Result<()> {
    if leadscore_core::fitted::known_later(t, as_of) {
        return Err(Error::InvalidField {
            path: path(),
            message: format!(
                "timestamp {} is out of range: it must lie no later than one day after the scoring time {}",
                leadscore_core::value::rfc3339(t),
                leadscore_core::value::rfc3339(as_of)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long key is cut inside its brackets with its own size, and the path is then short
    /// enough that the envelope does not cut it again (which cut the brackets off).
    #[test]
    fn a_long_key_is_cut_inside_its_path() {
        for key in [
            "L".repeat(300) + " x",
            "\u{1F600}".repeat(80),
            "\u{1}".repeat(150),
            "\"".repeat(100),
        ] {
            for prefix in ["", "leads[0]", "dataframe_records[123456]"] {
                let path = key_path(prefix, &key);
                assert!(
                    path.ends_with(&format!("... ({} bytes)]", key.len())),
                    "{path}"
                );
                assert!(path.starts_with(&format!("{prefix}[\"")), "{path}");
                assert_eq!(crate::error::shorten(&path), path);
            }
        }
        let plain = "k".repeat(5000);
        assert_eq!(
            key_path("leads[0]", &plain),
            format!("leads[0].{}... (5000 bytes)", "k".repeat(150))
        );
        assert_eq!(key_path("leads[0]", "a b"), "leads[0][\"a b\"]");
    }
    use leadscore_core::fitted::FittedColumn;
    use serde_json::json;

    /// A `dataframe_split` column named twice: its value is the last one's, and so is the path.
    #[test]
    fn a_column_named_twice_has_the_path_of_the_value_read() {
        let row = LeadPath::Row {
            index: 0,
            columns: ["company_size", "created_at", "company_size"]
                .map(String::from)
                .into(),
        };
        assert_eq!(row.field("company_size"), "dataframe_split.data[0][2]");
        assert_eq!(row.field("created_at"), "dataframe_split.data[0][1]");
    }

    fn columns() -> ColumnIndex {
        ColumnIndex::new(&FittedSpec {
            missing_tokens: vec![String::new()],
            reference_time: None,
            columns: ["company_size", "Lead Source", "email"]
                .iter()
                .map(|n| FittedColumn {
                    name: (*n).into(),
                    transform: FittedTransform::JobTitle,
                    part: Default::default(),
                    sum_of: Vec::new(),
                })
                .collect(),
            events: None,
            pairs: Vec::new(),
            decimal_comma: false,
            date_order: Default::default(),
            missing_lengths: Default::default(),
        })
    }

    fn index_of(names: &[String]) -> ColumnIndex {
        ColumnIndex::new(&FittedSpec {
            missing_tokens: vec![String::new()],
            reference_time: None,
            columns: names
                .iter()
                .map(|n| FittedColumn {
                    name: n.clone(),
                    transform: FittedTransform::JobTitle,
                    part: Default::default(),
                    sum_of: Vec::new(),
                })
                .collect(),
            events: None,
            pairs: Vec::new(),
            decimal_comma: false,
            date_order: Default::default(),
            missing_lengths: Default::default(),
        })
    }

    /// The scan (small models) and the binary search (large ones) find exactly the model's
    /// names: names sharing their first 8 bytes, of exactly 8 bytes, empty, non-ASCII.
    #[test]
    fn column_lookup_finds_exactly_the_models_names() {
        let base: Vec<String> = [
            "company_size",
            "company_sector",
            "company_",
            "company",
            "",
            "Lead Source",
            "e\u{e9}mail",
            "email",
        ]
        .map(String::from)
        .to_vec();
        let absent = [
            "company_s",
            "company_sizes",
            "compan",
            "company_size ",
            "e",
            "Email",
        ];
        for extra in [0, 60] {
            let mut names = base.clone();
            names.extend((0..extra).map(|i| format!("company_{i:02}")));
            let index = index_of(&names);
            for (i, n) in names.iter().enumerate() {
                assert_eq!(index.get(n), Some(i), "{n:?} of {}", names.len());
            }
            for n in absent {
                assert_eq!(index.get(n), None, "{n:?} of {}", names.len());
            }
        }
    }

    /// serde's reading of a whole `/v1/score` body (at most 3 leads), the path the flat reader
    /// must agree with.
    fn serde_read<'b>(body: &'b str, columns: &ColumnIndex) -> serde_json::Result<ScoreBody<'b>> {
        let cx = ParseContext::new(columns);
        read_whole(
            ScoreBodySeed {
                cx: &cx,
                max_batch: 3,
            },
            &mut serde_json::Deserializer::from_str(body),
        )
    }

    /// Random bodies, most of them close to the usual shape, some not JSON at all: wherever the
    /// flat reader gives a body, serde's path gives the same one (values, ids, paths, batch),
    /// and the usual bodies do take the flat reader.
    #[test]
    fn the_flat_reader_agrees_with_serde() {
        let names: Vec<String> = [
            "email",
            "job_title",
            "company_size",
            "industry",
            "created_at",
        ]
        .map(String::from)
        .to_vec();
        let columns = index_of(&names);
        let keys = [
            "email",
            "job_title",
            "company_size",
            "industry",
            "created_at",
            "lead_id",
            "shoe_size",
            "events",
            "leads",
            "em\\u0061il",
        ];
        let values = [
            "\"ana@acme.io\"",
            "\"\"",
            "\"VP \\\"Sales\\\"\"",
            "\"caf\u{e9} \u{1f600}\"",
            "\"tab\there\"",
            "0",
            "-0",
            "12",
            "-7",
            "1.5",
            "1e3",
            "-2.5E-3",
            "0.1e+2",
            "01",
            "1.",
            "-",
            "1e",
            "+1",
            ".5",
            "123456789012345678",
            "12345678901234567890",
            "-9223372036854775808",
            "1e400",
            "1e-400",
            "true",
            "false",
            "null",
            "nul",
            "[]",
            "{}",
            "{\"a\":1}",
            "[1,2]",
            "\"2025-01-01T09:20:07Z\"",
            "9007199254740992",
            "9007199254740993",
            "-9007199254740993",
        ];
        let spaces = ["", "", "", " ", "\n\t ", "\r"];
        const COMMON: [usize; 12] = [0, 1, 3, 5, 7, 8, 9, 10, 24, 25, 26, 32];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        // An event's keys and, by key, its values (valid ones first, then the others).
        let event_keys = [
            "event_type",
            "occurred_at",
            "value",
            "event_type",
            "occurred_at",
            "source",
            "ev\\u0065nt_type",
        ];
        let event_values = |key: &str| -> &[&str] {
            match key {
                "event_type" => &[
                    "\"demo_request\"",
                    "\"page_view\"",
                    "\"caf\u{e9}\"",
                    "\" \"",
                    "\"\"",
                    "\"a\\nb\"",
                    "7",
                    "null",
                ],
                "occurred_at" => &[
                    "\"2025-01-01T09:20:07Z\"",
                    "\"2025-01-01 09:20:07\"",
                    "\"2025-01-01T11:20:07+02:00\"",
                    "\"2025-02-30T00:00:00Z\"",
                    "\"soon\"",
                    "1735723207",
                    "\"1735723207000\"",
                    "1735723207.5",
                    "5",
                    "null",
                ],
                "value" => &["1", "2.5", "null", "-0", "\"3\"", "true", "[]"],
                _ => &["1", "\"x\"", "null", "[]", "{}"],
            }
        };
        let events_text = |rand: &mut dyn FnMut(usize) -> usize| -> String {
            match rand(12) {
                0 => return "null".into(),
                1 => return "{}".into(),
                2 => return "[ ]".into(),
                _ => {}
            }
            let events: Vec<String> = (0..rand(4))
                .map(|_| {
                    // Mostly an event as clients send it, then any fields.
                    let usual = if rand(6) == 0 { 0 } else { 2 };
                    let fields: Vec<String> = (0..usual + rand(3))
                        .map(|k| {
                            if k < usual {
                                let key = event_keys[k];
                                let value = event_values(key)[rand(3)];
                                return format!("\"{key}\":{value}");
                            }
                            let key = event_keys[rand(event_keys.len())];
                            let values = event_values(key);
                            // Mostly the valid values of the key.
                            let value = if rand(6) == 0 {
                                values[rand(values.len())]
                            } else {
                                values[rand(3.min(values.len()))]
                            };
                            format!("\"{key}\":{}{value}", spaces[rand(spaces.len())])
                        })
                        .collect();
                    format!("{{{}}}", fields.join(","))
                })
                .collect();
            format!(
                "[{}]",
                events.join(&format!(",{}", spaces[rand(spaces.len())]))
            )
        };
        let (mut flat, mut total, mut flat_events) = (0, 0, 0);
        for _ in 0..20_000 {
            let lead_text = |rand: &mut dyn FnMut(usize) -> usize| {
                let mut t = String::from("{");
                let n = rand(6);
                for k in 0..n {
                    if k > 0 {
                        t.push(',');
                    }
                    t.push_str(spaces[rand(spaces.len())]);
                    // Mostly model fields and the id, sometimes events, sometimes anything.
                    let key = match rand(10) {
                        0 => keys[rand(keys.len())],
                        1 | 2 => "events",
                        _ => keys[rand(6)],
                    };
                    t.push_str(&format!("\"{key}\""));
                    t.push_str(spaces[rand(spaces.len())]);
                    t.push(':');
                    t.push_str(spaces[rand(spaces.len())]);
                    // Mostly values of the usual kinds, sometimes anything; events mostly
                    // as a client sends them.
                    let value = if key == "events" && rand(4) != 0 {
                        events_text(rand)
                    } else if rand(8) == 0 {
                        values[rand(values.len())].to_string()
                    } else {
                        values[COMMON[rand(COMMON.len())]].to_string()
                    };
                    t.push_str(&value);
                    t.push_str(spaces[rand(spaces.len())]);
                }
                t.push('}');
                t
            };
            let body = match rand(5) {
                0 => lead_text(&mut rand),
                1 => "{\"leads\":[]}".to_string(),
                2 => format!(
                    "{{\"email\":\"x@y.io\",\"leads\":[{}]}}",
                    lead_text(&mut rand)
                ),
                _ => {
                    let n = 1 + rand(4);
                    let leads: Vec<String> = (0..n).map(|_| lead_text(&mut rand)).collect();
                    format!(
                        "{}{{{}\"leads\"{}:[{}]{}}}{}",
                        spaces[rand(spaces.len())],
                        spaces[rand(spaces.len())],
                        spaces[rand(spaces.len())],
                        leads.join(spaces[rand(spaces.len())]).replace("}{", "},{"),
                        spaces[rand(spaces.len())],
                        if rand(20) == 0 { "x" } else { "" },
                    )
                }
            };
            total += 1;
            let slow = serde_read(&body, &columns);
            if let Some(fast) = Flat::new(&body).score_body(&columns, 3) {
                flat += 1;
                flat_events += usize::from(fast.leads.iter().any(|l| !l.events.is_empty()));
                let slow = slow.unwrap_or_else(|e| panic!("{body}: flat read it, serde: {e}"));
                assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{body}");
            }
        }
        // Lead ids at the length limit and past it (serde's path refuses those).
        for n in [MAX_ID_BYTES, MAX_ID_BYTES + 1] {
            let body = format!(r#"{{"lead_id": "{}", "email": "a@b.io"}}"#, "x".repeat(n));
            let slow = serde_read(&body, &columns);
            match Flat::new(&body).score_body(&columns, 3) {
                Some(fast) => assert_eq!(
                    format!("{fast:?}"),
                    format!(
                        "{:?}",
                        slow.expect("serde reads what the flat reader reads")
                    )
                ),
                None => assert!(slow.is_err() && n > MAX_ID_BYTES, "{n}"),
            }
        }
        // A good share of the random bodies is in the flat reader's shape, events included.
        assert!(flat * 5 > total, "{flat} of {total}");
        assert!(
            flat_events * 50 > total,
            "{flat_events} with events of {total}"
        );
        // The usual bodies take it.
        for body in [
            r#"{"email": "ana@acme.io", "company_size": 250, "lead_id": "L1"}"#,
            r#"{"leads": [{"email": "a@b.io", "lead_id": 7}, {"job_title": null}]}"#,
            r#" { "leads" : [ { } ] } "#,
            r#"{"email": "a@b.io", "events": [{"event_type": "demo_request", "occurred_at": "2025-01-01T09:20:07Z"}, {"event_type": "page_view", "occurred_at": "2025-01-02T10:00:00Z", "value": 2}]}"#,
            r#"{"email": "a@b.io", "events": null}"#,
        ] {
            assert!(Flat::new(body).score_body(&columns, 3).is_some(), "{body}");
        }
    }

    /// Past the fields whose columns [`Flat::order`] remembers, and with the leads of a batch
    /// listing their fields in different orders, the flat reader still reads what serde does.
    #[test]
    fn leads_with_more_fields_than_the_order_remembers() {
        let columns = columns();
        let lead = |k: usize, first: &[&str]| {
            let mut fields: Vec<String> = (0..ORDER_FIELDS + 6)
                .map(|i| format!("\"extra_{i}\":{}", (i + k) % 7))
                .collect();
            // The columns after the remembered fields, then in front of them.
            let named = [
                "\"email\":\"ana@acme.io\"",
                "\"company_size\":250",
                "\"lead_id\":\"L1\"",
            ];
            for (j, f) in named.iter().enumerate() {
                fields.insert(ORDER_FIELDS + 1 + j, f.to_string());
            }
            for f in first {
                fields.insert(0, f.to_string());
            }
            format!("{{{}}}", fields.join(","))
        };
        let body = format!(
            "{{\"leads\":[{},{},{}]}}",
            lead(0, &[]),
            lead(1, &["\"job_title\":\"CTO\""]),
            lead(2, &["\"x\":1", "\"Lead Source\":\"Referral\""])
        );
        let fast = Flat::new(&body)
            .score_body(&columns, 3)
            .expect("a flat body");
        let slow = serde_read(&body, &columns).expect("serde reads it");
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
        // Each lead's columns landed, wherever its fields put them.
        let text = format!("{fast:?}");
        assert_eq!(fast.leads.len(), 3);
        assert_eq!(text.matches("ana@acme.io").count(), 3, "{text}");
        assert_eq!(text.matches("Referral").count(), 1, "{text}");
    }

    fn parse(body: serde_json::Value) -> Result<ScoreBody<'static>> {
        let bytes: &'static [u8] = Box::leak(serde_json::to_vec(&body).unwrap().into_boxed_slice());
        parse_score_body(bytes, Box::leak(Box::new(columns())), 100)
    }

    #[test]
    fn paths() {
        assert_eq!(
            key_path("leads[3]", "company_size"),
            "leads[3].company_size"
        );
        assert_eq!(key_path("", "company_size"), "company_size");
        assert_eq!(
            key_path("leads[0]", "Lead Source"),
            "leads[0][\"Lead Source\"]"
        );
        let row = LeadPath::Row {
            index: 2,
            columns: vec!["a".to_string(), "email".to_string()].into(),
        };
        assert_eq!(row.field("email"), "dataframe_split.data[2][1]");
    }

    #[test]
    fn fields_land_in_column_order() {
        let body =
            parse(json!({"email": "a@b.co", "extra": [], "company_size": 12, "Lead Source": null}));
        let err = body.unwrap_err();
        assert_eq!(
            err.path(),
            Some("extra"),
            "non-scalars are refused even in unused fields"
        );
        let body = parse(json!({"email": "a\"@b.co", "extra": 1, "company_size": 12})).unwrap();
        assert!(!body.batch);
        let lead = &body.leads[0];
        assert_eq!(lead.values[0], Val::Number(12.0));
        assert_eq!(lead.values[1], Val::Missing);
        assert_eq!(lead.values[2], Val::Text(Cow::Owned("a\"@b.co".into())));
        // An integer past 2^53 (an 18-digit id in an int64 column) is its digits, whichever
        // reader takes it (a float would lose its last digits); 2^53 itself is a number.
        for (number, want) in [
            (
                json!(123_456_789_012_345_719_u64),
                Val::Text("123456789012345719".into()),
            ),
            (
                json!(-9_007_199_254_740_993_i64),
                Val::Text("-9007199254740993".into()),
            ),
            (
                json!(9_007_199_254_740_992_u64),
                Val::Number(9_007_199_254_740_992.0),
            ),
        ] {
            for extra in [json!(1), json!("a\"b")] {
                let body = parse(json!({"company_size": number, "extra": extra})).unwrap();
                assert_eq!(body.leads[0].values[0], want, "{number} beside {extra}");
            }
        }
    }

    /// `leads` twice, or a lead's field beside it, is refused naming `leads` (the second
    /// array was dropped unread, a field before it silently); other keys are ignored.
    #[test]
    fn a_batch_is_one_leads_array() {
        let parse_text = |text: &str| {
            let bytes: &'static [u8] = Box::leak(text.as_bytes().to_vec().into_boxed_slice());
            parse_score_body(bytes, Box::leak(Box::new(columns())), 100)
        };
        for (body, says) in [
            (
                r#"{"leads": [{"email": "a@b.io"}], "leads": [{"email": "c@d.io"}, {}]}"#,
                "given twice",
            ),
            (r#"{"leads": [{}], "leads": "garbage"}"#, "given twice"),
            (
                r#"{"leads": [{}], "company_size": 12}"#,
                "`company_size` is a lead's field, after `leads`",
            ),
            (
                r#"{"leads": [{}], "events": []}"#,
                "`events` is a lead's field",
            ),
            (
                r#"{"email": "a@b.io", "leads": [{}]}"#,
                "a lead's fields came before `leads`",
            ),
        ] {
            let e = parse_text(body).unwrap_err();
            assert_eq!(e.path(), Some("leads"), "{body}");
            assert!(e.to_string().contains(says), "{body}: {e}");
        }
        let body =
            parse_text(r#"{"request": "r1", "leads": [{}, {}], "source": {"a": 1}}"#).unwrap();
        assert_eq!(body.leads.len(), 2);
    }

    #[test]
    fn batches_and_their_errors() {
        let body = parse(json!({"leads": [{"email": "x@y.z"}, {}]})).unwrap();
        assert!(body.batch);
        assert_eq!(body.leads.len(), 2);
        assert!(matches!(
            body.leads[0].values[2],
            Val::Text(Cow::Borrowed(_))
        ));
        for (bad, path) in [
            (
                json!({"leads": [{}, {"company_size": {"a": 1}}]}),
                Some("leads[1].company_size"),
            ),
            (json!({"leads": [{}, [1]]}), Some("leads[1]")),
            (json!({"leads": {}}), Some("leads")),
            (json!([1]), Some("$")),
            (
                json!({"leads": [{"Lead Source": [1]}]}),
                Some("leads[0][\"Lead Source\"]"),
            ),
        ] {
            assert_eq!(parse(bad).unwrap_err().path(), path);
        }
        assert!(matches!(
            parse(json!({"leads": []})).unwrap_err(),
            Error::EmptyBatch
        ));
        let many: Vec<_> = (0..150).map(|_| json!({})).collect();
        assert!(matches!(
            parse(json!({ "leads": many })).unwrap_err(),
            Error::BatchTooLarge {
                leads: 150,
                limit: 100
            }
        ));
        let syntax = parse_score_body(b"{\"leads\": [", &columns(), 10).unwrap_err();
        assert!(matches!(syntax, Error::InvalidJson(_)), "{syntax:?}");
        let trailing = parse_score_body(b"{} {}", &columns(), 10).unwrap_err();
        assert!(matches!(trailing, Error::InvalidJson(_)), "{trailing:?}");
    }

    #[test]
    fn events_shape() {
        let ok = json!({"events": [{"event_type": "visit", "occurred_at": "2025-01-01T00:00:00Z", "value": 2, "note": {"x": 1}}]});
        let body = parse(ok).unwrap();
        assert_eq!(body.leads[0].events.len(), 1);
        assert_eq!(body.leads[0].events[0].value, Some(2.0));
        for (bad, path) in [
            (json!({"events": {}}), "events"),
            (json!({"events": [1]}), "events[0]"),
            (
                json!({"events": [{"occurred_at": "2025-01-01"}]}),
                "events[0].event_type",
            ),
            (
                json!({"events": [{"event_type": " ", "occurred_at": "2025-01-01"}]}),
                "events[0].event_type",
            ),
            (
                json!({"events": [{"event_type": "v", "occurred_at": "soon"}]}),
                "events[0].occurred_at",
            ),
            (
                json!({"events": [{"event_type": "v", "occurred_at": 5}]}),
                "events[0].occurred_at",
            ),
            (
                json!({"events": [{"event_type": "v", "occurred_at": "2025-01-01", "value": "x"}]}),
                "events[0].value",
            ),
            (
                json!({"leads": [{"events": [{"event_type": "v"}]}]}),
                "leads[0].events[0].occurred_at",
            ),
        ] {
            let err = parse(bad.clone()).unwrap_err();
            assert_eq!(err.path(), Some(path), "{bad}");
        }
        // Unix seconds or milliseconds, as a number or digits, read as training reads an
        // events column of them: the same second as the ISO text, a fraction rounded up.
        let iso =
            parse(json!({"events": [{"event_type": "v", "occurred_at": "2025-06-01T09:30:00Z"}]}))
                .unwrap()
                .leads[0]
                .events[0]
                .occurred_at;
        for t in [
            json!(1_748_770_200),
            json!("1748770200"),
            json!(1_748_770_200_000_i64),
            json!(" 1748770200000 "),
            json!(1_748_770_199.4),
            json!(1_748_770_199_001_i64),
        ] {
            let body = json!({"events": [{"event_type": "v", "occurred_at": t}]});
            let got = parse(body.clone()).unwrap().leads[0].events[0].occurred_at;
            assert_eq!(got, iso, "{body}");
            let tree = Lead::from_value(body.clone(), LeadPath::Root, &columns()).unwrap();
            assert_eq!(tree.events[0].occurred_at, iso, "{body}");
        }
        // A type id sent as a number (Marketo's `activityTypeId`) is the type training reads
        // from a column of them, on both readers; a bool or an array is not a type.
        for (sent, kind) in [
            (json!(2), "2"),
            (json!(2.0), "2"),
            (json!(-7), "-7"),
            (json!(2.5), "2.5"),
            (json!(123_456_789_012_345_678_u64), "123456789012345678"),
        ] {
            let body = json!({"events": [{"event_type": sent, "occurred_at": 1_748_770_200}]});
            let got = parse(body.clone()).unwrap();
            assert_eq!(got.leads[0].events[0].event_type, kind, "{body}");
            let tree = Lead::from_value(body.clone(), LeadPath::Root, &columns()).unwrap();
            assert_eq!(tree.events[0].event_type, kind, "{body}");
        }
        for sent in [json!(true), json!([2]), json!(null)] {
            let body = json!({"events": [{"event_type": sent, "occurred_at": 1_748_770_200}]});
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.path(), Some("events[0].event_type"), "{body}");
        }
        // The events as the JSON text of their array (a CSV-read DataFrame column, as
        // MLflow's client sends it) are those events; a blank one is none; inside, an error
        // names its event.
        let listed = json!([{"event_type": "v", "occurred_at": 1_748_770_200}]);
        let body = json!({"events": listed.to_string()});
        let got = parse(body.clone()).unwrap();
        assert_eq!(got.leads[0].events.len(), 1);
        assert_eq!(got.leads[0].events[0].occurred_at, iso);
        let tree = Lead::from_value(body, LeadPath::Root, &columns()).unwrap();
        assert_eq!(tree.events[0].event_type, "v");
        assert!(parse(json!({"events": " "})).unwrap().leads[0]
            .events
            .is_empty());
        for (text, path) in [
            (r#"[{"event_type": "v"}]"#, "events[0].occurred_at"),
            (
                r#"[{"event_type": "v", "occurred_at": 1748770200}"#,
                "events",
            ),
            ("soon", "events"),
        ] {
            let err = parse(json!({ "events": text })).unwrap_err();
            assert_eq!(err.path(), Some(path), "{text}: {err}");
        }
        // A value sent as text is read as a lead's numbers are; other text is named.
        let ok = parse(
            json!({"events": [{"event_type": "v", "occurred_at": "2025-01-01", "value": " 3 "}]}),
        );
        assert_eq!(ok.unwrap().leads[0].events.len(), 1);
        let err = parse(
            json!({"events": [{"event_type": "v", "occurred_at": "2025-01-01", "value": "x"}]}),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("expected a number, found \"x\""),
            "{err}"
        );
        let err = parse(json!({"events": [{"event_type": "v", "occurred_at": 5.5}]})).unwrap_err();
        assert!(
            err.to_string()
                .contains("Unix seconds or milliseconds from 2000 to 2100"),
            "{err}"
        );
    }

    #[test]
    fn values_from_a_json_tree_follow_the_same_rules() {
        let lead = Lead::from_value(
            json!({"company_size": "7", "events": null}),
            LeadPath::Item {
                array: "dataframe_records",
                index: 4,
            },
            &columns(),
        )
        .unwrap();
        assert_eq!(lead.values[0], Val::Text(Cow::Owned("7".into())));
        let err = Lead::from_value(
            json!({"email": true, "company_size": [1]}),
            LeadPath::Item {
                array: "dataframe_records",
                index: 4,
            },
            &columns(),
        )
        .unwrap_err();
        assert_eq!(err.path(), Some("dataframe_records[4].company_size"));
        let err = Lead::from_value(json!(3), LeadPath::Root, &columns()).unwrap_err();
        assert_eq!(err.path(), Some("$"));
    }

    /// Parses raw request text (not re-serialized: `serde_json::Value` would round numbers).
    fn parse_text(text: &str) -> Result<ScoreBody<'static>> {
        let bytes: &'static [u8] = Box::leak(text.as_bytes().to_vec().into_boxed_slice());
        parse_score_body(bytes, Box::leak(Box::new(columns())), 100)
    }

    #[test]
    fn lead_ids_are_kept_exactly_as_sent() {
        let body = parse_text(
            r#"{"leads": [{"lead_id": 9007199254740993}, {"lead_id": 123}, {"lead_id": 1.50},
                          {"lead_id": -0}, {"lead_id": 1e3}, {"lead_id": "A\u00e9-7"},
                          {"lead_id": true}, {"lead_id": null}, {"email": "x"}]}"#,
        )
        .unwrap();
        let ids: Vec<LeadId> = body.leads.iter().map(|l| l.id.clone()).collect();
        let n = |t: &str| LeadId::Number(t.into());
        assert_eq!(
            ids,
            [
                n("9007199254740993"),
                n("123"),
                n("1.50"),
                n("-0"),
                n("1e3"),
                LeadId::Text("A\u{e9}-7".into()),
                LeadId::Bool(true),
                LeadId::Missing,
                LeadId::Missing,
            ]
        );
        // The single-lead form and the JSON-tree path (MLflow) keep integers exactly too.
        let single = parse_text(r#"{"lead_id": 18446744073709551615}"#).unwrap();
        assert_eq!(single.leads[0].id, n("18446744073709551615"));
        let lead = Lead::from_value(
            serde_json::json!({"lead_id": 9_007_199_254_740_993_u64}),
            LeadPath::Root,
            &columns(),
        )
        .unwrap();
        assert_eq!(lead.id, n("9007199254740993"));
    }

    #[test]
    fn lead_ids_are_capped_and_must_be_scalars() {
        let at_cap = "x".repeat(MAX_ID_BYTES);
        let body = parse(json!({"leads": [{"lead_id": at_cap}]})).unwrap();
        assert_eq!(body.leads[0].id, LeadId::Text(at_cap));
        let over = "\u{e9}".repeat(MAX_ID_BYTES / 2 + 1); // 2 bytes each in UTF-8
        for (text, path) in [
            (
                format!(r#"{{"leads": [{{"lead_id": 1}}, {{"lead_id": "{over}"}}]}}"#),
                "leads[1].lead_id",
            ),
            (
                format!(r#"{{"lead_id": {}}}"#, "9".repeat(MAX_ID_BYTES + 1)),
                "lead_id",
            ),
        ] {
            match parse_text(&text) {
                Err(Error::InvalidField { path: p, message }) => {
                    assert_eq!(p, path);
                    assert!(message.contains("at most 256 bytes"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
        for (text, found) in [
            (
                r#"{"lead_id": "ab\ud800cd"}"#,
                "is not valid text (unexpected end of hex escape: a lone UTF-16 surrogate",
            ),
            (r#"{"lead_id": [1]}"#, "an array"),
            (r#"{"lead_id": {"a": 1}}"#, "an object"),
            (r#"{"lead_id": 1e999}"#, "out of range"),
        ] {
            match parse_text(text) {
                Err(Error::InvalidField { path, message }) => {
                    assert_eq!(path, "lead_id");
                    assert!(message.contains(found), "{message}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
