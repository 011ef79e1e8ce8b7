#!/usr/bin/env python3
"""The peer training job: "the usual pandas + scikit-learn job", end to end.

Reads the CSVs with pandas, assembles the leads point in time (three tables) or takes a flat
table, builds the features of bench/peer/features.py, picks C with LogisticRegressionCV (5
stratified folds, 8 values of C log-spaced in [1e-3, 1e2], log loss, lbfgs, 2 jobs), refits, and
scores the holdout. Prints the wall time per stage, the holdout ROC AUC, and (with --holdout-ids)
how the labels agree with leadscore's on the same leads.

    # the demo data (the default), holding out exactly the leads `leadscore-train --holdout-out` held out
    python bench/peer/train_sklearn.py --holdout-ids models/demo.holdout.csv --model-out peer.joblib

    # a flat table (X Education): the same columns as the README's command
    python bench/peer/train_sklearn.py --kind flat --data ../shared/datasets/x-education/Leads.csv \\
        --label Converted --id "Prospect ID" --exclude "Lead Number" Tags ... --holdout-ids holdout.csv

Without --holdout-ids the holdout is a stratified random 20% (seed 7). --summary-out writes one
JSON object (timings, AUC, counts, label agreement) for bench/train_vs_sklearn.sh.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tomllib
import warnings

import joblib
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import features as F  # noqa: E402  (imported as `features`, the name serve_fastapi.py unpickles)

REPO = os.path.dirname(os.path.dirname(HERE))
DEMO = os.path.join(REPO, "data", "demo")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kind", choices=["demo", "flat"], default="demo")
    p.add_argument("--data", default=os.path.join(DEMO, "leads.csv"))
    p.add_argument("--events", default=None, help="demo: default data/demo/events.csv")
    p.add_argument("--outcomes", default=None, help="demo: default data/demo/outcomes.csv")
    p.add_argument("--spec", default=os.path.join(DEMO, "spec.toml"), help="demo: the leadscore spec")
    p.add_argument("--label", default="Converted", help="flat: the label column")
    p.add_argument("--id", default=None, help="the id column (demo: the spec's)")
    p.add_argument("--exclude", nargs="*", default=[], help="flat: columns left out")
    p.add_argument("--holdout-ids", default=None,
                   help="leadscore-train --holdout-out file: hold out exactly these leads")
    p.add_argument("--model-out", default=None, help="joblib bundle (see features.py)")
    p.add_argument("--predictions-out", default=None, help="holdout CSV: id,label,score")
    p.add_argument("--summary-out", default=None, help="one JSON object for the bench script")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args(argv)
    if a.kind == "demo":
        if a.data == os.path.join(DEMO, "leads.csv"):
            a.events = a.events or os.path.join(DEMO, "events.csv")
            a.outcomes = a.outcomes or os.path.join(DEMO, "outcomes.csv")
    return a


class Stages:
    def __init__(self):
        self.times: dict[str, float] = {}
        self.t0 = self.last = time.perf_counter()

    def lap(self, name: str):
        now = time.perf_counter()
        self.times[name] = now - self.last
        self.last = now
        print(f"timing {name:<22} {self.times[name]:9.3f} s", file=sys.stderr, flush=True)

    def total(self) -> float:
        return time.perf_counter() - self.t0


def read_csv(path: str, **kw) -> pd.DataFrame:
    return pd.read_csv(path, na_values=F.MISSING_TOKENS, keep_default_na=True, **kw)


def demo_job(a, stages: Stages):
    spec = tomllib.load(open(a.spec, "rb"))
    id_col = a.id or spec.get("id", "lead_id")
    t = spec.get("time", {})
    ev_spec = spec.get("events", {})
    oc = spec.get("outcomes", {})
    text_cols = [c["name"] for c in spec["columns"] if c["transform"] != "numeric"]
    leads = read_csv(a.data, dtype={c: "str" for c in text_cols})
    events = (read_csv(a.events, dtype={"lead_id": "str", "event_type": "category"})
              if a.events else None)
    outcomes = read_csv(a.outcomes, dtype={"lead_id": "str"}) if a.outcomes else None
    stages.lap("read (all files)")

    used, ev, counts = F.assemble(
        leads, events, outcomes, id_col=id_col, created_col=t.get("created_at", "created_at"),
        observation_days=t.get("observation_days", 7), horizon_days=t.get("horizon_days", 90),
        outcome_id=oc.get("lead_id", "lead_id"), converted_at=oc.get("converted_at", "converted_at"),
        converted=oc.get("converted", "converted"))
    del leads, events, outcomes
    used = used.set_index(id_col, drop=False)
    used.index = used.index.astype(str)
    print(f"point in time: {counts}", file=sys.stderr)
    stages.lap("assemble")
    return used, ev, spec, id_col


def flat_job(a, stages: Stages):
    leads = read_csv(a.data)
    stages.lap("read (all files)")
    id_col = a.id
    y = leads[a.label].astype(str).str.strip().str.lower().isin(["1", "true", "yes", "y"])
    leads = leads.assign(label=y.astype(int))
    if id_col:
        leads = leads.set_index(leads[id_col].astype(str), drop=False)
    stages.lap("assemble")
    return leads, id_col


def main(argv=None) -> int:
    a = parse_args(argv)
    stages = Stages()
    ev = None
    if a.kind == "demo":
        used, ev, spec, id_col = demo_job(a, stages)
    else:
        used, id_col = flat_job(a, stages)
        spec = None

    # The split: leadscore's holdout leads, or a stratified random one.
    agreement = {}
    if a.holdout_ids:
        ours = pd.read_csv(a.holdout_ids, dtype={0: "str"}, keep_default_na=False)
        ours_ids = ours.iloc[:, 0].astype(str)
        ours = ours.set_index(ours_ids)
        missing = ~ours_ids.isin(used.index)
        test_ids = ours_ids[~missing]
        peer_labels = used.loc[test_ids, "label"].to_numpy()
        mismatched = int((peer_labels != ours.loc[test_ids, "label"].astype(int).to_numpy()).sum())
        agreement = {"holdout_leads": int(len(ours_ids)), "not_used_by_peer": int(missing.sum()),
                     "label_mismatches": mismatched}
        if a.kind == "demo" and "as_of" in ours:
            peer_as_of = pd.to_datetime(used.loc[test_ids, "as_of"], unit="s", utc=True)
            theirs = pd.to_datetime(ours.loc[test_ids, "as_of"], utc=True, format="ISO8601")
            agreement["as_of_mismatches"] = int((peer_as_of.to_numpy() != theirs.to_numpy()).sum())
        print(f"labels vs leadscore on its holdout: {agreement}", file=sys.stderr)
        is_test = used.index.isin(test_ids)
    else:
        _, test_pos = train_test_split(np.arange(len(used)), test_size=0.2,
                                       stratify=used["label"], random_state=a.seed)
        is_test = np.zeros(len(used), dtype=bool)
        is_test[test_pos] = True
    train, test = used[~is_test], used[is_test]
    y_train, y_test = train["label"].to_numpy(), test["label"].to_numpy()

    # Features.
    if a.kind == "demo":
        ev_spec = spec.get("events", {})
        windows = tuple(ev_spec.get("windows_days", [7, 30, 90]))
        half_life = float(ev_spec.get("half_life_days", 14.0))
        types = ev_spec.get("types") or (
            F.fit_event_types(ev, used["as_of"], train.index, ev_spec.get("max_types", 20))
            if ev is not None else [])
        fields = [c["name"] for c in spec["columns"] if c["transform"] != "ignore"]
        frame = used[fields]
        if ev is not None:
            e = F.event_features(ev, used["as_of"], types, windows_days=windows,
                                 half_life_days=half_life)
            frame = pd.concat([frame, e], axis=1)
            del ev
        transformers = F.demo_transformers(spec)
        transformers.append(("events", "passthrough", [c for c in frame.columns
                                                       if c.startswith("events: ")]))
    else:
        types = []
        drop = {id_col, a.label, "label", *a.exclude} - {None}
        frame = used[[c for c in used.columns if c not in drop]]
        transformers = F.flat_transformers(frame)
    pipe = F.make_pipeline(transformers, seed=a.seed, n_jobs=a.n_jobs)
    prep = pipe[:-1]
    x_train = prep.fit_transform(frame[~is_test])
    x_test = prep.transform(frame[is_test])
    del frame
    names = list(prep.get_feature_names_out())
    print(f"train {len(y_train)} leads ({int(y_train.sum())} converted)   holdout {len(y_test)} "
          f"leads ({int(y_test.sum())} converted)   features {x_train.shape[1]}", file=sys.stderr)
    stages.lap("featurize")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        pipe[-1].fit(x_train, y_train)
    unconverged = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    stages.lap("cross-validate + fit")

    score = pipe[-1].predict_proba(x_test)[:, 1]
    auc = float(roc_auc_score(y_test, score))
    print(f"holdout ROC AUC {auc:.4f}   C {pipe[-1].C_:.4g}   convergence warnings {unconverged}",
          file=sys.stderr)
    stages.lap("evaluate")

    if a.model_out:
        os.makedirs(os.path.dirname(os.path.abspath(a.model_out)), exist_ok=True)
        joblib.dump({"pipeline": pipe, "kind": a.kind, "event_types": list(types),
                     "feature_names": names, "C": float(pipe[-1].C_),
                     "trained_on": os.path.abspath(a.data)}, a.model_out)
    if a.predictions_out:
        pd.DataFrame({"id": test.index, "label": y_test, "score": score}).to_csv(
            a.predictions_out, index=False)
    stages.lap("write")
    total = stages.total()
    print(f"timing {'total':<22} {total:9.3f} s", file=sys.stderr)
    if a.summary_out:
        with open(a.summary_out, "w") as f:
            json.dump({"timings": stages.times, "total_s": total, "roc_auc": auc,
                       "train_leads": int(len(y_train)), "train_positives": int(y_train.sum()),
                       "holdout_leads": int(len(y_test)), "holdout_positives": int(y_test.sum()),
                       "features": int(x_train.shape[1]), "C": float(pipe[-1].C_),
                       "convergence_warnings": unconverged, "event_types": list(types),
                       "agreement": agreement}, f)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
