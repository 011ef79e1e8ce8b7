"""Batch scoring through the Python package and through Spark local mode (a benchmark, not a
test). Run by bench/python_scale.sh, which prepares the data and the environment:

    python bench/python_scale.py LEADS_DIR AS_OF

LEADS_DIR holds leads.csv and events.csv (the demo generator's tables); the model is
models/demo.json at target precision 0.5. Prints one line per run: leads, wall seconds,
leads/s.
"""

import os
import sys
import time

os.environ["PYSPARK_PYTHON"] = sys.executable

import pandas as pd

import leadscore

folder, AS_OF = sys.argv[1], sys.argv[2]
model = leadscore.load("models/demo.json", target_precision=0.5)


def line(name, n, seconds):
    print(f"| {name} | {n:,} | {seconds:.1f} s | {n / seconds:,.0f} |", flush=True)


# 1. The package alone: pandas reads both tables, the package scores every lead.
t = time.time()
leads = pd.read_csv(f"{folder}/leads.csv", dtype=str)
events = pd.read_csv(f"{folder}/events.csv", dtype=str)
read = time.time() - t
leads = leads[pd.to_datetime(leads["created_at"], utc=True, format="mixed") <= pd.Timestamp(AS_OF)]
events = events[pd.to_datetime(events["occurred_at"], utc=True, format="mixed") <= pd.Timestamp(AS_OF)]
t = time.time()
scores = model.score(leads, events=events, as_of=AS_OF, factors=0)
scored = time.time() - t
line("package: pandas read", len(leads), read)
line("package: score (join + featurize + score)", len(scores), scored)
line("package: read + score", len(scores), read + scored)
del events

# 2. Spark local[2]: Spark reads both tables, groups each lead's events (as Unix seconds) into
#    a list column, joins them to the leads and scores each partition with mapInPandas.
from pyspark.sql import SparkSession, functions as F

t = time.time()
spark = (
    SparkSession.builder.master("local[2]")
    .appName("leadscore-bench")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .config("spark.driver.memory", "6g")
    .getOrCreate()
)
start_up = time.time() - t
t = time.time()
as_of = F.to_timestamp(F.lit(AS_OF))
sleads = spark.read.csv(f"{folder}/leads.csv", header=True).where(F.to_timestamp("created_at") <= as_of)
sevents = (
    spark.read.csv(f"{folder}/events.csv", header=True)
    .withColumn("at", F.unix_timestamp(F.to_timestamp("occurred_at")))
    .where(F.col("at") <= F.unix_timestamp(as_of))
    .groupBy("lead_id")
    .agg(F.collect_list(F.struct(F.col("event_type"), F.col("at").alias("occurred_at"))).alias("events"))
)
joined = sleads.join(sevents, "lead_id", "left")


def score_partition(batches):
    m = leadscore.load("models/demo.json", target_precision=0.5)
    for batch in batches:
        s = m.score(batch, as_of=AS_OF, factors=0)
        yield pd.DataFrame({"lead_id": batch["lead_id"], "score": s["score"]})


n = joined.mapInPandas(score_partition, schema="lead_id string, score double").count()
line("Spark local[2]: read + group events + join + score", n, time.time() - t)
print(f"(Spark start-up {start_up:.1f} s, not counted)")
spark.stop()
