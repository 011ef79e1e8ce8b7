//! Request leads: JSON parsed once into a typed [`Lead`], each value checked where it stands so
//! an error names its JSON path (`leads[3].company_size`).
//!
//! Field values must be scalars (string, number, boolean, null); the feature spec then decides
//! what each column accepts (core's featurizer), and this module adds the checks core leaves to
//! the caller: a non-finite number written as text (`"NaN"`), a timestamp outside
//! [1970-01-01, as_of + 1 day], and the shape of `events`.

use crate::error::{Error, Result};
use leadscore_core::fitted::{FittedSpec, FittedTransform};
use leadscore_core::value::{parse_number, parse_timestamp, FieldValueOwned};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Slack allowed for timestamps after `as_of` (clock skew between systems).
pub const FUTURE_SLACK_SECONDS: i64 = 86_400;

/// Where a lead sits in the request, to name the JSON path of its fields in errors.
#[derive(Debug, Clone)]
pub enum LeadPath {
    /// Fields are keys of an object at `prefix` (empty for the request root).
    Keyed(String),
    /// Fields are positions of an array at `prefix`, named by `columns` (MLflow `dataframe_split`).
    Indexed {
        /// Path of the row.
        prefix: String,
        /// Column names, in row order.
        columns: Arc<[String]>,
    },
}

impl LeadPath {
    /// The path of the lead itself.
    pub fn root(&self) -> String {
        match self {
            Self::Keyed(p) if p.is_empty() => "$".into(),
            Self::Keyed(p) => p.clone(),
            Self::Indexed { prefix, .. } => prefix.clone(),
        }
    }

    /// The path of field `column` of this lead.
    pub fn field(&self, column: &str) -> String {
        match self {
            Self::Keyed(prefix) => key_path(prefix, column),
            Self::Indexed { prefix, columns } => match columns.iter().position(|c| c == column) {
                Some(i) => format!("{prefix}[{i}]"),
                None => key_path(prefix, column),
            },
        }
    }
}

/// `prefix.key`, or `prefix["key"]` when the key is not a plain identifier.
pub fn key_path(prefix: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (plain, prefix.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{prefix}.{key}"),
        (false, _) => format!(
            "{prefix}[{}]",
            serde_json::to_string(key).unwrap_or_default()
        ),
    }
}

/// One engagement event sent with a lead (see [`Lead`] for when it is used).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened (`pricing_page_visit`).
    pub event_type: String,
    /// When, in Unix seconds.
    pub occurred_at: i64,
    /// An optional amount.
    pub value: Option<f64>,
}

/// A lead as the server scores it.
///
/// `events` are always checked for shape and time; they feed the model only when its spec has
/// event features (`FittedSpec::events`), and are otherwise accepted and ignored. Event types
/// the model does not know are ignored too (core's rule), not refused.
#[derive(Debug, Clone)]
pub struct Lead {
    /// Field name -> value (scalars only).
    pub fields: HashMap<String, FieldValueOwned>,
    /// Events, in request order.
    pub events: Vec<Event>,
    /// Where the lead sits in the request.
    pub path: LeadPath,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn scalar(value: Value, path: impl FnOnce() -> String) -> Result<FieldValueOwned> {
    Ok(match value {
        Value::Null => FieldValueOwned::Missing,
        Value::Bool(b) => FieldValueOwned::Bool(b),
        Value::String(s) => FieldValueOwned::Text(s),
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.is_finite() => FieldValueOwned::Number(x),
            _ => {
                return Err(Error::InvalidField {
                    path: path(),
                    message: format!("the number {n} is out of range"),
                })
            }
        },
        other => {
            return Err(Error::InvalidField {
                path: path(),
                message: format!(
                    "expected a string, number, boolean or null, found {}",
                    kind(&other)
                ),
            })
        }
    })
}

impl Lead {
    /// A lead from a JSON object (`events` is read as the event list).
    pub fn from_object(map: Map<String, Value>, path: LeadPath) -> Result<Self> {
        let mut fields = HashMap::with_capacity(map.len());
        let mut events = Vec::new();
        for (key, value) in map {
            if key == "events" {
                events = parse_events(value, &path.field("events"))?;
                continue;
            }
            let v = scalar(value, || path.field(&key))?;
            fields.insert(key, v);
        }
        Ok(Self {
            fields,
            events,
            path,
        })
    }

    /// A lead from a row of MLflow's `dataframe_split` (values in `columns` order).
    pub fn from_row(row: Vec<Value>, columns: &Arc<[String]>, prefix: String) -> Result<Self> {
        if row.len() != columns.len() {
            return Err(Error::InvalidField {
                path: prefix,
                message: format!(
                    "the row has {} values but there are {} columns",
                    row.len(),
                    columns.len()
                ),
            });
        }
        let path = LeadPath::Indexed {
            prefix,
            columns: columns.clone(),
        };
        let mut fields = HashMap::with_capacity(row.len());
        for (i, value) in row.into_iter().enumerate() {
            let v = scalar(value, || path.field(&columns[i]))?;
            fields.insert(columns[i].clone(), v);
        }
        Ok(Self {
            fields,
            events: Vec::new(),
            path,
        })
    }

    /// A lead from any JSON value (must be an object).
    pub fn from_value(value: Value, path: LeadPath) -> Result<Self> {
        match value {
            Value::Object(map) => Self::from_object(map, path),
            other => Err(Error::InvalidField {
                path: path.root(),
                message: format!("expected a lead object, found {}", kind(&other)),
            }),
        }
    }

