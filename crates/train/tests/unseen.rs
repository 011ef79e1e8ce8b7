//! Nothing fails later for a value training did not see: on a coded survey export whose
//! questions were answered only 0 or 1 in training and 3 later, `init` keeps them numeric, and
//! `evaluate` and `report --data` score a fresh file with 3 in a yes/no column (a model trained
//! before, whose artifact has them boolean) and new levels, counting those values per column.

mod survey;

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::fitted::FittedTransform;
use leadscore_core::spec::{FeatureSpec, TransformKind};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_ok(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore-train"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run leadscore-train");
    let r = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(
        r.code,
        Some(0),
        "leadscore-train {args:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        r.stdout,
        r.stderr
    );
    r
}

const FAST: [&str; 4] = ["--folds", "3", "--grid-size", "3"];

/// Writes the training and fresh exports into `dir`.
fn write_exports(dir: &Path) {
    std::fs::write(dir.join("train.csv"), survey::csv(&survey::training())).unwrap();
    std::fs::write(dir.join("fresh.csv"), survey::csv(&survey::fresh())).unwrap();
}

fn train(dir: &Path, spec: &str, out: &str) {
    let mut args = vec!["train", "--data", "train.csv", "--spec", spec, "--out", out];
    args.extend_from_slice(&FAST);
    args.push("--no-report");
    run_ok(dir, &args);
}

/// How many fresh leads have `column` equal to [`survey::LATER`] (or, for `consent`, "3").
fn fresh_later(column: &str) -> u64 {
    let fresh = survey::fresh();
    match survey::ZERO_ONE.iter().position(|c| *c == column) {
        Some(j) => fresh
            .iter()
            .filter(|r| r.zero_one[j] == survey::LATER)
            .count() as u64,
        None if column == "consent" => fresh.iter().filter(|r| r.consent == "3").count() as u64,
        None => fresh
            .iter()
            .filter(|r| r.region == survey::NEW_REGION)
            .count() as u64,
    }
}

fn unseen_of(json: &Value, column: &str) -> Option<Value> {
    json["unseen"]
        .as_array()
        .expect("`unseen` is an array")
        .iter()
        .find(|u| u["column"] == column)
        .cloned()
}

#[test]
fn a_survey_trained_on_0_and_1_evaluates_a_file_with_3() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_exports(d);
    run_ok(
        d,
        &[
            "init",
            "--data",
            "train.csv",
            "--label",
            "converted",
            "--id",
            "lead_id",
            "--out",
            "spec.toml",
        ],
    );
    // The coded 0/1 questions stay numbers; the reasons `init` prints say why.
    let spec_text = std::fs::read_to_string(d.join("spec.toml")).unwrap();
    let spec = FeatureSpec::from_toml(&spec_text, "spec.toml").unwrap();
    for c in survey::ZERO_ONE {
        let col = spec.columns.iter().find(|x| x.name == c).unwrap();
        assert_eq!(col.transform, TransformKind::Numeric, "{c}:\n{spec_text}");
    }
    assert!(
        spec_text.contains("only 0 and 1 here, kept numeric (not boolean)"),
        "{spec_text}"
    );
    let consent = spec.columns.iter().find(|x| x.name == "consent").unwrap();
    assert_eq!(consent.transform, TransformKind::Boolean, "yes/no words");

    train(d, "spec.toml", "m.json");
    let r = run_ok(d, &["evaluate", "--model", "m.json", "--data", "fresh.csv"]);
    assert!(
        r.stdout.contains(
            "values training did not see (scored as missing, other, the nearest training value or \
             an active day, not refused):"
        ),
        "{}",
        r.stdout
    );
    let consent_line = format!(
        "    consent: {} leads, 1 distinct (\"3\"); scored as missing (not yes/no)",
        fresh_later("consent")
    );
    assert!(
        r.stdout.contains(&consent_line),
        "{consent_line}\n{}",
        r.stdout
    );
    let region_line = format!(
        "    region: {} leads, 1 distinct (\"{}\"); scored as other",
        fresh_later("region"),
        survey::NEW_REGION
    );
    assert!(
        r.stdout.contains(&region_line),
        "{region_line}\n{}",
        r.stdout
    );
    // A number above every training value is scored as the largest (1), and counted.
    let q07_line = format!(
        "    q07: {} leads, 1 distinct (3); outside the training range, scored as its nearest end",
        fresh_later("q07")
    );
    assert!(r.stdout.contains(&q07_line), "{q07_line}\n{}", r.stdout);

    let r = run_ok(
        d,
        &[
            "evaluate",
            "--model",
            "m.json",
            "--data",
            "fresh.csv",
            "--json",
        ],
    );
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["rows"], 400);
    let u = unseen_of(&json, "consent").expect("consent counted");
    assert_eq!(u["leads"], fresh_later("consent"));
    assert_eq!(u["scored_as"], "missing");
    assert_eq!(u["values"], serde_json::json!(["3"]));
    let u = unseen_of(&json, "region").expect("region counted");
    assert_eq!(u["scored_as"], "other");
    let u = unseen_of(&json, "q07").expect("q07 counted");
    assert_eq!(u["leads"], fresh_later("q07"));
    assert_eq!(u["scored_as"], "nearest training value");
    assert_eq!(u["values"], serde_json::json!(["3"]));

    // The training file itself has nothing unseen.
    let r = run_ok(
        d,
        &[
            "evaluate",
            "--model",
            "m.json",
            "--data",
            "train.csv",
            "--json",
        ],
    );
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["unseen"], serde_json::json!([]), "{}", r.stdout);
}

