"""leadscore in Python: one scorer from the notebook to the cluster.

    import leadscore
    model = leadscore.load("models/demo.json", target_precision=0.5)
    scores = model.score(leads_df, events=events_df, as_of="2025-12-01")

Scores come from the same Rust code the server runs (the featurizer, the scorer, the gates,
the factor texts, the cutoff and tiers for the same target), so a lead scored here and posted
to ``leadscore-serve`` at the same ``as_of`` gets the same score, decision and reasons.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import math as _math
from typing import Any, Optional

import pandas as _pd

from . import _leadscore

__all__ = [
    "load",
    "Model",
    "STANDARD_TIERS",
    "cutoff_for_curve",
    "at_threshold",
    "validate_curve",
    "wilson_lower_bound",
]

#: The server's default tiers (``leadscore-serve --tiers``).
STANDARD_TIERS = "A=0.8,B=0.6,C=0.4,D"


def _curve_args(curve: dict) -> tuple:
    points = [
        (p["threshold"], p["tp"], p["fp"]) if isinstance(p, dict) else tuple(p)
        for p in curve["points"]
    ]
    return points, curve["positives"], curve["total"], curve.get("kind", "per_example")


def _point(curve: dict, p: tuple) -> dict:
    threshold, tp, fp, precision, lower, recall, rate = p
    return {
        "threshold": threshold,
        "tp": tp,
        "fp": fp,
        "precision": precision,
        "precision_lower_bound": lower,
        "recall": recall,
        "mql_rate": rate,
    }


def validate_curve(curve: dict) -> None:
    """Checks an operating curve (the artifact's ``curve`` shape: ``points`` of threshold, tp,
    fp; ``positives``; ``total``; ``kind``) as the server checks one: ``ValueError`` if not."""
    _leadscore.validate_curve(*_curve_args(curve))


def cutoff_for_curve(
    curve: dict, target: float, confidence: float = 0.95, min_support: int = 30
) -> tuple:
    """The server's cutoff rule (``leadscore_core::curve::cutoff_for_precision``) on any
    operating curve: ``(True, point)`` at the cutoff, or ``(False, best point)`` when the target
    is not attainable. Points are dicts: threshold, tp, fp, precision, precision_lower_bound,
    recall, mql_rate."""
    ok, p = _leadscore.cutoff_for_curve(
        *_curve_args(curve), float(target), float(confidence), int(min_support)
    )
    return ok, _point(curve, p)


def at_threshold(curve: dict, threshold: float, confidence: float = 0.95) -> dict:
    """The curve's operating point at a score threshold (the loosest point at or above it)."""
    return _point(curve, _leadscore.at_threshold(*_curve_args(curve), float(threshold), float(confidence)))


def wilson_lower_bound(successes: int, trials: int, confidence: float) -> float:
    """The one-sided Wilson score lower bound on a proportion, as the cutoff rule uses it."""
    return _leadscore.wilson_lower_bound(int(successes), int(trials), float(confidence))


def load(
    path: str,
    target_precision: float = 0.5,
    confidence: float = 0.95,
    tiers: str = STANDARD_TIERS,
) -> "Model":
    """Loads a model artifact (the JSON file ``leadscore-train`` writes).

    ``target_precision`` sets the MQL cutoff as ``leadscore-serve --target-precision`` does
    (the loosest threshold whose precision lower bound at ``confidence`` on the holdout stays
    at or above it); ``tiers`` as ``--tiers`` (empty: no tiers). An unattainable target is a
    ``ValueError`` saying what the model can reach; a missing or corrupt file an ``OSError``.
    """
    return Model(path, target_precision, confidence, tiers)


def _seconds(t: Any, what: str) -> int:
    """Unix seconds of a time (str, datetime, pandas Timestamp, number of seconds)."""
    if isinstance(t, (int,)) and not isinstance(t, bool):
        return int(t)
    try:
        ts = _pd.Timestamp(t)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{what}: {t!r} is not a time") from e
    if ts is _pd.NaT:
        raise ValueError(f"{what}: missing")
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.timestamp() // 1)


