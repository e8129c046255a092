"""A client of the OpenGWAS API: top hits, associations with LD proxies, dataset information, cached.

TwoSampleMR users write ``extract_instruments("ukb-a-13")`` and ``extract_outcome_data(snps,
"finn-b-M13_LOWBACKPAIN")``; both ask the OpenGWAS API (https://api.opengwas.io/api/) through ieugwasr
and move a few kilobytes instead of whole GWAS files. :class:`Client` sends the same requests:

``tophits``
    POST ``{"id": [ID], "pval", "preclumped", "clump", "r2", "kb", "pop"}`` (ieugwasr ``tophits``:
    ``preclumped`` is 1 exactly when clump = 1, r2 = 0.001, kb = 10000 and pval = 5e-8, the settings the
    server's pre-clumped hits were made with). Rows: ``id, trait, chr, position, rsid, ea, nea, eaf,
    beta, se, p, n``.
``associations``
    POST ``{"variant", "id", "proxies", "r2", "align_alleles", "palindromes", "maf_threshold"}``
    (ieugwasr ``associations``). With proxies, a variant the dataset lacks is replaced by the variant in
    LD with it (r^2 >= r2) that it has; that row carries ``rsid`` = the target, ``ea``/``nea`` = the
    target alleles in phase with the proxy's (``align_alleles = 1``), and ``proxy, target_snp,
    proxy_snp, target_a1, target_a2, proxy_a1, proxy_a2``.
``gwasinfo``
    POST ``{"id": [...]}``: one record per dataset the token may read.
``user``, ``status``
    GET: the token's owner and validity; the server's state.

Authentication: the token of ``$OPENGWAS_JWT`` (the variable ieugwasr reads), sent as ``Authorization:
Bearer <token>``. It is read from the environment only when a request has to go out, and it is never
written anywhere: not into the cache, an error message, a log or a notebook. The base URL is
``$OPENGWAS_API_URL`` (default https://api.opengwas.io/api/), for mirrors and the tests' fake server.

Failures a user can act on raise :class:`OpenGWASError` subclasses (``mrkit`` prints them in one line
and exits with code 2): no token (:class:`TokenMissing`), a refused token (401/403,
:class:`TokenRefused`), a used-up allowance (429, or ``X-Allowance-Remaining: 0`` on an answer:
:class:`AllowanceExhausted`, with the time it resets; no further request is sent before then, from
any process, which keeps the address from being blocked), a server error or time-out that persists
after bounded retries with exponential backoff (:class:`ServerUnavailable`; only 5xx answers,
time-outs and connection errors are retried, never 4xx), and an empty answer (:class:`EmptyAnswer`,
naming the dataset id).

The cache: every answer is stored under ``<data cache>/opengwas/responses/<key>.json`` with the request
(endpoint, method, JSON body), the answer's text, its sha256 and size, and the UTC time it was
retrieved. The key is the sha256 of the endpoint, method and body, not of the base URL or the token,
so a second run asks nothing and gets byte-identical answers, with or without a token.
``refresh=True`` (``--refresh``) asks again; :func:`mark_refresh` makes every answer retrieved
before now stale for all later clients (``mrkit book --refresh``). ``user`` and ``status`` are never
cached (they describe the present moment, and ``user`` names the token's owner).

Deliberately not ieugwaspy (the Python client of the same API, 1.0.x): it prints its settings, the
token included, writes the token into ``.ieugwaspy.json`` in the working directory, retries every
error (401 included) up to ten times, sets no time-out and returns a string when the allowance is
exhausted.

References
----------
Hemani G et al. (2018). The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408. Elsworth B et al. (2020). The MRC IEU OpenGWAS data infrastructure. bioRxiv
2020.08.10.244293. ieugwasr ``R/query.R`` (``api_query``, ``tophits``, ``associations``, ``set_reset``);
TwoSampleMR ``R/query.R`` (``format_d``) and ``R/instruments.R`` (``extract_instruments``).
"""
from __future__ import annotations

import email.utils
import fcntl
import hashlib
import json
import os
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..errors import MRKitError
from ..paths import cache_dir

