//! The `/v1/score` answer written straight into bytes.
//!
//! The answer's shape is fixed, so its keys are written as constant bytes and only the values
//! go through serde_json (numbers and strings, so the formatting and escaping are serde_json's
//! own). This is the same JSON the `Serialize` derives of [`LeadScore`] and [`CutoffReport`]
//! produce, byte for byte (`tests::the_writer_matches_serde_on_demo_leads`), at a fraction of
//! the cost: with serde's derive every key was escaped again for every lead, which made
//! serializing a 1,000-lead batch cost more than scoring it.

use crate::state::{CutoffReport, FactorRef, LeadScore, PartScore};

/// `{"model_id":...,"cutoff":{...},<the lead's fields>}`: one lead sent as the body.
pub fn write_single(out: &mut Vec<u8>, model_id: &str, cutoff: &CutoffReport, lead: &LeadScore) {
    out.push(b'{');
    head(out, model_id, cutoff);
    out.push(b',');
    lead_fields(out, lead);
    out.push(b'}');
}

/// `{"model_id":...,"cutoff":{...},"leads":[{...},...]}`: a batch.
pub fn write_batch(out: &mut Vec<u8>, model_id: &str, cutoff: &CutoffReport, leads: &[LeadScore]) {
    out.push(b'{');
    head(out, model_id, cutoff);
    out.extend_from_slice(b",\"leads\":[");
    for (i, lead) in leads.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        lead_fields(out, lead);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
}

fn head(out: &mut Vec<u8>, model_id: &str, cutoff: &CutoffReport) {
    out.extend_from_slice(b"\"model_id\":");
    string(out, model_id);
    out.extend_from_slice(b",\"cutoff\":{\"threshold\":");
    number(out, cutoff.threshold);
    out.extend_from_slice(b",\"target_precision\":");
    number(out, cutoff.target_precision);
    out.extend_from_slice(b",\"confidence\":");
    number(out, cutoff.confidence);
    out.extend_from_slice(b",\"precision\":");
    number(out, cutoff.precision);
    out.extend_from_slice(b",\"precision_lower_bound\":");
    number(out, cutoff.precision_lower_bound);
    out.extend_from_slice(b",\"recall\":");
    number(out, cutoff.recall);
    out.extend_from_slice(b",\"mql_rate\":");
    number(out, cutoff.mql_rate);
    out.push(b'}');
}

/// The fields of one [`LeadScore`], in its declaration order, without the braces.
fn lead_fields(out: &mut Vec<u8>, s: &LeadScore) {
    out.extend_from_slice(b"\"score\":");
    number(out, s.score);
    out.extend_from_slice(if s.mql {
        b",\"mql\":true,\"tier\":"
    } else {
        b",\"mql\":false,\"tier\":"
    });
    match s.tier {
        Some(t) => string(out, t),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"log_odds\":");
    number(out, s.log_odds);
    out.extend_from_slice(b",\"baseline_log_odds\":");
    number(out, s.baseline_log_odds);
    out.extend_from_slice(b",\"fit\":");
    part_score(out, &s.fit);
    out.extend_from_slice(b",\"engagement\":");
    part_score(out, &s.engagement);
    if !s.held_back_by.is_empty() {
        out.extend_from_slice(b",\"held_back_by\":[");
        for (i, g) in s.held_back_by.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, g);
        }
        out.push(b']');
    }
    if let Some(age) = &s.lead_age {
        out.extend_from_slice(b",\"lead_age\":{\"days\":");
        number(out, age.days);
        out.extend_from_slice(b",\"scored_as_days\":");
        number(out, age.scored_as_days);
        out.extend_from_slice(if age.outside_landmarks {
            b",\"outside_landmarks\":true}"
        } else {
            b",\"outside_landmarks\":false}"
        });
    }
    if let Some(f) = &s.factors {
        out.extend_from_slice(b",\"factors\":{\"positive\":");
        factor_list(out, &f.positive);
        out.extend_from_slice(b",\"negative\":");
        factor_list(out, &f.negative);
        out.push(b'}');
    }
}

fn part_score(out: &mut Vec<u8>, p: &PartScore) {
    out.extend_from_slice(b"{\"log_odds\":");
    number(out, p.log_odds);
    out.extend_from_slice(b",\"percentile\":");
    match p.percentile {
        Some(x) => number(out, x),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

fn factor_list(out: &mut Vec<u8>, list: &[FactorRef]) {
    out.push(b'[');
    for (i, f) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"field\":");
        string(out, f.field);
        out.extend_from_slice(b",\"factor\":");
        string(out, &f.factor);
        out.extend_from_slice(b",\"part\":");
        string(out, f.part.label());
        out.extend_from_slice(b",\"contribution\":");
        number(out, f.contribution);
        out.push(b'}');
    }
    out.push(b']');
}

/// A number as serde_json writes an `f64` (shortest round-trip form; `null` when not finite).
fn number(out: &mut Vec<u8>, x: f64) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &x);
}

