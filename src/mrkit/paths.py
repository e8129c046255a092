"""Where mrkit keeps data it downloads or generates, and how it writes them safely.

The cache defaults to ``data/cache`` in the project checkout (or ``~/.cache/mrkit`` for an installed
package) and can be moved with the ``MRKIT_CACHE`` environment variable.

Every file or folder mrkit writes for a user goes through :func:`atomic_output`, :func:`write_atomic` or
:func:`atomic_directory` (a temporary name beside the target, renamed over it only on success: a failure never
leaves a half-written file and never destroys the previous one; a command's output is never one of its own
inputs: :func:`refuse_overwriting_inputs`), and work that several processes may start at once (the book's
notebooks run in parallel) is serialised by :func:`file_lock`. A write that fails (a
read-only folder, a full disk) raises an ``OSError`` naming the output asked for, never the temporary name.

A name that becomes part of a path (a scan's trait id, a run id, a cache table) must be a
:func:`plain_name`. A cache file found damaged is said in one line by :func:`report_damaged`, then
computed again; :func:`check_files` checks a folder of large files against their sha256 cheaply (each file
hashed once, then again only when the file system says it was touched).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"

#: A name that may become one component of a path: letters, digits, '_', '.', '-', starting with a letter or digit
#: (so never '', '.', '..', a '/', a NUL or a line end). Matched whole (``fullmatch``: ``$`` would match before a
#: final newline).
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: errno values of a failed write when the error names no file (a full disk, a quota, a read-only mount)
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def plain_name(text: object) -> bool:
    """Whether ``text`` is a str matching :data:`PLAIN_NAME` whole."""
    return isinstance(text, str) and PLAIN_NAME.fullmatch(text) is not None


def sha256_file(path: str | Path) -> str:
    """sha256 (hex) of a file's bytes, read 1 MiB at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: in a folder checked by :func:`check_files`: the files whose sha256 was checked, with their identity and times
VERIFIED = ".verified.json"


def _identity(st: os.stat_result, sha256: str) -> dict:
    """What :func:`check_files` records of a verified file: device, inode, size, modification and change time
    (ns). Writing, truncating, replacing or copying the file changes one of them, and the change time cannot be
    set back by a program (``utime`` sets it to now)."""
    return {"stat": [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns], "sha256": sha256}


def record_verified(folder: str | Path, files: dict[str, dict]) -> None:
    """Record that ``files`` (name -> {"sha256": ...}) in ``folder`` have those sha256 now (e.g. hashed as they
    were written). Nothing is recorded in a folder that cannot be written (they are hashed on every check)."""
    folder = Path(folder)
    _save_verified(folder, {name: _identity((folder / name).stat(), entry["sha256"]) for name, entry in files.items()})


def _save_verified(folder: Path, record: dict) -> None:
    with suppress(OSError):  # a read-only folder: its files are hashed on every check instead
        write_atomic(folder / VERIFIED, json.dumps(record, sort_keys=True) + "\n")


def check_files(folder: str | Path, files: dict[str, dict], *, rehash: bool = False) -> list[str]:
    """Why the ``files`` of ``folder`` (name -> {"bytes": size, "sha256": hex}) are not as listed ([]: they are).

    Each file is hashed only when it was never verified or the file system says it was touched since
    (:func:`_identity`; ``rehash=True`` hashes every file), and the verification is recorded in
    ``folder/.verified.json``, so checking an unchanged folder costs one ``stat`` per file.
    """
    folder = Path(folder)
    try:
        known = json.loads((folder / VERIFIED).read_text())
    except (OSError, ValueError):
        known = {}
    known = known if isinstance(known, dict) else {}
    record, problems = {}, []
    for name, entry in files.items():
        file = folder / name
        try:
            before = file.stat()
        except OSError:
            problems.append(f"{name} missing")
            continue
        if before.st_size != entry["bytes"]:
            problems.append(f"{name} has {before.st_size} bytes, {entry['bytes']} expected")
            continue
        if not rehash and known.get(name) == _identity(before, entry["sha256"]):
            record[name] = known[name]
            continue
        try:
            digest = sha256_file(file)
            after = file.stat()
        except OSError as exc:
            problems.append(f"{name} unreadable ({exc.strerror})")
            continue
        if digest != entry["sha256"]:
            problems.append(f"{name}: sha256 differs from the one recorded when it was written")
        elif _identity(after, digest) == _identity(before, digest):  # not touched while it was hashed
            record[name] = _identity(before, digest)
    if not problems and record != known:
        _save_verified(folder, record)
    return problems


