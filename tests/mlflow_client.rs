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

#[test]
fn mlflows_own_client_scores_through_leadscore_serve() {
    let stdout = common::python_against_server(
        "tests/mlflow_client.py",
        &[],
        &[
            "wait_server_ready: ok",
            "invoke(DataFrame with NaN): 3 predictions equal /v1/score's",
            "invoke(list of dicts): 3 predictions equal /v1/score's",
            "mlflow client: ok",
        ],
    );
    println!("{stdout}");
}
