//! Handler tests through `oneshot` (no sockets) on a model trained on the bundled demo data.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::{json, Value};

const AS_OF: &str = "as_of=2025-07-01T00:00:00Z";

async fn score(state: &std::sync::Arc<leadscore_serve::App>, query: &str, body: Value) -> Reply {
    send(
        state,
        json_request("POST", &format!("/v1/score?{query}"), body.to_string()),
    )
    .await
}

/// `?as_of=` and a lead's `created_at` take Unix seconds or milliseconds as a CRM's API gives
/// them: the same moment, the same score; other numbers are refused, the message naming the
/// forms.
#[tokio::test]
async fn as_of_takes_unix_seconds_and_milliseconds() {
    let state = state_with(|_| {});
    let mut lead = demo_lead();
    lead["created_at"] = json!("2025-06-01T09:30:00Z");
    let at = |q: &'static str| score(&state, q, lead.clone());
    let want = at("as_of=2025-06-08T10:00:00Z").await.json()["score"].clone();
    assert!(want.is_number());
    for q in [
        "as_of=1749376800",
        "as_of=1749376800000",
        "as_of=1749376800999",
        "as_of=%201749376800",
    ] {
        let r = at(q).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
        assert_eq!(r.json()["score"], want, "{q}");
    }
    // The lead's creation time as a CRM's API may give it, Unix seconds or milliseconds, for
    // the committed age-aware model (its lead age is read from `created_at`).
    let aged = leadscore_serve::App::new(leadscore_serve::Config::new(
        repo("models/demo.json"),
        TARGET,
    ))
    .expect("start app");
    let r = score(&aged, "as_of=2025-06-08T10:00:00Z", lead.clone())
        .await
        .json();
    let want = r["score"].clone();
    assert!(r["lead_age"]["days"].is_number(), "{r}");
    for created in [
        json!(1_748_770_200),
        json!(1_748_770_200_000_u64),
        json!("1748770200"),
    ] {
        let mut unix = lead.clone();
        unix["created_at"] = created.clone();
        let v = score(&aged, "as_of=2025-06-08T10:00:00Z", unix)
            .await
            .json();
        assert_eq!(v["score"], want, "{created}: {v}");
        assert_eq!(v["lead_age"], r["lead_age"], "{created}");
    }
    let mut wrong = lead.clone();
    wrong["created_at"] = json!(12);
    let bad = score(&aged, "as_of=2025-06-08T10:00:00Z", wrong).await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.text);
    assert!(
        bad.text.contains("Unix seconds or milliseconds"),
        "{}",
        bad.text
    );
    for q in [
        "as_of=123",
        "as_of=17493768001",
        "as_of=-1749376800",
        "as_of=1.7493768e9",
    ] {
        let r = at(q).await;
        assert_eq!(r.status.as_u16(), 422, "{q}: {}", r.text);
        assert!(
            r.text
                .contains("Unix seconds or milliseconds from 2000 to 2100 such as 1749376800"),
            "{q}: {}",
            r.text
        );
    }
}

