//! Bad-input suite for the `leadscore-train` binary: every failure exits 1 (a failed job) or 2
//! (bad usage, from clap), never panics, and says what is wrong (file, column, row); a failed
//! training run never replaces a good model. A few success paths keep the suite honest.

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

/// Runs the binary in `dir` (so relative file names in `args` are the names in messages).
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

/// Runs and asserts success.
fn run_ok(dir: &Path, args: &[&str]) -> Run {
    let r = run(dir, args);
    assert_eq!(r.code, Some(0), "leadscore-train {args:?}:\n{}", r.show());
    r
}

/// Small deterministic pseudo-random numbers in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A small lead file: `lead_id`, `visits` (count), `size` (decimal, some missing), `source`
/// (categorical), `webinar` (yes/no), `converted` (1/0, related to the others with noise).
/// `sep` and `eol` choose the dialect; `quote` quotes the text cells.
fn leads_csv(n: usize, sep: char, eol: &str, quote: bool) -> String {
    let q = |s: &str| {
        if quote {
            format!("\"{s}\"")
        } else {
            s.to_string()
        }
    };
    let mut rng = Lcg(12345);
    let sources = ["web", "referral", "ads", "event"];
    let mut out = [
        "lead_id",
        "visits",
        "size",
        "source",
        "webinar",
        "converted",
    ]
    .map(q)
    .join(&sep.to_string());
    out.push_str(eol);
    for i in 0..n {
        let visits = (rng.next() * 8.0).floor();
        let size_raw = 5.0 + 95.0 * rng.next();
        let size_missing = rng.next() < 0.1;
        let source = sources[(rng.next() * 4.0) as usize % 4];
        let webinar = rng.next() < 0.3;
        let z = -1.5
            + 0.35 * visits
            + 0.01 * size_raw
            + match source {
                "referral" => 0.9,
                "ads" => -0.6,
                _ => 0.0,
            }
            + if webinar { 0.8 } else { 0.0 };
        let converted = rng.next() < 1.0 / (1.0 + (-z).exp());
        let size = if size_missing {
            String::new()
        } else {
            format!("{size_raw:.1}")
        };
        let fields = [
            q(&format!("L{i:05}")),
            format!("{visits}"),
            size,
            q(source),
            q(if webinar { "yes" } else { "no" }),
            if converted { "1" } else { "0" }.to_string(),
        ];
        out.push_str(&fields.join(&sep.to_string()));
        out.push_str(eol);
    }
    out
}

/// A two-column file `x,<label>` with the given label cells (x = 1, 2, ...).
fn labeled(label: &str, values: &[&str]) -> Vec<u8> {
    let mut s = format!("x,{label}\n");
    for (i, v) in values.iter().enumerate() {
        s.push_str(&format!("{},{v}\n", i + 1));
    }
    s.into_bytes()
}

/// The default small leads file.
fn leads() -> Vec<u8> {
    leads_csv(400, ',', "\n", false).into_bytes()
}

/// `csv` (no quoted fields, `\n` line ends) with `edit` applied to the cells of each line
/// (line 0 is the header).
fn edit_rows(csv: &str, sep: char, edit: impl Fn(usize, &mut [String])) -> String {
    csv.lines()
        .enumerate()
        .map(|(i, line)| {
            let mut cells: Vec<String> = line.split(sep).map(String::from).collect();
            edit(i, &mut cells);
            cells.join(&sep.to_string()) + "\n"
        })
        .collect()
}

/// Writes `dir/parquet`: `dir/leads.csv` as the CSV reader reads it (default options),
/// changed by `edit` (a column cast, a cell set).
fn parquet_twin(dir: &Path, parquet: &str, edit: impl FnOnce(&mut polars::prelude::DataFrame)) {
    use leadscore_train::load::{read_table, ReadOptions};
    let mut df = read_table(&dir.join("leads.csv"), &ReadOptions::default())
        .unwrap()
        .df;
    edit(&mut df);
    let f = std::fs::File::create(dir.join(parquet)).unwrap();
    polars::prelude::ParquetWriter::new(f)
        .finish(&mut df)
        .unwrap();
}

/// `init` of `data` with the label and id of [`leads_csv`]'s files, then `extra`.
fn init_args<'a>(data: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "init",
        "--data",
        data,
        "--label",
        "converted",
        "--id",
        "lead_id",
    ];
    a.extend_from_slice(extra);
    a
}

/// Arguments that keep training fast.
const FAST: [&str; 4] = ["--folds", "3", "--grid-size", "3"];

fn train_args<'a>(data: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "train",
        "--data",
        data,
        "--label",
        "converted",
        "--id",
        "lead_id",
        "--out",
        out,
    ];
    a.extend_from_slice(&FAST);
    a.extend_from_slice(extra);
    a
}

/// Trains on the default small file in `dir` and returns the model path.
fn train_model(dir: &Path, data: &str, out: &str) -> PathBuf {
    let r = run_ok(dir, &train_args(data, out, &[]));
    assert!(r.stdout.contains("wrote"), "{}", r.show());
    dir.join(out)
}

/// The arguments of `score` of `data` with `model` (lead id `lead_id`, target precision 0.5)
/// into `out`, as of `as_of`.
fn score_args<'a>(model: &'a str, data: &'a str, out: &'a str, as_of: &'a str) -> Vec<&'a str> {
    vec![
        "score",
        "--model",
        model,
        "--data",
        data,
        "--out",
        out,
        "--id",
        "lead_id",
        "--target-precision",
        "0.5",
        "--as-of",
        as_of,
    ]
}

/// `score` of `data` with `model` (lead id `lead_id`, as of 2025-01-01, target precision 0.5)
/// into `out`: the run (asserted successful) and the file it wrote.
fn score_file(dir: &Path, model: &str, data: &str, out: &str) -> (Run, String) {
    let r = run_ok(dir, &score_args(model, data, out, "2025-01-01"));
    let written = std::fs::read_to_string(dir.join(out)).unwrap();
    (r, written)
}

/// `evaluate --json` of `model` on `data`, parsed.
fn evaluate_json(dir: &Path, model: &str, data: &str) -> Value {
    evaluate_json_with(dir, model, data, &[])
}

/// [`evaluate_json`] with more arguments (`--as-of T`).
fn evaluate_json_with(dir: &Path, model: &str, data: &str, extra: &[&str]) -> Value {
    let mut args = vec!["evaluate", "--model", model, "--data", data, "--json"];
    args.extend(extra);
    let r = run_ok(dir, &args);
    serde_json::from_str(&r.stdout).unwrap()
}

