//! The model page, `GET /` and `GET /ui`: the model card and the report's charts (from
//! `leadscore-report`, the same ones `leadscore-train report` writes), with a target-precision
//! slider that asks `GET /v1/cutoff` what each target costs and shows the answer live. Plain
//! HTML, CSS and a little JavaScript, all inline: no build step, nothing fetched but the API.
//!
//! The page is rendered once per model in force (a reload or a cutoff change installs a new
//! [`Serving`]) and cached beside it, not per request.

use crate::error::{Error, Result};
use crate::state::{AppState, Serving};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leadscore_report::html::escape;
use leadscore_report::{Report, ReportOptions, TierTarget, Tiers, STYLE};
use std::fmt::Write;
use std::sync::{Arc, Mutex, Weak};

/// The page's own script: the slider, the call to `/v1/cutoff`, the live marks on the charts.
const SCRIPT: &str = include_str!("ui/page.js");
/// Styles of the control, on top of the report's.
const PAGE_STYLE: &str = include_str!("ui/page.css");

/// The charts the control marks come first, the weights last.
const PAGE_ORDER: [&str; 7] = [
    "chart-roc",
    "chart-pr",
    "chart-score-distribution",
    "chart-calibration",
    "chart-lift-decile",
    "chart-lift-tier",
    "chart-weights",
];

/// Rendered pages by the model in force they show. A `Weak` key keeps the `Serving`'s
/// allocation from being reused while its entry exists, so a pointer match is the same
/// `Serving`; entries of models no longer in force are dropped on the next render.
static PAGES: Mutex<Vec<(Weak<Serving>, Arc<str>)>> = Mutex::new(Vec::new());

/// The page's routes, merged into [`crate::api::app`].
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(page)).route("/ui", get(page))
}

/// `GET /` and `GET /ui`.
pub async fn page(State(app): State<AppState>) -> Result<Response> {
    let serving = app.current();
    let html = match cached(&serving) {
        Some(html) => html,
        None => {
            let for_render = serving.clone();
            let html: Arc<str> = tokio::task::spawn_blocking(move || render(&for_render))
                .await
                .map_err(|e| Error::Internal(format!("page task: {e}")))??
                .into();
            remember(&serving, html.clone());
            html
        }
    };
    let mut response = html.to_string().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Inline script and styles only; the page talks to this server and nothing else.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; base-uri 'none'; form-action 'none'",
        ),
    );
    Ok(response)
}

fn cached(serving: &Arc<Serving>) -> Option<Arc<str>> {
    let pages = PAGES.lock().ok()?;
    pages
        .iter()
        .find(|(key, _)| std::ptr::eq(key.as_ptr(), Arc::as_ptr(serving)))
        .map(|(_, html)| html.clone())
}

fn remember(serving: &Arc<Serving>, html: Arc<str>) {
    if let Ok(mut pages) = PAGES.lock() {
        pages.retain(|(key, _)| key.strong_count() > 0);
        pages.push((Arc::downgrade(serving), html));
    }
}

/// The report options of the model in force: its target, confidence and tiers.
fn options(serving: &Serving) -> ReportOptions {
    ReportOptions {
        target_precision: serving.target.target_precision,
        confidence: serving.target.confidence,
        tiers: Tiers {
            targets: serving
                .tiers
                .iter()
                .map(|t| TierTarget {
                    name: t.name.clone(),
                    target_precision: t.target_precision,
                })
                .collect(),
            rest: serving.rest_tier.clone(),
        },
        ..ReportOptions::default()
    }
}

