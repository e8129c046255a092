"""A fake OpenGWAS API on 127.0.0.1 (standard library only) for the tests, and for trying the book offline.

It answers the endpoints mrkit's client uses in the shapes of the real API (MRCIEU/opengwas-api:
``apis/tophits.py``, ``apis/assoc.py``, ``resources/_proxies.py``, ``middleware/limiter.py``):

* ``POST /api/tophits`` and ``POST /api/associations`` return lists of rows ``id, trait, chr, position,
  rsid, ea, nea, eaf, beta, se, p, n`` (associations with proxies add ``proxy, target_snp, proxy_snp,
  target_a1, target_a2, proxy_a1, proxy_a2``); an unknown id gives ``[]``, as the real server does;
* ``POST /api/gwasinfo`` returns one record per known id; ``GET /api/user`` and ``GET /api/status``;
* a missing or wrong ``Authorization: Bearer`` token gives 401 (not for ``status``); an optional
  allowance counts requests and answers 429 with ``Retry-After`` once used up, with
  ``X-Allowance-Limit/-Remaining/-Reset`` on every answer; scripted faults (a status code, or a delay
  longer than the client's time-out) can be queued per endpoint.

:class:`PanelDataset` serves one trait of the synthetic panel through mrkit's own readers; it clumps
top hits with mrkit's own clumping (:func:`mrkit.gwas.clump.clump`, the engine the file path uses)
against the panel's reference, and finds proxies with :func:`mrkit.gwas.proxies.find_proxies` (the
best proxy by r^2 within 500 kb, as the file path does; the real server takes the nearest proxy with
r^2 above the threshold). Selection keeps p <= threshold, as mrkit's file path does (the real server
keeps p < threshold). So the instruments and outcome rows it returns are those of the file path.
:class:`RowsDataset` serves fixed rows (real top hits from ``../shared/realdata``).

Run it alone to build the book against it::

    .venv/bin/python tests/fake_opengwas.py --size small --port 8765 --token x --stats /tmp/fake.json
    OPENGWAS_JWT=x OPENGWAS_API_URL=http://127.0.0.1:8765/api/ .venv/bin/mrkit book --data opengwas
"""
from __future__ import annotations

import argparse
import json
import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TOKEN = "fake-opengwas-token-3f9c1e"


def _value(v: Any) -> Any:
    """A JSON-safe scalar: numpy to Python, NaN to null."""
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not math.isfinite(float(v)) else float(v)
    if v is pd.NA:
        return None
    return v


def _flip(a: str | None) -> str | None:
    return {"A": "T", "T": "A", "G": "C", "C": "G"}.get(a) if a else None


def proxy_alleles(ea: str | None, nea: str | None, eaf: float | None, proxy: dict, maf_threshold: float) -> str:
    """How an association's alleles map onto the proxy record: "straight", "switch", "skip" or "no_allele"
    (the real server's ``proxy_alleles``)."""
    a1 = ea.upper() if ea and ea.upper() in "ATGC" else None
    a2 = nea.upper() if nea and nea.upper() in "ATGC" else None
    p1, p2 = proxy["proxy_a1"], proxy["proxy_a2"]
    if a1 is None:
        return "no_allele"
    if not proxy["palindromic"]:
        if (a1 == p1 and a2 == p2) or (a1 == _flip(p1) and a2 == _flip(p2)):
            return "straight"
        if (a1 == p2 and a2 == p1) or (a1 == _flip(p2) and a2 == _flip(p1)):
            return "switch"
        return "skip"
    if not eaf:
        return "skip"
    if eaf < maf_threshold:
        if a1 == p1:
            return "straight"
        if a1 == _flip(p1):
            return "switch"
    if eaf > 1 - maf_threshold:
        if a1 == p1:
            return "switch"
        if a1 == _flip(p1):
            return "straight"
    return "skip"


