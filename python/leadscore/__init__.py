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
import decimal as _decimal
import json as _json
import math as _math
import re as _re
from typing import Any, Optional

import numpy as _np
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


# Text that may be a Unix time (see _unix_counts).
_UNIX_TEXT = _re.compile(r"[0-9]{1,20}(\.[0-9]+)?")


# Ticks per second of the units pandas keeps times in.
_TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


# What a time written as text may look like, for messages.
_TIME_FORMS = "a timestamp such as 2025-06-08T10:00:00Z or 2025-06-08 10:00:00"


def _seconds(t: Any, what: str, up: bool = False, parse: Any = None) -> int:
    """Unix seconds of a time: a string, datetime, pandas or numpy time, or a number (int or
    float, numpy ones too) of Unix seconds or milliseconds from 2000 to 2100, as the server
    reads one. Naive times are UTC. A fraction of a second rounds down, or
    up with ``up`` (an event's time). A string is read by ``parse`` (the extension's reading of
    time text, as the server and ``leadscore-train score`` read it) when given."""
    if t is None or t is _pd.NA or t is _pd.NaT:
        raise ValueError(f"{what}: missing")
    # The zero time (`0`, `0.0`, `0000-00-00`) is an unset date: missing, as training and the
    # server read it.
    zero = (
        _leadscore.is_zero_time(t)
        if isinstance(t, str)
        else isinstance(t, (int, float, _np.number)) and not isinstance(t, (bool, _np.bool_)) and t == 0
    )
    if zero:
        raise ValueError(f"{what}: missing ({t!r}, the zero time, is an unset date)")
    if isinstance(t, str) and parse is not None:
        seconds = parse([t])[0]
        if seconds is None:
            raise ValueError(f"{what}: {t!r} is not a time (expected {_TIME_FORMS})")
        return seconds
    if (isinstance(t, _np.generic) and not isinstance(t, _np.datetime64)) or _is_decimal(t):
        # A number (a Decimal too, read as the server reads a JSON number).
        try:
            t = _scalar(t)
        except OverflowError:
            raise ValueError(f"{what}: {_too_large(t)} is not a time") from None
    if isinstance(t, bool):
        raise ValueError(f"{what}: {t!r} is not a time")
    if isinstance(t, (int, float)):
        if isinstance(t, float) and not _math.isfinite(t):
            raise ValueError(f"{what}: {t!r} is not a time")
        # Unix seconds or milliseconds, or a spreadsheet's serial date, from 2000 to 2100, as
        # the server reads a number (`?as_of=`, an event's `occurred_at`) and training a
        # column of them: the extension's reading.
        seconds = _leadscore.unix_time(float(t), up) if abs(t) < 2**63 else None
        if seconds is None:
            raise ValueError(
                f"{what}: {t!r} is not a time: a number is read as Unix seconds or milliseconds "
                "or a spreadsheet's serial date (days since 1899-12-30) from 2000 to 2100, as "
                "leadscore's server reads one"
            )
        return seconds
    if up and isinstance(t, _dt.date) and not isinstance(t, _dt.datetime):
        # A day without its time (a Parquet `date`): an event of that day is known from its
        # last second, as training and the server read `2025-06-07`.
        return _seconds(_pd.Timestamp(t), what) + 86_399
    try:
        ts = _pd.Timestamp(t)
    except (ValueError, TypeError, OverflowError) as e:
        raise ValueError(f"{what}: {t!r} is not a time") from e
    if ts is _pd.NaT:
        raise ValueError(f"{what}: missing")
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    # Counted in the time's own unit (`ts - epoch` overflowed pandas' nanosecond range for
    # `pd.Timestamp.min`, a time all the same).
    utc = ts.asm8
    whole, rest = divmod(int(utc.astype(_np.int64)), _TICKS_PER_SECOND[_np.datetime_data(utc.dtype)[0]])
    return whole + (1 if up and rest else 0)


