//! MLflow's scoring protocol, so MLflow's own client (`ScoringServerClient`) and tools built on
//! it work unchanged: `POST /invocations`, and `GET /ping`, `/health` and `/version`.
//!
//! `/invocations` accepts a JSON object with exactly one of (other keys, such as `params`, are
//! ignored, as MLflow does):
//! - `{"dataframe_split": {"columns": [...], "data": [[...], ...], "index": [...]}}` (what the
//!   client sends for a pandas DataFrame; `index` is ignored);
//! - `{"dataframe_records": [{...}, ...]}`;
//! - `{"inputs": ...}` or `{"instances": ...}`: a list of records (what the client sends for a
//!   list of dicts) or an object of columns, `{"column": [value per row], ...}`.
//!
//! `NaN`, `Infinity` and `-Infinity` (which Python's `json` writes for pandas' missing values)
//! read as missing, as `null` does. Columns the model does not use are ignored whatever they hold.
//! The answer is `{"predictions": [score, ...]}`; errors come in MLflow's shape
//! `{"error_code": "BAD_REQUEST", "message": "..."}` (status 400 for the caller's input, as
//! MLflow's scoring server answers; 415 for a body not declared as JSON; 413 over the limits).
//!
//! The body is parsed straight from its bytes, never into a JSON tree, and the batch limit is
//! checked while the rows are read: rows past `--max-batch` are counted, not built.

use crate::error::{Error, ErrorEnvelope, Result};
use crate::http::{json_response, parse_and_score, JsonBytes, Params, ScoreAuth};
use crate::lead::{
    drain_map, drain_seq, key_path, read_batch, refuse_over_limit, ColumnIndex, FieldSeed, KeySeed,
    Lead, LeadPath, LeadSeed, ParseContext, Skip,
};
use crate::scoring::score_and_record;
use crate::state::{App, AppState};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::json;
use std::fmt;
use std::sync::Arc;

/// The route the MLflow error shape applies to.
pub const PATH: &str = "/invocations";

/// The longest error message sent back (in bytes); longer ones are cut, and say so.
pub const MAX_MESSAGE_BYTES: usize = 1024;

// ---------------------------------------------------------------------------------------------
// Missing values

/// A body [`missing_as_null`] rewrote, and where: each replacement's offset in the new text
/// and the length of the word it replaced, to give a syntax error's position in the body as
/// sent.
pub struct Rewritten {
    /// The new text.
    pub bytes: Vec<u8>,
    /// (offset of the `null` in `bytes`, length of the word it replaced), in order.
    replaced: Vec<(usize, usize)>,
}

impl Rewritten {
    /// The column (serde_json's: bytes since the line's start) in the body as sent of
    /// `column` on `line` (1-based) of the new text. The words replaced hold no line end, so
    /// the line is the same.
    fn original_column(&self, line: usize, column: usize) -> usize {
        let start = if line <= 1 {
            0
        } else {
            match self
                .bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(line - 2)
            {
                Some((i, _)) => i + 1,
                None => return column,
            }
        };
        let at = start + column;
        let mut original = column as isize;
        for &(offset, len) in self.replaced.iter().filter(|(o, _)| *o >= start && *o < at) {
            // Bytes of the `null` before the position, and of the word they stand for (inside
            // the `null`: at most the word's length).
            let into = at - offset;
            let consumed = into.min(NULL_LEN);
            let kept = if into >= NULL_LEN { len } else { into.min(len) };
            original += kept as isize - consumed as isize;
        }
        original.max(0) as usize
    }
}

const NULL_LEN: usize = 4;

/// The body with every `NaN`, `Infinity` and `-Infinity` outside a string replaced by `null`,
/// and where, or `None` when it has none (the common case: no copy). Python's `json` writes
/// these literals for float NaN and infinities, so pandas' missing values arrive as `NaN`; they
/// are not JSON, and serde_json refuses them. Outside strings, JSON has no other letters than
/// `true`, `false`, `null` and exponents, so these words cannot be part of another token.
pub fn missing_as_null(bytes: &[u8]) -> Option<Rewritten> {
    let mut out: Option<Vec<u8>> = None;
    let mut replaced = Vec::new();
    let (mut copied, mut i, mut in_string) = (0, 0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 2,
                b'"' => {
                    in_string = false;
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        let literal = match b {
            b'"' => {
                in_string = true;
                i += 1;
                continue;
            }
            b'N' if bytes[i..].starts_with(b"NaN") => 3,
            b'I' if bytes[i..].starts_with(b"Infinity") => 8,
            b'-' if bytes[i..].starts_with(b"-Infinity") => 9,
            _ => {
                i += 1;
                continue;
            }
        };
        let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 64));
        out.extend_from_slice(&bytes[copied..i]);
        replaced.push((out.len(), literal));
        out.extend_from_slice(b"null");
        i += literal;
        copied = i;
    }
    let mut out = out?;
    out.extend_from_slice(&bytes[copied.min(bytes.len())..]);
    Some(Rewritten {
        bytes: out,
        replaced,
    })
}