__all__ = ["Client", "OpenGWASError", "TokenMissing", "TokenRefused", "AllowanceExhausted", "ServerUnavailable",
           "EmptyAnswer", "ResponseCache", "mark_refresh", "exposure_table", "outcome_table", "instrument_rows",
           "DEFAULT_API_URL", "TOKEN_ENV", "URL_ENV", "PROFILE_URL", "EXPOSURE_COLUMNS", "OUTCOME_COLUMNS",
           "PROXY_COLUMNS"]

DEFAULT_API_URL = "https://api.opengwas.io/api/"
TOKEN_ENV = "OPENGWAS_JWT"
URL_ENV = "OPENGWAS_API_URL"
PROFILE_URL = "https://api.opengwas.io/profile/"
DATASETS_URL = "https://opengwas.io/datasets/"
#: Seconds to wait for the connection and for the answer (ieugwasr waits 300 s for the answer).
TIMEOUT = (15.0, 300.0)
#: Retries after a 5xx answer, a time-out or a lost connection (so 1 + RETRIES attempts), waiting
#: BACKOFF_S, 2 * BACKOFF_S, 4 * BACKOFF_S ... in between (or the server's Retry-After, at most MAX_WAIT_S).
RETRIES = 3
BACKOFF_S = 1.0
MAX_WAIT_S = 60.0
#: TwoSampleMR ``format_data(min_pval = 1e-200)``: smaller p-values are set to this.
MIN_PVAL = 1e-200

#: Columns of :func:`exposure_table` (TwoSampleMR ``extract_instruments``), in order.
EXPOSURE_COLUMNS = ("SNP", "effect_allele.exposure", "other_allele.exposure", "eaf.exposure", "beta.exposure",
                    "se.exposure", "pval.exposure", "samplesize.exposure", "id.exposure", "exposure",
                    "chr.exposure", "pos.exposure", "data_source.exposure")
#: Columns of :func:`outcome_table` (TwoSampleMR ``extract_outcome_data``), before the proxy columns.
OUTCOME_COLUMNS = ("SNP", "chr", "pos", "beta.outcome", "se.outcome", "samplesize.outcome", "pval.outcome",
                   "eaf.outcome", "effect_allele.outcome", "other_allele.outcome", "outcome", "id.outcome",
                   "mr_keep.outcome", "data_source.outcome")
#: Proxy columns of :func:`outcome_table` when proxies were asked for (TwoSampleMR ``format_d``).
PROXY_COLUMNS = ("proxy.outcome", "target_snp.outcome", "proxy_snp.outcome", "target_a1.outcome",
                 "target_a2.outcome", "proxy_a1.outcome", "proxy_a2.outcome")


class OpenGWASError(MRKitError):
    """A request to the OpenGWAS API failed in a way the user can act on; the message says how."""


class TokenMissing(OpenGWASError):
    """No token in ``$OPENGWAS_JWT`` and the answer is not in the cache."""


class TokenRefused(OpenGWASError):
    """The server answered 401 or 403: the token is missing, expired or invalid."""


class AllowanceExhausted(OpenGWASError):
    """The allowance is used up until ``reset_at`` (seconds since the epoch, or None if unknown)."""

    def __init__(self, message: str, reset_at: float | None = None):
        super().__init__(message)
        self.reset_at = reset_at


class ServerUnavailable(OpenGWASError):
    """5xx answers, time-outs or lost connections persisted through every retry."""


class EmptyAnswer(OpenGWASError):
    """The server answered with no rows: an unknown id, no access, or nothing below the threshold."""


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def request_key(endpoint: str, method: str, body: Any) -> str:
    """The cache key of a request: sha256 of its endpoint, method and JSON body (not the URL, not the token)."""
    return hashlib.sha256(_canonical({"endpoint": endpoint, "method": method, "body": body})).hexdigest()


