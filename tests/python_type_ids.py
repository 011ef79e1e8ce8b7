"""The Python package on a model whose event types are Marketo's numeric activity type ids (run
by tests/type_ids.rs).

    python tests/python_type_ids.py MODEL HOST PORT

MODEL's folder holds the tables it was trained on (leads.csv, activities.csv) and
`leadscore-train score`'s scores of them at AS_OF (scores.csv). The package scores the same
leads with the activities as an integer column, a float column, a text column and as lists of
events holding numbers, and gets the CLI's scores each time; the server, sent the lists as
JSON, agrees.
"""

import json
import os
import sys
import urllib.request

import numpy as np
import pandas as pd

import leadscore

MODEL, HOST, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
HERE = os.path.dirname(MODEL)
AS_OF = "2025-09-01T00:00:00Z"

cli = pd.read_csv(os.path.join(HERE, "scores.csv"), dtype={"leadId": str}).set_index("leadId")["score"]
leads = pd.read_csv(os.path.join(HERE, "leads.csv"), dtype={"leadId": str})
leads = leads[leads["leadId"].isin(cli.index)].reset_index(drop=True)
events = pd.read_csv(os.path.join(HERE, "activities.csv"), dtype={"leadId": str})
assert events["activityTypeId"].dtype == np.int64, events.dtypes
# The activities known at AS_OF (a later one is refused, as the server refuses it).
events = events[pd.to_datetime(events["activityDate"], utc=True) <= pd.Timestamp(AS_OF)]
model = leadscore.load(MODEL)
want = cli.loc[leads["leadId"]].to_numpy()


def check(label, got):
    diff = np.abs(got["score"].to_numpy() - want).max()
    assert diff < 1e-12, f"{label}: scores differ from leadscore-train score's by {diff}"
    print(f"{label}: {len(got)} leads, the CLI's scores")


check("an integer type column", model.score(leads, events=events, as_of=AS_OF))
check(
    "a float type column (2.0)",
    model.score(leads, events=events.astype({"activityTypeId": "float64"}), as_of=AS_OF),
)
check("a text type column", model.score(leads, events=events.astype({"activityTypeId": str}), as_of=AS_OF))

# Each lead's events known at AS_OF as a list of objects holding the id as a number, as a JSON
# API gives them; the server reads the same lists.
lists = {k: [] for k in leads["leadId"]}
for row in events.itertuples():
    if row.leadId in lists:
        lists[row.leadId].append({"event_type": row.activityTypeId, "occurred_at": row.activityDate})
listed = leads.assign(events=[lists[k] for k in leads["leadId"]])
check("lists of events with integer ids", model.score(listed, as_of=AS_OF))
as_python = leads.assign(
    events=[[dict(e, event_type=float(e["event_type"])) for e in lists[k]] for k in leads["leadId"]]
)
check("lists of events with float ids", model.score(as_python, as_of=AS_OF))

body = {
    "leads": [
        {"createdAt": r.createdAt, "source": r.source, "events": [dict(e, event_type=int(e["event_type"])) for e in lists[r.leadId]]}
        for r in leads.head(100).itertuples()
    ]
}
req = urllib.request.Request(
    f"http://{HOST}:{PORT}/v1/score?as_of={AS_OF}",
    data=json.dumps(body).encode(),
    headers={"Content-Type": "application/json"},
)
with urllib.request.urlopen(req) as r:
    served = np.array([lead["score"] for lead in json.load(r)["leads"]])
assert np.abs(served - want[:100]).max() < 1e-12
print("the server, sent the ids as JSON numbers, gives the same scores")

# A type that is neither text nor a number is refused, naming where it is.
bad = leads.head(1).assign(events=[[{"event_type": True, "occurred_at": AS_OF}]])
try:
    model.score(bad, as_of=AS_OF)
    raise AssertionError("a bool event type was accepted")
except ValueError as e:
    assert "events[0].event_type" in str(e), e
    print(f"a bool type: {e}")
print("python type ids: ok")
