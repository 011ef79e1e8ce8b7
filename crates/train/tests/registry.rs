//! The model registry through the real binary (DESIGN.md section 7, issue 7): `train
//! --registry` adds models (the first becomes CURRENT), `promote` moves CURRENT only when the
//! challenger is not worse than the champion on the same fresh data (or with `--force`) and
//! says why, `models` lists them, `evaluate` rebuilds an events model's examples point in time
//! from fresh tables; and the registry's failure modes give clear errors.

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::registry::{PromotionRecord, Registry};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of the binary did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn show(&self) -> String {
        format!(
            "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the binary in `dir` (relative names in `args` are the names in messages).
fn run(dir: &Path, args: &[&str]) -> Run {
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
    assert!(
        !r.stderr.contains("panicked"),
        "leadscore-train {args:?} panicked:\n{}",
        r.show()
    );
    r
}

fn run_ok(dir: &Path, args: &[&str]) -> Run {
    let r = run(dir, args);
    assert_eq!(r.code, Some(0), "leadscore-train {args:?}:\n{}", r.show());
    r
}

fn run_fails(dir: &Path, args: &[&str]) -> Run {
    let r = run(dir, args);
    assert_eq!(r.code, Some(1), "leadscore-train {args:?}:\n{}", r.show());
    r
}

/// A path under the repository root.
fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn repo_str(path: &str) -> String {
    repo(path).display().to_string()
}

/// The model id `train` printed last (`wrote ... (model ID)`).
fn model_id(r: &Run) -> String {
    r.stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("wrote ")?.split("(model ").nth(1))
        .map(|s| s.trim_end_matches(')').to_string())
        .unwrap_or_else(|| panic!("no `wrote ... (model ID)` line:\n{}", r.show()))
}

fn current(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("CURRENT"))
        .unwrap()
        .trim()
        .to_string()
}

fn promotions(dir: &Path) -> Vec<PromotionRecord> {
    Registry::open(dir).unwrap().promotions().unwrap()
}

/// The flat demo spec with the strongest fit signals (job title, lead source, webinar) ignored:
/// a retrain that is clearly worse than the full spec.
fn weak_flat_spec() -> String {
    let spec = std::fs::read_to_string(repo("data/demo-spec.toml")).unwrap();
    let weak = spec
        .replace(
            "name = \"job_title\"\ntransform = \"job_title\"",
            "name = \"job_title\"\ntransform = \"ignore\"",
        )
        .replace(
            "name = \"lead_source\"\ntransform = \"categorical\"\nmin_count = 10",
            "name = \"lead_source\"\ntransform = \"ignore\"",
        )
        .replace(
            "name = \"webinar_attended\"\ntransform = \"boolean\"",
            "name = \"webinar_attended\"\ntransform = \"ignore\"",
        );
    assert_eq!(
        weak.matches("\ntransform = \"ignore\"").count(),
        5,
        "{weak}"
    );
    weak
}

/// The arguments of `train` of the flat demo leads with `spec` into `registry`.
fn train_flat_args(spec: &str, registry: &str) -> Vec<String> {
    [
        "train",
        "--data",
        &repo_str("data/demo-leads.csv"),
        "--spec",
        spec,
        "--registry",
        registry,
        "--folds",
        "3",
        "--grid-size",
        "3",
    ]
    .map(String::from)
    .to_vec()
}

