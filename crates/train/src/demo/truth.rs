//! The ground truth both exports are drawn from: the log-odds contributions of a lead's latent
//! attributes (the flat file), of its decayed engagement (the three-table export), and the
//! point-in-time frame of the export's label (`as_of`, the horizon). The generators read these
//! constants, and [`GROUND_TRUTH`] and [`ENGAGEMENT_TRUTH`] are assembled from them, so the
//! documented tables cannot drift from the simulation.

use super::events::N_TYPES;
use super::vocab::{DomainClass, Seniority};
use super::DAY;

const SEN_C_LEVEL: f64 = 2.0;
const SEN_VP: f64 = 1.7;
const SEN_DIRECTOR: f64 = 1.2;
const SEN_MANAGER: f64 = 0.6;
const SEN_STUDENT: f64 = -2.2;

const DOMAIN_FREE_WEBMAIL: f64 = -1.2;
const DOMAIN_EDU: f64 = -1.6;
const DOMAIN_COMPETITOR: f64 = -3.0;

pub(super) const SIZE_PER_LOG1P: f64 = 0.3;
pub(super) const SIZE_ENTERPRISE_THRESHOLD: u32 = 5000;
pub(super) const SIZE_ENTERPRISE: f64 = -0.8;

const IND_SOFTWARE: f64 = 0.5;
const IND_FINANCIAL: f64 = 0.4;
const IND_EDUCATION: f64 = -0.8;

const SRC_DEMO_REQUEST: f64 = 1.6;
const SRC_REFERRAL: f64 = 1.1;
const SRC_PAID_SOCIAL: f64 = -0.9;
const SRC_WEBINAR: f64 = 0.1;
const SRC_TRADE_SHOW: f64 = 0.1;
const SRC_CONTENT_DOWNLOAD: f64 = -0.1;

pub(super) const PRICING_PER_LOG1P: f64 = 0.9;
pub(super) const WEBINAR_ATTENDED: f64 = 0.4;
const COUNTRY_INDIA: f64 = -0.25;

/// Intercept of the ground-truth log-odds (baseline: individual contributor, business email
/// domain, `log1p(company_size) = 0`, other industry, Organic Search / Paid Search, no pricing
/// visits, no webinar, country other than India). Chosen so that ~25% of leads convert.
pub const GROUND_TRUTH_INTERCEPT: f64 = -3.9;

/// Standard deviation of the unobserved per-lead log-odds noise (not recoverable from the
/// export; it caps the achievable AUC and attenuates fitted coefficients somewhat).
pub const GROUND_TRUTH_NOISE_SD: f64 = 0.6;

/// The ground truth's log-odds contributions, strongest first (by absolute value), for docs and
/// for a test that checks a trained model recovers the strongest signals.
///
/// Categorical entries are relative to a baseline level: seniority relative to an individual
/// contributor, email domain relative to a business domain, industry relative to the other
/// industries, lead source relative to `Organic Search` (and `Paid Search`), country relative to
/// the other countries. Entries named `log1p(...)` are per unit of `ln(1 + x)`. The company-size
/// and industry effects apply to the true values, including rows whose export cell is empty.
/// Together, `log1p(company_size)` and the enterprise step make the size effect peak in the
/// upper mid-market (1,001-5,000 employees).
pub const GROUND_TRUTH: &[(&str, f64)] = &[
    (
        "email domain = competitor (rivalsoft.com)",
        DOMAIN_COMPETITOR,
    ),
    ("job_title seniority = student", SEN_STUDENT),
    ("job_title seniority = c-level", SEN_C_LEVEL),
    ("job_title seniority = vp", SEN_VP),
    ("email domain = .edu / academic", DOMAIN_EDU),
    ("lead_source = Demo Request Form", SRC_DEMO_REQUEST),
    ("email domain = free webmail", DOMAIN_FREE_WEBMAIL),
    ("job_title seniority = director", SEN_DIRECTOR),
    ("lead_source = Referral", SRC_REFERRAL),
    ("log1p(pricing_page_visits)", PRICING_PER_LOG1P),
    ("lead_source = Paid Social", SRC_PAID_SOCIAL),
    ("industry = Education", IND_EDUCATION),
    ("company_size > 5000 (enterprise)", SIZE_ENTERPRISE),
    ("job_title seniority = manager", SEN_MANAGER),
    ("industry = Software", IND_SOFTWARE),
    ("webinar_attended = yes", WEBINAR_ATTENDED),
    ("industry = Financial Services", IND_FINANCIAL),
    ("log1p(company_size)", SIZE_PER_LOG1P),
    ("country = India", COUNTRY_INDIA),
    ("lead_source = Webinar", SRC_WEBINAR),
    ("lead_source = Trade Show", SRC_TRADE_SHOW),
    ("lead_source = Content Download", SRC_CONTENT_DOWNLOAD),
];

impl Seniority {
    /// Log-odds relative to an individual contributor.
    pub(super) fn effect(self) -> f64 {
        match self {
            Seniority::CLevel => SEN_C_LEVEL,
            Seniority::Vp => SEN_VP,
            Seniority::Director => SEN_DIRECTOR,
            Seniority::Manager => SEN_MANAGER,
            Seniority::Individual => 0.0,
            Seniority::Student => SEN_STUDENT,
        }
    }
}

impl DomainClass {
    /// Log-odds relative to a business domain.
    pub(super) fn effect(self) -> f64 {
        match self {
            DomainClass::Business => 0.0,
            DomainClass::FreeWebmail => DOMAIN_FREE_WEBMAIL,
            DomainClass::Edu => DOMAIN_EDU,
            DomainClass::Competitor => DOMAIN_COMPETITOR,
        }
    }
}

