//! Seeded synthetic B2B lead export (`leadscore-train demo-data`).
//!
//! The generator produces rows shaped like a CRM / marketing-automation lead export: an id, a
//! creation timestamp, a contact email, a free-text job title, firmographics (company size,
//! industry, country), the acquisition channel and two engagement signals. The `converted` label
//! is drawn as `Bernoulli(sigmoid(log_odds))`, where the log-odds are the sum of the documented
//! contributions in [`GROUND_TRUTH`], the intercept [`GROUND_TRUTH_INTERCEPT`], and an
//! unobserved per-lead noise term (standard deviation [`GROUND_TRUTH_NOISE_SD`]) that stands for
//! everything an export does not capture (budget, timing, champion, ...). Together with the
//! Bernoulli draw and the missing cells, it keeps the achievable ROC AUC on the exported columns
//! around 0.83 (0.82-0.84 across seeds on 20,000 leads; that is the AUC of the true observable
//! log-odds) instead of 1.0, and the conversion rate around 25%.
//!
//! The ground truth is defined on *latent* attributes: the seniority class a title was drawn
//! from, the class of the email domain, and the true company size and industry. The export hides
//! the size for ~6% of rows and the industry for ~4% (missing completely at random), and the
//! title is free text with varied wording and case, so a model has to recover seniority and
//! domain class from the strings.
//!
//! [`generate_export`] and [`write_export`] produce the same leads as a three-table CRM export
//! instead: leads (without the label and the two engagement columns), engagement events (~30 a
//! lead, [`EVENT_TYPES`]) and a closed-deals outcomes table (converted leads only, with a date).
//! Its ground truth is point-in-time: each lead is scored as of `created_at` +
//! [`OBSERVATION_DAYS`], its log-odds add decayed event counts ([`ENGAGEMENT_TRUTH`], half-life
//! [`ENGAGEMENT_HALF_LIFE_DAYS`]) to the fit entries of [`GROUND_TRUTH`], and the label is a
//! conversion within [`HORIZON_DAYS`] after that. Events after `as_of`, conversions before it or
//! after the horizon, and censored leads are all in the data, for a pipeline to handle. The flat
//! file of a configuration is unchanged by the export (its random streams are separate).
//!
//! Everything is determined by [`DemoConfig::seed`]; the same configuration always yields the
//! same rows on every platform.

use leadscore_core::civil;
use leadscore_core::rng::SeededRng;
use std::io::Write;

/// One generated lead, as a row of the export.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoLead {
    /// Export id, `L000001`, `L000002`, ... in order of `created_at`.
    pub lead_id: String,
    /// Creation time, `YYYY-MM-DD HH:MM:SS`.
    pub created_at: String,
    /// Contact email, e.g. `jane.doe@acme-corp.com` or `jdoe1987@gmail.com`.
    pub email: String,
    /// Free-text job title as typed into the form (varied wording and case).
    pub job_title: String,
    /// Company size in employees; `None` when the export has no value (~6% of rows).
    pub company_size: Option<u32>,
    /// Industry; `None` when the export has no value (~4% of rows).
    pub industry: Option<String>,
    /// Country name, e.g. `United States`.
    pub country: String,
    /// Acquisition channel, e.g. `Organic Search`, `Demo Request Form`.
    pub lead_source: String,
    /// Number of visits to the pricing page before the export.
    pub pricing_page_visits: u32,
    /// Whether the lead attended a webinar (exported as `yes` / `no`).
    pub webinar_attended: bool,
    /// The label: whether the lead converted (exported as `1` / `0`).
    pub converted: bool,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of leads (rows).
    pub leads: usize,
    /// Seed of the random stream; the output is a pure function of the whole config.
    pub seed: u64,
    /// First day of the `created_at` span as `(year, month, day)`.
    pub start_date: (i32, u32, u32),
    /// Length of the `created_at` span in days (0 is treated as 1).
    pub days: u32,
}