/// A lead none of whose fields the model reads (a misspelled integration) is refused, naming
/// what was sent and what the model reads, as `/invocations` refuses such a frame; a lead with
/// one field the model reads, or none at all (`{}`), is scored.
#[tokio::test]
async fn a_lead_of_fields_the_model_does_not_read_is_refused() {
    let state = state_with(|_| {});
    let created = "2025-06-01T09:30:00Z";
    for (body, path, named) in [
        (json!({"Lead Sourse": "Google"}), "$", "`Lead Sourse`"),
        (
            json!({"leads": [{"created_at": created}, {"Job Title": "CEO", "zzz": 1}]}),
            "leads[1]",
            "`Job Title`, `zzz`",
        ),
    ] {
        // Both readers: the one for plain bodies, and serde's (an escape sends a body there).
        for text in [
            body.to_string(),
            body.to_string().replace("zzz", "z\\u007az"),
        ] {
            let r = send(
                &state,
                json_request("POST", &format!("/v1/score?{AS_OF}"), text.clone()),
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{text}: {}",
                r.text
            );
            let e = r.json();
            assert_eq!(e["error"]["path"], path, "{e}");
            let message = e["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(named) && message.contains("is one the model reads"),
                "{message}"
            );
        }
    }
    let r = score(
        &state,
        AS_OF,
        json!({"created_at": created, "Lead Sourse": "Google"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn single_lead_gets_score_mql_tier_and_factors() {
    let state = state_with(|_| {});
    let r = score(&state, AS_OF, demo_lead()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    let s = v["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&s));
    let cutoff = v["cutoff"]["threshold"].as_f64().unwrap();
    assert_eq!(v["mql"].as_bool().unwrap(), s >= cutoff);
    assert_eq!(v["cutoff"]["target_precision"], TARGET);
    assert_eq!(v["cutoff"]["confidence"], 0.95);
    for key in ["precision", "precision_lower_bound", "recall", "mql_rate"] {
        assert!(v["cutoff"][key].is_number(), "{key}");
    }
    assert_eq!(v["model_id"], state.current().artifact.model_id);
    assert!(v["tier"].is_string());
    let pos = v["factors"]["positive"].as_array().unwrap();
    let neg = v["factors"]["negative"].as_array().unwrap();
    assert!(pos.len() <= 3 && neg.len() <= 3 && !pos.is_empty());
    assert!(pos[0]["factor"].is_string() && pos[0]["contribution"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn batch_keeps_order_and_matches_single_scores() {
    let state = state_with(|_| {});
    let mut other = demo_lead();
    other["email"] = json!("kid@gmail.com");
    other["job_title"] = json!("Student");
    other["pricing_page_visits"] = json!("0");
    let r = score(
        &state,
        AS_OF,
        json!({"leads": [demo_lead(), other.clone()]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let leads = r.json()["leads"].as_array().unwrap().clone();
    assert_eq!(leads.len(), 2);
    for (lead, body) in leads.iter().zip([demo_lead(), other]) {
        let single = score(&state, AS_OF, body).await.json();
        assert_eq!(lead["score"], single["score"]);
    }
    assert!(leads[0]["score"].as_f64() > leads[1]["score"].as_f64());
}

#[tokio::test]
async fn factors_count_comes_from_the_query_and_zero_turns_them_off() {
    let state = state_with(|_| {});
    let v = score(&state, &format!("{AS_OF}&factors=0"), demo_lead())
        .await
        .json();
    assert!(v.get("factors").is_none(), "{v}");
    let v = score(&state, &format!("{AS_OF}&factors=1"), demo_lead())
        .await
        .json();
    assert_eq!(v["factors"]["positive"].as_array().unwrap().len(), 1);
    assert!(v["factors"]["negative"].as_array().unwrap().len() <= 1);
}

#[tokio::test]
async fn missing_fields_unknown_categories_and_ignored_events_are_scored() {
    let state = state_with(|_| {});
    let r = score(&state, AS_OF, json!({"industry": "Never Seen Before"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut lead = demo_lead();
    lead["events"] =
        json!([{"event_type": "page_view", "occurred_at": "2025-06-01T10:00:00Z", "value": 1}]);
    let with = score(&state, AS_OF, lead).await;
    assert_eq!(with.status, StatusCode::OK, "{}", with.text);
    let without = score(&state, AS_OF, demo_lead()).await;
    assert_eq!(
        with.json()["score"],
        without.json()["score"],
        "no event features in this model"
    );
}

/// A job title sent as a JSON number or boolean reads as its text, as a CSV cell holding `5`
/// does in `leadscore-train score` (it was a 422 here): the same score as the text, and the
/// factor names the value sent.
#[tokio::test]
async fn a_job_title_sent_as_a_number_reads_as_its_text() {
    let state = state_with(|_| {});
    let with = |title: Value| {
        let mut lead = demo_lead();
        lead["job_title"] = title;
        lead
    };
    for (sent, text) in [(json!(5), "5"), (json!(true), "true"), (json!(2.5), "2.5")] {
        let r = score(&state, &format!("{AS_OF}&factors=20"), with(sent.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "{sent}: {}", r.text);
        let as_text = score(&state, &format!("{AS_OF}&factors=20"), with(json!(text))).await;
        assert_eq!(r.json()["score"], as_text.json()["score"], "{sent}");
        let factors = r.json()["factors"].to_string();
        assert!(
            factors.contains(&format!("job_title = \\\"{text}\\\" (individual)")),
            "{sent}: {factors}"
        );
    }
}

#[tokio::test]
async fn as_of_pins_timestamp_features() {
    let state = state_with(|_| {});
    let a = score(&state, "as_of=2025-02-01T00:00:00Z", demo_lead())
        .await
        .json();
    let b = score(&state, "as_of=2026-02-01T00:00:00Z", demo_lead())
        .await
        .json();
    assert_ne!(a["score"], b["score"], "days since created_at differs");
    let again = score(&state, "as_of=2025-02-01T00:00:00Z", demo_lead())
        .await
        .json();
    assert_eq!(a["score"], again["score"]);
    // A date before 1970 is a date like any other (training reads it as one): scored.
    let mut old = demo_lead();
    old["created_at"] = json!("1960-01-01");
    let r = score(&state, "as_of=2025-02-01T00:00:00Z", old).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["score"]
        .as_f64()
        .is_some_and(|s| s > 0.0 && s < 1.0));
}

#[tokio::test]
async fn tiers_follow_their_own_cutoffs() {
    let state = state_with(|c| {
        c.tiers = leadscore_serve::config::Tiers::parse("A=0.6,B=0.4,rest").unwrap()
    });
    let serving = state.current();
    let a = serving.tiers[0]
        .cutoff
        .as_ref()
        .expect("tier A attainable")
        .threshold;
    let b = serving.tiers[1]
        .cutoff
        .as_ref()
        .expect("tier B attainable")
        .threshold;
    assert!(a >= b);
    assert_eq!(serving.tier(a), Some("A"));
    assert_eq!(serving.tier(b), Some(if a == b { "A" } else { "B" }));
    assert_eq!(serving.tier(b - 1e-9), Some("rest"));
    let v = score(&state, AS_OF, demo_lead()).await.json();
    let s = v["score"].as_f64().unwrap();
    let want = if s >= a {
        "A"
    } else if s >= b {
        "B"
    } else {
        "rest"
    };
    assert_eq!(v["tier"], want);
    let none = state_with(|c| c.tiers = Default::default());
    assert!(score(&none, AS_OF, demo_lead()).await.json()["tier"].is_null());
}

#[tokio::test]
async fn cutoff_endpoints_report_and_change_the_cutoff() {
    let state = state_with(|_| {});
    let v = send(&state, get("/v1/cutoff")).await.json();
    assert_eq!(v["cutoff"]["target_precision"], TARGET);
    let r = send(
        &state,
        get("/v1/cutoff?target_precision=0.6&confidence=0.9"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["cutoff"]["confidence"], 0.9);
    assert!(v["cutoff"]["threshold"].as_f64() >= v["in_force"]["threshold"].as_f64());
    // A confidence alone asks about the target precision in force at that confidence (it
    // was ignored: the cutoff in force came back).
    let r = send(&state, get("/v1/cutoff?confidence=0.6")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["cutoff"]["confidence"], 0.6, "{v}");
    assert_eq!(v["cutoff"]["target_precision"], TARGET, "{v}");
    assert!(
        v["cutoff"]["threshold"].as_f64() <= v["in_force"]["threshold"].as_f64(),
        "{v}"
    );
    let r = send(&state, get("/v1/cutoff?target_precision=0.999")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "unattainable_target");
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("best this model supports"));
    assert_eq!(
        send(&state, get("/v1/cutoff?target_precision=x"))
            .await
            .code(),
        "invalid_query"
    );
    assert_eq!(
        send(&state, get("/v1/cutoff?target_precision=1.5"))
            .await
            .code(),
        "invalid_target"
    );
    // Given twice: refused (one was used in silence); a browser library's `_` cache-buster
    // passes.
    let r = send(
        &state,
        get("/v1/cutoff?target_precision=0.6&target_precision=0.7"),
    )
    .await;
    assert_eq!(r.code(), "invalid_query", "{}", r.text);
    assert!(r.text.contains("given twice"), "{}", r.text);
    let r = send(
        &state,
        get("/v1/cutoff?target_precision=0.6&_=1733443200000"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A misspelt parameter is refused, naming it, where it answered the cutoff in force.
    let r = send(&state, get("/v1/cutoff?target_precison=0.6")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_query")
    );
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("`target_precison`")
            && message.contains("takes target_precision and confidence"),
        "{message}"
    );

    // PUT takes its settings in the body only: a query one is refused, nothing changed.
    let r = send(
        &state,
        json_request(
            "PUT",
            "/v1/cutoff?confidence=0.99",
            r#"{"target_precision": 0.6}"#,
        ),
    )
    .await;
    assert_eq!(r.code(), "invalid_query", "{}", r.text);
    assert!(r.text.contains("which takes none"), "{}", r.text);
    let v = score(&state, AS_OF, demo_lead()).await.json();
    assert_eq!(v["cutoff"]["target_precision"], TARGET);

    // PUT changes the cutoff in force (loopback bind, no admin token: allowed).
    let r = send(
        &state,
        json_request("PUT", "/v1/cutoff", r#"{"target_precision": 0.6}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let new = r.json()["cutoff"]["threshold"].as_f64().unwrap();
    let v = score(&state, AS_OF, demo_lead()).await.json();
    assert_eq!(v["cutoff"]["threshold"].as_f64().unwrap(), new);
    assert_eq!(v["cutoff"]["target_precision"], 0.6);
    let r = send(
        &state,
        json_request("PUT", "/v1/cutoff", r#"{"target_precision": 0.999}"#),
    )
    .await;
    assert_eq!(r.code(), "unattainable_target");
    let r = send(
        &state,
        json_request("PUT", "/v1/cutoff", r#"{"target_precision": "high"}"#),
    )
    .await;
    assert_eq!(
        (r.code(), r.json()["error"]["path"].clone()),
        ("invalid_field".into(), json!("target_precision"))
    );
    // A misspelt setting is refused, not ignored (the caller would believe it in force).
    let r = send(
        &state,
        json_request(
            "PUT",
            "/v1/cutoff",
            r#"{"target_precision": 0.8, "confidnce": 0.99}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        (r.code(), r.json()["error"]["path"].clone()),
        ("invalid_field".into(), json!("confidnce"))
    );
    assert_eq!(
        state.current().cutoff.threshold,
        new,
        "failed changes keep the cutoff"
    );
}

fn with_bearer(mut req: Request<Body>, token: &str) -> Request<Body> {
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    req
}

#[tokio::test]
async fn bearer_tokens_401_without_403_wrong() {
    let state = state_with(|c| {
        c.score_token = Some("score-secret".into());
        c.admin_token = Some("admin-secret".into());
    });
    let body = demo_lead().to_string();
    let req = || json_request("POST", "/v1/score", body.clone());
    let r = send(&state, req()).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let r = send(&state, with_bearer(req(), "nope")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(
        send(&state, with_bearer(req(), "score-secret"))
            .await
            .status,
        StatusCode::OK
    );
    let inv = || json_request("POST", "/invocations", r#"{"dataframe_records": [{}]}"#);
    assert_eq!(send(&state, inv()).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(&state, with_bearer(inv(), "score-secret"))
            .await
            .status,
        StatusCode::OK
    );
    // Admin calls need the admin token, not the scoring one.
    let reload = || json_request("POST", "/v1/admin/reload", "");
    assert_eq!(
        send(&state, reload()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&state, with_bearer(reload(), "score-secret"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&state, with_bearer(reload(), "admin-secret"))
            .await
            .status,
        StatusCode::OK
    );
    // Reading stays open.
    assert_eq!(send(&state, get("/v1/model")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn admin_without_token_is_refused_on_a_public_bind() {
    let state = state_with(|c| c.bind = "0.0.0.0:8080".parse().unwrap());
    let r = send(
        &state,
        json_request("PUT", "/v1/cutoff", r#"{"target_precision": 0.6}"#),
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert!(r.text.contains("--admin-token"));
}

#[tokio::test]
async fn failed_reload_keeps_serving_the_old_model() {
    let (_dir, path) = demo_model_copy();
    let state = state_with(|c| c.source = leadscore_serve::ModelSource::File(path.clone()));
    let id = state.current().artifact.model_id.clone();
    std::fs::write(&path, "{\"format_version\": 1, \"broken\": true").unwrap();
    let r = send(&state, json_request("POST", "/v1/admin/reload", "")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "reload_failed"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains(&id),
        "names the model still serving: {}",
        r.text
    );
    let v = score(&state, AS_OF, demo_lead()).await;
    assert_eq!(v.status, StatusCode::OK);
    assert_eq!(v.json()["model_id"], id);
    // A tampered (hash mismatch) artifact is refused too.
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_model()).unwrap()).unwrap();
    doc["created_at"] = json!("2000-01-01T00:00:00Z");
    std::fs::write(&path, doc.to_string()).unwrap();
    let r = send(&state, json_request("POST", "/v1/admin/reload", "")).await;
    assert!(r.text.contains("model_id"), "{}", r.text);
    // The good file reloads.
    std::fs::copy(demo_model(), &path).unwrap();
    let r = send(&state, json_request("POST", "/v1/admin/reload", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["model_id"], id);
    let m = send(&state, get("/metrics")).await.text;
    assert!(
        m.contains("leadscore_reloads_total{outcome=\"failed\"} 2"),
        "{m}"
    );
    assert!(
        m.contains("leadscore_reloads_total{outcome=\"ok\"} 1"),
        "{m}"
    );
}

#[tokio::test]
async fn model_health_and_metrics() {
    let state = state_with(|_| {});
    let v = send(&state, get("/v1/model")).await.json();
    assert_eq!(v["model_id"], state.current().artifact.model_id);
    assert!(v["evaluation"]["roc_auc"].as_f64().unwrap() > 0.7);
    assert!(!v["weights"].as_array().unwrap().is_empty());
    assert!(v["provenance"]["holdout_rows"].as_u64().unwrap() > 0);
    assert_eq!(send(&state, get("/healthz")).await.status, StatusCode::OK);
    assert_eq!(send(&state, get("/readyz")).await.status, StatusCode::OK);
    score(&state, AS_OF, json!({"leads": [demo_lead(), demo_lead()]})).await;
    score(&state, AS_OF, json!({"company_size": {}})).await;
    send(&state, get("/nowhere")).await;
    assert_eq!(send(&state, get("/")).await.status, StatusCode::OK);
    let r = send(&state, get("/metrics")).await;
    assert!(r.content_type.starts_with("text/plain"));
    let m = r.text;
    for needle in [
        "leadscore_http_requests_total{route=\"/v1/score\",status=\"200\"} 1",
        "leadscore_http_requests_total{route=\"/v1/score\",status=\"422\"} 1",
        "leadscore_http_requests_total{route=\"unmatched\",status=\"404\"} 1",
        // The model page is a route of its own, not counted among the 404s' route.
        "leadscore_http_requests_total{route=\"/\",status=\"200\"} 1",
        "leadscore_http_request_duration_seconds_count{route=\"/v1/score\",status=\"200\"} 1",
        "leadscore_leads_scored_total 2",
        "leadscore_score_count 2",
        &format!(
            "leadscore_model_info{{model_id=\"{}\"}} 1",
            state.current().artifact.model_id
        ),
    ] {
        assert!(m.contains(needle), "missing {needle} in\n{m}");
    }
    state.start_draining();
    let r = send(&state, get("/readyz")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "shutting_down")
    );
}

/// `/v1/model` and the model page give the penalty the model was fitted at: the one the
/// pair search chose again, not the one chosen without the pairs.
#[tokio::test]
async fn the_model_states_the_penalty_it_was_fitted_at() {
    use leadscore_core::artifact::ModelArtifact;
    let (dir, path) = demo_model_copy();
    let mut a = ModelArtifact::load(&path).unwrap();
    let first = a.provenance.penalty.alpha;
    let refit = first / 5.0;
    let pairs = a.provenance.pairs.as_mut().expect("the demo's pair search");
    pairs.penalties = vec![
        leadscore_core::pairs::PairPenalty {
            alpha: first,
            cv_log_loss: 0.4,
            cv_roc_auc: 0.8,
        },
        leadscore_core::pairs::PairPenalty {
            alpha: refit,
            cv_log_loss: 0.3,
            cv_roc_auc: 0.8,
        },
    ];
    pairs.refit_alpha = Some(refit);
    a.seal();
    a.write_atomic(&path).unwrap();
    let state = leadscore_serve::App::new(leadscore_serve::Config::new(&path, TARGET)).unwrap();
    let v = send(&state, get("/v1/model")).await.json();
    assert_eq!(v["provenance"]["penalty_alpha"].as_f64(), Some(refit));
    let page = send(&state, get("/")).await.text;
    assert!(
        page.contains(&format!(
            "L2, alpha {refit:.4} (C = {:.4}) chosen again with the pairs",
            1.0 / refit
        )),
        "{page}"
    );
    drop(dir);
}

#[tokio::test]
async fn mlflow_invocations_split_and_records() {
    let state = state_with(|_| {});
    let lead = demo_lead();
    let obj = lead.as_object().unwrap();
    let columns: Vec<&String> = obj.keys().collect();
    let row: Vec<&Value> = obj.values().collect();
    let split = json!({"dataframe_split": {"columns": columns, "data": [row.clone(), row]}});
    let r = send(
        &state,
        json_request("POST", &format!("/invocations?{AS_OF}"), split.to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let preds = r.json()["predictions"].as_array().unwrap().clone();
    let single = score(&state, AS_OF, demo_lead()).await.json()["score"].clone();
    assert_eq!(preds, vec![single.clone(), single.clone()]);
    let records = json!({"dataframe_records": [demo_lead()]});
    let r = send(
        &state,
        json_request(
            "POST",
            &format!("/invocations?{AS_OF}"),
            records.to_string(),
        ),
    )
    .await;
    assert_eq!(r.json()["predictions"], json!([single]));
    // Errors in MLflow's shape.
    for (body, status, code, needle) in [
        (
            r#"{"dataframe_split": {"columns": ["company_size"], "data": [[{}]]}}"#,
            400,
            "BAD_REQUEST",
            "dataframe_split.data[0][0]",
        ),
        (
            r#"{"dataframe_records": [{"company_size": true}]}"#,
            400,
            "BAD_REQUEST",
            "dataframe_records[0].company_size",
        ),
        (
            r#"{"instances": [[1]]}"#,
            400,
            "BAD_REQUEST",
            "instances[0]: expected a lead object",
        ),
        (
            r#"{"dataframe_records": []}"#,
            400,
            "BAD_REQUEST",
            "no leads",
        ),
        ("{", 400, "BAD_REQUEST", "malformed"),
    ] {
        let r = send(&state, json_request("POST", "/invocations", body)).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
        let v = r.json();
        assert_eq!(v["error_code"], code, "{body}");
        assert!(
            v["message"].as_str().unwrap().contains(needle),
            "{body}: {v}"
        );
    }
}

/// The bad-input suite: every row names a request and the status and code it must get; none 5xx.
#[tokio::test]
async fn bad_inputs_get_precise_4xx_errors() {
    let state = state_with(|c| {
        c.max_batch = 5;
        c.max_body_bytes = 64 * 1024;
    });
    let deep_array = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut nested = json!(1);
    for _ in 0..100 {
        nested = json!({ "a": nested });
    }
    let nested_field = json!({ "industry": nested }).to_string();
    let six = json!({"leads": vec![demo_lead(); 6]}).to_string();
    let big_body = json!({"leads": [{"industry": "x".repeat(70_000)}]}).to_string();
    let batch_bad =
        json!({"leads": [demo_lead(), demo_lead(), demo_lead(), {"company_size": [1]}]})
            .to_string();
    let s = |v: Value| v.to_string();
    type Row<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        String,
        u16,
        &'a str,
        Option<&'a str>,
    );
    let json_ct = Some("application/json");
    let rows: Vec<Row> = vec![
        (
            "malformed JSON",
            "/v1/score",
            json_ct,
            "{\"email\": ".into(),
            400,
            "invalid_json",
            None,
        ),
        (
            "not JSON",
            "/v1/score",
            json_ct,
            "hello".into(),
            400,
            "invalid_json",
            None,
        ),
        (
            "empty body",
            "/v1/score",
            json_ct,
            String::new(),
            400,
            "invalid_json",
            None,
        ),
        (
            "huge number",
            "/v1/score",
            json_ct,
            r#"{"company_size": 1e400}"#.into(),
            400,
            "invalid_json",
            None,
        ),
        (
            // Nesting past 128 is malformed JSON, even where the value would be ignored.
            "deep nesting",
            "/v1/score",
            json_ct,
            deep_array,
            400,
            "invalid_json",
            None,
        ),
        (
            "nested object in a field",
            "/v1/score",
            json_ct,
            nested_field,
            422,
            "invalid_field",
            Some("industry"),
        ),
        (
            "object for a number",
            "/v1/score",
            json_ct,
            s(json!({"company_size": {"n": 1}})),
            422,
            "invalid_field",
            Some("company_size"),
        ),
        (
            "array in batch lead 3",
            "/v1/score",
            json_ct,
            batch_bad,
            422,
            "invalid_field",
            Some("leads[3].company_size"),
        ),
        (
            "number for an email",
            "/v1/score",
            json_ct,
            s(json!({"email": 42})),
            422,
            "invalid_field",
            Some("email"),
        ),
        (
            "boolean for a number",
            "/v1/score",
            json_ct,
            s(json!({"company_size": true})),
            422,
            "invalid_field",
            Some("company_size"),
        ),
        (
            "text for a number",
            "/v1/score",
            json_ct,
            s(json!({"company_size": "many"})),
            422,
            "invalid_field",
            Some("company_size"),
        ),
        (
            "NaN as a string",
            "/v1/score",
            json_ct,
            s(json!({"company_size": "NaN"})),
            422,
            "invalid_field",
            Some("company_size"),
        ),
        (
            "Infinity as a string",
            "/v1/score",
            json_ct,
            s(json!({"company_size": "-inf"})),
            422,
            "invalid_field",
            Some("company_size"),
        ),
        (
            "NaN literal",
            "/v1/score",
            json_ct,
            r#"{"company_size": NaN}"#.into(),
            400,
            "invalid_json",
            None,
        ),
        (
            "bad timestamp",
            "/v1/score",
            json_ct,
            s(json!({"created_at": "soon"})),
            422,
            "invalid_field",
            Some("created_at"),
        ),
        (
            "number for a timestamp, not a Unix time",
            "/v1/score",
            json_ct,
            s(json!({"created_at": 20231114})),
            422,
            "invalid_field",
            Some("created_at"),
        ),
        (
            "bad event time",
            "/v1/score",
            json_ct,
            s(json!({"events": [{"event_type": "x", "occurred_at": 5}]})),
            422,
            "invalid_field",
            Some("events[0].occurred_at"),
        ),
        (
            "events not an array",
            "/v1/score",
            json_ct,
            s(json!({"leads": [{"events": "x"}]})),
            422,
            "invalid_field",
            Some("leads[0].events"),
        ),
        (
            "empty batch",
            "/v1/score",
            json_ct,
            s(json!({"leads": []})),
            422,
            "empty_batch",
            None,
        ),
        (
            "leads not an array",
            "/v1/score",
            json_ct,
            s(json!({"leads": {}})),
            422,
            "invalid_field",
            Some("leads"),
        ),
        (
            "lead not an object",
            "/v1/score",
            json_ct,
            s(json!({"leads": [1]})),
            422,
            "invalid_field",
            Some("leads[0]"),
        ),
        (
            "top-level array",
            "/v1/score",
            json_ct,
            s(json!([demo_lead()])),
            422,
            "invalid_field",
            Some("$"),
        ),
        (
            "null body",
            "/v1/score",
            json_ct,
            "null".into(),
            422,
            "invalid_field",
            Some("$"),
        ),
        (
            "oversize batch",
            "/v1/score",
            json_ct,
            six,
            413,
            "batch_too_large",
            None,
        ),
        (
            "oversize body",
            "/v1/score",
            json_ct,
            big_body,
            413,
            "body_too_large",
            None,
        ),
        (
            "wrong content type",
            "/v1/score",
            Some("text/plain"),
            s(demo_lead()),
            415,
            "unsupported_media_type",
            None,
        ),
        (
            "no content type",
            "/v1/score",
            None,
            s(demo_lead()),
            415,
            "unsupported_media_type",
            None,
        ),
        (
            "bad factors",
            "/v1/score?factors=-1",
            json_ct,
            s(demo_lead()),
            422,
            "invalid_query",
            None,
        ),
        (
            "the moment as a lead field (was scored at now)",
            "/v1/score",
            json_ct,
            s(json!({"job_title": "CEO", "created_at": "2025-01-01", "as_of": "2025-02-01"})),
            422,
            "invalid_field",
            Some("as_of"),
        ),
        (
            "misspelt as_of (was scored at now)",
            "/v1/score?asof=2025-01-01",
            json_ct,
            s(demo_lead()),
            422,
            "invalid_query",
            None,
        ),
        (
            "a parameter of another endpoint",
            "/v1/score?factors=1&target_precision=0.6",
            json_ct,
            s(demo_lead()),
            422,
            "invalid_query",
            None,
        ),
        (
            "bad as_of",
            "/v1/score?as_of=yesterday",
            json_ct,
            s(demo_lead()),
            422,
            "invalid_query",
            None,
        ),
        (
            "unknown route",
            "/v2/score",
            json_ct,
            s(demo_lead()),
            404,
            "not_found",
            None,
        ),
        (
            "invalid UTF-8",
            "/v1/score",
            json_ct,
            String::from_utf8_lossy(b"{\"email\": \"\xff\"}").replace('\u{fffd}', "\u{7}"),
            400,
            "invalid_json",
            None,
        ),
    ];
    // A date far after as_of is no error: not known then, scored as missing, and said so.
    let r = send(
        &state,
        Request::builder()
            .method("POST")
            .uri("/v1/score")
            .header("content-type", "application/json")
            .body(Body::from(s(json!({"created_at": "2999-01-01"}))))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains(
            "created_at = 2999-01-01 (after the scoring time: not known then, scored as missing)"
        ),
        "{}",
        r.text
    );
    for (name, uri, ct, body, status, code, path) in rows {
        let mut req = Request::builder().method("POST").uri(uri);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let r = send(&state, req.body(Body::from(body)).unwrap()).await;
        assert!(r.status.as_u16() < 500, "{name}: 5xx {}", r.text);
        assert_eq!(r.status.as_u16(), status, "{name}: {}", r.text);
        assert_eq!(r.content_type, "application/json", "{name}");
        assert_eq!(r.code(), code, "{name}: {}", r.text);
        assert_eq!(
            r.json()["error"]["path"].as_str(),
            path,
            "{name}: {}",
            r.text
        );
        assert!(
            !r.json()["error"]["message"].as_str().unwrap().is_empty(),
            "{name}"
        );
    }
    // Wrong method, and huge but finite numbers: a 4xx or a score, never a 5xx.
    let r = send(&state, get("/v1/score")).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (405, "method_not_allowed")
    );
    for v in [json!(1e308), json!(-1e308), json!("1e308"), json!(u64::MAX)] {
        let body = json!({"company_size": v, "pricing_page_visits": v});
        let r = score(&state, AS_OF, body).await;
        assert!(
            r.status == StatusCode::OK || r.code() == "invalid_field",
            "{v}: {}",
            r.text
        );
    }
}

/// Without `as_of` a lead is scored now, and an event sent with it that happened earlier in
/// the same second (a fraction of a second ago, as JavaScript's `toISOString` writes times)
/// counts: it used to round up past a scoring time read down, and the demo request that
/// triggered the call read "none".
#[tokio::test]
async fn an_event_a_fraction_of_a_second_ago_counts_without_as_of() {
    // The model trained with events (the bundled three-table demo).
    let state = leadscore_serve::App::new(leadscore_serve::Config::new(
        repo("models/demo.json"),
        TARGET,
    ))
    .expect("start app");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let second = leadscore_core::value::rfc3339(now);
    // The first microsecond of the current second: before the server's now (unless the
    // second turned meanwhile, when the event is a second old and counts either way).
    let just_now = second.replace('Z', ".000001Z");
    let mut lead = demo_lead();
    lead["created_at"] = json!(leadscore_core::value::rfc3339(now - 2 * 86_400));
    lead["events"] = json!([{"event_type": "demo_request", "occurred_at": just_now}]);
    let r = score(&state, "factors=50", lead).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    let texts: Vec<&str> = ["positive", "negative"]
        .iter()
        .flat_map(|side| v["factors"][side].as_array().unwrap())
        .map(|f| f["factor"].as_str().unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("demo_request: 1 in the last")),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("no activity yet")),
        "{texts:?}"
    );
}

/// An event more than a day after the scoring time is refused with both times as RFC 3339,
/// as a creation time after it is (not Unix seconds); one before 1970 is scored.
#[tokio::test]
async fn an_event_too_late_is_refused_naming_both_times() {
    let state = state_with(|_| {});
    let mut lead = demo_lead();
    lead["events"] = json!([{"event_type": "page_view", "occurred_at": "2025-06-10T00:00:00Z"}]);
    let r = score(&state, "as_of=2025-06-08T10:00:00Z", lead).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let e = r.json();
    assert_eq!(e["error"]["path"], "events[0].occurred_at");
    let message = e["error"]["message"].as_str().unwrap();
    // One before 1970 (a filler date of an export) is an event like any other, as training
    // and `score` read it.
    let mut old = demo_lead();
    old["events"] = json!([{"event_type": "page_view", "occurred_at": "1899-12-31"}]);
    let r = score(&state, "as_of=2025-06-08T10:00:00Z", old).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        message.contains("timestamp 2025-06-10T00:00:00Z is out of range")
            && message.contains("the scoring time 2025-06-08T10:00:00Z"),
        "{message}"
    );
}
