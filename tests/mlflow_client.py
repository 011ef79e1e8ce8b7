"""MLflow's own scoring client against a running leadscore-serve (run by tests/mlflow_client.rs).

    python tests/mlflow_client.py HOST PORT

The server must serve models/demo.json. The script uses
`mlflow.pyfunc.scoring_server.client.ScoringServerClient` unchanged, as MLflow's tools do:

- `wait_server_ready()` (polls `GET /ping`) and `get_version()` (`GET /version`);
- `invoke(DataFrame)`: pandas' missing values (NaN) go over the wire as `NaN` literals under
  `dataframe_split`;
- `invoke(DataFrame)` with a datetime column holding a gap: the client writes it as the text
  `NaT`, which must be refused as the same lead with `null` there is (the model needs a lead's
  creation time), not as a malformed time;
- `invoke(list of dicts)`: the records go under `inputs`, here with an extra column of a type
  the model never reads;
- `invoke(DataFrame)` with an `events` column holding the JSON text of each lead's events (as a
  frame read from a CSV holds them): the server reads the events in the text;

and checks that the predictions equal `/v1/score`'s scores for the same leads. The leads were
created long before any run of the test (the demo model is age-aware and clamps ages past its
last landmark, 90 days) and have no events, so their scores do not depend on when they are
scored: `/invocations` scores at request time, `/v1/score` here too, and both must agree exactly.
Then it reads `GET /metrics` with `prometheus_client`'s text parser: every family the text
declares must parse, among them the ones leadscore-serve always exports.
"""

import json
import math
import sys
import urllib.request

import numpy as np
import pandas as pd
from mlflow.pyfunc.scoring_server.client import ScoringServerClient
from mlflow.utils.proto_json_utils import dump_input_data
from prometheus_client.parser import text_string_to_metric_families

# Scores printed by the same server for the same leads: equal to the last bit, give or take the
# JSON round trip of a float (which Rust's and Python's shortest representations both keep).
TOLERANCE = 0.0

LEADS = [
    {
        "lead_id": "M1",
        "created_at": "2024-01-15T10:00:00Z",
        "email": "ana@acme.io",
        "job_title": "VP Marketing",
        "company_size": 250,
        "industry": "Software",
        "country": "Germany",
        "lead_source": "Referral",
    },
    {
        "lead_id": "M2",
        "created_at": "2024-02-01T08:30:00Z",
        "email": "bo@gmail.com",
        "job_title": None,
        "company_size": None,
        "industry": "Retail & E-commerce",
        "country": None,
        "lead_source": "Paid Social",
    },
    {
        "lead_id": "M3",
        "created_at": "2023-11-20T16:45:00Z",
        "email": "cy@rivalsoft.com",
        "job_title": "Student",
        "company_size": 12,
        "industry": None,
        "country": "India",
        "lead_source": None,
    },
]

