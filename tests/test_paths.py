"""mrkit.paths: the safe-writing helpers every layer uses (atomic files and folders, the cross-process lock).

The guarantees tested are the guide's: a failure never leaves a half-written file or folder and never destroys
what the user had; two processes doing the same work at once are serialised.
"""
from __future__ import annotations

import errno
import multiprocessing as mp
import os
import time
from pathlib import Path

import pytest

from mrkit import paths
from mrkit.paths import atomic_directory, atomic_output, file_lock, plain_name, write_atomic


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


# -- a write that fails names the output asked for, never the temporary file; nothing the user had is lost ------
# (issue 21: "a write into a read-only folder names the temporary file instead of the output"). The machine's
# failures are simulated where the system would raise them: creating the temporary file (a read-only folder:
# EROFS, EACCES), writing its bytes (a full disk: ENOSPC, which names no file), renaming it into place.

def _refuse_temporaries(monkeypatch, code: int) -> None:
    real = os.open

    def refusing(path, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(paths.os, "open", refusing)


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_a_read_only_folder_is_named_by_the_output_and_the_old_file_stays(tmp_path: Path, monkeypatch, code):
    target = tmp_path / "table.csv"
    target.write_text("what the user had\n")
    _refuse_temporaries(monkeypatch, code)
    with pytest.raises(OSError) as info:
        write_atomic(target, "new")
    assert info.value.errno == code and info.value.filename == str(target)
    assert ".tmp" not in str(info.value) and "the one there is unchanged" in str(info.value)
    assert target.read_text() == "what the user had\n"
    with pytest.raises(OSError) as info:
        write_atomic(tmp_path / "new.csv", "x")
    assert info.value.filename == str(tmp_path / "new.csv") and "nothing was written" in str(info.value)


def test_a_full_disk_is_named_by_the_output_and_the_old_file_stays(tmp_path: Path, monkeypatch):
    target = tmp_path / "table.csv"
    target.write_text("what the user had\n")

    class FullDisk:
        def __init__(self, *args):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as write(2) reports it: no file name

    monkeypatch.setattr(paths, "open", FullDisk, raising=False)  # the module's open, not every open
    with pytest.raises(OSError) as info:
        write_atomic(target, "a long table")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert target.read_text() == "what the user had\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]  # no temporary left


def test_an_error_about_another_file_is_left_as_it_was(tmp_path: Path):
    """Reading an input inside the block fails for the input, not for the output."""
    with pytest.raises(FileNotFoundError) as info, atomic_output(tmp_path / "out.csv") as tmp:
        tmp.write_text((tmp_path / "missing-input.csv").read_text())
    assert info.value.filename == str(tmp_path / "missing-input.csv")


def test_a_folder_that_cannot_be_made_or_renamed_is_named_by_the_output(tmp_path: Path, monkeypatch):
    final = tmp_path / "panel"
    with atomic_directory(final) as tmp:
        (tmp / "a.txt").write_text("1")

    def refusing(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".panel.tmp-abc"))

    with monkeypatch.context() as m:
        m.setattr(paths.tempfile, "mkdtemp", refusing)
        with pytest.raises(PermissionError) as info, atomic_directory(final):
            pass
    assert info.value.filename == str(final) and ".tmp" not in str(info.value)
    real_rename = Path.rename

    def rename(self, target):  # the new folder cannot take the name (the old one was moved aside first)
        if self.name.startswith(".panel.tmp-"):
            raise OSError(errno.EROFS, "Read-only file system", str(self), str(target))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError) as info, atomic_directory(final) as tmp:
        (tmp / "b.txt").write_text("2")
    assert info.value.filename == str(final) and ".tmp" not in str(info.value)
    assert sorted(p.name for p in final.iterdir()) == ["a.txt"]  # the user's folder is back, whole
    assert [p.name for p in tmp_path.iterdir()] == ["panel"]


