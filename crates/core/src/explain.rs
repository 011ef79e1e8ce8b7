//! Why a lead scored what it did, in terms a salesperson can check: one factor per input field
//! and per event type, named by the lead's own value, and the score split into **fit** (who the
//! lead is) and **engagement** (what the lead did, and how long ago).
//!
//! A model feature is one column of the design matrix (a level, a bin, an indicator); a
//! [`FactorGroup`] gathers every feature built from one input column, or from one event type.
//! Its contribution is measured against the **average training lead**:
//!
//! `contribution(g) = sum over features i of g: weight_i * (x_i - mean_i) / std_i`
//!
//! so `baseline + sum of contributions = log-odds` exactly, where the baseline is the log-odds
//! of a lead whose every feature sits at its training mean (the model's intercept on
//! standardized features). A positive contribution means "this field moves the lead above an
//! average lead", whatever the encoding: a lead with no demo request gets one `demo_request`
//! factor, negative because the average lead has a few, instead of a "never" indicator and
//! three zero counts that each say something about values the lead does not have.
//!
//! Lead age (the `lead_age` transform of age-aware models) is part of engagement: it measures
//! how long the lead has gone without converting since it arrived, which is what recency
//! features of the events measure too.

use crate::civil;
use crate::fitted::{
    days_since, encode_age, encode_column, lead_age, FittedEvents, FittedSpec, FittedTransform,
    LeadEvent,
};
use crate::model::{keep_top, Scorer};
use crate::value::{
    bool_of, echo, email_class, email_domain_part, for_each_selection, parse_number, seniority,
    EmailClass, FieldValue, ECHO_CHARS,
};
use serde::{Deserialize, Serialize};

/// Whether a field describes who the lead is or what it did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Profile: role, company, source, email domain.
    #[default]
    Fit,
    /// Behaviour: events, visits, time on site, lead age.
    Engagement,
}

impl Part {
    /// Whether this is [`Part::Fit`] (the default, left out of files).
    pub fn is_fit(&self) -> bool {
        *self == Self::Fit
    }

    /// `fit` or `engagement`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Fit => "fit",
            Self::Engagement => "engagement",
        }
    }
}

/// Where a group's features come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The spec column at this index.
    Column(usize),
    /// The event type at this index of [`crate::fitted::FittedEvents::types`].
    EventType(usize),
    /// Distinct active days over all event types.
    ActiveDays,
    /// The interaction term at this index of [`FittedSpec::pairs`].
    Pair(usize),
}

/// The features of one input column or one event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorGroup {
    /// The column name, the event type, or `active days`.
    pub name: String,
    /// Where its features come from.
    pub source: Source,
    /// Fit or engagement.
    pub part: Part,
    /// Its features are `start..end` of the design matrix.
    pub start: usize,
    /// End of its feature range (exclusive).
    pub end: usize,
}

/// Name of the group of the distinct-active-days feature.
pub const ACTIVE_DAYS: &str = "active days";

/// The groups of a fitted spec, in feature order; together they cover every feature once.
/// Their names are distinct, as a factor's `field`, the report's rows and the notebook tell
/// fields apart by name: an event type, `active days` or a pair named like a column before it
/// (a leads column `webinar_attended` beside the event type `webinar_attended`) is named with
/// what it is, `webinar_attended (events)` or `… (pair)` ([`distinct_names`]).
pub fn factor_groups(spec: &FittedSpec) -> Vec<FactorGroup> {
    let mut groups = named_groups(spec);
    distinct_names(&mut groups);
    groups
}

/// Renames each group whose name an earlier group has: `NAME (events)` for an event type or
/// `active days`, `NAME (pair)` for a pair, then a number (`NAME (events) 2`) if that is
/// taken too. Columns come first and keep their names (a spec's column names are distinct).
fn distinct_names(groups: &mut [FactorGroup]) {
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for g in groups.iter_mut() {
        if !seen.contains(&g.name) {
            seen.insert(g.name.clone());
            continue;
        }
        let tag = match g.source {
            Source::Column(_) => "column",
            Source::EventType(_) | Source::ActiveDays => "events",
            Source::Pair(_) => "pair",
        };
        let base = format!("{} ({tag})", g.name);
        let mut name = base.clone();
        let mut n = 1;
        while seen.contains(&name) {
            n += 1;
            name = format!("{base} {n}");
        }
        seen.insert(name.clone());
        g.name = name;
    }
}

fn named_groups(spec: &FittedSpec) -> Vec<FactorGroup> {
    let mut groups = Vec::with_capacity(spec.columns.len() + 8);
    let mut at = 0;
    for (i, c) in spec.columns.iter().enumerate() {
        let w = c.transform.width();
        let part = if matches!(c.transform, FittedTransform::LeadAge { .. }) {
            Part::Engagement
        } else {
            c.part
        };
        groups.push(FactorGroup {
            name: c.name.clone(),
            source: Source::Column(i),
            part,
            start: at,
            end: at + w,
        });
        at += w;
    }
    if let Some(ev) = &spec.events {
        let per = ev.per_type();
        for (k, t) in ev.types.iter().enumerate() {
            groups.push(FactorGroup {
                name: t.clone(),
                source: Source::EventType(k),
                part: Part::Engagement,
                start: at,
                end: at + per,
            });
            at += per;
        }
        groups.push(FactorGroup {
            name: ACTIVE_DAYS.into(),
            source: Source::ActiveDays,
            part: Part::Engagement,
            start: at,
            end: at + 1,
        });
        at += 1;
    }
    for (k, p) in spec.pairs.iter().enumerate() {
        groups.push(FactorGroup {
            name: p.name(),
            source: Source::Pair(k),
            part: p.part(spec),
            start: at,
            end: at + p.width(),
        });
        at += p.width();
    }
    groups
}

/// A lead's log-odds split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// Log-odds of the average training lead.
    pub baseline: f64,
    /// Sum of the fit groups' contributions.
    pub fit: f64,
    /// Sum of the engagement groups' contributions.
    pub engagement: f64,
}

impl Split {
    /// `baseline + fit + engagement`: the lead's log-odds.
    pub fn log_odds(&self) -> f64 {
        self.baseline + self.fit + self.engagement
    }
}

/// Each group's contribution to the log-odds of the featurized lead `x` (into `out`, one per
/// group) and the fit/engagement split.
pub fn contributions(
    scorer: &Scorer,
    groups: &[FactorGroup],
    x: &[f64],
    out: &mut Vec<f64>,
) -> Split {
    out.clear();
    let (mut fit, mut engagement) = (0.0, 0.0);
    for g in groups {
        let c = scorer.contribution_of(g.start..g.end, x);
        match g.part {
            Part::Fit => fit += c,
            Part::Engagement => engagement += c,
        }
        out.push(c);
    }
    Split {
        baseline: scorer.baseline(),
        fit,
        engagement,
    }
}

/// (group index, contribution) pairs, strongest first.
pub type Ranked = Vec<(usize, f64)>;

/// The `top` strongest positive and `top` strongest negative groups: (group index,
/// contribution), strongest first. Contributions within 1e-9 of zero are left out.
pub fn strongest(contributions: &[f64], top: usize) -> (Ranked, Ranked) {
    // Room for what can be kept: a caller's `top` may be anything (`factors=10**12` from
    // Python asked for 16 TB here and aborted the interpreter).
    let room = top.min(contributions.len()) + 1;
    let mut pos: Ranked = Vec::with_capacity(room);
    let mut neg: Ranked = Vec::with_capacity(room);
    strongest_into(contributions, top, &mut pos, &mut neg);
    (pos, neg)
}

/// [`strongest`] into caller-owned lists (cleared first), reused from lead to lead.
pub fn strongest_into(contributions: &[f64], top: usize, pos: &mut Ranked, neg: &mut Ranked) {
    // One pass keeping the best `top` of each sign in order (insertion into a short list): no
    // sort of every group, it runs per lead on the serving path.
    pos.clear();
    neg.clear();
    if top == 0 {
        return;
    }
    for (i, &c) in contributions.iter().enumerate() {
        if c > 1e-9 {
            keep_top(pos, top, (i, c), |a, b| a > b);
        } else if c < -1e-9 {
            keep_top(neg, top, (i, c), |a, b| a < b);
        }
    }
}

/// A string as `{:?}` writes it (Rust's debug quoting), without escaping char by char when it
/// is plain printable ASCII with no quote or backslash.
pub struct Quoted<'a>(pub &'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0;
        if let Some(cut) = crate::value::echo_cut(s) {
            // Cut as every echoed value is: a 100 KB job title is not sent back.
            write!(f, "{:?}... ({} bytes)", &s[..cut], s.len())
        } else if is_plain(s) {
            f.write_str("\"")?;
            f.write_str(s)?;
            f.write_str("\"")
        } else {
            write!(f, "{s:?}")
        }
    }
}

impl Quoted<'_> {
    /// Appends the quoted text to `out` (no formatting machinery for plain, short text).
    fn push_to(&self, out: &mut impl std::fmt::Write) {
        if self.0.len() <= ECHO_CHARS + 56 && is_plain(self.0) {
            let _ = out.write_str("\"");
            let _ = out.write_str(self.0);
            let _ = out.write_str("\"");
        } else {
            let _ = write!(out, "{self}");
        }
    }
}

