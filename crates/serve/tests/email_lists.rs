//! Each model classes email domains by the lists it was trained with, over HTTP: the committed
//! demo model (the newest lists) reads `yahoo.fr` as free webmail and `Jo <jo@mit.edu>` as the
//! address in the brackets, in its features, its factor and its gate; the model committed
//! before (format 4, the first lists) still reads them as it was trained: `yahoo.fr` a business
//! domain, the bracketed text not an education domain. Same server build, two answers, each the
//! one its training gave.

mod common;

use common::{json_request, repo, send};
use leadscore_serve::{App, Config};
use serde_json::{json, Value};
use std::sync::Arc;

fn app(model: &str) -> Arc<App> {
    App::new(Config::new(repo(model), 0.5)).expect("start the app")
}

fn lead(email: &str) -> Value {
    json!({
        "lead_id": "L1", "email": email, "job_title": "VP Marketing", "company_size": 250,
        "industry": "Software", "country": "Germany", "lead_source": "Referral",
        "created_at": "2025-06-01T09:30:00Z",
        "events": [{"event_type": "demo_request", "occurred_at": "2025-06-07T15:00:00Z"}]
    })
}

/// The score, the email factor and the gates that held the lead back.
async fn score(state: &Arc<App>, email: &str) -> (f64, String, Value) {
    let r = send(
        state,
        json_request(
            "POST",
            "/v1/score?factors=50&as_of=2025-06-08T10:00:00Z",
            lead(email).to_string(),
        ),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{email}: {}", r.text);
    let v = r.json();
    let factor = ["positive", "negative"]
        .iter()
        .flat_map(|k| v["factors"][k].as_array().cloned().unwrap_or_default())
        .find(|f| f["field"] == "email")
        .map(|f| f["factor"].as_str().unwrap().to_string())
        .unwrap_or_default();
    let held = v.get("held_back_by").cloned().unwrap_or(json!([]));
    (v["score"].as_f64().unwrap(), factor, held)
}

#[tokio::test]
async fn the_newest_lists_read_regional_webmail_and_bracketed_addresses() {
    let state = app("models/demo.json");
    let (gmail, f, _) = score(&state, "jo@gmail.com").await;
    assert_eq!(f, "email: gmail.com (free webmail)");
    let (business, _, _) = score(&state, "jo@acme.io").await;
    assert_ne!(gmail, business);
    for email in [
        "jo@yahoo.fr",
        "jo@hotmail.com.br",
        "jo@uol.com.br",
        "jo@sbcglobal.net",
        "Jo Doe <jo@gmail.com>",
    ] {
        let (s, f, _) = score(&state, email).await;
        assert_eq!(s, gmail, "{email}: {f}");
        assert!(f.ends_with("(free webmail)"), "{email}: {f}");
    }
    let (_, f, _) = score(&state, "Jo Doe <jo@yahoo.fr>").await;
    assert_eq!(f, "email: yahoo.fr (free webmail)");
    // The gate (students and competitors) reads the address in the brackets too.
    let (_, f, held) = score(&state, "\"Doe, Jo\" <jo@mit.edu>").await;
    assert_eq!(f, "email: mit.edu (education)");
    assert_eq!(held, json!(["students and competitors are not eligible"]));
}

#[tokio::test]
async fn a_model_of_the_first_lists_classes_as_it_was_trained() {
    let state = app("tests/golden/demo-v4.json");
    let (business, f, _) = score(&state, "jo@acme.io").await;
    assert_eq!(f, "email: acme.io (business)");
    let (s, f, _) = score(&state, "jo@yahoo.fr").await;
    assert_eq!((s, f.as_str()), (business, "email: yahoo.fr (business)"));
    // Not unwrapped: the domain it read (and shows) is the text after the `@`.
    let (s, f, held) = score(&state, "Jo <jo@mit.edu>").await;
    assert_eq!((s, f.as_str()), (business, "email: mit.edu> (business)"));
    assert_eq!(held, json!([]));
    let (_, f, _) = score(&state, "jo@gmail.com").await;
    assert_eq!(f, "email: gmail.com (free webmail)");
}

#[tokio::test]
async fn a_model_of_lists_newer_than_the_build_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("models/demo.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let email = v["spec"]["columns"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["transform"]["kind"] == "email")
        .unwrap();
    email["transform"]["domain_lists"] = json!(leadscore_core::value::DOMAIN_LISTS + 1);
    let path = dir.path().join("newer.json");
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let Err(err) = App::new(Config::new(&path, 0.5)) else {
        panic!("a model of lists newer than the build was loaded");
    };
    let message = err.to_string();
    assert!(
        message.contains("column `email`") && message.contains("not known to this build"),
        "{message}"
    );
}
