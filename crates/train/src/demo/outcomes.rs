//! The three-table export's outcomes: whether and when a lead converts (before `as_of`, within
//! the horizon after it, or later), drawn from its ground-truth log-odds at `as_of`.

use super::draw::{seconds, truncated_exponential, uniform_time};
use super::truth::{GROUND_TRUTH_NOISE_SD, HORIZON_DAYS};
use super::DAY;
use leadscore_core::rng::SeededRng;

/// Probability scale of having converted before `as_of` (times the lead's conversion
/// probability): ~5% of the converted leads.
const EARLY_SHARE: f64 = 0.065;
/// Probability scale of converting after the horizon, for a lead that did not convert within it.
const LATE_SHARE: f64 = 0.18;

/// A lead's conversion as drawn.
pub(super) struct Conversion {
    /// Converted before `as_of` (the lead is no longer a prospect when it is scored).
    pub(super) early: bool,
    /// Converted within the horizon after `as_of`: the label.
    pub(super) within: bool,
    /// Converted after the horizon.
    pub(super) late: bool,
    /// When it converted, if it did (possibly after the end of the data).
    pub(super) at: Option<i64>,
}

/// Draws the conversion of a lead created at `created` and scored at `as_of` whose observable
/// log-odds are `observable`: the probability of converting within the horizon is the sigmoid
/// of `observable` plus unobserved noise (standard deviation [`GROUND_TRUTH_NOISE_SD`]); a few
/// converted before `as_of` or convert after the horizon.
pub(super) fn draw_conversion(
    rng: &mut SeededRng,
    observable: f64,
    created: i64,
    as_of: i64,
) -> Conversion {
    let p = 1.0 / (1.0 + (-(observable + GROUND_TRUTH_NOISE_SD * rng.normal())).exp());
    let early = rng.bernoulli(EARLY_SHARE * p);
    let within = !early && rng.bernoulli(p);
    let late = !early && !within && rng.bernoulli(LATE_SHARE * p);
    let horizon = HORIZON_DAYS * DAY;
    let at = if early {
        Some(uniform_time(rng, created + 3600, as_of - 3600))
    } else if within {
        let delay = truncated_exponential(rng, 25.0, HORIZON_DAYS as f64);
        Some(as_of + (3600 + seconds(delay)).min(horizon - 3600))
    } else if late {
        Some(as_of + horizon + 3600 + seconds(-40.0 * (1.0 - rng.uniform()).ln()))
    } else {
        None
    };
    Conversion {
        early,
        within,
        late,
        at,
    }
}