/// The fitted transform of column `name` in a model artifact's JSON.
fn transform_of(model: &Value, name: &str) -> Value {
    model["spec"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name}"))["transform"]
        .clone()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// (name, weight) of every feature of a model artifact.
fn weights(artifact: &Value) -> Vec<(String, f64)> {
    artifact["model"]["features"]
        .as_array()
        .expect("model.features")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["weight"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn assert_same_weights(a: &Value, b: &Value) {
    let (wa, wb) = (weights(a), weights(b));
    assert_eq!(
        wa.iter().map(|w| &w.0).collect::<Vec<_>>(),
        wb.iter().map(|w| &w.0).collect::<Vec<_>>(),
        "feature names differ"
    );
    assert!(!wa.is_empty());
    for ((name, x), (_, y)) in wa.iter().zip(&wb) {
        assert!((x - y).abs() <= 1e-9, "weight of {name}: {x} vs {y}");
    }
    let (ia, ib) = (
        a["model"]["intercept"].as_f64().unwrap(),
        b["model"]["intercept"].as_f64().unwrap(),
    );
    assert!((ia - ib).abs() <= 1e-9, "intercept: {ia} vs {ib}");
}

/// One bad-input case: files written into a fresh temp dir, the arguments, the expected exit
/// code and the substrings stderr must contain.
struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
    code: i32,
    stderr_has: Vec<&'static str>,
}

fn case(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &[&'static str],
    code: i32,
    stderr_has: &[&'static str],
) -> Case {
    Case {
        name,
        files,
        args: args.to_vec(),
        code,
        stderr_has: stderr_has.to_vec(),
    }
}

/// Runs each case in a fresh temp dir; collects every failure so one run shows them all.
fn check_cases(cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &c.files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let before: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let r = run(dir.path(), &c.args);
        let mut problems = Vec::new();
        if r.code != Some(c.code) {
            problems.push(format!("exit code {:?}, expected {}", r.code, c.code));
        }
        for s in &c.stderr_has {
            if !r.stderr.contains(s) {
                problems.push(format!("stderr lacks {s:?}"));
            }
        }
        if c.code == 1 && !r.stderr.starts_with("error: ") {
            problems.push("stderr does not start with `error: `".into());
        }
        if c.code == 1 {
            // A failed job writes nothing.
            let after: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .filter(|n| !before.contains(n))
                .collect();
            if !after.is_empty() {
                problems.push(format!("wrote {after:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "case `{}` ({:?}): {}\n{}",
                c.name,
                c.args,
                problems.join("; "),
                r.show()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

const SPEC_HEAD: &str = "format_version = 1\nlabel = \"y\"\n";

fn spec(body: &str) -> Vec<u8> {
    format!("{SPEC_HEAD}{body}\n[[columns]]\nname = \"y\"\ntransform = \"ignore\"\n").into_bytes()
}

/// `x` numbers except row 3, which holds text; `y` alternates 1/0 (20 rows).
fn text_in_numbers() -> Vec<u8> {
    let mut s = String::from("x,y\n");
    for i in 1..=20 {
        let x = if i == 3 {
            "abc".to_string()
        } else {
            i.to_string()
        };
        s.push_str(&format!("{x},{}\n", i % 2));
    }
    s.into_bytes()
}

#[test]
fn bad_data_files_fail_with_named_errors() {
    let t = |data: &'static str| -> Vec<&'static str> {
        vec![
            "train",
            "--data",
            data,
            "--label",
            "y",
            "--out",
            "m.json",
            "--folds",
            "3",
            "--grid-size",
            "3",
        ]
    };
    let cases = vec![
        case(
            "empty file",
            vec![("empty.csv", Vec::new())],
            &t("empty.csv"),
            1,
            &["empty.csv", "empty", "no model was written"],
        ),
        case(
            "whitespace-only file",
            vec![("blank.csv", b"\n  \r\n".to_vec())],
            &t("blank.csv"),
            1,
            &["blank.csv", "empty"],
        ),
        case(
            "header only",
            vec![("h.csv", b"x,y\n".to_vec())],
            &t("h.csv"),
            1,
            &["h.csv", "no data rows"],
        ),
        case(
            "unknown --label column",
            vec![("leads.csv", leads())],
            &[
                "train",
                "--data",
                "leads.csv",
                "--label",
                "nope",
                "--out",
                "m.json",
            ],
            1,
            &[
                "leads.csv",
                "`nope`",
                "no such column",
                "lead_id",
                "visits",
                "converted",
            ],
        ),
        case(
            "unknown --exclude column",
            vec![("leads.csv", leads())],
            &[
                "train",
                "--data",
                "leads.csv",
                "--label",
                "converted",
                "--exclude",
                "bogus",
                "--out",
                "m.json",
            ],
            1,
            &["leads.csv", "`bogus`", "no such column", "visits"],
        ),
        case(
            "label with one class",
            vec![("one.csv", labeled("y", &["1"; 12]))],
            &t("one.csv"),
            1,
            &["one.csv", "`y`", "only one class"],
        ),
        case(
            "label with three classes",
            vec![(
                "three.csv",
                labeled("y", &["1", "0", "2", "1", "0", "2", "1", "0"]),
            )],
            &t("three.csv"),
            1,
            &["three.csv", "`y`", "exactly two classes, found 3"],
        ),
        // (`Won` / `Lost` is read as converted / not: see `a_negated_label_needs_no_positive`.)
        case(
            "Gold/Silver label without --positive",
            vec![(
                "stage.csv",
                labeled(
                    "stage",
                    &["Gold", "Silver", "Silver", "Gold", "Silver", "Silver"],
                ),
            )],
            &[
                "train",
                "--data",
                "stage.csv",
                "--label",
                "stage",
                "--out",
                "m.json",
            ],
            1,
            &["stage.csv", "`stage`", "Gold", "Silver", "--positive"],
        ),
        // Rows without a label are leads without an outcome yet, left out (see
        // `rows_without_a_label_are_left_out_and_counted`), but not when none has one, nor when
        // the others are all unconverted.
        case(
            "no label in any row",
            vec![("gap.csv", labeled("y", &["", "NA", "", "", "", ""]))],
            &t("gap.csv"),
            1,
            &["gap.csv", "`y`", "no row has a label", "6 rows"],
        ),
        case(
            "labelled rows all unconverted",
            vec![("gap0.csv", labeled("y", &["0", "", "0", "0", "", "0"]))],
            &t("gap0.csv"),
            1,
            &["gap0.csv", "`y`", "only one class"],
        ),
        case(
            "ragged row",
            vec![("r.csv", b"x,z,y\n1,2,1\n3,4,0\n5,0\n6,7,1\n".to_vec())],
            &t("r.csv"),
            1,
            &["r.csv", "row 3", "2 fields", "header has 3"],
        ),
        case(
            "unclosed quote",
            vec![("q.csv", b"x,y\n1,1\n\"two,0\n3,1\n".to_vec())],
            &t("q.csv"),
            1,
            &["q.csv", "row 2", "never closed"],
        ),
        // Not UTF-8: read as Windows-1252 (see `windows_1252_files_read_as_their_utf8_twins`),
        // its ragged rows still named.
        case(
            "not UTF-8 and ragged",
            vec![("latin1.csv", b"x,y\nM\xfcller,1\nG\xf6tz,0,3\n".to_vec())],
            &t("latin1.csv"),
            1,
            &["latin1.csv", "row 2", "3 fields"],
        ),
        case(
            "no --label",
            vec![("leads.csv", leads())],
            &["train", "--data", "leads.csv", "--out", "m.json"],
            1,
            &["no label column", "--label"],
        ),
        case(
            "missing data file",
            vec![],
            &t("absent.csv"),
            1,
            &["absent.csv"],
        ),
        case(
            "--holdout 1.5",
            vec![("leads.csv", leads())],
            &[
                "train",
                "--data",
                "leads.csv",
                "--label",
                "converted",
                "--holdout",
                "1.5",
                "--out",
                "m.json",
            ],
            1,
            &["--holdout", "1.5"],
        ),
        case(
            "--delimiter non-ASCII (train)",
            vec![("leads.csv", leads())],
            &[
                "train",
                "--data",
                "leads.csv",
                "--label",
                "converted",
                "--delimiter",
                "é",
                "--out",
                "m.json",
            ],
            2,
            &["--delimiter", "ASCII", "'é'"],
        ),
        case(
            "--delimiter non-ASCII (init)",
            vec![("leads.csv", leads())],
            &["init", "--data", "leads.csv", "--delimiter", "é"],
            2,
            &["--delimiter", "ASCII"],
        ),
        case(
            "--grid-size 0",
            vec![("leads.csv", leads())],
            &[
                "train",
                "--data",
                "leads.csv",
                "--label",
                "converted",
                "--grid-size",
                "0",
                "--out",
                "m.json",
            ],
            1,
            &["--grid-size"],
        ),
        case(
            "init on an empty file",
            vec![("empty.csv", Vec::new())],
            &["init", "--data", "empty.csv", "--label", "y"],
            1,
            &["empty.csv", "empty"],
        ),
        case(
            "a file whose lines end with CR alone",
            vec![(
                "cr.csv",
                String::from_utf8(leads())
                    .unwrap()
                    .replace('\n', "\r")
                    .into_bytes(),
            )],
            &["init", "--data", "cr.csv", "--label", "converted"],
            1,
            &["cr.csv", "carriage return alone"],
        ),
        case(
            "--negative naming no value of the label",
            vec![("leads.csv", leads())],
            &[
                "train",
                "--data",
                "leads.csv",
                "--label",
                "converted",
                "--negative",
                "nope",
                "--out",
                "m.json",
            ],
            1,
            &["no row holds the negative label value \"nope\""],
        ),
        case(
            "--negative naming the positive value",
            vec![("leads.csv", leads())],
            &[
                "train",
                "--data",
                "leads.csv",
                "--label",
                "converted",
                "--positive",
                "1",
                "--negative",
                "1",
                "--out",
                "m.json",
            ],
            1,
            &["named both a positive"],
        ),
        // A typo in a column name: the real label would have become a feature.
        case(
            "init --label naming no column",
            vec![("leads.csv", leads())],
            &["init", "--data", "leads.csv", "--label", "convertd"],
            1,
            &["leads.csv", "convertd", "no such column"],
        ),
        case(
            "init --exclude naming no column",
            vec![("leads.csv", leads())],
            &[
                "init",
                "--data",
                "leads.csv",
                "--label",
                "converted",
                "--exclude",
                "nosuch",
            ],
            1,
            &["nosuch", "no such column"],
        ),
        case(
            "train --id naming the label",
            vec![("leads.csv", leads())],
            &[
                "train",
                "--data",
                "leads.csv",
                "--label",
                "converted",
                "--id",
                "converted",
                "--out",
                "m.json",
            ],
            1,
            &["both name `converted`"],
        ),
    ];
    check_cases(&cases);
}

#[test]
fn bad_specs_fail_with_named_errors() {
    let t: &[&str] = &[
        "train",
        "--data",
        "data.csv",
        "--spec",
        "spec.toml",
        "--out",
        "m.json",
        "--folds",
        "3",
        "--grid-size",
        "3",
    ];
    let data = || ("data.csv", text_in_numbers());
    let cases = vec![
        case(
            "numeric transform on a text cell",
            vec![
                data(),
                (
                    "spec.toml",
                    spec("[[columns]]\nname = \"x\"\ntransform = \"numeric\"\n"),
                ),
            ],
            t,
            1,
            &["data.csv", "row 3", "`x`", "abc"],
        ),
        case(
            "unknown key",
            vec![
                data(),
                (
                    "spec.toml",
                    spec("[[columns]]\nname = \"x\"\ntransform = \"categorical\"\ncolour = \"red\"\n"),
                ),
            ],
            t,
            1,
            &["spec.toml", "unknown field `colour`"],
        ),
        case(
            "a gate naming a field the spec does not have",
            vec![
                data(),
                (
                    "spec.toml",
                    spec(
                        "[[columns]]\nname = \"x\"\ntransform = \"categorical\"\n\
                         [[gates]]\nname = \"no red\"\nnever_mql_when = { colour = [\"red\"] }\n",
                    ),
                ),
            ],
            t,
            1,
            &["spec.toml", "gate \"no red\"", "`colour`"],
        ),
        case(
            "a gate naming a class that does not exist",
            vec![
                data(),
                (
                    "spec.toml",
                    spec(
                        "[[columns]]\nname = \"x\"\ntransform = \"email\"\n\
                         [[gates]]\nname = \"no students\"\nnever_mql_when = { email_class = [\"student\"] }\n",
                    ),
                ),
            ],
            t,
            1,
            &["spec.toml", "\"student\" is not an email class", "education"],
        ),
        case(
            "unknown transform",
            vec![
                data(),
                (
                    "spec.toml",
                    spec("[[columns]]\nname = \"x\"\ntransform = \"magic\"\n"),
                ),
            ],
            t,
            1,
            &["spec.toml", "unknown variant `magic`"],
        ),
        case(
            "option on the wrong transform",
            vec![
                data(),
                (
                    "spec.toml",
                    spec("[[columns]]\nname = \"x\"\ntransform = \"categorical\"\nlog1p = true\n"),
                ),
            ],
            t,
            1,
            &["spec.toml", "`x`", "log1p", "categorical"],
        ),
        case(
            "wrong format_version",
            vec![
                data(),
                (
                    "spec.toml",
                    b"format_version = 9\nlabel = \"y\"\n[[columns]]\nname = \"x\"\ntransform = \"categorical\"\n"
                        .to_vec(),
                ),
            ],
            t,
            1,
            &["spec.toml", "format_version 9"],
        ),
        case(
            "spec column absent from the data",
            vec![
                data(),
                (
                    "spec.toml",
                    spec("[[columns]]\nname = \"ghost\"\ntransform = \"numeric\"\n"),
                ),
            ],
            t,
            1,
            &["data.csv", "`ghost`", "no such column"],
        ),
        case(
            "missing spec file",
            vec![data()],
            t,
            1,
            &["spec.toml"],
        ),
        case(
            "spec that is not TOML",
            vec![data(), ("spec.toml", b"this is [not toml".to_vec())],
            t,
            1,
            &["spec.toml"],
        ),
    ];
    check_cases(&cases);
}

#[test]
fn bad_usage_exits_2() {
    let cases = vec![
        case("no arguments", vec![], &[], 2, &["Usage"]),
        case(
            "unknown subcommand",
            vec![],
            &["frobnicate"],
            2,
            &["frobnicate"],
        ),
        case(
            "train without --data",
            vec![],
            &["train", "--label", "y", "--out", "m.json"],
            2,
            &["--data"],
        ),
        case(
            "train without --out",
            vec![],
            &["train", "--data", "d.csv", "--label", "y"],
            2,
            &["--out"],
        ),
        case(
            "--holdout not a number",
            vec![],
            &[
                "train",
                "--data",
                "d.csv",
                "--label",
                "y",
                "--out",
                "m.json",
                "--holdout",
                "lots",
            ],
            2,
            &["--holdout", "lots"],
        ),
        case(
            "--delimiter of two characters",
            vec![],
            &[
                "train",
                "--data",
                "d.csv",
                "--label",
                "y",
                "--out",
                "m.json",
                "--delimiter",
                ";;",
            ],
            2,
            &["--delimiter", "one character", "`\\t` or `tab`"],
        ),
        case(
            "--folds negative",
            vec![],
            &[
                "train", "--data", "d.csv", "--label", "y", "--out", "m.json", "--folds", "-1",
            ],
            2,
            &["'-1'"],
        ),
        case(
            "unknown flag",
            vec![],
            &["inspect", "--model", "m.json", "--colour"],
            2,
            &["--colour"],
        ),
        case(
            "evaluate without --model",
            vec![],
            &["evaluate", "--data", "d.csv"],
            2,
            &["--model"],
        ),
    ];
    check_cases(&cases);
}

#[test]
fn train_option_values_are_checked_before_anything_is_read_or_written() {
    // Out-of-range values exit 1 naming the flag (and create no registry folder); values
    // that do not parse exit 2, from clap.
    let t = |extra: &[&'static str]| {
        let mut a = vec![
            "train",
            "--data",
            "leads.csv",
            "--label",
            "converted",
            "--out",
            "m.json",
        ];
        a.extend_from_slice(extra);
        a
    };
    let data = || vec![("leads.csv", leads())];
    let cases = vec![
        case(
            "--landmarks not increasing",
            data(),
            &t(&["--landmarks", "0,7,3"]),
            1,
            &["--landmarks", "strictly increasing"],
        ),
        case(
            "--landmarks negative",
            data(),
            &t(&["--landmarks", "-1,2"]),
            1,
            &["--landmarks", "-1"],
        ),
        case(
            "--landmarks beyond ten years",
            data(),
            &t(&["--landmarks", "0,4000"]),
            1,
            &["--landmarks", "4000"],
        ),
        case(
            "--landmarks not numbers",
            data(),
            &t(&["--landmarks", "0,a week"]),
            2,
            &["--landmarks", "a week"],
        ),
        case(
            "--max-examples 0",
            data(),
            &t(&["--max-examples", "0"]),
            1,
            &["--max-examples"],
        ),
        case(
            "--max-examples negative",
            data(),
            &t(&["--max-examples", "-5"]),
            2,
            &["'-5'"],
        ),
        case(
            "--c-min above --c-max",
            data(),
            &t(&["--c-min", "10", "--c-max", "1"]),
            1,
            &["--c-min", "--c-max"],
        ),
        case(
            "--holdout 0 with a new registry",
            data(),
            &[
                "train",
                "--data",
                "leads.csv",
                "--label",
                "converted",
                "--registry",
                "registry",
                "--holdout",
                "0",
            ],
            1,
            &["--holdout must be in (0, 1), got 0"],
        ),
    ];
    check_cases(&cases);
}

#[test]
fn bad_model_files_fail_with_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("leads.csv"), leads()).unwrap();
    let model = train_model(dir.path(), "leads.csv", "good.json");
    let good = read_json(&model);

    let mut other_version = good.clone();
    other_version["format_version"] = Value::from(99);
    let mut edited = good.clone();
    let w = edited["model"]["features"][0]["weight"].as_f64().unwrap();
    edited["model"]["features"][0]["weight"] = Value::from(w + 0.25);
    let mut no_version = good.clone();
    no_version.as_object_mut().unwrap().remove("format_version");
    let pretty = |v: &Value| serde_json::to_vec_pretty(v).unwrap();
    let model_files = vec![
        ("notjson.json", b"model: yes\n".to_vec()),
        ("v2.json", pretty(&other_version)),
        ("edited.json", pretty(&edited)),
        ("noversion.json", pretty(&no_version)),
        ("good.json", pretty(&good)),
        ("leads.csv", leads()),
        ("nolabel.csv", b"visits,size\n1,2\n".to_vec()),
    ];

    let mut cases = Vec::new();
    for (cmd, extra) in [
        ("evaluate", &["--data", "leads.csv"][..]),
        ("inspect", &[][..]),
    ] {
        let with = |m: &'static str| {
            let mut a = vec![cmd, "--model", m];
            a.extend_from_slice(extra);
            a
        };
        cases.extend([
            case(
                "missing model file",
                model_files.clone(),
                &with("absent.json"),
                1,
                &["absent.json"],
            ),
            case(
                "model that is not JSON",
                model_files.clone(),
                &with("notjson.json"),
                1,
                &["notjson.json", "not valid JSON"],
            ),
            case(
                "model of another format_version",
                model_files.clone(),
                &with("v2.json"),
                1,
                &["v2.json", "format_version 99", "not supported"],
            ),
            case(
                "model without format_version",
                model_files.clone(),
                &with("noversion.json"),
                1,
                &["noversion.json", "format_version"],
            ),
            case(
                "model with an edited weight",
                model_files.clone(),
                &with("edited.json"),
                1,
                &["edited.json", "model_id", "edited or damaged"],
            ),
        ]);
    }
    cases.push(case(
        "evaluate on a file without the label",
        model_files.clone(),
        &["evaluate", "--model", "good.json", "--data", "nolabel.csv"],
        1,
        &["nolabel.csv", "`converted`", "no such column"],
    ));
    cases.push(case(
        "evaluate on a missing data file",
        model_files.clone(),
        &["evaluate", "--model", "good.json", "--data", "absent.csv"],
        1,
        &["absent.csv"],
    ));
    check_cases(&cases);

    // The untouched copy still loads: the cases above fail for the edits, not the rewrite.
    run_ok(dir.path(), &["inspect", "--model", "good.json"]);
}

#[test]
fn a_label_no_feature_predicts_is_refused() {
    // The same features as `leads()`, the label a coin flip of its own: the search ends at its
    // strongest penalty with an out-of-fold AUC near 0.5, and no model is written (it would
    // rank leads by noise, with weights of 1e-5). The check is a test at two standard errors,
    // so about one coin flip in forty looks like a signal (seed 29 here: AUC 0.57 on 320
    // rows); the seeds are fixed.
    let dir = tempfile::tempdir().unwrap();
    for seed in [3u64, 11] {
        let mut coin = Lcg(seed);
        let text: String = leads_csv(400, ',', "\n", false)
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let (rest, _) = line.rsplit_once(',').unwrap();
                let label = if i == 0 {
                    "converted"
                } else if coin.next() < 0.5 {
                    "1"
                } else {
                    "0"
                };
                format!("{rest},{label}\n")
            })
            .collect();
        std::fs::write(dir.path().join("coin.csv"), text).unwrap();
        let r = run(dir.path(), &train_args("coin.csv", "m.json", &[]));
        assert_eq!(r.code, Some(1), "seed {seed}: {}", r.show());
        assert!(
            r.stderr.contains("no feature predicts the label")
                && r.stderr.contains("out-of-fold ROC AUC"),
            "seed {seed}: {}",
            r.show()
        );
        assert!(!dir.path().join("m.json").exists());
    }
    // The real signal of `leads()` still trains.
    std::fs::write(dir.path().join("leads.csv"), leads()).unwrap();
    train_model(dir.path(), "leads.csv", "m.json");
}

#[test]
fn blank_and_nan_cells_read_alike_in_training_and_scoring() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // `size` (decimals) with one cell of spaces and, in a copy, one `NaN`.
    let base = String::from_utf8(leads()).unwrap();
    let with_cell = |cell: &str| {
        base.lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 5 {
                    let mut f: Vec<&str> = l.split(',').collect();
                    f[2] = cell;
                    f.join(",") + "\n"
                } else {
                    format!("{l}\n")
                }
            })
            .collect::<String>()
    };
    std::fs::write(d.join("blank.csv"), with_cell("   ")).unwrap();
    std::fs::write(d.join("nan.csv"), with_cell("NaN")).unwrap();
    // A blank cell is missing: the column stays numeric, without a warning.
    let r = run_ok(d, &init_args("blank.csv", &[]));
    let visits = r.stdout.split("name = \"size\"").nth(1).unwrap_or_default();
    assert!(
        visits.trim_start().starts_with("transform = \"numeric\""),
        "{}",
        r.show()
    );
    assert!(!r.stderr.contains("WARNING"), "{}", r.show());
    // `NaN` among numbers: a placeholder, said so.
    let r = run_ok(d, &init_args("nan.csv", &[]));
    assert!(
        r.stderr
            .contains("WARNING: column `size` holds numbers and \"NaN\""),
        "{}",
        r.show()
    );
    // In a column of few distinct numbers too (`visits`: 0 to 7), and `inf` alike.
    let few = base
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut f: Vec<&str> = l.split(',').collect();
            if i == 3 {
                f[1] = "NaN";
            } else if i == 4 {
                f[1] = "-inf";
            }
            f.join(",") + "\n"
        })
        .collect::<String>();
    std::fs::write(d.join("few.csv"), few).unwrap();
    let r = run_ok(d, &init_args("few.csv", &[]));
    assert!(
        r.stderr
            .contains("column `visits` holds numbers and \"NaN\"")
            && r.stderr.contains("\"-inf\""),
        "{}",
        r.show()
    );
    let visits = r
        .stdout
        .split("name = \"visits\"")
        .nth(1)
        .unwrap_or_default();
    assert!(
        visits.trim_start().starts_with("transform = \"numeric\""),
        "{}",
        r.show()
    );
    // A model whose spec does not call it missing refuses it, in training as in scoring.
    train_model(d, "blank.csv", "m.json");
    let r = run(d, &["evaluate", "--model", "m.json", "--data", "nan.csv"]);
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr
            .contains("row 5, column `size`: expected a finite number, found \"NaN\""),
        "{}",
        r.show()
    );
    let r = run(
        d,
        &[
            "score",
            "--model",
            "m.json",
            "--data",
            "nan.csv",
            "--id",
            "lead_id",
            "--as-of",
            "2025-01-01",
            "--target-precision",
            "0.5",
            "--out",
            "s.csv",
        ],
    );
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains("expected a finite number, found \"NaN\""),
        "{}",
        r.show()
    );
}