/// Printable ASCII without a quote or a backslash: quoted as is. Eight bytes at a time (a
/// byte at a time cost ~170 instructions a value on the serving path). The server's
/// `json_text::escape_at` scans the same way; sharing one function across the two crates
/// made it an out-of-line call in the request reader (+290 instructions a lead in callgrind's
/// batch count), so each crate keeps its own.
fn is_plain(s: &str) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether any byte of `x` is zero (exact for the question "any"; Hacker's Delight 6-1).
    let any_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let plain_word = |x: u64| {
        // A byte below 0x20, or 0x7f and above (0x7f + 1 sets its high bit; no carry out of
        // a byte whose high bit is masked off first).
        let outside = (x.wrapping_sub(ONES * 0x20) & !x) | ((x & !HIGH) + ONES) | x;
        outside & HIGH == 0
            && !any_zero(x ^ (ONES * u64::from(b'"')))
            && !any_zero(x ^ (ONES * u64::from(b'\\')))
    };
    let mut chunks = s.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        if !plain_word(u64::from_le_bytes(w)) {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
}

/// Appends an integer in decimal (the factor texts' counts and days).
fn push_int(out: &mut impl std::fmt::Write, n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        let _ = out.write_char('-');
    }
    // Only ASCII digits were written.
    let _ = out.write_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// Names a group by the lead's own values (see [`describe`]); `values` are the lead's values in
/// [`FittedSpec::columns`] order, which a pair needs two of.
pub fn describe_row(
    spec: &FittedSpec,
    group: &FactorGroup,
    values: &[FieldValue<'_>],
    events: &[LeadEvent<'_>],
    as_of: Option<i64>,
) -> String {
    let mut out = String::with_capacity(64);
    write_row(&mut out, spec, group, values, events, as_of);
    out
}

/// [`describe_row`] appended to `out`: the server writes a lead's factor texts one after the
/// other into one buffer, with no allocation of its own per text.
pub fn write_row(
    out: &mut impl std::fmt::Write,
    spec: &FittedSpec,
    group: &FactorGroup,
    values: &[FieldValue<'_>],
    events: &[LeadEvent<'_>],
    as_of: Option<i64>,
) {
    match group.source {
        Source::Pair(k) => match spec.pairs.get(k) {
            Some(p) => {
                let text =
                    crate::pairs::describe_pair(spec, p, values, as_of.or(spec.reference_time));
                let _ = out.write_str(&text);
            }
            None => {
                let _ = out.write_str(&group.name);
            }
        },
        Source::Column(i) => write_description(
            out,
            spec,
            group,
            spec.column_value(values, i),
            events,
            as_of,
        ),
        _ => write_description(out, spec, group, FieldValue::Missing, events, as_of),
    }
}

/// Names a group by the lead's own value: `job_title = "VP Marketing" (vp)`,
/// `email: gmail.com (free webmail)`, `demo_request: 1 in the last 7 days, last 1 day ago`,
/// `company_size missing`. `value` is the lead's value of the group's column (ignored for
/// event groups), `events` its events, `as_of` the moment of scoring.
pub fn describe(
    spec: &FittedSpec,
    group: &FactorGroup,
    value: FieldValue<'_>,
    events: &[LeadEvent<'_>],
    as_of: Option<i64>,
) -> String {
    let mut out = String::with_capacity(64);
    write_description(&mut out, spec, group, value, events, as_of);
    out
}

/// `value` as the featurizer reads it for a column of `transform`, for the text that names it:
/// missing tokens as missing, and numeric text as its number (`1.234,5` with a decimal comma
/// is 1234.5; `-1.0` where `-1` is a missing token is missing).
pub(crate) fn value_as_read<'a>(
    spec: &FittedSpec,
    transform: &FittedTransform,
    value: FieldValue<'a>,
) -> FieldValue<'a> {
    match (spec.normalize(value), transform) {
        (FieldValue::Text(s), FittedTransform::Numeric { .. }) => {
            let (decimal_comma, _, tokens) = spec.reading();
            match crate::fitted::read_number(s, decimal_comma, tokens) {
                Some(Some(x)) => FieldValue::Number(x),
                Some(None) => FieldValue::Missing,
                None => FieldValue::Text(s),
            }
        }
        // `0`, `0000-00-00`, or `-1.0` where `-1` is a missing token: an unset date, missing.
        (v, FittedTransform::Timestamp { .. })
            if crate::fitted::is_no_date(v, spec.reading().2) =>
        {
            FieldValue::Missing
        }
        (v, _) => v,
    }
}

/// [`describe`] appended to `out`.
fn write_description(
    out: &mut impl std::fmt::Write,
    spec: &FittedSpec,
    group: &FactorGroup,
    value: FieldValue<'_>,
    events: &[LeadEvent<'_>],
    as_of: Option<i64>,
) {
    let as_of = as_of.or(spec.reference_time);
    match group.source {
        Source::Column(i) => {
            let column = &spec.columns[i];
            let value = value_as_read(spec, &column.transform, value);
            write_value(
                out,
                &column.name,
                &column.transform,
                value,
                (as_of, spec.date_order),
            );
        }
        Source::EventType(k) => match &spec.events {
            Some(ev) => {
                let of_type = |sent: &str| ev.position(sent) == Some(k);
                let shape = (ev.windows_days.as_slice(), ev.days_since_max(k));
                write_events(out, &ev.types[k], &of_type, shape, events, as_of);
                if above_training(ev, k, events, as_of) {
                    let _ = out.write_str(
                        " (more than any training lead: scored as the most training saw)",
                    );
                }
            }
            None => {
                let _ = out.write_str(&group.name);
            }
        },
        Source::ActiveDays => {
            let mut days: Vec<i64> = events
                .iter()
                .filter(|e| as_of.is_none_or(|a| e.occurred_at <= a))
                .map(|e| e.occurred_at.div_euclid(86_400))
                .collect();
            days.sort_unstable();
            days.dedup();
            let _ = match days.len() {
                0 => out.write_str("no activity yet"),
                1 => out.write_str("active on 1 day"),
                n => write!(out, "active on {n} distinct days"),
            };
            let most = spec.events.as_ref().and_then(|ev| ev.max.last());
            if most.is_some_and(|m| crate::fitted::ln_1p_count(days.len() as f64) > *m) {
                let _ = out
                    .write_str(" (more than any training lead: scored as the most training saw)");
            }
        }
        // A pair needs both of its values: see [`describe_row`].
        Source::Pair(_) => {
            let _ = out.write_str(&group.name);
        }
    }
}

fn write_value(
    out: &mut impl std::fmt::Write,
    column: &str,
    transform: &FittedTransform,
    value: FieldValue<'_>,
    (as_of, date_order): (Option<i64>, crate::value::DateOrder),
) {
    if matches!(value, FieldValue::Missing) {
        let _ = out.write_str(column);
        let _ = out.write_str(" missing");
        return;
    }
    // Writing into a String cannot fail.
    let _ = match transform {
        FittedTransform::Numeric { range, .. } => match number_of(value) {
            Some(x) => {
                let _ = out.write_str(column);
                let _ = out.write_str(" = ");
                // The lead's value in full (1.9996, not the 2 of 3 decimals; 50.0004 rounded
                // would read as the training bound 50).
                Exact(x).push_to(out);
                if crate::fitted::outside(x, *range) {
                    // The factor weighs the nearest training value: say which, and why.
                    let _ = out.write_str(if range.is_some_and(|[lo, _]| x < lo) {
                        ": below every training value, scored as "
                    } else {
                        ": above every training value, scored as "
                    });
                    Exact(transform.scored_number(x)).push_to(out);
                }
                Ok(())
            }
            None => write!(out, "{column} missing"),
        },
        FittedTransform::Categorical { .. } => {
            if transform.is_unseen(value) {
                // Never seen, or too rare in training to get a feature of its own.
                write!(
                    out,
                    "{column} = {}: rare or not seen in training, scored as other",
                    echo(value)
                )
            } else {
                let _ = out.write_str(column);
                let _ = out.write_str(" = ");
                match value {
                    FieldValue::Text(s) => Quoted(s).push_to(out),
                    other => Quoted(&level_of(other)).push_to(out),
                }
                Ok(())
            }
        }
        FittedTransform::MultiSelect { separator, options } => {
            // The value as the lead has it, then the options the model could not weigh (a set:
            // a value may hold tens of thousands of distinct options).
            let mut unseen: Vec<String> = Vec::new();
            let mut distinct = std::collections::HashSet::new();
            let selected = for_each_selection(value, separator, |o| {
                if !options.iter().any(|k| k == o) && distinct.insert(o.to_string()) {
                    unseen.push(o.to_string());
                }
            });
            let _ = out.write_str(column);
            let _ = out.write_str(" = ");
            let _ = out.write_str(&echo(value));
            match unseen.as_slice() {
                _ if selected == 0 => out.write_str(": no option selected, scored as missing"),
                [] => Ok(()),
                [one] => write!(
                    out,
                    ": {} rare or not seen in training, scored as other",
                    echo(FieldValue::Text(one))
                ),
                [first, rest @ ..] => write!(
                    out,
                    ": {} and {} more rare or not seen in training, scored as other",
                    echo(FieldValue::Text(first)),
                    rest.len()
                ),
            }
        }
        FittedTransform::Boolean { missing_indicator } => match bool_of(value) {
            Some(b) => write!(out, "{column} = {}", yes_no(b)),
            // Without a missing indicator a missing value weighs as `no`: say so, since the
            // factor's sign follows from it.
            None if *missing_indicator => write!(
                out,
                "{column} = {}: not seen in training, scored as missing",
                echo(value)
            ),
            None => write!(
                out,
                "{column} = {}: not seen in training, scored as missing (as no)",
                echo(value)
            ),
        },
        FittedTransform::Email(rules) => match value {
            FieldValue::Text(s) => match (email_class(s, rules), rules.domain(s)) {
                (EmailClass::Invalid, _) | (_, None) => {
                    write!(out, "{column}: not an email address (invalid)")
                }
                (class, Some(domain)) => {
                    let _ = out.write_str(column);
                    let _ = out.write_str(": ");
                    write_lowercase(out, domain);
                    let _ = out.write_str(" (");
                    let _ = out.write_str(class.label());
                    let _ = out.write_str(")");
                    Ok(())
                }
            },
            _ => write!(out, "{column}: not an email address (invalid)"),
        },
        FittedTransform::JobTitle => match value {
            FieldValue::Missing => write!(out, "{column} missing"),
            v => {
                let s = crate::value::title_text(v);
                let _ = out.write_str(column);
                let _ = out.write_str(" = ");
                Quoted(s.trim()).push_to(out);
                let _ = out.write_str(" (");
                let _ = out.write_str(seniority(&s).label());
                let _ = out.write_str(")");
                Ok(())
            }
        },
        FittedTransform::Timestamp { max_days_since, .. } => {
            // Unix seconds or milliseconds (a number, or digits) show as their UTC date.
            let text = match value {
                FieldValue::Text(s) => s,
                _ => "",
            };
            match (crate::value::field_time(value, date_order), as_of) {
                // Not known at the scoring time: the factor is the missing value's.
                (Some(t), Some(a)) if crate::fitted::after_scoring(t, a) => write!(
                    out,
                    "{column} = {} (after the scoring time: not known then, scored as missing)",
                    WrittenDate(text, t)
                ),
                (Some(t), Some(a)) if t > a => write!(
                    out,
                    "{column} = {} (within five minutes after scoring)",
                    WrittenDate(text, t)
                ),
                (Some(t), Some(a)) => match max_days_since {
                    // The factor weighs the most days any training date had: say so.
                    Some(m) if crate::fitted::past_max_days(days_since(t, a), Some(*m)) => {
                        let days = days_since(t, a);
                        write!(
                            out,
                            "{column} = {} ({}{} before scoring): further back than any \
                             training value was, scored as {}",
                            WrittenDate(text, t),
                            // Past the limit by less than a day: "over", as whole days show.
                            if days >= 1.0 && days.floor() <= m.floor() {
                                "over "
                            } else {
                                ""
                            },
                            Days(days),
                            Days(*m)
                        )
                    }
                    _ => write!(
                        out,
                        "{column} = {} ({} before scoring)",
                        WrittenDate(text, t),
                        Days(days_since(t, a))
                    ),
                },
                _ => match value {
                    FieldValue::Text(s) => write!(out, "{column} = {}", Quoted(s)),
                    FieldValue::Number(x) => {
                        let _ = out.write_str(column);
                        let _ = out.write_str(" = ");
                        Exact(x).push_to(out);
                        Ok(())
                    }
                    _ => write!(out, "{column} missing"),
                },
            }
        }
        FittedTransform::LeadAge { landmarks_days } => {
            let created = crate::value::field_time(value, date_order);
            match (created, as_of) {
                (Some(c), Some(a)) => {
                    let age = crate::fitted::age_days(c, a);
                    match lead_age(c, a, landmarks_days) {
                        // Past the last landmark by less than a day: "over", since whole days
                        // alone would read the same on both sides.
                        Some((scored, true)) if scored >= 1.0 && age.floor() == scored.floor() => {
                            write!(
                                out,
                                "lead age: over {} (scored as {})",
                                Days(scored),
                                Days(scored)
                            )
                        }
                        Some((scored, true)) => {
                            write!(out, "lead age: {} (scored as {})", Days(age), Days(scored))
                        }
                        _ => {
                            let _ = out.write_str("lead age: ");
                            Days(age).push_to(out);
                            Ok(())
                        }
                    }
                }
                _ => out.write_str("lead age unknown"),
            }
        }
    };
}

fn write_events(
    out: &mut impl std::fmt::Write,
    event_type: &str,
    of_type: &dyn Fn(&str) -> bool,
    (windows, days_held): (&[u32], Option<f64>),
    events: &[LeadEvent<'_>],
    as_of: Option<i64>,
) {
    let ages: Vec<f64> = events
        .iter()
        .filter(|e| of_type(e.event_type))
        .filter_map(|e| match as_of {
            Some(a) if e.occurred_at <= a => Some(days_since(e.occurred_at, a)),
            Some(_) => None,
            None => Some(0.0),
        })
        .collect();
    let Some(last) = ages.iter().copied().reduce(f64::min) else {
        let _ = out.write_str(event_type);
        let _ = out.write_str(": none");
        // The lead did send it, written otherwise (`DEMO_REQUEST`, ` demo_request`): another
        // type to the model, which counts it as an active day only. Said, so that "none" is
        // not read as the lead never having requested a demo.
        let variant = events.iter().find(|e| {
            as_of.is_none_or(|a| e.occurred_at <= a)
                && !of_type(e.event_type)
                && e.event_type.trim().eq_ignore_ascii_case(event_type)
        });
        if let Some(e) = variant {
            let _ = out.write_str(" (");
            Quoted(e.event_type).push_to(out);
            let _ = out.write_str(" is another event type to this model)");
        }
        return;
    };
    let windows: std::borrow::Cow<'_, [u32]> = if windows.is_sorted() {
        windows.into()
    } else {
        let mut w = windows.to_vec();
        w.sort_unstable();
        w.into()
    };
    let count = |w: u32| ages.iter().filter(|a| **a <= f64::from(w)).count();
    let first = windows.iter().copied().find(|w| count(*w) > 0);
    let _ = write!(out, "{event_type}: ");
    let _ = match (first, windows.last().copied()) {
        (Some(w), Some(widest)) => {
            let _ = write!(out, "{} in the last {}", count(w), Plural(w, "day"));
            if widest != w && count(widest) > count(w) {
                let _ = write!(
                    out,
                    ", {} in the last {}",
                    count(widest),
                    Plural(widest, "day")
                );
            }
            Ok(())
        }
        (None, Some(widest)) => write!(out, "none in the last {}", Plural(widest, "day")),
        _ => write!(out, "{} in all", ages.len()),
    };
    let days = last.floor();
    let _ = if days < 1.0 {
        out.write_str(", last less than a day ago")
    } else if last > days && windows.iter().any(|w| f64::from(*w) == days) {
        // 7.4 days is outside the 7-day window: "7 days ago" beside "none in the last 7
        // days" would read as a contradiction.
        write!(out, ", last over {} ago", Plural(days as u32, "day"))
    } else {
        write!(out, ", last {} ago", Plural(days as u32, "day"))
    };
    let cap = crate::fitted::DAYS_SINCE_CAP;
    match days_held.filter(|m| *m < cap.min(last)) {
        // Held to the longest training saw (a model of format 11).
        Some(m) => {
            let _ = write!(
                out,
                " (longer ago than any training lead's: scored as {} days)",
                (m * 10.0).round() / 10.0
            );
        }
        None if last > cap => {
            let _ = write!(out, " (scored as {} days)", cap as u32);
        }
        None => {}
    }
}

/// Whether any of event type `k`'s counts or its decayed count for `events` known at `as_of`
/// goes past its training maximum ([`FittedEvents::max`]): computed as
/// [`FittedEvents::encode`] computes them (the same sums in the same order).
fn above_training(
    ev: &FittedEvents,
    k: usize,
    events: &[LeadEvent<'_>],
    as_of: Option<i64>,
) -> bool {
    let Some(max) = ev.max.get(ev.type_features(k)) else {
        return false;
    };
    let Some(as_of) = as_of else {
        return false;
    };
    let ages: Vec<f64> = events
        .iter()
        .filter(|e| e.occurred_at <= as_of && ev.position(e.event_type) == Some(k))
        .map(|e| days_since(e.occurred_at, as_of))
        .collect();
    let nw = ev.windows_days.len();
    let count_above = ev.windows_days.iter().zip(max).any(|(w, m)| {
        let n = ages.iter().filter(|a| **a <= f64::from(*w)).count();
        crate::fitted::ln_1p_count(n as f64) > *m
    });
    let decayed: f64 = ages.iter().map(|a| ev.decay(*a)).fold(0.0, |s, d| s + d);
    count_above || max.get(nw).is_some_and(|m| decayed.ln_1p() > *m)
}

/// `1 day`, `3 days`.
struct Plural<'a>(u32, &'a str);

impl std::fmt::Display for Plural<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            1 => write!(f, "1 {}", self.1),
            n => write!(f, "{n} {}s", self.1),
        }
    }
}

impl Plural<'_> {
    fn push_to(&self, out: &mut impl std::fmt::Write) {
        push_int(out, i64::from(self.0));
        let _ = out.write_char(' ');
        let _ = out.write_str(self.1);
        if self.0 != 1 {
            let _ = out.write_char('s');
        }
    }
}

/// Days as a person says them: `less than a day`, `1 day`, `12 days` (whole days, rounded
/// down).
struct Days(f64);

impl Days {
    fn push_to(&self, out: &mut impl std::fmt::Write) {
        if self.0 < 1.0 {
            let _ = out.write_str("less than a day");
        } else {
            Plural(self.0.floor() as u32, "day").push_to(out);
        }
    }
}

impl std::fmt::Display for Days {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 < 1.0 {
            f.write_str("less than a day")
        } else {
            Plural(self.0.floor() as u32, "day").fmt(f)
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The UTC date of a Unix time, `YYYY-MM-DD`, as factors show a date.
pub fn date_text(t: i64) -> String {
    Date(t).to_string()
}

/// The UTC date of a Unix time, `YYYY-MM-DD`.
struct Date(i64);

/// A date as [`date_text`] writes it, but as `text` (the date as its file or request wrote
/// it, `""` when it came typed) shows it: the day written, not the UTC day
/// (`2024-01-01T01:00:00+02:00` is `2024-01-01`).
pub fn written_date_text(text: &str, t: i64) -> String {
    WrittenDate(text, t).to_string()
}

/// A lead's date as the lead wrote it: the `YYYY-MM-DD` it begins with (`2024-01-01` of
/// `2024-01-01T01:00:00+02:00`, which is 2023-12-31 in UTC), else the UTC date of `t`
/// (`12/31/2023` reads as 2023-12-31).
struct WrittenDate<'a>(&'a str, i64);

impl std::fmt::Display for WrittenDate<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head = self.0.trim().as_bytes();
        let iso = head.len() >= 10
            && head[..10].iter().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        match std::str::from_utf8(&head[..head.len().min(10)]) {
            Ok(date) if iso => f.write_str(date),
            // `Fri, 24 Nov 2023 22:00:00 -0800`: the 24th as written, not the UTC day.
            _ => match crate::value::month_name_written_day(self.0) {
                Some(day) => Date(day * 86_400).fmt(f),
                None => Date(self.1).fmt(f),
            },
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = civil::civil_from_days(self.0.div_euclid(86_400));
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn number_of(value: FieldValue<'_>) -> Option<f64> {
    match value {
        FieldValue::Number(x) => Some(x),
        FieldValue::Text(s) => parse_number(s),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

/// The level a value stands for in a categorical column (numbers and yes/no as the featurizer
/// matches them).
pub(crate) fn level_of(value: FieldValue<'_>) -> String {
    match value {
        FieldValue::Text(s) => s.to_string(),
        FieldValue::Number(x) => crate::value::number_to_level(x),
        FieldValue::Bool(b) => if b { "true" } else { "false" }.into(),
        FieldValue::Missing => String::new(),
    }
}

/// A number as a person writes it: integers without decimals, others to 3 significant decimals.
pub fn fmt_number(x: f64) -> String {
    Num(x).to_string()
}

/// A number as the shortest text that reads back as exactly it (`3`, `0.1`, `50.0004`), with an
/// exponent when it is very large or small (`1e20`, `1.2e-7`): a value shown as the lead has
/// it, where [`fmt_number`]'s rounding could make it look like another (a value just above the
/// largest training value rounds to it).
pub fn fmt_exact(x: f64) -> String {
    Exact(x).to_string()
}

/// [`fmt_exact`] as a `Display`: how a factor shows the lead's own number (`1.9996`, not the
/// `2` that rounding to 3 decimals makes of it, which a pair's cell `(< 2)` contradicted).
pub(crate) struct Exact(pub f64);

impl std::fmt::Display for Exact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        let a = x.abs();
        if a >= 1e15 || (a != 0.0 && a < 1e-4) {
            write!(f, "{x:e}")
        } else {
            // `-0` and `0` are one value here.
            write!(f, "{}", x + 0.0)
        }
    }
}

impl Exact {
    fn push_to(&self, out: &mut impl std::fmt::Write) {
        let x = self.0;
        if x.fract() == 0.0 && x.abs() < 1e15 {
            push_int(out, x as i64);
        } else {
            let _ = write!(out, "{self}");
        }
    }
}

/// [`fmt_number`] as a `Display`, written without an allocation for every number a factor
/// text shows (a stack buffer holds the 3-decimal form while its trailing zeros are cut).
struct Num(f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        let x = self.0;
        if x.fract() == 0.0 && x.abs() < 1e15 {
            return write!(f, "{}", x as i64);
        }
        let mut buf = StackText::<40>::default();
        if x.abs() >= 1e15 && x.is_finite() {
            // Past what f64 holds to the unit: 4 significant digits and the exponent
            // (`1.235e29`, `1e308`), not 309 digits that are mostly not the lead's.
            let _ = write!(buf, "{x:.3e}");
            let text = buf.as_str();
            let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
            return write!(f, "{}e{exponent}", trim_decimals(mantissa));
        }
        if write!(buf, "{x:.3}").is_ok() {
            return f.write_str(trim_decimals(buf.as_str()));
        }
        // Longer than the buffer (cannot happen below 1e15): through a String.
        f.write_str(trim_decimals(&format!("{x:.3}")))
    }
}

/// `12.500` -> `12.5`, `3.000` -> `3` (for a number written with decimals).
fn trim_decimals(s: &str) -> &str {
    s.trim_end_matches('0').trim_end_matches('.')
}

/// A fixed-size text buffer on the stack; writing past its end fails.
struct StackText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for StackText<N> {
    fn default() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> StackText<N> {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> std::fmt::Write for StackText<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `s` with ASCII letters lower-cased (a domain), without allocating for the usual lengths.
/// An email's domain, lower-cased; quoted and escaped ([`Quoted`]) when it is long or holds
/// something that is not printable ASCII (a zero-width space written as is would show a domain
/// that looks like another).
fn write_lowercase(out: &mut impl std::fmt::Write, s: &str) {
    if s.len() > ECHO_CHARS + 56 || !is_plain(s) {
        Quoted(&s.to_ascii_lowercase()).push_to(out);
        return;
    }
    if !s.bytes().any(|b| b.is_ascii_uppercase()) {
        let _ = out.write_str(s);
        return;
    }
    for c in s.chars() {
        let _ = out.write_char(c.to_ascii_lowercase());
    }
}

/// The lower-cased domain of an email address (or of a bare domain), without a trailing dot.
pub fn email_domain(email: &str) -> Option<String> {
    email_domain_part(email).map(str::to_ascii_lowercase)
}

/// Percentiles 0..=100 of `values` (sorted in place); empty when there are none.
pub fn percentiles(values: &mut [f64]) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return Vec::new();
    }
    let n = values.len() - 1;
    (0..=100).map(|k| values[(k * n + 50) / 100]).collect()
}

/// Where `v` falls among training leads, 0 to 100, given their [`percentiles`]: interpolated
/// between percentiles, and the middle of a run of equal ones (many leads with no events share
/// one engagement value). `None` without percentiles.
pub fn percentile_of(percentiles: &[f64], v: f64) -> Option<f64> {
    let (first, last) = (*percentiles.first()?, *percentiles.last()?);
    let n = (percentiles.len() - 1) as f64;
    if v < first {
        return Some(0.0);
    }
    if v > last {
        return Some(100.0);
    }
    let lo = percentiles.partition_point(|q| *q < v);
    let hi = percentiles.partition_point(|q| *q <= v);
    let at = if hi > lo {
        // v equals percentiles lo..hi: the middle of the run.
        (lo + hi - 1) as f64 / 2.0
    } else {
        // percentiles[lo - 1] < v < percentiles[lo].
        let (a, b) = (percentiles[lo - 1], percentiles[lo]);
        (lo - 1) as f64 + (v - a) / (b - a)
    };
    Some((at * 100.0 / n).clamp(0.0, 100.0))
}

/// What a field does to the log-odds across its values (relative to the average training lead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shape {
    /// A numeric input: the effect at each value.
    Curve {
        /// What the x axis is (`TotalVisits`, `days since the last demo_request`).
        x_label: String,
        /// (value, effect on the log-odds), ascending in value.
        points: Vec<(f64, f64)>,
        /// The effect of a value that is not on the curve: missing, or no event at all.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<(String, f64)>,
    },
    /// A categorical input: the effect of each value.
    Bars {
        /// (value, effect on the log-odds).
        bars: Vec<(String, f64)>,
    },
    /// An interaction term: the effect of each cell of its two columns (a heat map).
    Grid {
        /// The first column (rows).
        y_label: String,
        /// The second column (columns).
        x_label: String,
        /// The first column's cells, as conditions (`= Unemployed`, `is missing`).
        rows: Vec<String>,
        /// The second column's cells.
        columns: Vec<String>,
        /// `effects[i][j]`: the effect on the log-odds of cell (row i, column j).
        effects: Vec<Vec<f64>>,
    },
}

/// One field's summary for the report: how much it moves scores, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// The column name, event type or `active days`.
    pub name: String,
    /// Fit or engagement.
    pub part: Part,
    /// Mean absolute contribution over training examples (log-odds): the field's importance.
    pub importance: f64,
    /// Its effect across its values.
    pub shape: Shape,
}

