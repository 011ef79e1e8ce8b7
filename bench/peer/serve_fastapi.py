#!/usr/bin/env python3
"""The FastAPI + uvicorn peer of `leadscore-serve`, for bench/serve_vs_fastapi.sh.

Serves the scikit-learn pipeline that bench/peer/train_sklearn.py saves, the way a careful team
deploys one: FastAPI, uvicorn, orjson in and out (no pydantic model for the body), the frame built
by bench/peer/features.py's `lead_frame` (the same features as the Rust pipeline, approximately).

    POST /v1/score[?as_of=RFC3339][&factors=N]   one lead object, or {"leads": [...]}
    GET  /healthz

The API copies ours: a lead is an object of field -> value with optional "events"; the answer is
`score` (predict_proba), `mql` (score >= the cutoff), and the top N (default 3, 0 = none)
positive and negative factors, a factor being coef * standardized x (the contribution to the
log-odds relative to an average lead, as ours). A batch answers {"leads": [...]} in order.

Configured by the environment, so `uvicorn --workers N` workers see it too:

    PEER_MODEL       the joblib file from train_sklearn.py (a dict with "pipeline")
    PEER_THRESHOLD   the MQL cutoff; the script passes the one leadscore-serve reports in
                     /v1/cutoff for the same target precision
    PEER_MAX_BATCH   most leads a request (default 10000, as ours)

Run by hand:

    PEER_MODEL=bench/out/serve-vs-fastapi/peer-demo.joblib PEER_THRESHOLD=0.25 \\
      $VENV/bin/python -m uvicorn --app-dir bench/peer serve_fastapi:app --port 18002
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone

import joblib
import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from features import lead_frame  # noqa: E402  (the other half of the peer, beside this file)

DEFAULT_FACTORS = 3


class Scorer:
    """The fitted pipeline split into its transform part and the final linear classifier."""

    def __init__(self, path: str, threshold: float):
        bundle = joblib.load(path)
        pipeline = bundle["pipeline"] if isinstance(bundle, dict) else bundle
        self.threshold = threshold
        self.model_id = os.path.basename(path)
        self.kind = bundle.get("kind") if isinstance(bundle, dict) else None
        # An age-aware model (trained on landmarks) scores each lead by its age at as_of.
        self.landmarks = bundle.get("landmarks") if isinstance(bundle, dict) else None
        self.pipeline = pipeline
        self.transform = pipeline[:-1]
        self.clf = pipeline[-1]
        self.coef = getattr(self.clf, "coef_", None)
        if self.coef is not None:
            self.coef = np.asarray(self.coef, dtype=float)[0]
            self.names = np.asarray(self.transform.get_feature_names_out(), dtype=object)
            # Contributions are relative to an average lead: coef * (x - mean). After a
            # StandardScaler (with_mean) the transformed x is already centred.
            self.center = self._training_mean()
        self.cutoff = {"threshold": threshold}

    def _training_mean(self) -> np.ndarray | None:
        """None when the features reach the model centred (a StandardScaler with_mean, as
        train_sklearn.py builds it); else the training mean in the model's units."""
        last = self.transform[-1]
        if getattr(last, "with_mean", False) and hasattr(last, "mean_"):
            return None  # standardized: mean 0
        if hasattr(last, "mean_"):  # a scaler without centring: its mean_ is in raw units
            scale = getattr(last, "scale_", None)
            return np.asarray(last.mean_ / (scale if scale is not None else 1.0), dtype=float)
        return None

    def score(self, leads: list[dict], as_of: datetime, factors: int) -> list[dict]:
        frame = lead_frame(leads, as_of, landmarks=self.landmarks)
        x = self.transform.transform(frame)
        if hasattr(x, "toarray"):
            x = x.toarray()
        x = np.asarray(x, dtype=float)
        proba = self.clf.predict_proba(x)[:, 1]
        mql = proba >= self.threshold
        out = [{"score": float(p), "mql": bool(m)} for p, m in zip(proba, mql)]
        if factors > 0 and self.coef is not None:
            contrib = x * self.coef if self.center is None else (x - self.center) * self.coef
            k = min(factors, contrib.shape[1])
            order = np.argsort(contrib, axis=1)
            top_pos, top_neg = order[:, ::-1][:, :k], order[:, :k]
            names = self.names
            for i, lead in enumerate(out):
                row = contrib[i]
                lead["factors"] = {
                    "positive": [
                        {"feature": names[j], "contribution": float(row[j])}
                        for j in top_pos[i]
                        if row[j] > 0
                    ],
                    "negative": [
                        {"feature": names[j], "contribution": float(row[j])}
                        for j in top_neg[i]
                        if row[j] < 0
                    ],
                }
        return out


def _error(status: int, code: str, message: str) -> Response:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    return Response(content=body, status_code=status, media_type="application/json")


def _json(obj) -> Response:
    return Response(content=orjson.dumps(obj), media_type="application/json")


SCORER = Scorer(os.environ["PEER_MODEL"], float(os.environ["PEER_THRESHOLD"]))
MAX_BATCH = int(os.environ.get("PEER_MAX_BATCH", "10000"))
app = FastAPI(title="leadscore peer (FastAPI + scikit-learn)")


@app.get("/healthz")
async def healthz() -> Response:
    return _json({"status": "ok", "model_id": SCORER.model_id, "kind": SCORER.kind})


# async: the work is CPU-bound under the GIL, so a thread-pool hop (a plain `def`) only adds cost.
@app.post("/v1/score")
async def score(request: Request) -> Response:
    q = request.query_params
    try:
        as_of = (
            datetime.fromisoformat(q["as_of"]) if "as_of" in q else datetime.now(timezone.utc)
        )
        factors = int(q.get("factors", DEFAULT_FACTORS))
    except ValueError as e:
        return _error(422, "invalid_query", str(e))
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as e:
        return _error(400, "invalid_json", str(e))
    batch = isinstance(body, dict) and "leads" in body
    leads = body["leads"] if batch else [body]
    if not isinstance(leads, list) or not all(isinstance(lead, dict) for lead in leads):
        return _error(422, "invalid_field", "expected a lead object or {\"leads\": [objects]}")
    if not leads:
        return _error(422, "empty_batch", "no leads")
    if len(leads) > MAX_BATCH:
        return _error(413, "batch_too_large", f"{len(leads)} leads, at most {MAX_BATCH}")
    try:
        scored = SCORER.score(leads, as_of, factors)
    except (ValueError, TypeError, KeyError) as e:
        return _error(422, "invalid_field", str(e))
    head = {"model_id": SCORER.model_id, "cutoff": SCORER.cutoff}
    return _json({**head, "leads": scored} if batch else {**head, **scored[0]})
