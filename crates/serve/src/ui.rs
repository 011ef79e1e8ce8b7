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
use leadscore_core::artifact::ModelArtifact;
use leadscore_report::html::self_closing;
use leadscore_report::{Report, ReportOptions, TierTarget, Tiers, STYLE};
use maud::{html, PreEscaped, DOCTYPE};
use std::sync::{Arc, Mutex, Weak};

/// The page's own script: the slider, the call to `/v1/cutoff`, the live marks on the charts.
/// In CDATA, so that XML readers take it as text (its comments name tags and it uses `&&`);
/// the markers are comments to JavaScript.
const SCRIPT: &str = concat!("\n//<![CDATA[\n", include_str!("ui/page.js"), "//]]>\n");
/// Styles of the control, on top of the report's.
const PAGE_STYLE: &str = include_str!("ui/page.css");

/// The charts the control marks come first, the fields' importance and shapes (or the weights,
/// for models without them) last.
const PAGE_ORDER: [&str; 9] = [
    "chart-roc",
    "chart-pr",
    "chart-score-distribution",
    "chart-calibration",
    "chart-lift-decile",
    "chart-lift-tier",
    "chart-importance",
    "chart-shapes",
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
             connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
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

/// The whole page for the model in force, written with maud's `html!` so every value spliced
/// in (the model's column names and category levels come from a CSV) is escaped.
pub fn render(serving: &Serving) -> Result<String> {
    let shown = in_force(serving);
    let artifact: &ModelArtifact = shown.as_ref().unwrap_or(&serving.artifact);
    let report = Report::build(artifact, None, &options(serving))
        .map_err(|e| Error::Internal(format!("model page: {e}")))?;
    let c = &serving.cutoff;
    // The curve the charts draw, where the slider's marks go: per example (an age-aware
    // model's handoff curve is kept for the cutoff, not drawn), without gates for a flat
    // model with them.
    let charted = report.set.charted();
    let confidence_pct = trim(serving.target.confidence * 100.0);
    let target = serving.target.target_precision;
    let points = charted
        .points
        .iter()
        .map(|p| format!("{},{},{}", p.threshold, p.tp, p.fp))
        .collect::<Vec<_>>()
        .join(";");
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (self_closing(html! { meta charset="utf-8" {} }))
                (self_closing(html! {
                    meta name="viewport" content="width=device-width, initial-scale=1" {}
                }))
                title { "leadscore: model " (artifact.model_id) }
                // Safe: constants of the report crate and this one (report.css, ui/page.css).
                style { "\n" (PreEscaped(STYLE)) (PreEscaped(PAGE_STYLE)) }
            }
            body {
                header {
                    h1 { "Lead score model " code { (artifact.model_id) } }
                    p {
                        "Serving " code { (serving.file.path.display().to_string()) }
                        ". Scores at " code { "POST /v1/score" } "; model details at "
                        code { "GET /v1/model" } "."
                    }
                }
                main {
                    (report.card)
                    section id="control" class="card" {
                        h2 { "What would a target precision cost?" }
                        p {
                            "Move the slider: the server picks the cutoff for that target on the \
                             model's holdout ("
                            code { "GET /v1/cutoff" }
                            (format!(
                                ", {confidence_pct}% confidence) and the numbers below and the \
                                 blue marks on the charts follow. Nothing changes on the server; \
                                 the cutoff in force stays score ≥ {:.4} (target {target}) \
                                 until an admin sets another (",
                                c.threshold
                            ))
                            code { "PUT /v1/cutoff" }
                            ")."
                        }
                        div class="control-row" {
                            label for="target" { "target precision" }
                            (self_closing(html! {
                                input type="range" id="target" min="0.05" max="0.99" step="0.01"
                                    value=(target) data-confidence=(serving.target.confidence) {}
                            }))
                            output id="target-shown" for="target" { (format!("{target:.2}")) }
                        }
                        // Screen readers announce the new cutoff, or why there is none.
                        dl id="result" class="result" aria-live="polite" data-state="in-force" data-target=(target)
                            data-positives=(charted.positives) data-total=(charted.total)
                            data-points=(points) {
                            div {
                                dt { "cutoff: an MQL scores at least" }
                                dd id="out-threshold" data-value=(c.threshold) {
                                    (format!("{:.4}", c.threshold))
                                }
                            }
                            div {
                                dt { "expected precision" }
                                dd id="out-precision" { (format!("{:.3}", c.precision)) }
                            }
                            div {
                                dt { "its " (confidence_pct) "% lower bound" }
                                dd id="out-lower" { (format!("{:.3}", c.precision_lower_bound)) }
                            }
                            div {
                                dt { "recall" }
                                dd id="out-recall" { (format!("{:.3}", c.recall)) }
                            }
                            div {
                                dt { "MQL rate" }
                                dd id="out-mql-rate" { (format!("{:.1}%", c.mql_rate * 100.0)) }
                            }
                            div {
                                dt { "MQLs per 1,000 leads" }
                                dd id="out-per-1000" { (format!("{:.0}", c.mql_rate * 1000.0)) }
                            }
                        }
                        p id="out-error" class="error" role="alert" hidden="hidden" {}
                    }
                    // The control above says what the report's cutoff section would.
                    (report.charts_html_in(&PAGE_ORDER))
                    (report.pairs)
                    (report.targets)
                    (report.parts)
                    (report.examples)
                    (leadscore_report::html::gates_section(
                        artifact,
                        serving.gates.specs(),
                        serving.target.target_precision,
                        serving.target.confidence,
                    ))
                    (report.tiers)
                    (report.weights)
                }
                // Safe: a constant of this crate (ui/page.js) in CDATA, which holds no `]]>`
                // and no `</script` (a test checks).
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let mut out = page.into_string();
    out.push('\n');
    Ok(out)
}

/// The model as the server applies it when its `--gates` replace the model's: those gates and
/// the curve rebuilt with them (the cutoff, the targets' costs, the tiers and the charts' marks
/// then read as `/v1/cutoff` does), and the example leads held back only by gates still in
/// force. `None` when the model's own gates are in force.
fn in_force(serving: &Serving) -> Option<ModelArtifact> {
    if !serving.gates_from_config {
        return None;
    }
    let mut a = (*serving.artifact).clone();
    let specs = serving.gates.specs();
    // A gate the model had and the server still applies as written.
    let kept: Vec<String> = a
        .gates
        .iter()
        .filter(|g| specs.contains(g))
        .map(|g| g.name.clone())
        .collect();
    if let Some(e) = a.explain.as_mut() {
        // An example picked as held back only by gates no longer in force is not shown.
        e.examples.retain_mut(|x| {
            let was = !x.held_back.is_empty();
            x.held_back.retain(|n| kept.contains(n));
            !(was && x.held_back.is_empty())
        });
    }
    a.gates = specs.to_vec();
    a.curve = serving.curve.as_ref().clone();
    Some(a)
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
    fn the_page_shows_the_gates_in_force_and_the_cutoff_they_give() {
        // The server's --gates replace the model's (here: none).
        let mut config = Config::new(demo(), 0.5);
        config.gates = Some(Vec::new());
        let app = App::new(config).unwrap();
        let serving = app.current();
        assert!(serving.gates_from_config);
        let html = render(&serving).unwrap();
        let own = App::new(Config::new(demo(), 0.5)).unwrap().current();
        let (now, model) = (serving.cutoff.threshold, own.cutoff.threshold);
        assert_ne!(format!("{now:.4}"), format!("{model:.4}"));
        // The cutoff in force marks the charts and heads the costs table; the model's does not.
        assert!(
            html.contains(&format!("cutoff {now:.3}")),
            "no chart mark at {now:.3}"
        );
        assert!(
            !html.contains(&format!("cutoff {model:.3}")),
            "a mark at {model:.3}"
        );
        // No example lead is said held back by a gate that is not in force.
        assert!(!html.contains("held back: students") && !html.contains("held back by a gate"));
    }

    #[test]
    fn the_page_shows_the_card_the_control_and_every_chart() {
        let app = App::new(Config::new(demo(), 0.5)).unwrap();
        let serving = app.current();
        let html = render(&serving).unwrap();
        assert!(html.contains(&serving.artifact.model_id));
        // A model with field summaries draws importance and shapes instead of the weights.
        for id in leadscore_report::CHART_IDS {
            assert_eq!(
                html.contains(&format!("id=\"{id}\"")),
                id != "chart-weights",
                "{id}"
            );
        }
        for id in ["table-fit-engagement", "table-examples", "table-gates"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("students and competitors are not eligible"));
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

    #[test]
    fn the_script_stays_inside_its_cdata_and_its_element() {
        let body = include_str!("ui/page.js").to_ascii_lowercase();
        for end in ["]]>", "</script", "<!--"] {
            assert!(!body.contains(end), "page.js holds {end}");
        }
        assert!(SCRIPT.starts_with("\n//<![CDATA[\n") && SCRIPT.ends_with("\n//]]>\n"));
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
