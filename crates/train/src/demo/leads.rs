//! The leads: one profile per lead (job title, email, company and its size and industry,
//! country, lead source, pricing visits, webinar) drawn in `created_at` order from the
//! vocabularies, and the flat file's label drawn from the ground truth.

use super::csv::format_timestamp;
use super::draw::{pick, pick_weighted, poisson};
use super::truth::{
    country_effect, industry_effect, source_effect, GROUND_TRUTH_INTERCEPT, GROUND_TRUTH_NOISE_SD,
    PRICING_PER_LOG1P, SIZE_ENTERPRISE, SIZE_ENTERPRISE_THRESHOLD, SIZE_PER_LOG1P,
    WEBINAR_ATTENDED,
};
use super::vocab::{
    business_domains, industry_hint, DomainClass, Seniority, COMPETITOR_DOMAIN, COUNTRIES,
    EDU_DOMAINS, FIRST_NAMES, FREE_WEBMAIL, INDUSTRIES, LAST_NAMES, LEAD_SOURCES, SENIORITY_MIX,
    SIZE_BUCKETS, SIZE_MIX_BUSINESS, SIZE_MIX_EDU, SIZE_MIX_WEBMAIL,
};
use super::{start_day, DemoConfig, DemoLead};
use leadscore_core::civil;
use leadscore_core::rng::SeededRng;

/// The company behind a business domain: fixed per domain, so its leads agree.
struct Company {
    domain: String,
    country_hint: Option<&'static str>,
    size: u32,
    industry: &'static str,
}

fn draw_size(rng: &mut SeededRng, mix: &[f64]) -> u32 {
    let (lo, hi) = SIZE_BUCKETS
        .get(rng.weighted_index(mix))
        .copied()
        .unwrap_or((1, 10));
    let (llo, lhi) = (f64::from(lo).ln(), f64::from(hi + 1).ln());
    let size = (llo + rng.uniform() * (lhi - llo)).exp().floor();
    (size as u32).clamp(lo, hi)
}

/// Lowercase ASCII letters of a name for an email local part (`O'Brien` -> `obrien`,
/// `Müller` -> `muller`, `Van der Berg` -> `vanderberg`).
fn email_part(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        };
        if folded.is_ascii_lowercase() {
            out.push(folded);
        }
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

fn initial(s: &str) -> String {
    s.chars().next().map(String::from).unwrap_or_default()
}

fn make_email(
    rng: &mut SeededRng,
    first: &str,
    last: &str,
    class: DomainClass,
    domain: &str,
) -> String {
    let (f, l) = (email_part(first), email_part(last));
    let fi = initial(&f);
    let local = match class {
        DomainClass::Business | DomainClass::Competitor => {
            match rng.weighted_index(&[0.50, 0.20, 0.08, 0.07, 0.05, 0.05, 0.05]) {
                0 => format!("{f}.{l}"),
                1 => format!("{fi}{l}"),
                2 => f.clone(),
                3 => format!("{f}_{l}"),
                4 => format!("{f}{}", initial(&l)),
                5 => format!("{l}.{f}"),
                _ => format!("{f}.{l}{}", 2 + rng.below(8)),
            }
        }
        DomainClass::FreeWebmail => match rng.weighted_index(&[0.25, 0.30, 0.20, 0.10, 0.15]) {
            0 => format!("{f}.{l}"),
            1 => format!("{f}{l}{}", 1 + rng.below(99)),
            2 => format!("{fi}{l}{}", 1 + rng.below(99)),
            3 => format!("{f}_{l}"),
            _ => format!("{f}{}", 1965 + rng.below(40)),
        },
        DomainClass::Edu => match rng.weighted_index(&[0.4, 0.4, 0.2]) {
            0 => format!("{f}.{l}"),
            1 => format!("{fi}{l}{}", 1 + rng.below(99)),
            _ => format!("{}{}{}", fi, initial(&l), 1000 + rng.below(9000)),
        },
    };
    format!("{local}@{domain}")
}

/// Occasional case noise on a free-text title, as forms collect it.
fn vary_case(rng: &mut SeededRng, title: &str) -> String {
    let u = rng.uniform();
    if u < 0.06 {
        title.to_lowercase()
    } else if u < 0.09 {
        title.to_uppercase()
    } else {
        title.to_string()
    }
}

/// Relative lead volume by hour of day (business hours dominate).
const HOUR_WEIGHTS: &[f64] = &[
    0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.3, 1.7, 1.9, 1.8, 1.5, 1.7, 1.8, 1.7, 1.5, 1.2, 0.9,
    0.7, 0.6, 0.5, 0.4, 0.3,
];

