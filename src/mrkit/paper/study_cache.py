"""The study's per-trait tables, computed once and kept as Parquet files across pages and builds.

Every page of the book follows the same path for a trait: read its GWAS file (500,000 rows of gzip
text), select the variants below a p-value threshold, clump them against the reference panel. Done
on every page, that is most of a page's time. :class:`StudyCache` stores each such table the first
time any page computes it, under ``<data cache>/study/<key>/``, where the key hashes

* the data fingerprint (:func:`mrkit.paper.datasets.prepare`: the synthetic panel's manifest, or
  the real files' paths, sizes and modification times), so new data never meet old tables;
* the code that computes the tables (:func:`code_version`: the readers, clumping, strength and this
  path), so a changed reader or clump never serves a table it would no longer produce;
* the settings that shape them (clumping r2 and window, the clump engine found on this machine).

A table is written to a temporary file and renamed into place, under a lock per table, so that two
pages running at once compute it once and nobody reads half a file. What a page gets back is always
the table decoded from the Parquet bytes, on the run that computed it as on every later run: a cached
and an uncached run see the same object (frame, dtypes, index and ``attrs``).

Beside each ``<name>.parquet`` a record ``<name>.json`` (written after it: the commit record) holds the
cache's format version and the file's sha256. A table is read whole, hashed and decoded from the bytes
that were hashed, so a file that is truncated, altered, empty, unreadable or of another format version is
never used: it is reported in one line on stderr (:func:`mrkit.paths.report_damaged`) and computed again.
Hashing costs about 2 ms per MB read (the tables of the full panel are about 1 MB each).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import MRKitError
from ..gwas.schema import DroppedVariants
from ..json_values import json_value
from ..paths import cache_dir, file_lock, plain_name, report_damaged, write_atomic

__all__ = ["StudyCache", "code_version", "CODE_PARTS"]

PACKAGE = Path(__file__).resolve().parents[1]
#: Parts of mrkit whose code decides what a cached table holds (paths relative to the package).
CODE_PARTS = ("errors.py", "rng.py", "paths.py", "gwas", "methods", "paper/study.py", "paper/study_cache.py",
              "paper/datasets.py")
_META_KEY = b"mrkit"
FORMAT_VERSION = 2  # 2: a checksum record beside each table
#: Key folders kept (the most recently used); older ones (other data or code) are removed.
KEEP_KEYS = 4


@lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 of the source of :data:`CODE_PARTS` (taken once per process)."""
    h = hashlib.sha256(f"study-cache-{FORMAT_VERSION}".encode())
    files: list[Path] = []
    for part in CODE_PARTS:
        path = PACKAGE / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for f in files:
        h.update(str(f.relative_to(PACKAGE)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


_DROPPED_KEY = "__mrkit_dropped_variants__"


def _stored(value: Any) -> Any:
    """What :func:`mrkit.json_values.json_value` cannot convert by itself, as the cache stores it."""
    if isinstance(value, DroppedVariants):  # a reader's dropped ids (attrs["invalid"]), restored by _restore
        return {_DROPPED_KEY: {"ids": value.ids.tolist(), "reasons": value.reasons.tolist()}}
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in the study cache")




class StudyCache:
    """Parquet tables of one (data, code, settings) key; ``enabled=False`` computes every time.

    Parameters
    ----------
    fingerprint : str
        The data fingerprint.
    settings : dict
        Everything else the tables depend on (JSON-able).
    root : Path, optional
        Where keys live (default ``<data cache>/study``).
    """

    def __init__(self, fingerprint: str, settings: dict[str, Any], root: Path | None = None,
                 enabled: bool = True):
        blob = json.dumps({"data": fingerprint, "code": code_version(), "settings": settings}, sort_keys=True)
        self.key = hashlib.sha256(blob.encode()).hexdigest()[:24]
        self.folder = (Path(root) if root is not None else cache_dir() / "study") / self.key
        self.enabled = enabled
        self.computed: list[str] = []  # names computed by this process (the others were read)

    def path(self, name: str) -> Path:
        """The Parquet file of table ``name`` (a :func:`mrkit.paths.plain_name`; raises MRKitError otherwise)."""
        if not plain_name(name):
            raise MRKitError(f"study cache: table name {name!r} is not a plain name (letters, digits, '_', '.', '-', "
                             "starting with a letter or digit)")
        return self.folder / f"{name}.parquet"

    def table(self, name: str, compute: Callable[[], tuple[Any, dict]]) -> tuple[Any, dict]:
        """``(frame, extra)`` stored under ``name``: read it (checked against its recorded sha256), or
        ``compute()`` it, store it and decode what was stored.

        ``frame`` is a pandas DataFrame (its ``attrs`` are kept); ``extra`` a JSON-able dict.
        """
        if not self.enabled:
            return _roundtrip(*compute())
        path = self.path(name)
        got, _ = _load(path)
        if got is None:
            self._make_folder()
            with file_lock(path.with_name(path.name + ".lock"), guards=path):
                got, problem = _load(path)  # another page may have made (or mended) it while we waited
                if got is None:
                    if problem is not None:
                        report_damaged(path, problem)
                    data = _encode_bytes(*compute())
                    _write(path, data)
                    got = _decode(pq.read_table(pa.BufferReader(data)))
                    self.computed.append(name)
        with suppress(OSError):  # (a read-only cache is read, not marked)
            os.utime(self.folder)  # marks the key as used, for the clean-up above
        return got


    def _make_folder(self) -> None:
        """Create this key's folder and remove all but the :data:`KEEP_KEYS` most recently used others."""
        if self.folder.is_dir():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        others = [p for p in self.folder.parent.iterdir() if p.is_dir() and p != self.folder]
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[KEEP_KEYS - 1:]:
            shutil.rmtree(old, ignore_errors=True)


def _encode(frame, extra: dict) -> pa.Table:
    plain = frame.copy(deep=False)
    plain.attrs = {}  # kept below in mrkit's own metadata, not in pandas' (which cannot hold every value)
    table = pa.Table.from_pandas(plain)
    # strict=False: NaN and infinities come back as they were (Python's json reads its NaN/Infinity)
    meta = json.dumps(json_value({"attrs": frame.attrs, "extra": extra}, strict=False, default=_stored))
    return table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: meta.encode()})


