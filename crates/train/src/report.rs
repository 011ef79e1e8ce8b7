//! Plain-text reports for people: the training summary, `inspect`'s weight table, metrics.

use leadscore_core::artifact::{
    bins_label, penalty_text, BinsSearch, ModelArtifact, PenaltySearch, ShapeSearch,
};
use leadscore_core::curve::{cutoff_for_precision, CurveKind, OperatingCurve, CHECKED_TARGETS};
use leadscore_core::fitted::UnseenValues;
use leadscore_core::metrics::{metric_text, Evaluation};
use std::fmt::Write;

/// `text` safe to print on a terminal: every control character but the line end and tab
/// written as Rust writes it in a string (`\u{1b}`, `\r`, `\u{9b}`). Column names and
/// category levels come from a CSV's header and cells: printed raw, an escape sequence in one
/// clears the screen, writes text that is not ours or retitles the window. The CLI's
/// summaries, tables, warnings and errors go through this; JSON and TOML escape their own.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Headline metrics, lift and calibration. `unit` names what was scored: `leads`, or
/// `examples` for a model trained on several landmarks (a lead at each landmark of its life:
/// [`leadscore_core::artifact::Provenance::unit`]).
pub fn metrics_text(e: &Evaluation, unit: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {unit} {}   converted {} ({:.1}%)\n  ROC AUC {}   PR AUC {}   log loss {:.4}   Brier {:.4}",
        e.n,
        e.positives,
        100.0 * e.base_rate,
        metric_text(e.roc_auc, 4),
        metric_text(e.pr_auc, 4),
        e.log_loss,
        e.brier
    );
    let w = unit.len().max(5);
    if e.lift.is_empty() {
        let _ = writeln!(out, "  lift by decile: undefined (nobody converted)");
    } else {
        let _ = writeln!(
            out,
            "  lift by decile (1 = highest scores):\n    decile  {unit:>w$}  converted  rate    lift  captured"
        );
    }
    for l in &e.lift {
        let _ = writeln!(
            out,
            "    {:>6}  {:>w$}  {:>9}  {:>5.1}%  {:>4.2}  {:>7.1}%",
            l.decile,
            l.count,
            l.positives,
            100.0 * l.conversion_rate,
            l.lift,
            100.0 * l.cumulative_capture
        );
    }
    let w = unit.len().max(6);
    let _ = writeln!(
        out,
        "  calibration (predicted vs observed):\n    scores       {unit:>w$}  predicted  observed"
    );
    for c in &e.calibration {
        let _ = writeln!(
            out,
            "    {:.1} - {:.1}  {:>w$}  {:>8.1}%  {:>7.1}%",
            c.lower,
            c.upper,
            c.count,
            100.0 * c.mean_score,
            100.0 * c.observed_rate
        );
    }
    out
}

/// The values the model's training did not see in these leads, per column (`evaluate`,
/// `report --data`): scored as missing (yes/no columns), `other` (categorical), the nearest
/// training value (numbers outside the training range) or an active day only (event types),
/// not refused.
pub fn unseen_text(unseen: &[UnseenValues]) -> String {
    if unseen.is_empty() {
        return "  values training did not see: none\n".into();
    }
    let mut out = String::from(
        "  values training did not see (scored as missing, other, the nearest training value or an \
         active day, not refused):\n",
    );
    for u in unseen {
        let more = if u.distinct > u.values.len() as u64 {
            ", ..."
        } else {
            ""
        };
        let why = match u.scored_as.as_str() {
            "other" => "scored as other (rare or not seen in training)",
            leadscore_core::fitted::FittedEvents::UNSEEN_SCORED_AS => {
                "event types counted only as active days (no per-type feature)"
            }
            leadscore_core::fitted::FittedTransform::NEAREST => {
                "outside the training range, scored as its nearest end"
            }
            leadscore_core::fitted::FittedTransform::LATER_SCORED_AS => {
                "dates after the scoring time (more than five minutes): not known then, scored as missing"
            }
            leadscore_core::fitted::FittedEvents::ABOVE_SCORED_AS => {
                "event counts past the most any training lead had, scored as that most"
            }
            "missing" => "scored as missing (not yes/no)",
            other => other,
        };
        let _ = writeln!(
            out,
            "    {}: {} {}, {} distinct ({}{more}); {why}",
            u.column,
            u.leads,
            if u.leads == 1 { "lead" } else { "leads" },
            u.distinct,
            u.shown().join(", "),
        );
    }
    out
}

