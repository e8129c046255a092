"""Where mrkit keeps data it downloads or generates, and how it writes them safely.

The cache defaults to ``data/cache`` in the project checkout (or ``~/.cache/mrkit`` for an installed
package) and can be moved with the ``MRKIT_CACHE`` environment variable.

Every file or folder mrkit writes for a user goes through :func:`atomic_output`, :func:`write_atomic` or
:func:`atomic_directory` (a temporary name beside the target, renamed over it only on success: a failure never
leaves a half-written file and never destroys the previous one), and work that several processes may start at
once (the book's notebooks run in parallel) is serialised by :func:`file_lock`.
"""
from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
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
    path.parent.mkdir(parents=True, exist_ok=True)
    # a fresh name created exclusively, as mkstemp does, but with mode 0666 so that the kernel applies the umask
    # (mkstemp's 0600 would stay; reading the umask means setting it, which races with other threads)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        yield tmp
        tmp.chmod(0o755)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            path.rename(old / path.name)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def file_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created on demand) against other processes
    (``fcntl.flock``; released when the block ends, or when the process dies)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
