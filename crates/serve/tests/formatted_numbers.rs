//! Numbers written for people (`$1,200,000`, `12,345`, `45%`, as spreadsheets and CRM reports
//! export them) are numbers end to end: training infers such columns numeric (they used to be
//! ignored as free text, losing the strongest signal of this table), learns from them, and the
//! server reads a lead's `"$2,900,000"` as it reads `2900000`, with the factor naming that
//! value.

mod common;

use common::{json_request, send};
use leadscore_core::fitted::FittedTransform;
use leadscore_serve::{App, Config};
use serde_json::{json, Value};
use std::sync::Arc;

/// 2,000 leads: conversion driven by revenue; revenue and employees with thousands separators
/// (revenue with a dollar sign), a share in percent, a size band as text ranges.
fn csv() -> String {
    let mut state: u64 = 7;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let grouped = |x: u64| {
        let digits = x.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let bands = ["1-10", "11-50", "51-200", "201-1000", "1000+"];
    let mut text = String::from("lead_id,revenue,employees,share,size_band,converted\n");
    for i in 0..2000 {
        let revenue = 1_000 + (next() * 5_000_000.0) as u64;
        let employees = 1 + (next() * 20_000.0) as u64;
        let share = (next() * 100.0) as u64;
        let band = bands[(next() * 5.0) as usize % 5];
        let p = if revenue > 2_500_000 { 0.75 } else { 0.15 };
        let converted = u8::from(next() < p);
        text += &format!(
            "L{i},\"${}\",\"{}\",{share}%,{band},{converted}\n",
            grouped(revenue),
            grouped(employees)
        );
    }
    text
}

async fn score(state: &Arc<App>, lead: &Value) -> Value {
    let reply = send(
        state,
        json_request("POST", "/v1/score?factors=10", lead.to_string()),
    )
    .await;
    assert_eq!(reply.status, 200, "{lead}: {}", reply.text);
    reply.json()
}

/// A lead whose revenue is `revenue`, which the model reads as no number: refused with 422,
/// naming the field.
async fn refused_naming_revenue(state: &Arc<App>, revenue: &str) {
    let lead = json!({"revenue": revenue, "employees": "1", "share": "1%", "size_band": "1-10"});
    let reply = send(state, json_request("POST", "/v1/score", lead.to_string())).await;
    assert_eq!(reply.status, 422, "{lead}: {}", reply.text);
    assert_eq!(reply.json()["error"]["path"], "revenue", "{}", reply.text);
}

#[tokio::test]
async fn currency_thousands_and_percent_are_numbers_from_training_to_the_server() {
    let (dir, artifact) = common::train_csv(&csv());
    for name in ["revenue", "employees", "share"] {
        let column = artifact
            .spec
            .columns
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} is a feature"));
        assert!(
            matches!(column.transform, FittedTransform::Numeric { .. }),
            "{name}: {:?}",
            column.transform
        );
    }
    // Revenue drives conversion (a step: at best about 0.80 ROC AUC; without it, 0.5): a model
    // that reads it separates the classes.
    assert!(
        artifact.evaluation.roc_auc.is_some_and(|a| a > 0.65),
        "holdout ROC AUC {:?}",
        artifact.evaluation.roc_auc
    );

    let model = dir.path().join("model.json");
    artifact.write_atomic(&model).unwrap();
    let state = App::new(Config::new(&model, 0.4)).expect("serve the model");
    let formatted = json!({"revenue": "$2,900,000", "employees": "12,345", "share": "45%", "size_band": "51-200"});
    let plain = json!({"revenue": 2900000, "employees": 12345, "share": 45, "size_band": "51-200"});
    let (a, b) = (score(&state, &formatted).await, score(&state, &plain).await);
    assert_eq!(a["score"], b["score"], "{a}\n{b}");
    let low = score(&state, &json!({"revenue": "$90,000", "employees": "12,345", "share": "45%", "size_band": "51-200"})).await;
    assert!(
        a["score"].as_f64().unwrap() > low["score"].as_f64().unwrap(),
        "more revenue, higher score: {a} vs {low}"
    );
    // The revenue factor names the lead's value, as the number it is (the same text for
    // `"$2,900,000"` and `2900000`).
    let factors: Vec<&Value> = ["positive", "negative"]
        .iter()
        .flat_map(|k| a["factors"][*k].as_array().unwrap())
        .collect();
    let revenue = factors
        .iter()
        .find(|f| f["field"] == "revenue")
        .unwrap_or_else(|| panic!("a revenue factor: {a}"));
    assert!(
        revenue["factor"]
            .as_str()
            .unwrap()
            .starts_with("revenue = 2900000"),
        "{revenue}"
    );
    // A value that is no number is still refused, naming the field.
    refused_naming_revenue(&state, "12,5").await;
}