/// What each target precision costs, at 95% confidence.
pub fn targets_text(curve: &OperatingCurve) -> String {
    let mut out = String::from(match curve.kind {
        CurveKind::PerExample => "  MQL cutoff by target precision (95% confidence, fixed-sequence rule):\n    target  cutoff  precision  lower bound  recall  MQL rate\n",
        CurveKind::Handoff => "  MQL cutoff by target precision, on the handoff curve (each holdout lead replayed through its\n  life and handed over the first time its score reaches the cutoff; precision = share of those\n  converting within the horizon after that moment; 95% confidence, fixed-sequence rule):\n    target  cutoff  precision  lower bound  recall  MQL rate\n",
    });
    for t in CHECKED_TARGETS {
        match cutoff_for_precision(curve, t, 0.95) {
            Ok(p) => {
                let _ = writeln!(
                    out,
                    "    {:>6.2}  {:>6.3}  {:>9.3}  {:>11.3}  {:>6.3}  {:>8.3}",
                    t, p.threshold, p.precision, p.precision_lower_bound, p.recall, p.mql_rate
                );
            }
            Err(_) => {
                let _ = writeln!(out, "    {t:>6.2}  not attainable");
            }
        }
    }
    out
}

/// The model's own cutoffs on fresh data (`evaluate`): what each promised on its holdout and
/// what it delivers here; the targets its holdout reaches no cutoff for are named. Where nobody
/// converted, recall is 0 of 0, shown as `–`.
pub fn model_cutoffs_text(checks: &[crate::pipeline::CutoffCheck]) -> String {
    let unreached: Vec<String> = CHECKED_TARGETS
        .iter()
        .filter(|t| !checks.iter().any(|c| c.target == **t))
        .map(|t| format!("{t:.2}"))
        .collect();
    let mut out = String::from(
        "  the model's own cutoffs on this data (each chosen on the model's holdout for its target, as\n  \
         the server chooses it, and applied here as it is; unlike the table above, which chooses a\n  \
         cutoff on this data alone; 95% confidence; `holds` when the lower bound here reaches the\n  \
         target, `BELOW` when even the upper bound is under it):\n",
    );
    if !checks.is_empty() {
        out.push_str(
            "    target  cutoff  promised  precision  lower bound  upper bound  recall  MQL rate  verdict\n",
        );
    }
    for c in checks {
        let here = &c.here;
        let (precision, lower, upper) = if here.tp + here.fp == 0 {
            ("–".to_string(), "–".to_string(), "–".to_string())
        } else {
            (
                format!("{:.3}", here.precision),
                format!("{:.3}", here.precision_lower_bound),
                format!("{:.3}", c.precision_upper_bound),
            )
        };
        let _ = writeln!(
            out,
            "    {:>6.2}  {:>6.4}  {:>8.3}  {precision:>9}  {lower:>11}  {upper:>11}  {:>6}  {:>8.3}  {}",
            c.target,
            c.promised.threshold,
            c.promised.precision_lower_bound,
            if c.converted > 0 {
                format!("{:.3}", here.recall)
            } else {
                "–".into()
            },
            here.mql_rate,
            c.verdict.words()
        );
    }
    if !unreached.is_empty() {
        let _ = writeln!(
            out,
            "    {}: the model's holdout reaches no cutoff for {} (the server refuses {})",
            unreached.join(", "),
            if unreached.len() == 1 { "it" } else { "them" },
            if unreached.len() == 1 {
                "this target"
            } else {
                "these targets"
            }
        );
    }
    out
}

