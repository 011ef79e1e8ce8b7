//! The operating curve from 200,000 scored leads, and the MQL cutoff search on the committed
//! demo model's curve and on that 200k curve.
//!
//! `cargo bench -p leadscore-core --bench curve -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, Criterion};
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::curve::{cutoff_for_precision, OperatingCurve};
use leadscore_core::rng::SeededRng;
use std::hint::black_box;
use std::path::Path;

const N: usize = 200_000;
const MAX_POINTS: usize = 2_000;
const CONFIDENCE: f64 = 0.95;

fn bench(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json");
    let artifact = ModelArtifact::load(&path).expect("load models/demo.json");

    // Calibrated synthetic scores: a lead scoring s converts with probability s, so precision
    // at threshold t is about (1 + t) / 2 and a 0.7 target is attainable.
    let mut rng = SeededRng::new(42);
    let scores: Vec<f64> = (0..N).map(|_| rng.uniform()).collect();
    let labels: Vec<bool> = scores.iter().map(|&s| rng.bernoulli(s)).collect();
    let big = OperatingCurve::from_scores(&scores, &labels, MAX_POINTS).expect("curve");

    let mut g = c.benchmark_group("curve");
    g.sample_size(20);
    g.bench_function("from_scores_200k", |b| {
        b.iter(|| {
            OperatingCurve::from_scores(black_box(&scores), black_box(&labels), MAX_POINTS)
                .expect("curve")
        });
    });
    g.finish();

    let mut g = c.benchmark_group("cutoff");
    g.bench_function(
        format!("demo_model_{}_points", artifact.curve.points.len()),
        |b| b.iter(|| cutoff_for_precision(black_box(&artifact.curve), 0.5, CONFIDENCE)),
    );
    g.bench_function(format!("200k_{}_points", big.points.len()), |b| {
        b.iter(|| cutoff_for_precision(black_box(&big), 0.7, CONFIDENCE))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
