"""The peer's features: "the usual pandas + scikit-learn job" that leadscore is measured against.

Used by bench/peer/train_sklearn.py (training, bench/train_vs_sklearn.sh) and
bench/peer/serve_fastapi.py (serving, bench/serve_vs_fastapi.sh). It mirrors leadscore's feature
definition (crates/core/src/fitted.rs, crates/core/src/value.rs, crates/train/src/assemble.rs,
data/demo/spec.toml) with pandas and scikit-learn building blocks, as a data scientist would write
it; it is close to ours, not bit-identical (see "Where the peer differs" in bench/README.md).

Contract of the saved model (what train_sklearn.py --model-out writes, with joblib):

    bundle = joblib.load(path)
    bundle["pipeline"]     sklearn Pipeline: input -> features -> scale -> model, all fitted;
                           pipeline[:-1] maps a lead_frame() to standardized features (mean 0 on
                           the training split) and get_feature_names_out() names them;
                           pipeline[-1] is the fitted LogisticRegressionCV (coef_, intercept_,
                           predict_proba; class 1 = converted)
    bundle["kind"]         "demo" (leads + events + outcomes, point in time) or "flat" (one table
                           with the label as a column, X Education)
    bundle["event_types"]  event types with features (demo; [] for flat)
    bundle["feature_names"], bundle["C"], bundle["trained_on"]   for reports

To score leads given as the JSON objects of leadscore's HTTP API (field -> value, plus an optional
"events": [{"event_type": ..., "occurred_at": RFC 3339}, ...]):

    frame = lead_frame(leads, as_of)                  # as_of: aware datetime (or RFC 3339 text)
    proba = bundle["pipeline"].predict_proba(frame)[:, 1]
    x = bundle["pipeline"][:-1].transform(frame)      # standardized features
    contributions = x * bundle["pipeline"][-1].coef_[0]   # per feature, vs an average lead

lead_frame needs no fitted state: it keeps the fields as given and computes the event features
for whatever event types the request holds. The pipeline's first step (InputColumns) then selects
the training columns, in order: a field the request lacks is missing, an event type the request
lacks gets the "never happened" values, extra fields and types are dropped (as ours ignores them).
Text in a numeric field raises ValueError (ours answers 422 invalid_field).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer, OneHotEncoder, StandardScaler

# --- the definitions shared with leadscore (crates/core) ---------------------------------------

#: Cell values read as missing (leadscore's default missing tokens).
MISSING_TOKENS = ["", "NA", "N/A", "null", "NULL", "None", "Select"]
SECONDS_PER_DAY = 86_400
DAYS_SINCE_CAP = 365.0
MISSING_LEVEL = "(missing)"

EMAIL_CLASSES = ["business", "free webmail", "education", "disposable", "competitor", "invalid"]
SENIORITY_CLASSES = ["c-level", "vp", "director", "manager", "individual", "student"]

# crates/core/src/value.rs
FREE_WEBMAIL = [
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.co.in", "ymail.com",
    "hotmail.com", "hotmail.co.uk", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com",
    "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de",
    "mail.com", "yandex.com", "yandex.ru", "mail.ru", "zoho.com", "qq.com", "163.com", "126.com",
    "rediffmail.com", "fastmail.com", "hey.com", "tutanota.com", "orange.fr", "free.fr",
    "laposte.net", "libero.it", "t-online.de", "comcast.net", "verizon.net", "btinternet.com",
]
DISPOSABLE = [
    "mailinator.com", "guerrillamail.com", "10minutemail.com", "tempmail.com", "temp-mail.org",
    "yopmail.com", "trashmail.com", "sharklasers.com", "getnada.com", "dispostable.com",
    "throwawaymail.com", "maildrop.cc", "fakeinbox.com",
]
_WORDS = {
    "student": ["student", "intern", "internship", "trainee"],
    "c_level": ["ceo", "cto", "cfo", "coo", "cmo", "cio", "cro", "cso", "cpo", "founder",
                "cofounder", "owner", "president", "partner"],
    "vp": ["vp", "svp", "evp", "head"],
    "director": ["director", "directeur"],
    "manager": ["manager", "lead", "supervisor", "mgr", "principal"],
}


_EDU = re.compile(r"\.edu$|\.edu\.|\.ac\.|^students?\.|\.student\.")
_FREE = frozenset(FREE_WEBMAIL)


def _is_or_under(domain: str, listed: str) -> bool:
    return domain == listed or domain.endswith("." + listed)


def email_class(email: str, competitor_domains=()) -> str:
    """Domain class of one address (or bare domain), as ours classifies it."""
    e = email.strip()
    local, at, domain = e.rpartition("@")
    if at and not local:
        return "invalid"
    domain = (domain if at else e).rstrip(".").lower()
    if not domain or "." not in domain or any(c.isspace() for c in domain):
        return "invalid"
    if any(_is_or_under(domain, c.strip().lower()) for c in competitor_domains if c.strip()):
        return "competitor"
    if any(_is_or_under(domain, d) for d in DISPOSABLE):
        return "disposable"
    if domain in _FREE:
        return "free webmail"
    if _EDU.search(domain):
        return "education"
    return "business"


_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_GROUPS = {k: frozenset(v) for k, v in _WORDS.items()}


def seniority(title: str) -> str:
    """Seniority class of one job title from keywords, as ours classifies it."""
    words = set(w for w in _WORD_SPLIT.split(title.lower()) if w)
    if words & _GROUPS["student"] or any(w.startswith("undergrad") for w in words):
        return "student"
    vice = "vice" in words
    if "chief" in words or (words & _GROUPS["c_level"] and not vice):
        return "c-level"
    if vice or words & _GROUPS["vp"]:
        return "vp"
    if words & _GROUPS["director"]:
        return "director"
    if words & _GROUPS["manager"]:
        return "manager"
    return "individual"


def email_classes(emails: pd.Series, competitor_domains=()) -> pd.Series:
    """email_class per value (pandas map); missing stays missing."""
    comp = tuple(competitor_domains)
    return emails.map(lambda e: email_class(str(e), comp), na_action="ignore").astype(object)


def seniorities(titles: pd.Series) -> pd.Series:
    """seniority per value (pandas map); missing stays missing."""
    return titles.map(lambda t: seniority(str(t)), na_action="ignore").astype(object)


def signed_log1p(x):
    """sign(x) * log1p(|x|), as ours (defined for negative values too)."""
    return np.sign(x) * np.log1p(np.abs(x))


# --- point in time (crates/train/src/assemble.rs) ----------------------------------------------

def to_seconds(ts: pd.Series) -> pd.Series:
    """Export timestamps (naive = UTC) to Unix seconds."""
    parsed = pd.to_datetime(ts, format="ISO8601", utc=True)
    return parsed.dt.as_unit("s").astype("int64")


def assemble(leads: pd.DataFrame, events: pd.DataFrame | None, outcomes: pd.DataFrame | None,
             *, id_col: str, created_col: str, observation_days: float = 7.0,
             horizon_days: float, landmarks_days=None, outcome_id: str = "lead_id",
             converted_at: str = "converted_at", converted: str = "converted",
             positive=("1", "true", "yes", "y"), max_examples: int = 600_000, seed: int = 7):
    """Point-in-time examples: each lead scored as of created_at + each landmark (`landmarks_days`;
    without them, the one landmark `observation_days`), labelled "converted within horizon_days
    after as_of". Leaves out examples of leads converted at or before as_of and (with an
    outcomes table) examples whose horizon ends after the end of the data (the latest timestamp
    of leads, events of known leads and outcomes). Over `max_examples`, keeps each example with
    the same probability (seeded). Returns (examples: the lead's columns plus `as_of` and
    `label`, one row per example, in lead order; the events with `t` in seconds; counts; each
    lead's first conversion time by id, for checking labels)."""
    created = to_seconds(leads[created_col])
    end = created.max()
    ev = None
    counts = {"leads": len(leads)}
    if events is not None:
        known = events["lead_id"].isin(leads[id_col])
        counts["events_unknown_lead"] = int((~known).sum())
        ev = events.loc[known, ["lead_id", "event_type"]]
        ev["t"] = to_seconds(events.loc[known, "occurred_at"])
        end = max(end, ev["t"].max())
    first_conversion = pd.Series(dtype="float64")
    if outcomes is not None:
        at = (to_seconds(outcomes[converted_at]) if converted_at in outcomes
              else pd.Series(np.nan, index=outcomes.index))
        end = max(end, at.max())
        won = outcomes
        if converted in outcomes:  # a 0/1 column; without one, every row is a conversion
            won = outcomes[outcomes[converted].astype(str).str.strip().str.lower().isin(positive)]
        first_conversion = at[won.index].groupby(won[outcome_id]).min()
    conv = leads[id_col].map(first_conversion)
    landmarks = list(landmarks_days) if landmarks_days else [observation_days]
    horizon = int(horizon_days * SECONDS_PER_DAY)
    parts = []
    counts.update(converted_before_as_of=0, censored=0)
    for d in landmarks:
        as_of = created + int(d * SECONDS_PER_DAY)
        before = conv <= as_of
        censored = (as_of + horizon > end) & ~before
        if outcomes is None:
            censored[:] = False
        keep = ~before & ~censored
        part = leads[keep].copy()
        part["as_of"] = as_of[keep]
        part["label"] = (conv[keep] <= part["as_of"] + horizon).astype(int)
        part["_row"] = np.flatnonzero(keep.to_numpy())
        parts.append(part)
        counts["converted_before_as_of"] += int(before.sum())
        counts["censored"] += int(censored.sum())
    used = pd.concat(parts).sort_values(["_row", "as_of"], kind="stable")
    candidates = len(used)
    if candidates > max_examples:
        rng = np.random.default_rng(seed)
        used = used[rng.random(candidates) < max_examples / candidates]
    used = used.drop(columns="_row").reset_index(drop=True)
    counts.update(candidates=candidates, used=len(used), positives=int(used["label"].sum()),
                  end_of_data=int(end))
    if ev is not None:
        ev = ev[ev["lead_id"].isin(leads[id_col])]
    return used, ev, counts, conv.set_axis(leads[id_col].astype(str))


def lead_age_columns(landmarks) -> list[str]:
    """Names of the lead-age features: one per landmark after the first."""
    return [f"age: landmark {d:g}d" for d in list(landmarks)[1:]]


def lead_age_features(age_days, landmarks) -> pd.DataFrame:
    """Lead age as ours encodes it: clamped to the landmark range, then hat functions over the
    landmarks after the first (linear between landmarks, exact at each)."""
    l = [float(x) for x in landmarks]
    age = np.clip(np.asarray(age_days, dtype=float), l[0], l[-1])
    out = {}
    for j, name in enumerate(lead_age_columns(l)):
        xp = l[j:j + 3]
        fp = [0.0, 1.0, 0.0][:len(xp)]
        out[name] = np.interp(age, xp, fp)
    index = age_days.index if isinstance(age_days, pd.Series) else None
    return pd.DataFrame(out, index=index)


# --- event features --------------------------------------------------------------------------

def event_columns(types, windows_days, half_life_days) -> dict[str, float]:
    """Event feature names (as ours names them) -> the value for a lead with no such event."""
    cols = {}
    for t in types:
        for w in windows_days:
            cols[f"events: {t} in last {w}d (log1p)"] = 0.0
        cols[f"events: {t} decayed, half-life {half_life_days:g}d (log1p)"] = 0.0
        cols[f"events: {t} days since last"] = DAYS_SINCE_CAP
        cols[f"events: {t} never"] = 1.0
    cols["events: distinct active days (log1p)"] = 0.0
    return cols


def fit_event_types(events: pd.DataFrame, as_of: pd.Series, train_ids, max_types: int = 20):
    """The `max_types` most frequent types among the training leads' events known at as_of."""
    ev = events[events["lead_id"].isin(train_ids)]
    ev = ev[ev["t"] <= ev["lead_id"].map(as_of)]
    counts = ev["event_type"].value_counts()
    counts = counts[counts > 0].reset_index()
    counts.columns = ["event_type", "n"]
    top = counts.sort_values(["n", "event_type"], ascending=[False, True]).head(max_types)
    return sorted(top["event_type"].astype(str))


def event_features(events: pd.DataFrame, as_of: pd.Series, types=None, *,
                   windows_days=(7, 30, 90), half_life_days=14.0, lead_of: pd.Series | None = None,
                   chunk: int = 100_000) -> pd.DataFrame:
    """Per example (the index of `as_of`, Unix seconds) and event type: counts in the last
    `windows_days` (log1p), a count decayed with `half_life_days` (log1p), days since the last one
    (capped at 365, 365 when none) and `never`; plus distinct active days (log1p). Only events at
    or before each example's as_of count. `events` has columns lead_id, event_type, t (seconds);
    `lead_of` maps each example to its lead (default: the index is the lead). Examples are done
    `chunk` at a time (a lead's events are joined to each of its examples). types=None: every
    type present."""
    if lead_of is None:
        lead_of = pd.Series(as_of.index, index=as_of.index)
    keys = pd.DataFrame({"lead_id": lead_of.to_numpy(), "as_of": as_of.to_numpy(),
                         "ex": np.arange(len(as_of))})
    if types is None:
        types = sorted(events["event_type"].astype(str).unique())
    names = event_columns(types, windows_days, half_life_days)
    frames = [_event_chunk(events, keys.iloc[i:i + chunk], types, windows_days, half_life_days)
              for i in range(0, len(keys), chunk)] or [_event_chunk(
                  events, keys, types, windows_days, half_life_days)]
    frame = pd.concat(frames)
    frame.index = as_of.index
    return frame[list(names)]


def _event_chunk(events, keys, types, windows_days, half_life_days) -> pd.DataFrame:
    ev = events.merge(keys, on="lead_id")
    ev = ev[ev["t"] <= ev["as_of"]]
    ev["age"] = (ev["as_of"] - ev["t"]) / SECONDS_PER_DAY
    days = (ev["t"] // SECONDS_PER_DAY).groupby(ev["ex"]).nunique()
    typed = ev[ev["event_type"].isin(types)]
    aggs = {f"w{w}": (typed["age"] <= w) for w in windows_days}
    aggs["decayed"] = np.exp2(-typed["age"] / half_life_days)
    aggs["last"] = typed["age"]
    stats = pd.DataFrame(aggs).groupby([typed["ex"], typed["event_type"].astype(str)]).agg(
        {**{f"w{w}": "sum" for w in windows_days}, "decayed": "sum", "last": "min"})
    wide = stats.unstack(level=1)
    out = {}
    rows = keys["ex"].to_numpy()

    def stat(name, t):
        if (name, t) in wide.columns:
            return wide[(name, t)].reindex(rows)
        return pd.Series(np.nan, index=rows)

    for t in types:
        for w in windows_days:
            out[f"events: {t} in last {w}d (log1p)"] = np.log1p(stat(f"w{w}", t).fillna(0.0))
        out[f"events: {t} decayed, half-life {half_life_days:g}d (log1p)"] = np.log1p(
            stat("decayed", t).fillna(0.0))
        last = stat("last", t)
        out[f"events: {t} days since last"] = last.clip(upper=DAYS_SINCE_CAP).fillna(DAYS_SINCE_CAP)
        out[f"events: {t} never"] = last.isna().astype(float)
    out["events: distinct active days (log1p)"] = np.log1p(
        days.reindex(rows).fillna(0).astype(float))
    return pd.DataFrame(out, index=rows)


# --- the model input of a request --------------------------------------------------------------

def lead_frame(leads: list[dict], as_of, *, windows_days=(7, 30, 90),
               half_life_days=14.0, landmarks=None, created_col="created_at") -> pd.DataFrame:
    """The model input for leads given as the JSON objects of the HTTP API (see the module doc):
    their fields (missing tokens as missing), with `landmarks` (an age-aware model) the lead-age
    features from `created_col`, and the event features of their `events`."""
    fields = pd.DataFrame.from_records([{k: v for k, v in lead.items() if k != "events"}
                                        for lead in leads], index=pd.RangeIndex(len(leads)))
    fields = fields.replace(MISSING_TOKENS, np.nan)
    if isinstance(as_of, str):
        as_of = datetime.fromisoformat(as_of)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)
    if landmarks:
        created = to_seconds(fields[created_col])
        age = (int(as_of.timestamp()) - created) / SECONDS_PER_DAY
        fields = pd.concat([fields, lead_age_features(age, landmarks)], axis=1)
    rows = [(i, e["event_type"], e["occurred_at"])
            for i, lead in enumerate(leads) for e in (lead.get("events") or ())]
    if not rows:  # InputColumns fills in "no events"
        return fields
    events = pd.DataFrame(rows, columns=["lead_id", "event_type", "occurred_at"])
    events["t"] = to_seconds(events["occurred_at"])
    at = pd.Series(int(as_of.timestamp()), index=fields.index)
    ev = event_features(events, at, windows_days=windows_days, half_life_days=half_life_days)
    return pd.concat([fields, ev], axis=1)


class InputColumns(TransformerMixin, BaseEstimator):
    """Selects the training columns in order. Absent fields are missing; absent event columns
    get their "no such event" value; numeric fields given as text are parsed."""

    def fit(self, X: pd.DataFrame, y=None):
        defaults = event_columns_defaults(X.columns)
        self.fields_ = [c for c in X.columns if c not in defaults]
        self.events_ = list(defaults)
        self.defaults_ = np.array([defaults[c] for c in self.events_])
        self.columns_ = self.fields_ + self.events_
        self.numeric_ = [c for c in self.fields_ if pd.api.types.is_numeric_dtype(X[c])]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        fields = X.reindex(columns=self.fields_)
        for c in self.numeric_:
            if not pd.api.types.is_numeric_dtype(fields[c]):
                try:
                    fields[c] = pd.to_numeric(fields[c].replace(MISSING_TOKENS, np.nan))
                except (ValueError, TypeError) as e:
                    raise ValueError(f"{c}: expected a number ({e})") from None
        if not self.events_:
            return fields
        ev = X.reindex(columns=self.events_).to_numpy(dtype=np.float64, na_value=np.nan)
        ev = np.where(np.isnan(ev), self.defaults_, ev)
        return pd.concat([fields, pd.DataFrame(ev, index=X.index, columns=self.events_)], axis=1)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.columns_, dtype=object)


