//! HTML around the charts: the model card, the cutoff and target tables, the weights table, and
//! the self-contained report document. Everything is written as well-formed XHTML (every
//! element closed, text escaped), which browsers read as HTML and XML tools can check.

use crate::charts::{self, odds, pct, Chart};
use crate::figures::{
    marked_cutoff, target_rows, tier_rows, EvaluationSet, MarkedCutoff, ReportOptions, TierRow,
};
use crate::ReportError;
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::curve::CutoffError;
use std::fmt::Write;

/// The report's style sheet, inlined in the report and the model page.
pub const STYLE: &str = include_str!("report.css");

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A count with thousands separators (`9,240`).
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    // The first group holds 1 to 3 digits, every later one 3.
    let head = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        r => r,
    };
    let mut out = digits[..head].to_string();
    let mut rest = &digits[head..];
    while !rest.is_empty() {
        out.push(',');
        out.push_str(&rest[..3]);
        rest = &rest[3..];
    }
    out
}

/// Everything a report or the model page shows, rendered once.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The model's id.
    pub model_id: String,
    /// What the charts describe: the holdout, or the labeled file given (its name).
    pub evaluated_on: String,
    /// Whether that is a labeled file rather than the holdout.
    pub on_file: bool,
    /// The model card: id, training data, metrics, warnings.
    pub card: String,
    /// The cutoff the charts mark, in words (or why there is none).
    pub cutoff: String,
    /// The charts, in page order.
    pub charts: Vec<Chart>,
    /// "What a target precision costs" table.
    pub targets: String,
    /// Tiers table.
    pub tiers: String,
    /// Every weight, strongest first.
    pub weights: String,
}

impl Report {
    /// Renders the model card, charts and tables of `artifact` on its holdout, or on `data`
    /// (a labeled file scored by the model) when given.
    pub fn build(
        artifact: &ModelArtifact,
        data: Option<&EvaluationSet>,
        options: &ReportOptions,
    ) -> Result<Self, ReportError> {
        options.validate()?;
        let set = data
            .cloned()
            .unwrap_or_else(|| EvaluationSet::holdout(artifact));
        let marked = marked_cutoff(artifact, &set, options);
        let mark = marked.as_ref().ok();
        let tiers = tier_rows(&artifact.curve, &set, &options.tiers, options.confidence);
        let charts = vec![
            charts::weights(artifact, options.top_weights)?,
            charts::roc(&set, mark)?,
            charts::precision_recall(&set, mark)?,
            charts::calibration(&set)?,
            charts::lift_by_decile(&set)?,
            charts::lift_by_tier(&set, &tiers)?,
            charts::score_distribution(&set, mark)?,
        ];
        Ok(Self {
            model_id: artifact.model_id.clone(),
            evaluated_on: set.name.clone(),
            on_file: data.is_some(),
            card: model_card(artifact, &set),
            cutoff: cutoff_text(&set, options, &marked, data.is_some()),
            targets: targets_table(&set, options, marked.as_ref().ok()),
            tiers: tiers_table(&set, &tiers),
            weights: weights_table(artifact),
            charts,
        })
    }

    /// The charts as `<figure>` elements in a grid, in report order.
    pub fn charts_html(&self) -> String {
        self.charts_html_in(&crate::CHART_IDS)
    }

    /// The charts with these ids, in this order, as `<figure>` elements in a grid.
    pub fn charts_html_in(&self, ids: &[&str]) -> String {
        let mut out = String::from("<section id=\"charts\" class=\"charts\">\n");
        for id in ids {
            if let Some(c) = self.charts.iter().find(|c| c.id == *id) {
                out.push_str(&figure(c));
            }
        }
        out.push_str("</section>\n");
        out
    }

    /// The whole report as one self-contained HTML document (inline SVG and CSS, no scripts,
    /// nothing fetched).
    pub fn document(&self) -> String {
        let mut out = String::new();
        let _ =
            write!(
            out,
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n\
             <meta charset=\"utf-8\"/>\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
             <title>Lead score model {id}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
             <header><h1>Lead score model <code>{id}</code></h1>\
             <p>Model report written by <code>leadscore-train report</code>. Every figure comes \
             from the model file{data}.</p></header>\n<main>\n",
            id = escape(&self.model_id),
            data = if self.on_file {
                format!(" and the labeled file it was scored on ({})", escape(&self.evaluated_on))
            } else {
                " and its holdout".to_string()
            }
        );
        out.push_str(&self.card);
        out.push_str(&self.cutoff);
        out.push_str(&self.charts_html());
        out.push_str(&self.targets);
        out.push_str(&self.tiers);
        out.push_str(&self.weights);
        out.push_str("</main>\n</body>\n</html>\n");
        out
    }
}

