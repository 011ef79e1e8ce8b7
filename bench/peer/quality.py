#!/usr/bin/env python3
"""The accuracy yardstick's peers (bench/quality.sh): what a data scientist would fit instead of
leadscore, on leadscore's own split, scored with the same metrics as leadscore's holdout file.

    python bench/peer/quality.py --data Leads.csv --label Converted --id "Prospect ID" \\
        --exclude "Lead Number" Tags ... --spec inferred-spec.toml \\
        --ours "leadscore (spec inferred)" holdout.csv ours.err ours.wall \\
        --title "X Education" --out-dir bench/out/quality/xeducation

The split: every peer trains on the rows whose id is not in the first --ours holdout file and is
scored on exactly the rows that are (the ids `leadscore-train train --holdout-out` wrote); the
labels are checked against that file's.

The peers' input: the columns leadscore's spec (--spec) turns into features, each as the raw value
its transform starts from, so that every model sees the same information:
  numeric              the number (missing stays missing)
  categorical, boolean the text as a level (missing stays missing)
  email                the domain class (business, free webmail, education, ...: features.py)
  job_title            the seniority class from keywords (features.py)
  timestamp            days since 1970 (a number) plus month and weekday (levels)
  ignore               left out
Without --spec: numbers by pandas dtype, everything else a level. Columns named by --id, --label
and --exclude are always left out. leadscore's own engineering on top (quantile bins, log1p,
rare-level grouping, missing indicators) is not given to the peers: trees bin by themselves,
and the logistic peer is the plain "one-hot + standardize" pipeline.

The peers (all scored on the same holdout rows; tuning is inside the training rows only):
  scikit-learn logistic    impute (median / "(missing)"), standardize the numbers, one-hot the
                           levels; LogisticRegressionCV over 13 values of C in [1e-4, 1e2],
                           5 stratified folds, log loss
  HistGradientBoosting     native categorical support, defaults; and a grid (below)
  EBM                      interpret-core's ExplainableBoostingClassifier, defaults (its default
                           interactions)
  LightGBM                 pandas categoricals, defaults; and a grid (below)
  the grids                learning rate {0.03, 0.1} x leaves {2, 4, 8, 16, 32} x minimum examples a
                           leaf {20, 50, 100}, 5 stratified folds, log loss; the number of trees (up
                           to 2,000) by early stopping: HistGradientBoosting's own (10% of each
                           fit's rows held out, 10 iterations' patience) in GridSearchCV,
                           refit on all training rows (stopping the same way); LightGBM's
                           `lgb.cv` (the folds' mean log loss, 50 rounds' patience), refit on
                           all training rows with the best count

Fit time is the wall clock of `fit` (preprocessing, tuning and the final fit), measured in this
process; leadscore's is the wall time of its `train` command less the `read`, `evaluate` and
`write` stages it reports with --timings (so: featurizing, the bins, penalty and pairs searches,
and the fits).
Writes DIR/table.md (printed too), DIR/results.json and DIR/predictions.csv (id, label, a score
column per model).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import tomllib
import warnings

# OpenMP threads (HistGradientBoosting, LightGBM) that spin while waiting take 5 to 40 times
# longer on a machine other processes also load: set before any library starts OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegressionCV  # noqa: E402
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import features as F  # noqa: E402  (email classes, seniority, missing tokens: as leadscore's)

MAX_TREE_LEVELS = 250  # HistGradientBoosting takes at most 255 categories a feature
PROBA_EPS = 1e-15


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="the flat CSV (one row a lead, label included)")
    p.add_argument("--label", required=True)
    p.add_argument("--positive", nargs="*", default=["1", "true", "yes", "y"])
    p.add_argument("--id", required=True)
    p.add_argument("--exclude", nargs="*", default=[])
    p.add_argument("--spec", default=None, help="leadscore spec TOML: the columns' transforms")
    p.add_argument("--ours", nargs=4, action="append", required=True,
                   metavar=("NAME", "HOLDOUT_CSV", "STDERR", "WALL"),
                   help="a leadscore run: its name, --holdout-out file, stderr (with --timings) "
                        "and a file holding its wall time in seconds; the first one's holdout "
                        "ids are the split")
    p.add_argument("--title", required=True)
    p.add_argument("--context", default=None, help="a file whose text heads the table")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--models", default="logistic,hgb,hgb-grid,ebm,lgbm,lgbm-grid",
                   help="comma-separated subset of the peers")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--bootstrap", type=int, default=2000,
                   help="paired bootstrap resamples of the holdout for the AUC difference")
    return p.parse_args(argv)


# --- the peers' input ------------------------------------------------------------------------

def read_roles(spec_path, frame, drop):
    """column -> (transform, options) for the feature columns, from the spec or by dtype."""
    roles = {}
    if spec_path:
        spec = tomllib.load(open(spec_path, "rb"))
        competitors = spec.get("competitor_domains", [])
        for c in spec.get("columns", []):
            name, kind = c["name"], c.get("transform", "ignore")
            # A `sum_of` column is leadscore's own feature (a family's total), not in the
            # file: the peers get the file's columns, as a data scientist would.
            if name in drop or kind == "ignore" or c.get("sum_of"):
                continue
            if name not in frame.columns:
                raise SystemExit(f"{spec_path}: column `{name}` is not in the data")
            if kind == "email":
                roles[name] = ("email", competitors)
            elif kind in ("numeric", "categorical", "boolean", "job_title", "timestamp"):
                roles[name] = (kind, None)
            else:
                # A transform the peers do not know: the raw value, by dtype (said on stderr).
                guess = "numeric" if pd.api.types.is_numeric_dtype(frame[name]) else "categorical"
                print(f"note: column `{name}`: transform {kind!r} given to the peers as {guess}",
                      file=sys.stderr)
                roles[name] = (guess, None)
        return roles
    for name in frame.columns:
        if name in drop:
            continue
        kind = "numeric" if pd.api.types.is_numeric_dtype(frame[name]) else "categorical"
        roles[name] = (kind, None)
    return roles


def peer_frame(raw, roles, path):
    """The peers' input columns: numbers as float64, levels as object (missing as NaN)."""
    cols = {}
    numeric, levels = [], []
    for name, (kind, opt) in roles.items():
        s = raw[name]
        if kind == "numeric":
            try:
                cols[name] = pd.to_numeric(s).astype("float64")
            except (ValueError, TypeError) as e:
                raise SystemExit(f"{path}: column `{name}`: expected numbers ({e})") from None
            numeric.append(name)
        elif kind in ("categorical", "boolean"):
            cols[name] = s.map(lambda v: str(v).strip(), na_action="ignore").astype(object)
            levels.append(name)
        elif kind == "email":
            cols[name] = F.email_classes(s, opt)
            levels.append(name)
        elif kind == "job_title":
            cols[name] = F.seniorities(s)
            levels.append(name)
        elif kind == "timestamp":
            t = pd.to_datetime(s, format="ISO8601", utc=True)
            cols[f"{name}: days since 1970"] = (t - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / 86400
            cols[f"{name}: month"] = t.dt.month.map(lambda m: f"{m:02d}", na_action="ignore").astype(object)
            cols[f"{name}: weekday"] = t.dt.day_name().astype(object)
            numeric.append(f"{name}: days since 1970")
            levels += [f"{name}: month", f"{name}: weekday"]
    frame = pd.DataFrame(cols, index=raw.index)
    return frame, numeric, levels


def as_categories(train, test, levels):
    """Levels as pandas categoricals with the training rows' levels (the most frequent
    MAX_TREE_LEVELS; rarer ones and levels unseen in training become missing)."""
    train, test = train.copy(), test.copy()
    for c in levels:
        keep = sorted(train[c].value_counts().index[:MAX_TREE_LEVELS])
        dtype = pd.CategoricalDtype(keep)
        train[c] = train[c].where(train[c].isin(keep)).astype(dtype)
        test[c] = test[c].where(test[c].isin(keep)).astype(dtype)
    return train, test


# --- the peers -------------------------------------------------------------------------------

def folds(seed):
    return StratifiedKFold(5, shuffle=True, random_state=seed)


# The boosted peers' grid: learning rate x leaves x minimum examples a leaf, the number of trees
# found by early stopping for each (no fixed count to guess).
GRID = {"learning_rate": [0.03, 0.1], "leaves": [2, 4, 8, 16, 32], "min_leaf": [20, 50, 100]}
MAX_TREES = 2000
PATIENCE = 50  # LightGBM: rounds without a better CV log loss before it stops


def logistic(numeric, levels, a):
    return Pipeline([
        ("features", ColumnTransformer([
            ("num", Pipeline([("impute", SimpleImputer(strategy="median")),
                              ("scale", StandardScaler())]), numeric),
            ("cat", Pipeline([("impute", SimpleImputer(strategy="constant",
                                                       fill_value=F.MISSING_LEVEL)),
                              ("onehot", OneHotEncoder(handle_unknown="ignore"))]), levels),
        ])),
        ("model", LogisticRegressionCV(
            Cs=np.logspace(-4, 2, 13), l1_ratios=(0.0,), cv=folds(a.seed),
            scoring="neg_log_loss", solver="lbfgs", max_iter=5000, n_jobs=a.n_jobs,
            use_legacy_attributes=False)),
    ])


def hgb(a, grid=False):
    if not grid:
        return HistGradientBoostingClassifier(categorical_features="from_dtype",
                                              random_state=a.seed)
    # Each candidate stops adding trees when 10% of its training rows, held out inside the fit,
    # have not improved for 10 iterations (scikit-learn's own early stopping). The candidates
    # run two at a time (processes, one thread each).
    m = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=a.seed,
                                       max_iter=MAX_TREES, early_stopping=True,
                                       validation_fraction=0.1, n_iter_no_change=10)
    return GridSearchCV(m, {"learning_rate": GRID["learning_rate"],
                            "max_leaf_nodes": GRID["leaves"],
                            "min_samples_leaf": GRID["min_leaf"]},
                        scoring="neg_log_loss", cv=folds(a.seed), n_jobs=a.n_jobs)


