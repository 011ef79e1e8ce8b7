//! HTML around the charts: the model card, the cutoff and target tables, the weights table, and
//! the self-contained report document. Everything is written with maud's `html!`, so every
//! value spliced in (column names and category levels come from a CSV's header and cells) is
//! escaped by construction; only the charts' SVG and the style sheet go in as they are. The
//! output is well-formed XHTML (every element closed, void elements as `<br/>`), which browsers
//! read as HTML and XML tools can check.

use crate::charts::{self, odds, pct, Chart};
use crate::figures::{
    marked_cutoff, target_rows, tier_rows, EvaluationSet, MarkedCutoff, ReportOptions, TierRow,
};
use crate::{isolate, ReportError};
use leadscore_core::artifact::{bins_label, penalty_text, BinsSearch, ModelArtifact, ShapeSearch};
use leadscore_core::curve::{cutoff_for_precision, CutoffError, CutoffVerdict, CHECKED_TARGETS};
use leadscore_core::explain::{ExplainSummary, ExplainedLead, Part};
use leadscore_core::funnel::Funnel;
use leadscore_core::gates::{GateSpec, Gates, CURVE_POINTS};
use leadscore_core::metrics::metric_text;
use maud::{html, Markup, PreEscaped, Render, DOCTYPE};

/// The report's style sheet, inlined in the report and the model page.
pub const STYLE: &str = include_str!("report.css");

/// A void element written the XML way (`<br/>`, `<meta charset="utf-8"/>`). maud writes `br;`
/// as `<br>`, which is not well-formed XML, and `br {}` as `<br></br>`, which HTML reads as two
/// line breaks; so write the element with an empty body (`html! { br {} }`, attributes escaped
/// by maud) and pass it here, which folds its end tag into `/>`. Anything else is returned as
/// it is.
pub fn self_closing(element: Markup) -> Markup {
    let markup = element.into_string();
    // maud escapes `>` in attribute values, so the first `>` ends the start tag; an empty body
    // means the end tag follows at once.
    let folded = markup.strip_prefix('<').and_then(|rest| {
        let end = rest.find('>')?;
        let name = rest[..end].split(' ').next()?;
        (rest[end + 1..] == format!("</{name}>")).then(|| format!("<{}/>", &rest[..end]))
    });
    // Safe: maud's markup (values escaped) with its end tag folded; nothing else changed.
    PreEscaped(folded.unwrap_or(markup))
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

/// Everything a report or the model page shows, rendered once. The pieces are maud [`Markup`]
/// (their values escaped when built), so a page splices them into its own `html!` as they are.
#[derive(Debug, Clone)]
pub struct Report {
    /// The model's id.
    pub model_id: String,
    /// What the charts describe: the holdout, or the labeled file given (its name).
    pub evaluated_on: String,
    /// Whether that is a labeled file rather than the holdout.
    pub on_file: bool,
    /// The model card: id, training data, metrics, warnings.
    pub card: Markup,
    /// The cutoff the charts mark, in words (or why there is none).
    pub cutoff: Markup,
    /// A labeled file's values that training did not see, per field (empty for the holdout).
    pub unseen: Markup,
    /// The charts, in page order.
    pub charts: Vec<Chart>,
    /// "What a target precision costs" table.
    pub targets: Markup,
    /// Tiers table.
    pub tiers: Markup,
    /// Every weight, strongest first.
    pub weights: Markup,
    /// The holdout's fit x engagement grid (empty for models without an `explain` section).
    pub parts: Markup,
    /// What each gate holds back and costs (empty without gates).
    pub gates: Markup,
    /// A few holdout leads with their key factors (empty for models without them).
    pub examples: Markup,
    /// The interaction terms: the ranking and the evidence for how many (empty without a
    /// pair search).
    pub pairs: Markup,
    /// Funnel metrics by group and period, with their charts (empty unless added with
    /// [`Report::add_funnel`]).
    pub funnel: Markup,
    /// The set the report describes (its charts draw [`EvaluationSet::charted`]).
    pub set: EvaluationSet,
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
        let mut charts = match &artifact.explain {
            Some(e) => vec![charts::importance(artifact, e)?, charts::shapes(e)?],
            None => vec![charts::weights(artifact, options.top_weights)?],
        };
        charts.extend([
            charts::roc(&set, mark)?,
            charts::precision_recall(&set, mark)?,
            charts::calibration(&set)?,
            charts::lift_by_decile(&set)?,
            charts::lift_by_tier(&set, &tiers)?,
            charts::score_distribution(&set, mark)?,
        ]);
        Ok(Self {
            model_id: artifact.model_id.clone(),
            evaluated_on: set.name.clone(),
            on_file: data.is_some(),
            card: model_card(artifact, &set),
            cutoff: cutoff_text(&set, options, &marked, data.is_some()),
            unseen: unseen_section(&set),
            targets: targets_table(&set, options, marked.as_ref().ok()),
            tiers: tiers_table(
                &set,
                &tiers,
                !artifact.gates.is_empty() && set.handoff.is_some(),
            ),
            weights: weights_table(artifact),
            pairs: pairs_section(artifact),
            parts: artifact
                .explain
                .as_ref()
                .map_or_else(|| html! {}, parts_table),
            examples: artifact
                .explain
                .as_ref()
                .map_or_else(|| html! {}, examples_section),
            gates: gates_section(
                artifact,
                &artifact.gates,
                options.target_precision,
                options.confidence,
            ),
            charts,
            funnel: html! {},
            set,
        })
    }

    /// Adds the funnel section (`leadscore-train funnel --json`): its two charts and its table.
    pub fn add_funnel(&mut self, f: &Funnel) -> Result<(), ReportError> {
        let precision = charts::funnel_precision(f)?;
        let rate = charts::funnel_mql_rate(f)?;
        self.funnel = funnel_section(f, &[&precision, &rate]);
        self.charts.extend([precision, rate]);
        Ok(())
    }

    /// The charts as `<figure>` elements in a grid, in report order.
    pub fn charts_html(&self) -> Markup {
        self.charts_html_in(&crate::CHART_IDS)
    }

    /// The charts with these ids, in this order, as `<figure>` elements in a grid.
    pub fn charts_html_in(&self, ids: &[&str]) -> Markup {
        html! {
            section id="charts" class="charts" {
                @for id in ids {
                    @if let Some(c) = self.charts.iter().find(|c| c.id == *id) {
                        (figure(c))
                    }
                }
            }
        }
    }

    /// The whole report as one self-contained HTML document (inline SVG and CSS, no scripts,
    /// nothing fetched).
    pub fn document(&self) -> String {
        let mut out = html! {
            (DOCTYPE)
            html xmlns="http://www.w3.org/1999/xhtml" lang="en" {
                head {
                    (self_closing(html! { meta charset="utf-8" {} }))
                    (self_closing(html! {
                        meta name="viewport" content="width=device-width, initial-scale=1" {}
                    }))
                    title { "Lead score model " (self.model_id) }
                    // Safe: a constant of this crate (report.css), no data in it.
                    style { "\n" (PreEscaped(STYLE)) }
                }
                body {
                    header {
                        h1 { "Lead score model " code { (self.model_id) } }
                        p {
                            "Model report written by " code { "leadscore-train report" }
                            ". Every figure comes from the model file"
                            @if self.on_file {
                                " and the labeled file it was scored on (" (isolate(&self.evaluated_on)) ")"
                            } @else {
                                " and its holdout"
                            }
                            "."
                        }
                    }
                    main {
                        (self.card)
                        (self.cutoff)
                        (self.unseen)
                        (self.charts_html())
                        (self.pairs)
                        (self.targets)
                        (self.parts)
                        (self.examples)
                        (self.gates)
                        (self.funnel)
                        (self.tiers)
                        (self.weights)
                    }
                }
            }
        }
        .into_string();
        out.push('\n');
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

/// `a b`, as the frame's data attributes hold a range.
fn pair<T: std::fmt::Display>(v: [T; 2]) -> String {
    format!("{} {}", v[0], v[1])
}

/// One chart as a `<figure>`, with its frame as data attributes for live marks.
fn figure(c: &Chart) -> Markup {
    let class = if ["chart-weights", "chart-importance", "chart-shapes"].contains(&c.id) {
        "chart wide"
    } else {
        "chart"
    };
    let f = c.frame.as_ref();
    // Name the SVG for screen readers; plotters writes `<svg width=...`.
    let label = c.title.render().into_string();
    let svg = c.svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{label}\" "),
        1,
    );
    html! {
        figure class=(class) id=(c.id) data-x=[f.map(|f| pair(f.x))]
            data-y=[f.map(|f| pair(f.y))] data-px=[f.map(|f| pair(f.px))]
            data-py=[f.map(|f| pair(f.py))] {
            // Safe: plotters escapes every text and attribute value it writes (see charts.rs),
            // and the label added above is escaped by maud.
            (PreEscaped(svg))
            figcaption { (c.note) }
        }
    }
}