impl Default for DemoConfig {
    /// 5,000 leads over calendar year 2025 with seed 42.
    fn default() -> Self {
        Self {
            leads: 5000,
            seed: 42,
            start_date: (2025, 1, 1),
            days: 365,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ground truth (log-odds contributions). The generator reads these constants, and GROUND_TRUTH
// is assembled from them, so the documented table cannot drift from the simulation.
// ---------------------------------------------------------------------------------------------

const SEN_C_LEVEL: f64 = 2.0;
const SEN_VP: f64 = 1.7;
const SEN_DIRECTOR: f64 = 1.2;
const SEN_MANAGER: f64 = 0.6;
const SEN_STUDENT: f64 = -2.2;

const DOMAIN_FREE_WEBMAIL: f64 = -1.2;
const DOMAIN_EDU: f64 = -1.6;
const DOMAIN_COMPETITOR: f64 = -3.0;

const SIZE_PER_LOG1P: f64 = 0.3;
const SIZE_ENTERPRISE_THRESHOLD: u32 = 5000;
const SIZE_ENTERPRISE: f64 = -0.8;

const IND_SOFTWARE: f64 = 0.5;
const IND_FINANCIAL: f64 = 0.4;
const IND_EDUCATION: f64 = -0.8;

const SRC_DEMO_REQUEST: f64 = 1.6;
const SRC_REFERRAL: f64 = 1.1;
const SRC_PAID_SOCIAL: f64 = -0.9;
const SRC_WEBINAR: f64 = 0.1;
const SRC_TRADE_SHOW: f64 = 0.1;
const SRC_CONTENT_DOWNLOAD: f64 = -0.1;

const PRICING_PER_LOG1P: f64 = 0.9;
const WEBINAR_ATTENDED: f64 = 0.4;
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

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seniority {
    CLevel,
    Vp,
    Director,
    Manager,
    Individual,
    Student,
}

impl Seniority {
    fn effect(self) -> f64 {
        match self {
            Seniority::CLevel => SEN_C_LEVEL,
            Seniority::Vp => SEN_VP,
            Seniority::Director => SEN_DIRECTOR,
            Seniority::Manager => SEN_MANAGER,
            Seniority::Individual => 0.0,
            Seniority::Student => SEN_STUDENT,
        }
    }

    fn titles(self) -> &'static [&'static str] {
        match self {
            Seniority::CLevel => &[
                "CEO",
                "Chief Marketing Officer",
                "Founder & CEO",
                "CTO",
                "Chief Executive Officer",
                "Co-Founder",
                "Chief Revenue Officer",
                "CMO",
                "Chief Technology Officer",
                "Founder",
                "COO",
                "CFO",
                "President",
                "CEO, Co-Founder",
                "Chief Operating Officer",
                "Owner",
            ],
            Seniority::Vp => &[
                "VP of Sales",
                "VP Marketing",
                "Vice President, Engineering",
                "Head of Growth",
                "VP, Revenue Operations",
                "Vice President of Sales",
                "Head of Marketing",
                "SVP, Sales",
                "VP Product",
                "Head of Sales",
                "EVP Operations",
                "VP of Engineering",
                "Head of Demand Generation",
            ],
            Seniority::Director => &[
                "Director of Marketing",
                "Marketing Director",
                "Director, Demand Generation",
                "Sr. Director of Sales",
                "Director of Engineering",
                "IT Director",
                "Senior Director, Product Marketing",
                "Director of Operations",
                "Sales Director",
                "Associate Director",
            ],
            Seniority::Manager => &[
                "Marketing Manager",
                "Sr. Marketing Manager",
                "Sales Manager",
                "Product Manager",
                "Engineering Manager",
                "Manager, Sales Operations",
                "Demand Generation Manager",
                "Account Manager",
                "IT Manager",
                "Senior Product Manager",
                "Project Manager",
                "Marketing Operations Manager",
            ],
            Seniority::Individual => &[
                "Software Engineer",
                "Analyst",
                "Marketing Specialist",
                "Data Analyst",
                "Sales Development Representative",
                "Account Executive",
                "Marketing Coordinator",
                "Senior Software Engineer",
                "Business Analyst",
                "Consultant",
                "Data Scientist",
                "SDR",
                "Developer",
                "Designer",
                "Engineer, Platform",
                "Growth Marketer",
                "Content Writer",
                "Associate",
            ],
            Seniority::Student => &[
                "Student",
                "MBA Student",
                "Graduate Student",
                "student",
                "Marketing Student",
                "PhD Student",
                "Undergraduate Student",
                "Intern",
            ],
        }
    }
}

/// Seniority mix of the lead base.
const SENIORITY_MIX: &[(Seniority, f64)] = &[
    (Seniority::CLevel, 0.07),
    (Seniority::Vp, 0.07),
    (Seniority::Director, 0.12),
    (Seniority::Manager, 0.21),
    (Seniority::Individual, 0.45),
    (Seniority::Student, 0.08),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DomainClass {
    Business,
    FreeWebmail,
    Edu,
    Competitor,
}

impl DomainClass {
    fn effect(self) -> f64 {
        match self {
            DomainClass::Business => 0.0,
            DomainClass::FreeWebmail => DOMAIN_FREE_WEBMAIL,
            DomainClass::Edu => DOMAIN_EDU,
            DomainClass::Competitor => DOMAIN_COMPETITOR,
        }
    }
}

const COMPETITOR_DOMAIN: &str = "rivalsoft.com";

const FREE_WEBMAIL: &[(&str, f64)] = &[
    ("gmail.com", 0.60),
    ("yahoo.com", 0.15),
    ("outlook.com", 0.15),
    ("hotmail.com", 0.10),
];

const EDU_DOMAINS: &[(&str, f64)] = &[
    ("stanford.edu", 1.0),
    ("mit.edu", 0.8),
    ("berkeley.edu", 1.0),
    ("umich.edu", 1.0),
    ("nyu.edu", 1.0),
    ("asu.edu", 1.2),
    ("state-university.edu", 1.5),
    ("alumni.example-college.edu", 0.6),
    ("student.uni-example.ac.uk", 1.2),
    ("ed.ac.uk", 0.6),
];

/// Stems of the synthetic company domains; combined with `DOMAIN_FORMS` into 200 domains.
const DOMAIN_STEMS: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "northwind",
    "contoso",
    "fabrikam",
    "bluepeak",
    "brightline",
    "cobalt",
    "evergreen",
    "ironclad",
    "lumen",
    "meridian",
    "nimbus",
    "oakridge",
    "pinnacle",
    "quantive",
    "redwood",
    "silverline",
    "summit",
    "tidewater",
    "vantage",
    "zenith",
    "harbor",
    "keystone",
    "maple",
    "orbital",
    "polaris",
    "quartz",
    "sterling",
    "trident",
    "vertex",
    "willow",
    "apex",
    "beacon",
    "cascade",
    "driftwood",
    "ember",
    "falcon",
];

/// Domain patterns as `(prefix, suffix, country the TLD hints at)`; the stem goes in between.
const DOMAIN_FORMS: &[(&str, &str, Option<&str>)] = &[
    ("", ".com", None),
    ("", "-corp.com", None),
    ("", "labs.io", None),
    ("", "group.co.uk", Some("United Kingdom")),
    ("get", ".com", None),
    ("", ".de", Some("Germany")),
    ("", "systems.com", None),
    ("", ".io", None),
    ("", "-analytics.com", None),
    ("", ".fr", Some("France")),
    ("", "health.com", None),
    ("", ".com.br", Some("Brazil")),
    ("", "tech.in", Some("India")),
    ("", ".ca", Some("Canada")),
    ("", ".com.au", Some("Australia")),
    ("", "-logistics.com", None),
    ("", "finance.com", None),
    ("", "hq.com", None),
];

const INDUSTRIES: &[(&str, f64)] = &[
    ("Software", 0.20),
    ("Financial Services", 0.11),
    ("Healthcare", 0.10),
    ("Manufacturing", 0.11),
    ("Retail & E-commerce", 0.09),
    ("Professional Services", 0.12),
    ("Education", 0.06),
    ("Media & Entertainment", 0.06),
    ("Telecommunications", 0.05),
    ("Logistics", 0.05),
    ("Non-Profit", 0.05),
];

fn industry_effect(industry: &str) -> f64 {
    match industry {
        "Software" => IND_SOFTWARE,
        "Financial Services" => IND_FINANCIAL,
        "Education" => IND_EDUCATION,
        _ => 0.0,
    }
}

const COUNTRIES: &[(&str, f64)] = &[
    ("United States", 0.45),
    ("United Kingdom", 0.11),
    ("India", 0.10),
    ("Germany", 0.09),
    ("Canada", 0.07),
    ("France", 0.06),
    ("Australia", 0.06),
    ("Brazil", 0.06),
];

fn country_effect(country: &str) -> f64 {
    if country == "India" {
        COUNTRY_INDIA
    } else {
        0.0
    }
}

/// Lead sources with (weight for non-students, weight for students, typical pricing visits).
const LEAD_SOURCES: &[(&str, f64, f64, f64)] = &[
    ("Organic Search", 0.24, 0.30, 1.1),
    ("Paid Search", 0.11, 0.08, 1.0),
    ("Paid Social", 0.14, 0.17, 0.6),
    ("Content Download", 0.15, 0.25, 0.7),
    ("Webinar", 0.10, 0.15, 0.9),
    ("Referral", 0.08, 0.03, 1.8),
    ("Demo Request Form", 0.11, 0.01, 3.2),
    ("Trade Show", 0.07, 0.01, 0.8),
];

fn source_effect(source: &str) -> f64 {
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

/// Company-size buckets `(low, high)` in employees; sizes are log-uniform within a bucket.
const SIZE_BUCKETS: &[(u32, u32)] = &[
    (1, 10),
    (11, 50),
    (51, 200),
    (201, 1000),
    (1001, 5000),
    (5001, 50000),
];
/// Bucket weights for companies behind business domains.
const SIZE_MIX_BUSINESS: &[f64] = &[0.12, 0.24, 0.26, 0.20, 0.11, 0.07];
/// Bucket weights for what webmail users type (freelancers and small shops dominate).
const SIZE_MIX_WEBMAIL: &[f64] = &[0.42, 0.28, 0.14, 0.09, 0.04, 0.03];
/// Bucket weights for universities.
const SIZE_MIX_EDU: &[f64] = &[0.0, 0.0, 0.0, 0.05, 0.40, 0.55];

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Sarah",
    "Daniel",
    "Jessica",
    "Thomas",
    "Emily",
    "Matthew",
    "Laura",
    "Christopher",
    "Emma",
    "Andrew",
    "Olivia",
    "Kevin",
    "Sophie",
    "Brian",
    "Hannah",
    "Raj",
    "Priya",
    "Arjun",
    "Ananya",
    "Vikram",
    "Neha",
    "Lukas",
    "Anna",
    "Felix",
    "Lena",
    "Jonas",
    "Marie",
    "Pierre",
    "Camille",
    "Lucas",
    "Chloé",
    "João",
    "Ana",
    "Gabriel",
    "Beatriz",
    "Wei",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Oliver",
    "Amelia",
    "Jack",
    "Isla",
    "Noah",
    "Zoë",
    "Liam",
    "Ava",
    "Mohammed",
    "Fatima",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "O'Brien",
    "McDonald",
    "Patel",
    "Sharma",
    "Gupta",
    "Singh",
    "Kumar",
    "Reddy",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Becker",
    "Dubois",
    "Martin",
    "Bernard",
    "Lefèvre",
    "Moreau",
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Pereira",
    "Chen",
    "Wang",
    "Li",
    "Tanaka",
    "Sato",
    "Nguyen",
    "Kim",
    "Garcia",
    "Rodríguez",
    "Hernández",
    "López",
    "Evans",
    "Hughes",
    "Roberts",
    "Campbell",
    "Stewart",
    "Van der Berg",
    "Khan",
];

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

struct Company {
    domain: String,
    country_hint: Option<&'static str>,
    size: u32,
    industry: &'static str,
}

/// The 200 synthetic company domains (fixed, independent of the seed).
fn business_domains() -> Vec<(String, Option<&'static str>)> {
    let forms = DOMAIN_FORMS.len();
    let mut out = Vec::with_capacity(DOMAIN_STEMS.len() * 5);
    for (i, stem) in DOMAIN_STEMS.iter().enumerate() {
        for k in 0..5 {
            // Step 4 over 18 forms visits 5 distinct forms per stem.
            let idx = (i * 7 + k * 4) % forms;
            if let Some((prefix, suffix, hint)) = DOMAIN_FORMS.get(idx) {
                out.push((format!("{prefix}{stem}{suffix}"), *hint));
            }
        }
    }
    out
}

/// The industry a company domain's name suggests (`...health.com` is probably in Healthcare).
fn industry_hint(domain: &str) -> Option<&'static str> {
    if domain.ends_with("health.com") {
        Some("Healthcare")
    } else if domain.ends_with("finance.com") {
        Some("Financial Services")
    } else if domain.ends_with("-logistics.com") {
        Some("Logistics")
    } else if domain.ends_with("labs.io") || domain.ends_with("-analytics.com") {
        Some("Software")
    } else {
        None
    }
}

fn pick_weighted<'a>(rng: &mut SeededRng, items: &[(&'a str, f64)]) -> &'a str {
    let weights: Vec<f64> = items.iter().map(|(_, w)| *w).collect();
    items
        .get(rng.weighted_index(&weights))
        .map(|(s, _)| *s)
        .unwrap_or("")
}