/// The same leads as a European spreadsheet exports them: `;`-separated, a decimal comma and
/// dots between thousands (`2.900.000,50`, `45,5%`). Training reads the file that way
/// (`decimal_comma` in the spec) and the server reads a lead's `"2.900.000,50"` as it reads
/// `2900000.5`, with the factor naming that number.
#[tokio::test]
async fn decimal_commas_are_numbers_from_training_to_the_server() {
    let european: String = csv()
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                return line.replace(',', ";") + "\n";
            }
            // lead,"$1,234,567","12,345",45%,band,converted
            let (head, rest) = line.split_once(",\"$").unwrap();
            let (revenue, rest) = rest.split_once("\",\"").unwrap();
            let (employees, rest) = rest.split_once("\",").unwrap();
            let (share, rest) = rest.split_once("%,").unwrap();
            let (band, converted) = rest.split_once(',').unwrap();
            format!(
                "{head};{},50;{};{share},5%;{band};{converted}\n",
                revenue.replace(',', "."),
                employees.replace(',', ".")
            )
        })
        .collect();
    assert!(european.contains(",50;") && european.contains(",5%;"));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("leads.csv");
    std::fs::write(&data, european).unwrap();
    let mut config = leadscore_train::pipeline::TrainConfig::new(&data);
    config.label = Some("converted".into());
    config.id = Some("lead_id".into());
    let outcome = leadscore_train::pipeline::train(&config).expect("train");
    let artifact = outcome.artifact;
    assert!(artifact.spec.decimal_comma);
    for name in ["revenue", "employees", "share"] {
        let column = artifact.spec.columns.iter().find(|c| c.name == name);
        assert!(
            column.is_some_and(|c| matches!(c.transform, FittedTransform::Numeric { .. })),
            "{name}: {column:?}"
        );
    }
    assert!(
        artifact.evaluation.roc_auc.is_some_and(|a| a > 0.65),
        "holdout ROC AUC {:?}",
        artifact.evaluation.roc_auc
    );

    let model = dir.path().join("model.json");
    artifact.write_atomic(&model).unwrap();
    let state = App::new(Config::new(&model, 0.4)).expect("serve the model");
    let written = json!({"revenue": "2.900.000,50", "employees": "12.345", "share": "45,5%", "size_band": "51-200"});
    let plain =
        json!({"revenue": 2900000.5, "employees": 12345, "share": 45.5, "size_band": "51-200"});
    let (a, b) = (score(&state, &written).await, score(&state, &plain).await);
    assert_eq!(a["score"], b["score"], "{a}\n{b}");
    assert_eq!(a["factors"], b["factors"], "{a}\n{b}");
    let revenue = ["positive", "negative"]
        .iter()
        .flat_map(|k| a["factors"][*k].as_array().unwrap())
        .find(|f| f["field"] == "revenue")
        .unwrap_or_else(|| panic!("a revenue factor: {a}"))
        .clone();
    assert!(
        revenue["factor"]
            .as_str()
            .unwrap()
            .starts_with("revenue = 2900000.5"),
        "{revenue}"
    );
    // A decimal point is no number in such a model: refused, naming the field.
    refused_naming_revenue(&state, "1.5").await;
}

