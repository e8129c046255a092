"""Resumable, verified downloads of GWAS files (standard library ``urllib`` only).

A download is written to ``<name>.part``; an interrupted transfer resumes from the bytes already
there with an HTTP ``Range`` request; the finished file is fsynced, checked against its sha256 (and
size) and only then renamed atomically to its final name. So a file under the final name is always
complete and verified, and a corrupted download never takes that name.

References
----------
Fielding R et al. (2014) RFC 7233, Hypertext Transfer Protocol (HTTP/1.1): Range Requests.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import MRKitError
from ..paths import cache_dir
from .sources import Source, reference_dir, reference_panel, reference_source

CHUNK = 1 << 20


class FetchError(MRKitError):
    """A download failed, was cut, or does not match its expected checksum."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _target(source_or_url: Source | str, sha256: str | None, size: int | None,
            filename: str | None) -> tuple[str, str, str | None, int | None]:
    if isinstance(source_or_url, Source):
        src = source_or_url
        if not src.url:
            raise FetchError(f"source {src.trait!r} has no download url; point MRKIT_SOURCE_{src.trait.upper()} "
                             f"at a local copy")
        return src.url, filename or src.cache_name, sha256 or src.sha256 or None, size or src.size
    name = filename or source_or_url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not name:
        raise FetchError(f"cannot name the file of {source_or_url}; pass filename=")
    return source_or_url, name, sha256, size


def fetch(source_or_url: Source | str, dest_dir: str | Path | None = None, sha256: str | None = None,
          progress: bool = True, *, size: int | None = None, filename: str | None = None,
          retries: int = 3, timeout: float = 60.0) -> Path:
    """Download a source (or URL) into ``dest_dir`` (default: the data cache) and return its path.

    Parameters
    ----------
    source_or_url : a :class:`~mrkit.gwas.sources.Source` (its url, filename, sha256 and size) or a URL.
    sha256 : expected hex digest (overrides the source's). Without one the file is accepted and its
        digest is printed, to be checked and recorded in ``data/sources.toml``.
    progress : show a tqdm progress bar.
    size : expected size in bytes, checked when given.
    retries : times an interrupted transfer is resumed (HTTP Range) before giving up; the ``.part``
        file stays, so calling ``fetch`` again resumes too.

    Raises
    ------
    FetchError
        HTTP errors, a transfer cut more than ``retries`` times, a size or checksum mismatch (the
        bad download is deleted; nothing is left under the final name).

    References
    ----------
    RFC 7233 (HTTP range requests).
    """
    url, name, expected, size = _target(source_or_url, sha256, size, filename)
    dest_dir = Path(dest_dir) if dest_dir is not None else cache_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    final, part = dest_dir / name, dest_dir / (name + ".part")
    if final.exists():
        if expected and sha256_of(final) != expected.lower():
            raise FetchError(f"{final} exists but its sha256 is not {expected}; remove it to download again")
        return final
    for attempt in range(retries + 1):
        try:
            total = _transfer(url, part, progress, timeout)
            break
        except (http.client.IncompleteRead, ConnectionError, TimeoutError, urllib.error.URLError) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
            have = part.stat().st_size if part.exists() else 0
            if attempt == retries:
                raise FetchError(f"{url}: transfer interrupted after {have} bytes ({type(exc).__name__}); "
                                 f"{part.name} is kept: run again to resume") from exc
    with open(part, "rb+") as fh:
        os.fsync(fh.fileno())
    got = part.stat().st_size
    problem = None
    if total is not None and got != total:
        problem = f"size {got} bytes, the server announced {total}"
    elif size and got != size:
        problem = f"size {got} bytes, expected {size}"
    digest = sha256_of(part)
    if problem is None and expected and digest != expected.lower():
        problem = f"sha256 {digest}, expected {expected}"
    if problem:
        part.unlink()
        raise FetchError(f"{url}: corrupted download ({problem}); the bad file was deleted, run again")
    os.replace(part, final)
    _fsync_dir(dest_dir)
    if not expected:
        print(f"{final.name}: sha256 {digest} ({got} bytes); not verified: record it in data/sources.toml "
              f"once you trust it")
    return final


def _transfer(url: str, part: Path, progress: bool, timeout: float) -> int | None:
    """Append the rest of ``url`` to ``part`` (Range when it has bytes); return the full size if known."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to send: the .part is already whole
            match = re.search(r"/(\d+)", exc.headers.get("Content-Range", ""))
            return int(match.group(1)) if match else None
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    with response:
        length = response.headers.get("Content-Length")
        if have and response.status == 206:
            match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != have:
                raise FetchError(f"{url}: the server resumed at the wrong offset "
                                 f"({response.headers.get('Content-Range')!r}, wanted {have})")
            total = int(match.group(2)) if match.group(2) != "*" else None
            mode = "ab"
        else:  # 200: the server ignored Range (or there was nothing to resume); start over
            have, mode = 0, "wb"
            total = int(length) if length is not None else None
        from tqdm import tqdm

        with open(part, mode) as out, tqdm(total=total, initial=have, unit="B", unit_scale=True,
                                            desc=part.name[:-5], disable=not progress) as bar:
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                bar.update(len(block))
            out.flush()
            os.fsync(out.fileno())
    got = part.stat().st_size
    if total is not None and got < total:
        raise http.client.IncompleteRead(b"", total - got)
    return total


def unpack(archive: Path, dest: Path) -> Path:
    """Extract a tar archive into ``dest`` via a temporary folder renamed at the end (never half there)."""
    tmp = dest.with_name(dest.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise FetchError(f"{archive}: cannot unpack ({exc})") from exc
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def fetch_reference(sources_path: Path | None = None, progress: bool = True) -> Path:
    """Download and unpack the LD reference panel of ``[reference]``; return its PLINK prefix."""
    source = reference_source(sources_path)
    archive = fetch(source, progress=progress)
    unpack(archive, reference_dir(source))
    return reference_panel(sources_path)
