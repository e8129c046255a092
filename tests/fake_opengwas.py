"""A fake OpenGWAS API on 127.0.0.1 (standard library only) that holds clients to the real server's contract.

The contract is the server's own source (MRCIEU/opengwas-api at e6989a0: ``app/apis/assoc.py``,
``tophits.py``, ``gwasinfo.py``, ``user.py``, ``status.py``, ``app/middleware/auth.py``, ``limiter.py``,
``app/resources/jwt.py``; Flask-Limiter 4.1.1 for the headers, flask-restx 1.3.2 for argument parsing),
summarised in ``../shared/reference/opengwas-api.md``. What it enforces, in the server's order:

1. a front proxy's faults first, when scripted: HTML 502/504 pages, delays, replaced answers;
2. ``Authorization`` (every endpoint but ``status``): none gives 401 with the "From 1st May 2024 you must
   provide a token" message; the header's value with ``"Bearer "`` removed must be the token exactly, else
   401 "Invalid token. Visit https://api.opengwas.io ..." (an expired token: "Please generate a new token.");
3. the arguments as flask-restx parses them: JSON lists (or repeated form fields), each field's type and
   default (``associations``: proxies 0, population EUR, r2 0.8, align_alleles 1, palindromes 1,
   maf_threshold 0.3; ``tophits``: pval 5e-8, preclumped 1, clump 1, r2 0.001, kb 5000, pop EUR); a missing
   or empty ``id`` / ``variant`` list, a value of the wrong type or a ``pop`` outside AFR AMR EAS EUR SAS
   legacy: 400 ``{"errors": {field: ...}, "message": "Input payload validation failed"}``;
4. the allowance: a fixed window of 100,000 cost units per 10 minutes, charged before the endpoint's own
   checks; ``associations`` costs max(N(id), N(variant)) x (1 with proxies, else 5), ``tophits`` N(id) (x10
   unclumped, x30 clumped afresh), ``gwasinfo`` 1 (50 for all datasets or more than 100 ids). Every answer
   past this point carries ``X-Allowance-Limit``, ``X-Allowance-Remaining``, ``X-Allowance-Reset`` (epoch
   seconds) and ``Retry-After`` (seconds to the reset), as Flask-Limiter sends them; over the allowance: 429
   "Too many requests. Allowance: 100000 per 10 minute. Please try again after <date>.". ``status`` (300 per
   hour) and ``user`` (30 per hour) have limits of their own, per address, with the same headers;
5. the endpoint's checks: ``associations`` with N(id) x N(variant) > 64: 400 "Please make sure N(id) *
   N(variant) <= 64."; a population outside AFR AMR EAS EUR SAS: 400; ``tophits`` outside 0 < pval <=
   0.01: 400 "Please make sure 0 < pval <= 0.01.";
6. an app's fault, when scripted: 503 ``{"message": "Unable to retrieve associations.", "trace_id": ...}``
   (``tophits``: "Unable to retrieve tophits (instruments)."), 500 ``{"message": "Internal Server Error"}``;
7. the data: unknown ids are left out (``[]`` when none is known); ``tophits`` with ``preclumped = 1``
   answers from the hits clumped at 5e-8, r2 0.001, 10,000 kb whatever the other fields say, keeps
   p < pval and sorts the rows by (id, p).

Not modelled: p-values rounded to 6 significant digits (the server's ``_convert_lp``), the ``ukb-e`` sign
fix of ``fix_legacy_value_errors``, the nearest-proxy rule (see :mod:`fake_opengwas_data`).

Scripted faults (:meth:`FakeOpenGWAS.fail`): an int status (502/504: the front proxy's HTML page; 500/503:
the app's JSON after the allowance), ``("delay", s)``, ``("answer", status, payload)`` (a str payload is
sent as it is), ``("echo", status, kind)`` (an answer that quotes the request's Authorization header:
``kind`` text, json, html or rows). :class:`SilentServer` accepts connections and never answers.

Run it alone to build the book against it::

    .venv/bin/python tests/fake_opengwas.py --size small --port 8765 --token fake-token --stats /tmp/fake.json
    OPENGWAS_JWT=fake-token OPENGWAS_API_URL=http://127.0.0.1:8765/api/ .venv/bin/mrkit book --data opengwas
"""
from __future__ import annotations

import argparse
import json
import socket
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fake_opengwas_contract import (
    ALLOWANCE,
    ARGS,
    INVALID_TOKEN,
    MAX_PAIRS,
    MISSING_TOKEN,
    POPULATIONS,
    PROXY_PAGES,
    WINDOW_S,
    Refused,
    Window,
    app_error,
    cost,
    echo,
    parse_args,
    proxy_page,
    status_answer,
    user_answer,
)
from fake_opengwas_data import panel_datasets

TOKEN = "fake-opengwas-token-3f9c1e"

@dataclass
class Logged:
    method: str
    endpoint: str
    headers: dict
    body: Any
    status: int | None
    bytes_in: int
    bytes_out: int
    cost: int = 0


