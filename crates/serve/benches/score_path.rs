//! The serving hot path on the committed demo model and real demo leads: a JSON body parsed
//! into the server's typed leads, scored with the model and serialized (`api::score_body`, the
//! handler's work without HTTP) with the model in force: one lead with factors, one lead with 50 events, and a
//! 1,000-lead batch (throughput in leads). `http_single_factors` sends the single-lead request
//! through the whole router (`app(state)`, middleware, blocking pool, JSON response) with
//! `tower::ServiceExt::oneshot` on a current-thread tokio runtime.
//!
//! `cargo bench -p leadscore-serve --bench score_path -- --warm-up-time 1 --measurement-time 3`

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leadscore_core::value::parse_timestamp;
use leadscore_serve::api::{score_body, DEFAULT_FACTORS};
use leadscore_serve::{app, App, Config};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::hint::black_box;
use tower::ServiceExt;

const DAY: i64 = 86_400;
const BATCH: usize = 1_000;

#[path = "../../core/benches/common/mod.rs"]
mod common;

use common::{read_csv, repo_file};

/// A lead as a client sends it: the CSV fields (company_size as a number, empty as null,
/// created_at in RFC 3339: the demo model scores a lead by its age) without the id, plus
/// `events` when given.
fn lead_json(row: &HashMap<String, String>, events: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (k, v) in row {
        if k == "lead_id" {
            continue;
        }
        let value = if k == "created_at" {
            json!(rfc3339(v))
        } else if v.is_empty() {
            Value::Null
        } else if k == "company_size" {
            v.parse::<f64>().map_or_else(|_| json!(v), |x| json!(x))
        } else {
            json!(v)
        };
        map.insert(k.clone(), value);
    }
    if !events.is_empty() {
        let list: Vec<Value> = events
            .iter()
            .map(|(t, at)| json!({"event_type": t, "occurred_at": at}))
            .collect();
        map.insert("events".into(), Value::Array(list));
    }
    Value::Object(map)
}

/// `YYYY-MM-DD HH:MM:SS` (the CSV's form) as RFC 3339.
fn rfc3339(csv_time: &str) -> String {
    format!("{}Z", csv_time.replacen(' ', "T", 1))
}

fn bench(c: &mut Criterion) {
    let state =
        App::new(Config::new(repo_file("models/demo.json"), 0.5)).expect("load the demo model");
    let leads = read_csv(&repo_file("data/demo/leads.csv"));
    let events = read_csv(&repo_file("data/demo/events.csv"));

    let mut per_lead: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    for e in &events {
        per_lead
            .entry(e["lead_id"].as_str())
            .or_default()
            .push((e["event_type"].clone(), rfc3339(&e["occurred_at"])));
    }
    let created =
        |row: &HashMap<String, String>| parse_timestamp(&row["created_at"]).expect("created_at");

    // Single lead without events: the first lead; as_of = its creation + 7 days.
    let single = &leads[0];
    let single_as_of = created(single) + 7 * DAY;
    let single_body = serde_json::to_vec(&lead_json(single, &[])).expect("json");

    // Single lead with 50 events: the lead with the most events, its events repeated to 50.
    let (busy_id, own) = per_lead
        .iter()
        .max_by_key(|(id, v)| (v.len(), std::cmp::Reverse(**id)))
        .expect("events");
    let busy = leads
        .iter()
        .find(|l| l["lead_id"] == *busy_id)
        .expect("the lead of the events");
    let fifty: Vec<(String, String)> = own.iter().cycle().take(50).cloned().collect();
    // Events up to a day after as_of are accepted; keep them all in range.
    let busy_as_of = own
        .iter()
        .filter_map(|(_, at)| parse_timestamp(at))
        .max()
        .expect("event times")
        .max(created(busy) + 7 * DAY);
    let busy_body = serde_json::to_vec(&lead_json(busy, &fifty)).expect("json");

    // Batch: the first 1,000 leads, no events; as_of = the last creation + 7 days.
    let batch: Vec<Value> = leads[..BATCH].iter().map(|l| lead_json(l, &[])).collect();
    let batch_as_of = leads[..BATCH].iter().map(created).max().expect("leads") + 7 * DAY;
    let batch_body = serde_json::to_vec(&json!({ "leads": batch })).expect("json");
    eprintln!(
        "score_path: single body {} B, 50-event body {} B, batch body {} B",
        single_body.len(),
        busy_body.len(),
        batch_body.len()
    );

    let run = |body: &[u8], as_of: i64, factors: usize| {
        black_box(
            score_body(&state, body, as_of, factors)
                .expect("scores")
                .len(),
        )
    };

    let mut g = c.benchmark_group("score_path");
    g.throughput(Throughput::Elements(1));
    g.bench_function("single_factors", |b| {
        b.iter(|| run(black_box(&single_body), single_as_of, DEFAULT_FACTORS));
    });
    g.bench_function("single_no_factors", |b| {
        b.iter(|| run(black_box(&single_body), single_as_of, 0));
    });
    g.bench_function("single_50_events_factors", |b| {
        b.iter(|| run(black_box(&busy_body), busy_as_of, DEFAULT_FACTORS));
    });
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    g.bench_function("batch_1000_factors", |b| {
        b.iter(|| run(black_box(&batch_body), batch_as_of, DEFAULT_FACTORS));
    });
    g.finish();

    // The same single-lead request through the router: extractors, middleware, the blocking
    // pool hop and the JSON response.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let router = app(state.clone());
    let uri = format!(
        "/v1/score?factors={DEFAULT_FACTORS}&as_of={}",
        rfc3339_from_unix(single_as_of)
    );
    let single_bytes = axum::body::Bytes::from(single_body.clone());
    let request = || {
        Request::builder()
            .method("POST")
            .uri(&uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(single_bytes.clone()))
            .expect("request")
    };
    let status = rt
        .block_on(router.clone().oneshot(request()))
        .expect("response");
    assert_eq!(
        status.status(),
        StatusCode::OK,
        "the router refused the bench request"
    );
    let mut g = c.benchmark_group("score_path");
    g.throughput(Throughput::Elements(1));
    g.bench_function("http_single_factors", |b| {
        b.iter(|| {
            rt.block_on(async {
                let response = router.clone().oneshot(request()).await.expect("response");
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("body");
                black_box(body.len())
            })
        });
    });
    g.finish();
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`, for the `as_of` query parameter.
fn rfc3339_from_unix(t: i64) -> String {
    let ((y, m, d), (hh, mm, ss)) = leadscore_core::civil::civil_from_unix(t);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

criterion_group!(benches, bench);
criterion_main!(benches);
