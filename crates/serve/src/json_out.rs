//! The `/v1/score` answer written straight into bytes.
//!
//! The answer's shape is fixed, so its keys are written as constant bytes and only the values
//! are formatted: numbers by serde_json, strings escaped as serde_json escapes them. Factor
//! texts are written from the lead's values straight into the body, then escaped, with no
//! `String` of their own; what depends only on the model is written once per model
//! ([`crate::json_text::Prerendered`]). The output is byte for byte what serde's
//! derives wrote before (`tests::the_writer_matches_serde_on_demo_leads`), at a fraction of
//! the cost: with serde's derive every key was escaped again for every lead, which made
//! serializing a 1,000-lead batch cost more than scoring it.

use crate::json_text::{escape_at, escaped, number, string, Raw, Repeat, Slot};
use crate::state::{FactorRef, LeadInputs, LeadScore, PartScore, Serving};
use leadscore_core::explain::Part;

/// One `/v1/score` answer, written lead by lead as the leads are scored:
/// `{"model_id":...,"cutoff":{...},<the lead's fields>}` for one lead sent as the body,
/// `{"model_id":...,"cutoff":{...},"leads":[{...},...]}` for a batch.
pub struct Answer<'s> {
    out: Vec<u8>,
    serving: &'s Serving,
    as_of: i64,
    batch: bool,
    written: usize,
    /// A factor text that needs escaping, moved aside while it is escaped back into `out`:
    /// here when it fits (most do; a heap buffer grew again in every single-lead answer, ~1k
    /// instructions), else in `scratch`.
    short: [u8; 192],
    scratch: Vec<u8>,
    /// The baseline log-odds (the model's, the same for every lead) and a lead's age (the
    /// age it is scored at, too, unless it is past the model's last landmark), as last written.
    baseline: Repeat,
    age: Repeat,
    /// The factors' contributions written so far, in a batch.
    contributions: Option<Written>,
}

/// Numbers written before in this answer, by their bits, in 256 slots (a new number takes its
/// slot from the one before): a factor's contribution is its features' weights times their
/// values, so every lead with the same level, email class or event count has the same one. In
/// the demo's 1,000-lead batch the 6,000 factors hold 918 distinct contributions; a hit is
/// copied instead of formatted (~170 instructions).
struct Written {
    slots: Box<[Slot; 256]>,
}

impl Written {
    fn new() -> Self {
        Self {
            slots: Box::new([Slot::default(); 256]),
        }
    }

    fn number(&mut self, out: &mut Vec<u8>, x: f64) {
        let bits = x.to_bits();
        // Fibonacci hashing: the top byte of the product mixes every bit of the number.
        self.slots[(bits.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize].write(out, x);
    }
}

impl<'s> Answer<'s> {
    /// Starts an answer (a batch when `batch`) scored by `serving` at `as_of` with its cutoff
    /// in force; `capacity` is the expected size in bytes.
    pub fn new(serving: &'s Serving, as_of: i64, batch: bool, capacity: usize) -> Self {
        let mut out = crate::buffers::take(capacity);
        out.push(b'{');
        out.extend_from_slice(&serving.answer.head);
        out.extend_from_slice(if batch { b",\"leads\":[" } else { b"," });
        Self {
            out,
            serving,
            as_of,
            batch,
            written: 0,
            short: [0; 192],
            scratch: Vec::new(),
            baseline: serving.answer.baseline,
            age: Repeat::default(),
            // A single lead has nothing to repeat.
            contributions: batch.then(Written::new),
        }
    }

