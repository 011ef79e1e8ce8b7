//! MLflow's own scoring client works unchanged against the real `leadscore-serve` on the
//! committed demo model: `tests/mlflow_client.py` calls `ScoringServerClient.wait_server_ready`
//! (`GET /ping`), `invoke` with a pandas DataFrame holding missing values (sent as `NaN`) and
//! `invoke` with a list of dicts (sent under `inputs`), checks the predictions against
//! `/v1/score`'s scores for the same leads, and parses `GET /metrics` with `prometheus_client`.
//!
//! Needs a Python with the packages of `tests/requirements.txt` (mlflow-skinny,
//! prometheus-client), named by `LEADSCORE_PYTHON`; `bash tests/run.sh` creates that virtual
//! environment and exports the variable.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The Python of the test virtual environment; a clear failure when it is not set up.
fn python() -> PathBuf {
    match std::env::var_os("LEADSCORE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "LEADSCORE_PYTHON is not set: the MLflow client test needs the Python test environment. \
             Run `bash tests/run.sh` (it creates the virtual environment from tests/requirements.txt \
             and exports LEADSCORE_PYTHON), or create it by hand and point LEADSCORE_PYTHON at its python"
        ),
    }
}

/// The server, killed when the test ends (even on a failed assertion).
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn mlflows_own_client_scores_through_leadscore_serve() {
    let python = python();
    let mut server = Server(
        Command::new(common::serve_binary())
            .arg("--model")
            .arg(common::repo("models/demo.json"))
            .args(["--target-precision", "0.5", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start leadscore-serve"),
    );
    let addr = common::listen_address(&mut server.0);
    let out = Command::new(&python)
        .arg(common::repo("tests/mlflow_client.py"))
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tests/mlflow_client.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for line in [
        "wait_server_ready: ok",
        "invoke(DataFrame with NaN): 3 predictions equal /v1/score's",
        "invoke(list of dicts): 3 predictions equal /v1/score's",
        "mlflow client: ok",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}\n{stderr}");
    }
    println!("{stdout}");
}
