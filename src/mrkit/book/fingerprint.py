"""Run keys: a run is re-executed only when something that can change its output changed.

The key hashes the notebook source, the parameters (the seed of the analysis's draws among them), the
``mrkit`` analysis code (:func:`mrkit.paper.reproducibility.analysis_code_hash`: not the book machinery itself,
which does not change what a notebook computes), the input data's fingerprint (which names the synthetic
panel's ``panel_seed``: :func:`mrkit.paper.datasets.prepare`) and the keys of the runs it needs.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..paper.reproducibility import analysis_code_hash  # the Reproducibility page shows it too

__all__ = ["analysis_code_hash", "run_key"]


def run_key(notebook: Path, parameters: dict[str, Any], code_hash: str, data_fingerprint: str,
            upstream: Iterable[str] = ()) -> str:
    """The key under which a run's executed notebook stays valid."""
    h = hashlib.sha256()
    for part in (notebook.read_bytes(),
                 json.dumps(parameters, sort_keys=True, default=str).encode(),
                 code_hash.encode(), data_fingerprint.encode(), *(u.encode() for u in upstream)):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()