/// The funnel: what it was computed from, its charts, and every row.
fn funnel_section(f: &Funnel, charts: &[&Chart]) -> Markup {
    let s = &f.settings;
    let share =
        |x: Option<f64>| x.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", 100.0 * v));
    let by = isolate(s.by.as_deref().unwrap_or("all leads"));
    html! {
        section id="funnel" {
            h2 { "Funnel by " (by) " and " (s.period.name()) }
            p {
                "Leads by the " (s.period.name()) " they entered the funnel (created, else first \
                 scored), how many became MQLs, and how the MQLs converted within "
                (s.horizon_days) " days, as of " (s.now) ". An MQL's outcome is known once its \
                 horizon has passed; the realized precision is measured on those alone."
                @if let Some(p) = s.target_precision {
                    " The promise: at least " (format!("{:.0}%", 100.0 * p)) " of the MQLs \
                     convert; a row is marked below it when even the upper confidence bound of \
                     its realized precision is."
                }
                " From: " (f.sources.join("; ")) "."
            }
            section class="charts" {
                @for c in charts { (figure(c)) }
            }
            table id="table-funnel" class="numbers" {
                thead {
                    tr {
                        th { (by) } th { (s.period.name()) } th { "leads" } th { "MQLs" }
                        th { "MQL rate" } th { "converted" } th { "MQL to conversion" }
                        th { "known MQLs" } th { "realized precision" }
                        th { (format!("{:.0}% lower bound", 100.0 * s.confidence)) }
                        th { "median days to conversion" }
                    }
                }
                tbody {
                    @for r in f.rows.iter().chain(s.by.as_ref().map(|_| &f.total)) {
                        tr {
                            td { (r.group) } td { (r.period) } td { (count(r.leads)) }
                            td { (count(r.mqls)) } td { (share(r.mql_rate)) }
                            td { (count(r.mqls_converted)) } td { (share(r.mql_conversion_rate)) }
                            td { (count(r.mqls_known)) }
                            td {
                                (share(r.realized_precision))
                                @if r.below_promise { " (below the promise)" }
                            }
                            td { (share(r.precision_lower_bound)) }
                            td {
                                (r.median_days_to_conversion
                                    .map_or_else(|| "-".to_string(), |d| format!("{d:.1}")))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A labeled file's values that training did not see (nothing for the holdout).
fn unseen_section(set: &EvaluationSet) -> Markup {
    let Some(unseen) = &set.unseen else {
        return html! {};
    };
    html! {
        section id="unseen" {
            h2 { "Values training did not see" }
            @if unseen.is_empty() {
                p {
                    "Every value of a yes/no, categorical or numeric field in the " (isolate(&set.name))
                    " is one the model learned from (numbers within the training range)."
                }
            } @else {
                p {
                    "These leads were scored, not refused, with a value the model did not learn "
                    "from: a yes/no field holding something else is scored as missing, a "
                    "categorical level not kept in training (new, or too rare) as other, a "
                    "number below or above every training value as the nearest training value, "
                    "an event of a type never seen in training (events.event_type) as an active "
                    "day only, event counts past the most training saw (events.count) as that "
                    "most. Many of them in one field means the data has changed since "
                    "training."
                }
                table id="table-unseen" class="numbers" {
                    thead {
                        tr {
                            th { "field" } th { "leads" } th { "distinct values" }
                            th { "most frequent" } th { "scored as" }
                        }
                    }
                    tbody {
                        @for u in unseen {
                            tr {
                                td { code { (isolate(&u.column)) } }
                                td { (u.leads) }
                                td { (u.distinct) }
                                td {
                                    (listed(u.shown().iter()))
                                    @if u.distinct > u.values.len() as u64 { ", ..." }
                                }
                                td { (u.scored_as) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Names from the data, each isolated ([`isolate`]), separated by commas.
fn listed<'a>(names: impl IntoIterator<Item = &'a String>) -> String {
    names
        .into_iter()
        .map(|n| isolate(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of a card table: a heading and its value (text, escaped, or markup).
fn row(key: &str, value: impl Render) -> Markup {
    html! { tr { th { (key) } td { (value) } } }
}

/// The bins search of `bins = "auto"` columns: the choice, then each candidate's CV evidence.
fn bins_card(b: &BinsSearch, folds: usize, unit: &str) -> Markup {
    let n = b.columns.len();
    html! {
        (format!(
            "{} per column for {n} numeric column{} with bins = \"auto\" ({}), chosen by \
             {folds}-fold cross-validation on {} training {unit}, each candidate at its best \
             penalty; the fewest bins within one standard error of the lowest pooled \
             out-of-fold log loss win (more bins must beat fewer by more than noise){}:",
            b.chosen_label(),
            if n == 1 { "" } else { "s" },
            listed(b.columns.iter().take(6))
                + &if n > 6 { format!(" and {} more", n - 6) } else { String::new() },
            count(b.rows),
            if b.spikes_compared() {
                "; then the chosen number (the fewest tried when none) with spikes (a value \
                 holding a bin's share of the rows) in bins of their own, kept if it beats the \
                 chosen candidate by more than one standard error"
            } else {
                ""
            }
        ))
        @for c in &b.candidates {
            (self_closing(html! { br {} }))
            (format!(
                "{} bins: {} features, alpha {}, CV log loss {:.4}, CV ROC AUC {:.4}{}",
                bins_label(c.bins, c.spikes),
                c.features,
                penalty_text(c.alpha),
                c.cv_log_loss,
                c.cv_roc_auc,
                if b.is_chosen(c) { " (chosen)" } else { "" }
            ))
        }
        @for skipped in &b.skipped {
            (self_closing(html! { br {} }))
            (format!(
                "{} bins: not tried ({})",
                bins_label(skipped.bins, skipped.spikes),
                skipped.label()
            ))
        }
    }
}

/// The shape search: the columns that got bins of their own, the ranking and the counts
/// compared.
fn shapes_card(s: &ShapeSearch, unit: &str) -> Markup {
    html! {
        (format!(
            "{} of {} \"auto\" column{} without bins got bins of their own ({}): {} quantile \
             bins, or a bin per value seen {}+ times for fewer than 10 distinct values; ranked by \
             their gain on the residuals of {} training {unit}, how many chosen by {}-fold \
             cross-validation at alpha {}",
            s.chosen.len(),
            s.columns.len(),
            if s.columns.len() == 1 { "" } else { "s" },
            if s.chosen.is_empty() {
                "none".to_string()
            } else {
                listed(&s.chosen)
            },
            s.bins,
            s.value_min_count,
            count(s.rows),
            s.folds,
            penalty_text(s.alpha)
        ))
        @for r in s.ranked.iter().take(8) {
            (self_closing(html! { br {} }))
            (format!(
                "{}: gain {:.2}, {} {}",
                r.name,
                r.gain,
                r.cells,
                if r.by_value { "values" } else { "bins" }
            ))
        }
        @for c in &s.candidates {
            (self_closing(html! { br {} }))
            (format!(
                "{} columns: {} features, CV log loss {:.4}, CV ROC AUC {:.4}{}",
                c.columns,
                c.features,
                c.cv_log_loss,
                c.cv_roc_auc,
                if c.columns == s.chosen.len() { " (chosen)" } else { "" }
            ))
        }
    }
}

/// The model card: who the model is, what it learned from, how it did.
fn model_card(a: &ModelArtifact, set: &EvaluationSet) -> Markup {
    let p = &a.provenance;
    let e = &set.evaluation;
    let model = html! {
        (row("model id", html! { code { (a.model_id) } }))
        (row("created", format!("{} by leadscore {}", a.created_at, a.leadscore_version)))
        (row(
            "features",
            {
                // Totals (`sum_of`) are computed from input columns, not read.
                let totals = a.spec.totals().count();
                format!(
                    "{} from {} input columns{}",
                    a.model.features.len(),
                    a.spec.inputs().count(),
                    match totals {
                        0 => String::new(),
                        1 => " and a total of some of them".to_string(),
                        n => format!(" and {n} totals of some of them"),
                    }
                )
            },
        ))
        (row(
            "penalty",
            html! {
                @if let Some(pairs) = p.pairs.as_ref().filter(|q| q.refit_alpha.is_some()) {
                    // The model is fitted at the penalty chosen again with its pairs.
                    (format!(
                        "L2, alpha {} (C = {}) chosen again with the pairs by {}-fold \
                         cross-validation over {} values (see Pairs of fields); without them \
                         alpha {} (C = {}) was chosen over {} values",
                        penalty_text(p.fitted_alpha()),
                        penalty_text(1.0 / p.fitted_alpha()),
                        pairs.folds,
                        pairs.penalties.len(),
                        penalty_text(p.penalty.alpha),
                        penalty_text(1.0 / p.penalty.alpha),
                        p.penalty.grid.len()
                    ))
                } @else {
                    (format!(
                        "L2, alpha {} (C = {}) chosen by {}-fold cross-validation over {} values",
                        penalty_text(p.penalty.alpha),
                        penalty_text(1.0 / p.penalty.alpha),
                        p.penalty.folds,
                        p.penalty.grid.len()
                    ))
                }
                @if !p.penalty.extended.is_empty() {
                    (format!(
                        "; the best was on an edge of the grid, so {} more were tried a decade \
                         apart beyond it (alpha {})",
                        p.penalty.extended.len(),
                        p.penalty.extended
                            .iter()
                            .map(|a| penalty_text(*a))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
                @if p.penalty.at_edge {
                    "; the chosen penalty is still at the edge of the values tried"
                }
            },
        ))
        @if let Some(b) = &p.bins {
            (row("quantile bins", bins_card(b, p.penalty.folds, p.unit())))
        }
        @if let Some(sh) = &p.shapes {
            (row("shapes", shapes_card(sh, p.unit())))
        }
        (row(
            "solver",
            format!(
                "{}: {} (gradient norm {:.3e}, tolerance {:.3e})",
                p.solver.solver,
                if p.solver.converged {
                    "converged"
                } else {
                    "NOT converged"
                },
                p.solver.gradient_norm,
                p.solver.gradient_tolerance
            ),
        ))
    };

    let unit = p.unit();
    let data = html! {
        @for input in &p.inputs {
            (row("input", html! {
                code { (input.path) } ": " (count(input.rows)) " rows, " (count(input.bytes))
                " bytes, SHA-256 " code { (input.sha256.get(..16).unwrap_or(&input.sha256)) }
            }))
        }
        (row("label", html! {
            code { (isolate(&p.label)) } ", converted when "
            (listed(&p.positive_values))
        }))
        (row(
            unit,
            format!(
                "{} used: training {} ({} converted), holdout {} ({} converted)",
                count(p.rows),
                count(p.train_rows),
                count(p.train_positives),
                count(p.holdout_rows),
                count(p.holdout_positives)
            ),
        ))
        (row("holdout", &p.split))
        @if let Some((from, to)) = &p.date_range {
            (row("dates", format!("{from} to {to}")))
        }
        @if let Some(pit) = &p.point_in_time {
            (row(
                "point in time",
                format!(
                    "{}; converted within {} days after; {} leads: {} used, {} censored, {} \
                     converted before as_of; {} events featurized, {} after as_of dropped",
                    pit.as_of_rule,
                    pit.horizon_days,
                    count(pit.leads),
                    count(pit.used),
                    count(pit.censored),
                    count(pit.converted_before_as_of),
                    count(pit.events_used),
                    count(pit.events_after_as_of)
                ),
            ))
            @if !pit.landmarks.is_empty() {
                (row("examples per landmark", html! {
                    (format!("{} examples of {} leads:", count(pit.used), count(pit.used_leads)))
                    @for l in &pit.landmarks {
                        (self_closing(html! { br {} }))
                        (format!(
                            "{} d: {} ({} converted; left out: {} censored, {} converted \
                             before, {} sampled out)",
                            l.age_days,
                            count(l.used),
                            count(l.positives),
                            count(l.censored),
                            count(l.converted_before_as_of),
                            count(l.sampled_out)
                        ))
                    }
                }))
            }
        }
        @if let Some(r) = &a.replay {
            (row(
                "handoff replay",
                format!(
                    "{} holdout leads scored at {} moments (each landmark and each event); the \
                     cutoff is chosen on their handoff curve; the metrics are per example",
                    count(r.leads),
                    count(r.moments)
                ),
            ))
        }
    };

    let metrics = html! {
        (row(
            unit,
            format!(
                "{}, {} converted ({})",
                count(e.n),
                count(e.positives),
                pct(e.base_rate)
            ),
        ))
        (row("ROC AUC", metric_text(e.roc_auc, 4)))
        (row("PR AUC (average precision)", metric_text(e.pr_auc, 4)))
        (row("log loss", format!("{:.4}", e.log_loss)))
        (row("Brier score", format!("{:.4}", e.brier)))
    };

    html! {
        section id="model-card" class="card" {
            h2 { "Model card" }
            div class="card-grid" {
                div { h3 { "Model" } table { (model) } }
                div { h3 { "Training data" } table { (data) } }
                div {
                    h3 { "Metrics" }
                    p class="set" { "on the " (isolate(&set.name)) }
                    table { (metrics) }
                }
            }
            @if !a.leakage.is_empty() || !p.warnings.is_empty() {
                div class="warnings" {
                    h3 { "Warnings" }
                    ul {
                        @for l in &a.leakage {
                            li {
                                "Column " code { (isolate(&l.column)) }
                                (format!(
                                    " looks like leakage: on its own it reaches a holdout ROC \
                                     AUC of {:.3}.",
                                    l.roc_auc
                                ))
                            }
                        }
                        @for w in &p.warnings {
                            li { (w) }
                        }
                    }
                }
            }
        }
    }
}

/// The cutoff the charts mark, in words.
fn cutoff_text(
    set: &EvaluationSet,
    options: &ReportOptions,
    marked: &Result<MarkedCutoff, CutoffError>,
    on_file: bool,
) -> Markup {
    let head = format!(
        "MQL cutoff for a target precision of {} at {}% confidence",
        options.target_precision,
        trim(options.confidence * 100.0)
    );
    html! {
        section id="cutoff" {
            h2 { (head) }
            @match marked {
                Ok(m) => {
                    @let c = &m.chosen;
                    p {
                        "Chosen on the holdout, as "
                        code {
                            (format!("leadscore-serve --target-precision {}", options.target_precision))
                        }
                        " would: a lead is an MQL when its score is at least "
                        strong { (format!("{:.4}", c.threshold)) }
                        (format!(
                            ". On the holdout that gives a precision of {:.3} (lower bound \
                             {:.3}), recall {:.3} and an MQL rate of {} ({:.0} MQLs per 1,000 \
                             leads). The charts mark it in red.",
                            c.precision,
                            c.precision_lower_bound,
                            c.recall,
                            pct(c.mql_rate),
                            c.mql_rate * 1000.0
                        ))
                    }
                    @if on_file {
                        @let f = &m.on_set;
                        p {
                            (format!(
                                "On the {}, the same cutoff gives a precision of {:.3} (lower \
                                 bound {:.3}), {} and an MQL rate of {}.",
                                isolate(&set.name),
                                f.precision,
                                f.precision_lower_bound,
                                if set.decision_curve().positives == 0 {
                                    "no recall (nobody converted)".to_string()
                                } else {
                                    format!("recall {:.3}", f.recall)
                                },
                                pct(f.mql_rate)
                            ))
                        }
                    }
                }
                Err(e) => {
                    p class="error" { "No cutoff is marked: " (e.to_string()) "." }
                }
            }
        }
    }
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
) -> Markup {
    let intro = format!(
        "For each target, the loosest cutoff whose precision stays at or above it with {}% \
         confidence on the {}{} (scanning from the strictest threshold down; thresholds \
         selecting fewer than 30 leads are skipped).",
        trim(options.confidence * 100.0),
        isolate(&set.name),
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
    let rows = target_rows(set.decision_curve(), &options.targets, options.confidence);
    html! {
        (model_cutoffs_section(set))
        section id="targets" {
            h2 { "What a target precision costs" }
            p { (intro) }
            table id="table-targets" class="numbers" {
                thead {
                    tr {
                        th { "target precision" } th { "cutoff" } th { "precision" }
                        th { "lower bound" } th { "recall" } th { "MQL rate" }
                        th { "MQLs per 1,000 leads" }
                    }
                }
                tbody {
                    @for r in &rows {
                        @let target = format!("{:.2}", r.target);
                        @match &r.cutoff {
                            Ok(p) => {
                                @let current = marked.is_some()
                                    && (r.target - options.target_precision).abs() < 1e-9;
                                tr class=[current.then_some("current")] {
                                    td { (target) }
                                    td { (format!("{:.4}", p.threshold)) }
                                    td { (format!("{:.3}", p.precision)) }
                                    td { (format!("{:.3}", p.precision_lower_bound)) }
                                    td { (format!("{:.3}", p.recall)) }
                                    td { (pct(p.mql_rate)) }
                                    td { (format!("{:.0}", p.mql_rate * 1000.0)) }
                                }
                            }
                            // (A holdout too small for the target at all: the error's own
                            // words, below, say so.)
                            Err(CutoffError::Unattainable {
                                best_precision,
                                best_precision_lower_bound,
                                stopped_at,
                                thin: None,
                                ..
                            }) => {
                                // The promise is the lower bound: a best precision above the
                                // target reads as a contradiction without it.
                                @let why = match stopped_at {
                                    Some((at, lower)) => format!(
                                        "not attainable: testing from the strictest cutoff \
                                         down stopped at {at:.4} (lower bound {lower:.3}), \
                                         before the best point (precision \
                                         {best_precision:.3}, lower bound \
                                         {best_precision_lower_bound:.3})"
                                    ),
                                    None => format!(
                                        "not attainable: the highest lower bound of any cutoff \
                                         is {best_precision_lower_bound:.3} (precision \
                                         {best_precision:.3} there)"
                                    ),
                                };
                                tr class="unattainable" {
                                    td { (target) }
                                    td colspan="6" { (why) }
                                }
                            }
                            Err(e) => {
                                tr class="unattainable" {
                                    td { (target) }
                                    td colspan="6" { (e.to_string()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A labeled file's judgement of the model's own cutoffs (empty for the holdout): what each
/// cutoff a server would use delivered on the file, against what the holdout promised.
fn model_cutoffs_section(set: &EvaluationSet) -> Markup {
    let Some(checks) = &set.model_cutoffs else {
        return html! {};
    };
    let unreached: Vec<String> = CHECKED_TARGETS
        .iter()
        .filter(|t| !checks.iter().any(|c| c.target == **t))
        .map(|t| format!("{t:.2}"))
        .collect();
    html! {
        section id="model-cutoffs" {
            h2 { "The model's own cutoffs on this data" }
            p {
                "Each cutoff was chosen on the model's holdout for its target, as a server \
                 started with " code { "--target-precision" } " at that target chooses it \
                 (95% confidence), and is applied here as it is, on the "
                (isolate(&set.name))
                @if set.handoff.is_some() {
                    " (on the handoff curve: each lead counted once, handed over the first time \
                     its score reached the cutoff)"
                }
                ". " b { "holds" } ": the lower bound of the precision here reaches the target; "
                b { "BELOW the target" } ": even its upper bound is under it, a promise broken \
                 beyond chance; " b { "within chance" } ": in between. The table after this \
                 one is another test: the cutoff this file alone would support choosing."
            }
            @if checks.is_empty() {
                p class="error" {
                    "The model's holdout reaches no cutoff for any target checked ("
                    (unreached.join(", "))
                    "), so there is none to judge here: a server refuses these targets."
                }
            } @else {
                table id="table-model-cutoffs" class="numbers" {
                    thead {
                        tr {
                            th { "target precision" } th { "cutoff" } th { "promised (lower bound)" }
                            th { "precision here" } th { "lower bound" } th { "upper bound" }
                            th { "recall" } th { "MQL rate" } th { "verdict" }
                        }
                    }
                    tbody {
                        @for c in checks {
                            @let broken = c.verdict == CutoffVerdict::Below;
                            tr class=[broken.then_some("below")] {
                                td { (format!("{:.2}", c.target)) }
                                td { (format!("{:.4}", c.promised.threshold)) }
                                td { (format!("{:.3}", c.promised.precision_lower_bound)) }
                                @if c.verdict == CutoffVerdict::NoMqls {
                                    td { "–" } td { "–" } td { "–" }
                                } @else {
                                    td { (format!("{:.3}", c.here.precision)) }
                                    td { (format!("{:.3}", c.here.precision_lower_bound)) }
                                    td { (format!("{:.3}", c.precision_upper_bound)) }
                                }
                                td {
                                    @if c.converted > 0 {
                                        (format!("{:.3}", c.here.recall))
                                    } @else {
                                        "–"
                                    }
                                }
                                td { (pct(c.here.mql_rate)) }
                                td { (c.verdict.words()) }
                            }
                        }
                    }
                }
                @if !unreached.is_empty() {
                    p {
                        (unreached.join(", "))
                        ": the model's holdout reaches no cutoff for "
                        @if unreached.len() == 1 {
                            "it (a server refuses this target)."
                        } @else {
                            "them (a server refuses these targets)."
                        }
                    }
                }
            }
        }
    }
}

/// Labels of the bands a grid's edges make: quartiles when there are three distinct edges.
fn band_labels(edges: &[f64]) -> Vec<String> {
    if edges.len() == 3 {
        return ["lowest 25%", "25-50%", "50-75%", "top 25%"]
            .map(String::from)
            .to_vec();
    }
    let mut out = Vec::with_capacity(edges.len() + 1);
    for (k, e) in edges.iter().enumerate() {
        out.push(match k {
            0 => format!("below {e:+.2}"),
            _ => format!("{:+.2} to {e:+.2}", edges[k - 1]),
        });
    }
    out.push(match edges.last() {
        Some(e) => format!("{e:+.2} and above"),
        None => "all".into(),
    });
    out
}

/// The fit x engagement grid of the holdout: conversion rate and count per cell; a model with
/// one part only gets one column of that part's bands (a grid would name bands of the other
/// part that the leads do not have).
fn parts_table(e: &ExplainSummary) -> Markup {
    let g = &e.grid;
    let (fit, eng) = (band_labels(&g.fit_edges), band_labels(&g.engagement_edges));
    if let Some(part) = lone_part(e) {
        // Examples (n, converted) per band of the part the model has, lowest band first.
        let bands: Vec<(u64, u64)> = match part {
            Part::Fit => g
                .cells
                .iter()
                .map(|row| row.iter().fold((0, 0), |(a, b), (n, c)| (a + n, b + c)))
                .collect(),
            Part::Engagement => (0..g.engagement_edges.len() + 1)
                .map(|j| {
                    g.cells
                        .iter()
                        .filter_map(|row| row.get(j))
                        .fold((0, 0), |(a, b), (n, c)| (a + n, b + c))
                })
                .collect(),
        };
        let labels = match part {
            Part::Fit => &fit,
            Part::Engagement => &eng,
        };
        return html! {
            section id="fit-engagement" {
                @match part {
                    Part::Fit => {
                        h2 { "Fit" }
                        p {
                            "This model has no " strong { "engagement" } " part (no events, \
                             behaviour columns or lead age): a lead's log-odds is the average \
                             lead's plus its " strong { "fit" } " (who the lead is: its profile \
                             fields). Holdout examples by band of fit (bands at the training \
                             quartiles): the share that converted and how many there are."
                        }
                    }
                    Part::Engagement => {
                        h2 { "Engagement" }
                        p {
                            "This model has no " strong { "fit" } " part (no profile fields): a \
                             lead's log-odds is the average lead's plus its " strong { "engagement" }
                            " (what the lead did: events, behaviour columns, and its age). \
                             Holdout examples by band of engagement (bands at the training \
                             quartiles): the share that converted and how many there are."
                        }
                    }
                }
                table id="table-fit-engagement" class="numbers" {
                    thead { tr { th { (part.label()) " \u{2193}" } th { "all leads" } } }
                    tbody {
                        @for (i, (n, converted)) in bands.iter().enumerate().rev() {
                            tr {
                                th { (labels.get(i).cloned().unwrap_or_default()) }
                                td {
                                    @if *n == 0 {
                                        "-"
                                    } @else {
                                        (pct(*converted as f64 / *n as f64))
                                        " (" (count(*n)) ")"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
    }
    html! {
        section id="fit-engagement" {
            h2 { "Fit and engagement" }
            p {
                "A lead's log-odds is the average lead's plus a " strong { "fit" }
                " part (who the lead is: its profile fields) and an " strong { "engagement" }
                " part (what it did: events, behaviour columns, and its age). Holdout examples by \
                 band of each part (bands at the training quartiles); each cell is the share \
                 that converted and how many there are. The top-right cell is the best fit \
                 that engaged most."
            }
            table id="table-fit-engagement" class="numbers" {
                thead {
                    tr {
                        th { "fit \u{2193} / engagement \u{2192}" }
                        @for l in &eng { th { (l) } }
                    }
                }
                tbody {
                    @for (i, row) in g.cells.iter().enumerate().rev() {
                        tr {
                            th { (fit.get(i).cloned().unwrap_or_default()) }
                            @for (n, converted) in row {
                                td {
                                    @if *n == 0 {
                                        "-"
                                    } @else {
                                        (pct(*converted as f64 / *n as f64))
                                        " (" (count(*n)) ")"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The one part a model has, when it lacks the other: a part is missing when every
/// contribution to it is 0 (its training quartiles all 0 and every example's 0), as the
/// engagement part of a flat model of profile fields only, or the fit part of a model of a
/// behaviour column alone. A model with neither shows fit.
fn lone_part(e: &ExplainSummary) -> Option<Part> {
    let without = |edges: &[f64], part: fn(&leadscore_core::explain::Split) -> f64| {
        edges.iter().all(|x| *x == 0.0) && e.examples.iter().all(|x| part(&x.split) == 0.0)
    };
    if without(&e.grid.engagement_edges, |s| s.engagement) {
        Some(Part::Fit)
    } else if without(&e.grid.fit_edges, |s| s.fit) {
        Some(Part::Engagement)
    } else {
        None
    }
}

/// `<br/>`.
fn line_break() -> Markup {
    self_closing(html! { br {} })
}

/// Holdout leads with their factors, as `/v1/score` and the holdout file give them.
fn examples_section(e: &ExplainSummary) -> Markup {
    if e.examples.is_empty() {
        return html! {};
    }
    let when = |t: Option<i64>| {
        t.map(leadscore_core::civil::civil_from_unix)
            .map(|((y, m, d), (hh, mm, _))| format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}"))
            .unwrap_or_default()
    };
    // A model with one part shows that one alone (the other is 0 for every lead).
    let lone = lone_part(e);
    let (fit_p, engagement_p) = (
        |x: &ExplainedLead| {
            x.fit_percentile
                .map(|p| format!("p{p:.0}"))
                .unwrap_or_default()
        },
        |x: &ExplainedLead| {
            x.engagement_percentile
                .map(|p| format!("p{p:.0}"))
                .unwrap_or_default()
        },
    );
    html! {
        section id="examples" {
            h2 { "Example leads" }
            p {
                @match lone {
                    None => {
                        "Holdout leads with their key factors: one per field or event type, named \
                         by what the lead has, in log-odds against the average training lead. \
                         Baseline + fit + engagement is the lead's log-odds; the factors are the \
                         strongest parts of fit and engagement (the server lists as many as "
                        code { "?factors=N" } " asks)."
                    }
                    Some(part) => {
                        "Holdout leads with their key factors: one per field"
                        @if part == Part::Engagement { " or event type" }
                        ", named by what the lead has, in log-odds against the average training \
                         lead. Baseline + " (part.label()) " is the lead's log-odds; the factors \
                         are the strongest parts of " (part.label()) " (the server lists as many \
                         as " code { "?factors=N" } " asks)."
                    }
                }
            }
            table id="table-examples" {
                thead {
                    tr {
                        th { "lead" } th { "score" }
                        th {
                            "log-odds: baseline + "
                            (lone.map_or("fit + engagement", Part::label))
                        }
                        th { "key factors" }
                    }
                }
                tbody {
                    @for x in &e.examples {
                        tr {
                            td {
                                strong { (x.why) } (line_break())
                                code { (isolate(&x.id)) }
                                @if x.as_of.is_some() { " at " (when(x.as_of)) }
                                (line_break())
                                (if x.converted { "converted" } else { "did not convert" })
                                @for g in &x.held_back { (line_break()) "held back: " (isolate(g)) }
                            }
                            td { (format!("{:.3}", x.score)) }
                            td {
                                @match lone {
                                    None => {
                                        (format!(
                                            "{:+.2} {:+.2} {:+.2}",
                                            x.split.baseline, x.split.fit, x.split.engagement
                                        ))
                                        (line_break())
                                        "fit " (fit_p(x)) ", engagement " (engagement_p(x))
                                    }
                                    Some(Part::Fit) => {
                                        (format!("{:+.2} {:+.2}", x.split.baseline, x.split.fit))
                                        (line_break())
                                        "fit " (fit_p(x))
                                    }
                                    Some(Part::Engagement) => {
                                        (format!(
                                            "{:+.2} {:+.2}",
                                            x.split.baseline, x.split.engagement
                                        ))
                                        (line_break())
                                        "engagement " (engagement_p(x))
                                    }
                                }
                            }
                            td {
                                ul class="factors" {
                                    @for (_, factor, part, c) in &x.factors {
                                        li class=(if *c >= 0.0 { "up" } else { "down" }) {
                                            (format!("{c:+.2} ")) (isolate(factor)) " (" (part.label()) ")"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Each of `gates` (the model's, or a server's in force): the holdout leads it holds back and
/// the cutoff at `target` precision with and without it (the other gates staying on). Empty
/// without gates or without the model's gate holdout.
pub fn gates_section(
    a: &ModelArtifact,
    gates: &[GateSpec],
    target: f64,
    confidence: f64,
) -> Markup {
    let (Some(holdout), false) = (&a.gate_holdout, gates.is_empty()) else {
        return html! {};
    };
    let Ok(all) = Gates::for_spec(gates, &a.spec) else {
        return html! {};
    };
    let unit = match holdout.kind {
        leadscore_core::curve::CurveKind::Handoff => "leads",
        leadscore_core::curve::CurveKind::PerExample => "examples",
    };
    let counts = holdout.held_back_counts(&all);
    let at = |gates: &Gates| -> Option<leadscore_core::curve::OperatingPoint> {
        let curve = holdout.curve(gates, CURVE_POINTS).ok()?;
        cutoff_for_precision(&curve, target, confidence).ok()
    };
    let cells = |op: Option<leadscore_core::curve::OperatingPoint>| -> Markup {
        html! {
            @match op {
                Some(p) => {
                    td { (format!("{:.4}", p.threshold)) }
                    td { (format!("{:.3}", p.precision)) }
                    td { (format!("{:.3}", p.recall)) }
                    td { (pct(p.mql_rate)) }
                }
                None => { td colspan="4" { "target not attainable" } }
            }
        }
    };
    let rule = |g: &GateSpec| -> String {
        let (verb, map) = if g.never_mql_when.is_empty() {
            ("MQL only when", &g.mql_requires)
        } else {
            ("never an MQL when", &g.never_mql_when)
        };
        let parts: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{} in [{}]", isolate(k), listed(v)))
            .collect();
        format!("{verb} {}", parts.join(" and "))
    };
    let with_all = at(&all);
    html! {
        section id="gates" {
            h2 { "Gates" }
            p {
                "Hard rules beside the score: a lead a gate holds back keeps its score but is \
                 never an MQL. The cutoff is chosen on the gated holdout, so its precision holds \
                 for the leads actually handed over. Below, at target precision "
                (format!("{target:.2}"))
                ": the holdout " (unit) " each gate holds back, and the cutoff with every gate \
                 and without that one."
            }
            table id="table-gates" class="numbers" {
                thead {
                    tr {
                        th rowspan="2" { "gate" } th rowspan="2" { "rule" }
                        th rowspan="2" { "held back (converting)" }
                        th colspan="4" { "with every gate" } th colspan="4" { "without this gate" }
                    }
                    tr {
                        @for _ in 0..2 {
                            th { "cutoff" } th { "precision" } th { "recall" } th { "MQL rate" }
                        }
                    }
                }
                tbody {
                    @for (i, g) in gates.iter().enumerate() {
                        @let others: Vec<GateSpec> = gates.iter().enumerate()
                            .filter(|(j, _)| *j != i).map(|(_, g)| g.clone()).collect();
                        @let without = Gates::for_spec(&others, &a.spec).ok().and_then(|g| at(&g));
                        tr {
                            th { (isolate(&g.name)) }
                            td { (rule(g)) }
                            td { (count(counts[i].0)) " (" (count(counts[i].1)) ")" }
                            (cells(with_all.clone()))
                            (cells(without))
                        }
                    }
                }
            }
        }
    }
}

/// Tiers on the set.
/// The pair search: the best-ranked pairs with their gain (those in the model marked), and the
/// numbers of pairs cross-validation compared.
fn pairs_section(a: &ModelArtifact) -> Markup {
    let Some(p) = &a.provenance.pairs else {
        return html! {};
    };
    let kept: Vec<String> = a.spec.pairs.iter().map(|p| p.name()).collect();
    // Nothing ranked (fewer than two fields to pair, or none gained): a sentence, no table.
    if p.ranked.is_empty() && p.named.is_empty() {
        return html! {
            section id="pairs" {
                h2 { "Pairs of fields" }
                p {
                    (format!(
                        "No pairs: the search had {} field{} to pair{}.",
                        p.columns.len(),
                        if p.columns.len() == 1 { "" } else { "s" },
                        if p.columns.len() < 2 { "" } else { ", and no pair gained on the training split" }
                    ))
                }
            }
        };
    }
    html! {
        section id="pairs" {
            h2 { "Pairs of fields" }
            p {
                "A pair is two fields crossed into a few cells (the most frequent values, or \
                 quantile bins of a number), one feature per cell: the score can then depend on \
                 the combination, such as an occupation that converts well only with enough \
                 time on the site. Each pair is one factor (" code { "A x B" } ") and one heat \
                 map among the shapes above. Pairs were ranked on the training split by their \
                 gain on the residuals of the model without them ("
                (count(p.rows)) " " (a.provenance.unit()) "): the log-likelihood a term on the \
                 pair's cells would add beyond each field's own cells, less what noise would add."
            }
            table id="table-pairs" class="numbers" {
                thead { tr { th { "pair" } th { "gain" } th { "cells" } th { "in the model" } } }
                tbody {
                    @for r in p.ranked.iter().take(10) {
                        tr {
                            td { (isolate(&r.name)) }
                            td { (format!("{:.1}", r.gain)) }
                            td { (r.cells) }
                            td { @if kept.contains(&r.name) { "yes" } }
                        }
                    }
                }
            }
            @if !p.duplicates.is_empty() {
                p {
                    "Not paired, as copies of an earlier column (the same cells on every \
                     training example, so every pair would repeat one): "
                    (p.duplicates.iter().map(|[copy, of]| format!("{copy} (of {of})")).collect::<Vec<_>>().join(", "))
                    "."
                }
            }
            @if !p.named.is_empty() {
                p { "Named in the spec (always in the model): " (listed(&p.named)) "." }
            }
            @if p.candidates.is_empty() && p.count != "auto" {
                p { "The number of pairs was fixed at " (p.count) ": " (p.chosen) " kept." }
            } @else if p.candidates.is_empty() {
                p { "No numbers of pairs were compared: " (p.chosen) " kept." }
            } @else {
                p {
                    "How many: " (p.folds) "-fold cross-validation on the same examples, at the \
                     chosen penalty (alpha "
                    (penalty_text(p.alpha)) "); each fold ranks the pairs on the residuals of its own model without them, so a \
                     held-out fold never helps choose the pairs it is scored on. The counts go \
                     from fewest to most and stop at the first that does no better than the best \
                     before it; the fewest pairs within one standard error of the lowest pooled \
                     out-of-fold log loss win (more pairs must beat fewer by more than noise)."
                    @if !p.not_tried.is_empty() {
                        " Not tried: "
                        (p.not_tried.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
                        " pairs."
                    }
                    @if !p.extended.is_empty() {
                        " The largest candidate did best, so more pairs were tried beyond it: "
                        (p.extended.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
                        "."
                    }
                }
                table id="table-pair-candidates" class="numbers" {
                    thead {
                        tr {
                            th { "pairs" } th { "features" } th { "CV log loss" }
                            th { "CV ROC AUC" } th { "chosen" }
                        }
                    }
                    tbody {
                        @for c in &p.candidates {
                            tr {
                                td { (c.pairs) }
                                td { (c.features) }
                                td { (format!("{:.4}", c.cv_log_loss)) }
                                td { (format!("{:.4}", c.cv_roc_auc)) }
                                td { @if c.pairs == p.chosen { "yes" } }
                            }
                        }
                    }
                }
                @if let Some(other) = &p.cells_compared {
                    p {
                        (format!(
                            "Numeric columns are cut into {} quantile cells for the pairs. The \
                             same search with {} cells kept {} pairs (CV log loss {:.4}, ROC AUC \
                             {:.4}); the finer cut is kept only when it beats the coarser by \
                             more than one standard error.",
                            p.numeric_cells.unwrap_or(3),
                            other.numeric_cells,
                            other.pairs,
                            other.cv_log_loss,
                            other.cv_roc_auc
                        ))
                    }
                }
                @if !p.penalties.is_empty() {
                    p {
                        (format!(
                            "The penalty was cross-validated again with the pairs, on the same \
                             folds (alpha {} above was chosen without them and stays unless \
                             another beats it by more than one standard error): the model is \
                             fitted at alpha {}.",
                            penalty_text(p.alpha),
                            penalty_text(p.refit_alpha.unwrap_or(p.alpha))
                        ))
                    }
                    table id="table-pair-penalties" class="numbers" {
                        thead {
                            tr {
                                th { "alpha" } th { "CV log loss" } th { "CV ROC AUC" }
                                th { "chosen" }
                            }
                        }
                        tbody {
                            @for q in &p.penalties {
                                tr {
                                    td { (penalty_text(q.alpha)) }
                                    td { (format!("{:.4}", q.cv_log_loss)) }
                                    td { (format!("{:.4}", q.cv_roc_auc)) }
                                    td {
                                        @if q.alpha == p.refit_alpha.unwrap_or(p.alpha) { "yes" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `gated_per_example`: the counts are per example of a model with gates and a handoff curve,
/// which cannot count the examples a gate holds back apart (its gate holdout keeps leads'
/// lives, not examples): said under the table.
fn tiers_table(set: &EvaluationSet, tiers: &[TierRow], gated_per_example: bool) -> Markup {
    if tiers.is_empty() {
        return html! {};
    }
    html! {
        section id="tiers" {
            h2 { "Tiers" }
            p {
                "Cutoffs chosen on the holdout; leads and conversions counted on the "
                (isolate(&set.name)) "."
                @if gated_per_example {
                    " Counted per example by score alone: an example a gate holds back is \
                     counted in the tier its score reaches, where the server puts such a lead \
                     in the last tier (the gates' table above counts them)."
                }
            }
            table id="table-tiers" class="numbers" {
                thead {
                    tr {
                        th { "tier" } th { "target precision" } th { "lowest score" }
                        th { "leads" } th { "share of leads" } th { "converted" }
                        th { "conversion rate" } th { "lift" }
                    }
                }
                tbody {
                    @for t in tiers {
                        @let target = t
                            .target
                            .map_or_else(|| "rest".to_string(), |x| format!("{x:.2}"));
                        @if t.unattainable {
                            tr class="unattainable" {
                                td { (isolate(&t.name)) }
                                td { (target) }
                                td colspan="6" { "not attainable: never given" }
                            }
                        } @else {
                            tr {
                                td { (isolate(&t.name)) }
                                td { (target) }
                                td {
                                    (t.threshold.map_or_else(
                                        || "below the others".to_string(),
                                        |x| format!("{x:.4}"),
                                    ))
                                }
                                td { (count(t.leads)) }
                                td { (pct(t.share_of_leads)) }
                                td { (count(t.converted)) }
                                // A tier of no leads has no rate (0% would read as measured).
                                @if t.leads == 0 {
                                    td { "–" }
                                    td { "–" }
                                } @else if set.curve.positives == 0 {
                                    // Nobody converted: no base rate to divide by.
                                    td { (pct(t.conversion_rate)) }
                                    td { "–" }
                                } @else {
                                    td { (pct(t.conversion_rate)) }
                                    td { (format!("{:.2}×", t.lift)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every weight, strongest first, in a collapsible table.
fn weights_table(a: &ModelArtifact) -> Markup {
    let mut rows: Vec<_> = a.model.features.iter().collect();
    rows.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
    html! {
        section id="weights" {
            details {
                summary {
                    (format!(
                        "All {} weights (intercept {:.4}: the log-odds of a lead at the \
                         training average)",
                        rows.len(),
                        a.model.intercept
                    ))
                }
                table id="table-weights" class="numbers" {
                    thead {
                        tr {
                            th { "feature" } th { "column" } th { "weight (per SD)" }
                            th { "odds ratio (per unit)" } th { "active share" }
                        }
                    }
                    tbody {
                        @for f in &rows {
                            tr {
                                td { (isolate(&f.name)) }
                                td { (isolate(&f.column)) }
                                td { (format!("{:+.4}", f.weight)) }
                                td { (odds(f.odds_ratio)) }
                                td { (pct(f.active_share)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_trims() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(9240), "9,240");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(trim(95.0), "95");
        assert_eq!(trim(97.5), "97.5");
    }

    #[test]
    fn void_elements_close_themselves_with_their_attributes_escaped() {
        assert_eq!(self_closing(html! { br {} }).into_string(), "<br/>");
        let evil = "\"/><script>alert(1)</script>";
        assert_eq!(
            self_closing(html! { input id="x" value=(evil) {} }).into_string(),
            "<input id=\"x\" value=\"&quot;/&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"/>"
        );
        // Anything but one empty element is left as maud wrote it.
        for markup in ["<p>text</p>", "<p><b></b></p>", "", "text"] {
            let kept = self_closing(PreEscaped(markup.to_string())).into_string();
            assert_eq!(kept, markup);
        }
    }

    #[test]
    fn a_cell_escapes_what_it_is_given() {
        let cell = row("<b>key</b>", "<img src=x onerror=alert(1)>").into_string();
        assert_eq!(
            cell,
            "<tr><th>&lt;b&gt;key&lt;/b&gt;</th>\
             <td>&lt;img src=x onerror=alert(1)&gt;</td></tr>"
        );
    }

    /// The model card states the penalty the model was fitted at: the one chosen again with
    /// the pairs, not the one chosen without them (the card said alpha 193.0698 for a model
    /// fitted at 7.1969), and a weak one with its digits (`alpha 0.0000`).
    #[test]
    fn the_model_card_states_the_penalty_the_model_was_fitted_at() {
        use leadscore_core::pairs::{PairPenalty, PairSearch};
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json");
        let mut a = ModelArtifact::load(&path).unwrap();
        let card = |a: &ModelArtifact| {
            let set = EvaluationSet::holdout(a);
            model_card(a, &set).into_string()
        };
        let first = a.provenance.penalty.alpha;
        assert!(
            card(&a).contains(&format!("L2, alpha {first:.4} (C = ")),
            "{}",
            card(&a)
        );
        let penalty = |alpha: f64| PairPenalty {
            alpha,
            cv_log_loss: 0.5,
            cv_roc_auc: 0.8,
        };
        a.provenance.pairs = Some(PairSearch {
            count: "auto".into(),
            columns: vec!["a".into(), "b".into()],
            rows: 100,
            ranked: Vec::new(),
            candidates: Vec::new(),
            alpha: first,
            folds: 5,
            extended: Vec::new(),
            not_tried: Vec::new(),
            chosen: 1,
            named: Vec::new(),
            duplicates: Vec::new(),
            numeric_cells: None,
            cells_compared: None,
            penalties: vec![penalty(first), penalty(first * 5.0), penalty(3.2e-5)],
            refit_alpha: Some(3.2e-5),
        });
        let html = card(&a);
        assert!(
            html.contains(&format!(
                "L2, alpha 3.20e-5 (C = 31250.0000) chosen again with the pairs by 5-fold \
                 cross-validation over 3 values (see Pairs of fields); without them alpha \
                 {first:.4} (C = "
            )),
            "{html}"
        );
    }
}
