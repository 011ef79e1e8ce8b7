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
//! Everything is determined by [`DemoConfig::seed`]; the same configuration always yields the
//! same rows on every platform.

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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Relative lead volume by hour of day (business hours dominate).
const HOUR_WEIGHTS: &[f64] = &[
    0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.3, 1.7, 1.9, 1.8, 1.5, 1.7, 1.8, 1.7, 1.5, 1.2, 0.9,
    0.7, 0.6, 0.5, 0.4, 0.3,
];

/// Seconds since the epoch of the creation times, sorted.
fn draw_timestamps(rng: &mut SeededRng, config: &DemoConfig) -> Vec<i64> {
    let (y, m, d) = config.start_date;
    let start_day = days_from_civil(
        i64::from(y),
        i64::from(m.clamp(1, 12)),
        i64::from(d.clamp(1, 31)),
    );
    let days = u64::from(config.days.max(1));
    let mut out = Vec::with_capacity(config.leads);
    for _ in 0..config.leads {
        // Rejection sampling: weekends get ~35% of a weekday's volume, and volume grows ~30%
        // over the span (the marketing team is getting better at its job).
        let mut day = 0i64;
        for _ in 0..64 {
            let offset = (rng.uniform() * days as f64).floor().min((days - 1) as f64);
            day = start_day + offset as i64;
            let weekday = (day + 4).rem_euclid(7); // 0 = Sunday
            let weekend = if weekday == 0 || weekday == 6 {
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
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    let s = ts.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// Generates the leads together with the observable part of their ground-truth log-odds
/// (everything except the unobserved noise term).
fn generate_with_truth(config: &DemoConfig) -> Vec<(DemoLead, f64)> {
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

    let mut out = Vec::with_capacity(config.leads);
    for (i, ts) in timestamps.into_iter().enumerate() {
        let seniority = SENIORITY_MIX
            .get(rng.weighted_index(&seniority_weights))
            .map(|(s, _)| *s)
            .unwrap_or(Seniority::Individual);
        let title = pick(&mut rng, seniority.titles());
        let job_title = vary_case(&mut rng, title);
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
                let c = companies.get(rng.weighted_index(&popularity));
                match c {
                    Some(c) => (c.domain.clone(), c.country_hint, c.size, c.industry),
                    None => (
                        "acme.com".to_string(),
                        None,
                        draw_size(&mut rng, SIZE_MIX_BUSINESS),
                        pick_weighted(&mut rng, INDUSTRIES),
                    ),
                }
            }
            DomainClass::FreeWebmail => (
                pick_weighted(&mut rng, FREE_WEBMAIL).to_string(),
                None,
                draw_size(&mut rng, SIZE_MIX_WEBMAIL),
                pick_weighted(&mut rng, INDUSTRIES),
            ),
            DomainClass::Edu => {
                let d = pick_weighted(&mut rng, EDU_DOMAINS);
                let hint = d.ends_with(".ac.uk").then_some("United Kingdom");
                let industry = if rng.bernoulli(0.9) {
                    "Education"
                } else {
                    pick_weighted(&mut rng, INDUSTRIES)
                };
                (
                    d.to_string(),
                    hint,
                    draw_size(&mut rng, SIZE_MIX_EDU),
                    industry,
                )
            }
            DomainClass::Competitor => (COMPETITOR_DOMAIN.to_string(), None, 850, "Software"),
        };

        let first = pick(&mut rng, FIRST_NAMES);
        let last = pick(&mut rng, LAST_NAMES);
        let email = make_email(&mut rng, first, last, class, &domain);

        let country = match country_hint {
            Some(hint) if rng.bernoulli(0.8) => hint,
            _ => pick_weighted(&mut rng, COUNTRIES),
        };

        let source_weights = if student {
            &source_weights_student
        } else {
            &source_weights_pro
        };
        let (lead_source, typical_visits) = LEAD_SOURCES
            .get(rng.weighted_index(source_weights))
            .map(|s| (s.0, s.3))
            .unwrap_or(("Organic Search", 1.0));
        let webinar_attended = rng.bernoulli(if lead_source == "Webinar" { 0.7 } else { 0.08 });
        // Over-dispersed counts: a lognormal-mixed Poisson.
        let rate = typical_visits * (0.7 * rng.normal() - 0.245).exp();
        let pricing_page_visits = poisson(&mut rng, rate);

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

        out.push((
            DemoLead {
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
            observable,
        ));
    }
    out
}

/// Generates `config.leads` synthetic leads, ordered by `created_at`, fully determined by the
/// config (see the module docs and [`GROUND_TRUTH`] for how `converted` is drawn).
pub fn generate(config: &DemoConfig) -> Vec<DemoLead> {
    generate_with_truth(config)
        .into_iter()
        .map(|(lead, _)| lead)
        .collect()
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
        for (j, field) in fields.iter().enumerate() {
            if j > 0 {
                line.push(',');
            }
            push_field(&mut line, field);
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
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
            format_timestamp(days_from_civil(2024, 2, 29) * 86_400),
            "2024-02-29 00:00:00"
        );
        assert_eq!(
            civil_from_days(days_from_civil(2025, 12, 31) + 1),
            (2026, 1, 1)
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
}
