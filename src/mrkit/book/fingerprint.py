"""Run keys: a run is re-executed only when something that can change its output changed.

The key hashes the notebook source, the parameters, the ``mrkit`` analysis code (not the book
machinery itself, which does not change what a notebook computes), the input data's fingerprint and
the keys of the runs it needs.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: Parts of mrkit that drive the build but cannot change a notebook's output.
_NOT_ANALYSIS = ("book", "commands", "cli.py")


def _hash_files(files: Iterable[Path], base: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.relative_to(base)).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def analysis_code_hash(package_dir: Path = PACKAGE_DIR) -> str:
    """Hash of every ``mrkit`` source file that notebooks may call."""
    files = [p for p in package_dir.rglob("*.py")
             if p.relative_to(package_dir).parts[0] not in _NOT_ANALYSIS]
    return _hash_files(files, package_dir)


def run_key(notebook: Path, parameters: dict[str, Any], code_hash: str, data_fingerprint: str,
            upstream: Iterable[str] = ()) -> str:
    """The key under which a run's executed notebook stays valid."""
    h = hashlib.sha256()
    for part in (notebook.read_bytes(),
                 json.dumps(parameters, sort_keys=True, default=str).encode(),
                 code_hash.encode(), data_fingerprint.encode(), *(u.encode() for u in upstream)):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()
