//! The HTTP API: routes, their handlers and the middleware (metrics, timeout, error shapes,
//! panic backstop). Every error leaves as [`Error`]'s JSON envelope, including what axum itself
//! would reject (body limit, content type, unknown route, method). The extractors and response
//! helpers the routes share are [`crate::http`]'s (re-exported here under their old paths).

use crate::error::{Error, Result};
use crate::mlflow;
use crate::state::{App, CutoffReport, CutoffTarget};
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use leadscore_core::curve::{cutoff_for_precision, CutoffError};
use serde_json::{json, Value};
use std::time::Instant;

use crate::http::parse_and_score;
pub use crate::http::{
    json_response, parse_json, AdminAuth, JsonBody, JsonBytes, Params, ScoreAuth, DEFAULT_FACTORS,
};
pub use crate::lead::check_batch_size;
pub use crate::scoring::score_and_record;
pub use crate::state::AppState;

/// The router with every route and layer; tests call it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    // No `DefaultBodyLimit` layer: the JSON extractors read bodies within
    // `config.max_body_bytes` themselves ([`JsonBytes`]).
    Router::new()
        .route("/v1/score", post(score))
        .route("/invocations", post(mlflow::invocations))
        .route("/ping", get(mlflow::ping))
        .route("/health", get(mlflow::ping))
        .route("/version", get(mlflow::version))
        .route("/v1/model", get(model))
        .route("/v1/cutoff", get(get_cutoff).put(put_cutoff))
        .route("/v1/admin/reload", post(reload))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::ui::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), edge))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                Error::Internal("a handler panicked".into()).into_response()
            },
        ))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// The one middleware every request passes (one layer, not three: each `from_fn` layer boxes
/// and moves the request's future, which showed in the single-lead profile): the request
/// timeout, metrics by route and status, and MLflow's error shape on `/invocations`.
async fn edge(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| {
            let p = m.as_str();
            crate::metrics::ROUTES
                .iter()
                .find(|r| **r == p)
                .copied()
                .unwrap_or("unmatched")
        });
    let is_mlflow = req.uri().path() == mlflow::PATH;
    around(&app, route, is_mlflow, next.run(req)).await
}

