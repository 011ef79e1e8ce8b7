//! Random draws the generators share, all on the seeded stream ([`SeededRng`]) so that the
//! output is a function of the configuration alone.

use super::DAY;
use leadscore_core::rng::SeededRng;

/// One of `items`, drawn with the given weights.
pub(super) fn pick_weighted<'a>(rng: &mut SeededRng, items: &[(&'a str, f64)]) -> &'a str {
    let weights: Vec<f64> = items.iter().map(|(_, w)| *w).collect();
    items
        .get(rng.weighted_index(&weights))
        .map(|(s, _)| *s)
        .unwrap_or("")
}

/// One of `items`, uniformly.
pub(super) fn pick<'a>(rng: &mut SeededRng, items: &[&'a str]) -> &'a str {
    items.get(rng.below(items.len())).copied().unwrap_or("")
}

/// Poisson draw (Knuth); `lambda` is capped so the loop stays short.
pub(super) fn poisson(rng: &mut SeededRng, lambda: f64) -> u32 {
    let limit = (-lambda.clamp(0.0, 30.0)).exp();
    let mut p = 1.0;
    let mut k = 0u32;
    while k < 200 {
        p *= rng.uniform();
        if p <= limit {
            break;
        }
        k += 1;
    }
    k
}

/// A Poisson count that also handles large means (normal approximation above 30).
pub(super) fn event_count(rng: &mut SeededRng, lambda: f64) -> usize {
    if lambda < 30.0 {
        poisson(rng, lambda) as usize
    } else {
        (lambda + lambda.sqrt() * rng.normal()).round().max(0.0) as usize
    }
}

/// A draw from an exponential distribution with `mean`, truncated to `[0, max)`.
pub(super) fn truncated_exponential(rng: &mut SeededRng, mean: f64, max: f64) -> f64 {
    let tail = (-max / mean).exp();
    (-mean * (1.0 - rng.uniform() * (1.0 - tail)).ln()).min(max * (1.0 - 1e-9))
}

/// Seconds from a number of days (truncated).
pub(super) fn seconds(days: f64) -> i64 {
    (days * DAY as f64) as i64
}

/// A uniform time in `[lo, hi]` (`lo` when the range is empty).
pub(super) fn uniform_time(rng: &mut SeededRng, lo: i64, hi: i64) -> i64 {
    lo + rng.below(usize::try_from(hi - lo + 1).unwrap_or(1)) as i64
}