#[test]
fn a_model_with_0_1_booleans_scores_3_as_missing_in_evaluate_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_exports(d);
    std::fs::write(d.join("old.toml"), survey::old_spec()).unwrap();
    train(d, "old.toml", "old.json");
    let artifact = ModelArtifact::load(&d.join("old.json")).unwrap();
    assert_eq!(
        artifact.format_version,
        leadscore_core::artifact::format_version_for(&artifact.spec)
    );
    let q07 = artifact
        .spec
        .columns
        .iter()
        .find(|c| c.name == "q07")
        .unwrap();
    assert!(matches!(q07.transform, FittedTransform::Boolean { .. }));

    let r = run_ok(
        d,
        &[
            "evaluate",
            "--model",
            "old.json",
            "--data",
            "fresh.csv",
            "--json",
        ],
    );
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    for c in survey::ZERO_ONE {
        let u = unseen_of(&json, c).unwrap_or_else(|| panic!("{c} counted: {}", r.stdout));
        assert_eq!(u["leads"], fresh_later(c), "{c}");
        assert_eq!(u["distinct"], 1);
        assert_eq!(u["values"], serde_json::json!(["3"]));
        assert_eq!(u["scored_as"], "missing");
    }
    assert!(json["evaluation"]["roc_auc"].as_f64().unwrap() > 0.55);

    // The report on the file: the text names the columns, the HTML has the table.
    let r = run_ok(
        d,
        &[
            "report",
            "--model",
            "old.json",
            "--data",
            "fresh.csv",
            "--out",
            "r.html",
        ],
    );
    let q07_line = format!(
        "    q07: {} leads, 1 distinct (\"3\"); scored as missing (not yes/no)",
        fresh_later("q07")
    );
    assert!(r.stdout.contains(&q07_line), "{q07_line}\n{}", r.stdout);
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(
        html.contains("<h2>Values training did not see</h2>"),
        "no section"
    );
    let table = &html[html.find("id=\"table-unseen\"").expect("the table")..];
    let table = &table[..table.find("</table>").unwrap()];
    for c in survey::ZERO_ONE.iter().chain(&["consent", "region"]) {
        assert!(
            table.contains(&format!(
                "<td><code>{c}</code></td><td>{}</td>",
                fresh_later(c)
            )),
            "{c}: {table}"
        );
    }
    assert!(
        table.contains("&quot;3&quot;") || table.contains("\"3\""),
        "{table}"
    );

    // The holdout report (no --data) has no such section: the holdout is not counted.
    run_ok(d, &["report", "--model", "old.json", "--out", "h.html"]);
    let html = std::fs::read_to_string(d.join("h.html")).unwrap();
    assert!(!html.contains("id=\"unseen\""));
}