#[test]
fn outputs_never_overwrite_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads()).unwrap();
    let model = train_model(d, "leads.csv", "m.json");
    let (data, model_bytes) = (leads(), std::fs::read(&model).unwrap());
    std::fs::create_dir(d.join("sub")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.join("leads.csv"), d.join("link.csv")).unwrap();
    let refused = |args: &[&str], flags: [&str; 2]| {
        let r = run(d, args);
        assert_eq!(r.code, Some(1), "{args:?}: {}", r.show());
        assert!(
            r.stderr.contains(flags[0])
                && r.stderr.contains(flags[1])
                && r.stderr.contains("refusing to overwrite"),
            "{args:?}: {}",
            r.show()
        );
        assert_eq!(
            std::fs::read(d.join("leads.csv")).unwrap(),
            data,
            "{args:?}"
        );
        assert_eq!(std::fs::read(&model).unwrap(), model_bytes, "{args:?}");
    };
    refused(
        &train_args("leads.csv", "leads.csv", &[]),
        ["--out", "--data"],
    );
    refused(
        &train_args("leads.csv", "sub/../leads.csv", &[]),
        ["--out", "--data"],
    );
    #[cfg(unix)]
    refused(
        &train_args("leads.csv", "link.csv", &[]),
        ["--out", "--data"],
    );
    refused(
        &train_args("leads.csv", "m.json", &["--holdout-out", "m.json"]),
        ["--holdout-out", "--out"],
    );
    refused(
        &[
            "init",
            "--data",
            "leads.csv",
            "--label",
            "converted",
            "--out",
            "leads.csv",
        ],
        ["--out", "--data"],
    );
    refused(
        &[
            "score",
            "--model",
            "m.json",
            "--data",
            "leads.csv",
            "--id",
            "lead_id",
            "--as-of",
            "2025-01-01",
            "--target-precision",
            "0.5",
            "--out",
            "leads.csv",
        ],
        ["--out", "--data"],
    );
    refused(
        &["report", "--model", "m.json", "--out", "m.json"],
        ["--out", "--model"],
    );
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    std::fs::write(d.join("leads.csv"), leads()).unwrap();
    // Each would block (no writer) or read forever (/dev/zero) if it were opened as a file.
    let cases: [(&[&str], &str); 3] = [
        (
            &["init", "--data", "pipe.csv", "--label", "converted"],
            "FIFO",
        ),
        (&train_args("/dev/zero", "m.json", &[])[..], "a device"),
        (
            &train_args("leads.csv", "m.json", &["--spec", "pipe.csv"])[..],
            "FIFO",
        ),
    ];
    for (args, kind) in cases {
        let r = run(d, args);
        assert_eq!(r.code, Some(1), "{args:?}: {}", r.show());
        assert!(
            r.stderr.contains(kind) && r.stderr.contains("only regular files are read"),
            "{args:?}: {}",
            r.show()
        );
    }
    assert!(!d.join("m.json").exists());
}

#[test]
fn failed_training_keeps_the_previous_model() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("leads.csv"), leads()).unwrap();
    let model = train_model(dir.path(), "leads.csv", "out.json");
    let before = std::fs::read(&model).unwrap();

    // Same --out, a one-class label: the job fails and out.json is untouched.
    let mut one_class = String::from("lead_id,visits,converted\n");
    for i in 0..50 {
        one_class.push_str(&format!("L{i},{},1\n", i % 7));
    }
    std::fs::write(dir.path().join("one.csv"), one_class).unwrap();
    let r = run(dir.path(), &train_args("one.csv", "out.json", &[]));
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains("only one class") && r.stderr.contains("no model was written"),
        "{}",
        r.show()
    );
    assert_eq!(std::fs::read(&model).unwrap(), before, "out.json changed");

    // A failure late in the job (after the read and the label): a numeric spec on text.
    std::fs::write(dir.path().join("text.csv"), text_in_numbers()).unwrap();
    std::fs::write(
        dir.path().join("spec.toml"),
        spec("[[columns]]\nname = \"x\"\ntransform = \"numeric\"\n"),
    )
    .unwrap();
    let r = run(
        dir.path(),
        &[
            "train",
            "--data",
            "text.csv",
            "--spec",
            "spec.toml",
            "--out",
            "out.json",
        ],
    );
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert_eq!(std::fs::read(&model).unwrap(), before, "out.json changed");

    // No stray temp files beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.ends_with(".tmp")),
        "temp files left: {names:?}"
    );
}

#[test]
fn demo_init_train_evaluate_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = run_ok(d, &["demo-data", "--leads", "2000", "--out", "demo.csv"]);
    assert!(r.stderr.contains("2000 leads"), "{}", r.show());
    run_ok(
        d,
        &[
            "demo-data",
            "--leads",
            "1000",
            "--seed",
            "43",
            "--out",
            "fresh.csv",
        ],
    );
    run_ok(d, &init_args("demo.csv", &["--out", "spec.toml"]));
    let spec_text = std::fs::read_to_string(d.join("spec.toml")).unwrap();
    assert!(spec_text.contains("[[columns]]"), "{spec_text}");

    let mut args = vec![
        "train",
        "--data",
        "demo.csv",
        "--spec",
        "spec.toml",
        "--out",
        "models/m.json",
    ];
    args.extend_from_slice(&FAST);
    let r = run_ok(d, &args);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("solver") && l.contains(": converged")),
        "{}",
        r.show()
    );
    assert!(d.join("models/m.json").exists());

    let r = run_ok(
        d,
        &[
            "evaluate",
            "--model",
            "models/m.json",
            "--data",
            "fresh.csv",
            "--json",
        ],
    );
    let text = r.stdout.trim();
    assert_eq!(text.lines().count(), 1, "one JSON object:\n{}", r.show());
    let v: Value = serde_json::from_str(text).expect("evaluate --json prints JSON");
    assert!(v.is_object());
    let auc = v["evaluation"]["roc_auc"]
        .as_f64()
        .expect("evaluation.roc_auc");
    assert!(auc > 0.5 && auc <= 1.0, "roc_auc {auc}");

    let r = run_ok(d, &["inspect", "--model", "models/m.json"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("odds ratio"))
        .unwrap_or_else(|| panic!("no weights header:\n{}", r.show()));
    assert!(lines[header].contains("feature"), "{}", lines[header]);
    let artifact = read_json(&d.join("models/m.json"));
    let names = weights(&artifact);
    assert!(names.len() >= 3, "{names:?}");
    for (name, _) in &names {
        // A name over 60 characters is cut in the middle: its first 30 and last 29 kept.
        let n = name.chars().count();
        let shown: String = if n <= 60 {
            name.clone()
        } else {
            let head: String = name.chars().take(30).collect();
            let tail: String = name.chars().skip(n - 29).collect();
            format!("{head}…{tail}")
        };
        assert!(
            lines[header + 1..].iter().any(|l| l.contains(&shown)),
            "inspect does not list {name}:\n{}",
            r.stdout
        );
    }
    let r = run_ok(d, &["inspect", "--model", "models/m.json", "--limit", "2"]);
    let rows = r
        .stdout
        .lines()
        .skip_while(|l| !l.contains("odds ratio"))
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("weight:"))
        .count();
    assert_eq!(rows, 2, "{}", r.stdout);
}

/// The default small file with the label of some rows emptied (every 7th) or written as a
/// missing token (every 11th).
fn leads_with_open_rows() -> (String, usize) {
    let text = leads_csv(400, ',', "\n", false);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut open = 0;
    for (i, line) in lines.iter_mut().enumerate().skip(1) {
        let blank = if i % 7 == 0 {
            ""
        } else if i % 11 == 0 {
            "NA"
        } else {
            continue;
        };
        let cut = line.rfind(',').unwrap();
        line.truncate(cut + 1);
        line.push_str(blank);
        open += 1;
    }
    (lines.join("\n") + "\n", open)
}

/// A file holding leads without an outcome yet (an empty label or a missing token) trains on
/// the others: the same model as the file without those rows, a warning that counts them and
/// names the first, kept in the artifact; the holdout file and `evaluate` leave them out too.
#[test]
fn rows_without_a_label_are_left_out_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (text, open) = leads_with_open_rows();
    std::fs::write(d.join("open.csv"), &text).unwrap();
    // The same file without those rows.
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !(l.ends_with(',') || l.ends_with(",NA")))
        .collect();
    assert_eq!(kept.len(), 401 - open);
    std::fs::write(d.join("closed.csv"), kept.join("\n") + "\n").unwrap();

    let r = run_ok(
        d,
        &train_args("open.csv", "open.json", &["--holdout-out", "h.csv"]),
    );
    let warning = format!("of 400 rows, {open} have no label (first: row 7)");
    assert!(
        r.stdout.contains("WARNING") && r.stdout.contains(&warning),
        "{}",
        r.show()
    );
    run_ok(d, &train_args("closed.csv", "closed.json", &[]));
    let (a, b) = (
        read_json(&d.join("open.json")),
        read_json(&d.join("closed.json")),
    );
    assert_same_weights(&a, &b);
    let kept_warning = a["provenance"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains(&warning));
    assert!(kept_warning, "{}", a["provenance"]["warnings"]);
    assert_eq!(a["provenance"]["rows"], 400 - open as u64);
    // The holdout leads all have an outcome.
    let holdout = std::fs::read_to_string(d.join("h.csv")).unwrap();
    let open_ids: Vec<String> = text
        .lines()
        .filter(|l| l.ends_with(',') || l.ends_with(",NA"))
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert!(holdout.lines().count() > 50);
    for id in &open_ids {
        assert!(!holdout.contains(id.as_str()), "{id} in the holdout file");
    }
    // `evaluate` scores the labelled rows only, and says so.
    let open_eval = run_ok(
        d,
        &["evaluate", "--model", "open.json", "--data", "open.csv"],
    );
    assert!(open_eval.stdout.contains(&warning), "{}", open_eval.show());
    let (on_open, on_closed) = (
        evaluate_json(d, "open.json", "open.csv"),
        evaluate_json(d, "open.json", "closed.csv"),
    );
    assert_eq!(on_open["rows"], 400 - open as u64);
    assert_eq!(on_open["evaluation"], on_closed["evaluation"]);
    assert!(on_closed.get("warnings").is_none());

    // A file that marks conversions only (`1` or nothing): the empty rows did not convert.
    let marks: String = leads_csv(400, ',', "\n", false)
        .lines()
        .map(|l| match l.strip_suffix(",0") {
            Some(head) => format!("{head},\n"),
            None => format!("{l}\n"),
        })
        .collect();
    std::fs::write(d.join("marks.csv"), marks).unwrap();
    let r = run_ok(d, &train_args("marks.csv", "marks.json", &[]));
    assert!(
        r.stdout.contains("count as not converted")
            && r.stdout.contains("every other row is \"1\""),
        "{}",
        r.show()
    );
    std::fs::write(d.join("leads.csv"), leads()).unwrap();
    run_ok(d, &train_args("leads.csv", "full.json", &[]));
    assert_same_weights(
        &read_json(&d.join("marks.json")),
        &read_json(&d.join("full.json")),
    );
}