# Families leadscore-serve always exports (names as in the text; counters end in _total).
ALWAYS = [
    "leadscore_http_requests_total",
    "leadscore_http_request_duration_seconds",
    "leadscore_leads_scored_total",
    "leadscore_mqls_total",
    "leadscore_score",
    "leadscore_reloads_total",
    "leadscore_model_info",
    "leadscore_cutoff_threshold",
]


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def v1_scores(base, leads):
    body = json.dumps({"leads": leads}).encode("utf-8")
    request = urllib.request.Request(
        f"{base}/v1/score?factors=0",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return [lead["score"] for lead in json.load(response)["leads"]]


def check_predictions(what, response, want):
    got = response.get_predictions()
    if isinstance(got, pd.DataFrame):
        got = got.iloc[:, 0].tolist()
    got = [float(x) for x in got]
    assert len(got) == len(want), f"{what}: {len(got)} predictions for {len(want)} leads"
    for i, (g, w) in enumerate(zip(got, want)):
        assert math.isclose(g, w, rel_tol=0, abs_tol=TOLERANCE), f"{what}: lead {i}: {g} != {w}"
    print(f"{what}: {len(got)} predictions equal /v1/score's: {got}")


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    base = f"http://{host}:{port}"

    client = ScoringServerClient(host, port)
    client.wait_server_ready(timeout=30)
    print("wait_server_ready: ok; /version:", client.get_version())

    want = v1_scores(base, LEADS)

    # A DataFrame whose missing values are NaN, pandas' own missing value.
    frame = pd.DataFrame.from_records(LEADS).replace({None: np.nan})
    assert frame.isna().sum().sum() >= 5, "too few missing values: the test would prove little"
    sent = dump_input_data(frame)
    assert "NaN" in sent and "dataframe_split" in sent, f"the client no longer sends NaN: {sent}"
    check_predictions("invoke(DataFrame with NaN)", client.invoke(frame), want)

    # A datetime column with a gap: the client writes pandas' missing time as the text "NaT",
    # which the server reads as a missing time, as it reads null (this model scores a lead by
    # its age, so either is refused naming the row and the reason, never "NaT" as a bad time).
    dated = frame.head(2).copy()
    dated["created_at"] = pd.to_datetime(dated["created_at"])
    dated.loc[1, "created_at"] = pd.NaT
    sent = dump_input_data(dated)
    assert '"NaT"' in sent, f"the client no longer sends NaT: {sent}"
    refusals = []
    for gap in (dated, dated.astype({"created_at": object}).replace({pd.NaT: None})):
        try:
            client.invoke(gap)
        except Exception as e:  # MlflowException: the server's 400, its message included
            refusals.append(str(e))
        else:
            raise AssertionError("a lead without its creation time was scored")
    for refusal in refusals:
        assert "dataframe_split.data[1][1]: missing" in refusal and "NaT" not in refusal, refusal
    print("invoke(DataFrame with NaT): refused as a missing time, as null is")

    # A list of dicts (sent under `inputs`), with a column the model does not know, of a type
    # no model column could hold.
    records = [dict(lead, notes={"free": ["text", 1]}) for lead in LEADS]
    check_predictions("invoke(list of dicts)", client.invoke(records), want)

    # Events as the JSON text of their list (how a DataFrame read from a CSV holds them, and
    # what the package's MLflow flavor reads too): the client sends the text, the server reads
    # the events in it. The events are years old, so their features do not move between the
    # two requests (past every window and the 365-day cap), but they count as active days.
    old = [
        {"event_type": "demo_request", "occurred_at": "2019-03-04T10:00:00Z"},
        {"event_type": "pricing_page_visit", "occurred_at": "2019-03-05T10:00:00Z"},
    ]
    with_events = [dict(lead, events=old) for lead in LEADS]
    want_events = v1_scores(base, with_events)
    assert want_events != want, "the events changed no score: the test would prove little"
    texts = frame.assign(events=[json.dumps(old)] * len(frame))
    assert '\\"event_type\\"' in dump_input_data(texts), dump_input_data(texts)
    check_predictions("invoke(DataFrame with events as JSON text)", client.invoke(texts), want_events)

    # GET /metrics through the Prometheus text parser.
    text = get(f"{base}/metrics")
    families = list(text_string_to_metric_families(text))
    parsed = set()
    for family in families:
        parsed.add(family.name)
        if family.type == "counter":
            parsed.add(family.name + "_total")
    declared = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
    missing = [name for name in ALWAYS if name not in declared]
    assert not missing, f"families missing from /metrics: {missing}"
    unparsed = [name for name in declared if name not in parsed]
    assert not unparsed, f"declared but not parsed: {unparsed}; parsed: {sorted(parsed)}"
    requests = next(f for f in families if f.name == "leadscore_http_requests")
    invocations = [
        s.value
        for s in requests.samples
        if s.name == "leadscore_http_requests_total"
        and s.labels.get("route") == "/invocations"
        and s.labels.get("status") == "200"
    ]
    assert invocations == [3.0], f"/invocations 200 count: {invocations}"
    print(f"/metrics: {len(families)} families parsed: {', '.join(sorted(f.name for f in families))}")
    print("mlflow client: ok")


if __name__ == "__main__":
    main()
