//! The three-table export's engagement events: a lead's history as a returning contact, the
//! burst after creation, unsubscribes, and the activity after `as_of` (heavier for converters),
//! each lead on its own random stream.

use super::draw::{event_count, seconds, truncated_exponential, uniform_time};
use super::leads::LeadDraw;
use super::outcomes::{draw_conversion, Conversion};
use super::truth::{export_log_odds, OBSERVATION_DAYS};
use super::vocab::{DomainClass, Seniority};
use super::DAY;
use leadscore_core::rng::SeededRng;

/// The event types of the three-table export.
pub const EVENT_TYPES: &[&str] = &EVENT_TYPE_NAMES;

/// The event type names, indexed by the constants below.
pub(super) const EVENT_TYPE_NAMES: [&str; N_TYPES] = [
    "page_view",
    "pricing_page_visit",
    "content_download",
    "webinar_attended",
    "email_open",
    "email_click",
    "demo_request",
    "trial_signup",
    "unsubscribe",
];

pub(super) const N_TYPES: usize = 9;
// Indices into EVENT_TYPE_NAMES.
const PAGE_VIEW: usize = 0;
pub(super) const PRICING_PAGE_VISIT: usize = 1;
const CONTENT_DOWNLOAD: usize = 2;
pub(super) const WEBINAR_EVENT: usize = 3;
const EMAIL_OPEN: usize = 4;
const EMAIL_CLICK: usize = 5;
const DEMO_REQUEST: usize = 6;
const TRIAL_SIGNUP: usize = 7;
const UNSUBSCRIBE: usize = 8;

/// Relative frequency of each event type in a lead's ordinary activity, in [`EVENT_TYPES`] order
/// (the high-intent types are scaled by the lead's intent; unsubscribes are drawn separately).
const EVENT_MIX: [f64; N_TYPES] = [0.47, 0.04, 0.05, 0.015, 0.27, 0.07, 0.003, 0.0025, 0.0];
/// Log-scale standard deviation of a lead's activity level (mean 1): heavy-tailed event counts.
const ACTIVITY_SD: f64 = 1.2;
/// Cap of the activity level (a few hundred events at most for the busiest leads).
const MAX_ACTIVITY: f64 = 15.0;
/// Expected events per unit of activity: in the observation window, after `as_of` (before
/// the converter boost), and per 90 days of a returning contact's history.
const WINDOW_EVENTS: f64 = 7.5;
const POST_EVENTS: f64 = 17.0;
const HISTORY_EVENTS_PER_90_DAYS: f64 = 8.0;
/// Share of leads that are returning contacts, with events up to 180 days before `created_at`.
const RETURNING_SHARE: f64 = 0.2;
/// Share of returning contacts whose history holds a demo request (a stalled evaluation).
const STALLED_DEMO_SHARE: f64 = 0.3;
/// Typical fit log-odds; a lead's intent rises with its fit above this.
const FIT_CENTER: f64 = 2.0;
/// A converter's activity after `as_of`, relative to a non-converter's (the leakage a pipeline
/// that keeps post-`as_of` events would exploit).
const CONVERTER_POST_ACTIVITY: f64 = 2.2;

/// A lead's events and outcome.
pub(super) struct Engagement {
    /// When the lead is scored: `created_at` + [`OBSERVATION_DAYS`].
    pub(super) as_of: i64,
    /// `(index into EVENT_TYPES, occurred_at)`, chronological, all before the end of the data.
    pub(super) events: Vec<(usize, i64)>,
    /// When the lead converted, if it did before the end of the data.
    pub(super) converted_at: Option<i64>,
    /// The observable ground-truth log-odds at `as_of` (without the noise).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) observable: f64,
}

/// The seed of lead `index`'s own random stream (independent of the lead stream, so that the
/// flat file is unchanged, and of the other leads, so that a lead can be generated alone).
fn lead_seed(seed: u64, index: usize) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    mix(seed ^ mix((index as u64) ^ 0x5EED_E7E7_0000_0000))
}

/// Event-type weights of a lead with the given intent.
fn event_weights(intent: f64) -> [f64; N_TYPES] {
    let mut w = EVENT_MIX;
    for k in [PRICING_PAGE_VISIT, DEMO_REQUEST, TRIAL_SIGNUP] {
        w[k] *= intent;
    }
    w[WEBINAR_EVENT] *= intent.sqrt();
    w
}