/// What [`edge`] does around a route's answer: the request timeout, the metrics, MLflow's
/// error shape and, while draining, `Connection: close`.
async fn around(
    app: &App,
    route: &'static str,
    is_mlflow: bool,
    answer: impl std::future::Future<Output = Response>,
) -> Response {
    let limit = app.config.request_timeout;
    let start = Instant::now();
    // Polled once before the timer is set: most answers (a lead whose body came with its head)
    // are ready at the first poll, and a timer means a runtime handle and a timer entry set up
    // and taken down for each request. An answer that is not ready gets the timer, counted
    // from `start`.
    let mut answer = std::pin::pin!(answer);
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(answer.as_mut().poll(cx))).await;
    let response = match first {
        std::task::Poll::Ready(response) => response,
        std::task::Poll::Pending => match start.checked_add(limit) {
            // Boxed, as the MLflow shape below: these rare paths' futures (a timer entry,
            // a body read) would otherwise be part of every request's future.
            Some(deadline) => Box::pin(until_deadline(answer, deadline, limit)).await,
            // A limit past the clock's range is no limit.
            None => answer.await,
        },
    };
    let mut response = if is_mlflow && !response.status().is_success() {
        Box::pin(mlflow::error_shape(response)).await
    } else {
        response
    };
    // The status the client gets (MLflow's shape turns a 422 into a 400).
    app.metrics
        .record_request(route, response.status().as_u16(), start.elapsed());
    if app.is_draining() {
        // Shutting down: close each connection after its answer (see `serve`).
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// `answer`, or at `deadline` the timeout: 408 `body_timeout` when the answer is still
/// waiting for its request body (the client is late: a body sent a few bytes at a time, or cut
/// short of its declared length), else 503 `timeout` (the server is).
async fn until_deadline(
    mut answer: std::pin::Pin<&mut impl std::future::Future<Output = Response>>,
    deadline: Instant,
    limit: std::time::Duration,
) -> Response {
    let mut timer = std::pin::pin!(tokio::time::sleep_until(deadline.into()));
    let ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
    std::future::poll_fn(|cx| {
        let (polled, body_pending) = crate::http::poll_noting_body(answer.as_mut(), cx);
        if polled.is_ready() {
            return polled;
        }
        std::future::Future::poll(timer.as_mut(), cx).map(|()| {
            if body_pending {
                Error::BodyTimeout { ms }.into_response()
            } else {
                Error::Timeout { ms }.into_response()
            }
        })
    })
    .await
}

// The path is echoed cut as a value is ([`crate::error::shorten`]): a 64 KiB path is not sent
// back whole.
async fn not_found(method: Method, uri: Uri) -> Error {
    Error::NotFound {
        method: crate::error::shorten(method.as_str()),
        path: crate::error::shorten(uri.path()),
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> Error {
    Error::MethodNotAllowed {
        method: crate::error::shorten(method.as_str()),
        path: crate::error::shorten(uri.path()),
    }
}

// ---------------------------------------------------------------------------------------------
// The scoring route without the router

/// The routes as the connections call them: `POST /v1/score`, the route that takes nearly all
/// the traffic, directly ([`score_direct`]); every other request through the router ([`app`]).
/// Through the router a single-lead request cost ~17k more instructions (callgrind on the
/// release server), most of them boxing and cloning the route's layered services (~25
/// allocations a request).
#[derive(Clone)]
pub struct Routes {
    router: Router,
    state: AppState,
    /// The server binds loopback: every request's `Host` is checked ([`crate::http::host_allowed`]).
    check_host: bool,
}

impl Routes {
    /// The routes of `state`'s server.
    pub fn new(state: AppState) -> Self {
        Self {
            router: app(state.clone()),
            check_host: state.config.bind.ip().is_loopback(),
            state,
        }
    }

    /// Answers one request that arrived on `local`: kept as a request extension for the
    /// router's routes (the admin check reads it), not needed by the direct score route.
    pub fn call(
        &self,
        mut req: Request,
        local: crate::conn::LocalAddr,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>> {
        // One `Host` at most (RFC 9112: 400 otherwise): which of two would name the server,
        // and would a proxy in front have read the same one?
        let mut hosts = req.headers().get_all(header::HOST).iter();
        let host = hosts.next();
        let refused = if hosts.next().is_some() {
            Some(Error::BadRequest(
                "the request has more than one Host header".into(),
            ))
        } else if self.check_host {
            crate::http::host_allowed(host, &self.state.config.allowed_hosts)
                .err()
                .map(Error::Forbidden)
        } else {
            None
        };
        if let Some(e) = refused {
            let app = self.state.clone();
            // Two Hosts: the connection is closed after the answer, as after the HTTP layer's
            // other 400s (a proxy and this server may disagree on what follows).
            let close = matches!(e, Error::BadRequest(_));
            return Box::pin(async move {
                around(&app, "unmatched", false, async {
                    let mut response = e.into_response();
                    if close {
                        response
                            .headers_mut()
                            .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    }
                    response
                })
                .await
            });
        }
        if req.method() == Method::POST && req.uri().path() == "/v1/score" {
            return Box::pin(score_direct(self.state.clone(), req));
        }
        req.extensions_mut().insert(local);
        let response = tower::ServiceExt::oneshot(self.router.clone(), req);
        Box::pin(async move {
            match response.await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        })
    }
}

/// `POST /v1/score` as the router answers it ([`app`]: [`edge`], the panic
/// backstop, then [`score`] with its extractors in the same order), without the router.
/// `crates/serve/tests/direct_route.rs` checks that both give the same answers, errors included.
pub fn score_direct(
    app: AppState,
    req: Request,
) -> impl std::future::Future<Output = Response> + Send {
    // Boxed: each async layer around a future stores it again (rustc lays out an awaited
    // future beside the argument it came from), and the single-lead answer's future grew to
    // 19 KB, copied with every request (12k instructions of memcpy a request, callgrind).
    // Boxed here, outside any `async` body: made inside one, the unboxed future kept a slot
    // in the outer future too (2.2 KB where 0.5 KB is needed), which put both allocations
    // past the allocator's small-block cache (~800 instructions a request, callgrind).
    let answer = Box::pin(score_answer(app.clone(), req));
    async move { around(&app, "/v1/score", false, catch_panic(answer)).await }
}

/// [`score`] with its extractors, as the router calls it (their checks in the same order, made
/// without their `async` wrappers, whose futures made every request's future larger).
async fn score_answer(app: AppState, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let checked = ScoreAuth::check(&parts, &app)
        .and_then(|auth| JsonBytes::check(&parts.headers).map(|()| (auth, Params::of(&parts))));
    drop(parts);
    let answer = async {
        let (auth, params) = checked?;
        let bytes = JsonBytes::read(body, &app).await?;
        score(State(app.clone()), auth, params, bytes).await
    };
    answer.await.into_response()
}

/// A handler's answer, or a 500 if it panicked (what the router's `CatchPanicLayer` does).
async fn catch_panic(
    mut answer: std::pin::Pin<Box<impl std::future::Future<Output = Response>>>,
) -> Response {
    std::future::poll_fn(|cx| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer.as_mut().poll(cx)))
            .unwrap_or_else(|_| {
                std::task::Poll::Ready(Error::Internal("a handler panicked".into()).into_response())
            })
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Scoring

async fn score(
    State(app): State<AppState>,
    _auth: ScoreAuth,
    params: Params,
    JsonBytes(bytes): JsonBytes,
) -> Result<Response> {
    let (factors, as_of) = params.factors_and_as_of()?;
    let body = parse_and_score(bytes.len(), move || {
        score_body(&app, &bytes, as_of, factors)
    })
    .await?;
    Ok(json_response(body))
}

/// Parses, scores and serializes one `/v1/score` body; each lead is written as soon as it is
/// scored (see [`crate::json_out::Answer`]).
pub fn score_body(app: &App, bytes: &[u8], as_of: i64, factors: usize) -> Result<Vec<u8>> {
    let serving = app.current();
    let body = crate::lead::parse_score_body(bytes, &serving.columns, app.config.max_batch)?;
    let per_lead = if factors > 0 { 1400 } else { 400 };
    let mut answer = crate::json_out::Answer::new(
        &serving,
        as_of,
        body.batch,
        256 + body.leads.len() * per_lead,
    );
    score_and_record(
        app,
        &serving,
        &body.leads,
        as_of,
        factors,
        "/v1/score",
        |_, score, inputs| answer.lead(score, inputs),
    )?;
    Ok(answer.finish())
}

// ---------------------------------------------------------------------------------------------
// Model and cutoff

async fn model(State(app): State<AppState>) -> Json<Value> {
    let serving = app.current();
    let a = &serving.artifact;
    let p = &a.provenance;
    Json(json!({
        "model_id": a.model_id,
        "created_at": a.created_at,
        "format_version": a.format_version,
        "leadscore_version": a.leadscore_version,
        "provenance": {
            "inputs": p.inputs,
            "label": p.label,
            "positive_values": p.positive_values,
            "rows": p.rows,
            "train_rows": p.train_rows,
            "train_positives": p.train_positives,
            "holdout_rows": p.holdout_rows,
            "holdout_positives": p.holdout_positives,
            "split": p.split,
            "date_range": p.date_range,
            "penalty_alpha": p.fitted_alpha(),
            "solver_converged": p.solver.converged,
            "warnings": p.warnings,
        },
        // The fields a lead is read from; a total is computed from its parts, not sent.
        "columns": a.spec.inputs().map(|c| &c.name).collect::<Vec<_>>(),
        "totals": a.spec.totals().map(|(c, parts)| json!({"name": c.name, "sum_of": parts}))
            .collect::<Vec<_>>(),
        "evaluation": a.evaluation,
        "leakage": a.leakage,
        "intercept": a.model.intercept,
        "weights": a.model.features,
        "cutoff": serving.cutoff,
        "tiers": serving.tiers,
        "rest_tier": serving.rest_tier,
        "gates": serving.gates.specs(),
        "gates_from": if serving.gates_from_config { "--gates" } else { "model" },
        "file": &*serving.file,
        "last_reload_error": app.last_reload_error(),
        "drift": serving.drift_report(&app.config.drift),
    }))
}

/// The target a `GET /v1/cutoff` asks about: `None` without either parameter (the cutoff in
/// force); either one alone keeps the other in force (`?confidence=0.9`: the target precision
/// in force, at 90% confidence).
fn target_from_params(params: &Params, current: CutoffTarget) -> Result<Option<CutoffTarget>> {
    params.only(&["target_precision", "confidence"])?;
    let target = params.number::<f64>("target_precision", "a number")?;
    let confidence = params
        .number::<f64>("confidence", "a number")?
        .map(|c| {
            check_confidence(c).map_err(|e| Error::InvalidQuery {
                name: "confidence".into(),
                message: e.to_string(),
            })
        })
        .transpose()?;
    if target.is_none() && confidence.is_none() {
        return Ok(None);
    }
    Ok(Some(CutoffTarget {
        target_precision: target.unwrap_or(current.target_precision),
        confidence: confidence.unwrap_or(current.confidence),
    }))
}

async fn get_cutoff(State(app): State<AppState>, params: Params) -> Result<Json<Value>> {
    let serving = app.current();
    let model_id = &serving.artifact.model_id;
    match target_from_params(&params, serving.target)? {
        None => Ok(Json(json!({
            "model_id": model_id,
            "cutoff": serving.cutoff,
            "tiers": serving.tiers,
            "rest_tier": serving.rest_tier,
        }))),
        Some(target) => {
            let op =
                cutoff_for_precision(&serving.curve, target.target_precision, target.confidence)?;
            Ok(Json(json!({
                "model_id": model_id,
                "cutoff": CutoffReport::new(target, &op),
                "in_force": serving.cutoff,
            })))
        }
    }
}

/// A confidence level at least 0.5 and below 1 (core's rule), or why not.
fn check_confidence(confidence: f64) -> std::result::Result<f64, CutoffError> {
    leadscore_core::curve::check_confidence(confidence).map(|()| confidence)
}

fn number_field(map: &serde_json::Map<String, Value>, name: &str) -> Result<Option<f64>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(|| Error::InvalidField {
            path: name.into(),
            message: format!("the number {n} is out of range"),
        }),
        Some(other) => Err(Error::InvalidField {
            path: name.into(),
            message: format!("expected a number, found {other}"),
        }),
    }
}

async fn put_cutoff(
    State(app): State<AppState>,
    _auth: AdminAuth,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>> {
    // The settings are the body's: `?confidence=0.99` here was ignored in silence.
    params.only(&[])?;
    let Value::Object(map) = body else {
        return Err(Error::InvalidField {
            path: "$".into(),
            message: "expected {\"target_precision\": P, \"confidence\": C}".into(),
        });
    };
    // A misspelt key (`"confidnce": 0.99`) would leave the confidence in force while the
    // caller believes theirs is: refused, as an unknown lead field is not.
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "target_precision" | "confidence"))
    {
        return Err(Error::InvalidField {
            path: key.chars().take(100).collect(),
            message: "is not a setting of the cutoff: the body takes target_precision and \
                      confidence"
                .into(),
        });
    }
    let previous = app.current();
    let target_precision =
        number_field(&map, "target_precision")?.ok_or_else(|| Error::InvalidField {
            path: "target_precision".into(),
            message: "is required".into(),
        })?;
    let confidence = match number_field(&map, "confidence")? {
        Some(c) => check_confidence(c).map_err(|e| Error::InvalidField {
            path: "confidence".into(),
            message: e.to_string(),
        })?,
        None => previous.target.confidence,
    };
    let serving = app
        .set_cutoff(CutoffTarget {
            target_precision,
            confidence,
        })
        .await?;
    leadscore_core::stderr_line!(
        "leadscore-serve: cutoff changed to {:.4} (target precision {}, confidence {})",
        serving.cutoff.threshold,
        target_precision,
        confidence
    );
    Ok(Json(json!({
        "model_id": serving.artifact.model_id,
        "cutoff": serving.cutoff,
        "previous": previous.cutoff,
        "tiers": serving.tiers,
    })))
}

async fn reload(
    State(app): State<AppState>,
    _auth: AdminAuth,
    params: Params,
) -> Result<Json<Value>> {
    params.only(&[])?;
    let previous = app.current();
    // `reload` logs the outcome and, on failure, keeps the old model serving.
    let serving = app.reload("admin reload").await?;
    Ok(Json(json!({
        "model_id": serving.artifact.model_id,
        "previous_model_id": previous.artifact.model_id,
        "file": &*serving.file,
        "cutoff": serving.cutoff,
    })))
}

// ---------------------------------------------------------------------------------------------
// Health and metrics

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(app): State<AppState>) -> Result<Json<Value>> {
    if app.is_draining() {
        return Err(Error::ShuttingDown);
    }
    Ok(Json(
        json!({"status": "ready", "model_id": app.current().artifact.model_id}),
    ))
}

async fn metrics(State(app): State<AppState>) -> Response {
    let mut text = app.metrics.render();
    app.current()
        .drift_report(&app.config.drift)
        .write_prometheus(&mut text);
    let mut response = Body::from(text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