def _public_url(base_url: str) -> str:
    """The base URL without user or password, so that nothing secret is recorded."""
    parts = urllib.parse.urlsplit(base_url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


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
        return self.responses / f"{key}.json"

    def get(self, key: str) -> CachedAnswer | None:
        """The stored answer of ``key``, or None when absent or damaged (its text no longer has its sha256)."""
        doc = _read_json(self.path(key))
        if not isinstance(doc, dict) or "response" not in doc:
            return None
        text = str(doc["response"])
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest != doc.get("sha256"):
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
        _write_atomic(self.path(key), json.dumps(doc, indent=1, sort_keys=True))
        return CachedAnswer(key, endpoint, method, body, url, doc["retrieved"], now, text, digest, doc["bytes"])

    @contextmanager
    def lock(self, key: str):
        """Hold ``key`` against other processes (the book's notebooks run in parallel): one asks, the others
        wait and then find the answer cached, so nothing is asked twice."""
        self.responses.mkdir(parents=True, exist_ok=True)
        with open(self.responses / f".{key}.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

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
        _write_atomic(self.folder / "refresh.json", json.dumps({"refresh_after": when, "marked": _utc(when)}))
        return when

    def allowance_reset(self) -> float | None:
        """When the allowance used up last resets (epoch seconds), or None when it is not used up."""
        doc = _read_json(self.folder / "allowance.json")
        reset = doc.get("reset_at") if isinstance(doc, dict) else None
        return float(reset) if reset is not None and float(reset) > time.time() else None

    def record_allowance_reset(self, reset_at: float) -> None:
        _write_atomic(self.folder / "allowance.json", json.dumps({"reset_at": reset_at, "resets": _utc(reset_at)}))


def mark_refresh(cache: ResponseCache | None = None) -> float:
    """Make every answer cached so far stale, for this process and every later one (``--refresh``)."""
    return (cache or ResponseCache()).mark_refresh()


@dataclass
class Exchange:
    """One request this client served: from the cache or the network, with the bytes that moved."""

    key: str
    endpoint: str
    from_cache: bool
    status: int | None
    bytes_sent: int
    bytes_received: int


class Client:
    """Requests to the OpenGWAS API, answered from the cache when possible; see the module docstring.

    Parameters
    ----------
    base_url : API root (default ``$OPENGWAS_API_URL``, else https://api.opengwas.io/api/).
    token : the JWT (default ``$OPENGWAS_JWT``, read only when a request must go out).
    cache : where answers are kept (default ``<data cache>/opengwas``).
    refresh : ask the server again even when the answer is cached (and store the new answer).
    timeout : (connect, read) seconds.
    retries, backoff : retries after a 5xx, a time-out or a lost connection; the first wait in seconds.
    """

    def __init__(self, base_url: str | None = None, token: str | None = None, *, cache: ResponseCache | None = None,
                 refresh: bool = False, timeout: tuple[float, float] | float | None = None,
                 retries: int | None = None, backoff: float | None = None):
        base = base_url or os.environ.get(URL_ENV) or DEFAULT_API_URL
        self.base_url = base if base.endswith("/") else base + "/"
        self._token = token
        self.cache = cache or ResponseCache()
        self.refresh = refresh
        self.timeout = TIMEOUT if timeout is None else timeout
        self.retries = RETRIES if retries is None else int(retries)
        self.backoff = BACKOFF_S if backoff is None else float(backoff)
        self.exchanges: list[Exchange] = []
        self._session = None

    def __repr__(self) -> str:  # never the token
        return f"Client({_public_url(self.base_url)!r})"

    # -- bookkeeping ---------------------------------------------------------------------------------------
    @property
    def used(self) -> list[str]:
        """Cache keys of the answers this client served, in first-use order."""
        return list(dict.fromkeys(e.key for e in self.exchanges if e.key))

    @property
    def network_requests(self) -> int:
        return sum(1 for e in self.exchanges if not e.from_cache)

    # -- the endpoints -------------------------------------------------------------------------------------
    def status(self) -> dict:
        """``GET status``: the server's state (never cached)."""
        return self._json("status", "GET", None, cache=False, expect=dict)

    def user(self) -> dict:
        """``GET user``: the token's owner and how long it stays valid (never cached, never stored)."""
        return self._json("user", "GET", None, cache=False, need_token=True, expect=dict)

    def gwasinfo(self, ids: Iterable[str]) -> list[dict]:
        """``POST gwasinfo {"id": [...]}``: metadata of each dataset the token may read (unknown ids are absent)."""
        body = {"id": [str(i) for i in ids]}
        out = self._json("gwasinfo", "POST", body)
        if isinstance(out, dict):  # some versions answer {id: record}
            out = list(out.values())
        return [r for r in out if isinstance(r, dict)]

    def tophits(self, dataset: str, *, pval: float = 5e-8, clump: int = 1, r2: float = 0.001, kb: int = 10000,
                pop: str = "EUR", force_server: bool = False, empty_ok: bool = False) -> list[dict]:
        """``POST tophits``: variants of ``dataset`` with p < ``pval``, LD-clumped on the server when ``clump``.

        Raises :class:`EmptyAnswer` naming the id when nothing comes back (after asking ``gwasinfo``
        whether the id exists, to say which), unless ``empty_ok`` (for a dataset known to exist).
        """
        clump = int(bool(clump))
        preclumped = int(clump == 1 and r2 == 0.001 and kb == 10000 and pval == 5e-8 and not force_server)
        body = {"id": [dataset], "pval": float(pval), "preclumped": preclumped, "clump": clump, "r2": float(r2),
                "kb": int(kb), "pop": str(pop)}
        rows = self._json("tophits", "POST", body, expect=list)
        if not rows and not empty_ok:
            self._explain_empty(dataset, f"no variant with p < {pval:g}" + (" (after clumping)" if clump else "")
                                + ": loosen the threshold")
        return rows

    def associations(self, variants: Iterable[str], dataset: str, *, proxies: int = 1, r2: float = 0.8,
                     align_alleles: int = 1, palindromes: int = 1, maf_threshold: float = 0.3) -> list[dict]:
        """``POST associations``: the associations of ``variants`` in ``dataset``, with LD proxies when ``proxies``.

        Raises :class:`EmptyAnswer` naming the id when none of the variants (nor a proxy) is found.
        """
        variants = list(dict.fromkeys(str(v) for v in variants))
        if not variants:
            raise OpenGWASError(f"no variants to look up in {dataset!r}")
        body = {"variant": variants, "id": [dataset], "proxies": int(bool(proxies)), "r2": float(r2),
                "align_alleles": int(bool(align_alleles)), "palindromes": int(bool(palindromes)),
                "maf_threshold": float(maf_threshold)}
        rows = self._json("associations", "POST", body, expect=list)
        if not rows:
            self._explain_empty(dataset, f"none of the {len(variants)} variants"
                                + (" nor an LD proxy of them" if proxies else "") + " is in it")
        return rows

    def _explain_empty(self, dataset: str, what: str) -> None:
        info = [r for r in self.gwasinfo([dataset]) if str(r.get("id")) == dataset]
        if not info:
            raise EmptyAnswer(f"OpenGWAS has no dataset {dataset!r} that this token may read: check the id "
                              f"({DATASETS_URL}) and that the dataset is public or shared with you")
        trait = info[0].get("trait") or ""
        raise EmptyAnswer(f"OpenGWAS dataset {dataset!r}" + (f" ({trait})" if trait else "") + f" answered empty: {what}")

    # -- transport -----------------------------------------------------------------------------------------
    def _token_or_raise(self) -> str:
        token = self._token if self._token is not None else os.environ.get(TOKEN_ENV, "")
        token = token.strip()
        if not token:
            raise TokenMissing(f"no OpenGWAS token: sign in at {PROFILE_URL}, generate a token and set it in the "
                               f"environment, `export {TOKEN_ENV}=<token>` (the variable ieugwasr and TwoSampleMR "
                               "read). Answers already in the cache need no token.")
        return token

    def _json(self, endpoint: str, method: str, body: Any, *, cache: bool = True, need_token: bool = True,
              expect: type | tuple[type, ...] = (list, dict)) -> Any:
        if not cache:
            return self._parse(endpoint, method, self._send(endpoint, method, body, need_token=need_token), expect)
        key = request_key(endpoint, method, body)
        with self.cache.lock(key):
            if not self.refresh:
                hit = self.cache.get(key)
                if hit is not None and hit.retrieved_epoch >= self.cache.refresh_after():
                    self.exchanges.append(Exchange(key, endpoint, True, None, 0, 0))
                    return hit.json()
            text = self._send(endpoint, method, body, need_token=need_token)
            parsed = self._parse(endpoint, method, text, expect)  # only well-formed answers are cached
            self.cache.put(key, endpoint, method, body, _public_url(self.base_url) + endpoint, text)
        return parsed

    def _parse(self, endpoint: str, method: str, text: str, expect: type | tuple[type, ...]) -> Any:
        where = f"OpenGWAS {method} {endpoint} at {_public_url(self.base_url)}"
        try:
            parsed = json.loads(text)
        except ValueError:
            raise OpenGWASError(f"{where} answered with something that is not JSON ({text[:80]!r}...): is {URL_ENV} "
                                "right?") from None
        if not isinstance(parsed, expect) or (isinstance(parsed, list) and not all(isinstance(r, dict) for r in parsed)):
            raise OpenGWASError(f"{where} answered {text[:120]!r}, not the rows it should give")
        return parsed

    def _send(self, endpoint: str, method: str, body: Any, *, need_token: bool) -> str:
        import requests  # a dependency of this module only

        token = self._token_or_raise() if need_token else (self._token or os.environ.get(TOKEN_ENV, "")).strip()
        reset = self.cache.allowance_reset()
        if reset is not None:
            raise AllowanceExhausted(f"the OpenGWAS allowance is used up until {_utc(reset)}; nothing was sent "
                                     f"(asking again before then can get the address blocked). Re-run after "
                                     f"{_utc(reset)}: answers received so far are cached.", reset)
        if self._session is None:
            self._session = requests.Session()
        headers = {"Accept": "application/json", "X-Api-Source": "mrkit/" + _version()}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = self.base_url + endpoint
        payload = _canonical(body) if body is not None else None
        if payload is not None:
            headers["Content-Type"] = "application/json"
        where = f"OpenGWAS {method} {endpoint} at {_public_url(self.base_url)}"
        last = ""
        for attempt in range(self.retries + 1):
            wait = self.backoff * (2 ** attempt)
            try:
                resp = self._session.request(method, url, data=payload, headers=headers, timeout=self.timeout)
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                    requests.exceptions.InvalidSchema):
                raise OpenGWASError(f"{URL_ENV} is not a usable URL: {_public_url(self.base_url)!r}") from None
            except requests.Timeout:
                last = f"no answer within {self._read_timeout():g} s"
            except requests.RequestException as exc:  # refused or lost connection, cut answer
                last = f"connection failed ({type(exc).__name__})"
            else:
                received = len(resp.content)
                self.exchanges.append(Exchange(request_key(endpoint, method, body) if body is not None else "",
                                               endpoint, False, resp.status_code, len(payload or b""), received))
                self._note_allowance(resp)
                if resp.status_code < 300:
                    return resp.text
                message = _redact(_server_message(resp), token)
                if 500 <= resp.status_code < 600:
                    last = f"HTTP {resp.status_code}" + (f": {message}" if message else "")
                    after = _retry_after(resp.headers.get("Retry-After"))
                    if after is not None:
                        wait = min(max(wait, after - time.time()), MAX_WAIT_S)
                elif resp.status_code == 429:
                    reset = self._reset_time(resp) or time.time() + MAX_WAIT_S
                    self.cache.record_allowance_reset(reset)
                    raise AllowanceExhausted(f"{where}: the OpenGWAS allowance is used up (HTTP 429) until "
                                             f"{_utc(reset)}; no partial result was kept. Re-run after that time: "
                                             "answers received so far are cached." + (f" Server: {message}" if message else ""),
                                             reset)
                elif resp.status_code in (401, 403):
                    raise TokenRefused(f"{where} refused the token (HTTP {resp.status_code}"
                                       + (f": {message}" if message else "") + f"): the token in {TOKEN_ENV} is "
                                       f"missing, expired or invalid. Generate a new one at {PROFILE_URL}.")
                elif resp.status_code == 404:
                    raise OpenGWASError(f"{where}: HTTP 404, no such endpoint: is {URL_ENV} "
                                        f"({_public_url(self.base_url)}) the API root, ending in /api/?")
                else:
                    raise OpenGWASError(f"{where} rejected the request (HTTP {resp.status_code}"
                                        + (f": {message}" if message else "") + ")")
            if attempt < self.retries:
                time.sleep(max(wait, 0.0))
        raise ServerUnavailable(f"{where} failed {self.retries + 1} times ({last}); the server may be busy or down: "
                                "try again later (answers received so far are cached)")

    def _read_timeout(self) -> float:
        return float(self.timeout[1] if isinstance(self.timeout, tuple) else self.timeout)

    def _reset_time(self, resp) -> float | None:
        after = _retry_after(resp.headers.get("Retry-After"))
        if after is not None:
            return after
        reset = resp.headers.get("X-Allowance-Reset")
        try:
            return float(reset) if reset is not None else None
        except ValueError:
            return None

    def _note_allowance(self, resp) -> None:
        """An answer that leaves no allowance stops later requests until the reset (ieugwasr ``set_reset``)."""
        remaining = resp.headers.get("X-Allowance-Remaining")
        try:
            used_up = remaining is not None and float(remaining) <= 0
        except ValueError:
            used_up = False
        if used_up and resp.status_code < 300:
            reset = self._reset_time(resp)
            if reset is not None:
                self.cache.record_allowance_reset(reset)


def _version() -> str:
    from .. import __version__

    return __version__


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) as an epoch time, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return time.time() + max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _server_message(resp) -> str:
    try:
        doc = resp.json()
    except ValueError:
        return resp.text.strip()[:200]
    if isinstance(doc, dict):
        return str(doc.get("message") or doc.get("error") or "")[:300]
    return ""