@dataclass
class FakeOpenGWAS:
    """The server; use as a context manager (``with FakeOpenGWAS(datasets) as api: api.url``)."""

    datasets: dict[str, Any]
    token: str = TOKEN
    expired: set[str] = field(default_factory=set)  # tokens the server knows but that are out of date
    allowance: Window = field(default_factory=lambda: Window(ALLOWANCE, WINDOW_S, "10 minute"))
    log: list[Logged] = field(default_factory=list)
    faults: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._stopped = threading.Event()
        self.per_address = {"status": Window(300, 3600, "1 hour"), "user": Window(30, 3600, "1 hour"),
                            "missing-token": Window(100, 60, "1 minute")}

    # -- control -------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._server.server_address[1]}/api/"

    def fail(self, endpoint: str, *actions: Any) -> None:
        """Queue faults for the next requests to ``endpoint`` (see the module docstring)."""
        self.faults[endpoint].extend(actions)

    def use_up(self, leave: int = 0) -> None:
        """Spend the allowance of this window but ``leave`` units."""
        self.allowance.reset_at(time.time())
        self.allowance.used = self.allowance.limit - leave

    def requests(self, endpoint: str | None = None) -> list[Logged]:
        return [r for r in self.log if endpoint is None or r.endpoint == endpoint]

    def start(self) -> FakeOpenGWAS:
        self._stopped.clear()
        self._server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        self.port = self._server.server_address[1]  # a restart serves at the same URL
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenGWAS:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stats(self) -> dict:
        assoc = [r for r in self.log if r.endpoint == "associations" and isinstance(r.body, dict)]
        return {"requests": len(self.log), "bytes_in": sum(r.bytes_in for r in self.log),
                "bytes_out": sum(r.bytes_out for r in self.log), "cost": sum(r.cost for r in self.log),
                "by_endpoint": {e: sum(1 for r in self.log if r.endpoint == e)
                                for e in sorted({r.endpoint for r in self.log})},
                "largest_associations_request": max((len(r.body.get("variant", [])) * len(r.body.get("id", []))
                                                     for r in assoc), default=0)}

    # -- answers -------------------------------------------------------------------------------------------
    def answer(self, method: str, endpoint: str, headers: dict, fields: dict[str, list],
               logged: Logged) -> tuple[int, dict, Any]:
        """(status, headers, payload) of one request, in the server's order (module docstring)."""
        with self._lock:
            fault = self.faults[endpoint].popleft() if self.faults.get(endpoint) else None
        auth = headers.get("authorization")
        if isinstance(fault, tuple) and fault[0] == "delay":
            self._stopped.wait(fault[1])
        elif isinstance(fault, tuple) and fault[0] == "answer":
            return fault[1], {}, fault[2]
        elif isinstance(fault, tuple) and fault[0] == "echo":
            return fault[1], {}, echo(fault[2], auth or "")
        elif fault in PROXY_PAGES:
            return fault, {}, proxy_page(fault)
        extra: dict[str, str] = {}
        try:
            if endpoint == "status":
                return self._limited("status", 1, extra) or (200, extra, status_answer())
            if endpoint == "user":
                self._limited("user", 1, extra, raise_breach=True)
            self._authorise(auth, extra)
            if endpoint == "user":
                return 200, extra, user_answer(headers)
            if endpoint not in ARGS:
                return 404, extra, {"message": "The requested URL was not found on the server. If you entered the URL "
                                               "manually please check your spelling and try again."}
            if method != "POST" and endpoint != "gwasinfo":
                return 405, extra, {"message": "The method is not allowed for the requested URL."}
            args = parse_args(endpoint, fields) if method == "POST" else {"id": None}  # GET gwasinfo: all
            logged.cost = cost(endpoint, args)
            with self._lock:
                allowed, extra = self.allowance.hit(logged.cost)
                if not allowed:
                    return 429, extra, self.allowance.breach()
            self._check(endpoint, args)
            if isinstance(fault, int):
                return fault, extra, app_error(fault, endpoint, len(self.log))
            return 200, extra, self._data(endpoint, args)
        except Refused as refused:
            return refused.status, extra, refused.payload

    def _limited(self, name: str, units: int, extra: dict, raise_breach: bool = False):
        with self._lock:
            allowed, headers = self.per_address[name].hit(units)
        extra.update(headers)
        if not allowed:
            if raise_breach:
                raise Refused(429, self.per_address[name].breach())
            return 429, extra, self.per_address[name].breach()
        return None

    def _authorise(self, auth: str | None, extra: dict) -> None:
        if auth is None:
            self._limited("missing-token", 1, extra, raise_breach=True)
            raise Refused(401, {"message": MISSING_TOKEN})
        token = auth.replace("Bearer ", "")
        if token in self.expired:
            raise Refused(401, {"message": "Please generate a new token."})
        if token != self.token:
            raise Refused(401, {"message": INVALID_TOKEN})

    @staticmethod
    def _check(endpoint: str, args: dict) -> None:
        if endpoint == "associations":
            if len(args["id"]) * len(args["variant"]) > MAX_PAIRS:
                raise Refused(400, {"message": "Please make sure N(id) * N(variant) <= 64."})
            if args["population"] not in POPULATIONS:
                raise Refused(400, {"message": "Please make sure the population is one of AFR, AMR, EAS, EUR, SAS."})
        if endpoint == "tophits" and not (args["pval"] is not None and 0 < args["pval"] <= 0.01):
            raise Refused(400, {"message": "Please make sure 0 < pval <= 0.01."})

    def _data(self, endpoint: str, args: dict) -> list[dict]:
        known = [i for i in dict.fromkeys(args["id"] or []) if i in self.datasets]
        if endpoint == "gwasinfo":
            return [self.datasets[i].info for i in (known if args["id"] else self.datasets)]  # none or []: all
        rows: list[dict] = []
        for i in known:
            ds = self.datasets[i]
            if endpoint == "associations":
                rows += ds.associations(args["variant"], args["proxies"], args["r2"], args["align_alleles"],
                                        args["palindromes"], args["maf_threshold"])
            elif args["preclumped"]:  # the table tophits_5e-8_10000_0.001, whatever r2, kb and clump say
                hits = ds.tophits(min(args["pval"], 5e-8), 1, 0.001, 10000, "EUR")
                rows += [r for r in hits if r["p"] < args["pval"]]
            else:
                rows += [r for r in ds.tophits(args["pval"], args["clump"], args["r2"], args["kb"], args["pop"])
                         if r["p"] < args["pval"]]
        if endpoint == "tophits":
            rows.sort(key=lambda r: (r["id"], r["p"]))
        return rows