/// Seconds since the epoch of the creation times, sorted.
fn draw_timestamps(rng: &mut SeededRng, config: &DemoConfig) -> Vec<i64> {
    let start_day = start_day(config);
    let days = u64::from(config.days.max(1));
    let mut out = Vec::with_capacity(config.leads);
    for _ in 0..config.leads {
        // Rejection sampling: weekends get ~35% of a weekday's volume, and volume grows ~30%
        // over the span (the marketing team is getting better at its job).
        let mut day = 0i64;
        for _ in 0..64 {
            let offset = (rng.uniform() * days as f64).floor().min((days - 1) as f64);
            day = start_day + offset as i64;
            let weekend = if civil::weekday_from_monday(day) >= 5 {
                0.35
            } else {
                1.0
            };
            let trend = 1.0 + 0.3 * offset / days as f64;
            if rng.uniform() * 1.3 < weekend * trend {
                break;
            }
        }
        let hour = rng.weighted_index(HOUR_WEIGHTS) as i64;
        let second_of_hour = rng.below(3600) as i64;
        out.push(day * 86_400 + hour * 3600 + second_of_hour);
    }
    out.sort_unstable();
    out
}

/// One generated lead with the latent attributes behind it.
pub(super) struct LeadDraw {
    pub(super) lead: DemoLead,
    /// `created_at` in seconds since the epoch.
    pub(super) created: i64,
    /// The observable part of the flat ground-truth log-odds (everything except the noise).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) observable: f64,
    /// The fit part of the log-odds: seniority, email domain class, company size, industry,
    /// lead source and country, without the intercept (shared by the flat file and the export).
    pub(super) fit: f64,
    pub(super) seniority: Seniority,
    pub(super) class: DomainClass,
}

/// The leads of a configuration, generated one at a time in `created_at` order (only the sorted
/// creation times, 8 bytes a lead, are held in memory).
pub(super) struct LeadStream {
    rng: SeededRng,
    timestamps: std::iter::Enumerate<std::vec::IntoIter<i64>>,
    companies: Vec<Company>,
    popularity: Vec<f64>,
    seniority_weights: Vec<f64>,
    source_weights_pro: Vec<f64>,
    source_weights_student: Vec<f64>,
}

impl LeadStream {
    pub(super) fn new(config: &DemoConfig) -> Self {
        let mut rng = SeededRng::new(config.seed);
        let timestamps = draw_timestamps(&mut rng, config);

        // Companies behind the business domains: fixed per domain, so leads from one company agree.
        let companies: Vec<Company> = business_domains()
            .into_iter()
            .map(|(domain, country_hint)| Company {
                size: draw_size(&mut rng, SIZE_MIX_BUSINESS),
                industry: match industry_hint(&domain) {
                    Some(hint) if rng.bernoulli(0.85) => hint,
                    _ => pick_weighted(&mut rng, INDUSTRIES),
                },
                domain,
                country_hint,
            })
            .collect();
        // Some companies produce many more leads than others (Zipf-like popularity).
        let popularity: Vec<f64> = {
            let mut ranks: Vec<usize> = (0..companies.len()).collect();
            rng.shuffle(&mut ranks);
            ranks
                .iter()
                .map(|r| 1.0 / ((r + 1) as f64).powf(0.8))
                .collect()
        };
        let seniority_weights: Vec<f64> = SENIORITY_MIX.iter().map(|(_, w)| *w).collect();
        let source_weights_pro: Vec<f64> = LEAD_SOURCES.iter().map(|s| s.1).collect();
        let source_weights_student: Vec<f64> = LEAD_SOURCES.iter().map(|s| s.2).collect();

        Self {
            rng,
            timestamps: timestamps.into_iter().enumerate(),
            companies,
            popularity,
            seniority_weights,
            source_weights_pro,
            source_weights_student,
        }
    }
}

impl Iterator for LeadStream {
    type Item = LeadDraw;