/// A JSON syntax error of a body [`missing_as_null`] may have rewritten, shown at its position
/// in the body as sent.
struct SentPosition<'a>(serde_json::Error, Option<&'a Rewritten>);

impl std::fmt::Display for SentPosition<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (e, rewritten) = (&self.0, self.1);
        let text = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        match (rewritten, text.strip_suffix(&suffix)) {
            (Some(r), Some(message)) if e.line() > 0 => write!(
                f,
                "{message} at line {} column {}",
                e.line(),
                r.original_column(e.line(), e.column())
            ),
            _ => f.write_str(&text),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The streaming parser

/// The outcome of one pass over the body.
enum Parsed<'de> {
    /// The leads, in request order.
    Leads(Vec<Lead<'de>>),
    /// `dataframe_split.data` came before `columns`: the rows were skipped, and a second pass
    /// reads them with these column names.
    NeedColumns(Arc<[String]>),
}

/// Parses an MLflow request body (with [`missing_as_null`] already applied) into leads placed
/// in `columns`' order, at most `max_batch` of them: 413 `batch_too_large` as soon as a row past
/// the limit is seen (the rest are counted for the message, never built), 422 `empty_batch`
/// for none, and 400/422 with the JSON path for anything else.
/// `rewritten`: what [`missing_as_null`] changed, when `bytes` is its output (a syntax error's
/// position is then given in the body as sent).
pub fn parse_body<'de>(
    bytes: &'de [u8],
    rewritten: Option<&Rewritten>,
    columns: &ColumnIndex,
    max_batch: usize,
) -> Result<Vec<Lead<'de>>> {
    match parse_pass(bytes, rewritten, columns, max_batch, None)? {
        Parsed::Leads(leads) => Ok(leads),
        Parsed::NeedColumns(names) => {
            match parse_pass(bytes, rewritten, columns, max_batch, Some(names))? {
                Parsed::Leads(leads) => Ok(leads),
                Parsed::NeedColumns(_) => Err(Error::Internal(
                    "dataframe_split: the second pass did not read the rows".into(),
                )),
            }
        }
    }
}

fn parse_pass<'de>(
    bytes: &'de [u8],
    rewritten: Option<&Rewritten>,
    columns: &ColumnIndex,
    max_batch: usize,
    split_columns: Option<Arc<[String]>>,
) -> Result<Parsed<'de>> {
    let cx = ParseContext::ignoring_unknown(columns);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = BodySeed {
        cx: &cx,
        max_batch,
        split_columns,
    }
    .deserialize(&mut de)
    .and_then(|body| de.end().map(|()| body));
    let parsed = parsed.map_err(|e| cx.errors.into_error(SentPosition(e, rewritten)))?;
    match cx.seen.none_known(columns) {
        Some(e) if matches!(parsed, Parsed::Leads(_)) => Err(e),
        _ => Ok(parsed),
    }
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> Error {
    Error::InvalidField {
        path: path.into(),
        message: message.into(),
    }
}

