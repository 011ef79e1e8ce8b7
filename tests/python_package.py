"""The Python package against the real server (run by tests/python_package.rs).

    python tests/python_package.py HOST PORT

The server serves models/demo.json at --target-precision 0.5. The script scores every demo
lead that exists at AS_OF with `leadscore.load("models/demo.json").score(leads, events,
as_of=AS_OF)` (pandas, then the same leads as a pyarrow Table), posts the same leads with
their events known at AS_OF to the server's /v1/score, and checks score (1e-12), MQL
decision, tier, gates and factor texts lead by lead. Then the errors: a wrong value raises
ValueError naming the lead's index label and the column; an unattainable target, a missing
model file and an event after as_of are refused; an event type the model never saw is scored
as the server scores it; the cutoff equals the server's.
"""

import json
import math
import sys
import urllib.request

import pandas as pd
import pyarrow as pa

import leadscore

HOST, PORT = sys.argv[1], int(sys.argv[2])
AS_OF = "2025-11-24T00:00:00Z"


def post(path, body):
    req = urllib.request.Request(
        f"http://{HOST}:{PORT}{path}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def get(path):
    with urllib.request.urlopen(f"http://{HOST}:{PORT}{path}", timeout=60) as r:
        return json.loads(r.read())


leads = pd.read_csv("data/demo/leads.csv", dtype=str)
events = pd.read_csv("data/demo/events.csv", dtype=str)
as_of = pd.Timestamp(AS_OF)
created = pd.to_datetime(leads["created_at"], utc=True)
leads = leads[created <= as_of].reset_index(drop=True)
when = pd.to_datetime(events["occurred_at"], utc=True)
events = events[when <= as_of]

model = leadscore.load("models/demo.json", target_precision=0.5)
ours = model.score(leads, events=events, as_of=AS_OF, factors=3)
assert len(ours) == len(leads), (len(ours), len(leads))
print(f"scored {len(ours)} demo leads as of {AS_OF}")

# The same leads through the server, 100 per request, with their events known then.
by_lead = {}
for lead, kind, at in zip(events["lead_id"], events["event_type"], events["occurred_at"]):
    by_lead.setdefault(lead, []).append(
        {"event_type": kind, "occurred_at": pd.Timestamp(at, tz="UTC").isoformat()}
    )
served = []
records = leads.to_dict("records")
for k in range(0, len(records), 100):
    batch = []
    for r in records[k : k + 100]:
        lead = {c: v for c, v in r.items() if isinstance(v, str)}
        lead["events"] = by_lead.get(r["lead_id"], [])
        batch.append(lead)
    served.extend(post(f"/v1/score?as_of={AS_OF}", {"leads": batch})["leads"])

mqls = held = 0
for i, s in enumerate(served):
    o = ours.iloc[i]
    lead = leads["lead_id"][i]
    assert abs(o["score"] - s["score"]) <= 1e-12, (lead, o["score"], s["score"])
    assert bool(o["mql"]) == s["mql"], lead
    assert o["tier"] == s.get("tier"), (lead, o["tier"], s.get("tier"))
    assert list(o["held_back"]) == s.get("held_back_by", []), lead
    theirs = s["factors"]["positive"] + s["factors"]["negative"]
    assert [f["factor"] for f in o["factors"]] == [f["factor"] for f in theirs], lead
    for a, b in zip(o["factors"], theirs):
        assert abs(a["contribution"] - b["contribution"]) <= 1e-9, lead
        assert a["part"] == b["part"] and a["field"] == b["field"], lead
    assert abs(o["fit"] - s["fit"]["log_odds"]) <= 1e-9, lead
    assert abs(o["age_days"] - s["lead_age"]["days"]) <= 1e-9, lead
    assert o["scored_as_days"] == s["lead_age"]["scored_as_days"], lead
    mqls += bool(o["mql"])
    held += len(o["held_back"]) > 0
assert mqls > 20 and held > 20, (mqls, held)
print(f"equal to /v1/score on all {len(served)} leads ({mqls} MQLs, {held} held back by a gate)")

# A pyarrow Table gives the same scores.
table = model.score(pa.Table.from_pandas(leads), events=pa.Table.from_pandas(events), as_of=AS_OF)
assert (table["score"] - ours["score"]).abs().max() == 0.0
print("pyarrow Table: the same scores")

# Creation times and as_of as Unix seconds or milliseconds (a CRM's API): the same scores and
# ages as the dates.
some = leads.head(50).copy()
base = model.score(some, events=events, as_of=AS_OF)
epoch = pd.Timestamp("1970-01-01", tz="UTC")
seconds = [int(s) for s in (pd.to_datetime(some["created_at"], utc=True) - epoch) // pd.Timedelta(seconds=1)]
as_of_ms = int(pd.Timestamp(AS_OF).timestamp()) * 1000
for label, created, when in [
    ("seconds", seconds, AS_OF),
    ("milliseconds", [s * 1000 for s in seconds], as_of_ms),
    ("digits", [str(s) for s in seconds], str(as_of_ms // 1000)),
]:
    unix = some.assign(created_at=created)
    got = model.score(unix, events=events, as_of=when)
    assert (got["score"] - base["score"]).abs().max() == 0.0, label
    assert list(got["age_days"]) == list(base["age_days"]), (label, got["age_days"].head())
print("created_at and as_of as Unix seconds or milliseconds: the same scores and ages")

# The cutoff is the server's.
cutoff = model.cutoff(0.5)
served_cutoff = get("/v1/model")["cutoff"]
assert abs(cutoff["threshold"] - served_cutoff["threshold"]) == 0.0, (cutoff, served_cutoff)
assert len(model.curve) > 10 and {"threshold", "tp", "fp", "precision"} <= set(model.curve)
assert model.weights["weight"].abs().is_monotonic_decreasing
print(f"cutoff at 0.5: {cutoff['threshold']:.4f}, the server's")

# Errors.
def refused(label, call, *needles, error=ValueError):
    """`call()` raises `error` whose text holds every needle; prints it under `label`."""
    try:
        call()
    except error as e:
        text = str(e)
        assert all(n in text for n in needles), text
        print(f"{label}: {error.__name__}: {text}")
        return
    raise AssertionError(f"{label}: accepted")


bad = leads.head(3).copy()
bad.index = ["a", "b", "c"]
bad.loc["b", "company_size"] = "ten"
refused("wrong value", lambda: model.score(bad, events=events, as_of=AS_OF), "'b'", "company_size", "ten")
# A huge value is cut in the message, as the server cuts it; any number of factors is fine
# (a huge one once asked for terabytes and aborted the interpreter).
bad.loc["b", "company_size"] = "x" * 1_000_000
try:
    model.score(bad, events=events, as_of=AS_OF)
    raise AssertionError("a 1 MB company_size was accepted")
except ValueError as e:
    assert "bytes)" in str(e) and len(str(e)) < 1000, len(str(e))
many = model.score(leads.head(2), events=events, as_of=AS_OF, factors=10**12)
assert (many["score"].to_numpy() == ours["score"].head(2).to_numpy()).all()
assert all(len(f) >= 3 for f in many["factors"]), many["factors"]
print("a 1 MB value is cut in the error; factors=10**12 scores as the server does")
late = events.head(1).copy()
late["lead_id"] = leads["lead_id"][0]
late["occurred_at"] = "2026-06-01 00:00:00"
refused("event after as_of", lambda: model.score(leads.head(1), events=late, as_of=AS_OF), "events", "out of range", "2026-06-01T00:00:00Z")
# Times in 32-bit floats (7 digits: a Unix time off by up to a minute) are refused, as training
# refuses such a column, not read at a widened value seconds away from training's reading.
timed = events.head(5).assign(
    occurred_at=(pd.to_datetime(events["occurred_at"].head(5), utc=True) - epoch) // pd.Timedelta(seconds=1)
)
refused(
    "event times in float32",
    lambda: model.score(leads.head(5), events=timed.astype({"occurred_at": "float32"}), as_of=AS_OF),
    "events column 'occurred_at'", "32-bit floats",
)
coarse = pd.Series([float(as_of_ms // 1000)] * 5, index=leads.head(5).index, dtype="float32")
refused("as_of in float32", lambda: model.score(leads.head(5), events=events, as_of=coarse), "as_of", "32-bit floats")
dup = leads.head(2).copy()
dup["lead_id"] = dup["lead_id"].iloc[0]
refused("duplicate lead id", lambda: model.score(dup, events=events, as_of=AS_OF), "appears twice")
# Headers as the CLI reads them: spaces around a name are not part of it (the column scored as
# missing for every lead); a name differing from a model column only in case is refused.
padded = leads.head(5).rename(columns={"industry": " industry ", "job_title": "job_title "})
same = model.score(padded, events=events, as_of=AS_OF, factors=0)
assert (same["score"].to_numpy() == ours["score"].head(5).to_numpy()).all(), same["score"]
cased = leads.head(2).rename(columns={"company_size": "Company_Size"})
refused("a column named in another case", lambda: model.score(cased, events=events, as_of=AS_OF), "'company_size'", "'Company_Size'", "only in case")
print("headers with spaces around them read as the CLI reads them")
# An event type the model never saw is scored, not refused, as by the server: it counts only
# as an active day, and `unseen` names it.
first = leads["lead_id"][0]
odd = events[events["lead_id"] == first].copy()
extra = pd.DataFrame(
    {"lead_id": [first], "event_type": ["bogus_type"], "occurred_at": ["2025-01-05 10:00:00"]}
)
odd = pd.concat([odd, extra], ignore_index=True)
scored = model.score(leads.head(1), events=odd, as_of=AS_OF, factors=0).iloc[0]
assert "events.event_type" in list(scored["unseen"]), scored["unseen"]
lead = {c: v for c, v in leads.head(1).to_dict("records")[0].items() if isinstance(v, str)}
lead["events"] = by_lead.get(first, []) + [
    {"event_type": "bogus_type", "occurred_at": "2025-01-05T10:00:00+00:00"}
]
answer = post(f"/v1/score?factors=0&as_of={AS_OF}", lead)
assert abs(scored["score"] - answer["score"]) <= 1e-12, (scored["score"], answer["score"])
print(f"an event type the model never saw: scored {scored['score']:.4f}, as the server does")
refused("bad tiers", lambda: leadscore.load("models/demo.json", tiers="A=x"))
# Ids of another dtype join all the same (7 and 7.0 and "7" are one id).
numeric = leads.head(30).copy()
numeric["lead_id"] = range(30)
numeric_events = events[events["lead_id"].isin(leads["lead_id"].head(30))].copy()
numeric_events["lead_id"] = numeric_events["lead_id"].map(dict(zip(leads["lead_id"].head(30), range(30)))).astype(float)
again = model.score(numeric, events=numeric_events, as_of=AS_OF)
assert (again["score"].to_numpy() == ours["score"].head(30).to_numpy()).all()
print("numeric ids, float in the events table: the same scores")
# As text, the way the command line joins tables: "7.0" and " 7 " are the leads' 7 too.
text_events = numeric_events.copy()
text_events["lead_id"] = [f" {int(v)}.0 " for v in numeric_events["lead_id"]]
again = model.score(numeric, events=text_events, as_of=AS_OF)
assert (again["score"].to_numpy() == ours["score"].head(30).to_numpy()).all()
print("ids as text with a decimal's zeros and spaces around them: the same scores")
# A per-lead as_of Series is aligned on the index, numpy scalars are times too.
shuffled = leads.head(5).copy()
per_lead = pd.Series([AS_OF] * 5, index=shuffled.index[::-1])
assert (model.score(shuffled, events=events, as_of=per_lead)["score"].to_numpy() == ours["score"].head(5).to_numpy()).all()
seconds = int(pd.Timestamp(AS_OF).timestamp())
import numpy as np
assert (model.score(leads.head(5), events=events, as_of=np.int64(seconds))["score"].to_numpy() == ours["score"].head(5).to_numpy()).all()
print("as_of: a Series aligned on the index and a numpy integer of seconds give the same scores")
# Event times as Unix seconds or milliseconds, as `leadscore-train` reads an events table's.
for scale in (1, 1000):
    unix = events.copy()
    since = pd.to_datetime(unix["occurred_at"], utc=True) - pd.Timestamp("1970-01-01", tz="UTC")
    unix["occurred_at"] = (since // pd.Timedelta(seconds=1)) * scale
    assert (model.score(leads.head(5), events=unix, as_of=AS_OF)["score"].to_numpy() == ours["score"].head(5).to_numpy()).all(), scale
    # As text too (an events file read without types), and an `as_of` column in milliseconds.
    unix["occurred_at"] = unix["occurred_at"].astype(str)
    assert (model.score(leads.head(5), events=unix, as_of=AS_OF)["score"].to_numpy() == ours["score"].head(5).to_numpy()).all(), scale
with_as_of = leads.head(5).copy()
with_as_of["as_of"] = int(pd.Timestamp(AS_OF).timestamp()) * 1000
assert (model.score(with_as_of, events=events)["score"].to_numpy() == ours["score"].head(5).to_numpy()).all()
print("event times in Unix seconds and milliseconds (numbers or text), an as_of column in milliseconds: the same scores")
# A spreadsheet's serial dates (days since 1899-12-30, as numbers or text), as training and
# the server read them (the package refused them).
serial = events.copy()
since = pd.to_datetime(serial["occurred_at"], utc=True) - pd.Timestamp("1970-01-01", tz="UTC")
serial["occurred_at"] = 25569 + (since // pd.Timedelta(seconds=1)) / 86400
for form in (serial, serial.assign(occurred_at=serial["occurred_at"].map(repr))):
    assert (model.score(leads.head(5), events=form, as_of=AS_OF)["score"].to_numpy() == ours["score"].head(5).to_numpy()).all()
print("event times as spreadsheet serial dates (numbers or text): the same scores")
# A column of times in two units (seconds beside serial dates) is refused, as training refuses
# it, naming the row: each read in its own unit, they scored.
mixed = serial.head(2).copy()
mixed["occurred_at"] = [1735689600, 45658]
try:
    model.score(leads.head(5), events=mixed, as_of=AS_OF)
    raise AssertionError("a column of times in two units was read")
except ValueError as e:
    assert "another unit" in str(e), e
print("a column of event times in two units: refused, naming the row")
# Days without their time: a pyarrow `date32` column scores as the same days written as text
# (`2025-06-07`: an event known from the day's last second), as training and the server read
# them (the package read a pyarrow date from midnight).
days = events.copy()
days["occurred_at"] = pd.to_datetime(days["occurred_at"], utc=True).dt.date
as_text = days.assign(occurred_at=days["occurred_at"].map(lambda d: d.isoformat()))
by_text = model.score(leads.head(40), events=as_text, as_of=AS_OF)["score"].to_numpy()
by_date = model.score(leads.head(40), events=pa.Table.from_pandas(days, preserve_index=False), as_of=AS_OF)["score"].to_numpy()
assert (by_date == by_text).all(), (by_date, by_text)
assert (model.score(leads.head(40), events=days, as_of=AS_OF)["score"].to_numpy() == by_text).all()
print("event days without a time (a pyarrow date32 column, Python dates): read as the same days written as text")
# The server reads the same Unix times in a request's events (numbers or digits).
unix_leads = records[:40]
assert sum(len(by_lead.get(r["lead_id"], [])) for r in unix_leads) >= 20, "too few events to prove much"
for name, form in [("seconds", int), ("milliseconds", lambda t: int(t) * 1000), ("digits", lambda t: str(int(t)))]:
    batch = []
    for r in unix_leads:
        lead = {c: v for c, v in r.items() if isinstance(v, str)}
        lead["events"] = [
            {"event_type": e["event_type"], "occurred_at": form(pd.Timestamp(e["occurred_at"]).timestamp())}
            for e in by_lead.get(r["lead_id"], [])
        ]
        batch.append(lead)
    got = [lead["score"] for lead in post(f"/v1/score?as_of={AS_OF}", {"leads": batch})["leads"]]
    assert got == [s["score"] for s in served[: len(unix_leads)]], name
print("the server reads events' Unix seconds, milliseconds and digits as their ISO times")
# Times written as text are read as the server and `leadscore-train score` read them, not as
# pandas guesses: an as_of the server refuses is refused, an event time in another order than
# the model's (ISO here) is refused naming the row, a blank event type is refused.
for word in ["now", "2025", "01/12/2025", "1969-12-31"]:
    refused(f"as_of {word!r}", lambda: model.score(leads.head(1), events=events, as_of=word), "as_of", "is not a time")
slashed = events[events["lead_id"] == first].head(1).copy()
slashed["occurred_at"] = "03/11/2025 10:00"
refused("event time month first", lambda: model.score(leads.head(1), events=slashed, as_of=AS_OF), "events column", "03/11/2025 10:00", "is not a time")
blank = events[events["lead_id"] == first].head(1).copy()
blank["event_type"] = "   "
refused("blank event type (table)", lambda: model.score(leads.head(1), events=blank, as_of=AS_OF), "event type is empty")
listed = leads.head(1).copy()
listed["events"] = [[{"event_type": " ", "occurred_at": "2025-01-05T10:00:00Z"}]]
refused("blank event type (list)", lambda: model.score(listed, as_of=AS_OF), "event_type: is empty")
# Numbers that are no Unix time from 2000 to 2100 are refused, as the server refuses them.
for number in [5, 20250601]:
    listed["events"] = [[{"event_type": "demo_request", "occurred_at": number}]]
    refused(f"event time {number}", lambda: model.score(listed, as_of=AS_OF), "occurred_at", "is not a time")
    refused(f"as_of {number}", lambda: model.score(leads.head(1), events=events, as_of=number), "as_of", "is not a time")
# The zero time is an unset date: an event without its time, refused as missing.
for zero in [0, 0.0, "0", "0000-00-00 00:00:00"]:
    listed["events"] = [[{"event_type": "demo_request", "occurred_at": zero}]]
    refused(f"event time {zero!r}", lambda: model.score(listed, as_of=AS_OF), "occurred_at", "missing", "zero time")
    zeroed = events[events["lead_id"] == first].head(2).copy()
    zeroed["occurred_at"] = zeroed["occurred_at"].astype(object)
    zeroed.iloc[1, zeroed.columns.get_loc("occurred_at")] = zero
    refused(f"events column time {zero!r}", lambda: model.score(leads.head(1), events=zeroed, as_of=AS_OF), "events column", "missing", "zero time")
listed["events"] = [[{"event_type": "demo_request", "occurred_at": "1763900000.5"}]]
assert len(model.score(listed, as_of=AS_OF)) == 1
# A leap second reads as the server reads it (the :59 before it, rounded up for an event).
leap = events[events["lead_id"] == first].head(1).copy()
leap["occurred_at"] = "2016-12-31T23:59:60Z"
model.score(leads.head(1), events=leap, as_of=AS_OF, factors=0)
# Without as_of, now is rounded up, as the server does: an event of this very second counts.
fresh_lead = leads.head(1).copy()
fresh_lead["created_at"] = "2020-01-01 00:00:00"
just_now = pd.Timestamp.now(tz="UTC").isoformat()
fresh_lead["events"] = [[{"event_type": "demo_request", "occurred_at": just_now}]]
with_it = model.score(fresh_lead, factors=100).iloc[0]
texts = [f["factor"] for f in with_it["factors"] if f["field"] == "demo_request"]
assert texts and "none" not in texts[0], texts
print("times as text read as the server reads them; now rounded up")
broken = leads.head(2).astype(object)
broken.loc[broken.index[1], "industry"] = "Soft\ud800"
refused("a lone surrogate", lambda: model.score(broken, events=events, as_of=AS_OF), "lead at index 1", "industry", "not valid Unicode")
assert len(model.score(leads.head(1), events=events, as_of=AS_OF, factors=10**30)) == 1
# A float32 column is read as the decimals it holds (1984.3, not the 1984.300048828125 a
# widening cast makes), as `leadscore-train` reads a Parquet Float32 column: numpy's float32,
# pandas' Float32, a pyarrow float column and a pyarrow Table's float column score as the
# same numbers in float64, factor texts and all.
sized = leads.head(60)
sized = sized[pd.to_numeric(sized["company_size"]).notna()].copy()
sized["company_size"] = pd.to_numeric(sized["company_size"]) + 0.3
wide = model.score(sized, events=events, as_of=AS_OF, factors=100)
narrow = sized["company_size"].astype(np.float32)
assert (narrow.astype(np.float64) != sized["company_size"]).all(), "no float32 widens these values"
for name, form in [
    ("numpy float32", sized.assign(company_size=narrow)),
    ("pandas Float32", sized.assign(company_size=narrow.astype("Float32"))),
    ("pyarrow float", sized.assign(company_size=narrow.astype(pd.ArrowDtype(pa.float32())))),
    ("float32 scalars in an object column", sized.assign(company_size=pd.Series(list(narrow.to_numpy()), index=sized.index, dtype=object))),
    ("pyarrow Table", pa.Table.from_pandas(sized.assign(company_size=narrow), preserve_index=False)),
]:
    got = model.score(form, events=events, as_of=AS_OF, factors=100)
    assert (got["score"].to_numpy() == wide["score"].to_numpy()).all(), name
    assert [[f["factor"] for f in fs] for fs in got["factors"]] == [[f["factor"] for f in fs] for fs in wide["factors"]], name
print(f"float32 company_size (numpy, pandas Float32, pyarrow): read as the decimals it holds, as {len(wide)} float64 leads")
# A float128 (np.longdouble) column is read as its numbers (its `item()` is a longdouble again:
# the package recursed until RecursionError); a number no double holds, as an object cell
# (10**400) or a longdouble, is refused naming the lead and the column; a signaling NaN
# Decimal is missing as a quiet one is (it raised "cannot convert signaling NaN").
import decimal

long = model.score(sized.assign(company_size=sized["company_size"].astype(np.longdouble)), events=events, as_of=AS_OF)
assert (long["score"].to_numpy() == wide["score"].to_numpy()).all(), long["score"]
huge = leads.head(3).copy()
huge.index = ["a", "b", "c"]
huge["company_size"] = huge["company_size"].astype(object)
huge.loc["b", "company_size"] = 10**400
refused("10**400 in an object column", lambda: model.score(huge, events=events, as_of=AS_OF), "'b'", "company_size", "too large a number")
huge["company_size"] = pd.Series(np.array(["1", "1e400", "1"], dtype=np.longdouble), index=huge.index)
refused("1e400 in a float128 column", lambda: model.score(huge, events=events, as_of=AS_OF), "'b'", "company_size", "too large a number")
gaps = leads.head(3).copy()
gaps["company_size"] = [decimal.Decimal("sNaN"), decimal.Decimal("NaN"), None]
assert (model.score(gaps, events=events, as_of=AS_OF)["score"].to_numpy() == model.score(gaps.assign(company_size=None), events=events, as_of=AS_OF)["score"].to_numpy()).all()
# pd.Timestamp.min as an event's time is that time (1677), as its text is: the package's
# `ts - epoch` overflowed pandas' range and raised OutOfBoundsTimedelta.
ancient = events[events["lead_id"] == first].head(1).copy()
ancient["occurred_at"] = [pd.Timestamp.min]
as_text = model.score(leads.head(1), events=ancient.assign(occurred_at="1677-09-21T00:12:44Z"), as_of=AS_OF)["score"].iloc[0]
assert model.score(leads.head(1), events=ancient, as_of=AS_OF)["score"].iloc[0] == as_text
listed_min = leads.head(1).copy()
listed_min["events"] = [[{"event_type": ancient["event_type"].iloc[0], "occurred_at": pd.Timestamp.min}]]
assert model.score(listed_min, as_of=AS_OF)["score"].iloc[0] == as_text
# A Decimal as a time is the number it holds (Unix seconds, as the server reads a JSON number);
# a signaling NaN one in an events table is a missing time naming its row (pandas' own isna
# raised decimal.InvalidOperation on it).
at = 1748736000  # 2025-06-01T00:00:00Z
listed_min["events"] = [[{"event_type": ancient["event_type"].iloc[0], "occurred_at": decimal.Decimal(at)}]]
by_decimal = model.score(listed_min, as_of=AS_OF)["score"].iloc[0]
listed_min["events"] = [[{"event_type": ancient["event_type"].iloc[0], "occurred_at": at}]]
assert by_decimal == model.score(listed_min, as_of=AS_OF)["score"].iloc[0]
signaling = ancient.assign(occurred_at=[decimal.Decimal("sNaN")])
signaling.index = [9]
refused("a signaling NaN event time", lambda: model.score(leads.head(1), events=signaling, as_of=AS_OF), "occurred_at", "missing at row 9")
print("float128 read as its numbers, 10**400 and 1e400 refused naming the lead, sNaN missing, pd.Timestamp.min and a Decimal times")
numbered = events[events["lead_id"] == first].head(1).copy()
numbered.index = np.array([7], dtype=np.int64)
numbered["occurred_at"] = "soon"
refused("a numpy index label", lambda: model.score(leads.head(1), events=numbered, as_of=AS_OF), "at row 7:")
strangers = pd.DataFrame({"Email": ["a@b.io"], "JobTitle": ["CEO"]})
refused("no column the model reads", lambda: model.score(strangers, as_of=AS_OF), "none of the columns sent", "`Email`", "`JobTitle`")
refused("unattainable target", lambda: leadscore.load("models/demo.json", target_precision=0.99))
refused("missing model", lambda: leadscore.load("models/no-such-model.json"), error=OSError)
refused("events not given", lambda: model.score(leads.head(2), as_of=AS_OF), "events")

# The MLflow flavor: saved to a folder, then logged to a local file-store tracking server and
# loaded back through MLflow's own loader; the predictions are the package's scores.
import os
import tempfile

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 keeps the file store opt-in
import mlflow
import mlflow.pyfunc
import yaml

import leadscore.mlflow

sample = leads.head(200).copy()
sample["events"] = [by_lead.get(lead, []) for lead in sample["lead_id"]]
sample["as_of"] = AS_OF
want = ours["score"].head(200)
tmp = tempfile.mkdtemp()
saved = os.path.join(tmp, "saved")
leadscore.mlflow.save_model("models/demo.json", saved, target_precision=0.5)
spec = yaml.safe_load(open(os.path.join(saved, "MLmodel")))
assert spec["flavors"]["leadscore"]["model_id"] == model.model_id, spec
assert spec["flavors"]["python_function"]["loader_module"] == "leadscore.mlflow", spec
assert open(os.path.join(saved, "requirements.txt")).read().startswith("leadscore==")
assert os.path.exists(os.path.join(saved, "python_env.yaml")) and os.path.exists(os.path.join(saved, "conda.yaml"))
got = mlflow.pyfunc.load_model(saved).predict(sample)
assert (got.to_numpy() == want.to_numpy()).all(), (got.head(), want.head())
print(f"mlflow.pyfunc.load_model(saved folder).predict: {len(got)} scores equal the package's")

mlflow.set_tracking_uri("file://" + os.path.join(tmp, "mlruns"))
with mlflow.start_run():
    info = leadscore.mlflow.log_model("models/demo.json", name="lead-score", target_precision=0.5)
got = mlflow.pyfunc.load_model(info.model_uri).predict(sample)
assert (got.to_numpy() == want.to_numpy()).all()
raw = leadscore.mlflow.load_model(info.model_uri)
assert raw.model_id == model.model_id and raw.target_precision == 0.5
print(f"logged to a file store and loaded from {info.model_uri.split(':')[0]}:/...: the same scores")
print("python package: ok")
