"""The per-trait study tables on disk: keyed by the data fingerprint and the code, computed once when pages run
at once, and a cached run sees exactly what an uncached run computes."""
from __future__ import annotations

import errno
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import MRKitError
from mrkit.paper import study_cache
from mrkit.paper.study import Study
from mrkit.paper.study_cache import StudyCache


def frame() -> pd.DataFrame:
    f = pd.DataFrame({"snp": pd.array(["rs1", "rs2", None], dtype="str"), "beta": [0.1, -0.2, np.nan],
                      "n": [10, 20, 30], "weak": [True, False, True]}, index=[4, 7, 9])
    f.attrs = {"source": "x.tsv.gz", "dropped": {"missing p": 2}, "clump": {"absent": [], "kb": 10000.0}}
    return f


def test_tables_are_keyed_by_the_data_fingerprint(tmp_path: Path):
    calls = []

    def compute():
        calls.append(1)
        return frame(), {"log": {"read": 3}}

    a = StudyCache("data-v1", {"clump_r2": 0.001}, root=tmp_path)
    got, extra = a.table("gwas-insomnia", compute)
    again, _ = StudyCache("data-v1", {"clump_r2": 0.001}, root=tmp_path).table("gwas-insomnia", compute)
    assert len(calls) == 1  # the second study read the table
    pd.testing.assert_frame_equal(got, again, check_exact=True)
    assert again.attrs == frame().attrs and extra == {"log": {"read": 3}}
    # new data (or other settings) never meet the old table
    StudyCache("data-v2", {"clump_r2": 0.001}, root=tmp_path).table("gwas-insomnia", compute)
    StudyCache("data-v1", {"clump_r2": 0.01}, root=tmp_path).table("gwas-insomnia", compute)
    assert len(calls) == 3


def test_a_change_of_code_invalidates(tmp_path: Path, monkeypatch):
    calls = []

    def compute():
        calls.append(1)
        return frame(), {}

    StudyCache("d", {}, root=tmp_path).table("t", compute)
    monkeypatch.setattr(study_cache, "code_version", lambda: "other code")
    StudyCache("d", {}, root=tmp_path).table("t", compute)
    assert len(calls) == 2


def test_round_trip_keeps_dtypes_index_and_attrs(tmp_path: Path):
    cached, _ = StudyCache("d", {}, root=tmp_path).table("t", lambda: (frame(), {}))
    uncached, _ = StudyCache("d", {}, root=tmp_path, enabled=False).table("t", lambda: (frame(), {}))
    for got in (cached, uncached):
        pd.testing.assert_frame_equal(got, frame(), check_exact=True, check_index_type=True)
        assert list(got.dtypes) == list(frame().dtypes) and got.attrs == frame().attrs


def test_old_keys_are_cleaned_up(tmp_path: Path):
    for i in range(study_cache.KEEP_KEYS + 3):
        StudyCache(f"data-{i}", {}, root=tmp_path).table("t", lambda: (frame(), {}))
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == study_cache.KEEP_KEYS


def _compute_in_process(root: str, log: str) -> None:
    def compute():
        with open(log, "a") as fh:
            fh.write("computed\n")
        import time
        time.sleep(0.5)  # long enough for the other process to find the table missing and wait
        return frame(), {}

    StudyCache("d", {}, root=Path(root)).table("shared", compute)


def test_pages_running_at_once_compute_a_table_once(tmp_path: Path):
    log = tmp_path / "log.txt"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_compute_in_process, args=(str(tmp_path / "cache"), str(log))) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert log.read_text().splitlines() == ["computed"]


def _strip_plink_log(attrs: dict) -> dict:
    """PLINK's log names its temporary folder and the time: the only part that differs between runs."""
    clump = {k: v for k, v in attrs.get("clump", {}).items() if k != "plink_log"}
    return {**attrs, "clump": clump}


def test_cached_and_uncached_study_give_identical_results(tmp_path: Path, monkeypatch):
    """On the small synthetic panel: a first run (computes and stores), a second run (reads) and a run with
    the cache off give the same instruments, GWAS tables and harmonised data, to the bit."""
    monkeypatch.setattr(study_cache, "cache_dir", lambda: tmp_path)
    first, second, off = (Study(panel_size="small"), Study(panel_size="small"), Study(panel_size="small", cache=False))
    for exposure, outcome, threshold in (("insomnia", "lbp", 5e-8), ("lbp", "insomnia", 5e-6)):
        sets = [s.instruments(exposure, threshold) for s in (first, second, off)]
        harmonised = [s.harmonised(exposure, outcome, threshold) for s in (first, second, off)]
        gwas = [s.gwas(outcome) for s in (first, second, off)]
        for other in (1, 2):
            pd.testing.assert_frame_equal(sets[0].table, sets[other].table, check_exact=True, check_index_type=True)
            assert _strip_plink_log(sets[0].table.attrs) == _strip_plink_log(sets[other].table.attrs)
            assert (sets[0].log, sets[0].engine, sets[0].strength) == (sets[other].log, sets[other].engine,
                                                                      sets[other].strength)
            pd.testing.assert_frame_equal(harmonised[0], harmonised[other], check_exact=True)
            assert harmonised[0].attrs == harmonised[other].attrs
            pd.testing.assert_frame_equal(gwas[0], gwas[other], check_exact=True, check_index_type=True)
            assert gwas[0].attrs == gwas[other].attrs
    assert first.tables.computed and not second.tables.computed  # the second study only read
    assert first.tables.folder == second.tables.folder and first.tables.folder.parent == tmp_path / "study"


