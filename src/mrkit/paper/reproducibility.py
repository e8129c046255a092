"""What a build ran on, for the Reproducibility page: the code's fingerprint, the run plan's defaults and
runs, the synthetic panel's files, and the seeds and settings each MR page recorded in its result.

:func:`analysis_code_hash` is also the code part of the book's run keys (:mod:`mrkit.book.fingerprint`), and
:func:`plan_defaults` the defaults the run plan gives every page (:func:`mrkit.book.runplan.load_plan`): the
``seed`` and ``panel_seed`` a plan does not set are mrkit's own (:data:`mrkit.rng.DEFAULT_SEED`,
:data:`mrkit.rng.DEFAULT_PANEL_SEED`).
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import MRKitError
from ..rng import DEFAULT_PANEL_SEED, DEFAULT_SEED

if TYPE_CHECKING:
    from .direction import DirectionResult

__all__ = ["analysis_code_hash", "plan_defaults", "read_plan", "defaults_table", "runs_table", "panel_files_table",
           "direction_settings_table", "NOT_ANALYSIS"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: Parts of mrkit that drive the build but cannot change a notebook's output.
NOT_ANALYSIS = ("book", "commands", "cli.py")


def analysis_code_hash(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 of every ``mrkit`` source file that notebooks may call (all but :data:`NOT_ANALYSIS`)."""
    files = sorted(p for p in Path(package_dir).rglob("*.py")
                   if p.relative_to(package_dir).parts[0] not in NOT_ANALYSIS)
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(package_dir)).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def plan_defaults(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[defaults]`` of a parsed run plan, with mrkit's ``panel_seed`` and ``seed`` where it sets none."""
    out = dict(plan.get("defaults", {}))
    out.setdefault("panel_seed", DEFAULT_PANEL_SEED)
    out.setdefault("seed", DEFAULT_SEED)
    return out


def read_plan(path: str | Path) -> dict[str, Any]:
    """The run plan TOML as a dict; :class:`~mrkit.errors.MRKitError` names the file when it is not valid TOML."""
    try:
        return tomllib.loads(Path(path).read_text())
    except tomllib.TOMLDecodeError as exc:
        raise MRKitError(f"{path}: not valid TOML: {exc}") from None


def defaults_table(plan: Mapping[str, Any]) -> pd.DataFrame:
    """One row per default parameter of the run plan (:func:`plan_defaults`): parameter, value."""
    return pd.DataFrame([{"parameter": k, "value": str(v)} for k, v in plan_defaults(plan).items()])


def runs_table(plan: Mapping[str, Any]) -> pd.DataFrame:
    """One row per executed page of the run plan: notebook, page id, the parameters it gives on top of the
    defaults."""
    rows = []
    for spec in plan.get("run", []):
        for params in spec.get("for_each", [{}]):
            given = {**spec.get("parameters", {}), **params}
            rows.append({"notebook": spec["notebook"], "page id": spec["id"].format(**given),
                         "parameters": ", ".join(f"{k}={v}" for k, v in given.items())})
    return pd.DataFrame(rows, columns=["notebook", "page id", "parameters"])


def panel_files_table(folder: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The synthetic panel's files (name, bytes, SHA-256) from its ``manifest.json``, and the manifest."""
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    files = manifest.get("files", {})
    items: Iterable = files.items() if isinstance(files, dict) else ((f["name"], f) for f in files)
    rows = [{"file": name, "bytes": info.get("bytes"), "sha256": info.get("sha256")} for name, info in items]
    return pd.DataFrame(rows, columns=["file", "bytes", "sha256"]), manifest


def direction_settings_table(directions: Iterable[DirectionResult]) -> pd.DataFrame:
    """What each MR page's saved result says it was computed with: direction, convention, seed of the random
    draws, data and panel seed, p-value threshold of the instruments, MR-PRESSO distributions, instruments."""
    rows = []
    for d in directions:
        p = d.parameters
        rows.append({"direction": f"{d.exposure.label} → {d.outcome.label}", "convention": d.convention,
                     "seed": str(d.seed), "data": p.get("data", ""),  # seeds are names, not quantities
                     "panel seed": str(p.get("panel_seed", "")) if p.get("data") == "synthetic" else "–",
                     "p threshold": f"{p['p_threshold']:g}" if p.get("p_threshold") is not None else "–",
                     "MR-PRESSO distributions": p.get("presso_n"),
                     "instruments": d.instruments.nsnp})
    return pd.DataFrame(rows, columns=["direction", "convention", "seed", "data", "panel seed", "p threshold",
                                       "MR-PRESSO distributions", "instruments"])