def _unix_counts(items: list, up: bool = False, labels: Any = None, what: str = "times") -> Optional[list]:
    """A column of Unix times as ``leadscore-train`` reads a table's: numbers or digit strings
    all between 2000 and 2100 in Unix seconds, all in milliseconds, or all spreadsheet serial
    dates, as whole seconds (rounded up with ``up``: an event's time); ``None`` for any other
    column. With ``labels`` (the rows' labels), a column of times in more than one unit is
    refused, naming the first row in another unit than the first's (``what`` names the
    column)."""

    def number(v: Any) -> Any:
        if isinstance(v, _np.generic) and not isinstance(v, _np.datetime64):
            try:
                v = _scalar(v)
            except OverflowError:
                return None
        if isinstance(v, bool):
            return None
        if isinstance(v, (int, float)):
            return v if _math.isfinite(v) else None
        # Digits, or with a fraction (`1738220429.0`, as pandas writes seconds beside a
        # missing value), as `leadscore_core::value::unix_number_text` reads them.
        if isinstance(v, str) and _UNIX_TEXT.fullmatch(v.strip()):
            whole = v.strip()
            return int(whole) if "." not in whole else float(whole)
        return None

    # Stops at the first value that is not a number (an ISO text column, the common case).
    numbers = []
    for v in items:
        x = number(v)
        if x is None:
            return None
        numbers.append(x)
    if not numbers or any(abs(x) >= 2**63 for x in numbers):
        return None
    # The extension's reading: one unit for the whole column, as training reads it.
    seconds = _leadscore.epoch_seconds([float(x) for x in numbers], up)
    if seconds is None and labels is not None:
        # Each a time in some unit, but not all in one (seconds beside milliseconds or serial
        # dates): refused as training refuses such a column; a number that is no time in any
        # unit is left to `_seconds`, which names it.
        units = [_leadscore.epoch_seconds([float(x)], up) for x in numbers]
        if all(u is not None for u in units):
            for x, k in zip(numbers, labels):
                if _leadscore.epoch_seconds([float(numbers[0]), float(x)], False) is None:
                    raise ValueError(
                        f"{what} at row {k!r}: {x!r} is a time in another unit than the column's "
                        f"first ({numbers[0]!r}): a column holds Unix seconds, milliseconds or "
                        "spreadsheet serial dates, one of them, as training reads it"
                    )
    return seconds


def _refuse_float32_times(values: Any, what: str) -> None:
    """A column of times in 32-bit floats is refused, as ``leadscore-train`` refuses one: they
    hold 7 digits, so a Unix time would be off by up to a minute (read widened, it differed from
    training's reading by seconds)."""
    if _is_float32(values.dtype):
        raise ValueError(
            f"{what}: holds 32-bit floats, too coarse for Unix times (off by up to a minute): "
            "write them as integers or dates"
        )


def _seconds_column(values: Any, labels: Any, what: str, up: bool = False, parse: Any = None) -> list:
    """Unix seconds of a column of times (strings in the export forms, datetimes, or numbers
    of seconds), naive times read as UTC; a missing or unreadable one names its row label.
    Strings are read by ``parse`` (see ``_seconds``), datetimes by pandas."""
    _refuse_float32_times(values, what)
    missing = _isna(values)
    if missing.any():
        raise ValueError(f"{what}: missing at row {labels[int(missing.argmax())]!r}")
    counts = _unix_counts(values.tolist(), up, list(labels), what)
    if counts is not None:
        return counts
    items = values.tolist()
    if up and items and all(isinstance(v, _dt.date) and not isinstance(v, _dt.datetime) for v in items):
        # Days without their time (a Parquet or pyarrow `date` column): each event known from
        # its day's last second, as training reads one.
        return [_seconds(v, f"{what} at row {k!r}", up) for v, k in zip(items, labels)]
    if _pd.api.types.is_numeric_dtype(values) and not _pd.api.types.is_bool_dtype(values):
        return [_seconds(v, f"{what} at row {k!r}", up) for v, k in zip(values.tolist(), labels)]
    if parse is not None and not _pd.api.types.is_datetime64_any_dtype(values):
        items = values.tolist()
        texts = all(isinstance(v, str) for v in items)
        read = parse(items) if texts else [None] * len(items)
        out = []
        for v, k, seconds in zip(items, labels, read):
            if seconds is None:
                seconds = _seconds(v, f"{what} at row {k!r}", up, parse)
            out.append(seconds)
        return out
    try:
        ts = _pd.to_datetime(values, utc=True, format="mixed")
    except (ValueError, TypeError, OverflowError):
        # Find the first bad one, to name it.
        for v, k in zip(values.tolist(), labels):
            _seconds(v, f"{what} at row {k!r}")
        raise
    # Counted in the column's own unit, as `_seconds` counts one time.
    utc = ts.dt.tz_convert(None).to_numpy()
    whole, rest = _np.divmod(utc.view(_np.int64), _TICKS_PER_SECOND[_np.datetime_data(utc.dtype)[0]])
    if up:
        whole = whole + (rest != 0)
    return whole.astype(_np.int64).tolist()


