"""Shared fixtures: the R validation data beside the checkout (../shared/validation), and the small book."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MRKIT_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def validation_dir() -> Path:
    """``../shared/validation``; tests that need it skip with a clear message where it is absent."""
    path = SHARED / "validation"
    if not path.is_dir():
        pytest.skip(f"validation data not found at {path} (set MRKIT_SHARED to the shared/ folder)")
    return path


@pytest.fixture(scope="session")
def small_build(tmp_path_factory):
    """One build of ``mrkit book --profile small`` into a temporary folder (with its PDF where Chromium is
    installed): (layout, report), shared by the book and browser tests."""
    from mrkit.book.browser import find_chromium
    from mrkit.book.pipeline import DEFAULT_PLAN, Layout, build_book

    build = tmp_path_factory.mktemp("book")
    layout = Layout.default(ROOT, build=build)
    report = build_book(DEFAULT_PLAN, profile="small", layout=layout, progress=False,
                        pdf=find_chromium() is not None)
    return layout, report


def tsmr_outputs_case(validation_dir: Path, name: str, folder: Path) -> tuple[dict, Path]:
    """R's outputs of ``validation/expected/tsmr_outputs/<name>.json`` (TwoSampleMR 0.7.9) and the TwoSampleMR-named
    CSV of their input (the JSON's ``mrkit_csv.columns``, numbers as the exact ``%.17g`` strings R used)."""
    import json

    r = json.loads((validation_dir / "expected" / "tsmr_outputs" / f"{name}.json").read_text())
    short = {"beta.exposure": "bx", "se.exposure": "bxse", "beta.outcome": "by", "se.outcome": "byse"}
    columns = r["mrkit_csv"]["columns"]
    values = {c: r["input"][short.get(c, c)] for c in columns}
    path = folder / f"{name}.csv"
    lines = [",".join(columns)] + [",".join(str(values[c][j]) for c in columns) for j in range(r["J"])]
    path.write_text("\n".join(lines) + "\n")
    return r, path