/// The repo's `data/` file `name`.
fn repo_data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// A model trained on `config` with `date_order = "order"` added to the spec file `spec`.
fn trained_with_date_order(
    dir: &std::path::Path,
    mut config: leadscore_train::pipeline::TrainConfig,
    spec: &str,
    order: &str,
) -> Arc<App> {
    let text = std::fs::read_to_string(repo_data(spec)).unwrap();
    let path = dir.join(format!("{order}.toml"));
    std::fs::write(&path, format!("date_order = \"{order}\"\n{text}")).unwrap();
    config.spec = Some(path);
    let artifact = leadscore_train::pipeline::train(&config)
        .expect("train")
        .artifact;
    assert_eq!(
        serde_json::to_value(artifact.spec.date_order).unwrap(),
        order
    );
    let model = dir.join(format!("{order}.json"));
    artifact.write_atomic(&model).unwrap();
    App::new(Config::new(&model, 0.4)).expect("serve the model")
}

/// Scores `lead` as of 2025-06-08 10:00 with every factor: 200 and the body, or the status and
/// the body.
async fn score_as_of(state: &Arc<App>, lead: &Value) -> (u16, Value) {
    let uri = "/v1/score?factors=50&as_of=2025-06-08T10:00:00Z";
    let reply = send(state, json_request("POST", uri, lead.to_string())).await;
    (
        reply.status.as_u16(),
        serde_json::from_str(&reply.text).unwrap_or(Value::Null),
    )
}

/// A model whose spec reads dates with the year last (`date_order`, which `init` writes for a
/// US or European export) reads a lead's `"31/05/2025 14:00"` or `"6/1/2025 9:00:00 AM"` as
/// the moment it is, as it reads the ISO text: the same score and the same factors (a date
/// shown as the date it is, an age in days); a date in the other order is refused, naming the
/// field and the order the model reads.
#[tokio::test]
async fn dates_with_the_year_last_are_moments_from_training_to_the_server() {
    let dir = tempfile::tempdir().unwrap();
    // A flat file with a timestamp column (days since, month, weekday), day first.
    let flat = trained_with_date_order(
        dir.path(),
        leadscore_train::pipeline::TrainConfig::new(repo_data("demo-leads.csv")),
        "demo-spec.toml",
        "dmy",
    );
    let lead = |created_at: &str| {
        json!({"lead_id": "x", "created_at": created_at, "email": "ana@acme.io",
               "job_title": "VP Sales", "company_size": 120, "industry": "Software",
               "country": "Germany", "lead_source": "Referral", "pricing_page_visits": 3,
               "webinar_attended": "yes"})
    };
    let (status, iso) = score_as_of(&flat, &lead("2025-05-31 14:00:00")).await;
    assert_eq!(status, 200, "{iso}");
    let (status, written) = score_as_of(&flat, &lead("31/05/2025 14:00")).await;
    assert_eq!(status, 200, "{written}");
    assert_eq!(written["score"], iso["score"]);
    assert_eq!(written["factors"], iso["factors"]);
    let shown = iso["factors"].to_string();
    assert!(shown.contains("created_at = 2025-05-31"), "{shown}");
    let (status, refused) = score_as_of(&flat, &lead("5/31/2025 14:00")).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["path"], "created_at", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("day first"),
        "{refused}"
    );

    // Leads, events and outcomes, scored by the lead's age: month first.
    let mut config = leadscore_train::pipeline::TrainConfig::new(repo_data("demo/leads.csv"));
    config.events = Some(repo_data("demo/events.csv"));
    config.outcomes = Some(repo_data("demo/outcomes.csv"));
    let aged = trained_with_date_order(dir.path(), config, "demo/spec.toml", "mdy");
    let lead = |created_at: &str| {
        json!({"lead_id": "y", "created_at": created_at, "email": "bo@initech.com",
               "job_title": "Head of Marketing", "company_size": 800, "industry": "Software",
               "country": "United States", "lead_source": "Webinar",
               "events": [{"event_type": "pricing_page_visit", "occurred_at": "2025-06-02T09:00:00Z"}]})
    };
    let (status, iso) = score_as_of(&aged, &lead("2025-06-01T09:00:00Z")).await;
    assert_eq!(status, 200, "{iso}");
    let (status, written) = score_as_of(&aged, &lead("6/1/2025 9:00:00 AM")).await;
    assert_eq!(status, 200, "{written}");
    assert_eq!(written["score"], iso["score"]);
    assert_eq!(written["factors"], iso["factors"]);
    assert!(iso["factors"].to_string().contains("lead age: 7"), "{iso}");
    let (status, refused) = score_as_of(&aged, &lead("13/1/2025 9:00")).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["path"], "created_at", "{refused}");
}