def _encodes(text: str) -> bool:
    """Whether `text` is valid Unicode (no lone surrogate), as the extension takes text."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _id(v: Any) -> Optional[str]:
    """A lead id as the join compares it, one form for the same id in any dtype (7, 7.0, "7",
    " 7 ", "7.00" and np.int64(7) are one id), as the command line joins its tables: without
    the whitespace around it and a decimal's trailing zeros; leading zeros and case count.
    None when missing."""
    if v is None or v is _pd.NA or v is _pd.NaT:
        return None
    if isinstance(v, _np.generic):
        try:
            v = _scalar(v)
        except OverflowError:
            return _id_key(str(v))
        if isinstance(v, _np.generic):
            return _id_key(str(v))
    if isinstance(v, float):
        if _math.isnan(v):
            return None
        if v.is_integer():
            return str(int(v))
    return _id_key(str(v))


def _id_key(text: str) -> str:
    """`leadscore_train::assemble::id_key`: trimmed, and a decimal number without the zeros
    after its point (`2.0` is `2`, `1.50` is `1.5`)."""
    t = text.strip()
    unsigned = t[1:] if t.startswith("-") else t
    whole, dot, fraction = unsigned.partition(".")
    ascii_digits = lambda d: d != "" and all("0" <= c <= "9" for c in d)
    if not dot or not ascii_digits(whole) or not ascii_digits(fraction):
        return t
    kept = fraction.rstrip("0")
    end = len(t) - len(fraction) + len(kept) - (0 if kept else 1)
    return t[:end]


def _is_float32(dtype: Any) -> bool:
    """Whether a column holds float32 numbers: numpy's float32, pandas' Float32, or pyarrow's
    float (a Parquet Float32 column read with pyarrow's types)."""
    if isinstance(dtype, _np.dtype):
        return dtype == _np.float32
    if isinstance(dtype, _pd.Float32Dtype):
        return True
    arrow = getattr(dtype, "pyarrow_dtype", None)
    return arrow is not None and str(arrow) == "float"


def _listed(values: _pd.Series) -> list:
    """A column's cells as Python values, float32 numbers as the decimals they hold (23395.38,
    not the 23395.380859375 a widening cast makes), as ``leadscore-train`` reads a Parquet
    Float32 column; a missing one NaN."""
    if _is_float32(values.dtype):
        return _leadscore.f32_decimals(values.to_numpy(dtype=_np.float64, na_value=_np.nan).tolist())
    return values.tolist()


def _float(v: Any) -> Any:
    """A numpy float (numpy's float32 as the decimal it holds, as :func:`_listed` reads a
    column of them; a ``longdouble`` as the nearest double) or a ``Decimal`` as a Python float,
    NaN for a NaN (a signaling one too). Anything else unchanged. A finite number too large for
    a double raises ``OverflowError``."""
    if isinstance(v, _np.float32):
        return _leadscore.f32_decimals([float(v)])[0]
    if isinstance(v, _np.floating):
        with _np.errstate(over="ignore"):
            x = float(v)
        if _math.isinf(x) and _np.isfinite(v):
            raise OverflowError("too large")
        return x
    if isinstance(v, _decimal.Decimal):
        if v.is_nan():
            return _math.nan
        x = float(v)
        if _math.isinf(x) and v.is_finite():
            raise OverflowError("too large")
        return x
    return v


def _is_decimal(v: Any) -> bool:
    return isinstance(v, _decimal.Decimal)


def _isna(values: _pd.Series) -> Any:
    """``pd.isna`` of a column as a numpy array; a signaling NaN ``Decimal`` (on which pandas'
    own check raises ``InvalidOperation``) is missing, as a quiet one is."""
    try:
        return _pd.isna(values).to_numpy()
    except ArithmeticError:
        return _np.array(
            [v.is_nan() if _is_decimal(v) else _pd.api.types.is_scalar(v) and bool(_pd.isna(v)) for v in values.tolist()],
            dtype=bool,
        )


def _scalar(v: Any) -> Any:
    """A numpy scalar as the Python value it holds (see :func:`_float` for floats and
    ``Decimal``s); one with no Python equivalent (a ``clongdouble``) unchanged. Anything else
    unchanged."""
    if isinstance(v, _np.floating) or _is_decimal(v):
        return _float(v)
    if isinstance(v, _np.generic) and not isinstance(v, _np.datetime64):
        x = v.item()
        return v if isinstance(x, _np.generic) else x
    return v


def _too_large(v: Any) -> str:
    """How an error shows a number too large for a double: its digits, cut past 40."""
    text = str(v)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-8:]} ({len(text)} characters)"