class PanelDataset:
    """One trait of the synthetic panel, served as an OpenGWAS dataset (see the module docstring)."""

    def __init__(self, dataset_id: str, path: Path, fmt: str, ref: Path, sizes: dict, info: dict,
                 hide: set[str] = frozenset()):
        self.id, self.path, self.fmt, self.ref, self.sizes = dataset_id, Path(path), fmt, Path(ref), sizes
        self._info = dict(info)
        self.hide = set(hide)
        self._frames: dict[Any, pd.DataFrame] = {}
        self._rows_read = 0
        self._lock = threading.RLock()

    @property
    def info(self) -> dict:
        """The gwasinfo record, ``nsnp`` = the variants of the trait's file (read on first use)."""
        if self._info.get("nsnp") is None:
            self.gwas()
            self._info["nsnp"] = self._rows_read
        return self._info

    @info.setter
    def info(self, value: dict) -> None:
        self._info = dict(value)

    def gwas(self, p_max: float | None = None) -> pd.DataFrame:
        from mrkit.gwas.io import read_sumstats

        with self._lock:
            if p_max not in self._frames:
                frame = read_sumstats(self.path, self.fmt, p_max=p_max, **self.sizes)
                if p_max is None:
                    self._rows_read = int(frame.attrs.get("rows_read", len(frame)))
                self._frames[p_max] = frame[~frame["snp"].isin(self.hide)].reset_index(drop=True)
            return self._frames[p_max]

    def row(self, r: Any) -> dict:
        return {"id": self.id, "trait": self.info["trait"], "chr": str(r.chrom), "position": int(r.pos),
                "rsid": str(r.snp), "ea": r.effect_allele, "nea": r.other_allele, "eaf": _value(r.eaf),
                "beta": _value(r.beta), "se": _value(r.se), "p": _value(r.p), "n": _value(r.n)}

    def tophits(self, pval: float, clump: int, r2: float, kb: float, pop: str) -> list[dict]:
        from mrkit.gwas.clump import clump as ld_clump
        from mrkit.gwas.instruments import select_instruments

        selected = select_instruments(self.gwas(p_max=pval), pval)
        if clump:
            selected = ld_clump(selected, self.ref, r2=r2, kb=kb, p1=pval, p2=1.0)
        return [self.row(r) for r in selected.itertuples()]

    def associations(self, variants: list[str], proxies: int, r2: float, align_alleles: int, palindromes: int,
                     maf_threshold: float) -> list[dict]:
        from mrkit.gwas.ld import is_palindromic
        from mrkit.gwas.proxies import find_proxies

        full = self.gwas()
        by_snp = full.drop_duplicates("snp").set_index("snp", drop=False)
        found = {}
        missing = [v for v in variants if v not in by_snp.index]
        if proxies and missing:
            table = find_proxies(missing, full["snp"], self.ref, r2=r2, palindromes=bool(palindromes))
            for rec in table[table["status"] == "found"].itertuples():
                found[rec.target_snp] = {
                    "proxy": rec.proxy_snp, "target_a1": rec.target_allele_for_proxy_a1,
                    "target_a2": rec.target_allele_for_proxy_a2, "proxy_a1": rec.proxy_a1, "proxy_a2": rec.proxy_a2,
                    "palindromic": bool(is_palindromic(np.array([rec.proxy_a1]), np.array([rec.proxy_a2]))[0])}
        out = []
        for v in variants:
            if v in by_snp.index:
                r = self.row(by_snp.loc[v])
                if proxies:
                    r.update(target_snp=v, proxy_snp=v, proxy=False, target_a1=None, target_a2=None, proxy_a1=None,
                             proxy_a2=None)
                out.append(r)
            elif v in found:
                px = found[v]
                r = self.row(by_snp.loc[px["proxy"]])
                r.update(target_snp=v, proxy_snp=px["proxy"])
                if align_alleles:
                    how = proxy_alleles(r["ea"], r["nea"], r["eaf"], px, maf_threshold)
                    if how not in ("straight", "switch"):
                        continue
                    ea, nea = (px["target_a1"], px["target_a2"]) if how == "straight" else (px["target_a2"], px["target_a1"])
                    r.update(ea=ea, nea=nea)
                r.update(proxy=True, rsid=v, target_a1=px["target_a1"], target_a2=px["target_a2"],
                         proxy_a1=px["proxy_a1"], proxy_a2=px["proxy_a2"])
                out.append(r)
        return out