/// A label that is a lead status, as CRMs export it: Salesforce's default statuses (`Closed -
/// Converted`, `Closed - Not Converted`, and the open `Open - Not Contacted`, `Working -
/// Contacted`) need no option: the pair is read as converted / not converted and the open
/// leads are left out (the model of the file without them). `--positive` alone counts every
/// other status as not converted (the model of the 1/0 file with open leads as 0);
/// `--positive` with `--negative` leaves the others out. `evaluate` reads the model's rules.
#[test]
fn lead_statuses_train_as_their_two_class_twins() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = leads_csv(400, ',', "\n", false);
    // Every 5th lead is still open (half of them worked on), whatever its 1/0 label.
    let (mut status, mut closed, mut zeros) = (Vec::new(), Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        let (head, y) = line.rsplit_once(',').unwrap();
        if i == 0 {
            status.push(line.replace("converted", "Lead Status"));
            closed.push(line.to_string());
            zeros.push(line.to_string());
            continue;
        }
        let open = i % 5 == 0;
        let s = match (open, y) {
            (true, _) if i % 10 == 0 => "Working - Contacted",
            (true, _) => "Open - Not Contacted",
            (false, "1") => "Closed - Converted",
            _ => "Closed - Not Converted",
        };
        status.push(format!("{head},{s}"));
        zeros.push(if open {
            format!("{head},0")
        } else {
            line.to_string()
        });
        if !open {
            closed.push(line.to_string());
        }
    }
    for (name, lines) in [("status", &status), ("closed", &closed), ("zeros", &zeros)] {
        std::fs::write(d.join(format!("{name}.csv")), lines.join("\n") + "\n").unwrap();
    }
    let train = |data: &str, out: &str, extra: &[&str]| {
        let mut a = vec!["train", "--data", data, "--id", "lead_id", "--out", out];
        a.push("--label");
        a.push(if data == "status.csv" {
            "Lead Status"
        } else {
            "converted"
        });
        a.extend_from_slice(&FAST);
        a.extend_from_slice(extra);
        run_ok(d, &a)
    };
    train("closed.csv", "closed.json", &[]);
    train("zeros.csv", "zeros.json", &[]);
    let closed = read_json(&d.join("closed.json"));
    // No option: the pair and the open statuses, told.
    let r = train("status.csv", "auto.json", &[]);
    assert!(
        r.stdout.contains("\"Closed - Converted\" is read as converted")
            && r.stdout.contains("(\"Open - Not Contacted\", \"Working - Contacted\") are leads without an outcome yet"),
        "{}",
        r.show()
    );
    let auto = read_json(&d.join("auto.json"));
    assert_same_weights(&auto, &closed);
    assert_eq!(
        auto["provenance"]["positive_values"][0],
        "Closed - Converted"
    );
    assert_eq!(
        auto["provenance"]["negative_values"][0],
        "Closed - Not Converted"
    );
    assert_eq!(auto["provenance"]["rows"], closed["provenance"]["rows"]);
    // Named, both ways.
    let r = train(
        "status.csv",
        "all.json",
        &["--positive", "closed - converted"],
    );
    assert!(
        r.stdout
            .contains("as not converted: \"Closed - Not Converted\" (119 rows)"),
        "{}",
        r.show()
    );
    assert_same_weights(
        &read_json(&d.join("all.json")),
        &read_json(&d.join("zeros.json")),
    );
    train(
        "status.csv",
        "named.json",
        &[
            "--positive",
            "Closed - Converted",
            "--negative",
            "Closed - Not Converted",
        ],
    );
    assert_same_weights(&read_json(&d.join("named.json")), &closed);
    // `evaluate` reads the statuses by the model's rules: the closed leads' metrics.
    let on_status = run_ok(
        d,
        &[
            "evaluate",
            "--model",
            "auto.json",
            "--data",
            "status.csv",
            "--json",
        ],
    );
    let on_status: Value = serde_json::from_str(&on_status.stdout).unwrap();
    let on_closed = run_ok(
        d,
        &[
            "evaluate",
            "--model",
            "auto.json",
            "--data",
            "closed.csv",
            "--label",
            "converted",
            "--positive",
            "1",
            "--negative",
            "0",
            "--json",
        ],
    );
    let on_closed: Value = serde_json::from_str(&on_closed.stdout).unwrap();
    assert_eq!(on_status["evaluation"], on_closed["evaluation"]);
    assert_eq!(on_status["rows"], closed["provenance"]["rows"]);
    // Without --positive, statuses with no pair are refused, saying how to name them.
    let other: String = status
        .join("\n")
        .replace("Closed - Not Converted", "Closed - Lost")
        + "\n";
    std::fs::write(d.join("other.csv"), other).unwrap();
    let r = run(
        d,
        &train_args("other.csv", "x.json", &[])
            .iter()
            .map(|a| if *a == "converted" { "Lead Status" } else { a })
            .collect::<Vec<_>>(),
    );
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains("exactly two classes, found 4") && r.stderr.contains("--negative"),
        "{}",
        r.show()
    );
}

/// A file that writes numbers with a decimal comma (`52,3`, `;`-separated, as European
/// spreadsheets export) trains the model of the same file with decimal points, and `score` and
/// `evaluate` read it as they read that one.
#[test]
fn decimal_commas_train_score_and_evaluate_like_decimal_points() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // One size in five with three decimals (`52.325`): a number a decimal-comma reader would
    // take for thousands if it were ever written back with a point and read again.
    let points = edit_rows(&leads_csv(400, ';', "\n", false), ';', |i, cells| {
        if i % 5 == 1 && !cells[2].is_empty() {
            cells[2] = format!("{:.3}", cells[2].parse::<f64>().unwrap() + 0.025);
        }
    });
    let three_decimals = |c: &str| c.split_once('.').is_some_and(|(_, f)| f.len() == 3);
    assert!(points
        .lines()
        .skip(1)
        .any(|l| l.split(';').nth(2).is_some_and(three_decimals)));
    std::fs::write(d.join("points.csv"), &points).unwrap();
    std::fs::write(d.join("commas.csv"), points.replace('.', ",")).unwrap();
    let r = run_ok(d, &train_args("commas.csv", "commas.json", &[]));
    assert!(
        r.stdout.contains("decimal comma") && r.stdout.contains("`size`"),
        "{}",
        r.show()
    );
    run_ok(d, &train_args("points.csv", "points.json", &[]));
    let (c, p) = (
        read_json(&d.join("commas.json")),
        read_json(&d.join("points.json")),
    );
    assert_same_weights(&c, &p);
    assert_eq!(c["spec"]["decimal_comma"], true);
    assert!(
        p["spec"].get("decimal_comma").is_none(),
        "absent when false"
    );
    // `init` writes it into the spec; a spec without it reads `52,3` as no number.
    run_ok(d, &init_args("commas.csv", &["--out", "spec.toml"]));
    let spec = std::fs::read_to_string(d.join("spec.toml")).unwrap();
    assert!(spec.contains("\ndecimal_comma = true\n"), "{spec}");
    std::fs::write(
        d.join("plain.toml"),
        spec.replace("\ndecimal_comma = true\n", "\n"),
    )
    .unwrap();
    let r = run(
        d,
        &train_args("commas.csv", "plain.json", &["--spec", "plain.toml"]),
    );
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains("`size`") && r.stderr.contains("expected a number"),
        "{}",
        r.show()
    );
    // `score` reads each cell as a client would send it, the comma file as the point file.
    let (on_commas, on_points) = (
        score_file(d, "commas.json", "commas.csv", "c.csv").1,
        score_file(d, "points.json", "points.csv", "p.csv").1,
    );
    assert_eq!(on_commas.lines().count(), 401);
    // The scores and factor texts agree (`size = 52.3`, the number shown the same way); only
    // the model id (of another data file) differs.
    let (c_id, p_id) = (
        c["model_id"].as_str().unwrap(),
        p["model_id"].as_str().unwrap(),
    );
    assert!(on_commas.contains(c_id) && on_commas.contains("size = "));
    for (a, b) in on_commas.lines().zip(on_points.lines()) {
        assert_eq!(a.replace(c_id, p_id), b);
    }
    // So do the holdout's factor texts with the spec: polars reads `52,3` as 52.3 when the
    // spec says decimal comma, which was once written back as `52.3` and read again with a
    // decimal comma, as 523.
    run_ok(
        d,
        &train_args(
            "commas.csv",
            "cs.json",
            &["--spec", "spec.toml", "--holdout-out", "ch.csv"],
        ),
    );
    run_ok(
        d,
        &train_args(
            "points.csv",
            "ps.json",
            &["--spec", "plain.toml", "--holdout-out", "ph.csv"],
        ),
    );
    let id = |m: &str| {
        read_json(&d.join(m))["model_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (ch, ph) = (
        std::fs::read_to_string(d.join("ch.csv")).unwrap(),
        std::fs::read_to_string(d.join("ph.csv")).unwrap(),
    );
    assert!(ph.contains("size = "), "{ph}");
    assert_eq!(ch.replace(&id("cs.json"), &id("ps.json")), ph);
    assert_eq!(
        evaluate_json(d, "commas.json", "commas.csv")["evaluation"],
        evaluate_json(d, "points.json", "points.csv")["evaluation"]
    );
}

/// A comma-separated file that writes thousands with a dot and no currency (`5.230` beside
/// `950`, which polars types as floats, 5.23): `init` warns, naming the column, and with the
/// spec's `decimal_comma = true` training, `score` and `evaluate` read `5.230` as 5230, as
/// they read the same file written without the dots.
#[test]
fn thousands_dots_in_a_comma_file_are_read_as_thousands_with_decimal_comma() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // `size` in hundredths: whole numbers from 500 to 10,000.
    let plain = edit_rows(&leads_csv(400, ',', "\n", false), ',', |i, cells| {
        if i > 0 && !cells[2].is_empty() {
            cells[2] = format!("{:.0}", cells[2].parse::<f64>().unwrap() * 100.0);
        }
    });
    let dotted = edit_rows(&plain, ',', |i, cells| {
        let n = &cells[2];
        if i > 0 && n.len() > 3 {
            cells[2] = format!("{}.{}", &n[..n.len() - 3], &n[n.len() - 3..]);
        }
    });
    let dotted_cells = dotted
        .lines()
        .filter(|l| l.split(',').nth(2).is_some_and(|c| c.contains('.')))
        .count();
    assert!(dotted_cells > 300, "{dotted_cells}");
    std::fs::write(d.join("plain.csv"), &plain).unwrap();
    std::fs::write(d.join("dotted.csv"), &dotted).unwrap();
    let r = run_ok(d, &init_args("dotted.csv", &["--out", "dotted.toml"]));
    assert!(
        r.stderr.contains("WARNING: column `size`")
            && r.stderr.contains("as thousands are written")
            && r.stderr.contains("decimal_comma = true"),
        "{}",
        r.show()
    );
    let spec = std::fs::read_to_string(d.join("dotted.toml")).unwrap();
    assert!(!spec.contains("decimal_comma"), "{spec}");
    std::fs::write(
        d.join("thousands.toml"),
        format!("decimal_comma = true\n{spec}"),
    )
    .unwrap();
    std::fs::write(d.join("points.toml"), &spec).unwrap();
    run_ok(
        d,
        &train_args("dotted.csv", "dotted.json", &["--spec", "thousands.toml"]),
    );
    run_ok(
        d,
        &train_args("plain.csv", "plain.json", &["--spec", "points.toml"]),
    );
    let (t, p) = (
        read_json(&d.join("dotted.json")),
        read_json(&d.join("plain.json")),
    );
    assert_same_weights(&t, &p);
    let size = |m: &Value| {
        m["spec"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "size")
            .unwrap()["transform"]["range"]
            .clone()
    };
    assert_eq!(size(&t), size(&p));
    assert!(size(&t)[1].as_f64().unwrap() > 5000.0, "{}", size(&t));
    let score_column = |written: &str| -> Vec<String> {
        written
            .lines()
            .map(|l| l.split(',').nth(1).unwrap_or_default().to_string())
            .collect()
    };
    let (on_dotted, on_plain) = (
        score_file(d, "dotted.json", "dotted.csv", "t.csv").1,
        score_file(d, "plain.json", "plain.csv", "p.csv").1,
    );
    assert_eq!(on_dotted.lines().count(), 401);
    assert_eq!(score_column(&on_dotted), score_column(&on_plain));
    assert_eq!(
        evaluate_json(d, "dotted.json", "dotted.csv")["evaluation"],
        evaluate_json(d, "plain.json", "plain.csv")["evaluation"]
    );
}