def _seconds_column(values: Any, what: str) -> list:
    """Unix seconds of a column of times (strings in the export forms, datetimes, or numbers
    of seconds), naive times read as UTC."""
    if _pd.api.types.is_numeric_dtype(values):
        return [int(v) for v in values.tolist()]
    try:
        ts = _pd.to_datetime(values, utc=True, format="mixed")
    except (ValueError, TypeError) as e:
        raise ValueError(f"{what}: {e}") from None
    if ts.isna().any():
        raise ValueError(f"{what}: a time is missing (row {int(ts.isna().to_numpy().argmax())})")
    epoch = _pd.Timestamp("1970-01-01", tz="UTC")
    return ((ts - epoch) // _pd.Timedelta(seconds=1)).astype("int64").tolist()


def _cell(v: Any) -> Any:
    """A cell as the extension takes it: str, bool, int, float or None."""
    if v is None or v is _pd.NA or v is _pd.NaT:
        return None
    if isinstance(v, float) and _math.isnan(v):
        return None
    if isinstance(v, (str, bool, int, float)):
        return v
    if isinstance(v, (_pd.Timestamp, _dt.datetime, _dt.date)):
        return _pd.Timestamp(v).isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return _cell(v.item())
    return str(v)


def _frame(table: Any, what: str) -> _pd.DataFrame:
    if isinstance(table, _pd.DataFrame):
        return table
    if hasattr(table, "to_pandas"):  # a pyarrow Table or RecordBatch
        return table.to_pandas()
    raise ValueError(f"{what}: expected a pandas DataFrame or a pyarrow Table, got {type(table).__name__}")


class Model:
    """A loaded model at a target precision. See :func:`load`."""

    def __init__(self, path: str, target_precision: float, confidence: float, tiers: str):
        self._m = _leadscore.Model(str(path))
        self.target_precision = float(target_precision)
        self.confidence = float(confidence)
        self.tiers = tiers
        # Checks the target now (an unattainable one fails here, not at the first score).
        self._cutoff = self.cutoff(self.target_precision, self.confidence)

    @property
    def model_id(self) -> str:
        """The model's id (a hash of the artifact's content)."""
        return self._m.model_id

    @property
    def columns(self) -> list:
        """The lead columns the model reads."""
        return list(self._m.columns)

    @property
    def weights(self) -> _pd.DataFrame:
        """Every feature's weight: log-odds per standard deviation, odds ratio per unit,
        training mean and standard deviation, share of training leads where it is active;
        strongest first."""
        df = _pd.DataFrame(
            self._m.weights(),
            columns=["feature", "column", "weight", "odds_ratio", "mean", "std", "active_share"],
        )
        order = df["weight"].abs().sort_values(ascending=False, kind="stable").index
        return df.loc[order].reset_index(drop=True)

    @property
    def curve(self) -> _pd.DataFrame:
        """The holdout operating curve the cutoff is chosen on: per threshold (strictest
        first), converted and unconverted leads at or above it, precision, recall, MQL rate."""
        points, positives, total = self._m.curve()
        df = _pd.DataFrame(points, columns=["threshold", "tp", "fp"])
        selected = df["tp"] + df["fp"]
        df["precision"] = (df["tp"] / selected).where(selected > 0, 0.0)
        df["recall"] = df["tp"] / positives if positives else 0.0
        df["mql_rate"] = selected / total if total else 0.0
        return df

    def cutoff(self, target_precision: float, confidence: float = 0.95) -> dict:
        """The MQL cutoff for a target precision, as the server computes it: the threshold,
        the holdout precision there, its lower bound at ``confidence``, the recall and MQL
        rate it costs. ``ValueError`` when the model cannot reach the target."""
        threshold, precision, lower, recall, rate = self._m.cutoff(
            float(target_precision), float(confidence)
        )
        return {
            "threshold": threshold,
            "target_precision": float(target_precision),
            "confidence": float(confidence),
            "precision": precision,
            "precision_lower_bound": lower,
            "recall": recall,
            "mql_rate": rate,
        }

    def score(
        self,
        leads: Any,
        events: Any = None,
        as_of: Any = None,
        factors: int = 3,
    ) -> _pd.DataFrame:
        """Scores every lead (a pandas DataFrame or a pyarrow Table, one row per lead, the
        model's columns by name; extra columns are ignored, missing ones are missing values).

        ``events``: a table of (lead id, event type, time) rows for models with event
        features, joined on the model's lead id column, or else an ``events`` column of the
        leads holding each lead's events as a list of ``{"event_type", "occurred_at"}`` (as the
        server's JSON takes them; a JSON string of that list too); ``as_of``: the scoring
        moment (one time for all, or one per lead; default: the leads' ``as_of`` column if
        they have one, else now, UTC). Events after ``as_of`` (beyond a
        day's clock skew) and leads created after it are refused, as the server refuses them.

        Returns a DataFrame on the leads' index: score, mql, tier, log_odds, baseline, fit,
        engagement, their percentiles, age_days and scored_as_days (age-aware models: the
        lead's age, and the age it was scored as, clamped to the model's landmarks),
        held_back (gate names), unseen (columns whose value
        training did not see, scored as missing or ``other``) and factors (dicts with field,
        factor, part, contribution). A bad value raises ``ValueError`` naming the lead's index
        label and the column.
        """
        df = _frame(leads, "leads")
        n = len(df)
        if as_of is None and "as_of" in df.columns and "as_of" not in self._m.columns:
            as_of = df["as_of"]
        if as_of is None:
            now = int(_dt.datetime.now(_dt.timezone.utc).timestamp())
            moments = [now] * n
        elif isinstance(as_of, (list, tuple, _pd.Series)) or hasattr(as_of, "__array__") and not isinstance(as_of, str):
            moments = [_seconds(t, "as_of") for t in list(as_of)]
            if len(moments) != n:
                raise ValueError(f"as_of: {len(moments)} times for {n} leads")
        else:
            moments = [_seconds(as_of, "as_of")] * n
        columns = [
            [_cell(v) for v in df[c].tolist()] if c in df.columns else [None] * n
            for c in self._m.columns
        ]
        ev = None
        names = self._m.event_columns
        if names is not None and events is None and "events" in df.columns:
            rows, types, times = [], [], []
            for i, listed in enumerate(df["events"].tolist()):
                if listed is None or (isinstance(listed, float) and _math.isnan(listed)):
                    continue
                if isinstance(listed, str):
                    listed = _json.loads(listed)
                for e in listed:
                    rows.append(i)
                    types.append(str(e["event_type"]))
                    times.append(_seconds(e["occurred_at"], "events occurred_at"))
            ev = (rows, types, times)
        elif names is not None:
            if events is None:
                raise ValueError(
                    "this model has engagement features: pass events "
                    f"(columns {names[0]!r}, {names[1]!r}, {names[2]!r})"
                )
            edf = _frame(events, "events")
            for c in names:
                if c not in edf.columns:
                    raise ValueError(f"events: no column {c!r}")
            id_column = self._m.id_column or names[0]
            if id_column not in df.columns:
                raise ValueError(f"leads: no column {id_column!r} to join the events on")
            # Vectorized: a position per event (its lead's first row), -1 for leads not here.
            ids = _pd.Index(df[id_column].astype(str))
            first = ~ids.duplicated()
            position = _pd.Index(ids[first]).get_indexer(edf[names[0]].astype(str))
            rows_of_first = _pd.Series(range(n))[first].to_numpy()
            keep = position >= 0
            rows = rows_of_first[position[keep]].tolist()
            types = edf[names[1]].astype(str)[keep].tolist()
            times = _seconds_column(edf[names[2]][keep], f"events {names[2]}")
            ev = (rows, types, times)
        try:
            out = self._m.score_columns(
                columns,
                ev,
                moments,
                self.target_precision,
                self.confidence,
                self.tiers,
                int(factors),
            )
        except ValueError as e:
            if len(e.args) == 3 and isinstance(e.args[0], int):
                position, column, message = e.args
                label = df.index[position]
                where = f"column {column!r}: " if column else ""
                raise ValueError(
                    f"lead at index {label!r} (row {position}): {where}{message}"
                ) from None
            raise
        result = _pd.DataFrame(out, index=df.index)
        return result
