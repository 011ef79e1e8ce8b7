//! Funnel metrics: per group of leads (a source, any lead column) and period, how many leads
//! came, how many became MQLs, and how the MQLs converted, against the precision promise.
//!
//! The input is one record per lead: when it entered the funnel (its creation, else its first
//! scoring), when it first became an MQL (if ever), its group, and its outcome. A lead counts
//! in the period it entered. An MQL's outcome is *known* once the horizon after it became an
//! MQL has passed by `now`, converted or not; before, it is pending (counting the early
//! conversions of pending MQLs and not their misses would overstate recent precision).
//! A lead that converted before it became an MQL is left out of the MQL outcomes (nothing was
//! left to hand over), as training leaves out leads converted before their `as_of`.
//!
//! Per row:
//! - `mql_rate` = MQLs / leads;
//! - `mql_conversion_rate` = MQLs converted within the horizon / MQLs (those converted before
//!   they became MQLs left out; pending ones count as not converted yet, so a recent period
//!   reads low until its horizon passes);
//! - `realized_precision` = known MQLs converted within the horizon / known MQLs, with its
//!   one-sided Wilson lower bound: the
//!   number the MQL promise ("at least P of the MQLs convert") is judged on;
//! - `median_days_to_conversion` over the converted MQLs with a conversion time.

use crate::civil::{civil_from_days, days_from_civil, weekday_from_monday};
use crate::curve::wilson_lower_bound;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const DAY: i64 = 86_400;

/// How leads are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Weeks starting on Monday, named by their Monday (`2025-11-24`).
    Week,
    /// Calendar months (`2025-11`).
    Month,
}

impl Period {
    /// The period holding Unix time `t` (UTC).
    pub fn label(self, t: i64) -> String {
        let days = t.div_euclid(DAY);
        match self {
            Self::Week => {
                let monday = days - weekday_from_monday(days);
                let (y, m, d) = civil_from_days(monday);
                format!("{y:04}-{m:02}-{d:02}")
            }
            Self::Month => {
                let (y, m, _) = civil_from_days(days);
                format!("{y:04}-{m:02}")
            }
        }
    }

    /// Its name, as `--period` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// One lead as the funnel sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadRecord {
    /// The group (`(missing)` when the lead has no value).
    pub group: String,
    /// When it entered the funnel, Unix seconds.
    pub entered: i64,
    /// When it first was an MQL.
    pub mql_at: Option<i64>,
    /// Converted: `Some(Some(t))` at t, `Some(None)` at an unknown time; `None`: not (yet).
    pub converted: Option<Option<i64>>,
}

/// The settings of a funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelSettings {
    /// The lead column the rows are grouped by (`None`: all leads in one group).
    pub by: Option<String>,
    /// The period.
    pub period: Period,
    /// Days after becoming an MQL within which a conversion counts.
    pub horizon_days: f64,
    /// "Now" (RFC 3339): horizons that end later are pending.
    pub now: String,
    /// The precision the MQLs were promised, if given.
    pub target_precision: Option<f64>,
    /// Confidence of the lower bounds.
    pub confidence: f64,
}

/// One row: a group in a period (or over all periods).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelRow {
    /// The group.
    pub group: String,
    /// The period (`all` for a group's total).
    pub period: String,
    /// Leads that entered.
    pub leads: u64,
    /// Of them, leads that became MQLs.
    pub mqls: u64,
    /// MQLs / leads.
    pub mql_rate: Option<f64>,
    /// MQLs whose horizon has passed by `now`: their outcome is known.
    pub mqls_known: u64,
    /// MQLs whose horizon has not passed (some may have converted already).
    pub mqls_pending: u64,
    /// MQLs that had converted before they became MQLs (left out of the outcomes).
    pub converted_before_mql: u64,
    /// MQLs that converted within the horizon.
    pub mqls_converted: u64,
    /// MQLs converted / MQLs (those converted before they became MQLs left out).
    pub mql_conversion_rate: Option<f64>,
    /// Known MQLs that converted within the horizon / known MQLs.
    pub realized_precision: Option<f64>,
    /// Of the known MQLs, those that converted within the horizon.
    pub mqls_known_converted: u64,
    /// Its one-sided Wilson lower bound.
    pub precision_lower_bound: Option<f64>,
    /// The realized precision is below the target with confidence: its one-sided upper bound
    /// (at the settings' confidence) is below it.
    pub below_promise: bool,
    /// Median days from becoming an MQL to converting.
    pub median_days_to_conversion: Option<f64>,
}

