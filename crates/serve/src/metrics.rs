//! Prometheus metrics, hand-written: fixed label sets on atomics, so recording never locks.
//!
//! Requests and latency by route and status, leads scored, MQLs flagged, a score histogram,
//! reloads, and the model in force as an info metric.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

/// The routes metrics are kept for; anything else is `unmatched`.
pub const ROUTES: [&str; 14] = [
    "/v1/score",
    "/invocations",
    "/ping",
    "/health",
    "/version",
    "/v1/model",
    "/v1/cutoff",
    "/v1/admin/reload",
    "/healthz",
    "/readyz",
    "/metrics",
    // The model page.
    "/",
    "/ui",
    "unmatched",
];

/// The statuses metrics are kept for; anything else is counted as `other`.
const STATUSES: [u16; 13] = [
    200, 400, 401, 403, 404, 405, 408, 413, 415, 422, 500, 503, 0,
];

/// Upper bounds of the latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Bins of the score histogram (equal width over [0, 1]).
const SCORE_BINS: usize = 20;

#[derive(Default)]
struct Cell {
    count: AtomicU64,
    nanos: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
}

/// All counters.
pub struct Metrics {
    cells: Vec<Cell>,
    /// Leads scored (both endpoints).
    pub leads_scored: AtomicU64,
    /// Leads at or above the cutoff.
    pub mqls: AtomicU64,
    scores: [AtomicU64; SCORE_BINS],
    score_sum_micro: AtomicU64,
    /// Successful reloads.
    pub reloads_ok: AtomicU64,
    /// Failed reloads.
    pub reloads_failed: AtomicU64,
    model: RwLock<(String, f64)>,
    /// The scored-lead log (its queue and counters live here, beside the other counters).
    pub decisions: crate::decisions::DecisionLog,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            cells: (0..ROUTES.len() * STATUSES.len())
                .map(|_| Cell::default())
                .collect(),
            leads_scored: AtomicU64::new(0),
            mqls: AtomicU64::new(0),
            scores: Default::default(),
            score_sum_micro: AtomicU64::new(0),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            model: RwLock::new((String::new(), 0.0)),
            decisions: crate::decisions::DecisionLog::default(),
        }
    }
}

fn route_index(route: &str) -> usize {
    ROUTES
        .iter()
        .position(|r| *r == route)
        .unwrap_or(ROUTES.len() - 1)
}

fn status_index(status: u16) -> usize {
    STATUSES
        .iter()
        .position(|s| *s == status)
        .unwrap_or(STATUSES.len() - 1)
}

