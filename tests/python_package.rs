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

#[test]
fn the_python_package_scores_every_demo_lead_as_the_server_does() {
    let stdout = common::python_against_server(
        "tests/python_package.py",
        &[
            "--max-body-bytes",
            "67108864",
            "--request-timeout-ms",
            "60000",
        ],
        &[
            "equal to /v1/score on all 4428 leads",
            "pyarrow Table: the same scores",
            "created_at and as_of as Unix seconds or milliseconds: the same scores and ages",
            "mlflow.pyfunc.load_model(saved folder).predict: 200 scores equal the package's",
            "logged to a file store and loaded from models:/...: the same scores",
            "python package: ok",
        ],
    );
    println!("{stdout}");
}
