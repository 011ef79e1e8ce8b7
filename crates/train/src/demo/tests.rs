//! Tests of the demo generator: determinism, the CSV shape, and that the data shows the ground
//! truth (rates, AUC of the true log-odds, point-in-time timing).

use super::csv::format_timestamp;
use super::export::{data_end, export_stream};
use super::leads::generate_with_truth;
use super::truth::ENGAGEMENT_WEIGHTS;
use super::vocab::business_domains;
use super::*;
use leadscore_core::civil;

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
