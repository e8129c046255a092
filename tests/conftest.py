"""Shared fixtures: the R validation data beside the checkout (../shared/validation)."""
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
