"""The OpenGWAS answer cache: one JSON file per request key (server, endpoint, method, body), with the request,
the answer, its sha256 and the time it was retrieved; see :mod:`mrkit.gwas.opengwas`."""
from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...paths import cache_dir, file_lock, write_atomic

__all__ = ["CachedAnswer", "ResponseCache", "mark_refresh", "request_key", "server_root", "KEY"]

#: A cache key: the sha256 of a request, 64 lower-case hexadecimal digits (matched whole, so no key becomes
#: a path outside the cache).
KEY = re.compile(r"[0-9a-f]{64}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def server_root(base_url: str) -> str:
    """The API root as one spelling: scheme and host in lower case, no user or password, no default port, no
    query or fragment, the path ending in one ``/`` (``HTTPS://API.opengwas.io:443/api`` ->
    ``https://api.opengwas.io/api/``). It is what answers are filed under and what messages show."""
    parts = urllib.parse.urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep what was written, the request will say it is unusable
        port = None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = re.sub(r"/+", "/", parts.path or "/").rstrip("/") + "/"
    return urllib.parse.urlunsplit((scheme, netloc, path, "", ""))


def request_key(endpoint: str, method: str, body: Any, base_url: str) -> str:
    """The cache key of a request: sha256 of the server (:func:`server_root` of ``base_url``), endpoint, method and
    JSON body; never the token. Two servers' answers to the same request are two entries."""
    return hashlib.sha256(_canonical({"server": server_root(base_url), "endpoint": endpoint, "method": method,
                                      "body": body})).hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class CachedAnswer:
    """One stored answer: what was asked, when, and what came back (text, sha256, size)."""

    key: str
    endpoint: str
    method: str
    request: Any
    url: str
    retrieved: str
    retrieved_epoch: float
    text: str
    sha256: str
    bytes: int

    def json(self) -> Any:
        return json.loads(self.text)


class ResponseCache:
    """Answers of the OpenGWAS API on disk, one JSON file per request key; see the module docstring."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else cache_dir() / "opengwas"

    @property
    def responses(self) -> Path:
        return self.folder / "responses"

    def path(self, key: str) -> Path:
        """Where the answer of ``key`` is kept; raises ValueError unless ``key`` is a whole :data:`KEY`."""
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise ValueError(f"not an OpenGWAS cache key: {key!r}")
        return self.responses / f"{key}.json"

    def get(self, key: str) -> CachedAnswer | None:
        """The stored answer of ``key``, or None when absent, damaged (its text no longer has its sha256), filed
        under another key, or when ``key`` is not a cache key at all (e.g. read from a damaged results file)."""
        if not isinstance(key, str) or not KEY.fullmatch(key):
            return None
        doc = _read_json(self.path(key))
        if not isinstance(doc, dict) or "response" not in doc:
            return None
        text = str(doc["response"])
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest != doc.get("sha256") or doc.get("key", key) != key:
            return None
        return CachedAnswer(key, doc.get("endpoint", ""), doc.get("method", ""), doc.get("request"),
                            doc.get("url", ""), doc.get("retrieved", ""), float(doc.get("retrieved_epoch", 0.0)),
                            text, digest, len(text.encode()))

    def put(self, key: str, endpoint: str, method: str, body: Any, url: str, text: str) -> CachedAnswer:
        """Store an answer atomically (temp file + rename) and return it."""
        now = time.time()
        digest = hashlib.sha256(text.encode()).hexdigest()
        doc = {"key": key, "endpoint": endpoint, "method": method, "request": body, "url": url,
               "retrieved": _utc(now), "retrieved_epoch": now, "sha256": digest, "bytes": len(text.encode()),
               "response": text}
        write_atomic(self.path(key), json.dumps(doc, indent=1, sort_keys=True))
        return CachedAnswer(key, endpoint, method, body, url, doc["retrieved"], now, text, digest, doc["bytes"])

    def lock(self, key: str):
        """Hold ``key`` against other processes (the book's notebooks run in parallel): one asks, the others
        wait and then find the answer cached, so nothing is asked twice."""
        return file_lock(self.path(key).with_name(f".{key}.lock"))

    def entries(self) -> list[CachedAnswer]:
        """Every stored answer, oldest first."""
        found = [self.get(p.stem) for p in sorted(self.responses.glob("*.json"))] if self.responses.is_dir() else []
        return sorted((a for a in found if a is not None), key=lambda a: a.retrieved_epoch)

    # -- state shared by every process using this cache -----------------------------------------------------
    def refresh_after(self) -> float:
        """Answers retrieved before this time (epoch seconds) are stale (0: none is)."""
        doc = _read_json(self.folder / "refresh.json")
        return float(doc.get("refresh_after", 0.0)) if isinstance(doc, dict) else 0.0

    def mark_refresh(self, when: float | None = None) -> float:
        when = time.time() if when is None else float(when)
        write_atomic(self.folder / "refresh.json", json.dumps({"refresh_after": when, "marked": _utc(when)}))
        return when

    def allowance_reset(self) -> float | None:
        """When the allowance used up last resets (epoch seconds), or None when it is not used up."""
        doc = _read_json(self.folder / "allowance.json")
        reset = doc.get("reset_at") if isinstance(doc, dict) else None
        return float(reset) if reset is not None and float(reset) > time.time() else None

    def record_allowance_reset(self, reset_at: float) -> None:
        write_atomic(self.folder / "allowance.json", json.dumps({"reset_at": reset_at, "resets": _utc(reset_at)}))


def mark_refresh(cache: ResponseCache | None = None) -> float:
    """Make every answer cached so far stale, for this process and every later one (``--refresh``)."""
    return (cache or ResponseCache()).mark_refresh()
