//! Scoring a request's leads with the model in force and recording what happened: the
//! metrics, the drift counters (with the values training did not see) and, with
//! `--decision-log`, the decision log. Both scoring routes, `/v1/score` ([`crate::api`]) and
//! `/invocations` ([`crate::mlflow`]), go through [`score_and_record`].

use crate::error::Result;
use crate::lead::Lead;
use crate::state::{App, LeadInputs, LeadScore, Serving};
use std::sync::Arc;

/// Scores `leads` with the model in force, records the metrics and, with `--decision-log`,
/// queues the decisions for the log (`route` names the endpoint in it). `each(i, score,
/// inputs)` is called as soon as lead `i` is scored ([`Serving::score_each`]); nothing is
/// recorded unless every lead scores, nor when the request's timeout has already answered
/// ([`crate::http::answer_still_wanted`]).
pub fn score_and_record<'a, 'l>(
    app: &App,
    serving: &'a Arc<Serving>,
    leads: &'l [Lead<'l>],
    as_of: i64,
    factors: usize,
    route: &'static str,
    each: impl FnMut(usize, &LeadScore<'a>, &LeadInputs<'l>),
) -> Result<Vec<LeadScore<'a>>> {
    let scores = serving.score_each(leads, as_of, factors, each)?;
    if !crate::http::answer_still_wanted() {
        // The request timeout has answered: these leads were never sent back.
        return Ok(scores);
    }
    app.metrics
        .record_scores(scores.iter().map(|s| (s.score, s.mql)));
    serving.drift.record(
        &serving.artifact.spec,
        leads,
        scores.iter().map(|s| (s.score, s.unseen.as_slice())),
    );
    let log = &app.metrics.decisions;
    if log.is_on() {
        log.record(scores.len(), || crate::decisions::Decisions {
            at_ms: crate::decisions::now_ms(),
            route,
            as_of,
            serving: serving.clone(),
            leads: leads
                .iter()
                .zip(&scores)
                .map(|(lead, s)| crate::decisions::LeadDecision {
                    lead_id: lead.id.clone(),
                    score: s.score,
                    mql: s.mql,
                })
                .collect(),
        });
    }
    Ok(scores)
}
