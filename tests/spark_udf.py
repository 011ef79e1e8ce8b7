"""Spark in local mode scores the demo leads with leadscore (run by tests/spark_udf.rs).

    python tests/spark_udf.py HOST PORT

The server serves models/demo.json at --target-precision 0.5. Every demo lead that exists at
AS_OF, with its events known then (a JSON column, as the python_function model takes them),
goes into a Spark DataFrame of 4 partitions on `local[2]` and is scored twice:

- with `mlflow.pyfunc.spark_udf` on a model saved by `leadscore.mlflow.save_model`;
- with `mapInPandas` calling `leadscore` directly in each partition;

and both must equal the server's /v1/score scores lead by lead (1e-12).
"""

import json
import os
import sys
import tempfile
import time
import urllib.request

os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers run this environment's Python
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"

import mlflow.pyfunc
import pandas as pd
from mlflow.models import infer_signature
from pyspark.sql import SparkSession

import leadscore
import leadscore.mlflow

HOST, PORT = sys.argv[1], int(sys.argv[2])
AS_OF = "2025-11-24T00:00:00Z"

leads = pd.read_csv("data/demo/leads.csv", dtype=str)
events = pd.read_csv("data/demo/events.csv", dtype=str)
leads = leads[pd.to_datetime(leads["created_at"], utc=True) <= pd.Timestamp(AS_OF)]
events = events[pd.to_datetime(events["occurred_at"], utc=True) <= pd.Timestamp(AS_OF)]
by_lead = {}
for lead, kind, at in zip(events["lead_id"], events["event_type"], events["occurred_at"]):
    by_lead.setdefault(lead, []).append({"event_type": kind, "occurred_at": at})
leads = leads.reset_index(drop=True)

# The server's scores.
served = {}
records = leads.to_dict("records")
for k in range(0, len(records), 200):
    batch = []
    for r in records[k : k + 200]:
        lead = {c: v for c, v in r.items() if isinstance(v, str)}
        lead["events"] = [
            {"event_type": e["event_type"], "occurred_at": pd.Timestamp(e["occurred_at"], tz="UTC").isoformat()}
            for e in by_lead.get(r["lead_id"], [])
        ]
        batch.append(lead)
    req = urllib.request.Request(
        f"http://{HOST}:{PORT}/v1/score?as_of={AS_OF}&factors=0",
        data=json.dumps({"leads": batch}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as answer:
        for lead, s in zip(batch, json.loads(answer.read())["leads"]):
            served[lead["lead_id"]] = s["score"]

# Spark's input: every cell a string ("" for missing), events as JSON, the moment as a column.
frame = leads.fillna("")
frame["events"] = [json.dumps(by_lead.get(lead, [])) for lead in frame["lead_id"]]
frame["as_of"] = AS_OF

started = time.time()
spark = (
    SparkSession.builder.master("local[2]")
    .appName("leadscore-test")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .getOrCreate()
)
sdf = spark.createDataFrame(frame).repartition(4)
assert sdf.rdd.getNumPartitions() == 4


def check(name, scores):
    assert len(scores) == len(served), (name, len(scores), len(served))
    worst = max(abs(scores[lead] - s) for lead, s in served.items())
    assert worst <= 1e-12, (name, worst)
    print(f"{name}: {len(scores)} leads in 4 partitions equal /v1/score (largest difference {worst})")


# 1. MLflow's spark_udf over a saved leadscore model (the signature names the columns).
path = os.path.join(tempfile.mkdtemp(), "model")
leadscore.mlflow.save_model(
    "models/demo.json", path, target_precision=0.5, signature=infer_signature(frame.head(5))
)
udf = mlflow.pyfunc.spark_udf(spark, path, result_type="double", env_manager="local")
out = sdf.withColumn("score", udf(*frame.columns)).select("lead_id", "score").toPandas()
check("mlflow.pyfunc.spark_udf", dict(zip(out["lead_id"], out["score"])))


# 2. mapInPandas, the package called directly in each partition.
def score_partition(batches):
    model = leadscore.load("models/demo.json", target_precision=0.5)
    for batch in batches:
        batch = batch.replace("", None)
        scored = model.score(batch, as_of=AS_OF, factors=0)
        yield pd.DataFrame({"lead_id": batch["lead_id"], "score": scored["score"], "mql": scored["mql"]})


out = sdf.mapInPandas(score_partition, schema="lead_id string, score double, mql boolean").toPandas()
check("mapInPandas + leadscore", dict(zip(out["lead_id"], out["score"])))
spark.stop()
print(f"spark: ok ({time.time() - started:.1f} s with start-up)")