def _redact(text: str, token: str) -> str:
    return text.replace(token, "<token>") if token else text


# -- tables in TwoSampleMR's and mrkit's columns -------------------------------------------------------------
def _numbers(values: Iterable[Any]) -> np.ndarray:
    return pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)


def _alleles(values: Iterable[Any]) -> list[str | None]:
    return [str(v).strip().upper() if v is not None and str(v).strip() else None for v in values]


def _column(rows: list[dict], name: str) -> list[Any]:
    return [r.get(name) for r in rows]


def instrument_rows(rows: list[dict]) -> pd.DataFrame:
    """``tophits`` rows in mrkit's internal schema (``snp, chrom, pos, effect_allele, other_allele, eaf, beta,
    se, p, n``), in the server's order; p below 1e-200 is set to 1e-200 as TwoSampleMR ``format_data`` does."""
    p = _numbers(_column(rows, "p"))
    out = pd.DataFrame({
        "snp": [str(v) for v in _column(rows, "rsid")],
        "chrom": [None if v is None else str(v) for v in _column(rows, "chr")],
        "pos": pd.array(_numbers(_column(rows, "position")), dtype="Int64") if rows else pd.array([], dtype="Int64"),
        "effect_allele": _alleles(_column(rows, "ea")), "other_allele": _alleles(_column(rows, "nea")),
        "eaf": _numbers(_column(rows, "eaf")), "beta": _numbers(_column(rows, "beta")),
        "se": _numbers(_column(rows, "se")), "p": np.where(p < MIN_PVAL, MIN_PVAL, p),
        "n": _numbers(_column(rows, "n")),
    })
    return out


