//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

#[path = "../../crates/serve/tests/common/http.rs"]
pub mod http;
pub mod lives;
#[path = "../../crates/serve/tests/common/server.rs"]
pub mod server;

use std::collections::HashMap;
use std::path::PathBuf;

/// Runs `bin args`, asserts it succeeded, and returns its stdout and stderr together.
pub fn run_ok(bin: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(bin)
        .args(args)
        .output()
        .expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{args:?}: {text}");
    text
}

/// A path as the `&str` a command's argument list takes.
pub fn p(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

/// A path under the repository root.
pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The X Education export in ../shared (read in place, never copied).
pub fn x_education() -> PathBuf {
    repo("../shared/datasets/x-education/Leads.csv")
}

/// The columns of X Education filled in by sales after contact (they leak the label), plus the
/// second id.
pub const X_EDUCATION_EXCLUDED: [&str; 8] = [
    "Lead Number",
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
];

/// Reads a CSV file into one field -> text map per row with a small RFC 4180 parser that shares
/// no code with polars, so the parity tests compare two independent readers too.
pub fn csv_rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("read csv");
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut field = String::new();
    let mut record = Vec::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => in_quotes = !in_quotes,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    let header = records.remove(0);
    records
        .into_iter()
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect()
}

/// The events of a CSV events file by lead id, read with [`csv_rows`] (independent of polars).
pub fn events_by_lead(path: &std::path::Path) -> HashMap<String, Vec<(String, i64)>> {
    let mut out: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for row in csv_rows(path) {
        let t = leadscore_core::value::parse_timestamp(&row["occurred_at"]).expect("event time");
        out.entry(row["lead_id"].clone())
            .or_default()
            .push((row["event_type"].clone(), t));
    }
    out
}

/// The committed three-table demo, assembled point in time with its spec.
pub fn demo_assembled(events: &std::path::Path) -> leadscore_train::assemble::Assembled {
    use leadscore_train::assemble::{assemble, AssemblyInputs};
    use leadscore_train::load::{read_table, ReadOptions};
    let read = ReadOptions::default();
    let leads = read_table(&repo("data/demo/leads.csv"), &read).unwrap();
    let spec = leadscore_core::spec::FeatureSpec::from_toml(
        &std::fs::read_to_string(repo("data/demo/spec.toml")).unwrap(),
        "data/demo/spec.toml",
    )
    .unwrap();
    assemble(&AssemblyInputs {
        events: Some(events),
        outcomes: Some(&repo("data/demo/outcomes.csv")),
        ..AssemblyInputs::new(&leads, &spec, &read)
    })
    .unwrap()
}

/// Builds `leadscore-serve` with the same cargo, in this test's profile, and finds it beside
/// the test executable.
pub fn serve_binary() -> PathBuf {
    workspace_binary("leadscore-serve")
}

/// Builds `leadscore-train` as [`serve_binary`] builds the server.
pub fn train_binary() -> PathBuf {
    workspace_binary("leadscore-train")
}

/// Builds the workspace package `name` (whose binary has the same name) with the same cargo,
/// in this test's profile, and finds the binary beside the test executable. Once per test
/// binary and package: later calls return the path.
fn workspace_binary(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = built.iter().find(|(n, _)| n == name) {
        return path.clone();
    }
    let path = build_binary(name);
    built.push((name.to_string(), path.clone()));
    path
}

fn build_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect(".../<profile>");
    let mut build = std::process::Command::new(env!("CARGO"));
    build
        .args(["build", "-p", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    assert!(
        build.status().expect("run cargo build").success(),
        "cargo build -p {name} failed"
    );
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} not found", bin.display());
    bin
}

/// The address a just-started server prints first on its stdout (`... listening on
/// http://ADDR`); the child's stdout must be piped.
pub fn listen_address(child: &mut std::process::Child) -> std::net::SocketAddr {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout piped"))
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .rsplit("http://")
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?} (did the server start?)"))
}