impl Metrics {
    /// Records one finished request.
    pub fn record_request(&self, route: &str, status: u16, elapsed: Duration) {
        let i = route_index(route) * STATUSES.len() + status_index(status);
        let Some(cell) = self.cells.get(i) else {
            return;
        };
        cell.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        cell.nanos.fetch_add(nanos, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        if let Some(b) = LATENCY_BUCKETS.iter().position(|le| secs <= *le) {
            cell.buckets[b].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records scored leads.
    pub fn record_scores(&self, scores: impl Iterator<Item = (f64, bool)>) {
        let (mut n, mut m) = (0, 0);
        for (score, mql) in scores {
            n += 1;
            m += u64::from(mql);
            let bin = ((score * SCORE_BINS as f64) as usize).min(SCORE_BINS - 1);
            self.scores[bin].fetch_add(1, Ordering::Relaxed);
            self.score_sum_micro
                .fetch_add((score * 1e6).round() as u64, Ordering::Relaxed);
        }
        self.leads_scored.fetch_add(n, Ordering::Relaxed);
        self.mqls.fetch_add(m, Ordering::Relaxed);
    }

    /// Notes the model in force: its id and its cutoff.
    pub fn set_model(&self, model_id: &str, threshold: f64) {
        if let Ok(mut m) = self.model.write() {
            *m = (model_id.to_string(), threshold);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(8192);
        let _ = self.write_to(&mut s);
        s
    }

    fn write_to(&self, s: &mut String) -> std::fmt::Result {
        writeln!(
            s,
            "# HELP leadscore_http_requests_total HTTP requests by route and status."
        )?;
        writeln!(s, "# TYPE leadscore_http_requests_total counter")?;
        let label = |status: u16| {
            if status == 0 {
                "other".to_string()
            } else {
                status.to_string()
            }
        };
        let cells = || {
            ROUTES.iter().enumerate().flat_map(move |(r, route)| {
                STATUSES.iter().enumerate().filter_map(move |(k, status)| {
                    let cell = &self.cells[r * STATUSES.len() + k];
                    let count = cell.count.load(Ordering::Relaxed);
                    (count > 0).then_some((*route, *status, cell, count))
                })
            })
        };
        for (route, status, _, count) in cells() {
            writeln!(
                s,
                "leadscore_http_requests_total{{route=\"{route}\",status=\"{}\"}} {count}",
                label(status)
            )?;
        }
        writeln!(
            s,
            "# HELP leadscore_http_request_duration_seconds Request latency by route and status."
        )?;
        writeln!(
            s,
            "# TYPE leadscore_http_request_duration_seconds histogram"
        )?;
        for (route, status, cell, count) in cells() {
            let labels = format!("route=\"{route}\",status=\"{}\"", label(status));
            let mut cumulative = 0;
            for (b, le) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += cell.buckets[b].load(Ordering::Relaxed);
                writeln!(
                    s,
                    "leadscore_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                )?;
            }
            writeln!(
                s,
                "leadscore_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            )?;
            let sum = cell.nanos.load(Ordering::Relaxed) as f64 / 1e9;
            writeln!(
                s,
                "leadscore_http_request_duration_seconds_sum{{{labels}}} {sum}"
            )?;
            writeln!(
                s,
                "leadscore_http_request_duration_seconds_count{{{labels}}} {count}"
            )?;
        }
        let scored = self.leads_scored.load(Ordering::Relaxed);
        writeln!(s, "# HELP leadscore_leads_scored_total Leads scored.")?;
        writeln!(s, "# TYPE leadscore_leads_scored_total counter")?;
        writeln!(s, "leadscore_leads_scored_total {scored}")?;
        writeln!(
            s,
            "# HELP leadscore_mqls_total Leads scored at or above the cutoff in force."
        )?;
        writeln!(s, "# TYPE leadscore_mqls_total counter")?;
        writeln!(
            s,
            "leadscore_mqls_total {}",
            self.mqls.load(Ordering::Relaxed)
        )?;
        writeln!(s, "# HELP leadscore_score Scores given.")?;
        writeln!(s, "# TYPE leadscore_score histogram")?;
        let mut cumulative = 0;
        for (b, count) in self.scores.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            if b + 1 < SCORE_BINS {
                let le = (b + 1) as f64 / SCORE_BINS as f64;
                writeln!(s, "leadscore_score_bucket{{le=\"{le}\"}} {cumulative}")?;
            }
        }
        writeln!(s, "leadscore_score_bucket{{le=\"+Inf\"}} {cumulative}")?;
        let sum = self.score_sum_micro.load(Ordering::Relaxed) as f64 / 1e6;
        writeln!(s, "leadscore_score_sum {sum}")?;
        writeln!(s, "leadscore_score_count {cumulative}")?;
        writeln!(
            s,
            "# HELP leadscore_reloads_total Model reloads by outcome."
        )?;
        writeln!(s, "# TYPE leadscore_reloads_total counter")?;
        writeln!(
            s,
            "leadscore_reloads_total{{outcome=\"ok\"}} {}",
            self.reloads_ok.load(Ordering::Relaxed)
        )?;
        writeln!(
            s,
            "leadscore_reloads_total{{outcome=\"failed\"}} {}",
            self.reloads_failed.load(Ordering::Relaxed)
        )?;
        let (model_id, threshold) = self
            .model
            .read()
            .map(|m| m.clone())
            .unwrap_or_else(|e| e.into_inner().clone());
        writeln!(s, "# HELP leadscore_model_info The model in force.")?;
        writeln!(s, "# TYPE leadscore_model_info gauge")?;
        writeln!(s, "leadscore_model_info{{model_id=\"{model_id}\"}} 1")?;
        writeln!(
            s,
            "# HELP leadscore_cutoff_threshold The MQL score cutoff in force."
        )?;
        writeln!(s, "# TYPE leadscore_cutoff_threshold gauge")?;
        writeln!(s, "leadscore_cutoff_threshold {threshold}")?;
        self.decisions.write_metrics(s)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.record_request("/v1/score", 200, Duration::from_micros(700));
        m.record_request("/nope", 404, Duration::from_micros(10));
        m.record_scores([(0.1, false), (0.97, true), (1.0, true)].into_iter());
        let text = m.render();
        assert!(
            text.contains("leadscore_http_requests_total{route=\"/v1/score\",status=\"200\"} 1")
        );
        assert!(
            text.contains("leadscore_http_requests_total{route=\"unmatched\",status=\"404\"} 1")
        );
        assert!(text.contains(
            "leadscore_http_request_duration_seconds_bucket{route=\"/v1/score\",status=\"200\",le=\"0.001\"} 1"
        ));
        assert!(text.contains("leadscore_leads_scored_total 3"));
        assert!(text.contains("leadscore_mqls_total 2"));
        assert!(text.contains("leadscore_score_bucket{le=\"0.15\"} 1"));
        assert!(text.contains("leadscore_score_bucket{le=\"+Inf\"} 3"));
    }
}