/// How each field and the fit/engagement parts are distributed among training examples, and the
/// holdout's fit x engagement grid: the artifact's `explain` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExplainSummary {
    /// One per [`factor_groups`] group, in the same order.
    pub groups: Vec<GroupSummary>,
    /// Percentiles 0..=100 of the fit part over training examples.
    pub fit_percentiles: Vec<f64>,
    /// Percentiles 0..=100 of the engagement part over training examples.
    pub engagement_percentiles: Vec<f64>,
    /// Holdout leads by fit band x engagement band.
    pub grid: PartsGrid,
    /// A few holdout leads with their explanations, as the server gives them: the highest and
    /// lowest scores, the one nearest the cutoff, and one a gate held back (if any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<ExplainedLead>,
}

/// One explained holdout lead (see [`ExplainSummary::examples`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainedLead {
    /// Why it was picked (`highest score`).
    pub why: String,
    /// The lead id (or data row).
    pub id: String,
    /// The moment it was scored at, Unix seconds (models with lead times).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<i64>,
    /// Its score.
    pub score: f64,
    /// Whether it converted (within the horizon after `as_of`).
    pub converted: bool,
    /// Baseline, fit and engagement log-odds.
    pub split: Split,
    /// Fit percentile among training examples.
    pub fit_percentile: Option<f64>,
    /// Engagement percentile among training examples.
    pub engagement_percentile: Option<f64>,
    /// Gates that held it back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_back: Vec<String>,
    /// Its key factors: (field, factor, part, contribution), positives then negatives.
    pub factors: Vec<(String, String, Part, f64)>,
}