/// The fields by importance (models with an `explain` section) and the gates, as text.
pub fn fields_text(a: &ModelArtifact, limit: Option<usize>) -> String {
    let mut out = String::new();
    if let Some(e) = &a.explain {
        let mut rows: Vec<_> = e.groups.iter().collect();
        rows.sort_by(|x, y| y.importance.total_cmp(&x.importance));
        let width = rows
            .iter()
            .map(|g| one_line(&g.name).chars().count())
            .max()
            .unwrap_or(5)
            .clamp(5, 40);
        out.push_str(
            "fields by importance (mean |contribution to the log-odds| over training examples):\n",
        );
        for g in rows.iter().take(limit.unwrap_or(usize::MAX)) {
            let name = fit_width(&g.name, width);
            let _ = writeln!(
                out,
                "  {name:<width$}  {:>6.3}  {}",
                g.importance,
                g.part.label()
            );
        }
    }
    for g in &a.gates {
        let _ = writeln!(out, "gate: {}", g.name);
    }
    out
}

/// `name` in at most `width` characters: cut in the middle (`…`), keeping its start and its
/// end, which is where two pair features of the same columns differ (`Total Time Spent on
/// Website >= 536 & What is your current occupation = Unemployed` and `... = Student` cut at the
/// end read the same).
fn fit_width(name: &str, width: usize) -> String {
    leadscore_report::cut_middle(&one_line(name), width)
}

/// `name` on one line: a line end, tab or other control character in it (a quoted header cell
/// may hold one) shown escaped (`\n`), since it would break the row. The column's width is
/// measured on this form, so that a short name is not cut inside its escape (`tab\…ere`).
fn one_line(name: &str) -> std::borrow::Cow<'_, str> {
    leadscore_core::value::escape_controls(name)
}

/// The weights as an analyst reads them, strongest first.
pub fn weights_text(a: &ModelArtifact, limit: Option<usize>) -> String {
    let mut rows: Vec<_> = a.model.features.iter().collect();
    rows.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
    let width = rows
        .iter()
        .map(|f| one_line(&f.name).chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 60);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {:<width$}  {:>8}  {:>10}  {:>7}",
        "feature", "weight", "odds ratio", "active"
    );
    for f in rows.iter().take(limit.unwrap_or(usize::MAX)) {
        let name = fit_width(&f.name, width);
        // An odds ratio per unit of a column on a tiny scale is astronomically large (or
        // small): with an exponent, not fifty digits.
        let odds = if f.odds_ratio.is_finite()
            && f.odds_ratio != 0.0
            && !(1e-3..1e6).contains(&f.odds_ratio)
        {
            format!("{:.3e}", f.odds_ratio)
        } else {
            format!("{:.3}", f.odds_ratio)
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {:>+8.4}  {:>10}  {:>6.1}%",
            name,
            f.weight,
            odds,
            100.0 * f.active_share
        );
    }
    out.push_str("  weight: log-odds per standard deviation of the feature; odds ratio: per unit of the feature\n  (for an indicator, active vs not); active: share of training leads where it is non-zero.\n");
    out
}

