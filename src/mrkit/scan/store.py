"""A scan's output folder: one result file and one harmonisation log per pair, written atomically.

Layout of DIR::

    scan.json                        the settings (and their fingerprint), written when the scan starts
    pairs/<exposure>/<outcome>.parquet   that pair's rows (mrkit.scan.tasks.RESULT_COLUMNS)
    logs/<exposure>/<outcome>.json       its harmonisation log, the inputs' signatures and its status
    results.parquet                  every pair's rows, in manifest order (written at the end)

Every file is written to a temporary name in the same folder and renamed into place, so a reader never
sees half a file. A pair's parquet is written first and its log last: the log is the commit record. A
pair counts as done when both exist and the log's input signatures equal the current ones (a changed
input file makes its pairs stale, and they are computed again). A folder holding a scan made with other
settings is refused rather than mixed or overwritten.

Nothing damaged is trusted: each log records the sha256 of its pair's parquet and its own
(``self_sha256``, over the rest of the log), and ``results.json`` the sha256 of ``results.parquet``. A pair
whose log or result is unreadable, altered, empty or cut short is reported in one line on stderr and
computed again; a folder of an older format has its pairs computed again (said once).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..json_values import json_value
from ..paths import file_lock, report_damaged, write_atomic
from .manifest import Manifest, Pair
from .tasks import RESULT_COLUMNS, PairResult, tidy_rows

__all__ = ["ScanStore"]

FORMAT_VERSION = 2  # 2: checksums of every pair's result and log, and of results.parquet
#: damaged pair files reported one line each, up to this many; the rest are counted in one more line
REPORT_AT_MOST = 10


def _save(path: Path, data: bytes) -> None:
    """Atomically and flushed to disk (``fsync``): a resumed scan trusts every file it finds."""
    write_atomic(path, data, durable=True)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _digest(doc: dict) -> str:
    """sha256 of a JSON document in canonical form (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _sealed(doc: dict) -> bytes:
    """A log's text: the JSON-safe ``doc`` with its own sha256 (``self_sha256``)."""
    doc = json_value(doc)
    return (json.dumps({**doc, "self_sha256": _digest(doc)}, indent=1) + "\n").encode()


class ScanStore:
    """The output folder of one scan (see the module docstring)."""

    def __init__(self, root: str | Path, manifest: Manifest):
        self.root = Path(root)
        self.manifest = manifest
        self.fingerprint = manifest.settings.fingerprint()
        self.damaged: list[tuple[Path, str]] = []  # pair files found unusable (and computed again)
        self._older_format = False  # an older folder: its pairs carry no checksums and are computed again

    # -- paths ----------------------------------------------------------------------------------------
    def pair_file(self, pair: Pair) -> Path:
        return self.root / "pairs" / pair.exposure / f"{pair.outcome}.parquet"

    def log_file(self, pair: Pair) -> Path:
        return self.root / "logs" / pair.exposure / f"{pair.outcome}.json"

    @property
    def table_file(self) -> Path:
        return self.root / "results.parquet"

    # -- state ----------------------------------------------------------------------------------------
    def open(self) -> None:
        """Create the folder, or check that it holds a scan with the same settings."""
        info = self.root / "scan.json"
        if info.exists():
            try:
                old = json.loads(info.read_text())
            except json.JSONDecodeError:
                raise InputError("not a scan folder (scan.json unreadable); choose another output folder",
                                 file=str(info)) from None
            if old.get("settings_sha256") != self.fingerprint:
                raise InputError("this folder holds a scan made with other settings; its results are kept: "
                                 "choose another output folder (or move this one away)", file=str(info))
            version = old.get("format_version")
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise InputError(f"this folder was written by another version of mrkit (format {version!r}, this "
                                 f"one writes {FORMAT_VERSION}); choose another output folder", file=str(info))
            if version < FORMAT_VERSION:
                report_damaged(self.root, f"written by an older mrkit (format {version}), without checksums",
                               "its pairs are computed again")
                self._older_format = True
                _save(info, (json.dumps(json_value({**old, "format_version": FORMAT_VERSION}), indent=1,
                                        sort_keys=True) + "\n").encode())
            return
        if self.root.exists() and any(self.root.iterdir()):
            raise InputError("the output folder exists and is not a scan folder (no scan.json); choose another",
                             file=str(self.root))
        from dataclasses import asdict

        doc = {"format_version": FORMAT_VERSION, "manifest": str(self.manifest.path),
               "settings": asdict(self.manifest.settings), "settings_sha256": self.fingerprint}
        _save(info, (json.dumps(json_value(doc), indent=1, sort_keys=True) + "\n").encode())

    def inputs(self, pair: Pair) -> dict:
        return {"exposure": self.manifest.exposures[pair.exposure].signature(),
                "outcome": self.manifest.outcomes[pair.outcome].signature(),
                "p_threshold": self.manifest.exposure_threshold(pair.exposure),
                "settings_sha256": self.fingerprint}

    def status(self, pair: Pair) -> str | None:
        """"ok" or "failed" when the pair has a current, intact result, else None (to do)."""
        found = self._committed(pair)
        return None if found is None else found[0].get("status")

    def _committed(self, pair: Pair) -> tuple[dict, bytes] | None:
        """The pair's log and result bytes when both are there, intact and current; else None (a damaged file
        is reported, once)."""
        log, table = self.log_file(pair), self.pair_file(pair)
        if not log.exists():
            return None  # not done, or cut before its commit record
        try:
            doc = json.loads(log.read_text())
        except (OSError, ValueError) as exc:
            return self._damage(log, f"unreadable ({type(exc).__name__})")
        if not isinstance(doc, dict) or "self_sha256" not in doc:
            return None if self._older_format else self._damage(log, "no checksum (another version of mrkit?)")
        sealed = doc.pop("self_sha256")
        if sealed != _digest(doc):
            return self._damage(log, "damaged: its sha256 differs from the one it records")
        if doc.get("inputs") != json_value(self.inputs(pair)):
            return None  # stale: an input or the settings changed
        try:
            data = table.read_bytes()
        except OSError as exc:
            return self._damage(table, f"unreadable ({exc.strerror or type(exc).__name__})")
        if hashlib.sha256(data).hexdigest() != doc.get("result", {}).get("sha256"):
            return self._damage(table, f"damaged: its sha256 differs from the one its log records ({len(data)} "
                                       f"bytes now, {doc.get('result', {}).get('bytes')} written)")
        return doc, data

    def _damage(self, path: Path, problem: str) -> None:
        if any(p == path for p, _ in self.damaged):
            return None
        self.damaged.append((path, problem))
        if len(self.damaged) <= REPORT_AT_MOST:
            report_damaged(path, problem, "computing the pair again")
        return None

    def report_more_damage(self) -> None:
        """Say, in one line, how many damaged files went unreported (beyond :data:`REPORT_AT_MOST`)."""
        if len(self.damaged) > REPORT_AT_MOST:
            report_damaged(self.root, f"{len(self.damaged) - REPORT_AT_MOST} more pair files damaged",
                           "computing their pairs again")

    def write(self, result: PairResult) -> None:
        """Record one pair: its rows, then its log (the commit record, with the rows' sha256), each atomically."""
        data = _parquet_bytes(result.rows)  # tidy already (tasks.tidy_rows made every PairResult's rows)
        _save(self.pair_file(result.pair), data)
        doc = {**result.log, "inputs": self.inputs(result.pair),
               "result": {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}}
        _save(self.log_file(result.pair), _sealed(doc))

    def assemble(self) -> pd.DataFrame:
        """Every pair's rows in manifest order (pairs without an intact, current result are left out); writes
        results.parquet, then results.json (its sha256)."""
        import io

        found = (self._committed(p) for p in self.manifest.pairs)
        frames = [pd.read_parquet(io.BytesIO(got[1])) for got in found if got is not None]
        table = (pd.concat(frames, ignore_index=True) if frames
                 else tidy_rows(pd.DataFrame(columns=list(RESULT_COLUMNS))))
        data = _parquet_bytes(table)
        _save(self.table_file, data)
        _save(self.root / "results.json", _sealed({"format_version": FORMAT_VERSION, "file": self.table_file.name,
                                                   "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}))
        return table


def folder_lock(root: str | Path, command: str = "mrkit scan"):
    """The lock that makes scans into one folder take turns (a file beside it: :func:`mrkit.paths.file_lock`);
    a scan that finds it held says so on stderr, waits, then resumes after the pairs the other one wrote."""
    import os
    import sys
    import time

    root = Path(root)

    def waiting(holder: str) -> None:
        print(f"{command}: another scan is writing into {root} ({holder or 'process unknown'}); waiting for it to "
              "finish, then resuming after the pairs it wrote", file=sys.stderr, flush=True)

    note = f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}"
    return file_lock(root.parent / f".{root.name}.lock", note=note, on_wait=waiting, guards=root)


def read_results(root: str | Path) -> pd.DataFrame:
    """``DIR/results.parquet`` of a finished scan, checked against ``DIR/results.json``.

    Raises
    ------
    InputError
        The table is missing, damaged or not the one its record describes (run the scan again: it rebuilds the
        table from the pairs' files, computing nothing that is intact).
    """
    import io

    root = Path(root)
    table = root / "results.parquet"
    again = "run the same `mrkit scan` again to rebuild it from the pairs"
    try:
        doc = json.loads((root / "results.json").read_text())
        data = table.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"no finished scan here ({Path(exc.filename).name} missing); {again}",
                         file=str(root)) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable ({type(exc).__name__}); {again}", file=str(table)) from None
    sealed = doc.pop("self_sha256", None) if isinstance(doc, dict) else None
    if sealed is None or sealed != _digest(doc) or doc.get("sha256") != hashlib.sha256(data).hexdigest():
        raise InputError(f"damaged: its sha256 differs from the one recorded in results.json; {again}",
                         file=str(table))
    return pd.read_parquet(io.BytesIO(data))
