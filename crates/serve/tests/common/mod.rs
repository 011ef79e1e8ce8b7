//! Shared by the handler tests: a model trained once on the bundled demo data, and helpers to
//! call the router with `oneshot`.
#![allow(dead_code)]

pub mod http;
pub mod server;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use leadscore_serve::{app, App, Config};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// A path under the repository root.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The `leadscore-serve` binary cargo built for these tests.
pub const SERVE_BIN: &str = env!("CARGO_BIN_EXE_leadscore-serve");

/// The artifact trained on `data/demo-leads.csv` with `data/demo-spec.toml` (once per test
/// binary), kept in a temporary folder for the life of the process.
pub fn demo_model() -> &'static Path {
    static MODEL: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &MODEL
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut c = leadscore_train::pipeline::TrainConfig::new(repo("data/demo-leads.csv"));
            c.spec = Some(repo("data/demo-spec.toml"));
            let outcome = leadscore_train::pipeline::train(&c).expect("train the demo model");
            let path = dir.path().join("demo.json");
            outcome.artifact.write_atomic(&path).expect("write model");
            (dir, path)
        })
        .1
}

/// A copy of the demo model in its own folder (for tests that overwrite or break it).
pub fn demo_model_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.json");
    std::fs::copy(demo_model(), &path).expect("copy model");
    (dir, path)
}

/// A target precision the demo model reaches.
pub const TARGET: f64 = 0.5;

/// The app on the demo model with `edit` applied to the default configuration.
pub fn state_with(edit: impl FnOnce(&mut Config)) -> Arc<App> {
    let mut config = Config::new(demo_model(), TARGET);
    edit(&mut config);
    App::new(config).expect("start app")
}

/// A response, decoded.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The envelope's error code.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// Sends one request through the router.
pub async fn send(state: &Arc<App>, request: Request<Body>) -> Reply {
    let response = app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Reply {
        status,
        content_type,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A request with a JSON body.
pub fn json_request(method: &str, uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.into())
        .expect("request")
}

/// A GET request.
pub fn get(uri: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request")
}

/// A typical demo lead.
pub fn demo_lead() -> Value {
    serde_json::json!({
        "lead_id": "L1",
        "created_at": "2025-01-01 09:20:07",
        "email": "ana@acme.io",
        "job_title": "VP Marketing",
        "company_size": 250,
        "industry": "Software",
        "country": "Germany",
        "lead_source": "Referral",
        "pricing_page_visits": 4,
        "webinar_attended": "yes"
    })
}

/// The artifact trained on `csv` (written to a new folder, which is returned with it) with
/// label `converted` and id `lead_id`, the spec inferred from the data as `init` does.
pub fn train_csv(csv: &str) -> (tempfile::TempDir, leadscore_core::artifact::ModelArtifact) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("leads.csv");
    std::fs::write(&data, csv).expect("write the leads");
    let mut config = leadscore_train::pipeline::TrainConfig::new(&data);
    config.label = Some("converted".into());
    config.id = Some("lead_id".into());
    let artifact = leadscore_train::pipeline::train(&config)
        .expect("train")
        .artifact;
    (dir, artifact)
}

/// The drift report's fill entry of column `name` (`/v1/model`'s `drift.fill`).
pub fn drift_column<'a>(drift: &'a Value, name: &str) -> &'a Value {
    drift["fill"]
        .as_array()
        .expect("fill reported")
        .iter()
        .find(|c| c["column"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {drift}"))
}