/// A label training would refuse (`Ja`/`Nein`: no value is converted) is said by `init`,
/// with training's reason and the way out; with `--positive Ja` it is not.
#[test]
fn init_says_when_train_will_refuse_the_label() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = edit_rows(&leads_csv(300, ',', "\n", false), ',', |i, cells| {
        if i > 0 {
            let last = cells.len() - 1;
            cells[last] = if cells[last] == "1" { "Ja" } else { "Nein" }.to_string();
        }
    });
    std::fs::write(d.join("leads.csv"), csv).unwrap();
    let r = run_ok(d, &init_args("leads.csv", &["--out", "spec.toml"]));
    assert!(
        r.stderr
            .contains("WARNING: `train` will refuse this label as it stands")
            && r.stderr.contains("--positive"),
        "{}",
        r.show()
    );
    let r = run_ok(
        d,
        &init_args("leads.csv", &["--out", "spec2.toml", "--positive", "Ja"]),
    );
    assert!(!r.stderr.contains("will refuse"), "{}", r.show());
    run_ok(
        d,
        &train_args("leads.csv", "m.json", &["--spec", "spec2.toml"]),
    );
}

/// A reader of stderr that went away (`2>&1 >/dev/null | head -0`) loses the lines, not the
/// run: `eprintln!` panicked on the broken pipe (exit 101) after the spec was written.
#[test]
fn a_closed_stderr_pipe_is_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads_csv(300, ',', "\n", false)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore-train"))
        .args(init_args("leads.csv", &["--out", "spec.toml"]))
        .current_dir(d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before the program writes its first line.
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(d.join("spec.toml").exists());
}

/// The demo export's first `leads` leads (leads, events, outcomes), each time rewritten by `f`.
fn demo_tables(leads: usize, f: impl Fn(&str) -> String) -> [String; 3] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo");
    let table = |name: &str| std::fs::read_to_string(root.join(name)).unwrap();
    let kept: std::collections::HashSet<String> = (1..=leads).map(|i| format!("L{i:06}")).collect();
    ["leads.csv", "events.csv", "outcomes.csv"].map(|name| {
        let text = table(name);
        let mut lines = text.lines();
        let mut out = format!("{}\n", lines.next().unwrap());
        for line in lines.filter(|l| kept.contains(l.split(',').next().unwrap())) {
            let cells: Vec<String> = line.split(',').map(&f).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    })
}

/// A date column of the leads table exported after the moments its examples are scored at
/// (`last_contacted`, written at the export: after nearly every landmark; `sales_contacted`,
/// hours after creation, which a day's slack counted as known at creation) leaks what
/// happened later: training leaves it out and says why; a date before the moments
/// (`first_touch`, a day before creation) is a feature as any.
#[test]
fn a_date_column_exported_after_the_examples_moments_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [leads, events, outcomes] = demo_tables(1500, str::to_string);
    let mut lines = leads.lines();
    let mut with_dates = format!(
        "{},last_contacted,first_touch,sales_contacted\n",
        lines.next().unwrap()
    );
    for line in lines {
        let created = line.split(',').nth(1).unwrap();
        let day: String = created.chars().take(10).collect();
        let t = leadscore_core::value::parse_timestamp(created).unwrap() + 6 * 3_600;
        let sales = leadscore_core::value::rfc3339(t);
        with_dates.push_str(&format!(
            "{line},2025-12-30 10:00:00,{day} 00:00:00,{sales}\n"
        ));
    }
    std::fs::write(d.join("leads.csv"), with_dates).unwrap();
    std::fs::write(d.join("events.csv"), events).unwrap();
    std::fs::write(d.join("outcomes.csv"), outcomes).unwrap();
    let spec = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/spec.toml"),
    )
    .unwrap();
    std::fs::write(
        d.join("spec.toml"),
        format!(
            "{spec}\n[[columns]]\nname = \"last_contacted\"\ntransform = \"timestamp\"\n\n\
             [[columns]]\nname = \"first_touch\"\ntransform = \"timestamp\"\n\n\
             [[columns]]\nname = \"sales_contacted\"\ntransform = \"timestamp\"\n"
        ),
    )
    .unwrap();
    let mut args = vec![
        "train",
        "--data",
        "leads.csv",
        "--events",
        "events.csv",
        "--outcomes",
        "outcomes.csv",
        "--spec",
        "spec.toml",
        "--out",
        "m.json",
    ];
    args.extend(FAST);
    let r = run_ok(d, &args);
    let out = r.show();
    assert!(
        out.contains("column `last_contacted` left out: in ")
            && out.contains("its date lies after the example's scoring time"),
        "{out}"
    );
    assert!(
        out.contains("column `sales_contacted` left out: in "),
        "{out}"
    );
    assert!(!out.contains("column `first_touch`"), "{out}");
    let model = read_json(&d.join("m.json"));
    let names: Vec<&str> = model["spec"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"first_touch"), "{names:?}");
    assert!(!names.contains(&"last_contacted"), "{names:?}");
    assert!(
        model["provenance"]["warnings"]
            .to_string()
            .contains("last_contacted"),
        "{}",
        model["provenance"]["warnings"]
    );
}

/// A flat file whose `next_followup` dates run past every other date column's (planned ahead)
/// makes the file's "now" later than the export: training says so, naming the column.
#[test]
fn a_flat_date_column_planned_ahead_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv: String = leads_csv(400, ',', "\n", false)
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("{line},signup,next_followup\n"),
            i => format!(
                "{line},2025-{:02}-{:02},2026-01-{:02}\n",
                1 + i % 12,
                1 + i % 28,
                1 + i % 30
            ),
        })
        .collect();
    std::fs::write(d.join("leads.csv"), csv).unwrap();
    let r = run_ok(d, &train_args("leads.csv", "m.json", &[]));
    assert!(
        r.show().contains(
            "column `next_followup` has dates up to 33 days after every other date column's \
             latest (2025-12-28T00:00:00Z)"
        ),
        "{}",
        r.show()
    );
    // With the export time given: no warning, dates measured from it, and the follow-ups
    // after it missing (as the server reads them when scoring at the export time).
    let r = run_ok(
        d,
        &train_args("leads.csv", "m2.json", &["--as-of", "2025-12-28"]),
    );
    assert!(!r.show().contains("has dates up to"), "{}", r.show());
    let model = read_json(&d.join("m2.json"));
    assert_eq!(
        model["spec"]["reference_time"],
        serde_json::json!(1_766_880_000),
        "{}",
        model["spec"]
    );
    let followup = transform_of(&model, "next_followup");
    assert_eq!(followup["missing_indicator"], true, "{followup}");
    // The same moment as Unix seconds or milliseconds, as `evaluate --as-of` takes it.
    for unix in ["1766880000", "1766880000000"] {
        run_ok(d, &train_args("leads.csv", "m4.json", &["--as-of", unix]));
        let unix_model = read_json(&d.join("m4.json"));
        assert_eq!(unix_model["weights"], model["weights"], "{unix}");
        assert_eq!(unix_model["spec"], model["spec"], "{unix}");
    }
    // Not with the three tables, where each example has its own moment.
    let r = run(
        d,
        &train_args(
            "leads.csv",
            "m3.json",
            &["--as-of", "2025-12-28", "--events", "leads.csv"],
        ),
    );
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains("--as-of is a flat file's export time"),
        "{}",
        r.show()
    );
    // One date column, or dates that end together: nothing to say.
    std::fs::write(d.join("one.csv"), with_signup_only()).unwrap();
    let r = run_ok(d, &train_args("one.csv", "m1.json", &[]));
    assert!(!r.show().contains("has dates up to"), "{}", r.show());
}

fn with_signup_only() -> String {
    leads_csv(400, ',', "\n", false)
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("{line},signup\n"),
            i => format!("{line},2025-{:02}-{:02}\n", 1 + i % 12, 1 + i % 28),
        })
        .collect()
}

/// A three-table export that writes its times as a US (`1/20/2025 7:01:43 AM`) or a European
/// (`20.01.2025 07:01:43`) spreadsheet does: `init` finds the order from the days above 12,
/// writes `date_order` into the spec and warns; with it, training, `evaluate` and `score` read
/// the three files as their ISO twins (the same model, metrics and scores); without it,
/// training fails naming the cell and the setting.
#[test]
fn dates_with_the_year_last_train_score_and_evaluate_like_iso() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rewrite = |format: &'static str| {
        move |cell: &str| match chrono::NaiveDateTime::parse_from_str(cell, "%Y-%m-%d %H:%M:%S") {
            Ok(t) => t.format(format).to_string(),
            Err(_) => cell.to_string(),
        }
    };
    let spec = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/spec.toml"),
    )
    .unwrap();
    for (name, tables, order) in [
        ("iso", demo_tables(1500, str::to_string), None),
        (
            "us",
            demo_tables(1500, rewrite("%-m/%-d/%Y %-I:%M:%S %p")),
            Some("mdy"),
        ),
        (
            "eu",
            demo_tables(1500, rewrite("%d.%m.%Y %H:%M:%S")),
            Some("dmy"),
        ),
    ] {
        for (table, text) in ["leads", "events", "outcomes"].iter().zip(&tables) {
            std::fs::write(d.join(format!("{name}-{table}.csv")), text).unwrap();
        }
        let setting = order.map_or(String::new(), |o| format!("date_order = \"{o}\"\n"));
        std::fs::write(d.join(format!("{name}.toml")), format!("{setting}{spec}")).unwrap();
    }
    let us_leads = std::fs::read_to_string(d.join("us-leads.csv")).unwrap();
    assert!(
        us_leads.contains(",1/13/2025 7:16:14 AM,"),
        "{}",
        &us_leads[..300]
    );
    // `init` reads the order from the data.
    for (name, order, first) in [("us", "mdy", "month first"), ("eu", "dmy", "day first")] {
        let leads = format!("{name}-leads.csv");
        let out = format!("{name}-init.toml");
        let r = run_ok(
            d,
            &["init", "--data", &leads, "--id", "lead_id", "--out", &out],
        );
        assert!(
            r.stderr
                .contains(&format!("dates are written {first} (column `created_at`")),
            "{}",
            r.show()
        );
        let inferred = std::fs::read_to_string(d.join(&out)).unwrap();
        assert!(
            inferred.contains(&format!("\ndate_order = \"{order}\"\n")),
            "{inferred}"
        );
        assert!(
            inferred.contains("name = \"created_at\"\ntransform = \"timestamp\""),
            "{inferred}"
        );
    }
    let files = |name: &str| {
        [
            "--data",
            &format!("{name}-leads.csv"),
            "--events",
            &format!("{name}-events.csv"),
            "--outcomes",
            &format!("{name}-outcomes.csv"),
        ]
        .map(str::to_string)
    };
    let train = |name: &str, spec: &str| {
        let out = format!("{name}.json");
        let mut args: Vec<String> = ["train", "--spec", spec, "--out", &out]
            .map(str::to_string)
            .to_vec();
        args.extend(files(name));
        args.extend(FAST.map(str::to_string));
        run(d, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let with = |args: &[&str], name: &str| -> Vec<String> {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.extend(files(name));
        a
    };
    let mut models = Vec::new();
    for name in ["iso", "us", "eu"] {
        let r = train(name, &format!("{name}.toml"));
        assert_eq!(r.code, Some(0), "{}", r.show());
        let model = read_json(&d.join(format!("{name}.json")));
        let evaluation = run_ok(
            d,
            &with(
                &["evaluate", "--model", &format!("{name}.json"), "--json"],
                name,
            )
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        );
        let evaluation: Value = serde_json::from_str(&evaluation.stdout).unwrap();
        let scores = format!("{name}-scores.csv");
        let mut score_args = with(
            &[
                "score",
                "--model",
                &format!("{name}.json"),
                "--out",
                &scores,
                "--target-precision",
                "0.5",
                "--as-of",
                "2025-03-01T12:00:00Z",
            ],
            name,
        );
        score_args.retain(|a| a != "--outcomes" && !a.ends_with("-outcomes.csv"));
        run_ok(
            d,
            &score_args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let scores = std::fs::read_to_string(d.join(&scores)).unwrap();
        models.push((model, evaluation, scores));
    }
    let (iso, iso_eval, iso_scores) = &models[0];
    assert!(iso["spec"].get("date_order").is_none(), "absent when ISO");
    let iso_id = iso["model_id"].as_str().unwrap();
    for ((model, evaluation, scores), order) in models[1..].iter().zip(["mdy", "dmy"]) {
        assert_eq!(model["spec"]["date_order"], order);
        assert_same_weights(model, iso);
        assert_eq!(evaluation["evaluation"], iso_eval["evaluation"]);
        assert_eq!(evaluation["point_in_time"], iso_eval["point_in_time"]);
        assert!(scores.lines().count() > 500, "the leads created by as_of");
        let id = model["model_id"].as_str().unwrap();
        assert_eq!(scores.replace(id, iso_id), *iso_scores);
    }
    // Without the setting, the first US time fails, named with the setting that reads it.
    let r = train("us", "iso.toml");
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr
            .contains("us-leads.csv: row 1, column `created_at`")
            && r.stderr.contains("date_order = \"mdy\" or \"dmy\"")
            && r.stderr.contains("found \"1/1/2025 9:20:07 AM\""),
        "{}",
        r.show()
    );
}

/// Lead ids written as zero-padded numbers (`0000123`) name the same leads in the leads, events
/// and outcomes files: the model of the same export with text ids (not one trained without a
/// single event, as when the leads' ids were read as numbers, `123`), the ids kept as written
/// in the holdout file, and a warning when a fifth of the events or more name no lead.
#[test]
fn zero_padded_ids_join_the_three_tables() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let numeric = |cell: &str| match cell.strip_prefix('L') {
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => format!("0{digits}"),
        _ => cell.to_string(),
    };
    let names = ["leads", "events", "outcomes"];
    for (prefix, tables) in [
        ("text", demo_tables(1500, str::to_string)),
        ("num", demo_tables(1500, numeric)),
    ] {
        for (table, text) in names.iter().zip(&tables) {
            std::fs::write(d.join(format!("{prefix}-{table}.csv")), text).unwrap();
        }
    }
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/spec.toml");
    let spec = spec.to_str().unwrap();
    let train = |prefix: &str, events: &str| {
        let (leads, outcomes, out, holdout) = (
            format!("{prefix}-leads.csv"),
            format!("{prefix}-outcomes.csv"),
            format!("{prefix}.json"),
            format!("{prefix}-holdout.csv"),
        );
        let mut args = vec![
            "train",
            "--data",
            &leads,
            "--events",
            events,
            "--outcomes",
            &outcomes,
            "--spec",
            spec,
            "--out",
            &out,
            "--holdout-out",
            &holdout,
        ];
        args.extend_from_slice(&FAST);
        run_ok(d, &args)
    };
    train("text", "text-events.csv");
    let r = train("num", "num-events.csv");
    assert!(!r.stdout.contains("name a lead id"), "{}", r.show());
    assert_same_weights(
        &read_json(&d.join("num.json")),
        &read_json(&d.join("text.json")),
    );
    let holdout = std::fs::read_to_string(d.join("num-holdout.csv")).unwrap();
    assert!(
        holdout.lines().nth(1).unwrap().starts_with("000"),
        "{holdout:.300}"
    );
    // The events of another export (ids written `L000123`): told, not silently unused.
    let r = train("num", "text-events.csv");
    assert!(
        r.stdout.contains("of the ")
            && r.stdout
                .contains("events name a lead id that is not in num-leads.csv"),
        "{}",
        r.show()
    );
    // A third of them written the other way (a join that failed for some ids): told too.
    let text = std::fs::read_to_string(d.join("text-events.csv")).unwrap();
    let num = std::fs::read_to_string(d.join("num-events.csv")).unwrap();
    let mixed: String = num
        .lines()
        .zip(text.lines())
        .enumerate()
        .map(|(i, (n, t))| format!("{}\n", if i > 0 && i % 3 == 0 { t } else { n }))
        .collect();
    std::fs::write(d.join("mixed-events.csv"), mixed).unwrap();
    let r = train("num", "mixed-events.csv");
    assert!(
        r.stdout
            .contains("events name a lead id that is not in num-leads.csv"),
        "{}",
        r.show()
    );
}

