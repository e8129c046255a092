"""The OpenGWAS API client: authentication, requests within the server's limits, a time-out per request,
bounded retries, allowance, errors a user can act on; see :mod:`mrkit.gwas.opengwas`."""
from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import shown
from . import auth
from .auth import TOKEN_ENV, excerpt, redact
from .cache import ResponseCache, _canonical, _utc, request_key, server_root
from .contract import (
    ALLOWANCE_ENDPOINTS,
    DATASETS_URL,
    association_requests,
    check_dataset_id,
    check_population,
    check_pval,
)
from .errors import (
    AllowanceExhausted,
    EmptyAnswer,
    OpenGWASError,
    ServerUnavailable,
    TokenMalformed,
    TokenMissing,
    TokenRefused,
)

__all__ = ["Client", "Exchange", "DEFAULT_API_URL", "TOKEN_ENV", "URL_ENV", "TIMEOUT_ENV", "PROFILE_URL", "TIMEOUT",
           "timeout_seconds"]

DEFAULT_API_URL = "https://api.opengwas.io/api/"
URL_ENV = "OPENGWAS_API_URL"
TIMEOUT_ENV = "OPENGWAS_TIMEOUT"
PROFILE_URL = "https://api.opengwas.io/profile/"
#: Seconds one request may take, its retries and their pauses included (``--timeout``, ``$OPENGWAS_TIMEOUT``).
TIMEOUT = 60.0
#: Seconds to wait for the connection (at most the time left).
CONNECT_TIMEOUT = 10.0
#: Retries after a 5xx answer, a time-out or a lost connection (so 1 + RETRIES attempts), waiting BACKOFF_S,
#: 2 * BACKOFF_S, 4 * BACKOFF_S in between, all within TIMEOUT.
RETRIES = 3
BACKOFF_S = 1.0
#: The longest pause a front proxy's ``Retry-After`` gets (still within the time-out).
MAX_WAIT_S = 30.0
#: A longer answer is refused, not read (unclumped top hits at p < 0.01 of a GWAS of 10 million variants are
#: about 100,000 rows, some 25 MB).
MAX_ANSWER_BYTES = 256 * 2 ** 20
#: Secrets shorter than this are not looked for in text (a one-letter test token would match everything).
_MIN_SECRET = 6


def timeout_seconds(value: Any = None) -> float:
    """The time-out of one request in seconds: ``value``, else ``$OPENGWAS_TIMEOUT``, else :data:`TIMEOUT`;
    raises :class:`OpenGWASError` unless it is a finite number > 0."""
    given, where = (value, "the time-out") if value is not None else (os.environ.get(TIMEOUT_ENV), TIMEOUT_ENV)
    if given is None or (isinstance(given, str) and not given.strip()):
        return TIMEOUT
    try:
        seconds = float(given)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise OpenGWASError(f"{where} must be a number of seconds > 0, got {shown(given)}")
    return seconds


@dataclass
class Exchange:
    """One request this client served: from the cache or the network, with the bytes that moved."""

    key: str
    endpoint: str
    from_cache: bool
    status: int | None
    bytes_sent: int
    bytes_received: int


class _Late(Exception):
    """The answer was still arriving when the time-out ran out."""


