"""Where mrkit keeps data it downloads or generates.

The cache defaults to ``data/cache`` in the project checkout (or ``~/.cache/mrkit`` for an installed
package) and can be moved with the ``MRKIT_CACHE`` environment variable.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    A failure while writing leaves the user's existing file as it was (no half-written output).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
