"""The Python package on a multi-select column (run by tests/multi_select.rs).

    python tests/python_multi_select.py MODEL HOST PORT

The server serves MODEL (trained on a generated file with a multi-select `interests` column)
at --target-precision 0.45. The package scores the same leads with `interests` as text, as
Python lists, tuples, numpy arrays and a pyarrow list column, and each gives the server's
score for the value as text; a list holding a list is refused naming the lead and the column.
MLflow's own scoring client sends the same lists to `/invocations` and gets the same scores.
"""

import json
import sys
import urllib.request

import numpy as np
import pandas as pd
import pyarrow as pa

import leadscore
from mlflow.pyfunc.scoring_server.client import ScoringServerClient
from mlflow.utils.proto_json_utils import dump_input_data

MODEL, HOST, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
AS_OF = "2026-01-01T00:00:00Z"

texts = ["Pricing; API docs", "Careers;Pricing", "Webinars", "Pricing;Partner program", ";", None]
lists = [["Pricing", "API docs"], ["Careers", "Pricing"], ["Webinars"], ["Pricing", "Partner program"], [], None]


def frame(values):
    return pd.DataFrame(
        {"lead_id": [f"L{i}" for i in range(len(values))], "interests": values, "source": "Web", "visits": 3}
    )


def served(values):
    leads = frame(values).astype(object).where(frame(values).notna(), None).to_dict("records")
    req = urllib.request.Request(
        f"http://{HOST}:{PORT}/v1/score?factors=0&as_of={AS_OF}",
        data=json.dumps({"leads": leads}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return [lead["score"] for lead in json.load(r)["leads"]]


def post_factors(leads):
    req = urllib.request.Request(
        f"http://{HOST}:{PORT}/v1/score?factors=10&as_of={AS_OF}",
        data=json.dumps({"leads": leads}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return [
            [f["factor"] for f in lead["factors"]["positive"] + lead["factors"]["negative"] if f["field"] == "interests"]
            for lead in json.load(r)["leads"]
        ]


model = leadscore.load(MODEL, target_precision=0.45)
assert model._m.separators == [";", None, None], model._m.separators
want = served(texts)
assert len(set(want)) >= 4, want
as_text = list(model.score(frame(texts), as_of=AS_OF)["score"])
assert as_text == want, (as_text, want)
for label, values in [
    ("lists", lists),
    ("tuples", [tuple(v) if v is not None else None for v in lists]),
    ("numpy arrays", [np.array(v, dtype=object) if v is not None else None for v in lists]),
]:
    got = list(model.score(frame(values), as_of=AS_OF)["score"])
    assert got == want, (label, got, want)
print("lists, tuples and numpy arrays of options: the server's scores")

table = pa.table(
    {
        "lead_id": [f"L{i}" for i in range(len(lists))],
        "interests": pa.array(lists, type=pa.list_(pa.string())),
        "source": ["Web"] * len(lists),
        "visits": [3] * len(lists),
    }
)
got = list(model.score(table, as_of=AS_OF)["score"])
assert got == want, ("pyarrow list column", got, want)
print("pyarrow list column: the server's scores")

# Numbers among the options are written as the server writes a JSON number's option.
numbers = [[1e16, "Pricing"], [1.5e-7], [10**20], [2.5, 3], [7.0]]
theirs = post_factors([{"lead_id": "N", "interests": v, "source": "Web", "visits": 3} for v in numbers])
ours = model.score(frame(numbers), as_of=AS_OF, factors=10)
for i, v in enumerate(numbers):
    mine = [f["factor"] for f in ours["factors"][i] if f["field"] == "interests"]
    assert mine == theirs[i], (v, mine, theirs[i])
print("numbers among the options: the server's factor texts")

try:
    model.score(frame([["Pricing", ["API docs"]]]), as_of=AS_OF)
    raise AssertionError("a nested list was accepted")
except ValueError as e:
    assert "lead at index 0" in str(e) and "'interests'" in str(e) and "list" in str(e), str(e)
    print(f"nested list: ValueError: {e}")
# MLflow's own scoring client (`/invocations`): a DataFrame whose column holds Python lists and
# numpy arrays (sent under `dataframe_split` as JSON arrays) and a list of dicts (under
# `inputs`). The model has no time-dependent feature, so request-time scoring gives the same
# scores as `/v1/score` at AS_OF.
client = ScoringServerClient(HOST, PORT)
client.wait_server_ready(timeout=30)
for label, values in [
    ("DataFrame of lists", lists),
    ("DataFrame of numpy arrays", [np.array(v, dtype=object) if v is not None else None for v in lists]),
]:
    sent = dump_input_data(frame(values))
    assert "dataframe_split" in sent and '["Pricing", "API docs"]' in sent, sent
    got = client.invoke(frame(values)).get_predictions()
    got = [float(x) for x in (got.iloc[:, 0] if isinstance(got, pd.DataFrame) else got)]
    assert got == want, (label, got, want)
    print(f"mlflow invoke({label}): the server's scores")
records = frame(lists).astype(object).where(frame(lists).notna(), None).to_dict("records")
got = client.invoke(records).get_predictions()
got = [float(x) for x in (got.iloc[:, 0] if isinstance(got, pd.DataFrame) else got)]
assert got == want, ("list of dicts", got, want)
print("mlflow invoke(list of dicts with lists): the server's scores")
print("python multi-select: ok")