/// Holdout examples counted by fit band (rows) and engagement band (columns); bands are the
/// training quartiles of each part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartsGrid {
    /// Inner band edges of fit (training quartiles; equal edges merge bands).
    pub fit_edges: Vec<f64>,
    /// Inner band edges of engagement.
    pub engagement_edges: Vec<f64>,
    /// `cells[f][e]` = (examples, converted).
    pub cells: Vec<Vec<(u64, u64)>>,
}

impl PartsGrid {
    /// The grid of holdout `(fit, engagement, converted)` with bands at the training quartiles.
    pub fn new(
        fit_percentiles: &[f64],
        engagement_percentiles: &[f64],
        rows: impl Iterator<Item = (f64, f64, bool)>,
    ) -> Self {
        let edges = |p: &[f64]| -> Vec<f64> {
            let mut e: Vec<f64> = [25, 50, 75]
                .iter()
                .filter_map(|k| p.get(*k).copied())
                .collect();
            e.dedup();
            e
        };
        let (fe, ee) = (edges(fit_percentiles), edges(engagement_percentiles));
        let mut cells = vec![vec![(0u64, 0u64); ee.len() + 1]; fe.len() + 1];
        for (f, e, y) in rows {
            let (i, j) = (band(f, &fe), band(e, &ee));
            cells[i][j].0 += 1;
            cells[i][j].1 += u64::from(y);
        }
        Self {
            fit_edges: fe,
            engagement_edges: ee,
            cells,
        }
    }
}