def _cell(v: Any, where: Any) -> Any:
    """A cell as the extension takes it: str, bool, int, float or None; `where()` names the
    cell in an error."""
    if v is None or v is _pd.NA or v is _pd.NaT:
        return None
    if isinstance(v, float) and _math.isnan(v):
        return None
    if isinstance(v, bool) or isinstance(v, (str, float)):
        return v
    if isinstance(v, int):
        if -(2**63) <= v < 2**63:
            return v
        # Beyond 64 bits: a number all the same (JSON reads it as one too), unless no double
        # holds it (10**400).
        try:
            return float(v)
        except OverflowError:
            raise ValueError(f"{where()}: {_too_large(v)} is too large a number") from None
    if isinstance(v, (_pd.Timestamp, _dt.datetime, _dt.date)):
        return _pd.Timestamp(v).isoformat()
    if isinstance(v, _np.generic) and not isinstance(v, _np.datetime64):
        # A longdouble's `item()` is a longdouble again: read by `_float`, never recursed on.
        try:
            x = _scalar(v)
        except OverflowError:
            raise ValueError(f"{where()}: {_too_large(v)} is too large a number") from None
        if isinstance(x, _np.generic):
            raise ValueError(
                f"{where()}: expected a string, number, boolean or null, found {type(v).__name__}"
            )
        return _cell(x, where)
    if isinstance(v, _np.generic):
        return _cell(v.item(), where)
    if isinstance(v, (int, float, str)):
        return v
    if isinstance(v, _decimal.Decimal):
        try:
            return _cell(_float(v), where)
        except OverflowError:
            raise ValueError(f"{where()}: {_too_large(v)} is too large a number") from None
    raise ValueError(
        f"{where()}: expected a string, number, boolean or null, found {type(v).__name__}"
    )


def _options(v: Any, separator: str, where: Any) -> Optional[str]:
    """A multi-select cell given as a list of options (a pyarrow list column arrives as numpy
    arrays): the options joined with the column's separator, as the server joins a JSON array;
    missing options skipped, none at all missing."""
    parts = []
    for o in list(v):
        o = _cell(o, lambda: f"{where()}: an option")
        if o is None:
            continue
        if isinstance(o, bool):
            parts.append("true" if o else "false")
        elif isinstance(o, (int, float)):
            parts.append(_level(float(o)))
        else:
            parts.append(str(o))
    return separator.join(parts) if parts else None