class Client:
    """Requests to the OpenGWAS API, answered from the cache when possible; see the module docstring.

    Parameters
    ----------
    base_url : API root (default ``$OPENGWAS_API_URL``, else https://api.opengwas.io/api/).
    token : the JWT (default ``$OPENGWAS_JWT``, read only when a request must go out; cleaned by
        :func:`mrkit.gwas.opengwas.auth.clean_token`).
    cache : where answers are kept (default ``<data cache>/opengwas``).
    refresh : ask the server again even when the answer is cached (and store the new answer).
    timeout : seconds one request may take, retries included (default ``$OPENGWAS_TIMEOUT``, else 60).
    retries, backoff : retries after a 5xx, a time-out or a lost connection; the first pause in seconds.
    """

    def __init__(self, base_url: str | None = None, token: str | None = None, *, cache: ResponseCache | None = None,
                 refresh: bool = False, timeout: float | None = None, retries: int | None = None,
                 backoff: float | None = None):
        base = base_url or os.environ.get(URL_ENV) or DEFAULT_API_URL
        self.base_url = base if base.endswith("/") else base + "/"
        self._token = token
        self._secrets: tuple[str, ...] = ()
        self.token_note: list[str] = []  # what was removed around the token, once it was read
        self.cache = cache or ResponseCache()
        self.refresh = refresh
        self.timeout = timeout_seconds(timeout)
        self.retries = RETRIES if retries is None else int(retries)
        self.backoff = BACKOFF_S if backoff is None else float(backoff)
        self.exchanges: list[Exchange] = []
        self._session = None

    def __repr__(self) -> str:  # never the token
        return f"Client({server_root(self.base_url)!r})"

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
        body = {"id": [check_dataset_id(str(i)) for i in ids]}
        out = self._json("gwasinfo", "POST", body)
        if isinstance(out, dict):  # some versions answer {id: record}
            out = list(out.values())
        return [r for r in out if isinstance(r, dict)]

    def tophits(self, dataset: str, *, pval: float = 5e-8, clump: int = 1, r2: float = 0.001, kb: int = 10000,
                pop: str = "EUR", force_server: bool = False, empty_ok: bool = False) -> list[dict]:
        """``POST tophits``: variants of ``dataset`` with p < ``pval``, LD-clumped on the server when ``clump``.

        ``preclumped`` is 1 as ieugwasr sets it (clump = 1, r2 = 0.001, kb = 10000, pval = 5e-8) and only for
        pop = EUR: the server then answers from its table clumped at those settings, whatever else the request
        says, its population included.
        Raises :class:`OpenGWASError` before asking when ``pval`` is outside the server's (0, 0.01] or ``pop`` is
        not one of :data:`POPULATIONS`, and :class:`EmptyAnswer` naming the id when nothing comes back (after
        asking ``gwasinfo`` whether the id exists, to say which), unless ``empty_ok``.
        """
        dataset = check_dataset_id(dataset)
        check_pval(pval)
        check_population(pop, "pop")
        clump = int(bool(clump))
        # the pre-clumped table was clumped once, at these settings against the EUR panel (tophits.py ignores pop
        # for it): another population must be clumped afresh, which ieugwasr does not do
        preclumped = int(clump == 1 and r2 == 0.001 and kb == 10000 and pval == 5e-8 and pop == "EUR"
                         and not force_server)
        body = {"id": [dataset], "pval": float(pval), "preclumped": preclumped, "clump": clump, "r2": float(r2),
                "kb": int(kb), "pop": str(pop)}
        rows = self._json("tophits", "POST", body, expect=list)
        if not rows and not empty_ok:
            self._explain_empty([dataset], f"no variant with p < {pval:g}" + (" (after clumping)" if clump else "")
                                + ": loosen the threshold")
        return rows

    def associations(self, variants: Iterable[str], dataset: str | Sequence[str], *, proxies: int = 1,
                     r2: float = 0.8, align_alleles: int = 1, palindromes: int = 1, maf_threshold: float = 0.3,
                     population: str = "EUR") -> list[dict]:
        """``POST associations``: the associations of ``variants`` in ``dataset`` (one id or several), with LD
        proxies from ``population`` when ``proxies``.

        Every look-up goes out as the requests of :func:`association_requests` (at most :data:`MAX_PAIRS`
        id x variant pairs each, the server's limit), each answer cached on its own; the rows come back
        concatenated in request order. Raises :class:`EmptyAnswer` naming the id when none of the variants
        (nor a proxy) is found.
        """
        ids = [check_dataset_id(dataset)] if isinstance(dataset, str) else [check_dataset_id(d) for d in dataset]
        variants = list(dict.fromkeys(str(v).strip() for v in variants))
        if not ids:
            raise OpenGWASError("no OpenGWAS dataset id to look the variants up in")
        if not variants or "" in variants:
            what = "an empty variant id" if variants else "no variants"
            raise OpenGWASError(f"{what} to look up in {', '.join(ids)}")
        check_population(population, "population")
        rows: list[dict] = []
        for id_group, variant_group in association_requests(ids, variants):
            body = {"variant": variant_group, "id": id_group, "proxies": int(bool(proxies)), "population": population,
                    "r2": float(r2), "align_alleles": int(bool(align_alleles)), "palindromes": int(bool(palindromes)),
                    "maf_threshold": float(maf_threshold)}
            rows += self._json("associations", "POST", body, expect=list)
        if not rows:
            self._explain_empty(ids, f"none of the {len(variants)} variants"
                                + (" nor an LD proxy of them" if proxies else "") + " is in it")
        return rows

    def _explain_empty(self, datasets: list[str], what: str) -> None:
        info = {str(r.get("id")): r for r in self.gwasinfo(datasets)}
        absent = [d for d in datasets if d not in info]
        if absent:
            raise EmptyAnswer(f"OpenGWAS has no dataset {', '.join(map(repr, absent))} that this token may read: check "
                              f"the id ({DATASETS_URL}) and that the dataset is public or shared with you")
        traits = [f"{d!r}" + (f" ({info[d].get('trait')})" if info[d].get("trait") else "") for d in datasets]
        raise EmptyAnswer(f"OpenGWAS dataset {', '.join(traits)} answered empty: {what}")

    # -- the token -----------------------------------------------------------------------------------------
    def _read_token(self, required: bool) -> str:
        """The cleaned token ('' when none and not ``required``); remembers what must never be shown."""
        try:
            raw, token, removed = auth.read_token(self._token)
        except ValueError as exc:  # not a token; kept secret all the same, unless it is the README's placeholder
            raw = self._token if self._token is not None else os.environ.get(TOKEN_ENV, "")
            self._secrets = (raw,) if len(raw) >= _MIN_SECRET and auth.PLACEHOLDER not in raw.lower() else ()
            if not required:
                return ""
            raise TokenMalformed(str(exc)) from None
        self._secrets = tuple(s for s in dict.fromkeys((raw, raw.strip(), token)) if len(s) >= _MIN_SECRET)
        self.token_note = removed
        if not token and required:
            raise TokenMissing(f"no OpenGWAS token: sign in at {PROFILE_URL}, generate a token and set it in the "
                               f"environment, export {TOKEN_ENV}='{auth.PLACEHOLDER}' with the token in place of "
                               "those words (the variable ieugwasr and TwoSampleMR read). Answers already in the "
                               "cache need no token.")
        return token

    # -- requests ------------------------------------------------------------------------------------------
    def _json(self, endpoint: str, method: str, body: Any, *, cache: bool = True, need_token: bool = True,
              expect: type | tuple[type, ...] = (list, dict)) -> Any:
        """The parsed answer to one request, from the cache or the server. Every message of an error raised on
        the way passes :func:`~mrkit.gwas.opengwas.auth.redact` here, the last guard before the user."""
        try:
            if not cache:
                return self._parse(endpoint, method, self._send(endpoint, method, body, need_token=need_token),
                                   expect)
            key = request_key(endpoint, method, body, self.base_url)
            with self.cache.lock(key):
                if not self.refresh:
                    hit = self.cache.get(key)
                    if hit is not None and hit.retrieved_epoch >= self.cache.refresh_after():
                        self.exchanges.append(Exchange(key, endpoint, True, None, 0, 0))
                        return hit.json()
                text = self._send(endpoint, method, body, need_token=need_token)
                parsed = self._parse(endpoint, method, text, expect)  # only well-formed answers are cached
                self.cache.put(key, endpoint, method, body, server_root(self.base_url) + endpoint, text)
            return parsed
        except OpenGWASError as exc:
            exc.args = (redact(str(exc), *self._secrets),)
            raise

    def _where(self, method: str, endpoint: str) -> str:
        return f"OpenGWAS {method} {endpoint} at {server_root(self.base_url)}"

    def _parse(self, endpoint: str, method: str, text: str, expect: type | tuple[type, ...]) -> Any:
        try:
            parsed = json.loads(text)
        except ValueError:
            raise OpenGWASError(f"{self._where(method, endpoint)} answered with something that is not JSON ("
                                f"{excerpt(text, 80, *self._secrets)!r}): is {URL_ENV} right?") from None
        rows_ok = not isinstance(parsed, list) or all(isinstance(r, dict) for r in parsed)
        if not isinstance(parsed, expect) or not rows_ok:
            raise OpenGWASError(f"{self._where(method, endpoint)} answered {excerpt(text, 120, *self._secrets)!r}, "
                                "not the rows it should give")
        return parsed

    def _send(self, endpoint: str, method: str, body: Any, *, need_token: bool) -> str:
        import requests  # a dependency of this module only

        token = self._read_token(required=need_token)
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
        payload = _canonical(body) if body is not None else None
        if payload is not None:
            headers["Content-Type"] = "application/json"
        where = self._where(method, endpoint)
        start = time.monotonic()
        deadline = start + self.timeout
        last, attempts = "", 0
        for attempt in range(self.retries + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            attempts += 1
            pause = self.backoff * (2 ** attempt)
            try:
                resp = self._session.request(method, self.base_url + endpoint, data=payload, headers=headers,
                                             timeout=(min(CONNECT_TIMEOUT, left), left), stream=True)
                content = _read(resp, deadline, where)
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                    requests.exceptions.InvalidSchema):
                raise OpenGWASError(f"{URL_ENV} is not a usable URL: {server_root(self.base_url)!r}") from None
            except (_Late, requests.Timeout):
                last = "no answer in time"
            except requests.RequestException as exc:  # refused or lost connection, cut answer, read time-out
                last = "no answer in time" if _timed_out(exc) else f"connection failed ({type(exc).__name__})"
            else:
                self.exchanges.append(Exchange(request_key(endpoint, method, body, self.base_url)
                                               if body is not None else "", endpoint, False, resp.status_code,
                                               len(payload or b""), len(content)))
                text, last, pause = self._verdict(resp, content, endpoint, where, pause)
                if text is not None:
                    return text
            if attempt < self.retries:
                pause = min(pause, deadline - time.monotonic())
                if pause > 0:
                    time.sleep(pause)
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        raise ServerUnavailable(f"{where}: no usable answer after {tries} in {time.monotonic() - start:.1f} s "
                                f"({last or 'no time left'}; time-out {self.timeout:g} s, retries included). The "
                                "server may be busy or down: try again later, or allow more time (--timeout or "
                                f"{TIMEOUT_ENV}); answers received so far are cached.")

    def _verdict(self, resp, content: bytes, endpoint: str, where: str,
                 pause: float) -> tuple[str | None, str, float]:
        """(the answer's text, '', pause) for a 2xx; (None, what went wrong, the pause before the next try) for a
        5xx; raises the error a user can act on for anything else (never retried)."""
        shared = endpoint in ALLOWANCE_ENDPOINTS  # status and user have limits of their own, per address
        if shared:
            self._note_allowance(resp)
        text = content.decode(resp.encoding or "utf-8", errors="replace")
        status = resp.status_code
        if status < 300:
            if auth.quotes(text, *self._secrets):
                raise OpenGWASError(f"{where} answered with text that quotes this request's token (a proxy or error "
                                    "page echoing the request?): not used, not kept")
            return text, "", pause
        message = excerpt(_message(text), 300, *self._secrets)
        said = f": {message}" if message else ""
        if 500 <= status < 600:
            after = None if _allowance_headers(resp) else _retry_after(resp.headers.get("Retry-After"))
            if after is not None:  # a front proxy's hint (the app's Retry-After is its allowance window)
                pause = min(max(pause, after - time.time()), MAX_WAIT_S)
            return None, f"HTTP {status}{said}", pause
        if status == 429 and not shared:
            reset = self._reset_time(resp) or time.time() + 3600
            raise OpenGWASError(f"{where}: too many {endpoint} requests from this address (HTTP 429; a limit of this "
                                f"endpoint, not the data allowance): try again after {_utc(reset)}")
        if status == 429:
            reset = self._reset_time(resp) or time.time() + 600
            self.cache.record_allowance_reset(reset)
            raise AllowanceExhausted(f"{where}: the OpenGWAS allowance is used up (HTTP 429) until {_utc(reset)}; no "
                                     "partial result was kept. Re-run after that time: answers received so far are "
                                     "cached." + (f" Server: {message}" if message else ""), reset)
        if status in (401, 403):
            cleaned = f" (after removing {', '.join(self.token_note)} around it)" if self.token_note else ""
            raise TokenRefused(f"{where} refused the token (HTTP {status}{said}): the token in {TOKEN_ENV}{cleaned} "
                               f"is missing, expired or invalid. Generate a new one at {PROFILE_URL}.")
        if status == 404:
            raise OpenGWASError(f"{where}: HTTP 404, no such endpoint: is {URL_ENV} ({server_root(self.base_url)}) "
                                "the API root, ending in /api/?")
        raise OpenGWASError(f"{where} rejected the request (HTTP {status}{said})")

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