fn train_flat(dir: &Path, spec: &str, registry: &str) -> Run {
    let args = train_flat_args(spec, registry);
    run_ok(dir, &args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Copies a CSV file with one header name changed, so the column the models know is missing.
fn rename_column(from: &Path, to: &Path, column: &str, new_name: &str) {
    let text = std::fs::read_to_string(from).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let header: Vec<&str> = header
        .split(',')
        .map(|h| if h == column { new_name } else { h })
        .collect();
    assert!(header.contains(&new_name), "no column {column}");
    std::fs::write(to, header.join(",") + "\n" + rest).unwrap();
}

#[test]
fn a_worse_retrain_is_not_promoted_and_the_reason_is_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("weak.toml"), weak_flat_spec()).unwrap();
    run_ok(
        d,
        &[
            "demo-data",
            "--leads",
            "2000",
            "--seed",
            "44",
            "--out",
            "fresh.csv",
        ],
    );

    // The first model of an empty (here: not yet existing) registry becomes CURRENT.
    let spec = repo_str("data/demo-spec.toml");
    let r = train_flat(d, &spec, "reg");
    let good = model_id(&r);
    assert!(r.stdout.contains("is now CURRENT"), "{}", r.show());
    assert_eq!(current(&d.join("reg")), format!("{good}.json"));

    // A later one is added beside it and waits for `promote`.
    let r = train_flat(d, "weak.toml", "reg");
    let weak = model_id(&r);
    assert_ne!(weak, good);
    assert!(d.join(format!("reg/{weak}.json")).is_file());
    assert!(
        r.stdout
            .contains(&format!("CURRENT still names {good}.json"))
            && r.stdout.contains(&format!(
                "leadscore-train promote --registry reg --model {weak} --data FRESH_LEADS\n"
            )),
        "{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{good}.json"));

    // Worse on the same fresh data: refused, exit 1, the reason names metric, gap and margin.
    let promote = |model: &str, extra: &[&str]| {
        let mut args = vec![
            "promote",
            "--registry",
            "reg",
            "--model",
            model,
            "--data",
            "fresh.csv",
        ];
        args.extend_from_slice(extra);
        run(d, &args)
    };
    // Fresh data promote refuses, forced or not, with stderr naming each of `why`.
    let refused_even_forced = |data: &str, why: &[&str]| {
        for extra in [&[][..], &["--force"][..]] {
            let mut args = vec![
                "promote",
                "--registry",
                "reg",
                "--model",
                &weak,
                "--data",
                data,
            ];
            args.extend_from_slice(extra);
            let r = run(d, &args);
            assert_eq!(r.code, Some(1), "{}", r.show());
            assert!(why.iter().all(|w| r.stderr.contains(w)), "{}", r.show());
        }
    };
    // The models' own training file as the "fresh" data: refused, forced or not, naming it
    // (a model scores better on what it was trained on; that says nothing of new leads).
    std::fs::copy(repo("data/demo-leads.csv"), d.join("seen.csv")).unwrap();
    refused_even_forced(
        "seen.csv",
        &[
            "the fresh data seen.csv is a file the challenger",
            "was trained on (the same SHA-256)",
        ],
    );
    assert_eq!(current(&d.join("reg")), format!("{good}.json"));
    // Fresh data in which nobody converted cannot compare two rankings: refused, forced or
    // not, saying so (`evaluate` of the same file shows what each model's cutoffs delivered).
    let text = std::fs::read_to_string(d.join("fresh.csv")).unwrap();
    let nobody: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| match l.rsplit_once(',') {
            Some((rest, _)) if i > 0 => format!("{rest},0\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(d.join("nobody.csv"), nobody).unwrap();
    refused_even_forced(
        "nobody.csv",
        &[
            "0 of them converted",
            "comparing models needs converted and unconverted leads",
        ],
    );
    assert_eq!(current(&d.join("reg")), format!("{good}.json"));
    let r = promote(&weak, &[]);
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains(&format!("model {weak} not promoted"))
            && r.stderr.contains("ROC AUC")
            && r.stderr.contains("below the champion's")
            && r.stderr.contains("--max-auc-drop")
            && r.stderr
                .contains(&format!("CURRENT still names {good}.json")),
        "{}",
        r.show()
    );
    // The side-by-side table: both models, same leads.
    assert_eq!(
        table_row_of(&r, "model")[1..3],
        [good.clone(), weak.clone()]
    );
    assert_eq!(table_row_of(&r, "leads")[1..], ["2000", "2000"]);
    let auc = table_row_of(&r, "ROC AUC");
    let (champion_auc, challenger_auc): (f64, f64) =
        (auc[2].parse().unwrap(), auc[3].parse().unwrap());
    assert!(
        champion_auc > challenger_auc + 0.01,
        "the weak spec should lose clearly:\n{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{good}.json"));
    let log = promotions(&d.join("reg"));
    let last = log.last().unwrap();
    assert!(!last.promoted && !last.forced, "{last:?}");
    assert_eq!(last.to, format!("{weak}.json"));
    assert_eq!(last.from.as_deref(), Some(format!("{good}.json").as_str()));
    assert!(last.reason.contains("ROC AUC"), "{last:?}");
    let (champion, challenger) = (
        last.champion.as_ref().unwrap(),
        last.challenger.as_ref().unwrap(),
    );
    assert_eq!((champion.examples, challenger.examples), (2000, 2000));
    // A line written before the field was named for what it counts still reads.
    let mut old = serde_json::to_value(last).unwrap();
    let metrics = old["champion"].as_object_mut().unwrap();
    let n = metrics.remove("examples").unwrap();
    metrics.insert("leads".into(), n);
    let old: leadscore_core::registry::PromotionRecord = serde_json::from_value(old).unwrap();
    assert_eq!(old.champion.unwrap().examples, 2000);
    assert!(champion.roc_auc > challenger.roc_auc);

    // --force promotes anyway and says so (on stdout and in the log).
    let r = promote(&weak, &["--force"]);
    assert_eq!(r.code, Some(0), "{}", r.show());
    assert!(
        r.stdout.contains("promoted WITH --force") && r.stdout.contains("although its ROC AUC"),
        "{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{weak}.json"));
    let last = promotions(&d.join("reg")).pop().unwrap();
    assert!(last.promoted && last.forced, "{last:?}");

    // The better model comes back without force (given as a path into the registry).
    let r = promote(&format!("reg/{good}.json"), &[]);
    assert_eq!(r.code, Some(0), "{}", r.show());
    assert!(
        r.stdout.contains(&format!(
            "promoted: CURRENT now names {good}.json (was {weak}.json)"
        )),
        "{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{good}.json"));

    // The margins are configurable: a drop within them is "not worse".
    let gap = champion_auc - challenger_auc;
    let r = promote(
        &weak,
        &[
            "--max-auc-drop",
            &format!("{:.4}", gap + 0.01),
            "--max-log-loss-rise",
            "1",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.show());
    assert!(
        r.stdout.contains("promoted: CURRENT now names"),
        "{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{weak}.json"));
    run_ok(
        d,
        &[
            "promote",
            "--registry",
            "reg",
            "--model",
            &good,
            "--data",
            "fresh.csv",
        ],
    );

    // An equal model (same weights, another id) is not worse: promoted. Given as a file outside
    // the registry, it is copied in as <model_id>.json.
    let mut twin = ModelArtifact::load(&d.join(format!("reg/{good}.json"))).unwrap();
    twin.created_at = "2030-01-01T00:00:00Z".into();
    twin.seal();
    twin.write_atomic(&d.join("twin.json")).unwrap();
    let r = promote("twin.json", &[]);
    assert_eq!(r.code, Some(0), "{}", r.show());
    assert!(
        r.stdout.contains("not worse than the champion")
            && table_row_of(&r, "ROC AUC")[4] == "+0.0000",
        "{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{}.json", twin.model_id));
    assert!(d.join(format!("reg/{}.json", twin.model_id)).is_file());

    // Already CURRENT: nothing to do.
    let r = promote(&twin.model_id, &[]);
    assert_eq!(r.code, Some(0), "{}", r.show());
    assert!(r.stdout.contains("already is CURRENT"), "{}", r.show());

    // `models`: one row per model, the CURRENT one marked; JSON says the same.
    let r = run_ok(d, &["models", "--registry", "reg"]);
    assert!(r.stdout.contains("3 models"), "{}", r.show());
    let marked: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with("  * ")).collect();
    assert_eq!(marked.len(), 1, "{}", r.show());
    assert!(marked[0].contains(&twin.model_id), "{}", r.show());
    for id in [&good, &weak] {
        let row = r.stdout.lines().find(|l| l.contains(id.as_str())).unwrap();
        assert!(!row.starts_with("  * "), "{row}");
    }
    let v: Value = serde_json::from_str(
        run_ok(d, &["models", "--registry", "reg", "--json"])
            .stdout
            .trim(),
    )
    .unwrap();
    assert_eq!(v["current"], format!("{}.json", twin.model_id));
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    for m in models {
        let auc = m["holdout_roc_auc"].as_f64().unwrap();
        assert!(auc > 0.6 && auc < 1.0, "{m}");
        assert!(m["holdout_log_loss"].as_f64().unwrap() > 0.0, "{m}");
        assert_eq!(m["train_rows"], 4000, "{m}");
        assert_eq!(
            m["current"].as_bool().unwrap(),
            m["model_id"] == twin.model_id.as_str()
        );
    }
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0, "{v}");

    // Fresh data the champion cannot score (a column it needs is missing): the comparison is
    // impossible, so promotion needs --force; a challenger that cannot score it is refused
    // even with --force.
    rename_column(
        &d.join("fresh.csv"),
        &d.join("no-title.csv"),
        "job_title",
        "title",
    );
    let no_title = |model: &str, extra: &[&str]| {
        let mut args = vec![
            "promote",
            "--registry",
            "reg",
            "--model",
            model,
            "--data",
            "no-title.csv",
        ];
        args.extend_from_slice(extra);
        run(d, &args)
    };
    let r = no_title(&weak, &[]);
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains("cannot be compared on the fresh data")
            && r.stderr.contains("job_title")
            && r.stderr.contains("--force"),
        "{}",
        r.show()
    );
    let r = no_title(&good, &["--force"]);
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains(&format!(
            "the challenger {good} cannot be evaluated on the fresh data"
        )) && r.stderr.contains("job_title"),
        "{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{}.json", twin.model_id));

    // Every decision is in the log, and the log agrees with the pointer.
    let log = promotions(&d.join("reg"));
    assert_eq!(
        log.iter()
            .map(|r| (r.promoted, r.forced))
            .collect::<Vec<_>>(),
        [
            (true, false),  // first model
            (false, false), // its training file as fresh data: refused
            (false, false), // the same, forced: refused
            (false, false), // fresh data of one class: refused
            (false, false), // the same, forced: refused
            (false, false), // weak refused
            (true, true),   // weak forced
            (true, false),  // good back
            (true, false),  // weak within margins
            (true, false),  // good back
            (true, false),  // twin
            (false, false), // champion cannot score the data
            (false, false), // challenger cannot score the data (refused even when forced)
        ]
    );
    assert_eq!(
        Registry::open(d.join("reg"))
            .unwrap()
            .log_disagreement()
            .unwrap(),
        None
    );

    // A pointer naming a file that is gone stops promotion; --force repoints it.
    std::fs::write(d.join("reg/CURRENT"), "gone.json\n").unwrap();
    let r = promote(&good, &[]);
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr
            .contains("the champion gone.json that CURRENT names cannot be loaded"),
        "{}",
        r.show()
    );
    let r = promote(&good, &["--force"]);
    assert_eq!(r.code, Some(0), "{}", r.show());
    assert!(r.stdout.contains("promoted WITH --force"), "{}", r.show());
    assert_eq!(current(&d.join("reg")), format!("{good}.json"));
    let last = promotions(&d.join("reg")).pop().unwrap();
    assert!(last.promoted && last.forced, "{last:?}");
    assert_eq!(last.from.as_deref(), Some("gone.json"));
    assert!(r.stdout.contains("(was gone.json)"), "{}", r.show());
}