class RowsDataset:
    """A dataset answering from fixed rows (``rsid, ea, nea, eaf, beta, se, p, n``, ...)."""

    def __init__(self, dataset_id: str, rows: list[dict], info: dict):
        self.id, self.rows, self.info = dataset_id, rows, dict(info)

    def tophits(self, pval: float, clump: int, r2: float, kb: float, pop: str) -> list[dict]:
        return [dict(r) for r in self.rows if r["p"] < pval]

    def associations(self, variants: list[str], proxies: int, r2: float, align_alleles: int, palindromes: int,
                     maf_threshold: float) -> list[dict]:
        wanted = set(variants)
        return [dict(r) for r in self.rows if r["rsid"] in wanted]


@dataclass
class Logged:
    method: str
    endpoint: str
    headers: dict
    body: Any
    status: int | None
    bytes_in: int
    bytes_out: int


@dataclass
class FakeOpenGWAS:
    """The server; use as a context manager (``with FakeOpenGWAS(datasets) as api: api.url``)."""

    datasets: dict[str, Any]
    token: str = TOKEN
    allowance: int | None = None          # requests left before 429 (None: unlimited)
    allowance_reset_s: int = 600
    log: list[Logged] = field(default_factory=list)
    faults: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- control -------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._server.server_address[1]}/api/"

    def fail(self, endpoint: str, *actions: Any) -> None:
        """Queue faults for the next requests to ``endpoint``: an int status code, ("delay", seconds) before the
        answer, or ("answer", status, payload) instead of it."""
        self.faults[endpoint].extend(actions)

    def requests(self, endpoint: str | None = None) -> list[Logged]:
        return [r for r in self.log if endpoint is None or r.endpoint == endpoint]

    def start(self) -> FakeOpenGWAS:
        self._server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        self.port = self._server.server_address[1]  # a restart serves at the same URL
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenGWAS:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stats(self) -> dict:
        return {"requests": len(self.log), "bytes_in": sum(r.bytes_in for r in self.log),
                "bytes_out": sum(r.bytes_out for r in self.log),
                "by_endpoint": {e: sum(1 for r in self.log if r.endpoint == e) for e in sorted({r.endpoint for r in self.log})}}

    # -- answers -------------------------------------------------------------------------------------------
    def answer(self, method: str, endpoint: str, headers: dict, body: Any) -> tuple[int, dict, Any]:
        extra: dict[str, str] = {}
        with self._lock:
            fault = self.faults[endpoint].popleft() if self.faults.get(endpoint) else None
            if self.allowance is not None:
                reset = int(time.time()) + self.allowance_reset_s
                extra = {"X-Allowance-Limit": "1000", "X-Allowance-Reset": str(reset)}
                if self.allowance <= 0:
                    return 429, {**extra, "X-Allowance-Remaining": "0", "Retry-After": str(self.allowance_reset_s)}, {
                        "message": f"Too many requests. Allowance: 1000 per 10 minute. Please try again after "
                                   f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(reset))}."}
                self.allowance -= 1
                extra["X-Allowance-Remaining"] = str(self.allowance)
                if self.allowance <= 0:
                    extra["Retry-After"] = str(self.allowance_reset_s)
        if isinstance(fault, tuple) and fault[0] == "delay":
            threading.Event().wait(fault[1])
        elif isinstance(fault, tuple) and fault[0] == "answer":  # ("answer", status, payload)
            return fault[1], extra, fault[2]
        elif isinstance(fault, int):
            return fault, extra, {"message": f"Internal Server Error (scripted {fault})"}
        if endpoint != "status" and headers.get("authorization", "") != f"Bearer {self.token}":
            return 401, extra, {"message": "Invalid JWT header or payload."}
        if endpoint == "status":
            return 200, extra, {"API version": "fake", "Neo4j status": "Available", "ElasticSearch status": "Available",
                                "LD reference panel": "Available", "PLINK executable": "Available"}
        if endpoint == "user":
            return 200, extra, {"user": {"uid": "tester@example.org", "first_name": "Test", "last_name": "User",
                                         "jwt_valid_until": "2099-01-01 00:00 UTC", "roles": []},
                                "request": {"client": headers.get("x-api-source")}}
        if method != "POST" or not isinstance(body, dict):
            return 400, extra, {"message": "POST a JSON body"}
        ids = [str(i) for i in body.get("id", [])]
        if endpoint == "gwasinfo":
            return 200, extra, [self.datasets[i].info for i in ids if i in self.datasets]
        if endpoint == "tophits":
            if not ids:
                return 400, extra, {"message": "id is required"}
            rows = []
            for i in ids:
                if i in self.datasets:
                    clump = int(body.get("clump", 1))
                    r2, kb = (0.001, 10000) if int(body.get("preclumped", 1)) and clump else (body["r2"], body["kb"])
                    rows += self.datasets[i].tophits(float(body.get("pval", 5e-8)), clump, float(r2), float(kb),
                                                     str(body.get("pop", "EUR")))
            return 200, extra, rows
        if endpoint == "associations":
            variants = [str(v) for v in body.get("variant", [])]
            if not ids or not variants:
                return 400, extra, {"message": "id and variant are required"}
            rows = []
            for i in ids:
                if i in self.datasets:
                    rows += self.datasets[i].associations(variants, int(body.get("proxies", 0)),
                                                          float(body.get("r2", 0.8)), int(body.get("align_alleles", 1)),
                                                          int(body.get("palindromes", 1)),
                                                          float(body.get("maf_threshold", 0.3)))
            return 200, extra, rows
        return 404, extra, {"message": f"no endpoint {endpoint}"}