def test_the_command_line_names_the_output_when_it_cannot_be_written(tmp_path: Path, monkeypatch, capsys):
    from mrkit.cli import main

    table = tmp_path / "gwas.tsv"
    table.write_text("SNP\teffect_allele\tother_allele\tbeta\tse\tp\nrs1\tA\tG\t0.1\t0.02\t1e-6\n")
    out = tmp_path / "out.tsv"
    out.write_text("the user's rows\n")
    _refuse_temporaries(monkeypatch, errno.EROFS)
    assert main(["read", str(table), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"mrkit read: error: {out}: cannot write: Read-only file system; the one there is unchanged")
    assert out.read_text() == "the user's rows\n"


def test_no_command_writes_over_its_own_input(validation_dir: Path, tmp_path: Path, capsys):
    """A newcomer's trial: ``mrkit read X -o X`` replaced a TwoSampleMR CSV with mrkit's TSV of it, ``mrkit
    harmonise exp.csv out.csv -o exp.csv`` the exposure with the harmonised table, ``mrkit plot ... --data h.csv``
    (read as "the input data") the harmonised table, each with exit 0. Each is refused before anything is read or
    written, also through another name of the file (a symbolic link), and the input stays as it was."""
    from mrkit.cli import main

    exposure = tmp_path / "exposure.csv"
    exposure.write_bytes((validation_dir / "bmi_ieu-a-2_exposure.csv").read_bytes())
    outcome = tmp_path / "outcome.csv"
    outcome.write_bytes((validation_dir / "chd_ieu-a-7_outcome.csv").read_bytes())
    harmonised = tmp_path / "h.csv"
    harmonised.write_bytes((validation_dir / "harmonised" / "lipids_chd_ldlc.csv").read_bytes())
    (tmp_path / "link.csv").symlink_to(exposure)
    before = {p: p.read_bytes() for p in (exposure, outcome, harmonised)}
    runs = [(["read", str(exposure), "-o", str(exposure)], exposure, exposure),
            (["read", str(exposure), "-o", str(tmp_path / "link.csv")], tmp_path / "link.csv", exposure),
            (["harmonise", str(exposure), str(outcome), "-o", str(outcome)], outcome, outcome),
            (["plot", "scatter", str(harmonised), "-o", str(tmp_path / "f.png"), "--data", str(harmonised)],
             harmonised, harmonised),
            (["opengwas", "associations", "ieu-a-7", "--snps", str(exposure), "-o", str(exposure)], exposure,
             exposure)]
    for argv, out, source in runs:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err == (f"mrkit {argv[0]}: error: {out}: is an input of this command ({source}): writing it would "
                       "replace the data read; give the output another name\n"), err
    assert {p: p.read_bytes() for p in before} == before
    assert not (tmp_path / "f.png").exists()
    assert main(["read", str(exposure), "-o", "-"]) == 0  # standard output is no file


# -- names that become paths are matched whole --------------------------------------------------------------------

def test_plain_names_are_matched_whole():
    for good in ("insomnia", "mr-insomnia-to-lbp", "gwas-lbp-p5e-08", "a.b_c-1", "T2D"):
        assert plain_name(good), good
    # $ would match before the final newline; "/", "..", NUL, spaces, an empty or hidden name never pass
    for bad in ("insomnia\n", "a/b", "..", ".", "../x", "x/..", "a\0b", "", " a", "a b", ".hidden", "-x",
                "a\r", "a\nb", "é", None, 3):
        assert not plain_name(bad), repr(bad)


# -- the lock says who holds it ---------------------------------------------------------------------------------

def _hold_with_note(lock: str, ready: str, release: str) -> None:
    with file_lock(lock, note="pid of the first, started at noon"):
        Path(ready).write_text("in")
        deadline = time.monotonic() + 60
        while not Path(release).exists() and time.monotonic() < deadline:
            time.sleep(0.02)


def test_a_waiting_process_is_told_who_holds_the_lock(tmp_path: Path):
    lock, ready, release = tmp_path / "build.lock", tmp_path / "ready", tmp_path / "release"
    holder = mp.get_context("spawn").Process(target=_hold_with_note, args=(str(lock), str(ready), str(release)))
    holder.start()
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        heard: list[str] = []

        def on_wait(note: str) -> None:
            heard.append(note)
            release.write_text("go")

        with file_lock(lock, note="the second", on_wait=on_wait):
            assert lock.read_text() == "the second"
        assert heard == ["pid of the first, started at noon"]
        with file_lock(lock, on_wait=heard.append):  # free: nobody to wait for
            pass
        assert len(heard) == 1
    finally:
        release.write_text("go")
        holder.join(60)
    assert holder.exitcode == 0


def test_a_lock_that_cannot_be_taken_names_the_output_it_guards(tmp_path: Path, monkeypatch):
    """`mrkit simulate --out <read-only folder>/panel` said ".panel.lock: Read-only file system" (found while
    staging issue 21's faults on a read-only mount)."""
    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(paths, "open", read_only, raising=False)
    with pytest.raises(OSError) as info, file_lock(tmp_path / ".panel.lock", guards=tmp_path / "panel"):
        pass
    assert info.value.filename == str(tmp_path / "panel") and info.value.errno == errno.EROFS
    assert "taking the lock .panel.lock beside it" in str(info.value)
    with pytest.raises(OSError) as info, file_lock(tmp_path / ".x.lock"):  # guarding nothing named: the lock
        pass
    assert info.value.filename == str(tmp_path / ".x.lock")
