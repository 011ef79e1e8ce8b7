//! The vocabularies leads are drawn from, with the mixes that weight them: job titles by
//! seniority, email domains by class, the 200 company domains, industries, countries, lead
//! sources, company sizes and names. Fixed, independent of the seed.

/// The seniority class a job title is drawn from (its effect is in the ground truth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seniority {
    CLevel,
    Vp,
    Director,
    Manager,
    Individual,
    Student,
}

impl Seniority {
    /// Job titles of this seniority, as people type them.
    pub(super) fn titles(self) -> &'static [&'static str] {
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
pub(super) const SENIORITY_MIX: &[(Seniority, f64)] = &[
    (Seniority::CLevel, 0.07),
    (Seniority::Vp, 0.07),
    (Seniority::Director, 0.12),
    (Seniority::Manager, 0.21),
    (Seniority::Individual, 0.45),
    (Seniority::Student, 0.08),
];

/// The class of an email domain (its effect is in the ground truth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DomainClass {
    Business,
    FreeWebmail,
    Edu,
    Competitor,
}

pub(super) const COMPETITOR_DOMAIN: &str = "rivalsoft.com";

pub(super) const FREE_WEBMAIL: &[(&str, f64)] = &[
    ("gmail.com", 0.60),
    ("yahoo.com", 0.15),
    ("outlook.com", 0.15),
    ("hotmail.com", 0.10),
];

pub(super) const EDU_DOMAINS: &[(&str, f64)] = &[
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

pub(super) const INDUSTRIES: &[(&str, f64)] = &[
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

pub(super) const COUNTRIES: &[(&str, f64)] = &[
    ("United States", 0.45),
    ("United Kingdom", 0.11),
    ("India", 0.10),
    ("Germany", 0.09),
    ("Canada", 0.07),
    ("France", 0.06),
    ("Australia", 0.06),
    ("Brazil", 0.06),
];

/// Lead sources with (weight for non-students, weight for students, typical pricing visits).
pub(super) const LEAD_SOURCES: &[(&str, f64, f64, f64)] = &[
    ("Organic Search", 0.24, 0.30, 1.1),
    ("Paid Search", 0.11, 0.08, 1.0),
    ("Paid Social", 0.14, 0.17, 0.6),
    ("Content Download", 0.15, 0.25, 0.7),
    ("Webinar", 0.10, 0.15, 0.9),
    ("Referral", 0.08, 0.03, 1.8),
    ("Demo Request Form", 0.11, 0.01, 3.2),
    ("Trade Show", 0.07, 0.01, 0.8),
];

/// Company-size buckets `(low, high)` in employees; sizes are log-uniform within a bucket.
pub(super) const SIZE_BUCKETS: &[(u32, u32)] = &[
    (1, 10),
    (11, 50),
    (51, 200),
    (201, 1000),
    (1001, 5000),
    (5001, 50000),
];

/// Bucket weights for companies behind business domains.
pub(super) const SIZE_MIX_BUSINESS: &[f64] = &[0.12, 0.24, 0.26, 0.20, 0.11, 0.07];
/// Bucket weights for what webmail users type (freelancers and small shops dominate).
pub(super) const SIZE_MIX_WEBMAIL: &[f64] = &[0.42, 0.28, 0.14, 0.09, 0.04, 0.03];
/// Bucket weights for universities.
pub(super) const SIZE_MIX_EDU: &[f64] = &[0.0, 0.0, 0.0, 0.05, 0.40, 0.55];

pub(super) const FIRST_NAMES: &[&str] = &[
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

pub(super) const LAST_NAMES: &[&str] = &[
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

/// The 200 synthetic company domains (fixed, independent of the seed).
pub(super) fn business_domains() -> Vec<(String, Option<&'static str>)> {
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
pub(super) fn industry_hint(domain: &str) -> Option<&'static str> {
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