# -- a damaged table is never used: reported in one line, computed again (issue 21) -------------------------------
# Before: a truncated file stopped the next build with a pyarrow traceback, and eight flipped bytes were read
# silently (one variant's EAF became -6.21 in the analysis).

def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_eight_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + 8):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _another_format(path: Path) -> None:
    """What another version of the cache wrote: a plain Parquet file (no mrkit metadata) and its own record."""
    frame().to_parquet(path)
    path.with_suffix(".json").write_text('{"format": 1, "sha256": "%s"}' % ("0" * 64))


def _no_record(path: Path) -> None:
    path.with_suffix(".json").unlink()


def _damaged_record(path: Path) -> None:
    record = path.with_suffix(".json")
    record.write_text(record.read_text()[:-9])


DAMAGE = {"truncated": _truncate, "eight bytes flipped": _flip_eight_bytes, "zero-length": _empty,
          "another format version": _another_format, "no checksum record": _no_record,
          "record cut short": _damaged_record}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_table_is_reported_in_one_line_and_computed_again(tmp_path: Path, capsys, damage):
    calls = []

    def compute():
        calls.append(1)
        return frame(), {"log": {"read": 3}}

    cache = StudyCache("d", {}, root=tmp_path)
    first, extra = cache.table("gwas-insomnia-p5e-08", compute)
    path = cache.path("gwas-insomnia-p5e-08")
    DAMAGE[damage](path)
    again, extra_again = StudyCache("d", {}, root=tmp_path).table("gwas-insomnia-p5e-08", compute)
    assert len(calls) == 2  # computed again, not read
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    assert again.attrs == first.attrs and extra_again == extra
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"mrkit: {path}: ") and "computing it again" in err
    assert "Traceback" not in err
    # mended: the next reader reads it, silently
    StudyCache("d", {}, root=tmp_path).table("gwas-insomnia-p5e-08", compute)
    assert len(calls) == 2 and capsys.readouterr().err == ""


def test_an_unreadable_table_is_computed_again(tmp_path: Path, monkeypatch, capsys):
    cache = StudyCache("d", {}, root=tmp_path)
    cache.table("t", lambda: (frame(), {}))
    path = cache.path("t")
    real = Path.read_bytes

    def failing_disk(self):
        if self == path:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", failing_disk)
    calls = []
    got, _ = StudyCache("d", {}, root=tmp_path).table("t", lambda: calls.append(1) or (frame(), {}))
    assert calls == [1]
    pd.testing.assert_frame_equal(got, frame(), check_exact=True)
    assert capsys.readouterr().err == f"mrkit: {path}: unreadable (Input/output error); computing it again\n"


def test_table_names_that_are_not_plain_are_refused(tmp_path: Path):
    cache = StudyCache("d", {}, root=tmp_path)
    for bad in ("gwas-x\n", "../escape", "a/b", "..", "a\0b", ""):
        with pytest.raises(MRKitError, match="not a plain name"):
            cache.table(bad, lambda: (frame(), {}))
    assert [p.name for p in tmp_path.iterdir()] == []  # nothing written anywhere


def test_the_study_finds_the_same_numbers_after_its_cache_is_damaged(tmp_path: Path, monkeypatch, capsys):
    """On the small synthetic panel: each kind of damage to the cached GWAS and instrument tables of a trait,
    then a new Study computes them again and gets what the first one got, to the bit."""
    monkeypatch.setattr(study_cache, "cache_dir", lambda: tmp_path)
    first = Study(panel_size="small")
    inst = first.instruments("insomnia", 5e-8)
    gwas = first.gwas("insomnia", 5e-8)
    folder = first.tables.folder
    capsys.readouterr()
    for name, damage in DAMAGE.items():
        damage(folder / "instruments-insomnia-p5e-08.parquet")
        damage(folder / "gwas-insomnia-p5e-08.parquet")
        study = Study(panel_size="small")
        got = study.instruments("insomnia", 5e-8)
        assert sorted(study.tables.computed) == ["gwas-insomnia-p5e-08", "instruments-insomnia-p5e-08"], name
        pd.testing.assert_frame_equal(got.table, inst.table, check_exact=True)
        assert (got.log, got.strength) == (inst.log, inst.strength)
        pd.testing.assert_frame_equal(study.gwas("insomnia", 5e-8), gwas, check_exact=True)
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 2 and all("computing it again" in line for line in err), (name, err)