def _handler(api: FakeOpenGWAS):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            endpoint = self.path.split("?")[0]
            endpoint = endpoint[len("/api/"):] if endpoint.startswith("/api/") else endpoint.lstrip("/")
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            logged = Logged(method, endpoint, headers, body, None, len(raw), 0)
            with api._lock:  # logged on arrival, so a request the client gave up on is counted too
                api.log.append(logged)
            try:
                status, extra, payload = api.answer(method, endpoint, headers, body)
            except Exception as exc:  # noqa: BLE001 - a bug in the fake must show as a 500, not hang the client
                status, extra, payload = 500, {}, {"message": f"fake server error: {type(exc).__name__}: {exc}"}
            data = json.dumps(payload).encode()
            logged.status, logged.bytes_out = status, len(data)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
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


# -- the study's datasets --------------------------------------------------------------------------------------
def gwasinfo_record(source: Any, nsnp: int | None) -> dict:
    """A gwasinfo record for a source of ``data/sources.toml``, in the real API's fields."""
    return {"id": source.opengwas_id, "trait": source.description.split(",")[0], "author": "mrkit synthetic panel",
            "year": 2024, "population": source.ancestry or "European", "sample_size": source.sample_size,
            "ncase": source.ncase, "ncontrol": source.ncontrol, "nsnp": nsnp, "unit": source.units,
            "build": "HG19/GRCh37", "group_name": "public", "note": "served by the tests' fake OpenGWAS server"}


def cache_with_panels(folder: Path) -> Path:
    """``folder`` made a data cache of its own (for ``MRKIT_CACHE``) that shares this checkout's synthetic
    panels (linked in, made once), so that only OpenGWAS answers start afresh."""
    from mrkit.paths import cache_dir

    panels = cache_dir() / "synthetic"
    panels.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "synthetic").symlink_to(panels)
    return folder


def panel_datasets(size: str = "small", seed: int | None = None, hide: dict[str, set[str]] | None = None) -> dict:
    """The study's six OpenGWAS ids, each serving its trait of the synthetic panel (``hide``: per trait, variants
    the dataset lacks)."""
    from mrkit.gwas.sources import load_sources
    from mrkit.paper.labels import TRAITS
    from mrkit.simulate import ensure_panel, panel_files

    files = panel_files(ensure_panel(size=size, seed=seed))
    sources = load_sources()
    out = {}
    for trait in TRAITS:
        src = sources[trait]
        path, fmt = files[trait]
        sizes = {k: getattr(src, k) for k in ("n", "ncase", "ncontrol") if getattr(src, k, None)}
        ds = PanelDataset(src.opengwas_id, path, fmt, files["ref"], sizes, {}, hide=(hide or {}).get(trait, set()))
        ds.info = gwasinfo_record(src, None)
        out[src.opengwas_id] = ds
    return out


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