def event_columns_defaults(columns) -> dict[str, float]:
    """The "no such event" value of each event column among `columns`."""
    out = {}
    for c in columns:
        if not c.startswith("events: "):
            continue
        out[c] = DAYS_SINCE_CAP if c.endswith(" days since last") else (
            1.0 if c.endswith(" never") else 0.0)
    return out


# --- pipelines ---------------------------------------------------------------------------------

def _classes(fn, *args):
    def apply(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({c: fn(frame[c], *args).fillna(MISSING_LEVEL) for c in frame.columns})
    return apply


def classify_emails(frame, competitor_domains=()):
    return _classes(email_classes, list(competitor_domains))(frame)


def classify_titles(frame):
    return _classes(seniorities)(frame)


def _one_hot(**kw):
    return OneHotEncoder(sparse_output=False, dtype=np.float64, **kw)


def demo_transformers(spec: dict) -> list:
    """ColumnTransformer entries for the columns of a leadscore spec (data/demo/spec.toml)."""
    out = []
    for c in spec["columns"]:
        name, kind = c["name"], c["transform"]
        if kind == "numeric":
            steps = [("impute", SimpleImputer(strategy="median", add_indicator=True))]
            if c.get("log1p"):
                # the indicator goes through log1p too: 0 -> 0, 1 -> ln 2, the same after scaling
                steps.append(("log1p", FunctionTransformer(signed_log1p,
                                                           feature_names_out="one-to-one")))
            out.append((name, Pipeline(steps), [name]))
            # a fixed number of quantile bins; "auto", "values" and "N with spikes" are
            # leadscore's own searches and rules, with no scikit-learn counterpart here
            if isinstance(c.get("bins"), int) and c["bins"] >= 2:
                out.append((f"{name} bins", Pipeline([
                    ("impute", SimpleImputer(strategy="median")),
                    ("bins", KBinsDiscretizer(n_bins=c["bins"], encode="onehot-dense",
                                              strategy="quantile", random_state=7)),
                ]), [name]))
        elif kind in ("categorical", "boolean"):
            out.append((name, Pipeline([
                ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL)),
                ("onehot", _one_hot(min_frequency=c.get("min_count", 20),
                                    max_categories=c.get("max_levels", 50) + 1,
                                    handle_unknown="infrequent_if_exist")),
            ]), [name]))
        elif kind == "email":
            out.append((name, Pipeline([
                ("class", FunctionTransformer(
                    classify_emails, kw_args={"competitor_domains": spec.get("competitor_domains", [])},
                    feature_names_out="one-to-one")),
                ("onehot", _one_hot(categories=[EMAIL_CLASSES + [MISSING_LEVEL]],
                                    handle_unknown="ignore")),
            ]), [name]))
        elif kind == "job_title":
            out.append((name, Pipeline([
                ("class", FunctionTransformer(classify_titles, feature_names_out="one-to-one")),
                ("onehot", _one_hot(categories=[SENIORITY_CLASSES + [MISSING_LEVEL]],
                                    handle_unknown="ignore")),
            ]), [name]))
        elif kind == "ignore":
            continue
        else:
            raise ValueError(f"column {name}: transform {kind!r} is not in the peer")
    return out


