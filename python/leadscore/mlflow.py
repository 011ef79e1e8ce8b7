"""An MLflow flavor for leadscore models: a model artifact becomes an MLflow model with a
``leadscore`` flavor and a ``python_function`` one, so ``mlflow.pyfunc.load_model(uri)``,
``mlflow.pyfunc.spark_udf`` and MLflow's registry take it like any other model.

    import leadscore.mlflow
    leadscore.mlflow.save_model("models/demo.json", "exported/demo", target_precision=0.5)
    with mlflow.start_run():
        info = leadscore.mlflow.log_model("models/demo.json", name="lead-score", target_precision=0.5)
    mlflow.pyfunc.load_model(info.model_uri).predict(leads_df)   # the scores, one per lead

The python_function model's input is a DataFrame of leads (the model's columns by name); for a
model with event features, an ``events`` column holding each lead's events as a list of
``{"event_type", "occurred_at"}`` (as the server's JSON takes them), and optionally an ``as_of``
column (default: now). ``predict`` returns the scores as a Series on the input's index (as the
server's ``/invocations`` does).
"""

from __future__ import annotations

import json
import shutil
import sys
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any, Optional

import pandas as _pd

import leadscore

FLAVOR_NAME = "leadscore"
_ARTIFACT = "leadscore-model.json"
_SETTINGS = "leadscore-settings.json"


def _version() -> str:
    try:
        return _metadata.version("leadscore")
    except _metadata.PackageNotFoundError:  # imported from a source tree
        return "0.1.0"


def get_default_pip_requirements() -> list:
    """The pinned requirements written beside the model (``leadscore`` is built from the
    repository's ``python/``: install it with ``pip install ./python`` where the model is
    served)."""
    return [f"leadscore=={_version()}", f"pandas=={_pd.__version__}"]


def save_model(
    artifact: str,
    path: str,
    target_precision: float = 0.5,
    confidence: float = 0.95,
    tiers: str = leadscore.STANDARD_TIERS,
    mlflow_model: Any = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: Optional[list] = None,
    metadata: Optional[dict] = None,
) -> None:
    """Writes the MLflow model at ``path`` (a new folder): the artifact, the cutoff settings,
    ``MLmodel`` with the ``leadscore`` and ``python_function`` flavors, and the pinned
    requirements. The artifact is loaded and the target checked first: an unattainable target
    or a bad file fails here, before anything is written."""
    from mlflow.models import Model
    from mlflow.models.model import MLMODEL_FILE_NAME
    from mlflow.pyfunc import add_to_model

    model = leadscore.load(artifact, target_precision, confidence, tiers)
    out = Path(path)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} already exists and is not an empty folder")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(artifact, out / _ARTIFACT)
    settings = {
        "model_id": model.model_id,
        "target_precision": float(target_precision),
        "confidence": float(confidence),
        "tiers": tiers,
    }
    (out / _SETTINGS).write_text(json.dumps(settings, indent=2) + "\n")
    if mlflow_model is None:
        mlflow_model = Model()
    if signature is not None:
        mlflow_model.signature = signature
    if metadata is not None:
        mlflow_model.metadata = metadata
    if input_example is not None:
        from mlflow.models.utils import _save_example

        _save_example(mlflow_model, input_example, str(out))
    from mlflow.utils.environment import (
        _CONDA_ENV_FILE_NAME,
        _PYTHON_ENV_FILE_NAME,
        _mlflow_conda_env,
        _PythonEnv,
    )
    import yaml

    requirements = list(pip_requirements or get_default_pip_requirements())
    (out / "requirements.txt").write_text("\n".join(requirements) + "\n")
    # The environment files MLflow rebuilds the model's environment from (env_manager
    # "virtualenv"/"uv"/"conda", `mlflow models serve`).
    with open(out / _CONDA_ENV_FILE_NAME, "w") as f:
        yaml.safe_dump(_mlflow_conda_env(additional_pip_deps=requirements), f, default_flow_style=False)
    _PythonEnv.current().to_yaml(str(out / _PYTHON_ENV_FILE_NAME))
    add_to_model(
        mlflow_model,
        loader_module="leadscore.mlflow",
        data=_ARTIFACT,
        conda_env=_CONDA_ENV_FILE_NAME,
        python_env=_PYTHON_ENV_FILE_NAME,
    )
    mlflow_model.add_flavor(
        FLAVOR_NAME,
        artifact=_ARTIFACT,
        settings=_SETTINGS,
        model_id=model.model_id,
        leadscore_version=_version(),
    )
    mlflow_model.save(str(out / MLMODEL_FILE_NAME))


def log_model(
    artifact: str,
    name: str = "model",
    registered_model_name: Optional[str] = None,
    **kwargs: Any,
):
    """Logs the model to the active run (``save_model``'s keywords), optionally registering it
    under ``registered_model_name``; returns MLflow's ``ModelInfo``."""
    from mlflow.models import Model

    return Model.log(
        artifact_path=None,
        name=name,
        flavor=sys.modules[__name__],
        registered_model_name=registered_model_name,
        artifact=artifact,
        **kwargs,
    )


def load_model(model_uri: str) -> "leadscore.Model":
    """The ``leadscore.Model`` of an MLflow model (any MLflow URI), with its saved cutoff
    settings."""
    from mlflow.tracking.artifact_utils import _download_artifact_from_uri

    local = Path(_download_artifact_from_uri(model_uri))
    return _load(local / _ARTIFACT)


def _load(artifact_path: Path) -> "leadscore.Model":
    settings = json.loads((artifact_path.parent / _SETTINGS).read_text())
    return leadscore.load(
        str(artifact_path),
        settings["target_precision"],
        settings["confidence"],
        settings["tiers"],
    )


class _PyFunc:
    """What ``mlflow.pyfunc.load_model`` wraps."""

    def __init__(self, model: "leadscore.Model"):
        self.model = model

    def get_raw_model(self) -> "leadscore.Model":
        return self.model

    def predict(self, model_input: Any, params: Optional[dict] = None) -> _pd.Series:
        df = model_input if isinstance(model_input, _pd.DataFrame) else _pd.DataFrame(model_input)
        return self.model.score(df, factors=0)["score"]


def _load_pyfunc(data_path: str) -> _PyFunc:
    """MLflow's loader hook (``loader_module``): ``data_path`` is the artifact in the model."""
    return _PyFunc(_load(Path(data_path)))