/// The funnel: its settings and rows (by group, then period; each group's `all` row last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    /// How it was computed.
    pub settings: FunnelSettings,
    /// What it was computed from (files, counts), for the reader.
    pub sources: Vec<String>,
    /// The rows.
    pub rows: Vec<FunnelRow>,
    /// Every lead over every period, the totals.
    pub total: FunnelRow,
}

#[derive(Default)]
struct Tally {
    leads: u64,
    mqls: u64,
    known: u64,
    pending: u64,
    before: u64,
    converted: u64,
    known_converted: u64,
    days: Vec<f64>,
}

impl Tally {
    fn add(&mut self, r: &LeadRecord, horizon: i64, now: i64) {
        self.leads += 1;
        let Some(at) = r.mql_at else { return };
        self.mqls += 1;
        let converted = match r.converted {
            Some(Some(t)) if t < at => {
                self.before += 1;
                return;
            }
            Some(Some(t)) if t <= at.saturating_add(horizon) => {
                self.days.push((t - at) as f64 / DAY as f64);
                true
            }
            // Converted at an unknown time: counted as converted.
            Some(None) => true,
            _ => false,
        };
        self.converted += u64::from(converted);
        // Known only once the horizon has passed, converted or not: counting early
        // conversions before their horizon ends, and not the leads still waiting, would
        // overstate the precision of recent periods.
        if at.saturating_add(horizon) <= now {
            self.known += 1;
            self.known_converted += u64::from(converted);
        } else {
            self.pending += 1;
        }
    }

    fn row(mut self, group: &str, period: &str, s: &FunnelSettings) -> FunnelRow {
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let precision = ratio(self.known_converted, self.known);
        self.days.sort_by(f64::total_cmp);
        let n = self.days.len();
        let median = (n > 0).then(|| {
            if n % 2 == 1 {
                self.days[n / 2]
            } else {
                (self.days[n / 2 - 1] + self.days[n / 2]) / 2.0
            }
        });
        FunnelRow {
            group: group.to_string(),
            period: period.to_string(),
            leads: self.leads,
            mqls: self.mqls,
            mql_rate: ratio(self.mqls, self.leads),
            mqls_known: self.known,
            mqls_pending: self.pending,
            converted_before_mql: self.before,
            mqls_converted: self.converted,
            mql_conversion_rate: ratio(self.converted, self.mqls - self.before),
            realized_precision: precision,
            mqls_known_converted: self.known_converted,
            precision_lower_bound: (self.known > 0)
                .then(|| wilson_lower_bound(self.known_converted, self.known, s.confidence)),
            // Below only when even the upper bound is: a handful of MQLs missing the target by
            // chance is not a broken promise.
            below_promise: match s.target_precision {
                Some(t) if self.known > 0 => {
                    let upper = 1.0
                        - wilson_lower_bound(
                            self.known - self.known_converted,
                            self.known,
                            s.confidence,
                        );
                    upper < t
                }
                _ => false,
            },
            median_days_to_conversion: median,
        }
    }
}

/// The funnel of `leads` (`now` in Unix seconds; `settings.now` is its text).
pub fn funnel(
    leads: &[LeadRecord],
    settings: FunnelSettings,
    now: i64,
    sources: Vec<String>,
) -> Funnel {
    let horizon = (settings.horizon_days * DAY as f64).round() as i64;
    let mut cells: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for r in leads {
        let period = settings.period.label(r.entered);
        cells
            .entry((r.group.clone(), period))
            .or_default()
            .add(r, horizon, now);
        groups
            .entry(r.group.clone())
            .or_default()
            .add(r, horizon, now);
        total.add(r, horizon, now);
    }
    let mut rows = Vec::with_capacity(cells.len() + groups.len());
    let mut cells = cells.into_iter().peekable();
    for (group, tally) in groups {
        while let Some(((g, _), _)) = cells.peek() {
            if *g != group {
                break;
            }
            let ((g, p), t) = cells.next().expect("peeked");
            rows.push(t.row(&g, &p, &settings));
        }
        rows.push(tally.row(&group, "all", &settings));
    }
    let total = total.row("all", "all", &settings);
    Funnel {
        settings,
        sources,
        rows,
        total,
    }
}