def flat_transformers(frame: pd.DataFrame) -> list:
    """One-hot categoricals (missing as a level), median-imputed numerics (scaled later)."""
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in frame.columns if c not in numeric]
    return [
        ("num", SimpleImputer(strategy="median"), numeric),
        ("cat", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL)),
            ("onehot", _one_hot(handle_unknown="ignore")),
        ]), categorical),
    ]


def make_pipeline(transformers: list, *, folds: int = 5, seed: int = 7, n_jobs: int = 2,
                  c_min: float = 1e-3, c_max: float = 1e2, grid: int = 8,
                  max_iter: int = 2000) -> Pipeline:
    """InputColumns -> ColumnTransformer -> StandardScaler -> LogisticRegressionCV (L2, lbfgs,
    C on a log grid, chosen by stratified k-fold log loss, then refit on the training split)."""
    return Pipeline([
        ("input", InputColumns()),
        ("features", ColumnTransformer(transformers, remainder="drop")),
        ("scale", StandardScaler()),
        ("model", LogisticRegressionCV(
            Cs=np.logspace(np.log10(c_min), np.log10(c_max), grid), l1_ratios=(0.0,),
            cv=StratifiedKFold(folds, shuffle=True, random_state=seed), scoring="neg_log_loss",
            solver="lbfgs", max_iter=max_iter, n_jobs=n_jobs, use_legacy_attributes=False)),
    ])