def report_damaged(path: str | Path, problem: str, action: str = "computing it again") -> None:
    """Say on stderr, in one line, that the cache file ``path`` cannot be used (``problem``) and what is done."""
    print(f"mrkit: {path}: {problem}; {action}", file=sys.stderr, flush=True)


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


def refuse_overwriting_inputs(outputs: Iterable[str | Path | None], inputs: Iterable[str | Path | None]) -> None:
    """Refuse an output that is one of the command's input files (the same file under any name: a typo, tab
    completion, ``--data`` read as "the input data"): written in place, it would replace the data it is computed
    from. ``None`` and ``-`` (standard output) are skipped, and so are paths that do not exist yet.

    Raises
    ------
    FileExistsError
        Naming the output and the input it would replace.
    """
    inputs = [Path(i) for i in inputs if i is not None]
    for out in outputs:
        if out is None or str(out) == "-":
            continue
        for source in inputs:
            try:
                same = os.path.samefile(out, source)
            except OSError:  # either does not exist (yet): nothing to replace
                continue
            if same:
                raise FileExistsError(errno.EEXIST, f"is an input of this command ({source}): writing it would replace "
                                                    "the data read; give the output another name", str(out))


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    A failure while writing leaves the user's existing file as it was (no half-written output). The file
    gets the permissions a plain ``open(path, "w")`` would give it (0666 less the umask).

    Raises
    ------
    IsADirectoryError
        When ``path`` is an existing folder.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder: give a file name to write", str(path))
    _make_parent(path)
    # a fresh name created exclusively, as mkstemp does, but with mode 0666 so that the kernel applies the umask
    # (mkstemp's 0600 would stay; reading the umask means setting it, which races with other threads)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise _output_error(exc, path) from exc
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        if not _about(exc, tmp):
            raise
        raise _output_error(exc, path) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(exc, path, f"creating the folder {path.parent}") from exc


def _about(exc: OSError, tmp: Path) -> bool:
    """Whether ``exc``, raised while writing through the temporary ``tmp``, is about that write (it names ``tmp``
    or something in it, or it names no file and is a write error: disk full, quota, read-only); an error about
    another file (an input being read) is left as it is."""
    name = exc.filename
    if name is None:
        return exc.errno in _WRITE_ERRNOS
    return Path(os.fsdecode(name)) == tmp or Path(os.fsdecode(name)).is_relative_to(tmp)


def _output_error(exc: OSError, path: Path, doing: str | None = None) -> OSError:
    """``exc`` told of ``path``, the output asked for, instead of a temporary name: same errno (so same class)."""
    kept = "the one there is unchanged" if os.path.lexists(path) else "nothing was written"
    reason = exc.strerror or str(exc)
    return OSError(exc.errno, f"cannot write: {reason}{f' ({doing})' if doing else ''}; {kept}", str(path))


def write_atomic(path: str | Path, data: bytes | str, *, durable: bool = False) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through :func:`atomic_output`.

    ``durable=True`` also flushes the file to disk (``fsync``) before the rename, for results a resumed run
    trusts after a crash of the machine.
    """
    with atomic_output(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; on success it takes the name ``path`` (a previous
    folder of that name is moved aside first and deleted after), on failure it is deleted and ``path`` is left
    as it was. The folder is made world-readable (``mkdtemp`` creates it 0700)."""
    path = Path(path)
    _make_parent(path)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    except OSError as exc:
        raise _output_error(exc, path) from exc
    try:
        yield tmp
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and _about(exc, tmp):
            raise _output_error(exc, path) from exc
        raise
    try:
        tmp.chmod(0o755)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            path.rename(old / path.name)
            try:
                tmp.rename(path)
            except OSError:
                (old / path.name).rename(path)  # the user's folder back where it was
                old.rmdir()
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _output_error(exc, path) from exc


@contextmanager
def file_lock(path: str | Path, *, note: str | None = None, on_wait: Callable[[str], None] | None = None,
              guards: str | Path | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created on demand) against other processes
    (``fcntl.flock``; released when the block ends, or when the process dies).

    ``note``: written into the lock file while it is held (who holds it). ``on_wait``: called, with the
    holder's note, when another process holds the lock, before waiting for it. ``guards``: the output the
    lock is taken for, named instead of the lock file when the lock cannot be created (a read-only folder).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+")  # noqa: SIM115 (entered below) - not "w": that would erase the holder's note
    except OSError as exc:
        if guards is None:
            raise
        raise _output_error(exc, Path(guards), f"taking the lock {path.name} beside it") from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                fh.seek(0)
                on_wait(fh.read().strip())
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            if note is not None:
                fh.truncate(0)
                fh.write(note)
                fh.flush()
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