def exposure_table(rows: list[dict]) -> pd.DataFrame:
    """``tophits`` rows as TwoSampleMR ``extract_instruments`` writes them (:data:`EXPOSURE_COLUMNS`).

    ``exposure`` is ``"<trait> || id:<id>"``; a variant listed twice keeps its first row (``format_data``).
    """
    x = instrument_rows(rows)
    ids = [str(v) for v in _column(rows, "id")]
    trait = [str(v or "") for v in _column(rows, "trait")]
    out = pd.DataFrame({
        "SNP": x["snp"], "effect_allele.exposure": x["effect_allele"], "other_allele.exposure": x["other_allele"],
        "eaf.exposure": x["eaf"], "beta.exposure": x["beta"], "se.exposure": x["se"], "pval.exposure": x["p"],
        "samplesize.exposure": x["n"], "id.exposure": ids,
        "exposure": [f"{t} || id:{i}" for t, i in zip(trait, ids)],
        "chr.exposure": x["chrom"], "pos.exposure": x["pos"], "data_source.exposure": "igd",
    }, columns=list(EXPOSURE_COLUMNS))
    return out.drop_duplicates(subset=["id.exposure", "SNP"], keep="first").reset_index(drop=True)


def outcome_table(rows: list[dict]) -> pd.DataFrame:
    """``associations`` rows as TwoSampleMR ``extract_outcome_data`` / ``format_d`` makes them.

    :data:`OUTCOME_COLUMNS`, plus :data:`PROXY_COLUMNS` when the rows carry proxy fields (a proxy row's
    ``SNP`` is the target and its alleles are the target's, in phase with the proxy's). As in ``format_d``:
    of two targets with the same proxy only the first is kept; rows without beta and p are dropped; a
    missing or zero SE is inferred from beta and p (``get_se``); SE <= 0, EAF outside (0, 1) and beta = -9
    become missing; ``mr_keep.outcome`` says whether beta, SE and the effect allele are all there.
    """
    from scipy.stats import norm

    ids = [str(v) for v in _column(rows, "id")]
    trait = [str(v or "") for v in _column(rows, "trait")]
    out = pd.DataFrame({
        "SNP": [str(v) for v in _column(rows, "rsid")],
        "chr": [None if v is None else str(v) for v in _column(rows, "chr")],
        "pos": pd.array(_numbers(_column(rows, "position")), dtype="Int64") if rows else pd.array([], dtype="Int64"),
        "beta.outcome": _numbers(_column(rows, "beta")), "se.outcome": _numbers(_column(rows, "se")),
        "samplesize.outcome": _numbers(_column(rows, "n")), "pval.outcome": _numbers(_column(rows, "p")),
        "eaf.outcome": _numbers(_column(rows, "eaf")),
        "effect_allele.outcome": _alleles(_column(rows, "ea")), "other_allele.outcome": _alleles(_column(rows, "nea")),
        "outcome": [f"{t} || id:{i}" for t, i in zip(trait, ids)], "id.outcome": ids,
    })
    if any("proxy" in r for r in rows):
        out["proxy.outcome"] = [bool(v) if v is not None else False for v in _column(rows, "proxy")]
        out["target_snp.outcome"] = [None if v is None else str(v) for v in _column(rows, "target_snp")]
        out["proxy_snp.outcome"] = [None if v is None else str(v) for v in _column(rows, "proxy_snp")]
        for col in ("target_a1", "target_a2", "proxy_a1", "proxy_a2"):
            out[f"{col}.outcome"] = _alleles(_column(rows, col))
        key = out["proxy_snp.outcome"].fillna(out["SNP"])
        out = out[~pd.concat([out["outcome"], key], axis=1).duplicated()].reset_index(drop=True)
    out = out[~(out["beta.outcome"].isna() & out["pval.outcome"].isna())].reset_index(drop=True)
    se = out["se.outcome"].to_numpy(dtype=float).copy()
    infer = (np.isnan(se) | (se == 0)) & out["beta.outcome"].notna().to_numpy() & out["pval.outcome"].notna().to_numpy()
    if infer.any():
        b, p = out["beta.outcome"].to_numpy(dtype=float)[infer], out["pval.outcome"].to_numpy(dtype=float)[infer]
        se[infer] = np.abs(b) / np.abs(norm.ppf(p / 2))
    se[se <= 0] = np.nan
    out["se.outcome"] = se
    eaf = out["eaf.outcome"].to_numpy(dtype=float).copy()
    eaf[(eaf <= 0) | (eaf >= 1)] = np.nan
    out["eaf.outcome"] = eaf
    out.loc[out["beta.outcome"] == -9, "beta.outcome"] = np.nan
    out["mr_keep.outcome"] = (out["beta.outcome"].notna() & out["se.outcome"].notna()
                              & out["effect_allele.outcome"].notna())
    out["data_source.outcome"] = "igd"
    proxy_cols = [c for c in PROXY_COLUMNS if c in out.columns]
    return out[list(OUTCOME_COLUMNS) + proxy_cols]
