//! `POST /invocations`: the MLflow scoring protocol, so MLflow clients work unchanged.
//!
//! Accepts `{"dataframe_split": {"columns": [...], "data": [[...], ...]}}` and
//! `{"dataframe_records": [{...}, ...]}`, answers `{"predictions": [score, ...]}`, and reports
//! errors in MLflow's shape `{"error_code": "BAD_REQUEST", "message": "..."}` (status 400 for
//! the caller's input, as MLflow's scoring server does).

use crate::error::{Error, ErrorEnvelope, Result};
use crate::http::{blocking, json_response, parse_json, JsonBytes, Params, ScoreAuth};
use crate::lead::{check_batch_size, ColumnIndex, Lead, LeadPath};
use crate::scoring::score_and_record;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::Arc;

/// The route the MLflow error shape applies to.
pub const PATH: &str = "/invocations";

fn field(path: &str, message: impl Into<String>) -> Error {
    Error::InvalidField {
        path: path.into(),
        message: message.into(),
    }
}

/// Turns an MLflow request body into leads placed in `columns`' order.
pub fn parse_body(
    body: Value,
    columns: &ColumnIndex,
    max_batch: usize,
) -> Result<Vec<Lead<'static>>> {
    let Value::Object(mut map) = body else {
        return Err(field(
            "$",
            "expected an object with `dataframe_split` or `dataframe_records`",
        ));
    };
    for unsupported in ["instances", "inputs"] {
        if map.contains_key(unsupported) {
            return Err(field(
                unsupported,
                "tensor input is not supported: send `dataframe_split` or `dataframe_records`",
            ));
        }
    }
    match (
        map.remove("dataframe_split"),
        map.remove("dataframe_records"),
    ) {
        (Some(_), Some(_)) => Err(field(
            "$",
            "send either `dataframe_split` or `dataframe_records`, not both",
        )),
        (Some(split), None) => parse_split(split, columns, max_batch),
        (None, Some(Value::Array(records))) => {
            check_batch_size(records.len(), max_batch)?;
            records
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    Lead::from_value(
                        r,
                        LeadPath::Item {
                            array: "dataframe_records",
                            index: i,
                        },
                        columns,
                    )
                })
                .collect()
        }
        (None, Some(_)) => Err(field(
            "dataframe_records",
            "expected an array of record objects",
        )),
        (None, None) => Err(field(
            "$",
            "expected `dataframe_split` or `dataframe_records`",
        )),
    }
}

fn parse_split(split: Value, index: &ColumnIndex, max_batch: usize) -> Result<Vec<Lead<'static>>> {
    let Value::Object(mut split) = split else {
        return Err(field(
            "dataframe_split",
            "expected {\"columns\": [...], \"data\": [[...], ...]}",
        ));
    };
    let columns: Arc<[String]> = match split.remove("columns") {
        Some(Value::Array(cols)) => cols
            .into_iter()
            .enumerate()
            .map(|(i, c)| match c {
                Value::String(s) => Ok(s),
                _ => Err(field(
                    &format!("dataframe_split.columns[{i}]"),
                    "expected a column name (string)",
                )),
            })
            .collect::<Result<Vec<_>>>()?
            .into(),
        _ => {
            return Err(field(
                "dataframe_split.columns",
                "expected an array of column names",
            ))
        }
    };
    let Some(Value::Array(rows)) = split.remove("data") else {
        return Err(field("dataframe_split.data", "expected an array of rows"));
    };
    check_batch_size(rows.len(), max_batch)?;
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let path = LeadPath::Row {
                index: i,
                columns: columns.clone(),
            };
            match row {
                Value::Array(values) if values.len() == columns.len() => {
                    let object: serde_json::Map<String, Value> =
                        columns.iter().cloned().zip(values).collect();
                    Lead::from_value(Value::Object(object), path, index)
                }
                Value::Array(values) => Err(field(
                    &path.root(),
                    format!(
                        "the row has {} values but there are {} columns",
                        values.len(),
                        columns.len()
                    ),
                )),
                _ => Err(field(&path.root(), "expected a row (array of values)")),
            }
        })
        .collect()
}

/// `POST /invocations`.
pub async fn invocations(
    State(app): State<AppState>,
    _auth: ScoreAuth,
    params: Params,
    JsonBytes(bytes): JsonBytes,
) -> Result<Response> {
    let as_of = params.as_of()?;
    let body = blocking(move || {
        let serving = app.current();
        let leads = parse_body(parse_json(&bytes)?, &serving.columns, app.config.max_batch)?;
        let scores = score_and_record(&app, &serving, &leads, as_of, 0, PATH)?;
        let predictions: Vec<f64> = scores.iter().map(|s| s.score).collect();
        serde_json::to_vec(&json!({ "predictions": predictions }))
            .map_err(|e| Error::Internal(format!("serialize predictions: {e}")))
    })
    .await?;
    Ok(json_response(body))
}

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

/// Rewrites an error envelope from `/invocations` into MLflow's error shape (called by the
/// server's middleware for unsuccessful `/invocations` responses).
pub async fn error_shape(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let message = match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
        Ok(env) => match env.error.path {
            Some(path) => format!("{path}: {}", env.error.message),
            None => env.error.message,
        },
        Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
    };
    // MLflow answers 400 for any bad input; keep our other statuses.
    if matches!(parts.status.as_u16(), 415 | 422) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    let body = json!({"error_code": error_code(parts.status), "message": message});
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    (parts, Body::from(body.to_string())).into_response()
}