/// A CSV saved by a spreadsheet on Windows (Windows-1252: `é` one byte, `€` 0x80) is read as
/// such: the model of its UTF-8 twin, with a warning that names the first byte that is not
/// UTF-8, from `init`, `train` (kept in the model), `evaluate` and `score`.
#[test]
fn windows_1252_files_read_as_their_utf8_twins() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let utf8 = leads_csv(400, ',', "\n", false)
        .replace("referral", "référence")
        .replace("event", "salon €");
    let cp1252: Vec<u8> = utf8
        .chars()
        .map(|c| match c {
            'é' => 0xE9,
            '€' => 0x80,
            c => u8::try_from(c).expect("ASCII"),
        })
        .collect();
    let first = cp1252.iter().position(|b| *b >= 0x80).unwrap() + 1;
    std::fs::write(d.join("utf8.csv"), &utf8).unwrap();
    std::fs::write(d.join("cp1252.csv"), &cp1252).unwrap();
    let note =
        format!("cp1252.csv is not UTF-8 (byte {first} is not), so it was read as Windows-1252");
    let r = run_ok(d, &train_args("cp1252.csv", "cp1252.json", &[]));
    assert!(r.stdout.contains(&note), "{}", r.show());
    run_ok(d, &train_args("utf8.csv", "utf8.json", &[]));
    let (a, b) = (
        read_json(&d.join("cp1252.json")),
        read_json(&d.join("utf8.json")),
    );
    assert_same_weights(&a, &b);
    let names: Vec<String> = weights(&a).into_iter().map(|w| w.0).collect();
    assert!(
        names.iter().any(|n| n.contains("référence"))
            && names.iter().any(|n| n.contains("salon €")),
        "{names:?}"
    );
    let kept = a["provenance"]["warnings"].as_array().unwrap();
    assert!(
        kept.iter().any(|w| w.as_str().unwrap().contains(&note)),
        "{kept:?}"
    );
    let r = run_ok(d, &["init", "--data", "cp1252.csv", "--label", "converted"]);
    assert!(r.stderr.contains(&note), "{}", r.show());
    let r = run_ok(
        d,
        &["evaluate", "--model", "utf8.json", "--data", "cp1252.csv"],
    );
    assert!(r.stdout.contains(&note), "{}", r.show());
    let (r, _) = score_file(d, "utf8.json", "cp1252.csv", "s.csv");
    assert!(
        r.stdout.contains(&note) || r.stderr.contains(&note),
        "{}",
        r.show()
    );
}

/// A column of numbers where the export writes `?` for no value (or `-`, `unknown`) stays a
/// numeric column: `?` is read as missing (added to the spec's missing tokens, with a warning),
/// so the file trains the model of the one with empty cells there, and `score` reads a lead's
/// `?` as missing too. Before, such a column became levels (every number its own).
#[test]
fn a_placeholder_among_numbers_is_read_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let empty = leads_csv(400, ',', "\n", false);
    // `size` is the third field; its missing cells are empty.
    let question: String = empty
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let size = if f[2].is_empty() { "?" } else { f[2] };
            format!("{},{},{size},{}\n", f[0], f[1], f[3..].join(","))
        })
        .collect();
    assert!(question.contains(",?,"));
    std::fs::write(d.join("empty.csv"), &empty).unwrap();
    std::fs::write(d.join("question.csv"), &question).unwrap();
    let r = run_ok(d, &train_args("question.csv", "question.json", &[]));
    assert!(
        r.stdout.contains("column `size` holds numbers and \"?\"") && r.stdout.contains("missing"),
        "{}",
        r.show()
    );
    run_ok(d, &train_args("empty.csv", "empty.json", &[]));
    let (q, e) = (
        read_json(&d.join("question.json")),
        read_json(&d.join("empty.json")),
    );
    assert_same_weights(&q, &e);
    assert!(q["spec"]["missing_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "?"));
    // `score` (a lead's cells as a client sends them) reads `?` as it reads an empty cell.
    assert_eq!(
        score_file(d, "question.json", "question.csv", "q.csv").1,
        score_file(d, "question.json", "empty.csv", "e.csv").1
    );
}

/// A label whose two values are a word and its negation (`Converted` / `Not converted`, `Closed
/// Won` / `Closed Lost`) needs no `--positive`: the word is read as converted, with a warning,
/// and the model is the one of the same file labelled 1 / 0; `evaluate` reads it so too.
#[test]
fn a_negated_label_needs_no_positive() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ones = leads_csv(400, ',', "\n", false);
    std::fs::write(d.join("ones.csv"), &ones).unwrap();
    run_ok(d, &train_args("ones.csv", "ones.json", &[]));
    for (yes, no) in [
        ("Converted", "Not converted"),
        ("Closed Won", "Closed Lost"),
    ] {
        let words: String = ones
            .lines()
            .map(|l| match (l.strip_suffix(",1"), l.strip_suffix(",0")) {
                (Some(head), _) => format!("{head},{yes}\n"),
                (_, Some(head)) => format!("{head},{no}\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        std::fs::write(d.join("words.csv"), &words).unwrap();
        let r = run_ok(d, &train_args("words.csv", "words.json", &[]));
        assert!(
            r.stdout.contains(&format!("{yes:?} is read as converted")),
            "{}",
            r.show()
        );
        let w = read_json(&d.join("words.json"));
        assert_eq!(w["provenance"]["positive_values"], serde_json::json!([yes]));
        assert_same_weights(&w, &read_json(&d.join("ones.json")));
        assert_eq!(
            evaluate_json(d, "words.json", "words.csv")["evaluation"],
            evaluate_json(d, "ones.json", "ones.csv")["evaluation"]
        );
    }
}

#[test]
fn semicolon_crlf_trains_like_comma() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("comma.csv"), leads_csv(400, ',', "\n", false)).unwrap();
    std::fs::write(d.join("semi.csv"), leads_csv(400, ';', "\r\n", true)).unwrap();
    let a = train_model(d, "comma.csv", "a.json");
    let b = train_model(d, "semi.csv", "b.json");
    assert_same_weights(&read_json(&a), &read_json(&b));
    // Same with the delimiter given rather than detected.
    let r = run_ok(d, &train_args("semi.csv", "c.json", &["--delimiter", ";"]));
    assert!(r.stdout.contains("wrote"));
    assert_same_weights(&read_json(&a), &read_json(&d.join("c.json")));
}

/// A header with spaces around its names (`"lead_id ", " source"`, as a hand-edited export has)
/// trains the model of the clean file, named the same (`--label converted`, `--id lead_id`),
/// with a warning that says so; the ids keep their zeros.
#[test]
fn spaced_header_names_train_like_clean_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clean = leads_csv(400, ',', "\n", false).replace("\nL", "\n0");
    let (head, rows) = clean.split_once('\n').unwrap();
    let spaced: Vec<String> = head.split(',').map(|n| format!(" {n} ")).collect();
    std::fs::write(d.join("clean.csv"), &clean).unwrap();
    std::fs::write(
        d.join("spaced.csv"),
        format!("{}\n{rows}", spaced.join(",")),
    )
    .unwrap();
    let a = train_model(d, "clean.csv", "a.json");
    let r = run_ok(
        d,
        &train_args("spaced.csv", "b.json", &["--holdout-out", "h.csv"]),
    );
    assert!(
        r.stdout.contains("read trimmed: ` lead_id ` as `lead_id`"),
        "{}",
        r.show()
    );
    let (a, b) = (read_json(&a), read_json(&d.join("b.json")));
    assert_same_weights(&a, &b);
    let holdout = std::fs::read_to_string(d.join("h.csv")).unwrap();
    assert!(
        holdout.lines().nth(1).unwrap().starts_with("000"),
        "{holdout}"
    );
}

#[test]
fn parquet_trains_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads()).unwrap();
    parquet_twin(d, "leads.parquet", |_| {});

    let a = train_model(d, "leads.csv", "csv.json");
    let b = train_model(d, "leads.parquet", "pq.json");
    let (a, b) = (read_json(&a), read_json(&b));
    assert_same_weights(&a, &b);
    assert_eq!(
        a["provenance"]["rows"], b["provenance"]["rows"],
        "rows read"
    );
    // A damaged Parquet file is a named error, not a panic.
    let mut bytes = std::fs::read(d.join("leads.parquet")).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(d.join("broken.parquet"), bytes).unwrap();
    let r = run(d, &train_args("broken.parquet", "broken.json", &[]));
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains("broken.parquet") && r.stderr.contains("Parquet"),
        "{}",
        r.show()
    );
    assert!(!d.join("broken.json").exists());
}

/// A spec whose missing tokens include a number (`-1`, a CRM's "unknown"): the CSV cell `-1`
/// is missing in training (it was a number there: the file is read before the spec's tokens
/// are known) and so is -1 in a Parquet column of numbers (as the server reads a JSON -1), so
/// the two files train the same model, with `visits is missing`.
#[test]
fn a_numeric_missing_token_is_missing_in_csv_and_parquet_alike() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // One lead in seven has `visits` -1.
    let text = edit_rows(&leads_csv(400, ',', "\n", false), ',', |i, cells| {
        if i % 7 == 3 {
            cells[1] = "-1".into();
        }
    });
    std::fs::write(d.join("leads.csv"), &text).unwrap();
    run_ok(d, &init_args("leads.csv", &["--out", "spec.toml"]));
    let spec = std::fs::read_to_string(d.join("spec.toml")).unwrap();
    assert!(spec.contains("missing_tokens = ["), "{spec}");
    let spec = spec.replacen("missing_tokens = [", "missing_tokens = [\"-1\", ", 1);
    std::fs::write(d.join("spec.toml"), &spec).unwrap();
    // The Parquet twin, its `visits` numbers (-1 included) as the CSV reader reads them
    // without tokens.
    parquet_twin(d, "leads.parquet", |df| {
        assert!(df.column("visits").unwrap().dtype().is_primitive_numeric());
    });

    let spec_args = ["--spec", "spec.toml"];
    run_ok(d, &train_args("leads.csv", "csv.json", &spec_args));
    run_ok(d, &train_args("leads.parquet", "pq.json", &spec_args));
    let (a, b) = (
        read_json(&d.join("csv.json")),
        read_json(&d.join("pq.json")),
    );
    assert_same_weights(&a, &b);
    let visits = transform_of(&a, "visits");
    assert_eq!(visits["missing_indicator"], true, "{visits}");
    assert_eq!(
        visits["range"][0], 0.0,
        "-1 is missing, not the smallest visit count"
    );
    // `evaluate` reads the CSV with the model's tokens (the reader nulls `-1`) and the Parquet
    // file's -1 as missing too: the same metrics, both ways.
    let on_csv = evaluate_json(d, "csv.json", "leads.csv")["evaluation"].clone();
    assert!(on_csv["roc_auc"].as_f64().unwrap() > 0.5, "{on_csv}");
    assert_eq!(
        evaluate_json(d, "pq.json", "leads.parquet")["evaluation"],
        on_csv
    );
}

/// A whole number past 64 bits in a CSV column of numbers (polars infers the column as 64-bit
/// integers and then failed the file on it, naming no row) is read as the number it is: the
/// file trains, and `evaluate` scores it as the nearest training value and counts it.
#[test]
fn a_whole_number_past_64_bits_is_a_number_not_a_failed_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // `visits` is whole numbers: polars reads it as i64.
    let plain = leads_csv(400, ',', "\n", false);
    std::fs::write(d.join("leads.csv"), &plain).unwrap();
    run_ok(d, &train_args("leads.csv", "m.json", &[]));
    let huge = edit_rows(&plain, ',', |i, cells| {
        if i == 10 {
            cells[1] = "100000000000000000000".into();
        }
    });
    std::fs::write(d.join("huge.csv"), &huge).unwrap();
    let e = evaluate_json(d, "m.json", "huge.csv");
    let unseen = e["unseen"].as_array().unwrap();
    assert!(
        unseen
            .iter()
            .any(|u| u["column"] == "visits" && u["leads"] == 1 && u["values"][0] == "1e20"),
        "{e}"
    );
    run_ok(d, &train_args("huge.csv", "m2.json", &[]));
}

