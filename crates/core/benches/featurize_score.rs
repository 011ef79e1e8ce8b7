//! Featurize + score one parsed lead of the demo data with the committed demo model, with no
//! events, with 50 events, and with each lead's own events a week after its creation; and the
//! key factors of a featurized lead.
//!
//! `cargo bench -p leadscore-core --bench featurize_score -- --warm-up-time 1 --measurement-time 3`
//! (`LEADSCORE_BENCH_MODEL=PATH` for another model of the demo tables than the committed one)

use criterion::{criterion_group, criterion_main, Criterion};
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::fitted::LeadEvent;
use leadscore_core::model::{sigmoid, Scorer};
use leadscore_core::value::{parse_timestamp, FieldValue, LeadFields};
use std::collections::HashMap;
use std::hint::black_box;

const DAY: i64 = 86_400;

mod common;

use common::{read_csv, repo_file};

fn bench(c: &mut Criterion) {
    // LEADSCORE_BENCH_MODEL: another model trained on the demo tables (a newer format).
    let model_path = std::env::var_os("LEADSCORE_BENCH_MODEL")
        .map_or_else(|| repo_file("models/demo.json"), std::path::PathBuf::from);
    let artifact = ModelArtifact::load(&model_path)
        .unwrap_or_else(|e| panic!("load {}: {e}", model_path.display()));
    let leads = read_csv(&repo_file("data/demo/leads.csv"));
    let events = read_csv(&repo_file("data/demo/events.csv"));
    let spec = &artifact.spec;
    let model = &artifact.model;

    // The lead with the most events; its events, repeated in order, make the 50.
    let mut per_lead: HashMap<&str, Vec<(String, i64)>> = HashMap::new();
    for e in &events {
        let at = parse_timestamp(&e["occurred_at"]).expect("an event time");
        per_lead
            .entry(e["lead_id"].as_str())
            .or_default()
            .push((e["event_type"].clone(), at));
    }
    let (lead_id, own) = per_lead
        .iter()
        .max_by_key(|(id, v)| (v.len(), std::cmp::Reverse(**id)))
        .expect("events");
    let lead = leads
        .iter()
        .find(|l| l["lead_id"] == *lead_id)
        .expect("the lead of the events");
    let created = parse_timestamp(&lead["created_at"]).expect("created_at");
    let as_of = created + 7 * DAY;
    let fifty: Vec<LeadEvent<'_>> = own
        .iter()
        .cycle()
        .take(50)
        .map(|(t, at)| LeadEvent {
            event_type: t,
            occurred_at: *at,
        })
        .collect();
    eprintln!(
        "featurize_score: lead {lead_id} ({} own events, {} before as_of), {} features",
        own.len(),
        own.iter().filter(|(_, at)| *at <= as_of).count(),
        spec.width()
    );

    // The serving path: the lead parsed into values in the spec's column order (the server's
    // JSON visitor does this), featurized, and scored with the standardization folded in.
    let values: Vec<FieldValue<'_>> = spec.columns.iter().map(|c| lead.field(&c.name)).collect();
    // Every demo lead's values, scored one after the other: the email class, seniority and
    // timestamps keep a one-entry memo per thread (`leadscore_core::value`), so scoring one lead
    // over and over would measure only memo hits; a server sees a new lead each time.
    // Each scored a week after its creation.
    let all: Vec<(Vec<FieldValue<'_>>, i64)> = leads
        .iter()
        .map(|l| {
            let created = parse_timestamp(&l["created_at"]).expect("created_at");
            let values = spec.columns.iter().map(|c| l.field(&c.name)).collect();
            (values, created + 7 * DAY)
        })
        .collect();
    // Each lead's own events up to a week after its creation, for `own_events`: what a server
    // scoring the demo leads then is sent (10 events on average, 5 at the median).
    let own_events: Vec<Vec<LeadEvent<'_>>> = leads
        .iter()
        .zip(&all)
        .map(|(l, (_, at))| {
            per_lead
                .get(l["lead_id"].as_str())
                .map_or_else(Vec::new, |v| {
                    v.iter()
                        .filter(|(_, t)| t <= at)
                        .map(|(t, at)| LeadEvent {
                            event_type: t,
                            occurred_at: *at,
                        })
                        .collect()
                })
        })
        .collect();
    eprintln!(
        "featurize_score: {:.1} events a lead known a week after its creation",
        own_events.iter().map(Vec::len).sum::<usize>() as f64 / own_events.len() as f64
    );
    let with_own: Vec<(Vec<FieldValue<'_>>, i64, &[LeadEvent<'_>])> = all
        .iter()
        .zip(&own_events)
        .map(|((values, at), events)| (values.clone(), *at, events.as_slice()))
        .collect();
    let mut next_own = 0;
    let mut cycle_own = move || {
        next_own = (next_own + 1) % with_own.len();
        with_own[next_own].clone()
    };
    let mut next = 0;
    let mut cycle = move || {
        next = (next + 1) % all.len();
        all[next].clone()
    };
    let scorer = Scorer::new(model);
    let mut x = vec![0.0; spec.width()];
    let mut g = c.benchmark_group("featurize_score");
    g.bench_function("no_events", |b| {
        b.iter_batched_ref(
            &mut cycle,
            |(values, at)| {
                spec.featurize_values_into(black_box(values), &[], Some(*at), &mut x)
                    .expect("featurize");
                black_box(sigmoid(scorer.log_odds(&x)))
            },
            criterion::BatchSize::SmallInput,
        );
    });
    g.bench_function("with_50_events", |b| {
        b.iter_batched_ref(
            &mut cycle,
            |(values, at)| {
                // One lead's 50 events with every lead: those after its moment are left out by
                // the featurizer, as they would be.
                spec.featurize_values_into(black_box(values), black_box(&fifty), Some(*at), &mut x)
                    .expect("featurize");
                black_box(sigmoid(scorer.log_odds(&x)))
            },
            criterion::BatchSize::SmallInput,
        );
    });
    g.bench_function("own_events", |b| {
        b.iter_batched_ref(
            &mut cycle_own,
            |(values, at, events)| {
                spec.featurize_values_into(black_box(values), black_box(events), Some(*at), &mut x)
                    .expect("featurize");
                black_box(sigmoid(scorer.log_odds(&x)))
            },
            criterion::BatchSize::SmallInput,
        );
    });
    // The same lead every time (memo hits after the first): what the bench measured before.
    g.bench_function("same_lead_no_events", |b| {
        b.iter(|| {
            spec.featurize_values_into(black_box(&values), &[], Some(as_of), &mut x)
                .expect("featurize");
            black_box(sigmoid(scorer.log_odds(&x)))
        });
    });
    // The keyed path (field looked up by name in a HashMap<String, String>), as the training
    // parity test and library callers use it.
    g.bench_function("keyed_no_events", |b| {
        b.iter(|| {
            spec.featurize_with_events_into(black_box(lead), &[], Some(as_of), &mut x)
                .expect("featurize");
            black_box(sigmoid(scorer.log_odds(&x)))
        });
    });
    spec.featurize_values_into(&values, &fifty, Some(as_of), &mut x)
        .expect("featurize");
    let (mut positive, mut negative) = (Vec::new(), Vec::new());
    g.bench_function("factors_top3", |b| {
        b.iter(|| {
            scorer.factors_into(black_box(&x), 3, &mut positive, &mut negative);
            black_box(positive.len() + negative.len())
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