/// The row of the comparison table that starts with `name`, split on whitespace.
fn table_row_of(r: &Run, name: &str) -> Vec<String> {
    r.stdout
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .unwrap_or_else(|| panic!("no `{name}` row:\n{}", r.show()))
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// `evaluate --events --outcomes` assembles fresh tables point in time as the model was
/// trained: given exactly its holdout leads, it reproduces the holdout metrics the artifact
/// recorded; and a registry of events models promotes on fresh tables.
#[test]
fn evaluate_with_events_reproduces_the_training_holdout() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (leads, events, outcomes) = (
        repo_str("data/demo/leads.csv"),
        repo_str("data/demo/events.csv"),
        repo_str("data/demo/outcomes.csv"),
    );
    let spec = repo_str("data/demo/spec.toml");
    let three = ["--events", events.as_str(), "--outcomes", outcomes.as_str()];
    let mut args = vec![
        "train",
        "--data",
        leads.as_str(),
        "--spec",
        spec.as_str(),
        "--registry",
        "reg",
        "--holdout-out",
        "holdout.csv",
    ];
    args.extend_from_slice(&three);
    let r = run_ok(d, &args);
    let id = model_id(&r);
    let path = d.join(format!("reg/{id}.json"));
    let artifact = ModelArtifact::load(&path).unwrap();
    let settings = artifact.assembly.clone().expect("the settings are kept");
    assert_eq!(settings.id, "lead_id");
    assert_eq!(
        settings.time.landmarks_days,
        Some(vec![0.0, 1.0, 3.0, 7.0, 14.0, 30.0, 60.0, 90.0])
    );
    assert_eq!(settings.time.horizon_days, 90.0);
    assert!(settings.events.is_some() && settings.outcomes.is_some());

    // The holdout leads, with the full events and outcomes tables.
    let holdout = std::fs::read_to_string(d.join("holdout.csv")).unwrap();
    let ids: std::collections::HashSet<&str> = holdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let all = std::fs::read_to_string(&leads).unwrap();
    let mut lines = all.lines();
    let mut subset = lines.next().unwrap().to_string() + "\n";
    for l in lines.filter(|l| ids.contains(l.split(',').next().unwrap())) {
        subset += &(l.to_string() + "\n");
    }
    std::fs::write(d.join("holdout-leads.csv"), subset).unwrap();
    let model = path.display().to_string();
    let mut args = vec![
        "evaluate",
        "--model",
        model.as_str(),
        "--data",
        "holdout-leads.csv",
        "--json",
    ];
    args.extend_from_slice(&three);
    let v: Value = serde_json::from_str(run_ok(d, &args).stdout.trim()).unwrap();
    assert_eq!(v["rows"], artifact.provenance.holdout_rows, "{v}");
    assert_eq!(v["point_in_time"]["used_leads"], ids.len(), "{v}");
    let e = &artifact.evaluation;
    for (name, recorded) in [
        ("roc_auc", e.roc_auc.unwrap()),
        ("log_loss", e.log_loss),
        ("pr_auc", e.pr_auc.unwrap()),
    ] {
        let fresh = v["evaluation"][name].as_f64().unwrap();
        assert!(
            (fresh - recorded).abs() < 1e-12,
            "{name}: evaluate {fresh} vs training holdout {recorded}"
        );
    }

    // Without its events, or with a leads file alone, it says what is missing.
    let r = run_fails(
        d,
        &[
            "evaluate",
            "--model",
            &model,
            "--data",
            "holdout-leads.csv",
            "--outcomes",
            &outcomes,
        ],
    );
    assert!(
        r.stderr.contains("trained with engagement events") && r.stderr.contains("--events"),
        "{}",
        r.show()
    );
    let r = run_fails(
        d,
        &[
            "evaluate",
            "--model",
            &model,
            "--data",
            "holdout-leads.csv",
            "--events",
            &events,
        ],
    );
    assert!(r.stderr.contains("--outcomes FILE"), "{}", r.show());

    // Fresh tables from another export: a retrain with the observation window moved is
    // compared on its own examples, which differ, so it needs --force.
    run_ok(
        d,
        &[
            "demo-data",
            "--leads",
            "2000",
            "--seed",
            "45",
            "--out",
            "fresh/leads.csv",
            "--events-out",
            "fresh/events.csv",
            "--outcomes-out",
            "fresh/outcomes.csv",
        ],
    );
    let spec14 = std::fs::read_to_string(&spec).unwrap().replace(
        "landmarks_days = [0, 1, 3, 7, 14, 30, 60, 90]",
        "landmarks_days = [0, 14, 60]",
    );
    std::fs::write(d.join("spec14.toml"), spec14).unwrap();
    let mut args = vec![
        "train",
        "--data",
        leads.as_str(),
        "--spec",
        "spec14.toml",
        "--registry",
        "reg",
        "--folds",
        "3",
        "--grid-size",
        "3",
    ];
    args.extend_from_slice(&three);
    let r = run_ok(d, &args);
    let other = model_id(&r);
    assert!(
        r.stdout
            .contains("--events FRESH_EVENTS --outcomes FRESH_OUTCOMES"),
        "{}",
        r.show()
    );
    let fresh = [
        "--data",
        "fresh/leads.csv",
        "--events",
        "fresh/events.csv",
        "--outcomes",
        "fresh/outcomes.csv",
    ];
    let mut args = vec!["promote", "--registry", "reg", "--model", other.as_str()];
    args.extend_from_slice(&fresh);
    let r = run_fails(d, &args);
    assert!(
        r.stderr.contains("other rules than the challenger")
            && r.stderr.contains("cannot be compared"),
        "{}",
        r.show()
    );
    assert!(
        r.stdout
            .contains("point in time: as of `created_at` + each landmark (0, 14, 60 days)"),
        "{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{id}.json"));

    // An outcomes file with no rows: nobody converted, and the refusal names that file, not
    // the leads file the examples were built from.
    let header = std::fs::read_to_string(d.join("fresh/outcomes.csv")).unwrap();
    let header = header.lines().next().unwrap();
    std::fs::write(d.join("fresh/none.csv"), format!("{header}\n")).unwrap();
    let mut args = vec!["promote", "--registry", "reg", "--model", other.as_str()];
    args.extend_from_slice(&fresh[..4]);
    args.extend_from_slice(&["--outcomes", "fresh/none.csv"]);
    let r = run_fails(d, &args);
    assert!(
        r.stderr.contains("fresh/none.csv: the fresh data has")
            && r.stderr.contains("0 of them converted")
            && !r.stderr.contains("fresh/leads.csv: the fresh data"),
        "{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{id}.json"));

    // A flat-file model cannot score the three tables: refused even with --force.
    run_ok(
        d,
        &[
            "train",
            "--data",
            &repo_str("data/demo-leads.csv"),
            "--spec",
            &repo_str("data/demo-spec.toml"),
            "--out",
            "flat.json",
            "--folds",
            "3",
            "--grid-size",
            "3",
        ],
    );
    let mut args = vec![
        "promote",
        "--registry",
        "reg",
        "--model",
        "flat.json",
        "--force",
    ];
    args.extend_from_slice(&fresh);
    let r = run_fails(d, &args);
    assert!(
        r.stderr.contains("cannot be evaluated on the fresh data")
            && r.stderr.contains("trained on a flat leads file"),
        "{}",
        r.show()
    );
    assert_eq!(current(&d.join("reg")), format!("{id}.json"));
}