    /// Writes the score of the next lead, whose factor texts read `inputs` (the lead's values
    /// and events as scoring read them).
    pub fn lead(&mut self, score: &LeadScore, inputs: &LeadInputs<'_>) {
        if self.batch {
            if self.written > 0 {
                self.out.push(b',');
            }
            self.out.push(b'{');
        }
        self.written += 1;
        lead_fields(&mut self.out, score, &mut self.baseline, &mut self.age);
        if let Some(f) = &score.factors {
            let out = &mut self.out;
            out.extend_from_slice(b",\"factors\":{\"positive\":");
            let (values, events) = (&inputs.values, &inputs.events);
            let (short, scratch) = (&mut self.short, &mut self.scratch);
            let mut text = |out: &mut Vec<u8>, f: &FactorRef| {
                // Written as is, then escaped from the first byte that has to be (most texts
                // quote a value): one check a text instead of one for each of its pieces.
                let start = out.len();
                self.serving
                    .write_factor_text(&mut Raw(out), f, values, events, self.as_of);
                if let Some(k) = escape_at(&out[start..]) {
                    let from = start + k;
                    let tail = out.len() - from;
                    if tail <= short.len() {
                        short[..tail].copy_from_slice(&out[from..]);
                        out.truncate(from);
                        escaped(out, &short[..tail]);
                    } else {
                        scratch.clear();
                        scratch.extend_from_slice(&out[from..]);
                        out.truncate(from);
                        escaped(out, scratch);
                    }
                }
            };
            let heads = &self.serving.answer.factor_heads;
            let written = &mut self.contributions;
            let mut contribution = |out: &mut Vec<u8>, x: f64| match written {
                Some(w) => w.number(out, x),
                None => number(out, x),
            };
            factor_list(out, &f.positive, heads, &mut text, &mut contribution);
            out.extend_from_slice(b",\"negative\":");
            factor_list(out, &f.negative, heads, &mut text, &mut contribution);
            out.push(b'}');
        }
        if self.batch {
            self.out.push(b'}');
        }
    }

    /// The finished answer.
    pub fn finish(mut self) -> Vec<u8> {
        self.out
            .extend_from_slice(if self.batch { b"]}" } else { b"}" });
        self.out
    }
}

/// The fields of one [`LeadScore`] but its factors, in its declaration order, without the
/// braces.
fn lead_fields(out: &mut Vec<u8>, s: &LeadScore, baseline: &mut Repeat, age: &mut Repeat) {
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
    baseline.number(out, s.baseline_log_odds);
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
    if let Some(lead_age) = &s.lead_age {
        out.extend_from_slice(b",\"lead_age\":{\"days\":");
        age.number(out, lead_age.days);
        out.extend_from_slice(b",\"scored_as_days\":");
        age.number(out, lead_age.scored_as_days);
        out.extend_from_slice(if lead_age.outside_landmarks {
            b",\"outside_landmarks\":true}"
        } else {
            b",\"outside_landmarks\":false}"
        });
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

/// A list of factors; `heads` are [`Prerendered`]'s factor heads, `text` writes a factor's
/// text (escaped, without the quotes), `contribution` its contribution.
fn factor_list(
    out: &mut Vec<u8>,
    list: &[FactorRef],
    heads: &[Vec<u8>],
    text: &mut impl FnMut(&mut Vec<u8>, &FactorRef),
    contribution: &mut impl FnMut(&mut Vec<u8>, f64),
) {
    out.push(b'[');
    for (i, f) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match heads.get(f.group) {
            Some(h) => out.extend_from_slice(h),
            // Groups come from the model the heads were written for; kept total anyway.
            None => out.extend_from_slice(&crate::json_text::factor_head(f.field)),
        }
        text(out, f);
        out.extend_from_slice(match f.part {
            Part::Fit => b"\",\"part\":\"fit\",\"contribution\":",
            Part::Engagement => b"\",\"part\":\"engagement\",\"contribution\":",
        });
        contribution(out, f.contribution);
        out.push(b'}');
    }
    out.push(b']');
}

// The benches' CSV reader (the demo files hold quoted fields).
#[cfg(test)]
#[path = "../../core/benches/common/mod.rs"]
mod common_csv;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::{parse_score_body, Lead};
    use crate::state::CutoffReport;
    use crate::{App, Config};
    use common_csv as common;
    use leadscore_core::value::parse_timestamp;
    use serde::Serialize;
    use serde_json::{json, Map, Value};
    use std::collections::HashMap;

    /// The answers as serde's derives write them (what the handler used before), with each
    /// factor's text as a `String` (written by [`Serving::write_factor_text`]).
    #[derive(Serialize)]
    struct SingleScore<'a> {
        model_id: &'a str,
        cutoff: &'a CutoffReport,
        #[serde(flatten)]
        lead: &'a LeadJson<'a>,
    }

