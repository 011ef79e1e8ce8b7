//! A time column that writes `0` for an unset date (Unix seconds from a warehouse or a CRM's
//! API) or MySQL's zero date `0000-00-00 00:00:00` trains without a hand-written spec or a
//! `0` missing token (which would erase every other column's `0`): `init`'s inference makes
//! both timestamps, training reads their zeros as missing, and the server scores a lead whose
//! field is `0`, `"0"`, `"0.0"` or a zero date exactly as one without the field, with a factor
//! that says the value is missing (never `1970-01-01`), where any other time outside 2000-2100
//! is still refused naming the field.

mod common;

use common::{json_request, send};
use leadscore_core::fitted::FittedTransform;
use leadscore_serve::{App, Config};
use serde_json::{json, Value};
use std::sync::Arc;

const ROWS: usize = 1600;
/// The scoring moment of every request.
const AS_OF: &str = "2024-07-01T00:00:00Z";

/// Row `i`: last contact in Unix seconds, `0` in a third of the rows (those convert less);
/// a close date as text, a zero date in a fifth; a numeric count with real zeros.
fn csv() -> String {
    let mut text = String::from("lead_id,last_contacted,close_date,visits,converted\n");
    for i in 0..ROWS {
        let t = 1_690_000_000 + (i as i64 * 7_919) % 20_000_000;
        let contacted = if i % 3 == 0 { 0 } else { t };
        let close = if i % 5 == 0 {
            "0000-00-00 00:00:00".to_string()
        } else {
            leadscore_core::explain::date_text(t + 86_400 * 30)
        };
        let visits = i % 7;
        let converted = u8::from(if contacted == 0 {
            i % 10 == 0
        } else {
            t > 1_700_000_000 || visits > 4
        });
        text += &format!("L{i},{contacted},{close},{visits},{converted}\n");
    }
    text
}

async fn score(state: &Arc<App>, lead: &Value) -> Value {
    let reply = send(
        state,
        json_request(
            "POST",
            &format!("/v1/score?factors=20&as_of={AS_OF}"),
            lead.to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{lead}: {}", reply.text);
    reply.json()
}

/// The factor text of `field` in a scored lead (it has one: every field moves the score).
fn factor(scored: &Value, field: &str) -> String {
    ["positive", "negative"]
        .iter()
        .flat_map(|k| {
            scored["factors"][*k]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|f| f["field"] == field)
        .map(|f| f["factor"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn zero_times_are_unset_dates_from_inference_to_the_server() {
    let (dir, artifact) = common::train_csv(&csv());
    for name in ["last_contacted", "close_date"] {
        let c = artifact
            .spec
            .columns
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} is a feature"));
        assert!(
            matches!(
                c.transform,
                FittedTransform::Timestamp {
                    missing_indicator: true,
                    ..
                }
            ),
            "{name}: {:?}",
            c.transform
        );
    }
    // No `0` token: the visit count's zeros stay a value.
    assert!(
        !artifact
            .spec
            .missing_tokens
            .iter()
            .any(|t| t.starts_with('0')),
        "{:?}",
        artifact.spec.missing_tokens
    );
    let fill = |name: &str| {
        artifact
            .reference_fill
            .iter()
            .find(|c| c.column == name)
            .map(|c| c.filled_share)
            .unwrap_or(f64::NAN)
    };
    assert!((fill("last_contacted") - 2.0 / 3.0).abs() < 0.05);
    assert!((fill("close_date") - 0.8).abs() < 0.05);
    assert!(fill("visits") > 0.999);

    let model = dir.path().join("model.json");
    artifact.write_atomic(&model).unwrap();
    let state = App::new(Config::new(&model, 0.5)).expect("serve the model");
    let absent = score(&state, &json!({"visits": 2})).await;
    for (contacted, close) in [
        (json!(0), json!("0000-00-00 00:00:00")),
        (json!("0"), json!("0000-00-00")),
        (json!("0.0"), json!(null)),
        (json!(0.0), json!("0000-00-00T00:00:00Z")),
        // The zero date in another zone, or with the zone in lower case.
        (json!(0), json!("0000-00-00 00:00:00+02:00")),
        (json!(0), json!("0000-00-00 00:00:00 utc")),
    ] {
        let lead = json!({"visits": 2, "last_contacted": contacted, "close_date": close});
        let zero = score(&state, &lead).await;
        assert_eq!(zero["score"], absent["score"], "{lead}: {zero} vs {absent}");
        for field in ["last_contacted", "close_date"] {
            let text = factor(&zero, field);
            assert!(
                text.contains("missing") && !text.contains("1970") && !text.contains("0000"),
                "{lead}: {field}: {text}"
            );
        }
    }
    // A real contact time scores otherwise, and any other time outside 2000-2100 is refused.
    let dated = score(
        &state,
        &json!({"visits": 2, "last_contacted": 1_710_000_000, "close_date": "2024-05-01"}),
    )
    .await;
    assert_ne!(dated["score"], absent["score"]);
    for bad in [json!(1), json!("5"), json!(-1)] {
        let lead = json!({"visits": 2, "last_contacted": bad});
        let reply = send(&state, json_request("POST", "/v1/score", lead.to_string())).await;
        assert_eq!(reply.status, 422, "{lead}: {}", reply.text);
        assert_eq!(
            reply.json()["error"]["path"],
            "last_contacted",
            "{}",
            reply.text
        );
    }
}
