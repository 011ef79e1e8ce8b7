//! The Python package (`python/`, `import leadscore`) scores every demo lead as the real server
//! does: `tests/python_package.py` compares them lead by lead through `/v1/score`, checks a
//! pyarrow Table gives the same scores, the cutoff equals the server's, and that bad input
//! raises `ValueError`/`OSError` naming what is wrong. Then the MLflow flavor: a model saved by
//! `leadscore.mlflow.save_model`, and one logged to a local file-store tracking URI, predict the
//! package's scores through `mlflow.pyfunc.load_model`.
//!
//! Needs the test virtual environment with the package installed (`LEADSCORE_PYTHON`);
//! `bash tests/run.sh` builds and installs it (`pip install ./python`).

mod common;

use std::process::{Command, Stdio};

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_python_package_scores_every_demo_lead_as_the_server_does() {
    let python = match std::env::var_os("LEADSCORE_PYTHON") {
        Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
        _ => panic!(
            "LEADSCORE_PYTHON is not set: run `bash tests/run.sh` (it creates the Python test \
             environment, installs ./python into it and exports LEADSCORE_PYTHON)"
        ),
    };
    let mut server = Server(
        Command::new(common::serve_binary())
            .arg("--model")
            .arg(common::repo("models/demo.json"))
            .args(["--target-precision", "0.5", "--bind", "127.0.0.1:0"])
            .args([
                "--max-body-bytes",
                "67108864",
                "--request-timeout-ms",
                "60000",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start leadscore-serve"),
    );
    let addr = common::listen_address(&mut server.0);
    let out = Command::new(&python)
        .arg(common::repo("tests/python_package.py"))
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .current_dir(common::repo("."))
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tests/python_package.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for line in [
        "equal to /v1/score on all 4428 leads",
        "pyarrow Table: the same scores",
        "mlflow.pyfunc.load_model(saved folder).predict: 200 scores equal the package's",
        "logged to a file store and loaded from models:/...: the same scores",
        "python package: ok",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}\n{stderr}");
    }
    println!("{stdout}");
}