/// The whole page for the model in force.
pub fn render(serving: &Serving) -> Result<String> {
    let artifact = &serving.artifact;
    let report = Report::build(artifact, None, &options(serving))
        .map_err(|e| Error::Internal(format!("model page: {e}")))?;
    let c = &serving.cutoff;
    // The curve the charts draw: per example (an age-aware model's handoff curve is kept for
    // the cutoff, not drawn).
    let charted = artifact.example_curve.as_ref().unwrap_or(&artifact.curve);
    let confidence_pct = trim(serving.target.confidence * 100.0);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>leadscore: model {id}</title>\n<style>\n{STYLE}{PAGE_STYLE}</style>\n</head>\n<body>\n\
         <header><h1>Lead score model <code>{id}</code></h1><p>Serving <code>{file}</code>. \
         Scores at <code>POST /v1/score</code>; model details at <code>GET /v1/model</code>.</p>\
         </header>\n<main>\n",
        id = escape(&artifact.model_id),
        file = escape(&serving.file.path.display().to_string()),
    );
    out.push_str(&report.card);
    let _ = write!(
        out,
        "<section id=\"control\" class=\"card\">\n<h2>What would a target precision cost?</h2>\n\
         <p>Move the slider: the server picks the cutoff for that target on the model's holdout \
         (<code>GET /v1/cutoff</code>, {confidence_pct}% confidence) and the numbers below and \
         the blue marks on the charts follow. Nothing changes on the server; the cutoff in \
         force stays score &#8805; {threshold:.4} (target {target}) until an admin sets another \
         (<code>PUT /v1/cutoff</code>).</p>\n\
         <div class=\"control-row\"><label for=\"target\">target precision</label>\
         <input type=\"range\" id=\"target\" min=\"0.05\" max=\"0.99\" step=\"0.01\" \
         value=\"{target}\" data-confidence=\"{confidence}\"/>\
         <output id=\"target-shown\" for=\"target\">{target:.2}</output></div>\n\
         <dl id=\"result\" class=\"result\" data-state=\"in-force\" data-target=\"{target}\" \
         data-positives=\"{positives}\" data-total=\"{total}\" data-points=\"{points}\">\n\
         <div><dt>cutoff: an MQL scores at least</dt><dd id=\"out-threshold\" data-value=\"{threshold}\">{threshold:.4}</dd></div>\n\
         <div><dt>expected precision</dt><dd id=\"out-precision\">{precision:.3}</dd></div>\n\
         <div><dt>its {confidence_pct}% lower bound</dt><dd id=\"out-lower\">{lower:.3}</dd></div>\n\
         <div><dt>recall</dt><dd id=\"out-recall\">{recall:.3}</dd></div>\n\
         <div><dt>MQL rate</dt><dd id=\"out-mql-rate\">{rate:.1}%</dd></div>\n\
         <div><dt>MQLs per 1,000 leads</dt><dd id=\"out-per-1000\">{per_1000:.0}</dd></div>\n\
         </dl>\n<p id=\"out-error\" class=\"error\" hidden=\"hidden\"></p>\n</section>\n",
        target = serving.target.target_precision,
        confidence = serving.target.confidence,
        threshold = c.threshold,
        precision = c.precision,
        lower = c.precision_lower_bound,
        recall = c.recall,
        rate = c.mql_rate * 100.0,
        per_1000 = c.mql_rate * 1000.0,
        positives = charted.positives,
        total = charted.total,
        points = charted
            .points
            .iter()
            .map(|p| format!("{},{},{}", p.threshold, p.tp, p.fp))
            .collect::<Vec<_>>()
            .join(";"),
    );
    // The control above says what the report's cutoff section would.
    out.push_str(&report.charts_html_in(&PAGE_ORDER));
    out.push_str(&report.targets);
    out.push_str(&report.tiers);
    out.push_str(&report.weights);
    let _ = write!(
        out,
        "</main>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    );
    Ok(out)
}

/// `95.0` -> `95`, `97.5` -> `97.5`.
fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::App;

    fn demo() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json")
    }

    #[test]
    fn the_page_shows_the_card_the_control_and_every_chart() {
        let app = App::new(Config::new(demo(), 0.5)).unwrap();
        let serving = app.current();
        let html = render(&serving).unwrap();
        assert!(html.contains(&serving.artifact.model_id));
        for id in leadscore_report::CHART_IDS {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("id=\"target\""));
        assert!(html.contains(&format!("{:.4}", serving.cutoff.threshold)));
        assert!(
            html.contains("v1/cutoff?target_precision="),
            "the script asks the API"
        );
        for needle in ["<script src", "<link", "https://"] {
            assert!(!html.contains(needle), "{needle}");
        }
    }

    #[tokio::test]
    async fn the_page_is_rendered_once_per_model_in_force() {
        let app = App::new(Config::new(demo(), 0.5)).unwrap();
        let first = app.current();
        assert!(cached(&first).is_none());
        let page_of = |app: AppState| async move {
            let response = page(State(app)).await.unwrap();
            axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap()
        };
        let a = page_of(app.clone()).await;
        let kept = cached(&first).expect("cached after the first request");
        assert_eq!(kept.as_bytes(), &a[..]);
        let b = page_of(app.clone()).await;
        assert_eq!(a, b);
        assert!(
            Arc::ptr_eq(&kept, &cached(&first).unwrap()),
            "not re-rendered"
        );
        // A cutoff change installs a new model in force: a new page, marking the new cutoff.
        let target = crate::state::CutoffTarget {
            target_precision: 0.6,
            confidence: 0.95,
        };
        let second = app.set_cutoff(target).await.unwrap();
        assert!(cached(&second).is_none());
        let c = page_of(app.clone()).await;
        let c = String::from_utf8(c.to_vec()).unwrap();
        assert!(c.contains(&format!("{:.4}", second.cutoff.threshold)));
        assert_ne!(c.as_bytes(), &a[..]);
    }
}