/// The visit methods of a value that is not of the expected kind, refused with `self.refuse`.
macro_rules! refuse_scalars {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
            Err(self.refuse("a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
            Err(self.refuse("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
            Err(self.refuse("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
            Err(self.refuse("a number"))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
            Err(self.refuse("a string"))
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Err(self.refuse("null"))
        }
    };
}

/// `visit_map` refusing an object (read to its end first, so a syntax error inside it wins).
macro_rules! refuse_map {
    ($de:lifetime) => {
        fn visit_map<A: MapAccess<$de>>(
            self,
            map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            drain_map(map)?;
            Err(self.refuse("an object"))
        }
    };
}

/// `visit_seq` refusing an array (read to its end first).
macro_rules! refuse_seq {
    ($de:lifetime) => {
        fn visit_seq<A: SeqAccess<$de>>(
            self,
            seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            drain_seq(seq)?;
            Err(self.refuse("an array"))
        }
    };
}

const FORMATS: &str = "`dataframe_split`, `dataframe_records`, `inputs` or `instances`";

struct BodySeed<'c, 'x> {
    cx: &'x ParseContext<'c>,
    max_batch: usize,
    split_columns: Option<Arc<[String]>>,
}

impl BodySeed<'_, '_> {
    fn refuse<E: de::Error>(&self, found: &str) -> E {
        self.cx.errors.fail(invalid(
            "$",
            format!("expected an object with one of {FORMATS}, found {found}"),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_, '_> {
    type Value = Parsed<'de>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_, '_> {
    type Value = Parsed<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with one of {FORMATS}")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut parsed: Option<(&'static str, Parsed<'de>)> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let name = match key.as_ref() {
                "dataframe_split" => "dataframe_split",
                "dataframe_records" => "dataframe_records",
                "inputs" => "inputs",
                "instances" => "instances",
                // `params` and anything else: ignored, as MLflow does.
                _ => {
                    map.next_value::<Skip>()?;
                    continue;
                }
            };
            if let Some((first, _)) = &parsed {
                return Err(self.cx.errors.fail(invalid(
                    "$",
                    format!("send one of {FORMATS}, not both `{first}` and `{name}`"),
                )));
            }
            let (cx, max_batch) = (self.cx, self.max_batch);
            let value = match name {
                "dataframe_split" => map.next_value_seed(SplitSeed {
                    cx,
                    max_batch,
                    columns: self.split_columns.clone(),
                })?,
                "dataframe_records" => Parsed::Leads(map.next_value_seed(RecordsSeed {
                    cx,
                    max_batch,
                    array: name,
                    columnar: false,
                })?),
                _ => Parsed::Leads(map.next_value_seed(RecordsSeed {
                    cx,
                    max_batch,
                    array: name,
                    columnar: true,
                })?),
            };
            parsed = Some((name, value));
        }
        match parsed {
            Some((_, value)) => Ok(value),
            None => Err(self
                .cx
                .errors
                .fail(invalid("$", format!("expected one of {FORMATS}")))),
        }
    }
    refuse_seq!('de);
    refuse_scalars!();
}

/// `dataframe_split`: `columns`, then `data` (in either order), `index` ignored.
struct SplitSeed<'c, 'x> {
    cx: &'x ParseContext<'c>,
    max_batch: usize,
    /// The column names, when a first pass found `data` before them.
    columns: Option<Arc<[String]>>,
}

impl SplitSeed<'_, '_> {
    fn refuse<E: de::Error>(&self, found: &str) -> E {
        self.cx.errors.fail(invalid(
            "dataframe_split",
            format!("expected {{\"columns\": [...], \"data\": [[...], ...]}}, found {found}"),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for SplitSeed<'_, '_> {
    type Value = Parsed<'de>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SplitSeed<'_, '_> {
    type Value = Parsed<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{\"columns\": [...], \"data\": [[...], ...]}")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let second_pass = self.columns.is_some();
        let mut columns = self.columns.clone();
        let (mut leads, mut skipped) = (None, false);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key.as_ref() {
                "columns" if !second_pass => {
                    columns = Some(map.next_value_seed(ColumnNamesSeed { cx: self.cx })?);
                }
                "data" => match &columns {
                    Some(names) => {
                        leads = Some(map.next_value_seed(RowsSeed {
                            cx: self.cx,
                            max_batch: self.max_batch,
                            columns: names.clone(),
                        })?);
                    }
                    None => {
                        map.next_value::<Skip>()?;
                        skipped = true;
                    }
                },
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        match (leads, skipped, columns) {
            (Some(leads), _, _) => Ok(Parsed::Leads(leads)),
            (None, true, Some(names)) => Ok(Parsed::NeedColumns(names)),
            (None, true, None) => Err(self.cx.errors.fail(invalid(
                "dataframe_split.columns",
                "expected an array of column names",
            ))),
            (None, false, _) => Err(self
                .cx
                .errors
                .fail(invalid("dataframe_split.data", "expected an array of rows"))),
        }
    }
    refuse_seq!('de);
    refuse_scalars!();
}

/// `dataframe_split.columns`: column names.
struct ColumnNamesSeed<'c, 'x> {
    cx: &'x ParseContext<'c>,
}

impl ColumnNamesSeed<'_, '_> {
    fn refuse<E: de::Error>(&self, found: &str) -> E {
        self.cx.errors.fail(invalid(
            "dataframe_split.columns",
            format!("expected an array of column names, found {found}"),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for ColumnNamesSeed<'_, '_> {
    type Value = Arc<[String]>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ColumnNamesSeed<'_, '_> {
    type Value = Arc<[String]>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of column names")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut names = Vec::new();
        while let Some(name) = seq.next_element_seed(NameSeed)? {
            match name {
                Some(name) => names.push(name),
                None => {
                    return Err(self.cx.errors.fail(invalid(
                        format!("dataframe_split.columns[{}]", names.len()),
                        "expected a column name (string)",
                    )))
                }
            }
        }
        Ok(names.into())
    }
    refuse_map!('de);
    refuse_scalars!();
}

/// A column name: `Some` for a string, `None` for anything else (read to its end).
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Option<String>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<Self::Value, E> {
        Ok(Some(s.to_string()))
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(None)
    }
}

/// `dataframe_split.data`: rows of values in `columns`' order.
struct RowsSeed<'c, 'x> {
    cx: &'x ParseContext<'c>,
    max_batch: usize,
    columns: Arc<[String]>,
}

impl RowsSeed<'_, '_> {
    fn refuse<E: de::Error>(&self, found: &str) -> E {
        self.cx.errors.fail(invalid(
            "dataframe_split.data",
            format!("expected an array of rows, found {found}"),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_> {
    type Value = Vec<Lead<'de>>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_> {
    type Value = Vec<Lead<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        read_batch(self.cx, seq, self.max_batch, |index| RowSeed {
            cx: self.cx,
            columns: &self.columns,
            index,
        })
    }
    refuse_map!('de);
    refuse_scalars!();
}

/// One row of `dataframe_split.data`.
struct RowSeed<'c, 'x, 'n> {
    cx: &'x ParseContext<'c>,
    columns: &'n Arc<[String]>,
    index: usize,
}

impl RowSeed<'_, '_, '_> {
    fn path(&self) -> String {
        format!("dataframe_split.data[{}]", self.index)
    }
    fn refuse<E: de::Error>(&self, found: &str) -> E {
        self.cx.errors.fail(invalid(
            self.path(),
            format!("expected a row (array of values), found {found}"),
        ))
    }
    fn wrong_length<E: de::Error>(&self, values: usize) -> E {
        self.cx.errors.fail(invalid(
            self.path(),
            format!(
                "the row has {values} values but there are {} columns",
                self.columns.len()
            ),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_, '_> {
    type Value = Lead<'de>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_, '_> {
    type Value = Lead<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row (array of values)")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let path = LeadPath::Row {
            index: self.index,
            columns: self.columns.clone(),
        };
        let mut lead = Lead::blank(self.cx.columns, path);
        for (j, name) in self.columns.iter().enumerate() {
            let field = FieldSeed {
                cx: self.cx,
                lead: &mut lead,
                key: name,
            };
            if seq.next_element_seed(field)?.is_none() {
                return Err(self.wrong_length(j));
            }
        }
        let mut values = self.columns.len();
        while seq.next_element::<Skip>()?.is_some() {
            values += 1;
        }
        if values != self.columns.len() {
            return Err(self.wrong_length(values));
        }
        Ok(lead)
    }
    refuse_map!('de);
    refuse_scalars!();
}

/// `dataframe_records`, `inputs` or `instances`: an array of record objects; for `inputs` and
/// `instances` (`columnar`), also an object of columns.
struct RecordsSeed<'c, 'x> {
    cx: &'x ParseContext<'c>,
    max_batch: usize,
    array: &'static str,
    columnar: bool,
}

impl RecordsSeed<'_, '_> {
    fn refuse<E: de::Error>(&self, found: &str) -> E {
        let expected = if self.columnar {
            "an array of record objects or an object of columns"
        } else {
            "an array of record objects"
        };
        self.cx.errors.fail(invalid(
            self.array,
            format!("expected {expected}, found {found}"),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = Vec<Lead<'de>>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = Vec<Lead<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of record objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        read_batch(self.cx, seq, self.max_batch, |index| LeadSeed {
            cx: self.cx,
            path: LeadPath::Item {
                array: self.array,
                index,
            },
        })
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        if !self.columnar {
            drain_map(map)?;
            return Err(self.refuse("an object"));
        }
        let cx = self.cx;
        let mut leads: Vec<Lead<'de>> = Vec::new();
        let mut first: Option<(String, usize)> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let used =
                key == "events" || key == cx.columns.id_column() || cx.columns.get(&key).is_some();
            if !used {
                if key == crate::lead::AS_OF_FIELD {
                    return Err(cx
                        .errors
                        .fail(crate::lead::as_of_field_error(key_path(self.array, &key))));
                }
                // Named if no column is one the model reads (`parse_pass`).
                cx.seen.unknown(&key);
                map.next_value::<Skip>()?;
                continue;
            }
            let n = map.next_value_seed(ColumnSeed {
                cx,
                max_batch: self.max_batch,
                object: self.array,
                key: &key,
                leads: &mut leads,
            })?;
            match &first {
                None => first = Some((key.into_owned(), n)),
                Some((name, m)) if *m != n => {
                    return Err(cx.errors.fail(invalid(
                        key_path(self.array, &key),
                        format!("the column has {n} values but `{name}` has {m}"),
                    )))
                }
                Some(_) => {}
            }
        }
        if first.is_none() {
            if let Some(e) = cx.seen.none_known(cx.columns) {
                return Err(cx.errors.fail(e));
            }
        }
        if leads.is_empty() {
            return Err(cx.errors.fail(Error::EmptyBatch));
        }
        Ok(leads)
    }
    refuse_scalars!();
}

/// One column of `{"inputs": {"column": [...]}}`: its values go to the leads, row by row (the
/// first column makes them). Returns the number of values.
struct ColumnSeed<'a, 'de, 'c, 'x> {
    cx: &'x ParseContext<'c>,
    max_batch: usize,
    object: &'static str,
    key: &'a str,
    leads: &'a mut Vec<Lead<'de>>,
}

impl ColumnSeed<'_, '_, '_, '_> {
    fn refuse<E: de::Error>(&self, found: &str) -> E {
        self.cx.errors.fail(invalid(
            key_path(self.object, self.key),
            format!("expected an array of values (one per row), found {found}"),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for ColumnSeed<'_, 'de, '_, '_> {
    type Value = usize;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ColumnSeed<'_, 'de, '_, '_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of values (one per row)")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut i = 0;
        loop {
            let added = i == self.leads.len();
            if added {
                if i == self.max_batch {
                    refuse_over_limit(self.cx, seq, i, self.max_batch)?;
                    return Ok(i);
                }
                let path = LeadPath::Column {
                    object: self.object,
                    index: i,
                };
                self.leads.push(Lead::blank(self.cx.columns, path));
            }
            let field = FieldSeed {
                cx: self.cx,
                lead: &mut self.leads[i],
                key: self.key,
            };
            if seq.next_element_seed(field)?.is_none() {
                if added {
                    self.leads.pop();
                }
                return Ok(i);
            }
            i += 1;
        }
    }
    refuse_map!('de);
    refuse_scalars!();
}

// ---------------------------------------------------------------------------------------------
// Routes

/// Parses, scores and serializes one `/invocations` body.
pub fn predict(app: &App, bytes: Bytes, as_of: i64) -> Result<Vec<u8>> {
    // A rewritten body replaces the one sent (freed here).
    let (sent, rewritten) = match missing_as_null(&bytes) {
        Some(r) => (None, Some(r)),
        None => (Some(bytes), None),
    };
    let body: &[u8] = match (&sent, &rewritten) {
        (Some(b), _) => b,
        (None, Some(r)) => &r.bytes,
        (None, None) => &[],
    };
    let serving = app.current();
    let leads = parse_body(
        body,
        rewritten.as_ref(),
        &serving.columns,
        app.config.max_batch,
    )?;
    let scores = score_and_record(app, &serving, &leads, as_of, 0, PATH, |_, _, _| {})?;
    let predictions: Vec<f64> = scores.iter().map(|s| s.score).collect();
    serde_json::to_vec(&json!({ "predictions": predictions }))
        .map_err(|e| Error::Internal(format!("serialize predictions: {e}")))
}

/// `POST /invocations` (`?as_of=` as on `/v1/score`; MLflow's client sends none: now).
pub async fn invocations(
    State(app): State<AppState>,
    _auth: ScoreAuth,
    params: Params,
    JsonBytes(bytes): JsonBytes,
) -> Result<Response> {
    let as_of = params.as_of()?;
    let body = parse_and_score(bytes.len(), move || predict(&app, bytes, as_of)).await?;
    Ok(json_response(body))
}

/// `GET /ping` and `GET /health`: 200 with a newline, as MLflow's scoring server answers once
/// its model is loaded (ours always is; `ScoringServerClient.wait_server_ready` polls this).
pub async fn ping() -> Response {
    let mut response = Body::from("\n").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `GET /version`: the server's version as bare text (MLflow's answers its own version).
pub async fn version() -> Response {
    let mut response = Body::from(env!("CARGO_PKG_VERSION")).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

// ---------------------------------------------------------------------------------------------
// Errors

/// MLflow's error code for one of our statuses.
fn error_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "ENDPOINT_NOT_FOUND",
        413 => "RESOURCE_EXHAUSTED",
        503 => "TEMPORARILY_UNAVAILABLE",
        s if s >= 500 => "INTERNAL_ERROR",
        _ => "BAD_REQUEST",
    }
}

/// `message` cut to at most [`MAX_MESSAGE_BYTES`] (on a character boundary), saying how long it
/// was when it is cut.
pub fn truncate_message(message: String) -> String {
    crate::error::cut_message(&message, MAX_MESSAGE_BYTES)
}

/// The largest error body read back to reshape it. Error bodies are built in memory by this
/// server (never streamed from a client), so this only guards against a runaway.
const ERROR_BODY_LIMIT: usize = 256 << 20;

/// Rewrites an error envelope from `/invocations` into MLflow's error shape (called by the
/// server's middleware for unsuccessful `/invocations` responses), its message cut to
/// [`MAX_MESSAGE_BYTES`].
pub async fn error_shape(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let message = match axum::body::to_bytes(body, ERROR_BODY_LIMIT).await {
        Ok(bytes) => match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
            Ok(env) => match env.error.path {
                Some(path) => format!("{path}: {}", env.error.message),
                None => env.error.message,
            },
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        },
        Err(_) => format!(
            "{} (the error message was too long to show)",
            parts.status.canonical_reason().unwrap_or("error")
        ),
    };
    // MLflow answers 400 for any bad input (422 here); 415 for a body that is not JSON, 413 and
    // the others keep their status.
    if parts.status == StatusCode::UNPROCESSABLE_ENTITY {
        parts.status = StatusCode::BAD_REQUEST;
    }
    let body =
        json!({"error_code": error_code(parts.status), "message": truncate_message(message)});
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    (parts, Body::from(body.to_string())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::Val;
    use leadscore_core::fitted::{FittedColumn, FittedSpec, FittedTransform};
    use std::borrow::Cow;

    fn columns() -> ColumnIndex {
        ColumnIndex::new(&FittedSpec {
            missing_tokens: vec![String::new()],
            reference_time: None,
            columns: ["company_size", "industry"]
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

    fn parse(body: &str, max_batch: usize) -> Result<Vec<Lead<'static>>> {
        let rewritten: Option<&'static Rewritten> =
            missing_as_null(body.as_bytes()).map(|r| &*Box::leak(Box::new(r)));
        let bytes: &'static [u8] = match rewritten {
            Some(r) => &r.bytes,
            None => Box::leak(body.as_bytes().to_vec().into_boxed_slice()),
        };
        parse_body(bytes, rewritten, Box::leak(Box::new(columns())), max_batch)
    }

    fn values(leads: &[Lead<'_>]) -> Vec<Vec<Val<'static>>> {
        leads
            .iter()
            .map(|l| {
                l.values
                    .iter()
                    .map(|v| match v {
                        Val::Text(s) => Val::Text(Cow::Owned(s.to_string())),
                        Val::Missing => Val::Missing,
                        Val::Number(x) => Val::Number(*x),
                        Val::Bool(b) => Val::Bool(*b),
                    })
                    .collect()
            })
            .collect()
    }

    fn text(s: &str) -> Val<'static> {
        Val::Text(Cow::Owned(s.into()))
    }

    #[test]
    fn missing_literals_become_null_outside_strings_only() {
        assert!(missing_as_null(br#"{"a": [1, "NaN"]}"#).is_none());
        let out = missing_as_null(br#"[NaN, "x\"NaN", Infinity,-Infinity, "\\", NaN]"#)
            .unwrap()
            .bytes;
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"[null, "x\"NaN", null,null, "\\", null]"#
        );
    }

    /// A syntax error after a `NaN` or `Infinity` is placed where it is in the body as sent,
    /// not in the rewritten one (each `NaN` made it one byte longer, each `-Infinity` 5
    /// shorter).
    #[test]
    fn a_syntax_error_after_a_missing_literal_names_its_place_as_sent() {
        let message = |body: &str| match parse(body, 10) {
            Err(Error::InvalidJson(m)) => m,
            other => panic!("{body}: {:?}", other.map(|l| l.len())),
        };
        // Each body is bad at the `x` (column 1-based: serde_json's count of bytes read).
        for body in [
            r#"{"instances": [{"company_size": NaN, "industry": x}]}"#,
            r#"{"instances": [{"company_size": -Infinity, "industry": x}]}"#,
            r#"{"instances": [{"company_size": Infinity}, {"company_size": NaN,"industry": NaN x}]}"#,
            "{\"instances\": [{\"company_size\": NaN},\n {\"company_size\": NaN, \"industry\": x}]}",
        ] {
            let line = body[..body.find('x').unwrap()].matches('\n').count() + 1;
            let line_start = body[..body.find('x').unwrap()].rfind('\n').map_or(0, |i| i + 1);
            let column = body.find('x').unwrap() - line_start + 1;
            let plain = body.replace("-Infinity", "0").replace("Infinity", "0").replace("NaN", "0");
            let unmoved = message(&plain);
            assert!(unmoved.contains(&format!("line {line} column ")), "{unmoved}");
            let got = message(body);
            assert!(
                got.ends_with(&format!("at line {line} column {column}")),
                "{body}: {got} (without missing literals: {unmoved})"
            );
        }
    }

    #[test]
    fn every_mlflow_shape_gives_the_same_leads() {
        let want = vec![
            vec![Val::Number(12.0), text("Retail")],
            vec![Val::Missing, Val::Missing],
        ];
        for body in [
            // pandas' DataFrame.to_dict(orient="split"), as MLflow's client sends it.
            r#"{"dataframe_split": {"index": [0, 1], "columns": ["company_size", "industry", "extra"], "data": [[12, "Retail", {"x": [1]}], [NaN, null, NaN]]}}"#,
            // `data` before `columns`.
            r#"{"dataframe_split": {"data": [[12, "Retail", {"x": [1]}], [NaN, null, NaN]], "columns": ["company_size", "industry", "extra"]}, "params": {"p": 1}}"#,
            r#"{"dataframe_records": [{"company_size": 12, "industry": "Retail", "extra": [[1]]}, {"company_size": -Infinity}]}"#,
            // A list of dicts, as MLflow's client sends it.
            r#"{"inputs": [{"company_size": 12, "industry": "Retail"}, {"industry": NaN, "extra": {"a": {}}}]}"#,
            r#"{"instances": [{"company_size": 12, "industry": "Retail"}, {"company_size": Infinity}]}"#,
            r#"{"inputs": {"extra": [[1], 2, 3], "company_size": [12, NaN], "industry": ["Retail", null]}}"#,
        ] {
            let leads = parse(body, 10).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(values(&leads), want, "{body}");
        }
    }

    #[test]
    fn shape_errors_name_their_path() {
        for (body, path) in [
            (
                r#"{"dataframe_split": {"columns": ["company_size"], "data": [[{}]]}}"#,
                "dataframe_split.data[0][0]",
            ),
            (
                r#"{"dataframe_split": {"columns": ["company_size"], "data": [[1, 2]]}}"#,
                "dataframe_split.data[0]",
            ),
            (
                r#"{"dataframe_split": {"columns": ["company_size", "x"], "data": [[1]]}}"#,
                "dataframe_split.data[0]",
            ),
            (
                r#"{"dataframe_split": {"data": [[1]]}}"#,
                "dataframe_split.columns",
            ),
            (
                r#"{"dataframe_split": {"columns": [1], "data": [[1]]}}"#,
                "dataframe_split.columns[0]",
            ),
            (
                r#"{"dataframe_split": {"columns": ["a"]}}"#,
                "dataframe_split.data",
            ),
            (
                r#"{"dataframe_records": [{"industry": [1]}]}"#,
                "dataframe_records[0].industry",
            ),
            (
                r#"{"dataframe_records": {"industry": [1]}}"#,
                "dataframe_records",
            ),
            (r#"{"instances": [[1]]}"#, "instances[0]"),
            (r#"{"inputs": {"industry": "x"}}"#, "inputs.industry"),
            (
                r#"{"inputs": {"industry": ["x"], "company_size": [1, 2]}}"#,
                "inputs.company_size",
            ),
            (
                r#"{"inputs": {"industry": ["x", {}]}}"#,
                "inputs.industry[1]",
            ),
            (r#"{"inputs": [{}], "dataframe_records": [{}]}"#, "$"),
            (r#"{"params": {}}"#, "$"),
            (r#"[1]"#, "$"),
        ] {
            let err = parse(body, 10).unwrap_err();
            assert_eq!(err.path(), Some(path), "{body}: {err}");
        }
        for body in [
            r#"{"inputs": []}"#,
            r#"{"dataframe_split": {"columns": [], "data": []}}"#,
        ] {
            assert!(matches!(parse(body, 10), Err(Error::EmptyBatch)), "{body}");
        }
        // Columns of which the model reads none, in every layout: named, not "no leads",
        // nor every lead scored as all-missing.
        for body in [
            r#"{"inputs": {"other": [1, 2], "zzz": []}}"#,
            r#"{"dataframe_split": {"columns": ["other", "zzz"], "data": [[1, 2]]}}"#,
            r#"{"dataframe_records": [{"other": 1}, {"zzz": {"a": 1}}]}"#,
            r#"{"instances": [{"other": 1, "zzz": 2}]}"#,
        ] {
            let err = parse(body, 10).unwrap_err();
            assert_eq!(err.path(), Some("$"), "{body}: {err}");
            assert!(
                err.to_string().contains(
                    "none of the columns sent (`other`, `zzz`) is one the model reads: `"
                ),
                "{body}: {err}"
            );
        }
        // One known column among unknown ones: read.
        assert!(parse(
            r#"{"dataframe_records": [{"other": 1, "industry": "x"}]}"#,
            10
        )
        .is_ok());
        assert!(matches!(parse("{", 10), Err(Error::InvalidJson(_))));
        assert!(matches!(
            parse(r#"{"inputs": [{}]} {}"#, 10),
            Err(Error::InvalidJson(_))
        ));
    }

    #[test]
    fn the_batch_limit_is_checked_while_reading() {
        let row = r#"{"company_size": 1}"#;
        let rows = |n: usize| vec![row; n].join(",");
        assert_eq!(
            parse(&format!(r#"{{"inputs": [{}]}}"#, rows(3)), 3)
                .unwrap()
                .len(),
            3
        );
        for body in [
            format!(r#"{{"inputs": [{}]}}"#, rows(4)),
            format!(r#"{{"dataframe_records": [{}]}}"#, rows(4)),
            r#"{"dataframe_split": {"columns": ["industry"], "data": [["a"], ["b"], ["c"], ["d"]]}}"#.into(),
            r#"{"inputs": {"industry": ["a", "b", "c", "d"]}}"#.into(),
        ] {
            let err = parse(&body, 3).unwrap_err();
            assert!(
                matches!(err, Error::BatchTooLarge { leads: 4, limit: 3 }),
                "{body}: {err:?}"
            );
        }
        // Rows past the limit are counted, not read as leads: values that would be refused in
        // a lead do not change the answer.
        let err = parse(
            r#"{"dataframe_records": [{}, {"industry": [1]}, {"industry": {}}]}"#,
            1,
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::BatchTooLarge { leads: 3, limit: 1 }),
            "{err:?}"
        );
    }

    #[test]
    fn long_messages_are_cut() {
        assert_eq!(truncate_message("short".into()), "short");
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let cut = truncate_message(long.clone());
        assert!(cut.len() < MAX_MESSAGE_BYTES + 64, "{}", cut.len());
        assert!(
            cut.ends_with(&format!(" {} bytes in all)", long.len())),
            "{cut}"
        );
    }
}
