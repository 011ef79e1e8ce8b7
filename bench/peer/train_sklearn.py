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
    p.add_argument("--max-examples", type=int, default=600_000,
                   help="demo: at most this many training examples (leadscore-train's default)")
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
    oc = spec.get("outcomes", {})
    text_cols = [c["name"] for c in spec["columns"] if c["transform"] != "numeric"]
    leads = read_csv(a.data, dtype={c: "str" for c in text_cols})
    events = (read_csv(a.events, dtype={"lead_id": "str", "event_type": "category"})
              if a.events else None)
    outcomes = read_csv(a.outcomes, dtype={"lead_id": "str"}) if a.outcomes else None
    stages.lap("read (all files)")

    created_col = t.get("created_at", "created_at")
    used, ev, counts, conv = F.assemble(
        leads, events, outcomes, id_col=id_col, created_col=created_col,
        observation_days=t.get("observation_days", 7), horizon_days=t.get("horizon_days", 90),
        landmarks_days=t.get("landmarks_days"), outcome_id=oc.get("lead_id", "lead_id"),
        converted_at=oc.get("converted_at", "converted_at"),
        converted=oc.get("converted", "converted"), max_examples=a.max_examples, seed=a.seed)
    by_id = leads.set_index(leads[id_col].astype(str), drop=False)
    del events, outcomes
    print(f"point in time: {counts}", file=sys.stderr)
    stages.lap("assemble")
    return used, ev, spec, id_col, by_id, conv


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


def demo_split(a, stages: Stages):
    """The training examples and the holdout examples. With --holdout-ids (a `leadscore-train
    --holdout-out` file): the holdout is exactly that file's rows (each holdout lead at each moment
    ours scored it: every landmark and, for age-aware models, every event), labelled as ours
    labelled them (the peer checks its own labels against them), and the training examples are
    those of every other lead. Without it: 20% of the leads at random (seed), all their examples."""
    used, ev, spec, id_col, by_id, conv = demo_job(a, stages)
    lead_ids = used[id_col].astype(str)
    agreement = {}
    if a.holdout_ids:
        ours = pd.read_csv(a.holdout_ids, dtype={"lead_id": "str"}, keep_default_na=False)
        ours_ids = ours["lead_id"].astype(str)
        known = ours_ids.isin(by_id.index)
        ours = ours[known]
        test = by_id.loc[ours["lead_id"].astype(str)].reset_index(drop=True)
        test["as_of"] = F.to_seconds(ours["as_of"]).to_numpy()
        test["label"] = ours["label"].astype(int).to_numpy()
        horizon = spec.get("time", {}).get("horizon_days", 90) * F.SECONDS_PER_DAY
        theirs = (conv.reindex(test[id_col].astype(str)).to_numpy() <= test["as_of"] + horizon)
        holdout_leads = set(ours["lead_id"].astype(str))
        agreement = {"holdout_leads": len(holdout_leads), "holdout_rows": int(len(test)),
                     "not_used_by_peer": int((~known).sum()),
                     "label_mismatches": int((theirs.astype(int) != test["label"]).sum())}
        train = used[~lead_ids.isin(holdout_leads)].reset_index(drop=True)
        print(f"labels vs leadscore on its holdout: {agreement}", file=sys.stderr)
    else:
        distinct = lead_ids.unique()
        rng = np.random.default_rng(a.seed)
        held = set(rng.choice(distinct, size=round(0.2 * len(distinct)), replace=False))
        is_test = lead_ids.isin(held).to_numpy()
        train, test = (used[~is_test].reset_index(drop=True),
                       used[is_test].reset_index(drop=True))
    return train, test, ev, spec, id_col, agreement


def flat_split(a, used):
    """A flat table's training and holdout leads: leadscore's holdout ids, or a stratified 20%."""
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
        print(f"labels vs leadscore on its holdout: {agreement}", file=sys.stderr)
        is_test = used.index.isin(test_ids)
    else:
        _, test_pos = train_test_split(np.arange(len(used)), test_size=0.2,
                                       stratify=used["label"], random_state=a.seed)
        is_test = np.zeros(len(used), dtype=bool)
        is_test[test_pos] = True
    return used[~is_test], used[is_test], agreement


def main(argv=None) -> int:
    a = parse_args(argv)
    stages = Stages()
    if a.kind == "demo":
        train, test, ev, spec, id_col, agreement = demo_split(a, stages)
    else:
        used, id_col = flat_job(a, stages)
        train, test, agreement = flat_split(a, used)
        ev, spec = None, None
    y_train, y_test = train["label"].to_numpy(), test["label"].to_numpy()

    # Features.
    if a.kind == "demo":
        t = spec.get("time", {})
        landmarks = t.get("landmarks_days")
        ev_spec = spec.get("events", {})
        windows = tuple(ev_spec.get("windows_days", [7, 30, 90]))
        half_life = float(ev_spec.get("half_life_days", 14.0))
        types = ev_spec.get("types") or (
            F.fit_event_types(ev, train.groupby(train[id_col].astype(str))["as_of"].max(),
                              set(train[id_col].astype(str)), ev_spec.get("max_types", 20))
            if ev is not None else [])
        fields = [c["name"] for c in spec["columns"] if c["transform"] != "ignore"]
        created_col = t.get("created_at", "created_at")

        def frame_of(examples):
            parts = [examples[fields]]
            if landmarks:
                created = F.to_seconds(examples[created_col])
                parts.append(F.lead_age_features((examples["as_of"] - created) / F.SECONDS_PER_DAY,
                                                 landmarks))
            if ev is not None:
                parts.append(F.event_features(ev, examples["as_of"], types, windows_days=windows,
                                              half_life_days=half_life,
                                              lead_of=examples[id_col].astype(str)))
            return pd.concat(parts, axis=1)

        frame_train, frame_test = frame_of(train), frame_of(test)
        del ev
        transformers = F.demo_transformers(spec)
        if landmarks:
            transformers.append(("lead age", "passthrough", F.lead_age_columns(landmarks)))
        transformers.append(("events", "passthrough", [c for c in frame_train.columns
                                                       if c.startswith("events: ")]))
    else:
        types, landmarks = [], None
        drop = {id_col, a.label, "label", *a.exclude} - {None}
        keep = [c for c in train.columns if c not in drop]
        frame_train, frame_test = train[keep], test[keep]
        transformers = F.flat_transformers(frame_train)
    pipe = F.make_pipeline(transformers, seed=a.seed, n_jobs=a.n_jobs)
    prep = pipe[:-1]
    x_train = prep.fit_transform(frame_train)
    x_test = prep.transform(frame_test)
    del frame_train, frame_test
    names = list(prep.get_feature_names_out())
    unit = "examples" if a.kind == "demo" else "leads"
    print(f"train {len(y_train)} {unit} ({int(y_train.sum())} converted)   holdout {len(y_test)} "
          f"{unit} ({int(y_test.sum())} converted)   features {x_train.shape[1]}", file=sys.stderr)
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
                     "landmarks": landmarks, "trained_on": os.path.abspath(a.data)}, a.model_out)
    if a.predictions_out:
        ids = test[id_col].astype(str) if a.kind == "demo" else test.index
        pd.DataFrame({"id": ids, "label": y_test, "score": score}).to_csv(
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