/// The report document of `artifact`: on its holdout, or on `data` when given.
pub fn report_html(
    artifact: &ModelArtifact,
    data: Option<&EvaluationSet>,
    options: &ReportOptions,
) -> Result<String, ReportError> {
    Ok(Report::build(artifact, data, options)?.document())
}

/// One chart as a `<figure>`, with its frame as data attributes for live marks.
fn figure(c: &Chart) -> String {
    let class = if c.id == "chart-weights" {
        "chart wide"
    } else {
        "chart"
    };
    let frame = c.frame.map_or_else(String::new, |f| {
        format!(
            " data-x=\"{} {}\" data-y=\"{} {}\" data-px=\"{} {}\" data-py=\"{} {}\"",
            f.x[0], f.x[1], f.y[0], f.y[1], f.px[0], f.px[1], f.py[0], f.py[1]
        )
    });
    // Name the SVG for screen readers; plotters writes `<svg width=...`.
    let svg = c.svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(&c.title)),
        1,
    );
    format!(
        "<figure class=\"{class}\" id=\"{id}\"{frame}>\n{svg}<figcaption>{note}</figcaption>\n</figure>\n",
        id = c.id,
        note = escape(&c.note)
    )
}

fn row(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "<tr><th>{}</th><td>{value}</td></tr>", escape(key));
}

/// The model card: who the model is, what it learned from, how it did.
fn model_card(a: &ModelArtifact, set: &EvaluationSet) -> String {
    let p = &a.provenance;
    let e = &set.evaluation;
    let mut model = String::new();
    row(
        &mut model,
        "model id",
        &format!("<code>{}</code>", escape(&a.model_id)),
    );
    row(
        &mut model,
        "created",
        &format!(
            "{} by leadscore {}",
            escape(&a.created_at),
            escape(&a.leadscore_version)
        ),
    );
    row(
        &mut model,
        "features",
        &format!(
            "{} from {} input columns",
            a.model.features.len(),
            a.spec.columns.len()
        ),
    );
    row(
        &mut model,
        "penalty",
        &format!(
            "L2, alpha {:.4} (C = {:.4}) chosen by {}-fold cross-validation over {} values",
            p.penalty.alpha,
            1.0 / p.penalty.alpha,
            p.penalty.folds,
            p.penalty.grid.len()
        ),
    );
    row(
        &mut model,
        "solver",
        &format!(
            "{}: {} (gradient norm {:.3e}, tolerance {:.3e})",
            escape(&p.solver.solver),
            if p.solver.converged {
                "converged"
            } else {
                "NOT converged"
            },
            p.solver.gradient_norm,
            p.solver.gradient_tolerance
        ),
    );

    let mut data = String::new();
    for input in &p.inputs {
        row(
            &mut data,
            "input",
            &format!(
                "<code>{}</code>: {} rows, {} bytes, SHA-256 <code>{}</code>",
                escape(&input.path),
                count(input.rows),
                count(input.bytes),
                escape(input.sha256.get(..16).unwrap_or(&input.sha256))
            ),
        );
    }
    row(
        &mut data,
        "label",
        &format!(
            "<code>{}</code>, converted when {}",
            escape(&p.label),
            escape(&p.positive_values.join(", "))
        ),
    );
    let unit = p.unit();
    row(
        &mut data,
        unit,
        &format!(
            "{} used: training {} ({} converted), holdout {} ({} converted)",
            count(p.rows),
            count(p.train_rows),
            count(p.train_positives),
            count(p.holdout_rows),
            count(p.holdout_positives)
        ),
    );
    row(&mut data, "holdout", &escape(&p.split));
    if let Some((from, to)) = &p.date_range {
        row(
            &mut data,
            "dates",
            &format!("{} to {}", escape(from), escape(to)),
        );
    }
    if let Some(pit) = &p.point_in_time {
        row(
            &mut data,
            "point in time",
            &format!(
                "{}; converted within {} days after; {} leads: {} used, {} censored, {} converted \
                 before as_of; {} events featurized, {} after as_of dropped",
                escape(&pit.as_of_rule),
                pit.horizon_days,
                count(pit.leads),
                count(pit.used),
                count(pit.censored),
                count(pit.converted_before_as_of),
                count(pit.events_used),
                count(pit.events_after_as_of)
            ),
        );
        if !pit.landmarks.is_empty() {
            let per: Vec<String> = pit
                .landmarks
                .iter()
                .map(|l| {
                    format!(
                        "{} d: {} ({} converted; left out: {} censored, {} converted before, {} \
                         sampled out)",
                        l.age_days,
                        count(l.used),
                        count(l.positives),
                        count(l.censored),
                        count(l.converted_before_as_of),
                        count(l.sampled_out)
                    )
                })
                .collect();
            row(
                &mut data,
                "examples per landmark",
                &format!(
                    "{} examples of {} leads:<br/>{}",
                    count(pit.used),
                    count(pit.used_leads),
                    per.join("<br/>")
                ),
            );
        }
    }
    if let Some(r) = &a.replay {
        row(
            &mut data,
            "handoff replay",
            &format!(
                "{} holdout leads scored at {} moments (each landmark and each event); the cutoff \
                 is chosen on their handoff curve; the metrics are per example",
                count(r.leads),
                count(r.moments)
            ),
        );
    }

    let mut metrics = String::new();
    row(
        &mut metrics,
        unit,
        &format!(
            "{}, {} converted ({})",
            count(e.n),
            count(e.positives),
            pct(e.base_rate)
        ),
    );
    row(&mut metrics, "ROC AUC", &format!("{:.4}", e.roc_auc));
    row(
        &mut metrics,
        "PR AUC (average precision)",
        &format!("{:.4}", e.pr_auc),
    );
    row(&mut metrics, "log loss", &format!("{:.4}", e.log_loss));
    row(&mut metrics, "Brier score", &format!("{:.4}", e.brier));

    let mut warnings = String::new();
    for l in &a.leakage {
        let _ = writeln!(
            warnings,
            "<li>Column <code>{}</code> looks like leakage: on its own it reaches a holdout ROC AUC of {:.3}.</li>",
            escape(&l.column),
            l.roc_auc
        );
    }
    for w in &p.warnings {
        let _ = writeln!(warnings, "<li>{}</li>", escape(w));
    }
    let warnings = if warnings.is_empty() {
        String::new()
    } else {
        format!("<div class=\"warnings\"><h3>Warnings</h3><ul>\n{warnings}</ul></div>\n")
    };
    format!(
        "<section id=\"model-card\" class=\"card\">\n<h2>Model card</h2>\n\
         <div class=\"card-grid\">\n\
         <div><h3>Model</h3><table>\n{model}</table></div>\n\
         <div><h3>Training data</h3><table>\n{data}</table></div>\n\
         <div><h3>Metrics</h3><p class=\"set\">on the {set_name}</p><table>\n{metrics}</table></div>\n\
         </div>\n{warnings}</section>\n",
        set_name = escape(&set.name)
    )
}