/// Band of `v` given ascending inner edges: band 0 is `v < e[0]`... a value on an edge goes up.
pub fn band(v: f64, edges: &[f64]) -> usize {
    edges.partition_point(|e| *e <= v)
}

/// The effect of each value of a group on the log-odds, relative to the average training lead.
/// `numeric_values`: for numeric columns, values seen in training (the curve spans their 1st to
/// 99th percentile); ignored for other groups.
pub fn shape(
    spec: &FittedSpec,
    scorer: &Scorer,
    group: &FactorGroup,
    numeric_values: &[f64],
) -> Shape {
    let effect = |slot: &[f64]| -> f64 {
        slot.iter()
            .enumerate()
            .map(|(k, v)| scorer.contribution(group.start + k, *v))
            .sum()
    };
    let width = group.end - group.start;
    // The effect of setting exactly feature k of the group to 1 (a one-hot level).
    let one_hot = |k: usize| {
        let mut slot = vec![0.0; width];
        slot[k] = 1.0;
        effect(&slot)
    };
    let names = || -> Vec<String> {
        spec.features()[group.start..group.end]
            .iter()
            .map(|f| f.name.clone())
            .collect()
    };
    match group.source {
        Source::Column(i) => {
            let col = &spec.columns[i];
            let value_effect = |v: FieldValue<'_>| -> Option<f64> {
                let mut slot = vec![0.0; width];
                encode_column(
                    &col.transform,
                    &col.name,
                    v,
                    spec.reference_time,
                    &spec.reading(),
                    &mut slot,
                )
                .ok()?;
                Some(effect(&slot))
            };
            match &col.transform {
                FittedTransform::Numeric {
                    missing_indicator,
                    bin_edges,
                    log1p,
                    ..
                } => {
                    let grid = numeric_grid(numeric_values, bin_edges, *log1p);
                    let points = grid
                        .into_iter()
                        .filter_map(|v| Some((v, value_effect(FieldValue::Number(v))?)))
                        .collect();
                    Shape::Curve {
                        x_label: col.name.clone(),
                        points,
                        reference: missing_indicator
                            .then(|| value_effect(FieldValue::Missing))
                            .flatten()
                            .map(|e| ("missing".to_string(), e)),
                    }
                }
                FittedTransform::Boolean { missing_indicator } => {
                    let mut bars = vec![
                        ("yes".to_string(), value_effect(FieldValue::Bool(true))),
                        ("no".to_string(), value_effect(FieldValue::Bool(false))),
                    ];
                    if *missing_indicator {
                        bars.push(("missing".into(), value_effect(FieldValue::Missing)));
                    }
                    Shape::Bars {
                        bars: bars
                            .into_iter()
                            .filter_map(|(l, e)| Some((l, e?)))
                            .collect(),
                    }
                }
                FittedTransform::Categorical { .. }
                | FittedTransform::MultiSelect { .. }
                | FittedTransform::Email(_)
                | FittedTransform::JobTitle => {
                    // A feature's name without the column and the one separator its transform
                    // writes (`col = level`, `col includes option`, `col domain: business`,
                    // `col seniority: vp`, `col is missing`): the level as the data writes it.
                    // Trimming every leading `=`, `:` and space and every such word took them
                    // from the levels too (`= legacy`, `domain: retail` read `legacy`, `retail`).
                    let prefix = |n: &str| -> String {
                        let n = n.strip_prefix(col.name.as_str()).unwrap_or(n);
                        [" = ", " includes ", " domain: ", " seniority: ", " "]
                            .iter()
                            .find_map(|sep| n.strip_prefix(sep))
                            .unwrap_or(n)
                            .to_string()
                    };
                    Shape::Bars {
                        bars: names()
                            .iter()
                            .enumerate()
                            .map(|(k, n)| (prefix(n), one_hot(k)))
                            .collect(),
                    }
                }
                FittedTransform::Timestamp {
                    missing_indicator,
                    max_days_since,
                    ..
                } => {
                    // Days since, with month and weekday at their average (no contribution);
                    // flat past the oldest training date, as it is scored.
                    let present = if *missing_indicator {
                        scorer.contribution(group.start + 1, 0.0)
                    } else {
                        0.0
                    };
                    let points = (0..=36)
                        .map(|k| {
                            let d = f64::from(k) * 10.0;
                            let scored = crate::fitted::scored_days(d, *max_days_since);
                            (d, scorer.contribution(group.start, scored) + present)
                        })
                        .collect();
                    Shape::Curve {
                        x_label: format!("days since {}", col.name),
                        points,
                        reference: missing_indicator
                            .then(|| value_effect(FieldValue::Missing))
                            .flatten()
                            .map(|e| ("missing".to_string(), e)),
                    }
                }
                FittedTransform::LeadAge { landmarks_days } => {
                    let (lo, hi) = (
                        landmarks_days.first().copied().unwrap_or(0.0),
                        landmarks_days.last().copied().unwrap_or(0.0),
                    );
                    let points = (0..=60)
                        .map(|k| {
                            let age = lo + (hi - lo) * f64::from(k) / 60.0;
                            let mut slot = vec![0.0; width];
                            if landmarks_days.len() >= 2 {
                                encode_age(age, landmarks_days, &mut slot);
                            }
                            (age, effect(&slot))
                        })
                        .collect();
                    Shape::Curve {
                        x_label: "lead age, days".into(),
                        points,
                        reference: None,
                    }
                }
            }
        }
        Source::EventType(k) => {
            let Some(ev) = &spec.events else {
                return Shape::Bars { bars: Vec::new() };
            };
            let t = ev.types[k].as_str();
            let as_of = 1_000 * 86_400;
            let widest = ev.windows_days.iter().copied().max().unwrap_or(30).max(30);
            let at = |events: &[LeadEvent<'_>]| {
                let mut full = vec![0.0; ev.width()];
                ev.encode(events, as_of, &mut full);
                effect(&full[k * ev.per_type()..(k + 1) * ev.per_type()])
            };
            let points = (0..=widest)
                .map(|d| {
                    let e = [LeadEvent {
                        event_type: t,
                        occurred_at: as_of - i64::from(d) * 86_400,
                    }];
                    (f64::from(d), at(&e))
                })
                .collect();
            Shape::Curve {
                x_label: format!("days since a single {t}"),
                points,
                reference: Some(("none".into(), at(&[]))),
            }
        }
        Source::Pair(k) => {
            let Some(p) = spec.pairs.get(k) else {
                return Shape::Bars { bars: Vec::new() };
            };
            let effects = (0..p.a.cells.len())
                .map(|i| {
                    (0..p.b.cells.len())
                        .map(|j| {
                            let mut slot = vec![0.0; width];
                            if let Some(f) = p.feature_of(i, j) {
                                slot[f] = 1.0;
                            }
                            effect(&slot)
                        })
                        .collect()
                })
                .collect();
            Shape::Grid {
                y_label: p.a.column.clone(),
                x_label: p.b.column.clone(),
                rows: p.a.cells.clone(),
                columns: p.b.cells.clone(),
                effects,
            }
        }
        Source::ActiveDays => Shape::Curve {
            x_label: "distinct active days".into(),
            points: (0..=30)
                .map(|n| {
                    let x = f64::from(n).ln_1p();
                    (f64::from(n), scorer.contribution(group.start, x))
                })
                .collect(),
            reference: None,
        },
    }
}