/// Runs `python SCRIPT HOST PORT` (the test environment's Python, `LEADSCORE_PYTHON`, from the
/// repository root) against a fresh `leadscore-serve` on the committed demo model at target
/// precision 0.5 with `server_args` added; asserts it succeeded and printed each of `expect`,
/// and returns its stdout. What the Python client tests share.
pub fn python_against_server(script: &str, server_args: &[&str], expect: &[&str]) -> String {
    use std::process::{Command, Stdio};
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let python = match std::env::var_os("LEADSCORE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "LEADSCORE_PYTHON is not set: {script} needs the Python test environment. Run \
             `bash tests/run.sh` (it creates the virtual environment from tests/requirements.txt, \
             installs ./python and a JRE, and exports LEADSCORE_PYTHON), or create it by hand and \
             point LEADSCORE_PYTHON at its python"
        ),
    };
    let mut server = Server(
        Command::new(serve_binary())
            .arg("--model")
            .arg(repo("models/demo.json"))
            .args(["--target-precision", "0.5", "--bind", "127.0.0.1:0"])
            .args(server_args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start leadscore-serve"),
    );
    let addr = listen_address(&mut server.0);
    let out = Command::new(&python)
        .arg(repo(script))
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .current_dir(repo("."))
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for line in expect {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}\n{stderr}");
    }
    stdout
}

/// Runs `python SCRIPT MODEL HOST PORT` (the test environment's Python, `LEADSCORE_PYTHON`)
/// against a server already serving `model` at `addr`; asserts it succeeded and printed `done`,
/// and returns its stdout.
pub fn python_with_model(
    script: &str,
    model: &std::path::Path,
    addr: std::net::SocketAddr,
    done: &str,
) -> String {
    let python = std::env::var_os("LEADSCORE_PYTHON")
        .filter(|p| !p.is_empty())
        .expect(
            "LEADSCORE_PYTHON is not set: run `bash tests/run.sh`, which creates the Python test \
             environment with the package installed",
        );
    let out = std::process::Command::new(python)
        .arg(repo(script))
        .arg(model)
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && stdout.contains(done),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The options of [`write_multi_select_leads`]'s `interests` column, with the rare one (3 rows
/// in 1,200: never kept, scored as `other`).
pub const INTERESTS: [&str; 5] = ["Pricing", "Webinars", "Case studies", "API docs", "Careers"];
/// The rare option of [`write_multi_select_leads`].
pub const RARE_INTEREST: &str = "Partner program";

/// Writes `leads.csv` in `dir`: 1,200 leads with a multi-select `interests` column as CRMs
/// export it (`Pricing;Webinars`, written in any order, with spaces, a trailing `;`, a `;`
/// alone, empty), where `Pricing` and `API docs` raise conversion and `Careers` lowers it; a
/// `notes` column of free text that holds `;` too, a categorical `source` and a numeric
/// `visits`. Deterministic.
pub fn write_multi_select_leads(dir: &std::path::Path) -> PathBuf {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let mut csv = String::from("lead_id,interests,notes,source,visits,converted\n");
    for i in 0..1200 {
        let mut chosen: Vec<&str> = INTERESTS
            .iter()
            .zip([0.45, 0.35, 0.3, 0.2, 0.15])
            .filter_map(|(o, p)| (next() < p).then_some(*o))
            .collect();
        if i % 400 == 7 {
            chosen.push(RARE_INTEREST);
        }
        if i % 3 == 0 {
            chosen.reverse();
        }
        let has = |o: &str| chosen.contains(&o);
        let p = 0.2
            + 0.4 * f64::from(u8::from(has("Pricing")))
            + 0.15 * f64::from(u8::from(has("API docs")))
            - 0.15 * f64::from(u8::from(has("Careers")));
        let converted = next() < p;
        let interests = match i % 50 {
            0 => ";".to_string(),
            1 if !chosen.is_empty() => format!("{};", chosen.join("; ")),
            _ if i % 2 == 0 => chosen.join("; "),
            _ => chosen.join(";"),
        };
        csv.push_str(&format!(
            "L{i},{interests},called {i}; follow up on day {},{},{},{}\n",
            i * 7 % 31,
            ["Web", "Referral", "Event"][i % 3],
            (next() * 12.0).floor(),
            u8::from(converted)
        ));
    }
    let path = dir.join("leads.csv");
    std::fs::write(&path, csv).expect("write leads.csv");
    path
}