/// A spec whose missing tokens include a number (`-1`, a CRM's "unknown"): the server reads a
/// lead's `-1` sent as a JSON number (or as `"-1.0"`) as it reads `"-1"` and null, missing, as
/// training read the CSV's `-1` (so the model learned `company_size is missing` from those
/// leads, not a size), with the same factor texts.
#[tokio::test]
async fn a_numeric_missing_token_is_missing_sent_as_a_number_too() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo_data("demo-leads.csv")).unwrap();
    let data: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut cells: Vec<&str> = line.split(',').collect();
            // (Rows with a quoted field, `"Manager, Sales"`, are left as they are.)
            if i % 9 == 4 && !line.contains('"') {
                cells[4] = "-1"; // company_size
            }
            cells.join(",") + "\n"
        })
        .collect();
    let leads = dir.path().join("leads.csv");
    std::fs::write(&leads, data).unwrap();
    let spec = std::fs::read_to_string(repo_data("demo-spec.toml")).unwrap();
    assert!(spec.contains("missing_tokens = [\""), "{spec}");
    let spec_path = dir.path().join("spec.toml");
    std::fs::write(
        &spec_path,
        spec.replacen("missing_tokens = [", "missing_tokens = [\"-1\", ", 1),
    )
    .unwrap();
    let mut config = leadscore_train::pipeline::TrainConfig::new(&leads);
    config.spec = Some(spec_path);
    let artifact = leadscore_train::pipeline::train(&config)
        .expect("train")
        .artifact;
    let size = artifact
        .spec
        .columns
        .iter()
        .find(|c| c.name == "company_size")
        .unwrap();
    assert!(
        matches!(
            size.transform,
            FittedTransform::Numeric { missing_indicator: true, range: Some([lo, _]), .. } if lo > 0.0
        ),
        "{:?}",
        size.transform
    );
    let model = dir.path().join("model.json");
    artifact.write_atomic(&model).unwrap();
    let state = App::new(Config::new(&model, 0.4)).expect("serve the model");
    let lead = |size: Value| {
        json!({"email": "ana@acme.io", "job_title": "VP Marketing", "company_size": size,
               "industry": "Software", "country": "Germany", "lead_source": "Referral",
               "pricing_page_visits": 2, "webinar_attended": "yes"})
    };
    let missing = score(&state, &lead(Value::Null)).await;
    for sent in [json!(-1), json!(-1.0), json!("-1"), json!("-1.0")] {
        let got = score(&state, &lead(sent.clone())).await;
        assert_eq!(got["score"], missing["score"], "{sent}");
        assert_eq!(got["factors"], missing["factors"], "{sent}");
    }
    // Another number is a number.
    assert_ne!(
        score(&state, &lead(json!(-2))).await["score"],
        missing["score"]
    );
}