def _fields(content_type: str, raw: bytes, query: str) -> tuple[Any, dict[str, list]]:
    """(the JSON body, the fields) as flask-restx reads them from ``("json", "values")``: JSON lists as repeated
    values, then the form and the query string."""
    fields: dict[str, list] = defaultdict(list)
    body = None
    if "json" in content_type:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if isinstance(body, dict):
            for k, v in body.items():
                fields[k] += list(v) if isinstance(v, list) else [v]
    elif raw:
        for k, v in urllib.parse.parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
            fields[k].append(v)
    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
        fields[k].append(v)
    return body, fields


def _handler(api: FakeOpenGWAS):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            endpoint = path[len("/api/"):] if path.startswith("/api/") else path.lstrip("/")
            headers = {k.lower(): v for k, v in self.headers.items()}
            body, fields = _fields(headers.get("content-type", ""), raw, query)
            logged = Logged(method, endpoint, headers, body, None, len(raw), 0)
            with api._lock:  # logged on arrival, so a request the client gave up on is counted too
                api.log.append(logged)
            try:
                status, extra, payload = api.answer(method, endpoint, headers, fields, logged)
            except Exception as exc:  # noqa: BLE001 - a bug in the fake must show as a 500, not hang the client
                status, extra, payload = 500, {}, {"message": f"fake server error: {type(exc).__name__}: {exc}"}
            if isinstance(payload, str):
                data, kind = payload.encode(), "text/html" if payload.lstrip().startswith("<") else "text/plain"
            else:
                data, kind = (json.dumps(payload) + "\n").encode(), "application/json"
            logged.status, logged.bytes_out = status, len(data)
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (time-out)
                pass

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

    return Handler


class SilentServer:
    """A loopback server that accepts every connection and never answers (``with SilentServer() as s: s.url``)."""

    def __init__(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self.accepted = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/api/"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._held.append(conn)  # held open, never read from or written to
            self.accepted += 1

    def __enter__(self) -> SilentServer:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self._held:
            conn.close()
        self._sock.close()


def client_environment(monkeypatch, cache: Path, token: str) -> Path:
    """For tests of the client: ``cache`` as the data cache, ``token`` in ``$OPENGWAS_JWT``, no time-out from the
    environment, quick retries (``monkeypatch`` undoes it all)."""
    import mrkit.gwas.opengwas as og

    monkeypatch.setenv("MRKIT_CACHE", str(cache))
    monkeypatch.setenv(og.TOKEN_ENV, token)
    monkeypatch.delenv(og.TIMEOUT_ENV, raising=False)
    monkeypatch.setattr(og.client, "BACKOFF_S", 0.01)
    return cache


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", choices=("small", "full"))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--stats", type=Path, default=None, help="write request counts and bytes here (JSON)")
    args = parser.parse_args(argv)
    api = FakeOpenGWAS(panel_datasets(args.size), token=args.token, port=args.port).start()
    print(f"fake OpenGWAS serving the {args.size} synthetic panel at {api.url}", flush=True)
    try:
        while True:
            time.sleep(2)
            if args.stats:
                args.stats.write_text(json.dumps(api.stats(), indent=1))
    except KeyboardInterrupt:
        pass
    finally:
        if args.stats:
            args.stats.write_text(json.dumps(api.stats(), indent=1))
        api.stop()


if __name__ == "__main__":
    main()