    #[derive(Serialize)]
    struct BatchScore<'a> {
        model_id: &'a str,
        cutoff: &'a CutoffReport,
        leads: &'a [LeadJson<'a>],
    }

    #[derive(Serialize)]
    struct LeadJson<'a> {
        score: f64,
        mql: bool,
        tier: Option<&'a str>,
        log_odds: f64,
        baseline_log_odds: f64,
        fit: PartScore,
        engagement: PartScore,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        held_back_by: Vec<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        lead_age: Option<crate::state::LeadAge>,
        #[serde(skip_serializing_if = "Option::is_none")]
        factors: Option<FactorsJson<'a>>,
    }

    #[derive(Serialize)]
    struct FactorsJson<'a> {
        positive: Vec<FactorJson<'a>>,
        negative: Vec<FactorJson<'a>>,
    }

    #[derive(Serialize)]
    struct FactorJson<'a> {
        field: &'a str,
        factor: String,
        part: leadscore_core::explain::Part,
        contribution: f64,
    }

    fn lead_json<'a>(
        serving: &'a Serving,
        s: &LeadScore<'a>,
        lead: &Lead,
        as_of: i64,
    ) -> LeadJson<'a> {
        let mut inputs = LeadInputs::default();
        serving.lead_inputs(lead, &mut inputs);
        let (values, events) = (&inputs.values, &inputs.events);
        let list = |l: &[FactorRef<'a>]| -> Vec<FactorJson<'a>> {
            l.iter()
                .map(|f| FactorJson {
                    field: f.field,
                    factor: {
                        let mut text = String::new();
                        serving.write_factor_text(&mut text, f, values, events, as_of);
                        text
                    },
                    part: f.part,
                    contribution: f.contribution,
                })
                .collect()
        };
        LeadJson {
            score: s.score,
            mql: s.mql,
            tier: s.tier,
            log_odds: s.log_odds,
            baseline_log_odds: s.baseline_log_odds,
            fit: s.fit,
            engagement: s.engagement,
            held_back_by: s.held_back_by.clone(),
            lead_age: s.lead_age,
            factors: s.factors.as_ref().map(|f| FactorsJson {
                positive: list(&f.positive),
                negative: list(&f.negative),
            }),
        }
    }

    /// Every demo lead, scored 3 days after its creation with the events it had by then
    /// (gates, tiers, lead age and event factors all show up), written both ways, alone and in
    /// batches of 100; and once more with tiers off and without factors.
    #[test]
    fn numbers_written_again_are_the_numbers() {
        // Many more numbers than slots, each written several times in a scrambled order (so
        // slots are taken over and hit), signed zeros, extremes, the longest texts, non-finite.
        let mut xs: Vec<f64> = (0..2_000)
            .map(|i| (f64::from(i) * 0.7310585786300049).sin() * 10f64.powi(i % 40 - 20))
            .collect();
        xs.extend([
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            -2.2250738585072014e-308,
            f64::MAX,
            f64::MIN,
            1e-7,
            f64::NAN,
            f64::INFINITY,
        ]);
        let mut written = Written::new();
        for round in 0..4usize {
            for (i, &x) in xs.iter().enumerate() {
                let x = if (i + round) % 3 == 0 {
                    x
                } else {
                    xs[(i * 7 + round) % xs.len()]
                };
                let (mut ours, mut plain) = (b"[".to_vec(), b"[".to_vec());
                written.number(&mut ours, x);
                number(&mut plain, x);
                assert_eq!(ours, plain, "{x:?}");
            }
        }
    }

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
                let mut answer = Answer::new(&serving, as_of, true, 0);
                // Each lead as `each` sees it, with its factors (the scores returned carry none).
                let mut scores = Vec::new();
                serving
                    .score_each(&body.leads, as_of, factors, |_, s, inputs| {
                        answer.lead(s, inputs);
                        scores.push(s.clone());
                    })
                    .expect("scored");
                let ours = answer.finish();
                let cutoff = &serving.cutoff;
                let expected: Vec<LeadJson> = scores
                    .iter()
                    .zip(&body.leads)
                    .map(|(s, lead)| lead_json(&serving, s, lead, as_of))
                    .collect();
                let theirs = serde_json::to_vec(&BatchScore {
                    model_id,
                    cutoff,
                    leads: &expected,
                })
                .expect("serde");
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
                for (k, lead) in scores.iter().enumerate() {
                    let mut answer = Answer::new(&serving, as_of, false, 0);
                    let mut inputs = LeadInputs::default();
                    serving.lead_inputs(&body.leads[k], &mut inputs);
                    answer.lead(lead, &inputs);
                    let ours = answer.finish();
                    let theirs = serde_json::to_vec(&SingleScore {
                        model_id,
                        cutoff,
                        lead: &expected[k],
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
