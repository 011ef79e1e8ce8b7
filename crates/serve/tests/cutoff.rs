//! `--target-precision` gives the cutoff of the fixed-sequence rule on the model's curve,
//! checked against a brute-force scan written here independently of core.

mod common;

use common::*;
use leadscore_serve::{App, Config};

/// One-sided Wilson lower bound, straight from the textbook formula.
fn wilson(tp: f64, n: f64, z: f64) -> f64 {
    let p = tp / n;
    let z2 = z * z;
    (p + z2 / (2.0 * n) - z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt()) / (1.0 + z2 / n)
}

/// Fixed-sequence testing: strictest threshold first, skip thresholds selecting fewer than 30
/// leads, stop at the first whose bound is below the target; the answer is the last that passed.
fn brute_force(curve: &leadscore_core::curve::OperatingCurve, target: f64, z: f64) -> Option<f64> {
    let mut answer = None;
    for p in &curve.points {
        let n = (p.tp + p.fp) as f64;
        if n < 30.0 {
            continue;
        }
        if wilson(p.tp as f64, n, z) < target {
            break;
        }
        answer = Some(p.threshold);
    }
    answer
}

#[test]
fn target_precision_matches_a_brute_force_scan() {
    let artifact = leadscore_core::artifact::ModelArtifact::load(demo_model()).unwrap();
    let (mut found, mut refused) = (0, 0);
    // z for one-sided 95% and 90%.
    for (confidence, z) in [
        (0.95, 1.644_853_626_951_472_2),
        (0.9, 1.281_551_565_544_600_4),
    ] {
        for k in 1..100 {
            let target = f64::from(k) / 100.0;
            let mut config = Config::new(demo_model(), target);
            config.confidence = confidence;
            match (App::new(config), brute_force(&artifact.curve, target, z)) {
                (Ok(app), Some(t)) => {
                    assert_eq!(
                        app.current().cutoff.threshold,
                        t,
                        "target {target} at {confidence}"
                    );
                    found += 1;
                }
                (Err(e), None) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("not attainable") && msg.contains("best this model supports"),
                        "{msg}"
                    );
                    assert!(msg.contains("recall"), "{msg}");
                    refused += 1;
                }
                (Ok(app), None) => panic!(
                    "target {target}: served cutoff {} but brute force finds none",
                    app.current().cutoff.threshold
                ),
                (Err(e), Some(t)) => {
                    panic!("target {target}: refused ({e}) but brute force finds {t}")
                }
            }
        }
    }
    assert!(
        found > 20 && refused > 20,
        "{found} found, {refused} refused"
    );
}