/// An event type the model never saw fails no file either: `evaluate` scores the demo's fresh
/// three tables with two new types added (as active days only, as the server and `score` do)
/// and counts the leads that had one by a moment they were scored at, under
/// `events.event_type`, in text and in `--json`.
#[test]
fn evaluate_counts_event_types_training_never_saw() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut events = std::fs::read_to_string(repo.join("data/demo/events.csv")).unwrap();
    // Early enough to be known at every moment these leads are scored at (they were created
    // in 2025; the leads file's first rows).
    let leads = std::fs::read_to_string(repo.join("data/demo/leads.csv")).unwrap();
    let ids: Vec<&str> = leads
        .lines()
        .skip(1)
        .take(3)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let created: Vec<&str> = leads
        .lines()
        .skip(1)
        .take(3)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    for (k, ty) in [
        (0, "chatbot_open"),
        (1, "chatbot_open"),
        (2, "chatbot_open"),
        (0, "fax_sent"),
    ] {
        // At the lead's creation: known at each of its moments.
        events += &format!("{},{ty},{}\n", ids[k], created[k]);
    }
    std::fs::write(d.join("events.csv"), events).unwrap();
    let model = repo.join("models/demo.json").display().to_string();
    let leads_path = repo.join("data/demo/leads.csv").display().to_string();
    let outcomes = repo.join("data/demo/outcomes.csv").display().to_string();
    let args = [
        "evaluate",
        "--model",
        &model,
        "--data",
        &leads_path,
        "--events",
        "events.csv",
        "--outcomes",
        &outcomes,
    ];
    let r = run_ok(d, &args);
    assert!(
        r.stdout.contains(
            "    events.event_type: 3 leads, 2 distinct (\"chatbot_open\", \"fax_sent\"); event \
             types counted only as active days (no per-type feature)"
        ),
        "{}",
        r.stdout
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let v: Value = serde_json::from_str(run_ok(d, &json_args).stdout.trim()).unwrap();
    let u = v["unseen"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["column"] == "events.event_type")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(u["scored_as"], "active days only");
    assert_eq!(u["leads"], 3);
    assert_eq!(u["distinct"], 2);
}