fn pick<'a>(rng: &mut SeededRng, items: &[&'a str]) -> &'a str {
    items.get(rng.below(items.len())).copied().unwrap_or("")
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

/// Poisson draw (Knuth); `lambda` is capped so the loop stays short.
fn poisson(rng: &mut SeededRng, lambda: f64) -> u32 {
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

/// Days since the epoch of `config.start_date` (month and day clamped into range).
fn start_day(config: &DemoConfig) -> i64 {
    let (y, m, d) = config.start_date;
    civil::days_from_civil(
        i64::from(y),
        i64::from(m.clamp(1, 12)),
        i64::from(d.clamp(1, 31)),
    )
}

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

fn format_timestamp(ts: i64) -> String {
    let mut out = String::with_capacity(19);
    push_timestamp(&mut out, ts);
    out
}

/// Appends `ts` (seconds since the epoch, UTC) as `YYYY-MM-DD HH:MM:SS`.
fn push_timestamp(out: &mut String, ts: i64) {
    use std::fmt::Write as _;
    let ((y, m, d), (hh, mm, ss)) = civil::civil_from_unix(ts);
    // Writing into a String cannot fail.
    let _ = write!(out, "{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}");
}

/// Seconds in a day.
const DAY: i64 = 86_400;

/// One generated lead with the latent attributes behind it.
struct LeadDraw {
    lead: DemoLead,
    /// `created_at` in seconds since the epoch.
    created: i64,
    /// The observable part of the flat ground-truth log-odds (everything except the noise).
    #[cfg_attr(not(test), allow(dead_code))]
    observable: f64,
    /// The fit part of the log-odds: seniority, email domain class, company size, industry,
    /// lead source and country, without the intercept (shared by the flat file and the export).
    fit: f64,
    seniority: Seniority,
    class: DomainClass,
}

/// The leads of a configuration, generated one at a time in `created_at` order (only the sorted
/// creation times, 8 bytes a lead, are held in memory).
struct LeadStream {
    rng: SeededRng,
    timestamps: std::iter::Enumerate<std::vec::IntoIter<i64>>,
    companies: Vec<Company>,
    popularity: Vec<f64>,
    seniority_weights: Vec<f64>,
    source_weights_pro: Vec<f64>,
    source_weights_student: Vec<f64>,
}

impl LeadStream {
    fn new(config: &DemoConfig) -> Self {
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
fn generate_with_truth(config: &DemoConfig) -> Vec<(DemoLead, f64)> {
    LeadStream::new(config)
        .map(|d| (d.lead, d.observable))
        .collect()
}

/// Generates `config.leads` synthetic leads, ordered by `created_at`, fully determined by the
/// config (see the module docs and [`GROUND_TRUTH`] for how `converted` is drawn).
pub fn generate(config: &DemoConfig) -> Vec<DemoLead> {
    LeadStream::new(config).map(|d| d.lead).collect()
}

/// Column names of the export, in order.
const HEADER: &[&str] = &[
    "lead_id",
    "created_at",
    "email",
    "job_title",
    "company_size",
    "industry",
    "country",
    "lead_source",
    "pricing_page_visits",
    "webinar_attended",
    "converted",
];

/// Appends `field` to `line`, quoted per RFC 4180 if it contains a comma, quote, CR or LF.
fn push_field(line: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

/// Writes the leads as CSV with a header, comma separated, RFC 4180 quoting where needed (a
/// field containing comma, quote or newline), LF line endings, empty cell for None. Columns in
/// this order: lead_id,created_at,email,job_title,company_size,industry,country,lead_source,
/// pricing_page_visits,webinar_attended,converted (webinar_attended as yes/no, converted as
/// 1/0).
pub fn write_csv<W: Write>(leads: &[DemoLead], out: W) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let mut line = HEADER.join(",");
    line.push('\n');
    out.write_all(line.as_bytes())?;
    for lead in leads {
        line.clear();
        push_lead_row(&mut line, lead, HEADER.len());
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Appends the first `columns` cells of `lead`'s row of the flat export (in [`HEADER`] order)
/// and a line feed.
fn push_lead_row(line: &mut String, lead: &DemoLead, columns: usize) {
    let size = lead.company_size.map(|s| s.to_string()).unwrap_or_default();
    let visits = lead.pricing_page_visits.to_string();
    let fields: [&str; 11] = [
        &lead.lead_id,
        &lead.created_at,
        &lead.email,
        &lead.job_title,
        &size,
        lead.industry.as_deref().unwrap_or(""),
        &lead.country,
        &lead.lead_source,
        &visits,
        if lead.webinar_attended { "yes" } else { "no" },
        if lead.converted { "1" } else { "0" },
    ];
    for (j, field) in fields.iter().take(columns).enumerate() {
        if j > 0 {
            line.push(',');
        }
        push_field(line, field);
    }
    line.push('\n');
}

// ---------------------------------------------------------------------------------------------
// Three-table export: leads, engagement events, outcomes (a closed-deals file)
// ---------------------------------------------------------------------------------------------

/// One engagement event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoEvent {
    /// The lead's export id (`L000001`, ...).
    pub lead_id: String,
    /// One of [`EVENT_TYPES`].
    pub event_type: &'static str,
    /// When it happened, in seconds since the Unix epoch (UTC).
    pub occurred_at: i64,
}

/// The three tables of a CRM export (see [`generate_export`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoExport {
    /// The leads, in `created_at` order. The leads CSV writes only their first eight columns;
    /// here `pricing_page_visits` and `webinar_attended` summarize the lead's events before its
    /// `as_of`, and `converted` says whether the outcomes table has it converting within
    /// [`HORIZON_DAYS`] after `as_of` (the point-in-time label; meaningless for censored leads).
    pub leads: Vec<DemoLead>,
    /// The events, grouped by lead (in lead order), chronological within a lead.
    pub events: Vec<DemoEvent>,
    /// The closed-deals table: `(lead_id, converted_at)` of the converted leads only, in lead
    /// order, `converted_at` in seconds since the Unix epoch (UTC).
    pub outcomes: Vec<(String, i64)>,
}

/// Row counts of a written export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportCounts {
    /// Rows of the leads table.
    pub leads: usize,
    /// Rows of the events table.
    pub events: usize,
    /// Rows of the outcomes table (converted leads, whenever they converted).
    pub converted: usize,
}

/// The event types of the three-table export.
pub const EVENT_TYPES: &[&str] = &EVENT_TYPE_NAMES;

const EVENT_TYPE_NAMES: [&str; N_TYPES] = [
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
const N_TYPES: usize = 9;
// Indices into EVENT_TYPE_NAMES.
const PAGE_VIEW: usize = 0;
const PRICING_PAGE_VISIT: usize = 1;
const CONTENT_DOWNLOAD: usize = 2;
const WEBINAR_EVENT: usize = 3;
const EMAIL_OPEN: usize = 4;
const EMAIL_CLICK: usize = 5;
const DEMO_REQUEST: usize = 6;
const TRIAL_SIGNUP: usize = 7;
const UNSUBSCRIBE: usize = 8;

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

/// [`ENGAGEMENT_TRUTH`]'s weights in [`EVENT_TYPES`] order.
const ENGAGEMENT_WEIGHTS: [f64; N_TYPES] = [
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
/// Probability scale of having converted before `as_of` (times the lead's conversion
/// probability): ~5% of the converted leads.
const EARLY_SHARE: f64 = 0.065;
/// Probability scale of converting after the horizon, for a lead that did not convert within it.
const LATE_SHARE: f64 = 0.18;

/// The export's stream: each lead with its engagement and outcome, one lead at a time.
fn export_stream(config: &DemoConfig) -> impl Iterator<Item = (LeadDraw, Engagement)> {
    let end = data_end(config);
    let seed = config.seed;
    LeadStream::new(config).enumerate().map(move |(i, draw)| {
        let engagement = engage(seed, i, &draw, end);
        (draw, engagement)
    })
}

/// The end of the data (exclusive): midnight after the last day of the span. Nothing (no event,
/// no conversion) is exported at or after it, so leads created in the last
/// `OBSERVATION_DAYS + HORIZON_DAYS` days have not had their whole horizon (censored).
fn data_end(config: &DemoConfig) -> i64 {
    (start_day(config) + i64::from(config.days.max(1))) * DAY
}

/// A lead's events and outcome.
struct Engagement {
    as_of: i64,
    /// `(index into EVENT_TYPES, occurred_at)`, chronological, all before the end of the data.
    events: Vec<(usize, i64)>,
    /// When the lead converted, if it did before the end of the data.
    converted_at: Option<i64>,
    /// The observable ground-truth log-odds at `as_of` (without the noise).
    #[cfg_attr(not(test), allow(dead_code))]
    observable: f64,
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

/// A Poisson count that also handles large means (normal approximation above 30).
fn event_count(rng: &mut SeededRng, lambda: f64) -> usize {
    if lambda < 30.0 {
        poisson(rng, lambda) as usize
    } else {
        (lambda + lambda.sqrt() * rng.normal()).round().max(0.0) as usize
    }
}

/// A draw from an exponential distribution with `mean`, truncated to `[0, max)`.
fn truncated_exponential(rng: &mut SeededRng, mean: f64, max: f64) -> f64 {
    let tail = (-max / mean).exp();
    (-mean * (1.0 - rng.uniform() * (1.0 - tail)).ln()).min(max * (1.0 - 1e-9))
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

/// Seconds from a number of days (truncated).
fn seconds(days: f64) -> i64 {
    (days * DAY as f64) as i64
}

/// A uniform time in `[lo, hi]` (`lo` when the range is empty).
fn uniform_time(rng: &mut SeededRng, lo: i64, hi: i64) -> i64 {
    lo + rng.below(usize::try_from(hi - lo + 1).unwrap_or(1)) as i64
}

/// Draws lead `index`'s events and outcome: events before `as_of` (a returning contact's history
/// and the burst after creation), the ground-truth log-odds at `as_of`, the conversion, then the
/// events after `as_of` (more of them for converters).
fn engage(seed: u64, index: usize, draw: &LeadDraw, end: i64) -> Engagement {
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

    // The ground truth at as_of.
    let mut decayed = [0.0f64; N_TYPES];
    let half_life = ENGAGEMENT_HALF_LIFE_DAYS * DAY as f64;
    for &(k, t) in &events {
        decayed[k] += 0.5f64.powf((as_of - t) as f64 / half_life);
    }
    let observable = EXPORT_INTERCEPT
        + draw.fit
        + ENGAGEMENT_WEIGHTS
            .iter()
            .zip(decayed)
            .map(|(w, d)| w * d.ln_1p())
            .sum::<f64>();
    let p = 1.0 / (1.0 + (-(observable + GROUND_TRUTH_NOISE_SD * rng.normal())).exp());
    let early = rng.bernoulli(EARLY_SHARE * p);
    let within = !early && rng.bernoulli(p);
    let late = !early && !within && rng.bernoulli(LATE_SHARE * p);
    let horizon = HORIZON_DAYS * DAY;
    let converted_at = if early {
        Some(uniform_time(rng, t0 + 3600, as_of - 3600))
    } else if within {
        let delay = truncated_exponential(rng, 25.0, HORIZON_DAYS as f64);
        Some(as_of + (3600 + seconds(delay)).min(horizon - 3600))
    } else if late {
        Some(as_of + horizon + 3600 + seconds(-40.0 * (1.0 - rng.uniform()).ln()))
    } else {
        None
    };

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

impl Engagement {
    /// The lead as the export sees it at `as_of` (see [`DemoExport::leads`]).
    fn summarize(&self, mut lead: DemoLead) -> DemoLead {
        let before = self.events.iter().filter(|e| e.1 < self.as_of);
        let (mut visits, mut webinar) = (0u32, false);
        for &(k, _) in before {
            visits += u32::from(k == PRICING_PAGE_VISIT);
            webinar |= k == WEBINAR_EVENT;
        }
        lead.pricing_page_visits = visits;
        lead.webinar_attended = webinar;
        lead.converted = self
            .converted_at
            .is_some_and(|c| c > self.as_of && c <= self.as_of + HORIZON_DAYS * DAY);
        lead
    }
}

/// Generates the three tables of a CRM export for `config`: the same leads as [`generate`]
/// (same ids, emails, titles, firmographics), ~30 engagement events per lead, and the
/// closed-deals outcomes, all drawn from the ground truth in [`ENGAGEMENT_TRUTH`].
///
/// Each lead is scored as of `created_at + OBSERVATION_DAYS`. Events start up to 180 days before
/// `created_at` (a fifth of the leads are returning contacts) and continue after `as_of`
/// (converters are more active then: a pipeline that keeps them leaks the label). About 5% of
/// the converted leads converted before `as_of` and about 5% after the horizon. Nothing is
/// dated at or after the end of the span (`start_date + days`), so the newest leads are censored.
/// Holds everything in memory; [`write_export`] streams.
pub fn generate_export(config: &DemoConfig) -> DemoExport {
    let mut out = DemoExport {
        leads: Vec::with_capacity(config.leads),
        events: Vec::new(),
        outcomes: Vec::new(),
    };
    for (draw, engagement) in export_stream(config) {
        let id = &draw.lead.lead_id;
        out.events
            .extend(engagement.events.iter().map(|&(k, t)| DemoEvent {
                lead_id: id.clone(),
                event_type: EVENT_TYPE_NAMES[k],
                occurred_at: t,
            }));
        if let Some(c) = engagement.converted_at {
            out.outcomes.push((id.clone(), c));
        }
        out.leads.push(engagement.summarize(draw.lead));
    }
    out
}

/// Columns of the export's leads table: the flat export's first eight.
const EXPORT_LEAD_COLUMNS: usize = 8;

/// Streams the three tables of [`generate_export`] as CSV (comma separated, RFC 4180 quoting,
/// LF line endings, timestamps `YYYY-MM-DD HH:MM:SS` UTC), one lead at a time, so memory stays
/// flat whatever `config.leads` is:
///
/// - leads: `lead_id,created_at,email,job_title,company_size,industry,country,lead_source`;
/// - events: `lead_id,event_type,occurred_at`, grouped by lead, chronological within a lead;
/// - outcomes: `lead_id,converted_at`, only the converted leads (a closed-deals export).
pub fn write_export<W1: Write, W2: Write, W3: Write>(
    config: &DemoConfig,
    leads_csv: W1,
    events_csv: W2,
    outcomes_csv: W3,
) -> std::io::Result<ExportCounts> {
    let capacity = 1 << 16;
    let mut leads_out = std::io::BufWriter::with_capacity(capacity, leads_csv);
    let mut events_out = std::io::BufWriter::with_capacity(capacity, events_csv);
    let mut outcomes_out = std::io::BufWriter::with_capacity(capacity, outcomes_csv);
    let mut line = HEADER[..EXPORT_LEAD_COLUMNS].join(",");
    line.push('\n');
    leads_out.write_all(line.as_bytes())?;
    events_out.write_all(b"lead_id,event_type,occurred_at\n")?;
    outcomes_out.write_all(b"lead_id,converted_at\n")?;
    let mut counts = ExportCounts {
        leads: 0,
        events: 0,
        converted: 0,
    };
    for (draw, engagement) in export_stream(config) {
        let lead = &draw.lead;
        line.clear();
        push_lead_row(&mut line, lead, EXPORT_LEAD_COLUMNS);
        leads_out.write_all(line.as_bytes())?;
        line.clear();
        for &(k, t) in &engagement.events {
            push_field(&mut line, &lead.lead_id);
            line.push(',');
            line.push_str(EVENT_TYPE_NAMES[k]);
            line.push(',');
            push_timestamp(&mut line, t);
            line.push('\n');
        }
        events_out.write_all(line.as_bytes())?;
        if let Some(c) = engagement.converted_at {
            line.clear();
            push_field(&mut line, &lead.lead_id);
            line.push(',');
            push_timestamp(&mut line, c);
            line.push('\n');
            outcomes_out.write_all(line.as_bytes())?;
            counts.converted += 1;
        }
        counts.leads += 1;
        counts.events += engagement.events.len();
    }
    leads_out.flush()?;
    events_out.flush()?;
    outcomes_out.flush()?;
    Ok(counts)
}

/// [`write_export`] into three files. Each is written beside its path under a temporary name and
/// renamed into place only when all three are complete, so a failed run leaves no partial file.
pub fn write_export_files(
    config: &DemoConfig,
    leads: &std::path::Path,
    events: &std::path::Path,
    outcomes: &std::path::Path,
) -> std::io::Result<ExportCounts> {
    let paths = [leads, events, outcomes];
    let temps: Vec<std::path::PathBuf> = paths
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            p.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
        })
        .collect();
    let result = (|| {
        let [l, e, o] = [&temps[0], &temps[1], &temps[2]].map(std::fs::File::create);
        let (l, e, o) = (l?, e?, o?);
        let counts = write_export(config, &l, &e, &o)?;
        for f in [l, e, o] {
            f.sync_all()?;
        }
        for (tmp, path) in temps.iter().zip(paths) {
            std::fs::rename(tmp, path)?;
        }
        Ok(counts)
    })();
    if result.is_err() {
        for tmp in &temps {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(leads: usize, seed: u64) -> DemoConfig {
        DemoConfig {
            leads,
            seed,
            ..DemoConfig::default()
        }
    }

    /// A minimal RFC 4180 line splitter (no embedded newlines in generated data).
    fn split_csv_line(line: &str) -> Vec<String> {
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut in_quotes = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, in_quotes) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                ('"', true) => in_quotes = false,
                ('"', false) if cur.is_empty() => in_quotes = true,
                (',', false) => fields.push(std::mem::take(&mut cur)),
                (c, _) => cur.push(c),
            }
        }
        fields.push(cur);
        fields
    }

    /// Test-only keyword seniority classifier for the empirical checks (whole words, so that
    /// "Director" does not match "cto" and "Coordinator" does not match "coo").
    fn seniority_of(title: &str) -> &'static str {
        let lower = title.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let has = |w: &str| words.contains(&w);
        if has("student") || has("intern") {
            "student"
        } else if (has("vice") && has("president"))
            || has("vp")
            || has("svp")
            || has("evp")
            || lower.contains("head of")
        {
            "vp"
        } else if [
            "chief",
            "ceo",
            "cto",
            "cfo",
            "cmo",
            "coo",
            "founder",
            "president",
            "owner",
        ]
        .iter()
        .any(|w| has(w))
        {
            "c-level"
        } else if has("director") {
            "director"
        } else if has("manager") {
            "manager"
        } else {
            "ic"
        }
    }

    fn rate<'a>(leads: impl Iterator<Item = &'a DemoLead>) -> (f64, usize) {
        let (mut n, mut k) = (0usize, 0usize);
        for l in leads {
            n += 1;
            k += usize::from(l.converted);
        }
        (k as f64 / n.max(1) as f64, n)
    }

    fn domain_of(email: &str) -> &str {
        email.rsplit('@').next().unwrap_or("")
    }

    fn is_free(email: &str) -> bool {
        matches!(
            domain_of(email),
            "gmail.com" | "yahoo.com" | "outlook.com" | "hotmail.com"
        )
    }

    fn is_business(email: &str) -> bool {
        let d = domain_of(email);
        !is_free(email) && !d.ends_with(".edu") && !d.ends_with(".ac.uk") && d != "rivalsoft.com"
    }

    /// ROC AUC by the rank-sum formula, ties counted half.
    fn auc(scores: &[(f64, bool)]) -> f64 {
        let mut s: Vec<(f64, bool)> = scores.to_vec();
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut rank_sum, mut i) = (0.0, 0);
        while i < s.len() {
            let mut j = i;
            while j < s.len() && s[j].0 == s[i].0 {
                j += 1;
            }
            let mid = (i + j + 1) as f64 / 2.0; // 1-based average rank
            rank_sum += mid * s[i..j].iter().filter(|x| x.1).count() as f64;
            i = j;
        }
        let pos = s.iter().filter(|x| x.1).count() as f64;
        let neg = s.len() as f64 - pos;
        (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
    }

    #[test]
    fn same_seed_same_output() {
        let a = generate(&config(2000, 7));
        let b = generate(&config(2000, 7));
        assert_eq!(a, b);
        let (mut ca, mut cb) = (Vec::new(), Vec::new());
        write_csv(&a, &mut ca).unwrap();
        write_csv(&b, &mut cb).unwrap();
        assert_eq!(ca, cb);
    }

    #[test]
    fn different_seed_different_output() {
        let a = generate(&config(500, 1));
        let b = generate(&config(500, 2));
        assert_eq!(a.len(), b.len());
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same < 5, "{same} identical rows");
    }

    #[test]
    fn default_config_and_edge_cases() {
        let d = DemoConfig::default();
        assert_eq!(
            (d.leads, d.seed, d.start_date, d.days),
            (5000, 42, (2025, 1, 1), 365)
        );
        assert!(generate(&config(0, 1)).is_empty());
        let odd = DemoConfig {
            leads: 50,
            seed: 3,
            start_date: (2024, 13, 0),
            days: 0,
        };
        assert_eq!(generate(&odd).len(), 50);
    }

    #[test]
    fn ids_and_timestamps_are_well_formed_and_ordered() {
        let leads = generate(&config(3000, 11));
        assert_eq!(leads[0].lead_id, "L000001");
        assert_eq!(leads[2999].lead_id, "L003000");
        for w in leads.windows(2) {
            assert!(w[0].created_at <= w[1].created_at);
        }
        for l in &leads {
            let b = l.created_at.as_bytes();
            assert_eq!(b.len(), 19, "{}", l.created_at);
            assert!(l.created_at.starts_with("2025-"), "{}", l.created_at);
            assert_eq!(
                (b[4], b[7], b[10], b[13], b[16]),
                (b'-', b'-', b' ', b':', b':')
            );
            assert_eq!(l.email.matches('@').count(), 1, "{}", l.email);
            assert!(l.email.is_ascii(), "{}", l.email);
        }
        // A leap-year span crosses Feb 29 correctly.
        assert_eq!(
            format_timestamp(civil::days_from_civil(2024, 2, 29) * 86_400),
            "2024-02-29 00:00:00"
        );
    }

    #[test]
    fn conversion_rate_in_band() {
        let leads = generate(&config(20_000, 42));
        let (r, _) = rate(leads.iter());
        println!("conversion rate on 20k leads: {r:.4}");
        assert!((0.20..=0.30).contains(&r), "conversion rate {r}");
    }

    #[test]
    fn missing_rates_roughly_as_stated() {
        let leads = generate(&config(20_000, 5));
        let n = leads.len() as f64;
        let size = leads.iter().filter(|l| l.company_size.is_none()).count() as f64 / n;
        let ind = leads.iter().filter(|l| l.industry.is_none()).count() as f64 / n;
        assert!((0.045..=0.075).contains(&size), "size missing {size}");
        assert!((0.028..=0.052).contains(&ind), "industry missing {ind}");
    }

    #[test]
    fn csv_has_header_and_eleven_fields_per_row() {
        let leads = generate(&config(3000, 9));
        let mut buf = Vec::new();
        write_csv(&leads, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(!text.contains('\r'));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), leads.len() + 1);
        assert_eq!(
            lines[0],
            "lead_id,created_at,email,job_title,company_size,industry,country,lead_source,\
             pricing_page_visits,webinar_attended,converted"
        );
        let mut quoted = 0;
        for (line, lead) in lines[1..].iter().zip(&leads) {
            let f = split_csv_line(line);
            assert_eq!(f.len(), 11, "{line}");
            assert_eq!(f[3], lead.job_title);
            assert_eq!(
                f[4],
                lead.company_size.map(|s| s.to_string()).unwrap_or_default()
            );
            assert!(f[9] == "yes" || f[9] == "no");
            assert!(f[10] == "1" || f[10] == "0");
            quoted += usize::from(line.contains('"'));
        }
        assert!(quoted > 0, "some titles contain commas and must be quoted");
    }

    #[test]
    fn csv_quotes_quotes_and_newlines() {
        let lead = DemoLead {
            lead_id: "L000001".into(),
            created_at: "2025-01-01 00:00:00".into(),
            email: "a@b.com".into(),
            job_title: "Head of \"Growth\", EMEA\nand APAC".into(),
            company_size: None,
            industry: None,
            country: "France".into(),
            lead_source: "Referral".into(),
            pricing_page_visits: 3,
            webinar_attended: true,
            converted: false,
        };
        let mut buf = Vec::new();
        write_csv(&[lead], &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let row = text.split_once('\n').unwrap().1;
        assert_eq!(
            row,
            "L000001,2025-01-01 00:00:00,a@b.com,\"Head of \"\"Growth\"\", EMEA\nand APAC\",,,France,Referral,3,yes,0\n"
        );
    }

    #[test]
    fn seniors_beat_students_and_business_beats_webmail() {
        let leads = generate(&config(20_000, 42));
        let by = |s: &str| rate(leads.iter().filter(|l| seniority_of(&l.job_title) == s));
        let (senior, ns) = rate(
            leads
                .iter()
                .filter(|l| matches!(seniority_of(&l.job_title), "c-level" | "vp")),
        );
        let (student, nst) = by("student");
        let (ic, _) = by("ic");
        let (business, _) = rate(leads.iter().filter(|l| is_business(&l.email)));
        let (free, nf) = rate(leads.iter().filter(|l| is_free(&l.email)));
        println!("senior {senior:.3} (n={ns}), ic {ic:.3}, student {student:.3} (n={nst})");
        println!("business {business:.3}, free webmail {free:.3} (n={nf})");
        assert!(senior > ic + 0.1 && ic > student + 0.05);
        assert!(business > free + 0.08);
    }

    #[test]
    fn ground_truth_is_sorted_and_achievable_auc_is_realistic() {
        for w in GROUND_TRUTH.windows(2) {
            assert!(w[0].1.abs() >= w[1].1.abs(), "{:?} before {:?}", w[0], w[1]);
        }
        let rows = generate_with_truth(&config(20_000, 42));
        let scored: Vec<(f64, bool)> = rows.iter().map(|(l, s)| (*s, l.converted)).collect();
        let a = auc(&scored);
        println!("AUC of the observable ground-truth log-odds on 20k leads: {a:.4}");
        assert!((0.80..=0.90).contains(&a), "auc {a}");
    }

    #[test]
    fn business_domain_pool_has_200_distinct_domains() {
        let mut d: Vec<String> = business_domains().into_iter().map(|(d, _)| d).collect();
        assert_eq!(d.len(), 200);
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 200);
    }

    // -----------------------------------------------------------------------------------------
    // Three-table export
    // -----------------------------------------------------------------------------------------

    /// Seconds since the epoch of a `YYYY-MM-DD HH:MM:SS` timestamp.
    fn parse_timestamp(s: &str) -> i64 {
        let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
        civil::days_from_civil(n(0..4), n(5..7), n(8..10)) * DAY
            + n(11..13) * 3600
            + n(14..16) * 60
            + n(17..19)
    }

    /// Per lead of an export: `(as_of, events, converted_at)`.
    fn by_lead(export: &DemoExport) -> Vec<(i64, Vec<&DemoEvent>, Option<i64>)> {
        let index: std::collections::HashMap<&str, usize> = export
            .leads
            .iter()
            .enumerate()
            .map(|(i, l)| (l.lead_id.as_str(), i))
            .collect();
        let mut rows: Vec<(i64, Vec<&DemoEvent>, Option<i64>)> = export
            .leads
            .iter()
            .map(|l| {
                (
                    parse_timestamp(&l.created_at) + OBSERVATION_DAYS * DAY,
                    Vec::new(),
                    None,
                )
            })
            .collect();
        for e in &export.events {
            rows[index[e.lead_id.as_str()]].1.push(e);
        }
        for (id, c) in &export.outcomes {
            let row = &mut rows[index[id.as_str()]];
            assert!(row.2.is_none(), "{id} twice in the outcomes");
            row.2 = Some(*c);
        }
        rows
    }

    #[test]
    fn flat_output_is_unchanged_by_the_export() {
        use sha2::{Digest, Sha256};
        let mut buf = Vec::new();
        write_csv(&generate(&DemoConfig::default()), &mut buf).unwrap();
        let hex: String = Sha256::digest(&buf)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        // The flat file of the default config before the export was added (= data/demo-leads.csv).
        assert_eq!(
            hex,
            "d86de7465cb2e2cbec1086bd44a5fb4e2402d06b4738a3a5371d85d40fc4f76f"
        );
    }

    #[test]
    fn export_is_deterministic_and_streams_what_it_generates() {
        let c = config(2000, 7);
        let a = generate_export(&c);
        assert_eq!(a, generate_export(&c));
        let flat = generate(&c);
        for (x, f) in a.leads.iter().zip(&flat) {
            assert_eq!(
                (&x.lead_id, &x.email, &x.job_title, &x.lead_source),
                (&f.lead_id, &f.email, &f.job_title, &f.lead_source)
            );
        }
        let write = || {
            let (mut l, mut e, mut o) = (Vec::new(), Vec::new(), Vec::new());
            let counts = write_export(&c, &mut l, &mut e, &mut o).unwrap();
            (counts, l, e, o)
        };
        let first = write();
        assert!(first == write(), "two runs differ");
        let (counts, l, e, o) = first;
        assert_eq!(
            counts,
            ExportCounts {
                leads: a.leads.len(),
                events: a.events.len(),
                converted: a.outcomes.len()
            }
        );
        let (l, e, o) = (
            String::from_utf8(l).unwrap(),
            String::from_utf8(e).unwrap(),
            String::from_utf8(o).unwrap(),
        );
        let leads: Vec<&str> = l.lines().collect();
        assert_eq!(
            leads[0],
            "lead_id,created_at,email,job_title,company_size,industry,country,lead_source"
        );
        for (line, lead) in leads[1..].iter().zip(&a.leads) {
            let f = split_csv_line(line);
            assert_eq!(f.len(), 8, "{line}");
            assert_eq!((&f[0], &f[3]), (&lead.lead_id, &lead.job_title));
        }
        let events: Vec<&str> = e.lines().collect();
        assert_eq!(events[0], "lead_id,event_type,occurred_at");
        assert_eq!(events.len(), a.events.len() + 1);
        for (line, ev) in events[1..].iter().zip(&a.events) {
            let f = split_csv_line(line);
            assert_eq!((&f[0], f[1].as_str()), (&ev.lead_id, ev.event_type));
            assert_eq!(parse_timestamp(&f[2]), ev.occurred_at);
        }
        let outcomes: Vec<&str> = o.lines().collect();
        assert_eq!(outcomes[0], "lead_id,converted_at");
        assert_eq!(outcomes.len(), a.outcomes.len() + 1);
        for (line, (id, at)) in outcomes[1..].iter().zip(&a.outcomes) {
            let f = split_csv_line(line);
            assert_eq!((&f[0], parse_timestamp(&f[1])), (id, *at));
        }
        let other = generate_export(&config(2000, 8));
        assert_ne!(a.events.len(), other.events.len());
    }

    #[test]
    fn export_has_about_thirty_events_per_lead_heavy_tailed_with_a_realistic_mix() {
        let export = generate_export(&config(5000, 42));
        let rows = by_lead(&export);
        let per_lead = export.events.len() as f64 / rows.len() as f64;
        let mut counts: Vec<usize> = rows.iter().map(|r| r.1.len()).collect();
        counts.sort_unstable();
        let (median, max) = (counts[counts.len() / 2], counts[counts.len() - 1]);
        let over_100 = counts.iter().filter(|&&c| c >= 100).count();
        println!("events per lead: mean {per_lead:.1}, median {median}, max {max}, {over_100} leads with >= 100");
        assert!(
            (20.0..=40.0).contains(&per_lead),
            "{per_lead} events per lead"
        );
        assert!((median as f64) < 0.75 * per_lead && max >= 200 && over_100 >= 50);
        let share = |t: &str| {
            export.events.iter().filter(|e| e.event_type == t).count() as f64
                / export.events.len() as f64
        };
        for t in EVENT_TYPES {
            println!("  {t:<20} {:.4}", share(t));
        }
        assert!(share("page_view") > 0.3 && share("email_open") > 0.15);
        for t in ["demo_request", "trial_signup", "unsubscribe"] {
            assert!((0.0005..0.03).contains(&share(t)), "{t}: {}", share(t));
        }
        assert!(export
            .events
            .iter()
            .all(|e| EVENT_TYPES.contains(&e.event_type)));
        // Returning contacts: events before creation, up to 180 days before.
        let created: Vec<i64> = rows.iter().map(|r| r.0 - OBSERVATION_DAYS * DAY).collect();
        let returning = rows
            .iter()
            .zip(&created)
            .filter(|(r, c)| r.1.iter().any(|e| e.occurred_at < **c))
            .count() as f64
            / rows.len() as f64;
        println!("leads with events before created_at: {returning:.3}");
        assert!((0.12..=0.25).contains(&returning), "{returning}");
        for (r, c) in rows.iter().zip(&created) {
            assert!(r.1.iter().all(|e| e.occurred_at >= c - 180 * DAY));
            assert!(r.1.windows(2).all(|w| w[0].occurred_at <= w[1].occurred_at));
        }
    }

    #[test]
    fn export_timing_exercises_the_point_in_time_rules() {
        let c = config(5000, 42);
        let export = generate_export(&c);
        let rows = by_lead(&export);
        let end = data_end(&c);
        assert!(export.events.iter().all(|e| e.occurred_at < end));
        assert!(export.outcomes.iter().all(|o| o.1 < end));
        let horizon = HORIZON_DAYS * DAY;
        let after_as_of = export.events.len()
            - rows
                .iter()
                .map(|r| r.1.iter().filter(|e| e.occurred_at < r.0).count())
                .sum::<usize>();
        let (mut early, mut within, mut late) = (0, 0, 0);
        let (mut eligible, mut positives, mut censored) = (0, 0, 0);
        // Events after as_of per lead, for converters (within the horizon) and the others.
        let (mut post_conv, mut n_conv, mut post_other, mut n_other) = (0, 0, 0, 0);
        for (as_of, events, converted_at) in &rows {
            let label = converted_at.is_some_and(|t| t > *as_of && t <= as_of + horizon);
            match converted_at {
                Some(t) if t <= as_of => early += 1,
                Some(_) if label => within += 1,
                Some(_) => late += 1,
                None => {}
            }
            if as_of + horizon >= end {
                censored += 1;
            } else if !converted_at.is_some_and(|t| t <= *as_of) {
                eligible += 1;
                positives += usize::from(label);
                let post = events.iter().filter(|e| e.occurred_at > *as_of).count();
                if label {
                    (post_conv, n_conv) = (post_conv + post, n_conv + 1);
                } else {
                    (post_other, n_other) = (post_other + post, n_other + 1);
                }
            }
        }
        let converted = (early + within + late) as f64;
        let rate = positives as f64 / eligible as f64;
        let (post_conv, post_other) = (
            post_conv as f64 / n_conv as f64,
            post_other as f64 / n_other as f64,
        );
        println!(
            "events after as_of {after_as_of} of {}; outcomes {} (before as_of {early}, within \
             horizon {within}, after it {late}); censored {censored}, eligible {eligible}, \
             converted within horizon {rate:.3}; events after as_of per converter {post_conv:.1}, \
             per other {post_other:.1}",
            export.events.len(),
            export.outcomes.len()
        );
        assert!(after_as_of as f64 > 0.3 * export.events.len() as f64);
        assert!(
            (0.02..=0.10).contains(&(early as f64 / converted)),
            "{early}"
        );
        assert!((0.02..=0.10).contains(&(late as f64 / converted)), "{late}");
        assert!((0.15..=0.25).contains(&rate), "conversion rate {rate}");
        assert!(
            censored as f64 > 0.2 * rows.len() as f64,
            "{censored} censored"
        );
        assert!(post_conv > 1.5 * post_other);
        // The label summary on the leads agrees with the outcomes.
        for (lead, (as_of, _, c)) in export.leads.iter().zip(&rows) {
            let label = c.is_some_and(|t| t > *as_of && t <= as_of + horizon);
            assert_eq!(lead.converted, label, "{}", lead.lead_id);
        }
    }

    #[test]
    fn a_recent_demo_request_converts_more_than_an_old_one() {
        let c = config(20_000, 42);
        let export = generate_export(&c);
        let end = data_end(&c);
        let horizon = HORIZON_DAYS * DAY;
        let (mut recent, mut n_recent, mut old, mut n_old) = (0, 0, 0, 0);
        for (as_of, events, converted_at) in by_lead(&export) {
            if as_of + horizon >= end || converted_at.is_some_and(|t| t <= as_of) {
                continue;
            }
            let label = usize::from(converted_at.is_some_and(|t| t <= as_of + horizon));
            let demos: Vec<i64> = events
                .iter()
                .filter(|e| e.event_type == "demo_request" && e.occurred_at < as_of)
                .map(|e| as_of - e.occurred_at)
                .collect();
            if demos.iter().any(|&age| age <= OBSERVATION_DAYS * DAY) {
                (recent, n_recent) = (recent + label, n_recent + 1);
            } else if !demos.is_empty() && demos.iter().all(|&age| age > 90 * DAY) {
                (old, n_old) = (old + label, n_old + 1);
            }
        }
        let (r, o) = (recent as f64 / n_recent as f64, old as f64 / n_old as f64);
        println!("demo request in the last 7 days: {r:.3} (n={n_recent}); only > 90 days before as_of: {o:.3} (n={n_old})");
        assert!(n_recent >= 200 && n_old >= 50, "{n_recent} / {n_old}");
        assert!(r > o + 0.15, "recent {r} old {o}");
    }

    #[test]
    fn engagement_truth_is_documented_consistently_and_realistic() {
        for w in ENGAGEMENT_TRUTH.windows(2) {
            assert!(w[0].1.abs() >= w[1].1.abs(), "{:?} before {:?}", w[0], w[1]);
        }
        assert_eq!(ENGAGEMENT_TRUTH.len(), EVENT_TYPES.len());
        for (name, weight) in ENGAGEMENT_TRUTH {
            let k = EVENT_TYPES.iter().position(|t| t == name).unwrap();
            assert_eq!(ENGAGEMENT_WEIGHTS[k], *weight, "{name}");
        }
        assert_eq!(ENGAGEMENT_TRUTH[0].0, "demo_request");
        // The AUC of the observable log-odds among the leads a pipeline keeps.
        let c = config(20_000, 42);
        let end = data_end(&c);
        let horizon = HORIZON_DAYS * DAY;
        let scored: Vec<(f64, bool)> = export_stream(&c)
            .filter(|(_, e)| e.as_of + horizon < end && e.converted_at.is_none_or(|t| t > e.as_of))
            .map(|(_, e)| {
                (
                    e.observable,
                    e.converted_at.is_some_and(|t| t <= e.as_of + horizon),
                )
            })
            .collect();
        let a = auc(&scored);
        println!("AUC of the export's observable ground truth on 20k leads: {a:.4}");
        assert!((0.80..=0.95).contains(&a), "auc {a}");
    }

    #[test]
    fn write_export_streams_50k_leads_quickly() {
        let start = std::time::Instant::now();
        let sink = std::io::sink;
        let counts = write_export(&config(50_000, 3), sink(), sink(), sink()).unwrap();
        let secs = start.elapsed().as_secs_f64();
        println!("50k leads: {counts:?} in {secs:.2}s");
        assert_eq!(counts.leads, 50_000);
        assert!((1_000_000..=2_000_000).contains(&counts.events));
        assert!(secs < 60.0, "{secs}s");
    }

    #[test]
    fn write_export_files_writes_three_files_and_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let [l, e, o] = ["leads.csv", "events.csv", "outcomes.csv"].map(|n| dir.path().join(n));
        let counts = write_export_files(&config(300, 1), &l, &e, &o).unwrap();
        assert_eq!(counts.leads, 300);
        let lines = |p: &std::path::Path| std::fs::read_to_string(p).unwrap().lines().count();
        assert_eq!(
            (lines(&l), lines(&e), lines(&o)),
            (301, counts.events + 1, counts.converted + 1)
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
        let missing = dir.path().join("no/such/dir/e.csv");
        assert!(write_export_files(&config(10, 1), &l, &missing, &o).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