/// A JSON string as serde_json writes it: copied as is when nothing in it needs escaping
/// (serde_json escapes only control characters, `"` and `\`), else escaped by serde_json.
fn string(out: &mut Vec<u8>, s: &str) {
    // A fold without an early exit, so the check vectorizes.
    let escape = s.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !escape {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

// The benches' CSV reader (the demo files hold quoted fields).
#[cfg(test)]
#[path = "../../core/benches/common/mod.rs"]
mod common_csv;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::parse_score_body;
    use crate::{App, Config};
    use common_csv as common;
    use leadscore_core::value::parse_timestamp;
    use serde::Serialize;
    use serde_json::{json, Map, Value};
    use std::collections::HashMap;

    /// The answers as serde's derives write them (what the handler used before).
    #[derive(Serialize)]
    struct SingleScore<'a> {
        model_id: &'a str,
        cutoff: &'a CutoffReport,
        #[serde(flatten)]
        lead: &'a LeadScore<'a>,
    }

    #[derive(Serialize)]
    struct BatchScore<'a> {
        model_id: &'a str,
        cutoff: &'a CutoffReport,
        leads: &'a [LeadScore<'a>],
    }

    #[test]
    fn strings_as_serde_writes_them() {
        for s in [
            "",
            "plain",
            "q\"uote",
            "back\\slash",
            "tab\t",
            "nl\n",
            "\u{1}",
            "caf\u{e9}",
            "\u{7f}",
            "/",
        ] {
            let mut ours = Vec::new();
            string(&mut ours, s);
            assert_eq!(ours, serde_json::to_vec(s).expect("json"), "{s:?}");
        }
    }

    /// Every demo lead, scored 3 days after its creation with the events it had by then
    /// (gates, tiers, lead age and event factors all show up), written both ways, alone and in
    /// batches of 100; and once more with tiers off and without factors.
    #[test]
    fn the_writer_matches_serde_on_demo_leads() {
        let leads = common::read_csv(&common::repo_file("data/demo/leads.csv"));
        let events = common::read_csv(&common::repo_file("data/demo/events.csv"));
        let mut per_lead: HashMap<&str, Vec<(&str, i64)>> = HashMap::new();
        for e in &events {
            let at = parse_timestamp(&e["occurred_at"]).expect("event time");
            per_lead
                .entry(e["lead_id"].as_str())
                .or_default()
                .push((e["event_type"].as_str(), at));
        }
        let rfc3339 = |t: i64| crate::decisions::rfc3339_millis(t * 1000);
        let mut checked = (0, 0, 0);
        for (tiers, factors) in [(true, 3), (false, 0)] {
            let mut config = Config::new(common::repo_file("models/demo.json"), 0.5);
            if !tiers {
                config.tiers = crate::config::Tiers::parse("").expect("no tiers");
            }
            let app = App::new(config).expect("the demo model");
            let serving = app.current();
            let model_id = serving.artifact.model_id.as_str();
            for chunk in leads.chunks(100) {
                // One as_of for the batch: 3 days after its newest lead.
                let as_of = chunk
                    .iter()
                    .map(|l| parse_timestamp(&l["created_at"]).expect("created_at"))
                    .max()
                    .expect("leads")
                    + 3 * 86_400;
                let bodies: Vec<Value> = chunk
                    .iter()
                    .map(|l| {
                        let mut m = Map::new();
                        for (k, v) in l {
                            let v = match k.as_str() {
                                "lead_id" => continue,
                                "created_at" => {
                                    json!(rfc3339(parse_timestamp(v).expect("created_at")))
                                }
                                _ if v.is_empty() => Value::Null,
                                "company_size" => json!(v.parse::<f64>().expect("a number")),
                                _ => json!(v),
                            };
                            m.insert(k.clone(), v);
                        }
                        let own: Vec<Value> = per_lead
                            .get(l["lead_id"].as_str())
                            .into_iter()
                            .flatten()
                            .filter(|(_, at)| *at <= as_of)
                            .map(|(t, at)| json!({"event_type": t, "occurred_at": rfc3339(*at)}))
                            .collect();
                        m.insert("events".into(), Value::Array(own));
                        Value::Object(m)
                    })
                    .collect();
                let bytes = serde_json::to_vec(&json!({ "leads": bodies })).expect("json");
                let body = parse_score_body(&bytes, &serving.columns, 1_000).expect("parsed");
                let scores = serving.score(&body.leads, as_of, factors).expect("scored");
                let cutoff = &serving.cutoff;
                let mut ours = Vec::new();
                write_batch(&mut ours, model_id, cutoff, &scores);
                let theirs = serde_json::to_vec(&BatchScore {
                    model_id,
                    cutoff,
                    leads: &scores,
                })
                .expect("serde");
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
                for lead in &scores {
                    let mut ours = Vec::new();
                    write_single(&mut ours, model_id, cutoff, lead);
                    let theirs = serde_json::to_vec(&SingleScore {
                        model_id,
                        cutoff,
                        lead,
                    })
                    .expect("serde");
                    assert_eq!(
                        String::from_utf8_lossy(&ours),
                        String::from_utf8_lossy(&theirs)
                    );
                    checked.0 += 1;
                    checked.1 += usize::from(!lead.held_back_by.is_empty());
                    checked.2 += usize::from(lead.tier.is_some());
                }
            }
        }
        // Both with and without tiers, some leads held back by a gate.
        assert_eq!(checked.0, 2 * leads.len());
        assert!(checked.1 > 0 && checked.2 == leads.len(), "{checked:?}");
    }
}
