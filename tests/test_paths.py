"""mrkit.paths: the safe-writing helpers every layer uses (atomic files and folders, the cross-process lock).

The guarantees tested are the guide's: a failure never leaves a half-written file or folder and never destroys
what the user had; two processes doing the same work at once are serialised.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time
from pathlib import Path

import pytest

from mrkit.paths import atomic_directory, atomic_output, file_lock, write_atomic


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "sub" / "out.json"
    write_atomic(target, "first")
    write_atomic(target, b"second", durable=True)
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_atomic_output_keeps_the_old_file_on_failure(tmp_path: Path):
    target = tmp_path / "table.csv"
    target.write_text("what the user had\n")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half a tab")
        raise RuntimeError("the writer died")
    assert target.read_text() == "what the user had\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_atomic_directory_replaces_on_success_and_keeps_the_old_folder_on_failure(tmp_path: Path):
    final = tmp_path / "panel"
    with atomic_directory(final) as tmp:
        (tmp / "a.txt").write_text("1")
    assert (final / "a.txt").read_text() == "1" and final.stat().st_mode & 0o777 == 0o755
    with pytest.raises(KeyboardInterrupt), atomic_directory(final) as tmp:
        (tmp / "b.txt").write_text("2")
        raise KeyboardInterrupt  # an interrupted build, too, leaves the old folder
    assert sorted(p.name for p in final.iterdir()) == ["a.txt"]
    with atomic_directory(final) as tmp:
        (tmp / "c.txt").write_text("3")
    assert sorted(p.name for p in final.iterdir()) == ["c.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["panel"]  # no temporary or old folder left behind


def _hold(lock: str, log: str, tag: str) -> None:
    with file_lock(lock):
        with open(log, "a") as fh:
            fh.write(f"{tag}-in\n")
        time.sleep(0.3)
        with open(log, "a") as fh:
            fh.write(f"{tag}-out\n")


def test_file_lock_serialises_processes(tmp_path: Path):
    lock, log = tmp_path / "locks" / ".x.lock", tmp_path / "log.txt"
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_hold, args=(str(lock), str(log), tag)) for tag in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    lines = log.read_text().split()
    # each holder's in and out are adjacent: the two critical sections never overlap
    assert sorted(lines) == ["a-in", "a-out", "b-in", "b-out"]
    assert lines[0][0] == lines[1][0] and lines[2][0] == lines[3][0]


def test_outputs_get_the_mode_open_would_give_them_not_mkstemps_0600(tmp_path: Path):
    """A results file on a shared server must be readable by the group, as R's write.csv makes it."""
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.csv", "x\n")
        with atomic_directory(tmp_path / "d") as d:
            (d / "f").write_text("y")
        os.umask(0o077)
        write_atomic(tmp_path / "private.csv", "x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "private.csv").stat().st_mode & 0o777 == 0o600


def test_an_output_path_that_is_a_folder_is_refused(tmp_path: Path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        write_atomic(tmp_path, "x")
    assert list(tmp_path.iterdir()) == []
