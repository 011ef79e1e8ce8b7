"""The Python package and MLflow's scoring client on a model with a total (run by tests/totals.rs).

    python tests/python_totals.py MODEL HOST PORT

The server serves MODEL (trained on generated leads whose `emails_opened` is the sum of three
monthly columns) at --target-precision 0.5. The package lists the columns a lead is read from
(not the total), scores leads as the server does from their parts, ignores a column of the
total's name, and MLflow's own client gets the same scores from `/invocations`.
"""

import json
import sys
import urllib.request

import pandas as pd

import leadscore
from mlflow.pyfunc.scoring_server.client import ScoringServerClient

MODEL, HOST, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
AS_OF = "2026-01-01T00:00:00Z"
PARTS = ["emails_jan_opened", "emails_feb_opened", "emails_mar_opened"]

frame = pd.DataFrame(
    {
        "lead_id": ["A", "B", "C", "D", "E"],
        "source": ["Referral", "Web", "Event", "Ads", None],
        "emails_jan_opened": [9, 1, 11, None, 4],
        "emails_feb_opened": [8, 0, 10, 5, 4.5],
        "emails_mar_opened": [7, 2, "3", 6, 4],
    }
)


def served(df):
    leads = df.astype(object).where(df.notna(), None).to_dict("records")
    req = urllib.request.Request(
        f"http://{HOST}:{PORT}/v1/score?factors=20&as_of={AS_OF}",
        data=json.dumps({"leads": leads}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)["leads"]


model = leadscore.load(MODEL, target_precision=0.5)
assert sorted(model.columns) == sorted(["source"] + PARTS), model.columns
assert model.totals == {"emails_opened": PARTS}, model.totals
print(f"columns: {model.columns}; totals: {model.totals}")

theirs = served(frame)
want = [lead["score"] for lead in theirs]
assert len(set(want)) == len(want), want
ours = model.score(frame, as_of=AS_OF, factors=20)
assert list(ours["score"]) == want, (list(ours["score"]), want)
for i, lead in enumerate(theirs):
    mine = [f["factor"] for f in ours["factors"][i] if f["field"] == "emails_opened"]
    server = [f["factor"] for f in lead["factors"]["positive"] + lead["factors"]["negative"] if f["field"] == "emails_opened"]
    assert mine == server, (i, mine, server)
assert [f["factor"] for f in ours["factors"][0] if f["field"] == "emails_opened"] == ["emails_opened = 24"]
print("package: the server's scores and total factors")

# A column of the total's name is not read (the parts decide), as the server ignores the field.
with_total = frame.assign(emails_opened=[0, 99, "x", 1, 2])
assert list(model.score(with_total, as_of=AS_OF)["score"]) == want
# A frame of nothing but the total reads nothing the model reads.
try:
    model.score(pd.DataFrame({"emails_opened": [24]}), as_of=AS_OF)
    raise AssertionError("a frame of the total alone was scored")
except ValueError as e:
    assert "none of the columns sent (`emails_opened`)" in str(e) and "`emails_jan_opened`" in str(e), str(e)
    print(f"total alone: ValueError: {e}")

# MLflow's own scoring client (`/invocations`): the model has no time-dependent feature, so
# request-time scoring gives the scores of `/v1/score` at AS_OF.
client = ScoringServerClient(HOST, PORT)
client.wait_server_ready(timeout=30)
for label, sent in [("parts", frame), ("parts and a total", with_total.assign(emails_opened=[0, 99, 5, 1, 2]))]:
    got = client.invoke(sent).get_predictions()
    got = [float(x) for x in (got.iloc[:, 0] if isinstance(got, pd.DataFrame) else got)]
    assert got == want, (label, got, want)
    print(f"mlflow invoke({label}): the server's scores")
print("python totals: ok")