class LightGBMCV:
    """LightGBM tuned the way its documentation suggests: for each point of GRID, `lgb.cv` on the
    5 stratified folds with early stopping on the folds' mean log loss; the point with the lowest
    one wins and is refitted on all training rows with its number of trees."""

    def __init__(self, a):
        self.a = a

    def fit(self, x, y):
        import lightgbm as lgb
        split = list(folds(self.a.seed).split(x, y))
        best = None
        for lr in GRID["learning_rate"]:
            for leaves in GRID["leaves"]:
                for min_leaf in GRID["min_leaf"]:
                    params = {"objective": "binary", "metric": "binary_logloss",
                              "learning_rate": lr, "num_leaves": leaves,
                              "min_child_samples": min_leaf, "seed": self.a.seed,
                              "num_threads": self.a.n_jobs, "verbose": -1}
                    data = lgb.Dataset(x, y, free_raw_data=False)
                    res = lgb.cv(params, data, num_boost_round=MAX_TREES, folds=split,
                                 callbacks=[lgb.early_stopping(PATIENCE, verbose=False)])
                    curve = res["valid binary_logloss-mean"]
                    trees = int(np.argmin(curve)) + 1
                    if best is None or curve[trees - 1] < best[0]:
                        best = (curve[trees - 1], params, trees)
        _, params, trees = best
        self.best_params_ = {"learning_rate": params["learning_rate"],
                             "num_leaves": params["num_leaves"],
                             "min_child_samples": params["min_child_samples"], "trees": trees}
        self.model_ = lgb.LGBMClassifier(
            n_estimators=trees, learning_rate=params["learning_rate"],
            num_leaves=params["num_leaves"], min_child_samples=params["min_child_samples"],
            random_state=self.a.seed, n_jobs=self.a.n_jobs, verbose=-1).fit(x, y)
        return self

    def predict_proba(self, x):
        return self.model_.predict_proba(x)