def _decode(table: pa.Table) -> tuple[Any, dict]:
    meta = json.loads(table.schema.metadata[_META_KEY])
    frame = table.to_pandas()
    frame.attrs = {k: _restore(v) for k, v in meta["attrs"].items()}
    return frame, meta["extra"]


def _restore(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {_DROPPED_KEY}:
        return DroppedVariants(np.asarray(value[_DROPPED_KEY]["ids"], dtype=object),
                               np.asarray(value[_DROPPED_KEY]["reasons"], dtype=object))
    return value


def _encode_bytes(frame, extra: dict) -> bytes:
    buffer = pa.BufferOutputStream()
    pq.write_table(_encode(frame, extra), buffer)
    return buffer.getvalue().to_pybytes()


def _record_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _write(path: Path, data: bytes) -> None:
    """The table's bytes, then its record (format version, sha256, size): the record commits the table."""
    write_atomic(path, data)
    record = {"format": FORMAT_VERSION, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    write_atomic(_record_path(path), json.dumps(record, sort_keys=True) + "\n")


def _load(path: Path) -> tuple[tuple[Any, dict] | None, str | None]:
    """``(table, None)`` when ``path`` holds an intact table of this format; ``(None, None)`` when there is
    none yet; ``(None, problem)`` when what is there cannot be used (``problem`` says why, in a few words)."""
    record_path = _record_path(path)
    if not path.exists() and not record_path.exists():
        return None, None
    try:
        record = json.loads(record_path.read_text())
    except FileNotFoundError:
        return None, "no checksum record beside it (written by another version of mrkit, or cut short)"
    except (OSError, ValueError) as exc:
        return None, f"its checksum record {record_path.name} is unreadable ({type(exc).__name__})"
    if not isinstance(record, dict) or record.get("format") != FORMAT_VERSION:
        found = record.get("format") if isinstance(record, dict) else None
        return None, f"written in format {found!r}, not this mrkit's format {FORMAT_VERSION}"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or type(exc).__name__})"
    if hashlib.sha256(data).hexdigest() != record.get("sha256"):
        return None, (f"damaged: its sha256 differs from the one recorded when it was written ({len(data)} bytes "
                      f"now, {record.get('bytes')} then)")
    try:
        return _decode(pq.read_table(pa.BufferReader(data))), None
    except (pa.ArrowException, OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"not a table of this cache ({type(exc).__name__}: {str(exc)[:80]})"


def _roundtrip(frame, extra: dict) -> tuple[Any, dict]:
    """What a cached run would read back, through Parquet in memory (so that cache on and off agree)."""
    return _decode(pq.read_table(pa.BufferReader(_encode_bytes(frame, extra))))
