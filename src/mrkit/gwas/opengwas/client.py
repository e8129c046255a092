"""The OpenGWAS API client: authentication, requests, bounded retries, allowance, errors a user can act
on; see :mod:`mrkit.gwas.opengwas`."""
from __future__ import annotations

import email.utils
import json
import os
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...errors import MRKitError
from .cache import ResponseCache, _canonical, _utc, request_key

__all__ = ["Client", "Exchange", "OpenGWASError", "TokenMissing", "TokenRefused", "AllowanceExhausted",
           "ServerUnavailable", "EmptyAnswer", "DEFAULT_API_URL", "TOKEN_ENV", "URL_ENV", "PROFILE_URL", "TIMEOUT"]

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


def _public_url(base_url: str) -> str:
    """The base URL without user or password, so that nothing secret is recorded."""
    parts = urllib.parse.urlsplit(base_url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))



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
        """``GET status``: the server's state (never cached; public: asked without a token when there is none)."""
        return self._json("status", "GET", None, cache=False, need_token=False, expect=dict)

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
                     align_alleles: int = 1, palindromes: int = 1, maf_threshold: float = 0.3,
                     per_request: int | None = None) -> list[dict]:
        """``POST associations``: the associations of ``variants`` in ``dataset``, with LD proxies when ``proxies``.

        ``per_request``: at most this many variants per request (the list is sent in consecutive chunks, each
        answer cached on its own, the rows concatenated in order); None sends them all in one request.
        Raises :class:`EmptyAnswer` naming the id when none of the variants (nor a proxy) is found.
        """
        variants = list(dict.fromkeys(str(v) for v in variants))
        if not variants:
            raise OpenGWASError(f"no variants to look up in {dataset!r}")
        if per_request is not None and int(per_request) < 1:
            raise ValueError(f"per_request must be at least 1, got {per_request!r}")
        size = len(variants) if per_request is None else int(per_request)
        rows: list[dict] = []
        for start in range(0, len(variants), size):
            body = {"variant": variants[start:start + size], "id": [dataset], "proxies": int(bool(proxies)),
                    "r2": float(r2), "align_alleles": int(bool(align_alleles)), "palindromes": int(bool(palindromes)),
                    "maf_threshold": float(maf_threshold)}
            rows += self._json("associations", "POST", body, expect=list)
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
    from ... import __version__

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