/// A placeholder for no value in a numeric column (`unknown`, `-`, `#N/A`, `n.a.`), which a
/// later export writes where training's file left the cell empty and the model's missing tokens
/// do not list, reads as missing: `evaluate` (the polars pipeline) and `score` (the per-lead
/// path) give such a file exactly what they give the file with those cells empty. Text that
/// is no number and no placeholder (`ten`) is still refused, naming its row.
#[test]
fn a_placeholder_in_a_numeric_column_reads_as_missing_in_evaluate_and_score() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let leads = std::fs::read_to_string(repo.join("data/demo/leads.csv")).unwrap();
    let placeholders = [
        "unknown",
        "-",
        "#N/A",
        "n.a.",
        "Not Available",
        "?",
        "(not set)",
    ];
    let (mut with_placeholders, mut blank, mut with_text) =
        (String::new(), String::new(), String::new());
    let mut replaced = 0;
    for (i, line) in leads.lines().enumerate() {
        // Lines with a quoted field are kept as they are (a comma may be inside one).
        let mut cells: Vec<&str> = line.split(',').collect();
        let plain = !line.contains('"');
        // Every 20th lead, and only those with a company size, so that the blank file
        // really changes them.
        let pick = plain && i > 0 && i % 20 == 0 && !cells[4].is_empty();
        if pick {
            replaced += 1;
            cells[4] = placeholders[replaced % placeholders.len()];
        }
        with_placeholders += &cells.join(",");
        if pick {
            cells[4] = "";
        }
        blank += &cells.join(",");
        if plain && i == 41 {
            cells[4] = "ten";
        }
        with_text += &cells.join(",");
        for s in [&mut with_placeholders, &mut blank, &mut with_text] {
            s.push('\n');
        }
    }
    assert!(replaced > 100, "{replaced}");
    for (name, text) in [
        ("placeholders.csv", &with_placeholders),
        ("blank.csv", &blank),
        ("text.csv", &with_text),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    let model = repo.join("models/demo.json").display().to_string();
    let events = repo.join("data/demo/events.csv").display().to_string();
    let outcomes = repo.join("data/demo/outcomes.csv").display().to_string();
    // The two commands' arguments for a leads file (`score` writing to `out`).
    let with_tables = |command: &'static str, data: &'static str, rest: &[&'static str]| {
        let mut args = vec![
            command, "--model", &model, "--data", data, "--events", &events,
        ];
        args.extend_from_slice(rest);
        args
    };
    let evaluate_args = |data: &'static str| {
        let mut args = with_tables("evaluate", data, &["--outcomes"]);
        args.push(&outcomes);
        args
    };
    let score_args = |data: &'static str, out: &'static str| {
        with_tables(
            "score",
            data,
            &[
                "--as-of",
                "2025-09-01",
                "--target-precision",
                "0.5",
                "--out",
                out,
            ],
        )
    };
    let evaluate = |data: &'static str| {
        let mut args = evaluate_args(data);
        args.push("--json");
        let mut v: Value = serde_json::from_str(run_ok(d, &args).stdout.trim()).unwrap();
        v.as_object_mut().unwrap().remove("data");
        v
    };
    let (a, b) = (evaluate("placeholders.csv"), evaluate("blank.csv"));
    assert_eq!(a["evaluation"], b["evaluation"]);
    assert_eq!(
        a["unseen"], b["unseen"],
        "a placeholder is missing, not unseen"
    );
    let score = |data: &'static str, out: &'static str| {
        run_ok(d, &score_args(data, out));
        std::fs::read_to_string(d.join(out)).unwrap()
    };
    let (a, b) = (
        score("placeholders.csv", "p.out.csv"),
        score("blank.csv", "b.out.csv"),
    );
    assert_eq!(a.lines().count(), b.lines().count());
    assert!(
        a == b,
        "the scores and factors of placeholders and blanks differ"
    );
    // `ten` is a value, not a placeholder: refused in both, naming the row.
    for args in [evaluate_args("text.csv"), score_args("text.csv", "t.csv")] {
        let out = Command::new(env!("CARGO_BIN_EXE_leadscore-train"))
            .args(&args)
            .current_dir(d)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("company_size") && stderr.contains("\"ten\""),
            "{args:?}: {stderr}"
        );
    }
}

/// `train --data DATA --spec spec.toml --out model.json` in `dir`, quickly (3 folds, 3
/// penalties), the spec being the label `converted`, the id `lead_id` and `columns` (the TOML of
/// its `[[columns]]` entries, the first header written here).
fn train_with_spec(dir: &Path, data: &str, columns: &str) -> Run {
    std::fs::write(
        dir.join("spec.toml"),
        format!(
            "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n\n[[columns]]\n{columns}"
        ),
    )
    .unwrap();
    let mut train = vec![
        "train",
        "--data",
        data,
        "--spec",
        "spec.toml",
        "--out",
        "model.json",
    ];
    train.extend(FAST);
    run_ok(dir, &train)
}