/// What the penalty search did beyond its grid: the decades it added, an edge it stayed on.
pub fn penalty_notes(p: &PenaltySearch) -> String {
    let mut out = String::new();
    let side = |stronger: bool| if stronger { "strongest" } else { "weakest" };
    if !p.extended.is_empty() {
        let first_grid_strongest = p
            .grid
            .iter()
            .map(|g| g.alpha)
            .filter(|a| !p.extended.contains(a))
            .fold(f64::MIN, f64::max);
        let stronger = p.extended[0] > first_grid_strongest;
        let _ = writeln!(
            out,
            "    the best penalty was the {} of the grid, so the grid was widened by {} decade{} \
             (alpha {})",
            side(stronger),
            p.extended.len(),
            if p.extended.len() == 1 { "" } else { "s" },
            p.extended
                .iter()
                .map(|a| penalty_text(*a))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if p.at_edge {
        if let Some(stronger) = p.chosen_edge() {
            let _ = writeln!(
                out,
                "    the chosen penalty is still the {} tried: a {} one might do better \
                 (widen with --c-min/--c-max or --grid-extensions)",
                side(stronger),
                if stronger { "stronger" } else { "weaker" }
            );
        }
    }
    out
}

/// The shape search: the ranked columns, the counts compared and the columns that got bins.
pub fn shapes_text(s: &ShapeSearch, unit: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  shapes: {} \"auto\" column{} without bins ranked by what bins of their own would add \
         ({} quantile bins, or a bin per value seen {}+ times for fewer than 10 distinct values; \
         gain on the residuals, {} training {unit}):",
        s.columns.len(),
        if s.columns.len() == 1 { "" } else { "s" },
        s.bins,
        s.value_min_count,
        s.rows
    );
    for r in s.ranked.iter().take(8) {
        let _ = writeln!(
            out,
            "    {:>8.2}  {:>2} {}  {}{}",
            r.gain,
            r.cells,
            if r.by_value { "values" } else { "bins  " },
            r.name,
            if s.chosen.contains(&r.name) {
                "  <- bins"
            } else {
                ""
            }
        );
    }
    if s.candidates.is_empty() {
        out.push_str(
            "    no column gains more than noise alone would (gain > 0): none gets bins, nothing \
             to cross-validate\n",
        );
    } else {
        let _ = writeln!(
            out,
            "    how many, by {}-fold CV at alpha {} (each fold ranks the columns on its own \
             rows; pooled out-of-fold; the fewest within one standard error of the lowest log loss):",
            s.folds,
            penalty_text(s.alpha)
        );
        for c in &s.candidates {
            let _ = writeln!(
                out,
                "      {:>2} columns  {:>4} features  log loss {:.4}  ROC AUC {:.4}{}",
                c.columns,
                c.features,
                c.cv_log_loss,
                c.cv_roc_auc,
                if c.columns == s.chosen.len() {
                    "  <- chosen"
                } else {
                    ""
                }
            );
        }
    }
    if !s.chosen.is_empty() {
        out.push_str(
            "    (the penalty grid above was searched again with these columns' bins: it is the \
             final model's)\n",
        );
    }
    out
}

/// The bins search of `bins = "auto"` columns: the candidates, their CV evidence, the choice.
pub fn bins_text(b: &BinsSearch, folds: usize, unit: &str, grid_is_final: bool) -> String {
    let mut out = String::new();
    let n = b.columns.len();
    let _ = writeln!(
        out,
        "  quantile bins for {n} numeric column{} with bins = \"auto\", by {folds}-fold CV on {} \
         training {unit} (each at its best penalty; the fewest bins within one standard error of \
         the lowest log loss{}):\n              bins  features       alpha  log loss  ROC AUC",
        if n == 1 { "" } else { "s" },
        b.rows,
        if b.spikes_compared() {
            "; then the chosen number (the fewest tried when none) with spikes, a value holding a \
             bin's share of the rows, in bins of their own, at the chosen one's penalty and its \
             neighbours, kept if it beats the chosen candidate by more than one standard error"
        } else {
            ""
        }
    );
    for c in &b.candidates {
        let _ = writeln!(
            out,
            "    {:>14}  {:>8}  {:>10}    {:.4}   {:.4}{}",
            bins_label(c.bins, c.spikes),
            c.features,
            penalty_text(c.alpha),
            c.cv_log_loss,
            c.cv_roc_auc,
            if b.is_chosen(c) { "  <- chosen" } else { "" }
        );
    }
    if b.candidates.len() > 1 && grid_is_final {
        out.push_str(
            "    (the first candidate searched the whole penalty grid, each next one the best \
             penalty so far and its neighbours;\n     the penalty grid above is the chosen \
             candidate's)\n",
        );
    } else if b.candidates.len() > 1 {
        out.push_str(
            "    (the first candidate searched the whole penalty grid, each next one the best \
             penalty so far and its neighbours)\n",
        );
    }
    for skipped in &b.skipped {
        let _ = writeln!(
            out,
            "    {:>14}  not tried: {}",
            bins_label(skipped.bins, skipped.spikes),
            skipped.label()
        );
    }
    let names: Vec<&str> = b.columns.iter().map(String::as_str).take(8).collect();
    let _ = writeln!(
        out,
        "    columns: {}{}",
        names.join(", "),
        if n > names.len() {
            format!(" and {} more", n - names.len())
        } else {
            String::new()
        }
    );
    out
}

/// The training report printed by `train`.
pub fn training_text(a: &ModelArtifact) -> String {
    let p = &a.provenance;
    let mut out = String::new();
    let _ = writeln!(out, "model {}  (format {})", a.model_id, a.format_version);
    for i in &p.inputs {
        let _ = writeln!(
            out,
            "  data {}  ({} rows, sha256 {}...)",
            i.path,
            i.rows,
            &i.sha256[..12.min(i.sha256.len())]
        );
    }
    let unit = p.unit();
    let _ = writeln!(
        out,
        "  label `{}` (positive: {})   split: {}\n  train {} {unit} ({} converted)   holdout {} {unit} ({} converted)   features {}",
        p.label,
        p.positive_values.join(", "),
        p.split,
        p.train_rows,
        p.train_positives,
        p.holdout_rows,
        p.holdout_positives,
        a.model.features.len()
    );
    if let Some(t) = &p.point_in_time {
        let _ = writeln!(
            out,
            "  point in time: as of {}, converted within {} days after; data ends {}\n    leads {}: used {} ({} converted), censored (horizon not over) {}, converted before as_of {}",
            t.as_of_rule, t.horizon_days, t.end_of_data, t.leads, t.used, t.positives, t.censored, t.converted_before_as_of
        );
        if !t.landmarks.is_empty() {
            let _ = writeln!(
                out,
                "    {} examples of {} leads (one per landmark), by landmark:\n      age (days)  examples  converted  censored  converted before  sampled out",
                t.used, t.used_leads
            );
            for l in &t.landmarks {
                let _ = writeln!(
                    out,
                    "      {:>10}  {:>8}  {:>9}  {:>8}  {:>16}  {:>11}",
                    l.age_days,
                    l.used,
                    l.positives,
                    l.censored,
                    l.converted_before_as_of,
                    l.sampled_out
                );
            }
        }
        if t.events > 0 {
            let _ = writeln!(
                out,
                "    events {}: used {}, after as_of (dropped) {}, of unknown or unused leads {}",
                t.events,
                t.events_used,
                t.events_after_as_of,
                t.events - t.events_used - t.events_after_as_of
            );
        }
        if t.outcomes_unknown_lead > 0 {
            let _ = writeln!(
                out,
                "    outcomes for unknown lead ids: {}",
                t.outcomes_unknown_lead
            );
        }
    }
    if let Some((from, to)) = &p.date_range {
        let _ = writeln!(out, "  dates {from} to {to}");
    }
    let _ = writeln!(
        out,
        "  penalty by {}-fold CV (alpha = 1/C; pooled out-of-fold):",
        p.penalty.folds
    );
    for g in &p.penalty.grid {
        let _ = writeln!(
            out,
            "    alpha {:>10}  log loss {:.4}  ROC AUC {:.4}{}",
            penalty_text(g.alpha),
            g.cv_log_loss,
            g.cv_roc_auc,
            if g.alpha == p.penalty.alpha {
                "  <- chosen"
            } else {
                ""
            }
        );
    }
    out.push_str(&penalty_notes(&p.penalty));
    if let Some(b) = &p.bins {
        out.push_str(&bins_text(
            b,
            p.penalty.folds,
            unit,
            p.shapes.as_ref().is_none_or(|s| s.chosen.is_empty()),
        ));
    }
    if let Some(s) = &p.shapes {
        out.push_str(&shapes_text(s, unit));
    }
    let _ = writeln!(
        out,
        "  solver {}: {} (gradient norm {:.3e}, tolerance {:.3e})",
        p.solver.solver,
        if p.solver.converged {
            "converged"
        } else {
            "DID NOT CONVERGE"
        },
        p.solver.gradient_norm,
        p.solver.gradient_tolerance
    );
    out.push_str(&crate::pairs::pairs_text(a));
    match &a.replay {
        Some(r) => {
            out.push_str(
                "holdout evaluation (per example: every landmark of each holdout lead):\n",
            );
            out.push_str(&metrics_text(&a.evaluation, a.provenance.unit()));
            let _ = writeln!(
                out,
                "  replay: {} holdout leads scored at {} moments (each landmark and each event){}",
                r.leads,
                r.moments,
                if r.leads_not_replayed > 0 {
                    format!(", {} more not replayed (sampled)", r.leads_not_replayed)
                } else {
                    String::new()
                }
            );
        }
        None => {
            out.push_str("holdout evaluation:\n");
            out.push_str(&metrics_text(&a.evaluation, a.provenance.unit()));
        }
    }
    out.push_str(&targets_text(&a.curve));
    out.push_str(&fields_text(a, Some(12)));
    out.push_str("strongest weights:\n");
    out.push_str(&weights_text(a, Some(15)));
    for w in &p.warnings {
        let _ = writeln!(out, "WARNING: {w}");
    }
    out
}

/// The holdout leads as CSV (`train --holdout-out`): the lead id, the moment scored (RFC 3339,
/// empty for flat files), the lead's age then, the label (1/0), the score, its log-odds split
/// into baseline, fit and engagement with their percentiles among training examples, the gates
/// that held it back (`;`-separated), and the key factors as a JSON array of `{"field",
/// "factor", "part", "contribution"}` (up to three positive, then up to three negative).
pub fn holdout_csv(outcome: &crate::pipeline::TrainOutcome) -> String {
    let id = outcome.spec.id.as_deref().unwrap_or("row");
    let mut out = String::with_capacity(outcome.holdout_rows.len() * 400);
    out.push_str(&csv_field(id));
    out.push_str(
        ",as_of,age_days,label,score,baseline,fit,engagement,fit_percentile,\
         engagement_percentile,held_back,factors\n",
    );
    let pct = |p: Option<f64>| p.map(|p| format!("{p:.1}")).unwrap_or_default();
    for row in &outcome.holdout_rows {
        let (score, label) = (row.score, row.label);
        let e = &row.explanation;
        let age = row.age_days.map(|a| format!("{a:.4}")).unwrap_or_default();
        let as_of = row
            .as_of
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let factors = crate::explain::factors_json(&e.factors);
        let _ = writeln!(
            out,
            "{},{as_of},{age},{},{score},{},{},{},{},{},{},{}",
            csv_field(&row.id),
            u8::from(label),
            round6(e.split.baseline),
            round6(e.split.fit),
            round6(e.split.engagement),
            pct(e.fit_percentile),
            pct(e.engagement_percentile),
            csv_field(&e.held_back.join(";")),
            csv_field(&factors)
        );
    }
    out
}

/// `x` to six decimals (log-odds in the holdout file; the scores keep full precision).
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A CSV field, quoted when it holds a delimiter, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bins search as an artifact from before the spikes candidate stores it.
    const OLD: &str = r#"{"columns": ["visits"], "rows": 1000, "chosen": 4,
        "candidates": [
            {"bins": 0, "features": 3, "alpha": 1.0, "cv_log_loss": 0.5, "cv_roc_auc": 0.7},
            {"bins": 4, "features": 7, "alpha": 1.0, "cv_log_loss": 0.45, "cv_roc_auc": 0.75}],
        "skipped": [{"bins": 8, "reason": "no_gain"}]}"#;

    /// A widened grid's weak penalties are printed with their digits: 1e-4, 5e-5 and 1e-5
    /// were each `alpha 0.0000` (the chosen one too), and so was the bins table's.
    #[test]
    fn weak_penalties_keep_their_digits_in_the_tables() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json");
        let mut a = ModelArtifact::load(&path).unwrap();
        let score = |alpha: f64| leadscore_core::artifact::PenaltyScore {
            alpha,
            cv_log_loss: 0.3,
            cv_roc_auc: 0.9,
        };
        a.provenance.penalty.grid = vec![score(1e-2), score(1e-4), score(5e-5), score(1e-5)];
        a.provenance.penalty.alpha = 5e-5;
        let text = training_text(&a);
        assert!(!text.contains("0.0000 "), "{text}");
        for line in [
            "    alpha     0.0100  log loss",
            "    alpha    1.00e-4  log loss",
            "    alpha    5.00e-5  log loss 0.3000  ROC AUC 0.9000  <- chosen",
            "    alpha    1.00e-5  log loss",
        ] {
            assert!(text.contains(line), "{line:?} in\n{text}");
        }
        let mut bins: BinsSearch = serde_json::from_str(OLD).unwrap();
        bins.candidates[1].alpha = 3e-5;
        let text = bins_text(&bins, 5, "leads", true);
        assert!(text.contains("   3.00e-5    0.4500"), "{text}");
    }

    /// A name from the data cannot drive the terminal (an escape sequence clears the screen
    /// or writes text that is not ours) nor break a table's row.
    #[test]
    fn names_are_printed_escaped_for_the_terminal() {
        let evil = "country\u{1b}[2J\u{1b}[31mFAKE\u{9b}\r\u{7f}";
        assert_eq!(
            terminal_safe(&format!("{evil}\n\tok\n")),
            "country\\u{1b}[2J\\u{1b}[31mFAKE\\u{9b}\\r\\u{7f}\n\tok\n"
        );
        assert!(matches!(
            terminal_safe("plain é\n"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(fit_width("a\nb", 10), "a\\nb");
        assert_eq!(one_line("tab\there"), "tab\\there");
        assert_eq!(one_line("x\u{1}"), "x\\u{1}");
    }

    #[test]
    fn long_names_keep_their_start_and_end() {
        let a = "Total Time Spent on Website >= 536 & What is your current occupation = Unemployed";
        let b = "Total Time Spent on Website >= 536 & What is your current occupation = Student";
        let (x, y) = (fit_width(a, 60), fit_width(b, 60));
        assert_eq!(x.chars().count(), 60);
        assert_ne!(x, y);
        assert!(
            x.starts_with("Total Time") && x.ends_with("= Unemployed"),
            "{x}"
        );
        assert_eq!(fit_width("short", 60), "short");
    }

    #[test]
    fn the_bins_table_speaks_of_spikes_only_where_they_were_compared() {
        let old: BinsSearch = serde_json::from_str(OLD).unwrap();
        assert!(!old.spikes_compared() && !old.chosen_spikes);
        let text = bins_text(&old, 5, "leads", true);
        assert!(!text.contains("spikes"), "{text}");
        assert!(text
            .lines()
            .any(|l| l.trim_start().starts_with("4 ") && l.ends_with("<- chosen")));

        let mut new = old.clone();
        let mut spiky = new.candidates[1].clone();
        spiky.spikes = true;
        spiky.features = 9;
        spiky.cv_log_loss = 0.43;
        new.candidates.push(spiky);
        new.chosen_spikes = true;
        let text = bins_text(&new, 5, "leads", true);
        assert!(text.contains("then the chosen number"), "{text}");
        let chosen: Vec<&str> = text.lines().filter(|l| l.ends_with("<- chosen")).collect();
        assert_eq!(chosen.len(), 1, "{text}");
        assert!(
            chosen[0].trim_start().starts_with("4 with spikes"),
            "{text}"
        );
        // The artifact round-trips the new fields and leaves them out when false.
        let json = serde_json::to_string(&new).unwrap();
        assert_eq!(serde_json::from_str::<BinsSearch>(&json).unwrap(), new);
        assert!(!serde_json::to_string(&old).unwrap().contains("spikes"));
    }

    /// Each kind of unseen value is said as what it was scored as: event counts past the
    /// training maxima were said to be `scored as missing (not yes/no)`, the fallback of
    /// yes/no columns.
    #[test]
    fn unseen_kinds_are_said_as_scored() {
        let entry = |column: &str, scored_as: &str| UnseenValues {
            column: column.into(),
            scored_as: scored_as.into(),
            leads: 2,
            distinct: 1,
            values: vec!["3".into()],
        };
        let text = unseen_text(&[
            entry("q07", "missing"),
            entry(
                "events.count",
                leadscore_core::fitted::FittedEvents::ABOVE_SCORED_AS,
            ),
        ]);
        let lines: Vec<&str> = text.lines().skip(1).collect();
        assert!(
            lines[0].ends_with("scored as missing (not yes/no)"),
            "{text}"
        );
        assert!(
            lines[1]
                .ends_with("event counts past the most any training lead had, scored as that most"),
            "{text}"
        );
    }
}
