//! leadscore on Spark: `tests/spark_udf.py` starts PySpark in local mode (`local[2]`, 4
//! partitions) and scores every demo lead existing at one moment with
//! `mlflow.pyfunc.spark_udf` over a `leadscore.mlflow` model and with `mapInPandas` calling the
//! package, and checks both against the real server's `/v1/score`.
//!
//! Needs the test virtual environment (pyspark, mlflow, the package) and a Java runtime;
//! `bash tests/run.sh` installs both (Debian's `default-jre-headless`).

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
fn spark_scores_every_demo_lead_as_the_server_does() {
    let python = match std::env::var_os("LEADSCORE_PYTHON") {
        Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
        _ => panic!(
            "LEADSCORE_PYTHON is not set: run `bash tests/run.sh` (it creates the Python test \
             environment with pyspark and the package, installs a JRE and exports LEADSCORE_PYTHON)"
        ),
    };
    let mut server = Server(
        Command::new(common::serve_binary())
            .arg("--model")
            .arg(common::repo("models/demo.json"))
            .args(["--target-precision", "0.5", "--bind", "127.0.0.1:0"])
            .args(["--request-timeout-ms", "60000"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start leadscore-serve"),
    );
    let addr = common::listen_address(&mut server.0);
    let out = Command::new(&python)
        .arg(common::repo("tests/spark_udf.py"))
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .current_dir(common::repo("."))
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tests/spark_udf.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for line in [
        "mlflow.pyfunc.spark_udf: 4428 leads in 4 partitions equal /v1/score",
        "mapInPandas + leadscore: 4428 leads in 4 partitions equal /v1/score",
        "spark: ok",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}\n{stderr}");
    }
    println!("{stdout}");
}