/// Draws lead `index`'s events and outcome: events before `as_of` (a returning contact's history
/// and the burst after creation), the ground-truth log-odds at `as_of`, the conversion, then the
/// events after `as_of` (more of them for converters).
pub(super) fn engage(seed: u64, index: usize, draw: &LeadDraw, end: i64) -> Engagement {
    let mut rng = SeededRng::new(lead_seed(seed, index));
    let rng = &mut rng;
    let t0 = draw.created;
    let as_of = t0 + OBSERVATION_DAYS * DAY;
    let activity = (ACTIVITY_SD * rng.normal() - ACTIVITY_SD * ACTIVITY_SD / 2.0)
        .exp()
        .min(MAX_ACTIVITY);
    let intent = (0.35 * (draw.fit - FIT_CENTER) + 0.6 * rng.normal())
        .exp()
        .clamp(0.05, 20.0);
    let weights = event_weights(intent);
    let mut events: Vec<(usize, i64)> = Vec::with_capacity(32);

    // The event that created the lead (a form fill, a webinar registration, a visit).
    let first = match draw.lead.lead_source.as_str() {
        "Demo Request Form" => DEMO_REQUEST,
        "Webinar" if rng.bernoulli(0.7) => WEBINAR_EVENT,
        "Content Download" => CONTENT_DOWNLOAD,
        _ => PAGE_VIEW,
    };
    events.push((first, t0));

    // A returning contact's history, up to 180 days before creation.
    if rng.bernoulli(RETURNING_SHARE) {
        let span_days = 10.0 + 170.0 * rng.uniform();
        let history = event_weights(intent * 0.7);
        let n = event_count(
            rng,
            activity * HISTORY_EVENTS_PER_90_DAYS * span_days / 90.0,
        )
        .max(1);
        let from = t0 - seconds(span_days);
        for _ in 0..n {
            let k = rng.weighted_index(&history);
            events.push((k, uniform_time(rng, from, t0 - 60)));
        }
        if rng.bernoulli(STALLED_DEMO_SHARE) {
            events.push((DEMO_REQUEST, uniform_time(rng, from, t0 - 60)));
        }
    }

    // The burst after creation, front-loaded over the observation window.
    let n = event_count(rng, activity * WINDOW_EVENTS);
    for _ in 0..n {
        let offset = seconds(truncated_exponential(rng, 1.5, OBSERVATION_DAYS as f64));
        let k = rng.weighted_index(&weights);
        events.push((k, (t0 + 1 + offset).min(as_of - 1)));
    }

    // Unsubscribes: more likely from poor-fit contacts; no email engagement after one.
    let unsubscribe_propensity = match draw.class {
        DomainClass::Business => 1.0,
        DomainClass::FreeWebmail => 1.5,
        DomainClass::Edu | DomainClass::Competitor => 2.0,
    } * if draw.seniority == Seniority::Student {
        1.5
    } else {
        1.0
    };
    let mut unsubscribed_at = None;
    if rng.bernoulli(0.03 * unsubscribe_propensity) {
        let first_seen = events.iter().map(|e| e.1).min().unwrap_or(t0);
        let at = uniform_time(rng, first_seen, as_of - 1);
        events.push((UNSUBSCRIBE, at));
        unsubscribed_at = Some(at);
        events.retain(|&(k, t)| !(matches!(k, EMAIL_OPEN | EMAIL_CLICK) && t > at));
    }

    // The ground truth at as_of, and the conversion it drives.
    let observable = export_log_odds(draw.fit, &events, as_of);
    let Conversion {
        early,
        within,
        late,
        at: converted_at,
    } = draw_conversion(rng, observable, t0, as_of);

    // Activity after as_of: converters (and customers) are much more active.
    let boost = if within || early {
        CONVERTER_POST_ACTIVITY
    } else if late {
        1.5
    } else {
        1.0
    };
    let post = if within {
        event_weights(intent * 2.0)
    } else {
        weights
    };
    let n = event_count(rng, activity * POST_EVENTS * boost);
    for _ in 0..n {
        let offset = seconds(truncated_exponential(rng, 40.0, 180.0));
        let k = rng.weighted_index(&post);
        events.push((k, as_of + 1 + offset));
    }
    if let (true, Some(c)) = (within, converted_at) {
        // The late-stage evaluation right before the deal closes.
        for _ in 0..1 + rng.below(3) {
            let k = [PRICING_PAGE_VISIT, DEMO_REQUEST, TRIAL_SIGNUP]
                [rng.weighted_index(&[0.5, 0.3, 0.2])];
            events.push((k, uniform_time(rng, (c - 14 * DAY).max(as_of + 1), c)));
        }
    }
    if unsubscribed_at.is_none()
        && converted_at.is_none()
        && rng.bernoulli(0.05 * unsubscribe_propensity)
    {
        let at = uniform_time(rng, as_of + 1, as_of + 120 * DAY);
        events.push((UNSUBSCRIBE, at));
        unsubscribed_at = Some(at);
    }

    events.retain(|&(k, t)| {
        t < end
            && !(matches!(k, EMAIL_OPEN | EMAIL_CLICK) && unsubscribed_at.is_some_and(|u| t > u))
    });
    events.sort_unstable_by_key(|&(k, t)| (t, k));
    Engagement {
        as_of,
        events,
        converted_at: converted_at.filter(|&c| c < end),
        observable,
    }
}