/// Values to draw a numeric column's curve at: evenly spaced (in log1p space for log1p
/// columns) between the 1st and 99th percentile of the training values, plus each bin edge
/// and a point just below it so a step draws as a step.
fn numeric_grid(values: &[f64], bin_edges: &[f64], log1p: bool) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return bin_edges.to_vec();
    }
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let (lo, hi) = (at(0.01), at(0.99));
    type Map = fn(f64) -> f64;
    let (f, inv): (Map, Map) = if log1p {
        (crate::fitted::signed_log1p, |y: f64| {
            y.signum() * y.abs().exp_m1()
        })
    } else {
        (|x| x, |x| x)
    };
    let (a, b) = (f(lo), f(hi));
    let mut grid: Vec<f64> = (0..=48)
        .map(|k| inv(a + (b - a) * f64::from(k) / 48.0))
        .collect();
    for e in bin_edges {
        if *e > lo && *e < hi {
            grid.push(*e);
            grid.push(*e - (hi - lo).abs().max(1e-9) * 1e-6);
        }
    }
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    grid
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fitted::{FittedColumn, FittedEvents};
    use crate::model::{FeatureWeight, LinearModel};
    use crate::value::EmailRules;

    /// Any number of factors may be asked for (Python passes its int through): only what the
    /// lead has is kept, and nothing is reserved for the rest.
    #[test]
    fn a_huge_top_keeps_what_there_is() {
        let (pos, neg) = strongest(&[0.5, -0.25, 0.0, 1.0], usize::MAX / 2);
        assert_eq!(pos, [(3, 1.0), (0, 0.5)]);
        assert_eq!(neg, [(1, -0.25)]);
    }

    #[test]
    fn numbers_are_written_short() {
        let cases = [
            (3.0, "3"),
            (12.5, "12.5"),
            (-0.1234, "-0.123"),
            (1e14, "100000000000000"),
            (1e15, "1e15"),
            (123456789012345678901234567890.0, "1.235e29"),
            (-2.5e20, "-2.5e20"),
            (1e308, "1e308"),
            (9007199254740993.0, "9.007e15"),
        ];
        for (x, text) in cases {
            assert_eq!(fmt_number(x), text, "{x}");
        }
        // Every finite number is short, whatever its size.
        assert!(fmt_number(f64::MAX).len() <= 12);
        // Exact: the shortest text that reads back as the number, bounded in length.
        for (x, text) in [
            (3.0, "3"),
            (-0.0, "0"),
            (50.0004, "50.0004"),
            (1e20, "1e20"),
            (1.2e29, "1.2e29"),
            (-3.5e-7, "-3.5e-7"),
            (123456.789, "123456.789"),
        ] {
            assert_eq!(fmt_exact(x), text, "{x}");
        }
        for x in [
            f64::MAX,
            f64::MIN_POSITIVE,
            0.1 + 0.2,
            1.0 / 3.0,
            -9007199254740993.0,
        ] {
            let t = fmt_exact(x);
            assert_eq!(t.parse::<f64>().unwrap(), x, "{t}");
            assert!(t.len() <= 25, "{t}");
        }
    }

    #[test]
    fn quoting_and_domains_read_as_their_char_by_char_definitions() {
        // The definitions the word-at-a-time and byte-by-byte versions replace.
        let plain = |s: &str| {
            s.bytes()
                .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        };
        let domain = |email: &str| -> Option<String> {
            let email = email.trim();
            let domain = match email.rsplit_once('@') {
                Some((local, d)) if !local.is_empty() => d,
                Some(_) => return None,
                None => email,
            };
            let d = domain.trim_end_matches('.');
            (!d.is_empty() && d.contains('.') && !d.contains(char::is_whitespace))
                .then(|| d.to_string())
        };
        let mut texts: Vec<String> = [
            "",
            "a@b.co",
            "@b.co",
            "a@",
            "a@.",
            "a@b.co.",
            "a@b..",
            " a@b.co ",
            "a@b .co",
            "\u{a0}x@y.com\u{3000}",
            "x@y.com\u{85}",
            "b.co",
            "bco",
            "a@b@c.io",
            "a@caf\u{e9}.fr",
            "\ta@b.co\n",
            "a\u{1}@b.co",
            "Jo \"Q\" Public",
            "back\\slash",
            "caf\u{e9}",
        ]
        .map(String::from)
        .to_vec();
        // Every byte a char can start with, at each position of an 8-byte word and past it.
        for c in (0u32..0x100).filter_map(char::from_u32) {
            for at in 0..18 {
                let text = format!("{}{c}{}", "a".repeat(at), ".b".repeat(9 - at / 2));
                texts.push(text.clone());
                texts.push(format!("x@{text}"));
            }
        }
        for t in &texts {
            assert_eq!(is_plain(t), plain(t), "{t:?}");
            assert_eq!(email_domain_part(t).map(String::from), domain(t), "{t:?}");
        }
    }

    fn spec() -> FittedSpec {
        let col = |name: &str, transform, part| FittedColumn {
            name: name.into(),
            transform,
            part,
            sum_of: Vec::new(),
        };
        FittedSpec {
            missing_tokens: vec!["".into()],
            reference_time: None,
            columns: vec![
                col(
                    "visits",
                    FittedTransform::Numeric {
                        median: 3.0,
                        missing_indicator: true,
                        log1p: false,
                        bin_edges: vec![2.0],
                        range: Some([0.0, 40.0]),
                    },
                    Part::Engagement,
                ),
                col(
                    "source",
                    FittedTransform::Categorical {
                        levels: vec!["Web".into()],
                    },
                    Part::Fit,
                ),
                col(
                    "email",
                    FittedTransform::Email(EmailRules::default()),
                    Part::Fit,
                ),
                col("title", FittedTransform::JobTitle, Part::Fit),
            ],
            events: Some(FittedEvents {
                types: vec!["demo".into()],
                windows_days: vec![7, 30],
                half_life_days: 14.0,
                other_types: vec![],
                index: Default::default(),
                max: Vec::new(),
                days_since_held: false,
            }),
            pairs: Vec::new(),
            decimal_comma: false,
            date_order: Default::default(),
            missing_lengths: Default::default(),
        }
    }

    fn model(spec: &FittedSpec) -> LinearModel {
        LinearModel {
            intercept: -1.0,
            features: spec
                .features()
                .into_iter()
                .enumerate()
                .map(|(i, f)| FeatureWeight {
                    name: f.name,
                    column: f.column,
                    mean: 0.1 * (i % 3) as f64,
                    std: 1.0 + 0.5 * (i % 2) as f64,
                    weight: 0.3 * ((i * 7) % 5) as f64 - 0.6,
                    odds_ratio: 1.0,
                    active_share: 0.5,
                })
                .collect(),
        }
    }

    /// A column named like an event type (or `active days`) keeps its name; the events' group
    /// says what it is, so no two fields share a name (the notebook refused such a model, and
    /// a factor's `field` could not tell them apart).
    #[test]
    fn a_column_named_like_an_event_type_keeps_fields_apart() {
        let mut s = spec();
        s.columns[3].name = "demo".into();
        s.columns[2].name = ACTIVE_DAYS.into();
        let names: Vec<String> = factor_groups(&s).into_iter().map(|g| g.name).collect();
        assert_eq!(
            names,
            [
                "visits",
                "source",
                ACTIVE_DAYS,
                "demo",
                "demo (events)",
                "active days (events)"
            ]
        );
        let mut groups = factor_groups(&s);
        groups.push(groups[4].clone());
        distinct_names(&mut groups);
        assert_eq!(groups[6].name, "demo (events) (events)");
    }

    #[test]
    fn groups_cover_every_feature_once_and_sum_to_the_log_odds() {
        let s = spec();
        let m = model(&s);
        let groups = factor_groups(&s);
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            ["visits", "source", "email", "title", "demo", ACTIVE_DAYS]
        );
        assert_eq!(groups[0].part, Part::Engagement);
        assert_eq!(groups[4].part, Part::Engagement);
        let mut at = 0;
        for g in &groups {
            assert_eq!(g.start, at);
            at = g.end;
        }
        assert_eq!(at, s.width());
        let scorer = Scorer::new(&m);
        let lead: std::collections::HashMap<String, String> = [
            ("visits", "5"),
            ("source", "Ads"),
            ("email", "a@gmail.com"),
            ("title", "VP Sales"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let events = [LeadEvent {
            event_type: "demo",
            occurred_at: 10 * 86_400,
        }];
        let mut x = vec![0.0; s.width()];
        s.featurize_with_events_into(&lead, &events, Some(12 * 86_400), &mut x)
            .unwrap();
        let mut c = Vec::new();
        let split = contributions(&scorer, &groups, &x, &mut c);
        assert!((split.log_odds() - m.log_odds(&x)).abs() < 1e-12);
        assert!((c.iter().sum::<f64>() - split.fit - split.engagement).abs() < 1e-12);
        assert!((split.engagement - c[0] - c[4] - c[5]).abs() < 1e-12);
        let value = |g: usize| match groups[g].source {
            Source::Column(i) => lead
                .get(&s.columns[i].name)
                .map_or(FieldValue::Missing, |v| FieldValue::Text(v)),
            _ => FieldValue::Missing,
        };
        let said: Vec<String> = (0..groups.len())
            .map(|g| describe(&s, &groups[g], value(g), &events, Some(12 * 86_400)))
            .collect();
        assert_eq!(
            said,
            [
                "visits = 5",
                "source = \"Ads\": rare or not seen in training, scored as other",
                "email: gmail.com (free webmail)",
                "title = \"VP Sales\" (vp)",
                "demo: 1 in the last 7 days, last 2 days ago",
                "active on 1 day",
            ]
        );
        // Outside the training range: the lead's value, and the value it weighs as.
        for (v, text) in [
            (
                FieldValue::Number(1.2e29),
                "visits = 1.2e29: above every training value, scored as 40",
            ),
            (
                FieldValue::Text("-2.5"),
                "visits = -2.5: below every training value, scored as 0",
            ),
            (
                FieldValue::Number(40.0004),
                "visits = 40.0004: above every training value, scored as 40",
            ),
            (FieldValue::Number(40.0), "visits = 40"),
            // Inside, the lead's value in full too: not a rounded 40.
            (FieldValue::Number(39.9996), "visits = 39.9996"),
            (FieldValue::Text("2.33333"), "visits = 2.33333"),
        ] {
            assert_eq!(describe(&s, &groups[0], v, &[], None), text);
        }
        let (pos, neg) = strongest(&c, 2);
        assert!(pos.len() <= 2 && neg.len() <= 2);
        assert!(pos.windows(2).all(|w| w[0].1 >= w[1].1));
        assert!(neg.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    /// A value a factor echoes is cut as every echoed value is, numbers past 1e15 get an
    /// exponent, and an email domain with an invisible character is escaped, not shown as the
    /// domain it looks like.
    /// An event type written otherwise than training's (case, spaces) is another type to the
    /// model; its "none" says the lead sent it so.
    #[test]
    fn none_of_an_event_type_names_the_same_type_written_otherwise() {
        let text = |events: &[LeadEvent<'_>]| {
            let mut out = String::new();
            let of_type = |sent: &str| sent == "demo_request";
            write_events(
                &mut out,
                "demo_request",
                &of_type,
                (&[7, 90], None),
                events,
                Some(1_000_000),
            );
            out
        };
        let e = |t| LeadEvent {
            event_type: t,
            occurred_at: 999_000,
        };
        assert_eq!(
            text(&[e("DEMO_REQUEST")]),
            "demo_request: none (\"DEMO_REQUEST\" is another event type to this model)"
        );
        assert_eq!(text(&[e("webinar")]), "demo_request: none");
        // After as_of: not known then, not named.
        let later = LeadEvent {
            event_type: "Demo_Request",
            occurred_at: 2_000_000,
        };
        assert_eq!(text(&[later]), "demo_request: none");
        assert!(text(&[e("demo_request")]).starts_with("demo_request: 1 in the last 7 days"));
    }

    #[test]
    fn echoed_values_are_cut_and_escaped() {
        let text = |t: &FittedTransform, v: FieldValue<'_>| {
            let mut out = String::new();
            write_value(&mut out, "f", t, v, (None, Default::default()));
            out
        };
        let long = format!("VP {}", "x".repeat(100_000));
        let title = text(&FittedTransform::JobTitle, FieldValue::Text(&long));
        assert!(title.len() < 300, "{} bytes", title.len());
        assert!(title.contains("... (100003 bytes)"), "{title}");
        let levels = FittedTransform::Categorical {
            levels: vec!["a".into()],
        };
        assert_eq!(
            text(&levels, FieldValue::Number(1e308)),
            "f = 1e308: rare or not seen in training, scored as other"
        );
        let email = FittedTransform::Email(EmailRules::default());
        assert_eq!(
            text(&email, FieldValue::Text("ana@AC\u{200b}me.io")),
            "f: \"ac\\u{200b}me.io\" (business)"
        );
        assert_eq!(
            text(&email, FieldValue::Text("ana@ACME.io")),
            "f: acme.io (business)"
        );
        let domain = format!("ana@{}.io", "a".repeat(5_000));
        let shown = text(&email, FieldValue::Text(&domain));
        assert!(
            shown.len() < 300 && shown.contains("(5003 bytes)"),
            "{shown}"
        );
    }

    /// A date older than every training date says what it was scored as.
    #[test]
    fn a_date_older_than_training_says_what_it_was_scored_as() {
        let as_of = 20_000 * 86_400;
        let t = FittedTransform::Timestamp {
            median_days_since: 10.0,
            missing_indicator: false,
            max_days_since: Some(400.0),
        };
        let text = |v: &str| {
            let mut out = String::new();
            write_value(
                &mut out,
                "signup",
                &t,
                FieldValue::Text(v),
                (Some(as_of), Default::default()),
            );
            out
        };
        assert_eq!(
            text("1900-01-01"),
            "signup = 1900-01-01 (45567 days before scoring): further back than any training \
             value was, scored as 400 days"
        );
        // Past the limit by less than a day: "over" the days it shows.
        assert_eq!(
            text("2023-08-30T23:00:00Z"),
            "signup = 2023-08-30 (over 400 days before scoring): further back than any training \
             value was, scored as 400 days"
        );
        assert_eq!(
            text(&date_text(as_of - 30 * 86_400)),
            "signup = 2024-09-04 (30 days before scoring)"
        );
        // After the scoring time: within the five minutes of clock skew, said so; later (an
        // hour), not known then (scored as missing). The date as the lead wrote it, not its
        // UTC day.
        assert_eq!(
            text("2024-10-04T00:04:00Z"),
            "signup = 2024-10-04 (within five minutes after scoring)"
        );
        assert_eq!(
            text("2024-10-04T01:00:00Z"),
            "signup = 2024-10-04 (after the scoring time: not known then, scored as missing)"
        );
        assert_eq!(
            text("2025-03-01"),
            "signup = 2025-03-01 (after the scoring time: not known then, scored as missing)"
        );
        assert_eq!(
            text("2024-09-05T01:00:00+02:00"),
            "signup = 2024-09-05 (29 days before scoring)"
        );
        // A mail header's date, the 4th as written (the 5th in UTC, whose moment the days
        // count from).
        assert_eq!(
            text("Wed, 4 Sep 2024 22:00:00 -0800"),
            "signup = 2024-09-04 (28 days before scoring)"
        );
        assert_eq!(
            text("Sep 4, 2024"),
            "signup = 2024-09-04 (30 days before scoring)"
        );
        // Unix seconds or milliseconds, as digits or a number: their UTC date.
        let thirty = as_of - 30 * 86_400;
        assert_eq!(
            text(&thirty.to_string()),
            "signup = 2024-09-04 (30 days before scoring)"
        );
        let mut out = String::new();
        write_value(
            &mut out,
            "signup",
            &t,
            FieldValue::Number(thirty as f64 * 1000.0),
            (Some(as_of), Default::default()),
        );
        assert_eq!(out, "signup = 2024-09-04 (30 days before scoring)");
        // Training dates within half a day of its end: no "over less than a day".
        let short = FittedTransform::Timestamp {
            median_days_since: 0.2,
            missing_indicator: false,
            max_days_since: Some(0.5),
        };
        let mut out = String::new();
        write_value(
            &mut out,
            "exported_at",
            &short,
            FieldValue::Text("2024-10-03T06:00:00Z"),
            (Some(as_of), Default::default()),
        );
        assert_eq!(
            out,
            "exported_at = 2024-10-03 (less than a day before scoring): further back than any \
             training value was, scored as less than a day"
        );
    }

    #[test]
    fn quoted_is_debug_quoting() {
        for s in [
            "",
            "VP Sales",
            "it's",
            "say \"hi\"",
            "back\\slash",
            "tab\there",
            "new\nline",
            "caf\u{e9}",
            "\u{301}accent first",
            "zero\u{200b}width",
            "bell\u{7}",
            "del\u{7f}",
            "~!@#$%^&*()_+{}|:<>?`-=[];',./",
        ] {
            assert_eq!(Quoted(s).to_string(), format!("{s:?}"), "{s:?}");
        }
    }

    #[test]
    fn strongest_is_the_sorted_top_with_ties_in_group_order() {
        fn reference(c: &[f64], top: usize) -> (Ranked, Ranked) {
            let mut pos: Ranked = c
                .iter()
                .copied()
                .enumerate()
                .filter(|e| e.1 > 1e-9)
                .collect();
            let mut neg: Ranked = c
                .iter()
                .copied()
                .enumerate()
                .filter(|e| e.1 < -1e-9)
                .collect();
            pos.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            neg.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            pos.truncate(top);
            neg.truncate(top);
            (pos, neg)
        }
        let mut rng = crate::rng::SeededRng::new(5);
        for case in 0..500 {
            let n = case % 23;
            // Few distinct values, so ties are common; zeros, tiny values and NaN too.
            let c: Vec<f64> = (0..n)
                .map(|_| match (rng.uniform() * 9.0) as u32 {
                    0 => 0.0,
                    1 => 5e-10,
                    2 => f64::NAN,
                    k => (f64::from(k) - 5.5).round() / 2.0,
                })
                .collect();
            for top in [0, 1, 3, 5, 30] {
                assert_eq!(strongest(&c, top), reference(&c, top), "{c:?} top {top}");
            }
        }
    }

    #[test]
    fn values_training_did_not_see_are_named_as_sent() {
        let mut s = spec();
        let groups_of = |s: &FittedSpec| factor_groups(s);
        for indicator in [true, false] {
            s.columns.push(FittedColumn {
                name: format!("q{}", u8::from(indicator)),
                transform: FittedTransform::Boolean {
                    missing_indicator: indicator,
                },
                part: Part::Fit,
                sum_of: Vec::new(),
            });
        }
        let groups = groups_of(&s);
        let (q1, q0) = (&groups[4], &groups[5]);
        let say = |g: &FactorGroup, v| describe(&s, g, v, &[], Some(0));
        assert_eq!(say(q1, FieldValue::Text("1")), "q1 = yes");
        assert_eq!(say(q1, FieldValue::Number(0.0)), "q1 = no");
        assert_eq!(say(q1, FieldValue::Text(" No")), "q1 = no");
        assert_eq!(
            say(q1, FieldValue::Text("3")),
            "q1 = \"3\": not seen in training, scored as missing"
        );
        assert_eq!(
            say(q1, FieldValue::Number(3.0)),
            "q1 = 3: not seen in training, scored as missing"
        );
        assert_eq!(
            say(q0, FieldValue::Number(2.5)),
            "q0 = 2.5: not seen in training, scored as missing (as no)"
        );
        assert_eq!(say(q1, FieldValue::Text("")), "q1 missing");
        // The value is echoed as sent, cut when long.
        let long = "z".repeat(10_000);
        let said = say(q1, FieldValue::Text(&long));
        assert!(said.len() < 300, "{said}");
        assert!(said.ends_with("... (10000 bytes): not seen in training, scored as missing"));
        let said = describe(&s, &groups[1], FieldValue::Text(&long), &[], Some(0));
        assert!(said.len() < 300, "{said}");
        assert_eq!(
            describe(&s, &groups[1], FieldValue::Number(7.0), &[], Some(0)),
            "source = 7: rare or not seen in training, scored as other"
        );
        assert_eq!(
            describe(&s, &groups[1], FieldValue::Text("Web"), &[], Some(0)),
            "source = \"Web\""
        );
    }

    #[test]
    fn missing_and_absent_values_are_named_as_such() {
        let s = spec();
        let groups = factor_groups(&s);
        assert_eq!(
            describe(&s, &groups[0], FieldValue::Text(""), &[], Some(0)),
            "visits missing"
        );
        assert_eq!(
            describe(&s, &groups[2], FieldValue::Missing, &[], Some(0)),
            "email missing"
        );
        assert_eq!(
            describe(&s, &groups[2], FieldValue::Text("nope"), &[], Some(0)),
            "email: not an email address (invalid)"
        );
        assert_eq!(
            describe(&s, &groups[4], FieldValue::Missing, &[], Some(0)),
            "demo: none"
        );
        // An event after the moment of scoring is not known yet.
        let later = [LeadEvent {
            event_type: "demo",
            occurred_at: 100,
        }];
        assert_eq!(
            describe(&s, &groups[4], FieldValue::Missing, &later, Some(0)),
            "demo: none"
        );
        let old = [LeadEvent {
            event_type: "demo",
            occurred_at: 0,
        }];
        assert_eq!(
            describe(&s, &groups[4], FieldValue::Missing, &old, Some(45 * 86_400)),
            "demo: none in the last 30 days, last 45 days ago"
        );
        // Just past the window's edge: not "30 days ago" beside "none in the last 30 days".
        assert_eq!(
            describe(
                &s,
                &groups[4],
                FieldValue::Missing,
                &old,
                Some(30 * 86_400 + 3_600)
            ),
            "demo: none in the last 30 days, last over 30 days ago"
        );
        // Beyond the cap of "days since": said what it is scored as.
        assert_eq!(
            describe(
                &s,
                &groups[4],
                FieldValue::Missing,
                &old,
                Some(524 * 86_400)
            ),
            "demo: none in the last 30 days, last 524 days ago (scored as 365 days)"
        );
        // Format 11: held to the longest training saw (90.25 days), and said so.
        let mut held = s.clone();
        let ev = held.events.as_mut().unwrap();
        let k = ev.types.iter().position(|t| t == "demo").unwrap();
        ev.max = vec![1e9; ev.width()];
        let days_since = k * ev.per_type() + ev.windows_days.len() + 1;
        ev.max[days_since] = 90.25;
        ev.days_since_held = true;
        let at = |days: i64| {
            describe(
                &held,
                &groups[4],
                FieldValue::Missing,
                &old,
                Some(days * 86_400),
            )
        };
        assert_eq!(
            at(524),
            "demo: none in the last 30 days, last 524 days ago (longer ago than any training \
             lead's: scored as 90.3 days)"
        );
        assert_eq!(at(45), "demo: none in the last 30 days, last 45 days ago");
        assert_eq!(
            describe(&s, &groups[5], FieldValue::Missing, &[], Some(0)),
            "no activity yet"
        );
    }

    #[test]
    fn percentiles_interpolate_and_take_the_middle_of_ties() {
        let mut v: Vec<f64> = (0..=100).map(f64::from).collect();
        let p = percentiles(&mut v);
        assert_eq!(p.len(), 101);
        assert_eq!(percentile_of(&p, 50.0), Some(50.0));
        assert_eq!(percentile_of(&p, 50.5), Some(50.5));
        assert_eq!(percentile_of(&p, -3.0), Some(0.0));
        assert_eq!(percentile_of(&p, 300.0), Some(100.0));
        // 60% of values equal: the middle of their run.
        let mut v: Vec<f64> = (0..100)
            .map(|i| if i < 60 { 0.0 } else { f64::from(i) })
            .collect();
        let p = percentiles(&mut v);
        let at = percentile_of(&p, 0.0).unwrap();
        assert!((at - 29.5).abs() < 1.0, "{at}");
        assert_eq!(percentile_of(&[], 1.0), None);
    }

    #[test]
    fn shapes_are_the_effect_of_each_value() {
        let s = spec();
        let m = model(&s);
        let scorer = Scorer::new(&m);
        let groups = factor_groups(&s);
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let Shape::Curve {
            points, reference, ..
        } = shape(&s, &scorer, &groups[0], &values)
        else {
            panic!("a numeric column has a curve")
        };
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(reference.is_some(), "missing indicator");
        // The effect at a value equals that value's contribution when featurized.
        let (v, e) = points[10];
        let mut slot = vec![0.0; groups[0].end];
        encode_column(
            &s.columns[0].transform,
            "visits",
            FieldValue::Number(v),
            None,
            &(false, Default::default(), &[]),
            &mut slot,
        )
        .unwrap();
        let direct: f64 = (0..groups[0].end)
            .map(|i| scorer.contribution(i, slot[i]))
            .sum();
        assert!((direct - e).abs() < 1e-12);
        let Shape::Bars { bars } = shape(&s, &scorer, &groups[1], &[]) else {
            panic!("a categorical column has bars")
        };
        let labels: Vec<&str> = bars.iter().map(|b| b.0.as_str()).collect();
        assert_eq!(labels, ["Web", "(other)", "is missing"]);
        assert!(matches!(
            shape(&s, &scorer, &groups[4], &[]),
            Shape::Curve {
                reference: Some(_),
                ..
            }
        ));
    }
}