/// Codes that pandas wrote as floats (an integer column with a gap: `3.0`): training reads the
/// column as numbers, so its levels are `1` to `4`; `score` (which reads every cell as text)
/// and `evaluate` on the same file find those levels, and score it as the file written with
/// whole numbers, where `score` counted every code unseen and scored it `(other)`.
#[test]
fn codes_written_as_floats_find_their_levels_in_score() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (mut floats, mut whole) = (String::new(), String::new());
    for f in [&mut floats, &mut whole] {
        f.push_str("lead_id,region_code,visits,converted\n");
    }
    for i in 0..600u32 {
        let code = 1 + (i * 7) % 4;
        let converted = if code == 3 { i % 5 < 3 } else { i % 5 == 0 };
        let cell = |written: &str| {
            if i % 10 == 0 {
                String::new()
            } else {
                written.to_string()
            }
        };
        let visits = (i * 11) % 9;
        let c = u8::from(converted);
        floats.push_str(&format!(
            "L{i},{},{visits},{c}\n",
            cell(&format!("{code}.0"))
        ));
        whole.push_str(&format!("L{i},{},{visits},{c}\n", cell(&code.to_string())));
    }
    std::fs::write(d.join("floats.csv"), &floats).unwrap();
    std::fs::write(d.join("whole.csv"), &whole).unwrap();
    train_with_spec(
        d,
        "floats.csv",
        "name = \"region_code\"\ntransform = \"categorical\"\nmin_count = 10\n\n[[columns]]\n\
         name = \"visits\"\ntransform = \"numeric\"\nbins = 0\n",
    );
    let model = ModelArtifact::load(&d.join("model.json")).unwrap();
    let levels = model
        .spec
        .columns
        .iter()
        .find_map(|c| match &c.transform {
            FittedTransform::Categorical { levels } if c.name == "region_code" => Some(levels),
            _ => None,
        })
        .unwrap();
    let mut sorted = levels.clone();
    sorted.sort();
    assert_eq!(sorted, ["1", "2", "3", "4"]);
    let evaluate = run_ok(
        d,
        &["evaluate", "--model", "model.json", "--data", "floats.csv"],
    );
    assert!(
        evaluate
            .stdout
            .contains("values training did not see: none"),
        "{}",
        evaluate.stdout
    );
    let score = |data: &str, out: &str| {
        let r = run_ok(
            d,
            &[
                "score",
                "--model",
                "model.json",
                "--data",
                data,
                "--id",
                "lead_id",
                "--target-precision",
                "0.3",
                "--out",
                out,
            ],
        );
        assert!(!r.stdout.contains("did not see"), "{}", r.stdout);
        let text = std::fs::read_to_string(d.join(out)).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (score, unseen) = (at("score"), at("unseen"));
        lines
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                assert_eq!(cells[unseen], "", "{l}");
                cells[score].to_string()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(score("floats.csv", "a.csv"), score("whole.csv", "b.csv"));
}

/// A spec column no training row fills (a spec written by hand; `init` would have set it
/// `ignore`) trains into features that carry nothing: `train` says so, naming the column, and
/// the artifact keeps the warning.
#[test]
fn a_column_empty_in_every_training_row_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut csv = String::from("lead_id,visits,budget,converted\n");
    for i in 0..400u32 {
        let visits = (i * 7) % 11;
        let budget = if i % 3 == 0 { "n/a" } else { "" };
        let converted = u8::from(visits > 6 || i % 9 == 0);
        csv.push_str(&format!("L{i},{visits},{budget},{converted}\n"));
    }
    std::fs::write(d.join("leads.csv"), csv).unwrap();
    let r = train_with_spec(
        d,
        "leads.csv",
        "name = \"visits\"\ntransform = \"numeric\"\nbins = 0\n\n[[columns]]\n\
         name = \"budget\"\ntransform = \"numeric\"\nbins = 0\n",
    );
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(
        said.contains("WARNING: column `budget` is empty in every training row"),
        "{said}"
    );
    assert!(!said.contains("column `visits` is empty"), "{said}");
    let model = ModelArtifact::load(&d.join("model.json")).unwrap();
    assert!(model
        .provenance
        .warnings
        .iter()
        .any(|w| w.starts_with("column `budget` is empty")));
}