def _read(resp, deadline: float, where: str) -> bytes:
    """The body of ``resp``, read by pieces so that neither the time-out nor :data:`MAX_ANSWER_BYTES` is passed."""
    chunks, size = [], 0
    try:
        for chunk in resp.iter_content(65536):
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise OpenGWASError(f"{where} answered more than {MAX_ANSWER_BYTES // 2 ** 20} MB: not read (is "
                                    f"{URL_ENV} the OpenGWAS API?)")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise _Late
    except BaseException:
        resp.close()  # a body read to its end goes back to the pool by itself; one left half-read does not
        raise
    return b"".join(chunks)


def _timed_out(exc: Exception) -> bool:
    """A read time-out while the body streams in (requests reports it as a ConnectionError)."""
    from urllib3.exceptions import ReadTimeoutError

    return any(isinstance(a, ReadTimeoutError) for a in getattr(exc, "args", ()))


def _allowance_headers(resp) -> bool:
    return any(h in resp.headers for h in ("X-Allowance-Limit", "X-Allowance-Remaining", "X-Allowance-Reset"))


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


def _message(text: str) -> str:
    """What an error answer says: the JSON ``message`` (with flask-restx's per-field ``errors``), else the text."""
    try:
        doc = json.loads(text)
    except ValueError:
        return text
    if not isinstance(doc, dict):
        return text
    message = str(doc.get("message") or doc.get("error") or "")
    errors = doc.get("errors")
    if isinstance(errors, dict) and errors:
        message += " (" + "; ".join(f"{k}: {v}" for k, v in errors.items()) + ")"
    return message
