//! The three-table CRM export in memory: the leads as seen at `as_of`, their engagement events
//! and the closed-deals outcomes, from one stream of leads with their engagement.

use super::events::{engage, Engagement, EVENT_TYPE_NAMES, PRICING_PAGE_VISIT, WEBINAR_EVENT};
use super::leads::{LeadDraw, LeadStream};
use super::truth::HORIZON_DAYS;
use super::{start_day, DemoConfig, DemoLead, DAY};

/// One engagement event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoEvent {
    /// The lead's export id (`L000001`, ...).
    pub lead_id: String,
    /// One of [`EVENT_TYPES`](super::EVENT_TYPES).
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

/// The export's stream: each lead with its engagement and outcome, one lead at a time.
pub(super) fn export_stream(config: &DemoConfig) -> impl Iterator<Item = (LeadDraw, Engagement)> {
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
pub(super) fn data_end(config: &DemoConfig) -> i64 {
    (start_day(config) + i64::from(config.days.max(1))) * DAY
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

/// Generates the three tables of a CRM export for `config`: the same leads as [`generate`](super::generate)
/// (same ids, emails, titles, firmographics), ~30 engagement events per lead, and the
/// closed-deals outcomes, all drawn from the ground truth in [`ENGAGEMENT_TRUTH`](super::ENGAGEMENT_TRUTH).
///
/// Each lead is scored as of `created_at + OBSERVATION_DAYS`. Events start up to 180 days before
/// `created_at` (a fifth of the leads are returning contacts) and continue after `as_of`
/// (converters are more active then: a pipeline that keeps them leaks the label). About 5% of
/// the converted leads converted before `as_of` and about 5% after the horizon. Nothing is
/// dated at or after the end of the span (`start_date + days`), so the newest leads are censored.
/// Holds everything in memory; [`write_export`](super::write_export) streams.
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
