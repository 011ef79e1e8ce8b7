//! leadscore on Spark: `tests/spark_udf.py` starts PySpark in local mode (`local[2]`, 4
//! partitions) and scores every demo lead existing at one moment with
//! `mlflow.pyfunc.spark_udf` over a `leadscore.mlflow` model and with `mapInPandas` calling the
//! package, and checks both against the real server's `/v1/score`.
//!
//! Needs the test virtual environment (pyspark, mlflow, the package) and a Java runtime;
//! `bash tests/run.sh` installs both (Debian's `default-jre-headless`).

mod common;

#[test]
fn spark_scores_every_demo_lead_as_the_server_does() {
    let stdout = common::python_against_server(
        "tests/spark_udf.py",
        &["--request-timeout-ms", "60000"],
        &[
            "mlflow.pyfunc.spark_udf: 4428 leads in 4 partitions equal /v1/score",
            "mapInPandas + leadscore: 4428 leads in 4 partitions equal /v1/score",
            "spark: ok",
        ],
    );
    println!("{stdout}");
}
