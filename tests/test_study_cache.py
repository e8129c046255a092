"""The per-trait study tables on disk: keyed by the data fingerprint and the code, computed once when pages run
at once, and a cached run sees exactly what an uncached run computes."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pandas as pd

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