/// An artifact written before artifacts kept their point-in-time settings (the demo model as
/// committed then, kept in tests/data) still loads with its id, and the registry's failure
/// modes say what is wrong.
#[test]
fn registry_problems_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let demo =
        ModelArtifact::load(&repo("crates/train/tests/data/demo-before-assembly.json")).unwrap();
    assert!(demo.assembly.is_none());
    assert_eq!(demo.model_id, demo.compute_id());
    let fresh = [
        "--data",
        "leads.csv",
        "--events",
        "events.csv",
        "--outcomes",
        "outcomes.csv",
    ];
    for (name, src) in [
        ("leads.csv", "data/demo/leads.csv"),
        ("events.csv", "data/demo/events.csv"),
        ("outcomes.csv", "data/demo/outcomes.csv"),
    ] {
        std::fs::copy(repo(src), d.join(name)).unwrap();
    }

    // A missing registry folder.
    for args in [
        vec!["models", "--registry", "nowhere"],
        [
            vec!["promote", "--registry", "nowhere", "--model", "x"],
            fresh.to_vec(),
        ]
        .concat(),
    ] {
        let r = run_fails(d, &args);
        assert!(
            r.stderr.contains("opening the model registry nowhere")
                && r.stderr.contains("No such file"),
            "{}",
            r.show()
        );
    }
    // A file where the folder should be.
    std::fs::write(d.join("afile"), "x").unwrap();
    let r = run_fails(d, &["models", "--registry", "afile"]);
    assert!(r.stderr.contains("not a directory"), "{}", r.show());
    // A dangling symbolic link where the folder should be: named as one, nothing created.
    std::os::unix::fs::symlink(d.join("gone"), d.join("dangling")).unwrap();
    let r = run_fails(
        d,
        &[
            vec!["train", "--spec", &repo_str("data/demo/spec.toml")],
            fresh.to_vec(),
            vec!["--registry", "dangling"],
        ]
        .concat(),
    );
    assert!(
        r.stderr.contains("symbolic link to") && r.stderr.contains("does not exist"),
        "{}",
        r.show()
    );
    assert!(!d.join("gone").exists());

    // --out and --registry are one or the other (usage error, exit 2).
    let r = run(
        d,
        &[
            "train",
            "--data",
            "leads.csv",
            "--out",
            "m.json",
            "--registry",
            "reg",
        ],
    );
    assert_eq!(r.code, Some(2), "{}", r.show());
    let r = run(d, &["train", "--data", "leads.csv"]);
    assert_eq!(r.code, Some(2), "{}", r.show());
    assert!(r.stderr.contains("--out"), "{}", r.show());

    // A registry holding the old demo model as champion.
    let reg = d.join("reg");
    std::fs::create_dir(&reg).unwrap();
    let registry = Registry::open(&reg).unwrap();
    registry.add(&demo).unwrap();
    let demo_file = format!("{}.json", demo.model_id);

    // No such challenger: the registry's models are named.
    let r = run_fails(
        d,
        &[
            vec!["promote", "--registry", "reg", "--model", "nope"],
            fresh.to_vec(),
        ]
        .concat(),
    );
    assert!(
        r.stderr.contains("no model `nope` in the registry reg") && r.stderr.contains(&demo_file),
        "{}",
        r.show()
    );
    // A challenger that cannot be loaded (cut short) is refused and the refusal logged, as
    // every refusal before the comparison is; a folder or a FIFO is said to be one.
    let before = promotions(&reg).len();
    let text = std::fs::read_to_string(reg.join(&demo_file)).unwrap();
    std::fs::write(d.join("cut.json"), &text[..text.len() / 2]).unwrap();
    let r = run_fails(
        d,
        &[
            vec!["promote", "--registry", "reg", "--model", "cut.json"],
            fresh.to_vec(),
        ]
        .concat(),
    );
    assert!(r.stderr.contains("cut.json"), "{}", r.show());
    let log = promotions(&reg);
    assert_eq!(log.len(), before + 1, "{log:?}");
    let last = log.last().unwrap();
    assert!(!last.promoted && last.to == "cut.json", "{last:?}");
    assert!(
        last.reason.starts_with("the challenger cannot be loaded"),
        "{last:?}"
    );
    std::fs::create_dir(d.join("adir")).unwrap();
    let r = run_fails(
        d,
        &[
            vec!["promote", "--registry", "reg", "--model", "adir"],
            fresh.to_vec(),
        ]
        .concat(),
    );
    assert!(r.stderr.contains("is a folder"), "{}", r.show());

    // No CURRENT: `models` says so; an artifact that predates the point-in-time settings cannot
    // be evaluated on fresh tables, forced or not.
    let r = run_ok(d, &["models", "--registry", "reg"]);
    assert!(r.stdout.contains("CURRENT (none)"), "{}", r.show());
    // A model file linked in from elsewhere is never loaded: `models` says so rather than
    // dropping it without a word.
    std::os::unix::fs::symlink(reg.join(&demo_file), reg.join("linked.json")).unwrap();
    let r = run_ok(d, &["models", "--registry", "reg"]);
    assert!(
        r.stderr
            .contains("WARNING: linked.json is not a regular file")
            && !r.stdout.contains("linked.json"),
        "{}",
        r.show()
    );
    std::fs::remove_file(reg.join("linked.json")).unwrap();
    let r = run_fails(
        d,
        &[
            vec![
                "promote",
                "--registry",
                "reg",
                "--model",
                &demo.model_id,
                "--force",
            ],
            fresh.to_vec(),
        ]
        .concat(),
    );
    assert!(
        r.stderr
            .contains("predates the stored point-in-time settings"),
        "{}",
        r.show()
    );
    assert!(!reg.join("CURRENT").exists());

    // A corrupt CURRENT: promote refuses before any work and names the pointer; `models` lists
    // anyway and warns.
    for (pointer, says) in [
        ("../outside.json\n", "path separator"),
        ("\n", "empty"),
        ("gone.json\n", "gone.json"),
    ] {
        std::fs::write(reg.join("CURRENT"), pointer).unwrap();
        let r = run_fails(
            d,
            &[
                vec!["promote", "--registry", "reg", "--model", &demo.model_id],
                fresh.to_vec(),
            ]
            .concat(),
        );
        assert!(
            r.stderr.contains("CURRENT") && r.stderr.contains(says) && r.stderr.contains("--force"),
            "{pointer:?}:\n{}",
            r.show()
        );
        let r = run_ok(d, &["models", "--registry", "reg"]);
        assert!(
            r.stderr.contains("WARNING") && r.stderr.contains(says),
            "{pointer:?}:\n{}",
            r.show()
        );
        assert!(r.stdout.contains(&demo.model_id), "{}", r.show());
    }

    // A damaged model file: listed as such, with a warning; as champion it blocks promotion.
    std::fs::write(reg.join("broken.json"), "{\"format_version\": 2}").unwrap();
    std::fs::write(reg.join("CURRENT"), "broken.json\n").unwrap();
    let r = run_ok(d, &["models", "--registry", "reg", "--json"]);
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let broken = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["file"] == "broken.json")
        .unwrap();
    assert!(
        broken["error"].is_string() && broken["current"] == true,
        "{v}"
    );
    assert!(
        r.stderr.contains("broken.json cannot be loaded"),
        "{}",
        r.show()
    );
    let r = run_fails(
        d,
        &[
            vec!["promote", "--registry", "reg", "--model", &demo.model_id],
            fresh.to_vec(),
        ]
        .concat(),
    );
    assert!(
        r.stderr
            .contains("the champion broken.json that CURRENT names cannot be loaded"),
        "{}",
        r.show()
    );

    // A champion or challenger that is a symbolic link (here to a secret outside the folder,
    // shaped like JSON so a parser would quote it): refused as a link, never read or quoted.
    #[cfg(unix)]
    {
        let secret = d.join("secret.json");
        std::fs::write(&secret, "{\"format_version\": \"TOP-SECRET-7f3a\"}").unwrap();
        std::os::unix::fs::symlink(&secret, reg.join("linked.json")).unwrap();
        std::fs::write(reg.join("CURRENT"), "linked.json\n").unwrap();
        let r = run_fails(
            d,
            &[
                vec!["promote", "--registry", "reg", "--model", &demo.model_id],
                fresh.to_vec(),
            ]
            .concat(),
        );
        assert!(
            r.stderr
                .contains("the champion linked.json that CURRENT names cannot be loaded")
                && r.stderr.contains("symbolic link")
                && !r.stderr.contains("TOP-SECRET"),
            "{}",
            r.show()
        );
        std::fs::write(reg.join("CURRENT"), format!("{demo_file}\n")).unwrap();
        let r = run_fails(
            d,
            &[
                vec!["promote", "--registry", "reg", "--model", "linked.json"],
                fresh.to_vec(),
            ]
            .concat(),
        );
        assert!(
            r.stderr.contains("symbolic link") && !r.stderr.contains("TOP-SECRET"),
            "{}",
            r.show()
        );
        let r = run_ok(d, &["models", "--registry", "reg"]);
        assert!(!r.show().contains("TOP-SECRET"), "{}", r.show());
        std::fs::remove_file(reg.join("linked.json")).unwrap();
        std::fs::write(reg.join("CURRENT"), "broken.json\n").unwrap();
    }

    // Margins must be non-negative numbers.
    let r = run_fails(
        d,
        &[
            vec![
                "promote",
                "--registry",
                "reg",
                "--model",
                &demo.model_id,
                "--max-auc-drop",
                "-0.1",
            ],
            fresh.to_vec(),
        ]
        .concat(),
    );
    assert!(
        r.stderr.contains("--max-auc-drop must be a number >= 0"),
        "{}",
        r.show()
    );

    // A log line written but the pointer never moved (a crash between the two): `models` says so.
    std::fs::write(reg.join("CURRENT"), format!("{demo_file}\n")).unwrap();
    registry
        .record_promotion(&PromotionRecord {
            time: "2025-06-01T00:00:00Z".into(),
            from: Some(demo_file.clone()),
            to: "broken.json".into(),
            promoted: true,
            forced: false,
            reason: "interrupted".into(),
            data: Vec::new(),
            max_auc_drop: 0.0,
            max_log_loss_rise: 0.0,
            champion: None,
            challenger: None,
        })
        .unwrap();
    let r = run_ok(d, &["models", "--registry", "reg"]);
    assert!(
        r.stderr.contains("is not what CURRENT names") && r.stderr.contains("broken.json"),
        "{}",
        r.show()
    );
    // A damaged promotion log is named as the log it is (not as a model artifact).
    let log = std::fs::read_to_string(reg.join("promotions.jsonl")).unwrap();
    std::fs::write(reg.join("promotions.jsonl"), "garbage\n").unwrap();
    let r = run_ok(d, &["models", "--registry", "reg"]);
    assert!(
        r.stderr.contains("the promotion log cannot be read: reg/promotions.jsonl: line 1: not a promotion record")
            && !r.stderr.contains("model artifact reg/promotions.jsonl"),
        "{}",
        r.show()
    );
    std::fs::write(reg.join("promotions.jsonl"), log).unwrap();

    // CURRENT deleted while the log records a champion: not "no champion", refused (and the
    // refusal logged, as every decision is), with --force as the way through.
    std::fs::remove_file(reg.join("CURRENT")).unwrap();
    let before = promotions(&reg).len();
    let r = run_fails(
        d,
        &[
            vec!["promote", "--registry", "reg", "--model", &demo.model_id],
            fresh.to_vec(),
        ]
        .concat(),
    );
    assert!(
        r.stderr.contains("CURRENT is missing")
            && r.stderr.contains("records broken.json as the champion")
            && r.stderr.contains("--force"),
        "{}",
        r.show()
    );
    assert!(!reg.join("CURRENT").exists());
    let log = promotions(&reg);
    assert_eq!(log.len(), before + 1, "the refusal is logged");
    assert!(!log[before].promoted && log[before].reason.contains("CURRENT is missing"));
}