    /// The checks core leaves to the caller, against the model's spec: numbers written as
    /// text must be finite, timestamps must lie in [1970-01-01, as_of + 1 day], and so must
    /// event times.
    pub fn check(&self, spec: &FittedSpec, as_of: i64) -> Result<()> {
        for col in &spec.columns {
            let Some(FieldValueOwned::Text(text)) = self.fields.get(&col.name) else {
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
                        message: format!("expected a finite number, found {text:?}"),
                    });
                }
                FittedTransform::Timestamp { .. } => {
                    if let Some(t) = parse_timestamp(text) {
                        check_time(t, as_of, || self.path.field(&col.name))?;
                    }
                }
                _ => {}
            }
        }
        for (i, e) in self.events.iter().enumerate() {
            check_time(e.occurred_at, as_of, || {
                format!("{}[{i}].occurred_at", self.path.field("events"))
            })?;
            if let Some(ev) = spec.events.as_ref().filter(|ev| !ev.knows(&e.event_type)) {
                let mut known: Vec<&str> = ev
                    .types
                    .iter()
                    .chain(&ev.other_types)
                    .map(String::as_str)
                    .collect();
                known.sort_unstable();
                return Err(Error::InvalidField {
                    path: format!("{}[{i}].event_type", self.path.field("events")),
                    message: format!(
                        "unknown event type {:?}; this model knows: {}",
                        e.event_type,
                        known.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }
}

fn check_time(t: i64, as_of: i64, path: impl FnOnce() -> String) -> Result<()> {
    if t < 0 || t > as_of.saturating_add(FUTURE_SLACK_SECONDS) {
        return Err(Error::InvalidField {
            path: path(),
            message: format!(
                "timestamp {t} (Unix seconds) is out of range: it must lie between 1970-01-01 and one day after the scoring time {as_of}"
            ),
        });
    }
    Ok(())
}

fn parse_events(value: Value, path: &str) -> Result<Vec<Event>> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            return Err(Error::InvalidField {
                path: path.to_string(),
                message: format!("expected an array of events, found {}", kind(&other)),
            })
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("{path}[{i}]");
            let Value::Object(mut map) = item else {
                return Err(Error::InvalidField {
                    message: format!("expected an event object, found {}", kind(&item)),
                    path: at,
                });
            };
            let field_err = |name: &str, message: String| Error::InvalidField {
                path: format!("{at}.{name}"),
                message,
            };
            let event_type = match map.remove("event_type") {
                Some(Value::String(s)) if !s.trim().is_empty() => s,
                Some(Value::String(_)) => {
                    return Err(field_err("event_type", "is empty".into()));
                }
                Some(other) => {
                    return Err(field_err(
                        "event_type",
                        format!("expected a string, found {}", kind(&other)),
                    ))
                }
                None => return Err(field_err("event_type", "is required".into())),
            };
            let occurred_at = match map.remove("occurred_at") {
                Some(Value::String(s)) => parse_timestamp(&s).ok_or_else(|| {
                    field_err(
                        "occurred_at",
                        format!("expected a timestamp (RFC 3339), found {s:?}"),
                    )
                })?,
                Some(other) => {
                    return Err(field_err(
                        "occurred_at",
                        format!("expected a timestamp string, found {}", kind(&other)),
                    ))
                }
                None => return Err(field_err("occurred_at", "is required".into())),
            };
            let value = match map.remove("value") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) => match n.as_f64() {
                    Some(x) if x.is_finite() => Some(x),
                    _ => return Err(field_err("value", format!("{n} is out of range"))),
                },
                Some(other) => {
                    return Err(field_err(
                        "value",
                        format!("expected a number, found {}", kind(&other)),
                    ))
                }
            };
            Ok(Event {
                event_type,
                occurred_at,
                value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    }

    #[test]
    fn objects_and_arrays_are_rejected_with_their_path() {
        let v = json!({"company_size": {"a": 1}});
        let err = Lead::from_value(v, LeadPath::Keyed("leads[3]".into())).unwrap_err();
        assert_eq!(err.path(), Some("leads[3].company_size"));
        let err = Lead::from_value(json!([1]), LeadPath::Keyed("leads[1]".into())).unwrap_err();
        assert_eq!(err.path(), Some("leads[1]"));
    }

    #[test]
    fn events_shape() {
        let ok = json!({"events": [{"event_type": "visit", "occurred_at": "2025-01-01T00:00:00Z", "value": 2}]});
        let lead = Lead::from_value(ok, LeadPath::Keyed(String::new())).unwrap();
        assert_eq!(lead.events.len(), 1);
        for (bad, path) in [
            (json!({"events": {}}), "events"),
            (json!({"events": [1]}), "events[0]"),
            (
                json!({"events": [{"occurred_at": "2025-01-01"}]}),
                "events[0].event_type",
            ),
            (
                json!({"events": [{"event_type": "v", "occurred_at": "soon"}]}),
                "events[0].occurred_at",
            ),
            (
                json!({"events": [{"event_type": "v", "occurred_at": "2025-01-01", "value": "x"}]}),
                "events[0].value",
            ),
        ] {
            let err = Lead::from_value(bad, LeadPath::Keyed(String::new())).unwrap_err();
            assert_eq!(err.path(), Some(path));
        }
    }
}
