//! The report on real models: the committed demo model (trained with engagement events) and a
//! model trained on the X Education export. The document must parse as XML (it is written as
//! well-formed XHTML), hold every chart's SVG under its id, need nothing from the network, and
//! show the numbers of the artifact.

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::curve::cutoff_for_precision;
use leadscore_report::{report_html, EvaluationSet, Report, ReportOptions, CHART_IDS};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// What the XML reader found: for each element id, its tag and the tags of its children.
struct Parsed {
    ids: HashMap<String, (String, Vec<String>)>,
    elements: usize,
    svg_elements: usize,
}

/// Parses `html` as XML, failing on any unclosed, mismatched or stray element.
fn parse(html: &str) -> Parsed {
    let mut reader = Reader::from_str(html);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<(String, Option<String>)> = Vec::new();
    let mut ids: HashMap<String, (String, Vec<String>)> = HashMap::new();
    let (mut elements, mut svg_elements) = (0, 0);
    loop {
        let event = reader.read_event().unwrap_or_else(|e| {
            panic!("not well-formed at byte {}: {e}", reader.buffer_position())
        });
        let (tag, id, empty) = match &event {
            Event::Start(e) | Event::Empty(e) => {
                let tag = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                let id = e
                    .try_get_attribute("id")
                    .unwrap()
                    .map(|a| a.unescape_value().unwrap().into_owned());
                (tag, id, matches!(event, Event::Empty(_)))
            }
            Event::End(_) => {
                stack.pop().expect("an end tag without a start");
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        elements += 1;
        if tag == "svg" {
            svg_elements += 1;
        }
        if let Some((_, Some(parent))) = stack.last() {
            ids.get_mut(parent).unwrap().1.push(tag.clone());
        }
        if let Some(id) = &id {
            assert!(
                ids.insert(id.clone(), (tag.clone(), Vec::new())).is_none(),
                "id {id} appears twice"
            );
        }
        if !empty {
            stack.push((tag, id));
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    Parsed {
        ids,
        elements,
        svg_elements,
    }
}

/// The checks every report must pass.
fn check_report(html: &str, artifact: &ModelArtifact) {
    let parsed = parse(html);
    assert!(parsed.elements > 500, "{} elements", parsed.elements);
    let charts = charts_of(artifact);
    assert_eq!(parsed.svg_elements, charts.len());
    for id in charts {
        let (tag, children) = parsed
            .ids
            .get(id)
            .unwrap_or_else(|| panic!("no element with id {id}"));
        assert_eq!(tag, "figure", "{id}");
        assert!(
            children.iter().any(|c| c == "svg"),
            "{id} holds no svg: {children:?}"
        );
        assert!(children.iter().any(|c| c == "figcaption"), "{id}");
    }
    for id in [
        "model-card",
        "cutoff",
        "table-targets",
        "table-tiers",
        "table-weights",
    ] {
        assert!(parsed.ids.contains_key(id), "no element with id {id}");
    }
    // Self-contained: no scripts, style sheets or images fetched, no URL but XML namespaces.
    for needle in ["<script", "<link", "<img", "src=", "url(", "@import"] {
        assert!(!html.contains(needle), "the report contains {needle}");
    }
    let urls: Vec<&str> = html
        .match_indices("http")
        .map(|(i, _)| &html[i..(i + 40).min(html.len())])
        .filter(|u| !u.starts_with("http://www.w3.org/"))
        .collect();
    assert!(urls.is_empty(), "{urls:?}");
    // The numbers are the artifact's.
    assert!(html.contains(&artifact.model_id));
    let e = &artifact.evaluation;
    assert!(
        html.contains(&format!("{:.4}", e.roc_auc.unwrap())),
        "ROC AUC"
    );
    assert!(html.contains(&format!("ROC curve (AUC {:.3})", e.roc_auc.unwrap())));
    let cutoff = cutoff_for_precision(&artifact.curve, 0.5, 0.95).unwrap();
    assert!(
        html.contains(&format!(
            "at least <strong>{:.4}</strong>",
            cutoff.threshold
        )),
        "the cutoff in words"
    );
    assert!(
        html.contains(&format!("cutoff {:.3}", cutoff.threshold)),
        "the cutoff marked"
    );
    let strongest = artifact
        .model
        .features
        .iter()
        .max_by(|a, b| a.weight.abs().total_cmp(&b.weight.abs()))
        .unwrap();
    let name = maud::Render::render(&strongest.name).into_string();
    assert!(html.contains(&name), "strongest weight {name}");
    assert!(html.contains(&format!("{:+.4}", strongest.weight)));
}

fn write_out(name: &str, html: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, html).unwrap();
    eprintln!("wrote {}", path.display());
    path
}

#[test]
fn demo_model_report_parses_and_holds_every_chart() {
    let artifact = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    let html = report_html(&artifact, None, &ReportOptions::default()).unwrap();
    check_report(&html, &artifact);
    assert!(
        html.contains("point in time"),
        "the demo model was trained point in time"
    );
    write_out("demo.report.html", &html);
}

#[test]
fn report_is_deterministic() {
    let artifact = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    let options = ReportOptions::default();
    assert_eq!(
        report_html(&artifact, None, &options).unwrap(),
        report_html(&artifact, None, &options).unwrap()
    );
}

#[test]
fn an_unattainable_target_marks_no_cutoff_and_says_why() {
    let artifact = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    let options = ReportOptions {
        target_precision: 0.99,
        ..ReportOptions::default()
    };
    let report = Report::build(&artifact, None, &options).unwrap();
    let cutoff = &report.cutoff.0;
    assert!(cutoff.contains("No cutoff is marked"), "{cutoff}");
    assert!(cutoff.contains("not attainable"), "{cutoff}");
    let html = report.document();
    parse(&html);
    assert!(!html.contains(">\ncutoff "), "nothing marked on the charts");
}

#[test]
fn bad_options_are_errors() {
    let artifact = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    let options = ReportOptions {
        confidence: 0.0,
        ..ReportOptions::default()
    };
    let e = report_html(&artifact, None, &options).unwrap_err();
    assert!(e.to_string().contains("confidence 0"), "{e}");
}

#[test]
fn x_education_report_on_the_holdout_and_on_a_labeled_file() {
    use leadscore_train::load::ReadOptions;
    use leadscore_train::pipeline::{evaluate_file, train, TrainConfig};
    let data = repo("../shared/datasets/x-education/Leads.csv");
    let mut config = TrainConfig::new(&data);
    config.label = Some("Converted".into());
    config.id = Some("Prospect ID".into());
    config.exclude = [
        "Lead Number",
        "Tags",
        "Lead Quality",
        "Lead Profile",
        "Asymmetrique Activity Index",
        "Asymmetrique Profile Index",
        "Asymmetrique Activity Score",
        "Asymmetrique Profile Score",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let artifact = train(&config).unwrap().artifact;

    let html = report_html(&artifact, None, &ReportOptions::default()).unwrap();
    check_report(&html, &artifact);
    assert!(html.contains("Total Time Spent on Website"));
    assert!(
        html.contains("<td>1,848, 712 converted (38.5%)</td>"),
        "the holdout"
    );
    write_out("x-education.report.html", &html);

    // On a labeled file (here the whole export, training rows included): the charts describe
    // the file, the cutoff is still the one chosen on the holdout.
    let e = evaluate_file(&artifact, &data, None, &[], &ReadOptions::default()).unwrap();
    let set = EvaluationSet {
        name: format!("file {}", e.data),
        evaluation: e.evaluation,
        curve: e.curve,
        handoff: e.handoff_curve,
        drawn: None,
        unseen: Some(e.unseen),
        model_cutoffs: Some(e.model_cutoffs.clone()),
    };
    let report = Report::build(&artifact, Some(&set), &ReportOptions::default()).unwrap();
    assert!(report.on_file);
    let html = report.document();
    check_report_on_file(&html);
    // The model's own cutoffs, as `evaluate` judges them: one row each, in the table.
    assert!(!e.model_cutoffs.is_empty());
    let table = &html[html
        .find("id=\"table-model-cutoffs\"")
        .expect("model cutoffs table")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr").count(), 1 + e.model_cutoffs.len());
    for c in &e.model_cutoffs {
        assert!(
            table.contains(&format!("<td>{:.4}</td>", c.promised.threshold)),
            "{c:?}"
        );
        assert!(table.contains(c.verdict.words()), "{c:?}");
    }
    // The targets the holdout does not reach are named after the table.
    let unreached: Vec<String> = leadscore_core::curve::CHECKED_TARGETS
        .iter()
        .filter(|t| !e.model_cutoffs.iter().any(|c| c.target == **t))
        .map(|t| format!("{t:.2}"))
        .collect();
    assert!(
        !unreached.is_empty(),
        "the demo model reaches every target?"
    );
    assert!(
        html.contains(&format!(
            "{}: the model's holdout reaches no cutoff for",
            unreached.join(", ")
        )),
        "unreached targets {unreached:?}"
    );
    // The holdout report has no such table (its cutoffs were chosen there).
    let holdout = Report::build(&artifact, None, &ReportOptions::default())
        .unwrap()
        .document();
    assert!(!holdout.contains("table-model-cutoffs"));
    assert!(
        html.contains("<td>9,240, 3,561 converted (38.5%)</td>"),
        "the file"
    );
    assert!(html.contains("the same cutoff gives"));

    // The same model with a gate: its curve counts the held-back leads as never MQLs and stops
    // short of (1, 1); the ROC and precision-recall charts draw the holdout without the gate,
    // the curve their AUC measures.
    let mut gated = artifact.clone();
    let mut rule = std::collections::BTreeMap::new();
    rule.insert(
        "What is your current occupation".to_string(),
        vec!["Student".to_string()],
    );
    gated.gates = vec![leadscore_core::gates::GateSpec {
        name: "no students".into(),
        never_mql_when: rule,
        mql_requires: Default::default(),
    }];
    let compiled = leadscore_core::gates::Gates::for_spec(&gated.gates, &gated.spec).unwrap();
    let holdout = gated
        .gate_holdout
        .as_ref()
        .expect("a flat model keeps its gate holdout");
    gated.curve = holdout
        .curve(&compiled, leadscore_core::gates::CURVE_POINTS)
        .unwrap();
    let set = EvaluationSet::holdout(&gated);
    let drawn = set
        .drawn
        .as_ref()
        .expect("a gated flat model draws the ungated curve");
    let last =
        |c: &leadscore_core::curve::OperatingCurve| c.points.last().map(|p| (p.tp, p.fp)).unwrap();
    assert_eq!(
        last(drawn),
        (drawn.positives, drawn.total - drawn.positives)
    );
    assert!(
        last(&set.curve).0 < set.curve.positives,
        "the gated curve stops short"
    );
    assert!(EvaluationSet::holdout(&artifact).drawn.is_none());
    // The scores histogram counts every holdout lead, the held-back ones too.
    let histogram = leadscore_report::charts::score_distribution(&set, None)
        .unwrap()
        .svg;
    for legend in [
        format!("not converted ({})", drawn.total - drawn.positives),
        format!("converted ({})", drawn.positives),
    ] {
        assert!(histogram.contains(&legend), "{legend} in {histogram}");
    }
    // On a labeled file too (`report --data`): the file's curve without the gate.
    let e = evaluate_file(&gated, &data, None, &[], &ReadOptions::default()).unwrap();
    let ungated = e
        .ungated_curve
        .as_ref()
        .expect("a gated flat model's file curve");
    assert_eq!(
        last(ungated),
        (ungated.positives, ungated.total - ungated.positives)
    );
    assert!(
        last(&e.curve).0 < e.curve.positives,
        "the gated curve stops short"
    );
}

/// The charts a report of `artifact` draws: field importance and shapes for models with an
/// `explain` section, the per-feature weights for older ones.
fn charts_of(artifact: &ModelArtifact) -> Vec<&'static str> {
    let skip: &[&str] = if artifact.explain.is_some() {
        &["chart-weights"]
    } else {
        &["chart-importance", "chart-shapes"]
    };
    CHART_IDS
        .iter()
        .copied()
        .filter(|id| !skip.contains(id))
        .collect()
}

fn check_report_on_file(html: &str) {
    let parsed = parse(html);
    for id in CHART_IDS
        .iter()
        .filter(|id| **id != "chart-weights" || !html.contains("id=\"chart-importance\""))
    {
        assert!(parsed.ids.contains_key(*id), "{id}");
    }
}

#[test]
fn names_from_the_data_are_escaped_in_every_part_of_the_report() {
    // Column names, category levels, file names and the label come from the user's data; put
    // markup in each (crates/serve/tests/hostile_names.rs trains on such a file end to end).
    let evil = "<script>alert(1)</script><img src=x onerror=alert(1)>\"&";
    let mut artifact = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    for f in &mut artifact.model.features {
        f.name = format!("{evil} {}", f.name);
        f.column = evil.to_string();
    }
    let p = &mut artifact.provenance;
    p.label = evil.to_string();
    p.positive_values = vec![evil.to_string()];
    p.split = evil.to_string();
    p.warnings.push(evil.to_string());
    for input in &mut p.inputs {
        input.path = evil.to_string();
    }
    artifact
        .leakage
        .push(leadscore_core::artifact::LeakageFlag {
            column: evil.to_string(),
            roc_auc: 0.99,
        });
    let html = report_html(&artifact, None, &ReportOptions::default()).unwrap();
    parse(&html);
    for tag in ["<script", "<img"] {
        assert!(!html.contains(tag), "the report holds {tag}");
    }
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;";
    assert!(html.matches(escaped).count() > 50, "the names are shown");
}

/// A level or column holding a right-to-left override (a web form's text lands in a CSV cell)
/// would reverse the rest of the line it is shown in: the factor `+0.52 <override>Google (fit)`
/// would read `(tif) elgooG 25.0+`. Every such name is isolated and loses its override, in the
/// tables, the sentences and the charts.
#[test]
fn right_to_left_overrides_in_names_cannot_reorder_the_text_around_them() {
    let rlo = "\u{202E}";
    let mut artifact = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    for f in &mut artifact.model.features {
        f.name = format!("{rlo}{}", f.name);
    }
    let e = artifact.explain.as_mut().expect("the demo model explains");
    for x in &mut e.examples {
        x.id = format!("{rlo}{}", x.id);
        for f in &mut x.factors {
            f.1 = format!("{rlo}{}", f.1);
        }
    }
    for g in &mut e.groups {
        g.name = format!("{rlo}{}", g.name);
    }
    artifact
        .leakage
        .push(leadscore_core::artifact::LeakageFlag {
            column: format!("{rlo}Tags"),
            roc_auc: 0.99,
        });
    artifact.provenance.positive_values = vec![format!("{rlo}yes"), "1".into()];
    let html = report_html(&artifact, None, &ReportOptions::default()).unwrap();
    parse(&html);
    if let Some(at) = html.find(rlo) {
        let from = html[..at]
            .char_indices()
            .rev()
            .nth(120)
            .map_or(0, |(i, _)| i);
        panic!("an override is left in the report: {}", &html[from..at]);
    }
    let first = &artifact.explain.as_ref().unwrap().examples[0];
    let factor = first.factors[0].1.trim_start_matches(rlo);
    assert!(
        html.contains(&format!("\u{2068}{factor}\u{2069} (")),
        "the example's factor {factor:?} is not isolated"
    );
    assert!(html.contains("\u{2068}Tags\u{2069}"));
    assert!(html.contains("\u{2068}yes\u{2069}, 1"));
}

/// A model without an engagement part (a flat file of profile fields: every engagement
/// contribution 0) shows fit alone: no engagement bands, percentiles or `+0.00` the leads do
/// not have.
#[test]
fn a_model_without_engagement_shows_fit_alone() {
    let mut artifact = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    let e = artifact.explain.as_mut().unwrap();
    e.grid.engagement_edges = vec![0.0; e.grid.engagement_edges.len()];
    for x in &mut e.examples {
        x.split.engagement = 0.0;
    }
    let html = report_html(&artifact, None, &ReportOptions::default()).unwrap();
    parse(&html);
    assert!(html.contains("This model has no <strong>engagement</strong> part"));
    assert!(html.contains("log-odds: baseline + fit</th>"));
    assert!(!html.contains(", engagement p"));
    // The demo model itself has both parts.
    let own = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    let html = report_html(&own, None, &ReportOptions::default()).unwrap();
    assert!(html.contains(", engagement p") && !html.contains("no <strong>engagement</strong>"));
}

/// A model without a fit part (one yes/no behaviour column: every fit contribution 0) shows
/// engagement alone: no fit bands (`+0.00 and above`), no `fit p50` for its example leads.
#[test]
fn a_model_without_fit_shows_engagement_alone() {
    let mut artifact = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    let e = artifact.explain.as_mut().unwrap();
    e.grid.fit_edges = vec![0.0];
    let (mut n, mut converted) = (vec![0; e.grid.engagement_edges.len() + 1], vec![0; 0]);
    converted.resize(n.len(), 0);
    for row in &e.grid.cells {
        for (j, (k, c)) in row.iter().enumerate() {
            n[j] += k;
            converted[j] += c;
        }
    }
    // Every example in the top fit band, as training puts a fit of 0 on the edge 0.
    let bands = n.len();
    e.grid.cells = vec![
        vec![(0, 0); bands],
        n.iter().zip(&converted).map(|(k, c)| (*k, *c)).collect(),
    ];
    for x in &mut e.examples {
        x.split.fit = 0.0;
        x.fit_percentile = Some(50.0);
    }
    let top = (n[bands - 1], converted[bands - 1]);
    let html = report_html(&artifact, None, &ReportOptions::default()).unwrap();
    parse(&html);
    assert!(html.contains("<h2>Engagement</h2>"), "{html}");
    assert!(html.contains("This model has no <strong>fit</strong> part"));
    assert!(html.contains("<th>engagement \u{2193}</th><th>all leads</th>"));
    assert!(html.contains(&format!(
        "<tr><th>top 25%</th><td>{:.1}% ({})</td></tr>",
        100.0 * top.1 as f64 / top.0 as f64,
        leadscore_report::html::count(top.0)
    )));
    assert!(html.contains("log-odds: baseline + engagement</th>"));
    assert!(html.contains("<br/>engagement p"));
    assert!(
        !html.contains("fit p") && !html.contains("and above"),
        "{html}"
    );
}

/// A pair search with one field to pair ranks nothing: a sentence, not an empty table nor
/// "fixed at auto".
#[test]
fn a_pair_search_with_nothing_to_pair_says_so() {
    let mut artifact = ModelArtifact::load(&repo("models/demo.json")).unwrap();
    let p = artifact.provenance.pairs.as_mut().unwrap();
    p.columns.truncate(1);
    p.ranked.clear();
    p.candidates.clear();
    p.not_tried.clear();
    p.chosen = 0;
    artifact.spec.pairs.clear();
    let html = report_html(&artifact, None, &ReportOptions::default()).unwrap();
    parse(&html);
    assert!(html.contains("No pairs: the search had 1 field to pair."));
    assert!(!html.contains("id=\"table-pairs\"") && !html.contains("fixed at auto"));
}