/// The cutoff the charts mark, in words.
fn cutoff_text(
    set: &EvaluationSet,
    options: &ReportOptions,
    marked: &Result<MarkedCutoff, CutoffError>,
    on_file: bool,
) -> String {
    let head = format!(
        "MQL cutoff for a target precision of {} at {}% confidence",
        options.target_precision,
        trim(options.confidence * 100.0)
    );
    let body = match marked {
        Ok(m) => {
            let c = &m.chosen;
            let mut s = format!(
                "<p>Chosen on the holdout, as <code>leadscore-serve --target-precision {}</code> \
                 would: a lead is an MQL when its score is at least <strong>{:.4}</strong>. On the \
                 holdout that gives a precision of {:.3} (lower bound {:.3}), recall {:.3} and an \
                 MQL rate of {} ({:.0} MQLs per 1,000 leads). The charts mark it in red.</p>\n",
                options.target_precision,
                c.threshold,
                c.precision,
                c.precision_lower_bound,
                c.recall,
                pct(c.mql_rate),
                c.mql_rate * 1000.0
            );
            if on_file {
                let f = &m.on_set;
                let _ = writeln!(
                    s,
                    "<p>On the {}, the same cutoff gives a precision of {:.3} (lower bound \
                     {:.3}), recall {:.3} and an MQL rate of {}.</p>",
                    escape(&set.name),
                    f.precision,
                    f.precision_lower_bound,
                    f.recall,
                    pct(f.mql_rate)
                );
            }
            s
        }
        Err(e) => format!(
            "<p class=\"error\">No cutoff is marked: {}.</p>\n",
            escape(&e.to_string())
        ),
    };
    format!("<section id=\"cutoff\">\n<h2>{head}</h2>\n{body}</section>\n")
}

