"""Where mrkit keeps data it downloads or generates.

The cache defaults to ``data/cache`` in the project checkout (or ``~/.cache/mrkit`` for an installed
package) and can be moved with the ``MRKIT_CACHE`` environment variable.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"


def cache_dir() -> Path:
    """The data cache folder (created on demand)."""
    env = os.environ.get("MRKIT_CACHE")
    if env:
        path = Path(env)
    elif (PROJECT_ROOT / "pyproject.toml").exists():
        path = DATA_DIR / "cache"
    else:
        path = Path.home() / ".cache" / "mrkit"
    path.mkdir(parents=True, exist_ok=True)
    return path