def lgbm(a, grid=False):
    if grid:
        return LightGBMCV(a)
    import lightgbm as lgb
    return lgb.LGBMClassifier(random_state=a.seed, n_jobs=a.n_jobs, verbose=-1)


def lgbm_names(frame):
    """The frame with column names LightGBM accepts (it refuses `"`, `,`, `:`, `[`, `]`, `{`, `}`:
    the timestamp columns' "NAME: month")."""
    names = [re.sub(r'[",:\[\]{}]', "_", c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise SystemExit(f"column names collide once made LightGBM-safe: {names}")
    return frame.set_axis(names, axis=1)


def ebm(a):
    from interpret.glassbox import ExplainableBoostingClassifier
    return ExplainableBoostingClassifier(random_state=a.seed, n_jobs=a.n_jobs)


def describe(key, model):
    """One line of what a fitted peer chose."""
    if key == "logistic":
        m = model[-1]
        return f"C = {float(np.ravel(m.C_)[0]):.4g}"
    if key == "hgb-grid":
        chosen = ", ".join(f"{k} {v}" for k, v in model.best_params_.items())
        return f"{chosen}, {model.best_estimator_.n_iter_} trees (early stopping)"
    if key == "lgbm-grid":
        return ", ".join(f"{k} {v}" for k, v in model.best_params_.items())
    if key == "ebm":
        n_pairs = sum(1 for t in model.term_features_ if len(t) > 1)
        return f"{n_pairs} pairwise interaction terms"
    if key == "hgb":
        return f"{model.n_iter_} trees"
    return ""


PEERS = {
    "logistic": "scikit-learn logistic (one-hot + standardize, LogisticRegressionCV)",
    "hgb": "scikit-learn HistGradientBoosting (defaults)",
    "hgb-grid": "scikit-learn HistGradientBoosting (grid of 30, early stopping)",
    "ebm": "InterpretML EBM (defaults)",
    "lgbm": "LightGBM (defaults)",
    "lgbm-grid": "LightGBM (grid of 30, lgb.cv early stopping)",
}


# --- leadscore's runs ------------------------------------------------------------------------

def ours_fit_seconds(stderr_path, wall):
    """The `train` command's wall time less its `read`, `evaluate` and `write` stages (its
    --timings lines): featurizing, every cross-validation and every fit. (The stages in between
    are not summed: `pairs` includes the refit with the pairs, which `fit` counts too.)
    Returns (seconds, stages)."""
    stages = []
    for line in open(stderr_path, encoding="utf-8", errors="replace"):
        m = re.match(r"timing (.+?)\s+([0-9.]+) s$", line.strip())
        if m:
            stages.append((m.group(1), float(m.group(2))))
    outside = sum(secs for name, secs in stages if name in ("read", "evaluate", "write"))
    return (wall - outside if stages else float("nan")), stages


def ours_reported_auc(stderr_path, stdout_path=None):
    for p in (stdout_path, stderr_path):
        if p and os.path.exists(p):
            m = re.search(r"ROC AUC ([0-9.]+)\s+PR AUC", open(p, encoding="utf-8", errors="replace").read())
            if m:
                return float(m.group(1))
    return None


# --- metrics ---------------------------------------------------------------------------------

def metrics(y, p):
    p = np.clip(np.asarray(p, dtype=np.float64), PROBA_EPS, 1 - PROBA_EPS)
    return {"roc_auc": float(roc_auc_score(y, p)), "pr_auc": float(average_precision_score(y, p)),
            "log_loss": float(log_loss(y, p, labels=[0, 1]))}


def paired_bootstrap(y, p1, p2, n, seed):
    """95% interval of AUC(p1) - AUC(p2) over stratified resamples of the holdout rows."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    diffs = np.empty(n)
    for i in range(n):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        diffs[i] = roc_auc_score(y[idx], p1[idx]) - roc_auc_score(y[idx], p2[idx])
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return float(lo), float(hi), float((diffs >= 0).mean())


# --- main ------------------------------------------------------------------------------------

def main(argv=None) -> int:
    a = parse_args(argv)
    os.makedirs(a.out_dir, exist_ok=True)
    raw = pd.read_csv(a.data, na_values=F.MISSING_TOKENS, keep_default_na=True,
                      dtype={a.id: "str"})
    if a.id not in raw or a.label not in raw:
        raise SystemExit(f"{a.data}: needs the columns `{a.id}` and `{a.label}`")
    if raw[a.id].isna().any() or raw[a.id].duplicated().any():
        raise SystemExit(f"{a.data}: column `{a.id}` has missing or repeated ids")
    positive = {v.lower() for v in a.positive}
    y_all = raw[a.label].astype(str).str.strip().str.lower().isin(positive).astype(int).to_numpy()
    raw = raw.set_index(raw[a.id].astype(str))
    drop = {a.id, a.label, *a.exclude}
    roles = read_roles(a.spec, raw, drop)
    frame, numeric, levels = peer_frame(raw, roles, a.data)

    # The split: the first leadscore run's holdout ids.
    ours_runs = []
    for name, holdout_csv, err, wall in a.ours:
        h = pd.read_csv(holdout_csv, dtype={0: "str"}, keep_default_na=False)
        h = h.set_index(h.iloc[:, 0].astype(str))
        ours_runs.append((name, h, err, float(open(wall).read().strip())))
    first = ours_runs[0][1]
    unknown = ~first.index.isin(frame.index)
    if unknown.any():
        raise SystemExit(f"{a.ours[0][1]}: {int(unknown.sum())} holdout ids are not in {a.data} "
                         f"(first: {first.index[unknown][0]!r})")
    if first.index.duplicated().any():
        raise SystemExit(f"{a.ours[0][1]}: repeated ids (a landmark holdout, not a flat one)")
    is_test = frame.index.isin(first.index)
    test_ids = frame.index[is_test]
    y_train, y_test = y_all[~is_test], y_all[is_test]
    mismatched = int((first.loc[test_ids, "label"].astype(int).to_numpy() != y_test).sum())
    if mismatched:
        raise SystemExit(f"{a.ours[0][1]}: {mismatched} labels differ from {a.data}'s `{a.label}`")
    x_train, x_test = frame[~is_test], frame[is_test]
    print(f"{a.title}: train {len(y_train)} ({int(y_train.sum())} converted), holdout "
          f"{len(y_test)} ({int(y_test.sum())} converted); peers' input: {len(numeric)} numeric, "
          f"{len(levels)} level columns", file=sys.stderr)

    rows, preds = [], pd.DataFrame({"id": test_ids, "label": y_test})
    for name, h, err, wall in ours_runs:
        same = set(h.index) == set(test_ids)
        hy = h["label"].astype(int).to_numpy()
        hp = h["score"].astype(float).to_numpy()
        fit_s, stages = ours_fit_seconds(err, wall)
        row = {"model": name, "kind": "leadscore", **metrics(hy, hp), "fit_s": fit_s,
               "wall_s": wall, "stages": stages, "same_split": same,
               "reported_roc_auc": ours_reported_auc(err, err.replace(".err", ".out")),
               "chose": ""}
        rows.append(row)
        if same:
            preds[name] = h.loc[test_ids, "score"].astype(float).to_numpy()

    xc_train, xc_test = as_categories(x_train, x_test, levels)
    for key in [k.strip() for k in a.models.split(",") if k.strip()]:
        if key not in PEERS:
            raise SystemExit(f"--models: unknown peer {key!r} (known: {', '.join(PEERS)})")
        if key == "logistic":
            model, xtr, xte = logistic(numeric, levels, a), x_train, x_test
        elif key in ("hgb", "hgb-grid"):
            model, xtr, xte = hgb(a, key.endswith("grid")), xc_train, xc_test
        elif key in ("lgbm", "lgbm-grid"):
            model = lgbm(a, key.endswith("grid"))
            xtr, xte = lgbm_names(xc_train), lgbm_names(xc_test)
        else:
            model, xtr, xte = ebm(a), x_train, x_test
        print(f"fitting {PEERS[key]}", file=sys.stderr, flush=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            t0 = time.perf_counter()
            model.fit(xtr, y_train)
            fit_s = time.perf_counter() - t0
        unconverged = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        p = model.predict_proba(xte)[:, 1]
        preds[PEERS[key]] = p
        row = {"model": PEERS[key], "kind": key, **metrics(y_test, p), "fit_s": fit_s,
               "chose": describe(key, model), "convergence_warnings": unconverged}
        rows.append(row)
        print(f"  ROC AUC {row['roc_auc']:.4f}   fit {fit_s:.1f} s   {row['chose']}",
              file=sys.stderr, flush=True)

    # leadscore (the first run) against the best peer by ROC AUC, with a paired bootstrap.
    ours0 = rows[0]
    peers = [r for r in rows if r["kind"] != "leadscore"]
    comparison = None
    if peers:
        best = max(peers, key=lambda r: r["roc_auc"])
        lo, hi, share = paired_bootstrap(y_test, preds[ours0["model"]].to_numpy(),
                                         preds[best["model"]].to_numpy(), a.bootstrap, a.seed)
        comparison = {"ours": ours0["model"], "best_peer": best["model"],
                      "diff": ours0["roc_auc"] - best["roc_auc"], "ci95": [lo, hi],
                      "share_ours_ge": share, "resamples": a.bootstrap}

    lines = [f"### {a.title}", ""]
    if a.context:
        lines += [open(a.context).read().strip(), ""]
    lines += [f"holdout {len(y_test):,} leads ({int(y_test.sum()):,} converted, leadscore's "
              f"split), train {len(y_train):,} ({int(y_train.sum()):,} converted)", "",
              "| model | ROC AUC | PR AUC | log loss | fit (s) |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        mark = "" if r.get("same_split", True) else " (its own split)"
        lines.append(f"| {r['model']}{mark} | {r['roc_auc']:.4f} | {r['pr_auc']:.4f} | "
                     f"{r['log_loss']:.4f} | {r['fit_s']:.1f} |")
    lines.append("")
    if comparison:
        c = comparison
        lines.append(f"**{c['ours']} ROC AUC minus the best peer's ({c['best_peer']}): "
                     f"{c['diff']:+.4f}** (paired bootstrap over the holdout, {c['resamples']} "
                     f"resamples: 95% interval {c['ci95'][0]:+.4f} to {c['ci95'][1]:+.4f}; "
                     f"leadscore ahead or level in {100 * c['share_ours_ge']:.0f}% of them)")
        lines.append("")
    chose = [f"{r['model']}: {r['chose']}" for r in rows if r.get("chose")]
    if chose:
        lines.append("Chosen in the training rows: " + "; ".join(chose) + ".")
    notes = []
    for r in rows:
        if r["kind"] == "leadscore":
            st = ", ".join(f"{n} {s:.2f}" for n, s in r["stages"])
            rep = r["reported_roc_auc"]
            notes.append(f"{r['model']}: whole `train` command {r['wall_s']:.1f} s wall "
                         f"(stages, s: {st})"
                         + (f"; it printed ROC AUC {rep:.4f}" if rep is not None else ""))
        elif r.get("convergence_warnings"):
            notes.append(f"{r['model']}: {r['convergence_warnings']} convergence warnings")
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(a.out_dir, "table.md"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out_dir, "results.json"), "w") as f:
        json.dump({"title": a.title, "train": [len(y_train), int(y_train.sum())],
                   "holdout": [len(y_test), int(y_test.sum())], "numeric": numeric,
                   "levels": levels, "rows": rows, "comparison": comparison}, f, indent=1)
        f.write("\n")
    preds.to_csv(os.path.join(a.out_dir, "predictions.csv"), index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
