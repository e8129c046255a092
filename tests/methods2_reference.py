"""Reading ``../shared/validation/expected/methods2/*.json`` (R's numbers for the methods beyond the basic thirteen).

The JSON files were written by ``jsonlite::write_json(digits = NA, na = "string")``: numbers keep 15 significant
digits, and NA / NaN / Inf are the strings ``"NA"``, ``"NaN"``, ``"Inf"`` (and ``"-Inf"``). :func:`number` turns
those into floats; the inputs are exact ``%.17g`` strings. See ``../shared/validation/MANIFEST.md``, section "More
methods".
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

from conftest import SHARED

METHODS2 = SHARED / "validation" / "expected" / "methods2"
UNIVARIABLE = ("lipids_chd_ldlc", "bmi_chd", "calcium_fastgluc", "mrpresso_e1_y")
MULTIVARIABLE = ("lipids_chd_mv", "mrpresso_mv")
_SPECIAL = {"NA": np.nan, "NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf}


def number(value):
    """A JSON value as float (or float array): the NA/NaN/Inf strings become nan/inf; [] becomes an empty array."""
    if isinstance(value, list):
        return np.array([number(v) for v in value], dtype=float)
    if isinstance(value, str):
        return _SPECIAL[value] if value in _SPECIAL else float(value)
    return np.nan if value is None else float(value)


@cache
def load(dataset: str) -> dict:
    """The parsed JSON of one dataset (skips the calling test when the shared folder is absent)."""
    import pytest
    path = Path(METHODS2) / f"{dataset}.json"
    if not path.is_file():
        pytest.skip(f"{path} not found (set MRKIT_SHARED to the shared/ folder)")
    return json.loads(path.read_text())


def inputs(dataset: str) -> tuple[np.ndarray, ...]:
    """``bx, bxse, by, byse`` of a dataset: (J,) arrays, or (J, K) for bx/bxse of a multivariable one."""
    data = load(dataset)["input"]
    out = []
    for key in ("bx", "bxse", "by", "byse"):
        arr = number(data[key])
        out.append(arr.T if arr.ndim == 2 else arr)
    return tuple(out)


def block(dataset: str, name: str, package: str = "MendelianRandomization") -> dict:
    """One result block, e.g. ``block("bmi_chd", "mr_divw")``; skips if R did not run it there."""
    import pytest
    res = load(dataset)[package].get(name)
    if res is None or not res.get("ran", True):
        pytest.skip(f"{dataset}: R did not run {name}")
    return res


def assert_close(actual, expected, rel: float = 1e-6, abs_floor: float = 0.0, what: str = ""):
    """``|actual - expected| <= rel * max(|expected|, abs_floor)`` elementwise, NaN matching NaN, inf matching inf."""
    a = np.atleast_1d(np.asarray(actual, dtype=float))
    e = np.atleast_1d(number(expected) if not isinstance(expected, np.ndarray) else expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != R's {e.shape}"
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(e) & (a == e)
    tol = rel * np.maximum(np.abs(e), abs_floor)
    ok = both_nan | same_inf | (np.abs(a - e) <= tol)
    assert ok.all(), f"{what}: mrkit {a[~ok]} vs R {e[~ok]} (rel tol {rel}, floor {abs_floor})"


def max_differences(actual, expected) -> tuple[float, float]:
    """(max absolute, max relative) difference over the finite entries, for the parity table."""
    a = np.atleast_1d(np.asarray(actual, dtype=float))
    e = np.atleast_1d(number(expected) if not isinstance(expected, np.ndarray) else expected)
    ok = np.isfinite(a) & np.isfinite(e)
    if not ok.any():
        return 0.0, 0.0
    d = np.abs(a[ok] - e[ok])
    return float(d.max()), float((d / np.maximum(np.abs(e[ok]), 1e-300)).max())