/// `95.0` -> `95`, `97.5` -> `97.5`.
fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What each target precision costs on the set.
fn targets_table(
    set: &EvaluationSet,
    options: &ReportOptions,
    marked: Option<&MarkedCutoff>,
) -> String {
    let mut out = format!(
        "<section id=\"targets\">\n<h2>What a target precision costs</h2>\n<p>For each \
         target, the loosest cutoff whose precision stays at or above it with {}% confidence on \
         the {}{} (scanning from the strictest threshold down; thresholds selecting fewer than 30 \
         leads are skipped).</p>\n<table id=\"table-targets\" class=\"numbers\">\n<thead><tr>\
         <th>target precision</th><th>cutoff</th><th>precision</th><th>lower bound</th>\
         <th>recall</th><th>MQL rate</th><th>MQLs per 1,000 leads</th></tr></thead>\n<tbody>\n",
        trim(options.confidence * 100.0),
        escape(&set.name),
        if set.handoff.is_some() {
            ", on the handoff curve: each lead replayed through its life (scored at every \
             landmark and after every event) and handed over the first time its score reaches \
             the cutoff; precision is the share of those converting within the horizon after \
             that moment, recall the share of leads converting within the horizon after some \
             moment that were handed over in time"
        } else {
            ""
        }
    );
    for r in target_rows(set.decision_curve(), &options.targets, options.confidence) {
        let current = marked.is_some() && (r.target - options.target_precision).abs() < 1e-9;
        let class = if current { " class=\"current\"" } else { "" };
        match r.cutoff {
            Ok(p) => {
                let _ = writeln!(
                    out,
                    "<tr{class}><td>{:.2}</td><td>{:.4}</td><td>{:.3}</td><td>{:.3}</td>\
                     <td>{:.3}</td><td>{}</td><td>{:.0}</td></tr>",
                    r.target,
                    p.threshold,
                    p.precision,
                    p.precision_lower_bound,
                    p.recall,
                    pct(p.mql_rate),
                    p.mql_rate * 1000.0
                );
            }
            Err(CutoffError::Unattainable { best_precision, .. }) => {
                let _ = writeln!(
                    out,
                    "<tr class=\"unattainable\"><td>{:.2}</td><td colspan=\"6\">not attainable \
                     (the best supported precision is {best_precision:.3})</td></tr>",
                    r.target
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "<tr class=\"unattainable\"><td>{:.2}</td><td colspan=\"6\">{}</td></tr>",
                    r.target,
                    escape(&e.to_string())
                );
            }
        }
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

/// Tiers on the set.
fn tiers_table(set: &EvaluationSet, tiers: &[TierRow]) -> String {
    if tiers.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<section id=\"tiers\">\n<h2>Tiers</h2>\n<p>Cutoffs chosen on the holdout; leads and \
         conversions counted on the {}.</p>\n<table id=\"table-tiers\" class=\"numbers\">\n\
         <thead><tr><th>tier</th><th>target precision</th><th>lowest score</th><th>leads</th>\
         <th>share of leads</th><th>converted</th><th>conversion rate</th><th>lift</th></tr>\
         </thead>\n<tbody>\n",
        escape(&set.name)
    );
    for t in tiers {
        let target = t
            .target
            .map_or_else(|| "rest".to_string(), |x| format!("{x:.2}"));
        if t.unattainable {
            let _ = writeln!(
                out,
                "<tr class=\"unattainable\"><td>{}</td><td>{target}</td><td colspan=\"6\">not \
                 attainable: never given</td></tr>",
                escape(&t.name)
            );
            continue;
        }
        let lowest = t
            .threshold
            .map_or_else(|| "below the others".to_string(), |x| format!("{x:.4}"));
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{target}</td><td>{lowest}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{:.2}×</td></tr>",
            escape(&t.name),
            count(t.leads),
            pct(t.share_of_leads),
            count(t.converted),
            pct(t.conversion_rate),
            t.lift
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

/// Every weight, strongest first, in a collapsible table.
fn weights_table(a: &ModelArtifact) -> String {
    let mut rows: Vec<_> = a.model.features.iter().collect();
    rows.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
    let mut out = format!(
        "<section id=\"weights\">\n<details>\n<summary>All {} weights (intercept {:.4}: the \
         log-odds of a lead at the training average)</summary>\n<table id=\"table-weights\" \
         class=\"numbers\">\n<thead><tr><th>feature</th><th>column</th><th>weight (per SD)</th>\
         <th>odds ratio (per unit)</th><th>active share</th></tr></thead>\n<tbody>\n",
        rows.len(),
        a.model.intercept
    );
    for f in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{:+.4}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.name),
            escape(&f.column),
            f.weight,
            odds(f.odds_ratio),
            pct(f.active_share)
        );
    }
    out.push_str("</tbody>\n</table>\n</details>\n</section>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_counts() {
        assert_eq!(
            escape("a<b & \"c\" 'd'"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;"
        );
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(9240), "9,240");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(trim(95.0), "95");
        assert_eq!(trim(97.5), "97.5");
    }
}