/// A date further back than any training date was (`1900-01-01`, a CRM's placeholder) is
/// scored as the most days training saw and counted (`evaluate`), and its factor says so
/// (`score`), instead of extending the days-since line without end; a date after the scoring
/// time is scored as missing, counted apart and said so.
#[test]
fn a_date_older_than_training_is_scored_as_the_oldest_and_one_after_as_of_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let with_signup = |old_row: Option<usize>| -> String {
        leads_csv(400, ',', "\n", false)
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let date = match (i, old_row) {
                    (0, _) => "signup".to_string(),
                    (i, Some(r)) if i == r => "1900-01-01".to_string(),
                    // After the scoring time (2026-01-01): not known then, scored as missing
                    // (and named in `unseen`), as the server and `evaluate` score it.
                    (i, Some(r)) if i == r + 5 => "2026-03-01".to_string(),
                    // 2025-05-31T23:00Z: its factor shows the day written, as the server's.
                    (i, Some(r)) if i == r + 10 => "2025-06-01T01:00:00+02:00".to_string(),
                    (i, _) => format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
                };
                format!("{line},{date}\n")
            })
            .collect()
    };
    std::fs::write(d.join("leads.csv"), with_signup(None)).unwrap();
    std::fs::write(d.join("fresh.csv"), with_signup(Some(10))).unwrap();
    run_ok(d, &train_args("leads.csv", "m.json", &[]));
    let model = read_json(&d.join("m.json"));
    let signup = transform_of(&model, "signup");
    assert_eq!(signup["kind"], "timestamp", "{signup}");
    let max = signup["max_days_since"].as_f64().unwrap();
    assert!(max > 300.0 && max < 400.0, "{signup}");

    // `evaluate` scores the flat file as of the training data's end: 1900-01-01 further back
    // than any training date, 2026-03-01 after that end (missing), each counted.
    let e = evaluate_json(d, "m.json", "fresh.csv");
    assert_eq!(
        e["unseen"],
        serde_json::json!([
            {
                "column": "signup",
                "scored_as": "nearest training value",
                "leads": 1,
                "distinct": 1,
                "values": ["1900-01-01"]
            },
            {
                "column": "signup",
                "scored_as": "missing (after the scoring time)",
                "leads": 1,
                "distinct": 1,
                "values": ["2026-03-01"]
            }
        ]),
        "{e}"
    );
    // Scored as of the file's own export time (`--as-of`), 2026-03-01 is a date like any.
    let e = evaluate_json_with(d, "m.json", "fresh.csv", &["--as-of", "2026-03-15"]);
    assert!(
        !e["unseen"].to_string().contains("after the scoring time"),
        "{}",
        e["unseen"]
    );
    // An --as-of before most dates: the warning names it as the scoring time (it said the
    // training data ended then, and advised passing --as-of).
    let e = evaluate_json_with(d, "m.json", "fresh.csv", &["--as-of", "2025-03-01"]);
    let warnings = e["warnings"].to_string();
    assert!(
        warnings.contains("have a date after --as-of (2025-03-01T00:00:00Z)")
            && !warnings.contains("training data ends"),
        "{warnings}"
    );
    let r = run_ok(
        d,
        &[
            "score",
            "--model",
            "m.json",
            "--data",
            "fresh.csv",
            "--id",
            "lead_id",
            "--as-of",
            "2026-01-01",
            "--target-precision",
            "0.5",
            "--factors",
            "20",
            "--out",
            "s.csv",
        ],
    );
    let scores = std::fs::read_to_string(d.join("s.csv")).unwrap();
    let row = scores
        .lines()
        .find(|l| l.contains("further back than any training value was"))
        .unwrap_or_else(|| panic!("no factor says so:\n{}\n{scores}", r.stdout));
    assert!(row.contains("signup = 1900-01-01 ("), "{row}");
    // Data row 15 (lead L00014) has the later date: scored, its date as missing, named.
    assert!(r.stdout.contains(" 400 leads scored"), "{}", r.stdout);
    let row = scores
        .lines()
        .find(|l| l.starts_with("L00014,"))
        .unwrap_or_else(|| panic!("L00014 not scored:\n{scores}"));
    assert!(
        row.contains(
            "signup = 2026-03-01 (after the scoring time: not known then, scored as missing)"
        ),
        "{row}"
    );
    assert!(
        row.contains(",signup,") || row.contains(",signup;") || row.contains(";signup"),
        "{row}"
    );
    let row = scores.lines().find(|l| l.starts_with("L00019,")).unwrap();
    assert!(row.contains("signup = 2025-06-01 ("), "{row}");
}

/// In a Parquet column of floats, an infinity is refused naming its row and column (as `inf`
/// written in a CSV is), in `evaluate` as in `train`; a NaN is missing (pandas writes a missing
/// float so).
#[test]
fn a_parquet_infinity_is_refused_and_a_nan_is_missing() {
    use polars::prelude::Column;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads_csv(400, ',', "\n", false)).unwrap();
    run_ok(d, &train_args("leads.csv", "m.json", &[]));
    let write = |name: &str, odd: f64| {
        parquet_twin(d, name, |df| {
            let mut size: Vec<Option<f64>> =
                df.column("size").unwrap().f64().unwrap().iter().collect();
            size[10] = Some(odd);
            df.with_column(Column::new("size".into(), size)).unwrap();
        });
    };
    write("inf.parquet", f64::INFINITY);
    write("nan.parquet", f64::NAN);
    for args in [
        vec!["evaluate", "--model", "m.json", "--data", "inf.parquet"],
        train_args("inf.parquet", "m2.json", &[]),
    ] {
        let r = run(d, &args);
        assert_eq!(r.code, Some(1), "{}", r.show());
        assert!(
            r.stderr.contains("inf.parquet")
                && r.stderr.contains("row 11")
                && r.stderr.contains("size")
                && r.stderr.contains("expected a finite number, found inf"),
            "{}",
            r.show()
        );
    }
    assert!(!d.join("m2.json").exists());
    run_ok(
        d,
        &["evaluate", "--model", "m.json", "--data", "nan.parquet"],
    );
}

/// Parquet columns of 8- and 16-bit integers (pandas downcasts to them) and decimals (a
/// warehouse's NUMERIC) are numbers like any other: the Parquet twin of a CSV whose `visits`
/// is Int8, `size` Decimal(10, 1), with unused UInt8 and Int16 columns beside them, trains the
/// CSV's model and evaluates as the CSV does. (A decimal column used to crash the reader, small
/// integers to fail the whole file.)
#[test]
fn small_integer_and_decimal_parquet_columns_are_numbers() {
    use polars::prelude::{Column, DataFrame, DataType};

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads_csv(400, ',', "\n", false)).unwrap();
    parquet_twin(d, "leads.parquet", |df| {
        let cast = |df: &DataFrame, name: &str, to: DataType| -> Column {
            df.column(name).unwrap().cast(&to).unwrap()
        };
        let visits = cast(df, "visits", DataType::Int8);
        let size = cast(df, "size", DataType::Decimal(10, 1));
        let tiny = cast(df, "visits", DataType::UInt8).with_name("tiny".into());
        let small = cast(df, "visits", DataType::Int16).with_name("small".into());
        for c in [visits, size, tiny, small] {
            df.with_column(c).unwrap();
        }
    });

    let ignore = ["--exclude", "tiny", "small"];
    run_ok(d, &train_args("leads.csv", "csv.json", &[]));
    run_ok(d, &train_args("leads.parquet", "pq.json", &ignore));
    let (a, b) = (
        read_json(&d.join("csv.json")),
        read_json(&d.join("pq.json")),
    );
    assert_same_weights(&a, &b);
    assert_eq!(
        evaluate_json(d, "csv.json", "leads.parquet")["evaluation"],
        evaluate_json(d, "csv.json", "leads.csv")["evaluation"]
    );
}

/// A Parquet column of Float32 numbers holds the decimals it was written with: 0.3 stored as
/// Float32 is read as 0.3 (as the CSV cell `0.3` and the JSON number 0.3 are), not as the
/// 0.30000001192 a widening cast makes of it. The Float32 twin of a CSV trains the same model,
/// with the same range, and nothing in it is outside the CSV model's range.
#[test]
fn a_float32_parquet_column_reads_as_the_decimals_it_was_written_with() {
    use polars::prelude::DataType;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // `visits` 0..7 as shares, most of which a Float32 widens upwards (0.05, 0.15, 0.2, 0.3).
    let shares = ["0", "0.05", "0.1", "0.15", "0.2", "0.25", "0.3", "0.3"];
    let text = edit_rows(&leads_csv(400, ',', "\n", false), ',', |i, cells| {
        if i > 0 {
            cells[1] = shares[cells[1].parse::<usize>().unwrap()].into();
        }
    });
    std::fs::write(d.join("leads.csv"), &text).unwrap();
    parquet_twin(d, "leads.parquet", |df| {
        let visits = df
            .column("visits")
            .unwrap()
            .cast(&DataType::Float32)
            .unwrap();
        df.with_column(visits).unwrap();
    });

    run_ok(d, &train_args("leads.csv", "csv.json", &[]));
    run_ok(d, &train_args("leads.parquet", "pq.json", &[]));
    let (a, b) = (
        read_json(&d.join("csv.json")),
        read_json(&d.join("pq.json")),
    );
    let visits = |m: &Value| transform_of(m, "visits");
    assert_eq!(visits(&a)["range"], serde_json::json!([0.0, 0.3]));
    assert_eq!(visits(&b), visits(&a));
    assert_same_weights(&a, &b);
    // The CSV's model on the Float32 file: no value outside its range, the same metrics.
    let on_parquet = evaluate_json(d, "csv.json", "leads.parquet");
    assert_eq!(on_parquet["unseen"], serde_json::json!([]), "{on_parquet}");
    assert_eq!(
        on_parquet["evaluation"],
        evaluate_json(d, "csv.json", "leads.csv")["evaluation"]
    );
}

/// `score --as-of` takes Unix seconds or milliseconds as the server's `?as_of=` does: the same
/// file as the date; other digits are refused naming the forms.
#[test]
fn score_as_of_takes_unix_seconds_and_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads()).unwrap();
    train_model(d, "leads.csv", "m.json");
    let scored = |out: &str, as_of: &str| {
        let r = run(d, &score_args("m.json", "leads.csv", out, as_of));
        assert_eq!(r.code, Some(0), "{as_of}: {}", r.show());
        std::fs::read_to_string(d.join(out)).unwrap()
    };
    let want = scored("date.csv", "2025-01-01T00:00:00Z");
    assert_eq!(scored("s.csv", "1735689600"), want);
    assert_eq!(scored("ms.csv", "1735689600000"), want);
    let r = run(d, &score_args("m.json", "leads.csv", "x.csv", "17356896"));
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr
            .contains("Unix seconds or milliseconds from 2000 to 2100"),
        "{}",
        r.show()
    );
}

/// `score --as-of` before 1970 is refused, as the server refuses such an `as_of`.
#[test]
fn score_as_of_before_1970_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads()).unwrap();
    train_model(d, "leads.csv", "m.json");
    let r = run(
        d,
        &score_args("m.json", "leads.csv", "s.csv", "1969-12-31T23:59:59Z"),
    );
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains("--as-of must be 1970-01-01 or later"),
        "{}",
        r.show()
    );
    assert!(!d.join("s.csv").exists());
}

#[test]
fn a_delimiter_that_cannot_split_a_csv_is_refused() {
    // Once, 'é' (U+00E9) became byte 0xE9, the header one column, and the error a misleading
    // "column `converted`: no such column (the file has: lead_id,visits,...)"; 'Ĭ' (U+012C)
    // became 0x2C, a comma, and evaluate silently succeeded. Now a usage error (exit 2), as a
    // delimiter of two characters is.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads()).unwrap();
    train_model(d, "leads.csv", "m.json");
    for delim in ["é", "Ĭ"] {
        let r = run(
            d,
            &[
                "evaluate",
                "--model",
                "m.json",
                "--data",
                "leads.csv",
                "--delimiter",
                delim,
            ],
        );
        assert_eq!(r.code, Some(2), "--delimiter {delim}:\n{}", r.show());
        assert!(
            r.stderr.contains("--delimiter") && r.stderr.contains("ASCII"),
            "--delimiter {delim}:\n{}",
            r.show()
        );
    }
    // The quote character and line ends: refused by name (polars failed on them with an
    // internal message), in `score` as in `evaluate`.
    for (cmd, delim) in [("evaluate", "\""), ("score", "\""), ("evaluate", "\n")] {
        let mut args = if cmd == "score" {
            score_args("m.json", "leads.csv", "s.csv", "2025-01-01")
        } else {
            vec![cmd, "--model", "m.json", "--data", "leads.csv"]
        };
        args.extend(["--delimiter", delim]);
        let r = run(d, &args);
        assert_eq!(
            r.code,
            Some(2),
            "{cmd} --delimiter {delim:?}:\n{}",
            r.show()
        );
        assert!(
            r.stderr.contains("--delimiter")
                && r.stderr
                    .contains(&format!("cannot be {:?}", delim.chars().next().unwrap())),
            "{cmd} --delimiter {delim:?}:\n{}",
            r.show()
        );
    }
}

#[test]

fn io_error_is_printed_once() {
    // Today: "error: absent.json: No such file or directory (os error 2): No such file or
    // directory (os error 2)".
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["inspect", "--model", "absent.json"]);
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(r.stderr.contains("absent.json"), "{}", r.show());
    assert_eq!(r.stderr.matches("os error 2").count(), 1, "{}", r.show());
}

#[test]

