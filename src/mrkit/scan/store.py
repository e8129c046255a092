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
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..json_values import json_value
from ..paths import write_atomic
from .manifest import Manifest, Pair
from .tasks import RESULT_COLUMNS, PairResult, tidy_rows

__all__ = ["ScanStore"]

FORMAT_VERSION = 1


def _save(path: Path, data: bytes) -> None:
    """Atomically and flushed to disk (``fsync``): a resumed scan trusts every file it finds."""
    write_atomic(path, data, durable=True)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


class ScanStore:
    """The output folder of one scan (see the module docstring)."""

    def __init__(self, root: str | Path, manifest: Manifest):
        self.root = Path(root)
        self.manifest = manifest
        self.fingerprint = manifest.settings.fingerprint()

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
        """"ok" or "failed" when the pair has a current result, else None (to do)."""
        log, table = self.log_file(pair), self.pair_file(pair)
        if not (log.is_file() and table.is_file()):
            return None
        try:
            doc = json.loads(log.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        if doc.get("inputs") != json_value(self.inputs(pair)):
            return None
        return doc.get("status")

    def write(self, result: PairResult) -> None:
        """Record one pair: its rows, then its log (the commit record), each atomically."""
        _save(self.pair_file(result.pair), _parquet_bytes(tidy_rows(result.rows)))
        doc = {**result.log, "inputs": self.inputs(result.pair)}
        _save(self.log_file(result.pair),
                           (json.dumps(json_value(doc), indent=1) + "\n").encode())

    def assemble(self) -> pd.DataFrame:
        """Every pair's rows in manifest order (pairs without a result are left out); writes results.parquet."""
        frames = [pd.read_parquet(self.pair_file(p)) for p in self.manifest.pairs if self.status(p) is not None]
        table = (pd.concat(frames, ignore_index=True) if frames
                 else tidy_rows(pd.DataFrame(columns=list(RESULT_COLUMNS))))
        _save(self.table_file, _parquet_bytes(table))
        return table