/// What changes `CURRENT` holds the registry's lock: a `train --registry` that finishes while
/// another holds it waits (and says so) instead of racing it, then adds its model.
#[test]
fn a_registry_change_waits_for_the_one_in_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let spec = repo_str("data/demo-spec.toml");
    let first = model_id(&train_flat(d, &spec, "reg"));
    std::fs::write(d.join("weak.toml"), weak_flat_spec()).unwrap();
    let registry = Registry::open(d.join("reg")).unwrap();
    let held = registry.lock(|_| panic!("nobody else holds it")).unwrap();
    let err = std::fs::File::create(d.join("stderr.txt")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore-train"))
        .current_dir(d)
        .args(train_flat_args("weak.toml", "reg"))
        .stdout(std::process::Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(d.join("stderr.txt")).unwrap();
        if text.contains("waiting for another promote or train --registry") {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "it finished: {text}");
        assert!(started.elapsed().as_secs() < 300, "no wait: {text}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Still waiting, and nothing added, while the lock is held.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none());
    assert_eq!(registry.list().unwrap().len(), 1);
    drop(held);
    assert!(child.wait().unwrap().success());
    assert_eq!(registry.list().unwrap().len(), 2);
    assert_eq!(current(&d.join("reg")), format!("{first}.json"));
}

/// `promote --model PATH` of a model whose file in the registry is damaged (truncated) writes
/// the file again before pointing CURRENT at it: taken as already there, CURRENT named a file
/// no server could load, and promote said it was promoted.
#[test]
fn promoting_a_file_over_a_damaged_copy_in_the_registry_writes_it_again() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("weak.toml"), weak_flat_spec()).unwrap();
    run_ok(
        d,
        &[
            "demo-data",
            "--leads",
            "1500",
            "--seed",
            "44",
            "--out",
            "fresh.csv",
        ],
    );
    let good = model_id(&train_flat(d, &repo_str("data/demo-spec.toml"), "reg"));
    let weak = model_id(&train_flat(d, "weak.toml", "reg"));
    let held = d.join(format!("reg/{weak}.json"));
    std::fs::copy(&held, d.join("weak-copy.json")).unwrap();
    let bytes = std::fs::read(&held).unwrap();
    std::fs::write(&held, &bytes[..bytes.len() / 2]).unwrap();
    let r = run(
        d,
        &[
            "promote",
            "--registry",
            "reg",
            "--model",
            "./weak-copy.json",
            "--data",
            "fresh.csv",
            "--force",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.show());
    assert_eq!(current(&d.join("reg")), format!("{weak}.json"));
    let again = ModelArtifact::load(&held).expect("the file written again");
    assert_eq!(again.model_id, weak);
    assert_ne!(good, weak);
}