/// Log-odds of an industry relative to the other industries.
pub(super) fn industry_effect(industry: &str) -> f64 {
    match industry {
        "Software" => IND_SOFTWARE,
        "Financial Services" => IND_FINANCIAL,
        "Education" => IND_EDUCATION,
        _ => 0.0,
    }
}

/// Log-odds of a country relative to the other countries.
pub(super) fn country_effect(country: &str) -> f64 {
    if country == "India" {
        COUNTRY_INDIA
    } else {
        0.0
    }
}

/// Log-odds of a lead source relative to `Organic Search` (and `Paid Search`).
pub(super) fn source_effect(source: &str) -> f64 {
    match source {
        "Demo Request Form" => SRC_DEMO_REQUEST,
        "Referral" => SRC_REFERRAL,
        "Paid Social" => SRC_PAID_SOCIAL,
        "Webinar" => SRC_WEBINAR,
        "Trade Show" => SRC_TRADE_SHOW,
        "Content Download" => SRC_CONTENT_DOWNLOAD,
        _ => 0.0,
    }
}

/// A lead is scored as of `created_at + OBSERVATION_DAYS` days (its `as_of`).
pub const OBSERVATION_DAYS: i64 = 7;
/// The label: converted within this many days after `as_of`.
pub const HORIZON_DAYS: i64 = 90;
/// Half-life of the engagement decay in [`ENGAGEMENT_TRUTH`]: an event this many days before
/// `as_of` counts half, one 120 days before counts 0.3%.
pub const ENGAGEMENT_HALF_LIFE_DAYS: f64 = 14.0;
/// Intercept of the three-table export's ground-truth log-odds (baseline as for
/// [`GROUND_TRUTH_INTERCEPT`], and no events). Chosen so that ~20% of the leads that had not
/// converted by `as_of` convert within the horizon.
pub const EXPORT_INTERCEPT: f64 = -4.5;

const ENG_DEMO_REQUEST: f64 = 2.4;
const ENG_UNSUBSCRIBE: f64 = -2.0;
const ENG_TRIAL_SIGNUP: f64 = 1.8;
const ENG_PRICING_PAGE_VISIT: f64 = 0.8;
const ENG_WEBINAR: f64 = 0.7;
const ENG_EMAIL_CLICK: f64 = 0.4;
const ENG_CONTENT_DOWNLOAD: f64 = 0.2;
const ENG_PAGE_VIEW: f64 = 0.15;
const ENG_EMAIL_OPEN: f64 = 0.1;

/// [`ENGAGEMENT_TRUTH`]'s weights in [`EVENT_TYPES`](super::EVENT_TYPES) order.
pub(super) const ENGAGEMENT_WEIGHTS: [f64; N_TYPES] = [
    ENG_PAGE_VIEW,
    ENG_PRICING_PAGE_VISIT,
    ENG_CONTENT_DOWNLOAD,
    ENG_WEBINAR,
    ENG_EMAIL_OPEN,
    ENG_EMAIL_CLICK,
    ENG_DEMO_REQUEST,
    ENG_TRIAL_SIGNUP,
    ENG_UNSUBSCRIBE,
];

/// The engagement part of the three-table export's ground truth, strongest first: per event
/// type, the log-odds per unit of `ln(1 + d)`, where `d` is the lead's decayed count of that
/// type at `as_of`: the sum over its events before `as_of` of
/// `0.5^(age_days / ENGAGEMENT_HALF_LIFE_DAYS)`.
///
/// The export's log-odds are [`EXPORT_INTERCEPT`] + the fit entries of [`GROUND_TRUTH`]
/// (seniority, email domain, company size, industry, lead source, country; not the flat file's
/// pricing visits and webinar, which are events here) + these entries + unobserved noise
/// (standard deviation [`GROUND_TRUTH_NOISE_SD`]). Among the leads that had not converted by
/// `as_of`, the probability of converting within [`HORIZON_DAYS`] is the sigmoid of that sum.
pub const ENGAGEMENT_TRUTH: &[(&str, f64)] = &[
    ("demo_request", ENG_DEMO_REQUEST),
    ("unsubscribe", ENG_UNSUBSCRIBE),
    ("trial_signup", ENG_TRIAL_SIGNUP),
    ("pricing_page_visit", ENG_PRICING_PAGE_VISIT),
    ("webinar_attended", ENG_WEBINAR),
    ("email_click", ENG_EMAIL_CLICK),
    ("content_download", ENG_CONTENT_DOWNLOAD),
    ("page_view", ENG_PAGE_VIEW),
    ("email_open", ENG_EMAIL_OPEN),
];

/// The three-table export's observable log-odds at `as_of` (without the noise):
/// [`EXPORT_INTERCEPT`] + the lead's fit part + the decayed engagement of `events` (index into
/// `EVENT_TYPES`, time) before `as_of`, weighted by [`ENGAGEMENT_TRUTH`].
pub(super) fn export_log_odds(fit: f64, events: &[(usize, i64)], as_of: i64) -> f64 {
    let mut decayed = [0.0f64; N_TYPES];
    let half_life = ENGAGEMENT_HALF_LIFE_DAYS * DAY as f64;
    for &(k, t) in events {
        decayed[k] += 0.5f64.powf((as_of - t) as f64 / half_life);
    }
    EXPORT_INTERCEPT
        + fit
        + ENGAGEMENT_WEIGHTS
            .iter()
            .zip(decayed)
            .map(|(w, d)| w * d.ln_1p())
            .sum::<f64>()
}