/// The first day of the period labelled `label` (for charts), Unix seconds.
pub fn period_start(period: Period, label: &str) -> Option<i64> {
    let parts: Vec<i64> = label
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let days = match (period, parts.as_slice()) {
        (Period::Week, [y, m, d]) => days_from_civil(*y, *m, *d),
        (Period::Month, [y, m]) => days_from_civil(*y, *m, 1),
        _ => return None,
    };
    Some(days * DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(period: Period) -> FunnelSettings {
        FunnelSettings {
            by: Some("source".into()),
            period,
            horizon_days: 30.0,
            now: String::new(),
            target_precision: Some(0.5),
            confidence: 0.95,
        }
    }

    #[test]
    fn periods_are_mondays_and_months() {
        // 2025-11-27 is a Thursday.
        let t = days_from_civil(2025, 11, 27) * DAY + 3600;
        assert_eq!(Period::Week.label(t), "2025-11-24");
        assert_eq!(Period::Month.label(t), "2025-11");
        assert_eq!(
            period_start(Period::Week, "2025-11-24"),
            Some(days_from_civil(2025, 11, 24) * DAY)
        );
        // A Monday is its own week; a Sunday belongs to the Monday before.
        let monday = days_from_civil(2025, 12, 1) * DAY;
        assert_eq!(Period::Week.label(monday), "2025-12-01");
        assert_eq!(Period::Week.label(monday - 1), "2025-11-24");
    }

    #[test]
    fn outcomes_are_known_pending_or_before() {
        let day = |d: i64| days_from_civil(2025, 1, 1) * DAY + d * DAY;
        let lead = |mql: Option<i64>, conv: Option<Option<i64>>| LeadRecord {
            group: "ads".into(),
            entered: day(0),
            mql_at: mql.map(day),
            converted: conv,
        };
        let leads = vec![
            lead(None, None),                    // not an MQL
            lead(Some(1), Some(Some(day(11)))),  // converted after 10 days: known, yes
            lead(Some(1), Some(Some(day(40)))),  // converted after the horizon: known, no
            lead(Some(2), None),                 // horizon passed: known, no
            lead(Some(50), None),                // pending at now = day 60
            lead(Some(55), Some(Some(day(57)))), // converted, but its horizon runs: pending
            lead(Some(3), Some(Some(day(0)))),   // converted before the MQL: left out
            lead(Some(3), Some(None)),           // converted, time unknown: known, yes
            lead(Some(2), Some(Some(day(22)))),  // converted after 20 days: known, yes
        ];
        let f = funnel(&leads, settings(Period::Month), day(60), vec![]);
        let r = &f.total;
        assert_eq!((r.leads, r.mqls), (9, 8));
        assert_eq!(
            (r.mqls_known, r.mqls_pending, r.converted_before_mql),
            (5, 2, 1)
        );
        assert_eq!(r.mqls_converted, 4);
        assert_eq!(r.realized_precision, Some(3.0 / 5.0));
        assert_eq!(
            r.mql_conversion_rate,
            Some(4.0 / 7.0),
            "the one before is left out"
        );
        assert_eq!(r.median_days_to_conversion, Some(10.0));
        assert!(!r.below_promise);
        assert!(r.precision_lower_bound.unwrap() < 0.6);
        // One group, one period: its row, then its total, equal to the whole.
        assert_eq!(f.rows.len(), 2);
        assert_eq!(f.rows[0].period, "2025-01");
        assert_eq!(f.rows[1].period, "all");
        assert_eq!(f.rows[1].mqls_converted, r.mqls_converted);
    }

    #[test]
    fn rows_come_by_group_then_period() {
        let at = |m: i64| days_from_civil(2025, m, 5) * DAY;
        let lead = |g: &str, m: i64| LeadRecord {
            group: g.into(),
            entered: at(m),
            mql_at: Some(at(m)),
            converted: None,
        };
        let leads = [lead("b", 2), lead("a", 3), lead("a", 1), lead("b", 2)];
        let f = funnel(&leads, settings(Period::Month), at(12), vec![]);
        let keys: Vec<(&str, &str, u64)> = f
            .rows
            .iter()
            .map(|r| (r.group.as_str(), r.period.as_str(), r.leads))
            .collect();
        assert_eq!(
            keys,
            [
                ("a", "2025-01", 1),
                ("a", "2025-03", 1),
                ("a", "all", 2),
                ("b", "2025-02", 2),
                ("b", "all", 2)
            ]
        );
        // 0 of 4 converted: the upper bound (about 0.49 at 95%) is below a 0.5 promise, not
        // below a 0.4 one.
        assert!(f.total.below_promise, "0 of 4 converted, promised 0.5");
        let mut looser = settings(Period::Month);
        looser.target_precision = Some(0.4);
        assert!(!funnel(&leads, looser, at(12), vec![]).total.below_promise);
    }
}