    fn next(&mut self) -> Option<LeadDraw> {
        let (i, ts) = self.timestamps.next()?;
        let rng = &mut self.rng;
        let seniority = SENIORITY_MIX
            .get(rng.weighted_index(&self.seniority_weights))
            .map(|(s, _)| *s)
            .unwrap_or(Seniority::Individual);
        let title = pick(rng, seniority.titles());
        let job_title = vary_case(rng, title);
        let student = seniority == Seniority::Student;

        let class = if student {
            if rng.bernoulli(0.7) {
                DomainClass::Edu
            } else {
                DomainClass::FreeWebmail
            }
        } else {
            match rng.weighted_index(&[0.755, 0.21, 0.01, 0.025]) {
                0 => DomainClass::Business,
                1 => DomainClass::FreeWebmail,
                2 => DomainClass::Edu,
                _ => DomainClass::Competitor,
            }
        };

        let (domain, country_hint, size, industry) = match class {
            DomainClass::Business => {
                let c = self.companies.get(rng.weighted_index(&self.popularity));
                match c {
                    Some(c) => (c.domain.clone(), c.country_hint, c.size, c.industry),
                    None => (
                        "acme.com".to_string(),
                        None,
                        draw_size(rng, SIZE_MIX_BUSINESS),
                        pick_weighted(rng, INDUSTRIES),
                    ),
                }
            }
            DomainClass::FreeWebmail => (
                pick_weighted(rng, FREE_WEBMAIL).to_string(),
                None,
                draw_size(rng, SIZE_MIX_WEBMAIL),
                pick_weighted(rng, INDUSTRIES),
            ),
            DomainClass::Edu => {
                let d = pick_weighted(rng, EDU_DOMAINS);
                let hint = d.ends_with(".ac.uk").then_some("United Kingdom");
                let industry = if rng.bernoulli(0.9) {
                    "Education"
                } else {
                    pick_weighted(rng, INDUSTRIES)
                };
                (d.to_string(), hint, draw_size(rng, SIZE_MIX_EDU), industry)
            }
            DomainClass::Competitor => (COMPETITOR_DOMAIN.to_string(), None, 850, "Software"),
        };

        let first = pick(rng, FIRST_NAMES);
        let last = pick(rng, LAST_NAMES);
        let email = make_email(rng, first, last, class, &domain);

        let country = match country_hint {
            Some(hint) if rng.bernoulli(0.8) => hint,
            _ => pick_weighted(rng, COUNTRIES),
        };

        let source_weights = if student {
            &self.source_weights_student
        } else {
            &self.source_weights_pro
        };
        let (lead_source, typical_visits) = LEAD_SOURCES
            .get(rng.weighted_index(source_weights))
            .map(|s| (s.0, s.3))
            .unwrap_or(("Organic Search", 1.0));
        let webinar_attended = rng.bernoulli(if lead_source == "Webinar" { 0.7 } else { 0.08 });
        // Over-dispersed counts: a lognormal-mixed Poisson.
        let rate = typical_visits * (0.7 * rng.normal() - 0.245).exp();
        let pricing_page_visits = poisson(rng, rate);

        // The fit part of the log-odds, for the three-table export. `observable` below keeps its
        // own summation order so that the flat file stays byte-identical.
        let fit = seniority.effect()
            + class.effect()
            + SIZE_PER_LOG1P * f64::from(size).ln_1p()
            + if size > SIZE_ENTERPRISE_THRESHOLD {
                SIZE_ENTERPRISE
            } else {
                0.0
            }
            + industry_effect(industry)
            + source_effect(lead_source)
            + country_effect(country);
        let observable = GROUND_TRUTH_INTERCEPT
            + seniority.effect()
            + class.effect()
            + SIZE_PER_LOG1P * f64::from(size).ln_1p()
            + if size > SIZE_ENTERPRISE_THRESHOLD {
                SIZE_ENTERPRISE
            } else {
                0.0
            }
            + industry_effect(industry)
            + source_effect(lead_source)
            + PRICING_PER_LOG1P * f64::from(pricing_page_visits).ln_1p()
            + if webinar_attended {
                WEBINAR_ATTENDED
            } else {
                0.0
            }
            + country_effect(country);
        let log_odds = observable + GROUND_TRUTH_NOISE_SD * rng.normal();
        let converted = rng.bernoulli(1.0 / (1.0 + (-log_odds).exp()));

        // The export loses some firmographics (completely at random).
        let company_size = (!rng.bernoulli(0.06)).then_some(size);
        let industry = (!rng.bernoulli(0.04)).then(|| industry.to_string());

        Some(LeadDraw {
            lead: DemoLead {
                lead_id: format!("L{:06}", i + 1),
                created_at: format_timestamp(ts),
                email,
                job_title,
                company_size,
                industry,
                country: country.to_string(),
                lead_source: lead_source.to_string(),
                pricing_page_visits,
                webinar_attended,
                converted,
            },
            created: ts,
            observable,
            fit,
            seniority,
            class,
        })
    }
}

/// Generates the leads together with the observable part of their ground-truth log-odds
/// (everything except the unobserved noise term).
#[cfg(test)]
pub(super) fn generate_with_truth(config: &DemoConfig) -> Vec<(DemoLead, f64)> {
    LeadStream::new(config)
        .map(|d| (d.lead, d.observable))
        .collect()
}

/// Generates `config.leads` synthetic leads, ordered by `created_at`, fully determined by the
/// config (see the module docs and [`GROUND_TRUTH`](super::GROUND_TRUTH) for how `converted` is drawn).
pub fn generate(config: &DemoConfig) -> Vec<DemoLead> {
    LeadStream::new(config).map(|d| d.lead).collect()
}