fn train_with_closed_stdout_still_writes_the_model() {
    // Today (`train ... | true`): the report's write fails with a broken pipe, main.rs maps a
    // broken pipe to success, and `write_atomic` is never reached: exit 0, no out.json.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore-train"))
        .args(train_args("leads.csv", "out.json", &[]))
        .current_dir(d)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before the report is printed
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.code() != Some(0) || d.join("out.json").exists(),
        "exit 0 but no model was written; stderr:\n{stderr}"
    );
    assert!(
        d.join("out.json").exists(),
        "training succeeded but the model was not written; exit {:?}, stderr:\n{stderr}",
        out.status.code()
    );
}

/// The fixtures of `tests/data/typed` (see its `make.py`), copied into a fresh folder.
fn typed_fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/typed");
    for f in std::fs::read_dir(&from).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    dir
}

/// (name, transform) of every column of a spec `init` wrote.
fn spec_transforms(spec: &str) -> Vec<(String, String)> {
    let parsed: toml::Value = toml::from_str(spec).unwrap();
    parsed["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["transform"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A pandas export keeps text as `category` (a Parquet dictionary) or as bytes: each reads as
/// the text it holds, as a text column of a CSV does, so `init` infers the CSV's spec (but for
/// numbers the export typed as text: codes) and `train` with the CSV's spec fits the CSV's
/// model (it failed: "is cat, not timestamps"); a byte column that is not UTF-8 is left out,
/// naming its first such row (it failed the whole file).
#[test]
fn category_and_byte_text_in_parquet_reads_as_the_csv_does() {
    let dir = typed_fixtures();
    let d = dir.path();
    run_ok(
        d,
        &init_args("flat.csv", &["--exclude", "note", "--out", "csv.toml"]),
    );
    let r = run_ok(d, &init_args("flat.parquet", &["--out", "pq.toml"]));
    let all = r.stdout.clone() + &r.stderr;
    assert!(
        all.contains("`note` (bytes that are not UTF-8 text, first at row 15)"),
        "{}",
        r.show()
    );
    let csv = spec_transforms(&std::fs::read_to_string(d.join("csv.toml")).unwrap());
    let pq = spec_transforms(&std::fs::read_to_string(d.join("pq.toml")).unwrap());
    // The same, but for the numbers the export typed as text (codes to `init`).
    let as_typed: Vec<_> = csv
        .iter()
        .filter(|(n, _)| n != "note")
        .map(|(n, t)| match n.as_str() {
            "company_size" => (n.clone(), "categorical".to_string()),
            _ => (n.clone(), t.clone()),
        })
        .collect();
    assert_eq!(pq, as_typed);
    assert!(
        csv.contains(&("company_size".into(), "numeric".into())),
        "{csv:?}"
    );
    assert!(
        pq.contains(&("created_at".into(), "timestamp".into())),
        "{pq:?}"
    );
    let a = run_ok(
        d,
        &train_args("flat.csv", "csv.json", &["--spec", "csv.toml"]),
    );
    let b = run_ok(
        d,
        &train_args("flat.parquet", "pq.json", &["--spec", "csv.toml"]),
    );
    assert!(b.stdout.contains("wrote"), "{}\n{}", a.show(), b.show());
    assert_same_weights(
        &read_json(&d.join("csv.json")),
        &read_json(&d.join("pq.json")),
    );
}

/// Lead ids stored as float64 (pandas' type for integers once a NaN was among them) join the
/// events as they join the outcomes: `2.0` is lead `2` in all three tables (the events file
/// read it as `2.0`, so every event was dropped, silently in `score`). Ids that match no lead
/// at all are a WARNING.
#[test]
fn float_ids_in_parquet_join_the_events_as_in_csv() {
    let dir = typed_fixtures();
    let d = dir.path();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json");
    let model = model.to_str().unwrap();
    let score = |ext: &str, out: &str| {
        let (leads, events, outcomes) = (
            format!("leads.{ext}"),
            format!("events.{ext}"),
            format!("outcomes.{ext}"),
        );
        let mut args = score_args(model, &leads, out, "2025-06-01T00:00:00Z");
        args.extend(["--events", &events, "--outcomes", &outcomes]);
        let r = run_ok(d, &args);
        (r, std::fs::read_to_string(d.join(out)).unwrap())
    };
    let (a, csv) = score("csv", "a.csv");
    let (b, pq) = score("parquet", "b.csv");
    assert_eq!(csv, pq, "{}\n{}", a.show(), b.show());
    assert!(!b.stdout.contains("WARNING"), "{}", b.show());
    assert!(b.stdout.contains(" 0 of leads not in"), "{}", b.show());
    // Events of other leads only.
    let events = std::fs::read_to_string(d.join("events.csv")).unwrap();
    let other: String = events
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                format!("x{l}\n")
            }
        })
        .collect();
    std::fs::write(d.join("other.csv"), other).unwrap();
    let mut args = score_args(model, "leads.csv", "c.csv", "2025-06-01T00:00:00Z");
    args.extend(["--events", "other.csv", "--outcomes", "outcomes.csv"]);
    let r = run_ok(d, &args);
    assert!(
        r.stdout.contains("WARNING: none of the ")
            && r.stdout
                .contains(" events in other.csv belongs to a lead of leads.csv"),
        "{}",
        r.show()
    );
}

/// A bad cell is named by its row in the file, on every path: `train` and `evaluate` of three
/// tables featurize one row per landmark example, and `evaluate` of a flat file leaves out
/// the rows without a label first; each named the row of its own table (2212 for the
/// leads file's 300th).
#[test]
fn a_bad_cell_is_named_by_its_row_in_the_file() {
    let dir = typed_fixtures();
    let d = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (model, spec) = (
        repo.join("models/demo.json"),
        repo.join("data/demo/spec.toml"),
    );
    let (model, spec) = (model.to_str().unwrap(), spec.to_str().unwrap());
    // Data row 100 of the three tables' leads: a company size with its unit.
    let leads = std::fs::read_to_string(d.join("leads.csv")).unwrap();
    let bad = edit_rows(&leads, ',', |i, cells| {
        if i == 100 {
            cells[4] = "12 employees".into();
        }
    });
    std::fs::write(d.join("bad.csv"), bad).unwrap();
    let three = ["--events", "events.csv", "--outcomes", "outcomes.csv"];
    let mut train = vec![
        "train", "--data", "bad.csv", "--spec", spec, "--out", "t.json",
    ];
    train.extend(three);
    let mut evaluate = vec!["evaluate", "--model", model, "--data", "bad.csv"];
    evaluate.extend(three);
    for args in [train, evaluate] {
        let r = run(d, &args);
        assert_eq!(r.code, Some(1), "{}", r.show());
        assert!(
            r.stderr
                .contains("bad.csv: row 100, column `company_size`: expected a number"),
            "{}",
            r.show()
        );
    }
    // A flat file: rows 2 and 3 without a label, then a bad cell at row 11 (rows without
    // quoted commas, as `edit_rows` splits on every comma).
    run_ok(
        d,
        &init_args("flat.csv", &["--exclude", "note", "--out", "flat.toml"]),
    );
    run_ok(
        d,
        &train_args("flat.csv", "flat.json", &["--spec", "flat.toml"]),
    );
    let flat = std::fs::read_to_string(d.join("flat.csv")).unwrap();
    let size = flat
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == "company_size");
    let label = flat
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == "converted");
    let (size, label) = (size.unwrap(), label.unwrap());
    let gaps = edit_rows(&flat, ',', |i, cells| {
        if i == 2 || i == 3 {
            cells[label] = String::new();
        }
        if i == 11 {
            cells[size] = "12 employees".into();
        }
    });
    std::fs::write(d.join("gaps.csv"), gaps).unwrap();
    let r = run(
        d,
        &["evaluate", "--model", "flat.json", "--data", "gaps.csv"],
    );
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(
        r.stderr.contains("gaps.csv: row 11, column `company_size`"),
        "{}",
        r.show()
    );
}

#[test]
fn score_replaces_only_a_file_of_scored_leads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("leads.csv"), leads()).unwrap();
    train_model(d, "leads.csv", "m.json");
    parquet_twin(d, "leads.parquet", |_| {});
    // Its own earlier output, CSV or Parquet (a re-run of a night), and an empty file: replaced.
    for out in ["s.csv", "s.parquet"] {
        run_ok(d, &score_args("m.json", "leads.csv", out, "2025-01-01"));
        run_ok(d, &score_args("m.json", "leads.csv", out, "2025-01-02"));
    }
    std::fs::write(d.join("empty.csv"), "").unwrap();
    run_ok(
        d,
        &score_args("m.json", "leads.csv", "empty.csv", "2025-01-01"),
    );
    // Anything else is left as it is: notes, another table, a copy of the leads.
    std::fs::write(d.join("notes.csv"), "name,phone\nAna,555-0100\n").unwrap();
    std::fs::copy(d.join("leads.csv"), d.join("copy.csv")).unwrap();
    std::fs::copy(d.join("leads.parquet"), d.join("copy.parquet")).unwrap();
    // A CRM snapshot whose column names hold the words (`snapshot_as_of_date`, `lead_score`,
    // `is_mql`) but are not the columns: a byte search of the footer took it for one.
    parquet_twin(d, "crm.parquet", |df| {
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        for (old, new) in names
            .iter()
            .zip(["snapshot_as_of_date", "lead_score", "is_mql"])
        {
            df.rename(old, new.into()).unwrap();
        }
    });
    for out in ["notes.csv", "copy.csv", "copy.parquet", "crm.parquet"] {
        let before = std::fs::read(d.join(out)).unwrap();
        let r = run(d, &score_args("m.json", "leads.csv", out, "2025-01-01"));
        assert_eq!(r.code, Some(1), "{}", r.show());
        assert!(
            r.stderr.contains(&format!(
                "--out {out} is there and is not a file of leads scored by leadscore"
            )),
            "{}",
            r.show()
        );
        assert_eq!(std::fs::read(d.join(out)).unwrap(), before, "{out}");
    }
}

#[test]
fn demo_data_replaces_only_a_demo_export() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = |extra: &[&str]| {
        let mut args = vec!["demo-data", "--leads", "50"];
        args.extend_from_slice(extra);
        run(d, &args)
    };
    // Its own files are replaced (a re-run), each kind.
    for _ in 0..2 {
        for args in [
            &["--out", "flat.csv"][..],
            &["--out", "survey.csv", "--survey"],
            &[
                "--out",
                "leads.csv",
                "--events-out",
                "events.csv",
                "--outcomes-out",
                "outcomes.csv",
            ],
        ] {
            let r = demo(args);
            assert_eq!(r.code, Some(0), "{args:?}: {}", r.show());
        }
    }
    // A real export, notes, a folder: refused before anything is written, the survey too.
    std::fs::write(d.join("real.csv"), "id,name,converted\n1,Ana,yes\n").unwrap();
    std::fs::create_dir(d.join("folder")).unwrap();
    for (args, says) in [
        (
            &["--out", "real.csv"][..],
            "--out real.csv is there and is not a demo export written by demo-data",
        ),
        (
            &["--out", "real.csv", "--survey"],
            "--out real.csv is there and is not a demo export",
        ),
        (&["--out", "folder", "--survey"], "--out folder is a folder"),
        (
            &[
                "--out",
                "leads.csv",
                "--events-out",
                "real.csv",
                "--outcomes-out",
                "outcomes.csv",
            ],
            "--events-out real.csv is there and is not a demo export",
        ),
    ] {
        let before = std::fs::read(d.join("leads.csv")).unwrap();
        let r = demo(args);
        assert_eq!(r.code, Some(1), "{args:?}: {}", r.show());
        assert!(r.stderr.contains(says), "{args:?}: {}", r.show());
        assert_eq!(
            std::fs::read(d.join("real.csv")).unwrap(),
            b"id,name,converted\n1,Ana,yes\n"
        );
        assert_eq!(std::fs::read(d.join("leads.csv")).unwrap(), before);
    }
}

/// One event typed a year ahead (`2026-11-30` in a 2025 export) set the end of the data
/// eleven months late: no example was censored, and thousands whose 90-day horizon no table
/// covers were labeled as not converted. It no longer ends the data, and training says so.
#[test]
fn a_time_typed_a_year_ahead_does_not_end_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [leads, events, outcomes] = demo_tables(1500, str::to_string);
    // The first event's time, typed a year ahead.
    let mut lines = events.lines();
    let header = lines.next().unwrap();
    let first = lines.next().unwrap();
    let cells: Vec<&str> = first.split(',').collect();
    let typo = format!("{},{},2026-11-30 13:47:28", cells[0], cells[1]);
    let events: String = [header, typo.as_str()]
        .into_iter()
        .chain(lines)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(d.join("leads.csv"), leads).unwrap();
    std::fs::write(d.join("events.csv"), events).unwrap();
    std::fs::write(d.join("outcomes.csv"), outcomes).unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/spec.toml");
    let spec = spec.to_str().unwrap();
    let mut args = vec![
        "train",
        "--data",
        "leads.csv",
        "--events",
        "events.csv",
        "--outcomes",
        "outcomes.csv",
        "--spec",
        spec,
        "--out",
        "m.json",
    ];
    args.extend(FAST);
    let out = run_ok(d, &args).show();
    assert!(
        out.contains("times far ahead of the rest of their table do not set the end of the data")
            && out.contains("1 time(s) more than 30 days after all its others"),
        "{out}"
    );
    // The same end and the same examples as without the typo.
    let [_, events, _] = demo_tables(1500, str::to_string);
    std::fs::write(d.join("events.csv"), events).unwrap();
    let mut clean = args.clone();
    clean[10] = "clean.json";
    run_ok(d, &clean);
    let report = |m: &str| read_json(&d.join(m))["provenance"]["point_in_time"].clone();
    let (typo, clean) = (report("m.json"), report("clean.json"));
    assert_eq!(typo["end_of_data"], clean["end_of_data"]);
    assert_eq!(typo["censored"], clean["censored"]);
    assert_eq!(typo["used"], clean["used"]);
}