def _event_type(kind: Any, where: str) -> str:
    """An event's type as training reads a type column and the server an ``event_type``: text
    as written, a number as a type id (Marketo's ``activityTypeId``) written as its level
    (``2`` and ``2.0`` are the type ``2``, an int past 2^53 its digits); anything else (a
    bool, a NaN, an object) refused naming ``where``."""
    if isinstance(kind, _np.generic) or _is_decimal(kind):
        try:
            kind = _scalar(kind)
        except OverflowError:
            raise ValueError(f"{where}: {_too_large(kind)} is too large for an event type") from None
    if isinstance(kind, str):
        return kind
    if isinstance(kind, int) and not isinstance(kind, bool):
        return str(kind)
    if isinstance(kind, float) and _math.isfinite(kind):
        return _level(kind)
    raise ValueError(f"{where}: expected a string or a type id, found {kind!r}")


def _level(x: float) -> str:
    """A number as the level a categorical or multi-select column reads it, as the Rust side
    writes it (leadscore_core::value::number_to_level): whole numbers below 1e15 without
    decimals, others in positional digits, never an exponent (`1e16` is `10000000000000000`,
    `1.5e-7` is `0.00000015`)."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    if not _math.isfinite(x):
        return "NaN" if x != x else ("inf" if x > 0 else "-inf")
    return _np.format_float_positional(x, trim="-")


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
        # The columns a lead is read from: a total (`sum_of`) is computed from its parts.
        totals = {name for name, _ in self._m.totals}
        self._inputs = [c for c in self._m.columns if c not in totals]
        self.target_precision = float(target_precision)
        self.confidence = float(confidence)
        self.tiers = tiers
        # Checks the target and the tiers now (not at the first score).
        self._cutoff = self.cutoff(self.target_precision, self.confidence)
        _leadscore.check_tiers(self.tiers)

    @property
    def model_id(self) -> str:
        """The model's id (a hash of the artifact's content)."""
        return self._m.model_id

    @property
    def columns(self) -> list:
        """The lead columns the model reads (not its totals, which it adds up from their
        parts: see ``totals``)."""
        return list(self._inputs)

    @property
    def totals(self) -> dict:
        """Each total (a ``sum_of`` column) and the columns it adds up: computed per lead, a
        column of that name in the leads is not read."""
        return {name: list(parts) for name, parts in self._m.totals}

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
        training did not see, scored as missing, ``other`` or the nearest training value;
        ``events.event_type`` when an
        event known at ``as_of`` has a type training never saw, counted only as an active day;
        ``events.count`` when its event counts went past the most training saw, scored as that)
        and factors (dicts with field,
        factor, part, contribution). A bad value raises ``ValueError`` naming the lead's index
        label and the column.
        """
        df = _frame(leads, "leads")
        n = len(df)
        if isinstance(factors, bool) or not isinstance(factors, (int, _np.integer)) or factors < 0:
            raise ValueError(f"factors: expected a count of at least 0, got {factors!r}")
        if df.columns.duplicated().any():
            raise ValueError(f"leads: column {df.columns[df.columns.duplicated()][0]!r} appears twice")
        # Headers as `leadscore-train` reads them: spaces around a name are not part of it
        # (`" industry "` is `industry`; left as it was, the column scored as missing for every
        # lead). A name that differs from a model column only in case is an error, as the CLI
        # refuses it, not a column silently missing.
        model_columns = set(self._inputs)
        renames = {}
        for c in df.columns:
            name = str(c)
            if name not in model_columns and name.strip() in model_columns and name.strip() not in df.columns:
                renames[c] = name.strip()
        if renames:
            df = df.rename(columns=renames)
        present = {str(c) for c in df.columns}
        # (A frame of no model column at all is refused below, naming what it has.)
        reads_some = any(c in present for c in self._inputs)
        for c in self._inputs:
            if c in present or not reads_some:
                continue
            like = [p for p in present if p.strip().lower() == c.lower()]
            if like:
                raise ValueError(
                    f"leads: no column {c!r}, which the model reads, but {like[0]!r} differs from it "
                    f"only in case: rename it"
                )
        # An `as_of` column is read as training reads a leads table's (the model's date
        # order); an `as_of` given is read as the server's `?as_of=`.
        as_of_kind = "as_of"
        if as_of is None and "as_of" in df.columns and "as_of" not in self._m.columns:
            as_of = df["as_of"]
            as_of_kind = "as_of_table"

        def as_of_text(texts: list) -> list:
            return self._m.parse_times(texts, as_of_kind)

        if as_of is None:
            # Now rounded up, as the server scores a request without as_of: an event sent
            # with it a fraction of a second old counts.
            now = _math.ceil(_dt.datetime.now(_dt.timezone.utc).timestamp())
            moments = [now] * n
        elif isinstance(as_of, _pd.Series):
            if not as_of.index.equals(df.index):
                if as_of.index.has_duplicates or not df.index.isin(as_of.index).all():
                    raise ValueError("as_of: a Series must have one time for every lead's index label")
                as_of = as_of.reindex(df.index)
            # Unix seconds or milliseconds as training reads an `as_of` column's.
            _refuse_float32_times(as_of, "as_of")
            times = as_of.tolist()
            times = _unix_counts(times, labels=df.index.tolist(), what="as_of") or times
            moments = [
                _seconds(t, f"as_of of the lead at index {k!r}", parse=as_of_text)
                for t, k in zip(times, df.index.tolist())
            ]
        elif isinstance(as_of, (list, tuple, _np.ndarray)):
            moments = [
                _seconds(t, f"as_of of the lead at index {k!r}", parse=as_of_text)
                for t, k in zip(list(as_of), df.index.tolist())
            ]
            if len(as_of) != n:
                raise ValueError(f"as_of: {len(as_of)} times for {n} leads")
        else:
            moments = [_seconds(as_of, "as_of", parse=as_of_text)] * n
        # A frame none of whose columns the model reads (another export's names) would score
        # every lead as all-missing: refused, as `/invocations` refuses such a body (the lead
        # id, `events` and `as_of` count as read).
        known = set(self._inputs) | {"events", "as_of", self._m.id_column or "lead_id"}
        sent = [str(c) for c in df.columns]
        if sent and not known.intersection(sent):
            shown = ", ".join(f"`{c}`" for c in sent[:8]) + (", ..." if len(sent) > 8 else "")
            model_columns = ", ".join(f"`{c}`" for c in self._inputs[:8])
            more = len(self._inputs) - 8
            raise ValueError(
                f"leads: none of the columns sent ({shown}) is one the model reads: {model_columns}"
                + (f" and {more} more" if more > 0 else "")
            )
        columns = []
        totals = {name for name, _ in self._m.totals}
        for c, separator in zip(self._m.columns, self._m.separators):
            if c not in df.columns or c in totals:
                columns.append([None] * n)
                continue
            cells = []
            for label, v in zip(df.index.tolist(), _listed(df[c])):
                where = lambda: f"lead at index {label!r}: column {c!r}"  # noqa: E731
                if separator is not None and isinstance(v, (list, tuple, _np.ndarray)):
                    v = _options(v, separator, where)
                cells.append(_cell(v, where))
            columns.append(cells)
        ev = None
        # Where each event came from, to name it in an error.
        origin: list = []
        names = self._m.event_columns
        def event_text(texts: list) -> list:
            return self._m.parse_times(texts, "event")

        def event_table_text(texts: list) -> list:
            return self._m.parse_times(texts, "event_table")

        if names is not None and events is None and "events" in df.columns:
            rows, types, times = [], [], []
            for i, (label, listed) in enumerate(zip(df.index.tolist(), df["events"].tolist())):
                where = f"lead at index {label!r}: events"
                if listed is None or listed is _pd.NA or (isinstance(listed, float) and _math.isnan(listed)):
                    continue
                if isinstance(listed, str):
                    if not listed.strip():
                        # A blank cell: no events, as the server reads a blank text.
                        continue
                    try:
                        listed = _json.loads(listed)
                    except ValueError as e:
                        raise ValueError(f"{where}: not JSON: {e}") from None
                if isinstance(listed, (dict, str)) or not hasattr(listed, "__iter__"):
                    raise ValueError(f"{where}: expected a list of events, found {type(listed).__name__}")
                for j, e in enumerate(listed):
                    if not hasattr(e, "get"):
                        raise ValueError(f"{where}[{j}]: expected an object with event_type and occurred_at")
                    kind = _event_type(e.get("event_type"), f"{where}[{j}].event_type")
                    at = e.get("occurred_at")
                    if not kind.strip():
                        raise ValueError(f"{where}[{j}].event_type: is empty")
                    rows.append(i)
                    types.append(kind)
                    times.append(_seconds(at, f"{where}[{j}].occurred_at", up=True, parse=event_text))
                    origin.append(f"{where}[{j}]")
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
            lead_ids = [_id(v) for v in _listed(df[id_column])]
            position = {}
            for i, (label, lead) in enumerate(zip(df.index.tolist(), lead_ids)):
                if lead is None:
                    raise ValueError(f"lead at index {label!r}: column {id_column!r}: the lead id is missing")
                if lead in position:
                    raise ValueError(
                        f"lead at index {label!r}: lead id {lead!r} appears twice (also at index "
                        f"{df.index.tolist()[position[lead]]!r}); its events could not be told apart"
                    )
                position[lead] = i
            event_ids = [_id(v) for v in _listed(edf[names[0]])]
            missing_id = [k for k, v in zip(edf.index.tolist(), event_ids) if v is None]
            if missing_id:
                raise ValueError(f"events: row {missing_id[0]!r}: column {names[0]!r}: the lead id is missing")
            found = [position.get(v, -1) for v in event_ids]
            keep = _np.array(found, dtype=_np.int64) >= 0
            kept = edf[keep]
            kinds = kept[names[1]]
            if _isna(kinds).any():
                bad = kept.index.tolist()[int(_isna(kinds).argmax())]
                raise ValueError(f"events: row {bad!r}: column {names[1]!r}: the event type is missing")
            rows = [i for i in found if i >= 0]
            if _pd.api.types.is_bool_dtype(kinds):
                # As training reads a yes/no type column.
                types = ["true" if v else "false" for v in kinds.tolist()]
            else:
                types = [
                    _event_type(v, f"events: row {k!r}: column {names[1]!r}")
                    for v, k in zip(_listed(kinds), kept.index.tolist())
                ]
            blank = [k for k, t in zip(kept.index.tolist(), types) if not t.strip()]
            if blank:
                raise ValueError(f"events: row {blank[0]!r}: column {names[1]!r}: the event type is empty")
            times = _seconds_column(
                kept[names[2]], kept.index.tolist(), f"events column {names[2]!r}", up=True, parse=event_table_text
            )
            origin = [f"events: row {k!r}" for k in kept.index.tolist()]
            ev = (rows, types, times)
        try:
            out = self._m.score_columns(
                columns,
                ev,
                moments,
                self.target_precision,
                self.confidence,
                self.tiers,
                # Any count past the factors a lead has gives them all (10**30 overflowed).
                min(int(factors), 1 << 31),
            )
        except (TypeError, UnicodeEncodeError) as e:
            # Text Rust cannot take (a lone surrogate, "Soft\ud800"): found and named.
            for c, cells in zip(self._m.columns, columns):
                for label, v in zip(df.index.tolist(), cells):
                    if isinstance(v, str) and not _encodes(v):
                        raise ValueError(f"lead at index {label!r}: column {c!r}: {v!r} is not valid Unicode text") from None
            if ev is not None:
                for where, kind in zip(origin, ev[1]):
                    if not _encodes(kind):
                        raise ValueError(f"{where}: event type {kind!r} is not valid Unicode text") from None
            raise
        except ValueError as e:
            if len(e.args) == 3 and e.args[0] == "event":
                _, k, message = e.args
                raise ValueError(f"{origin[k]}: {message}") from None
            if len(e.args) == 3 and isinstance(e.args[0], int):
                position, column, message = e.args
                label = df.index.tolist()[position]
                where = f"column {column!r}: " if column else ""
                raise ValueError(
                    f"lead at index {label!r} (row {position}): {where}{message}"
                ) from None
            raise
        result = _pd.DataFrame(out, index=df.index)
        return result
