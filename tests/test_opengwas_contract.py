"""The OpenGWAS contract on both sides: the tests' fake server refuses what the real server refuses, with the
real server's bodies and headers, and the client keeps within the limits on every path.

The contract is the real server's source (MRCIEU/opengwas-api at e6989a0: ``app/apis/assoc.py``, ``tophits.py``,
``app/middleware/auth.py``, ``limiter.py``, ``app/resources/jwt.py``; Flask-Limiter 4.1.1 and flask-restx 1.3.2
for the headers and the argument parsing), summarised in ``../shared/reference/opengwas-api.md``; each expected
message below is copied from that source, not from the fake. The first half talks to the fake with plain HTTP
(so the fake itself can fail these tests), the second half runs mrkit against it.
"""
from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest
import requests
from fake_opengwas import FakeOpenGWAS, client_environment
from fake_opengwas_data import RowsDataset

import mrkit.gwas.opengwas as og
from mrkit.cli import main

TOKEN = "contract-token-41c9e2d7-secret"
ID = "ieu-x-1"
INFO = {"id": ID, "trait": "Contract trait", "sample_size": 5000, "nsnp": 150}
# 150 hand-made variants: p from 1e-5 down to 1e-9.9 in steps of 10^-0.1 (cycling), so some pass 5e-8 and most do not
ROWS = [{"id": ID, "trait": "Contract trait", "chr": str(1 + i % 22), "position": 1_000_000 + 1000 * i,
         "rsid": f"rs{100000 + i}", "ea": "A", "nea": "G", "eaf": 0.3, "beta": round(0.01 + 1e-4 * i, 6), "se": 0.002,
         "p": float(f"{10 ** -(5 + (i % 50) / 10):.3g}"), "n": 5000} for i in range(150)]
SNPS = [r["rsid"] for r in ROWS]


@pytest.fixture
def env(tmp_path, monkeypatch):
    return client_environment(monkeypatch, tmp_path / "cache", TOKEN)


@pytest.fixture
def api(env, monkeypatch):
    with FakeOpenGWAS({ID: RowsDataset(ID, ROWS, INFO)}, token=TOKEN) as server:
        monkeypatch.setenv(og.URL_ENV, server.url)
        yield server


def post(api: FakeOpenGWAS, endpoint: str, body: dict | None = None, *, token: str | None = TOKEN,
         auth: str | None = None, form: str | None = None) -> requests.Response:
    headers = {}
    if auth is not None or token is not None:
        headers["Authorization"] = auth if auth is not None else f"Bearer {token}"
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return requests.post(api.url + endpoint, data=form, headers=headers, timeout=10)
    return requests.post(api.url + endpoint, json=body, headers=headers, timeout=10)


def assoc(variants, ids=(ID,), **extra) -> dict:
    return {"variant": list(variants), "id": list(ids), **extra}


# -- the fake refuses what the real server refuses ---------------------------------------------------------------
def test_more_than_64_pairs_are_refused_and_still_charged(api):
    ok = post(api, "associations", assoc(SNPS[:64], proxies=1))
    assert ok.status_code == 200 and len(ok.json()) == 64
    for body in (assoc(SNPS[:65], proxies=1), assoc(SNPS[:33], ids=(ID, "ieu-x-2"), proxies=1)):
        refused = post(api, "associations", body)
        assert refused.status_code == 400
        assert refused.json() == {"message": "Please make sure N(id) * N(variant) <= 64."}
    # assoc.py charges the allowance (limiter.shared_limit) before its checks: 64 + 65 + 33 units
    assert int(refused.headers["X-Allowance-Remaining"]) == 100_000 - 64 - 65 - 33


def test_empty_or_missing_lists_are_refused_as_flask_restx_does(api):
    for body, name in ((assoc([]), "variant"), ({"variant": ["rs1"], "id": []}, "id"), ({"variant": ["rs1"]}, "id")):
        r = post(api, "associations", body)
        assert r.status_code == 400 and r.json()["message"] == "Input payload validation failed"
        assert r.json()["errors"][name].endswith("Missing required parameter in the JSON body or the post body or "
                                                 "the query string")
        assert "X-Allowance-Remaining" not in r.headers  # parsed before the allowance is looked at
    r = post(api, "tophits", {"id": [ID], "pop": "XYZ"})
    assert r.status_code == 400 and r.json()["errors"] == {"pop": "The value 'XYZ' is not a valid choice for 'pop'."}


def test_tophits_p_bounds_and_the_population_of_proxies(api):
    for pval in (0.05, 0, -1e-8):
        r = post(api, "tophits", {"id": [ID], "pval": pval, "preclumped": 0, "clump": 0})
        assert r.status_code == 400 and r.json() == {"message": "Please make sure 0 < pval <= 0.01."}
    assert post(api, "tophits", {"id": [ID], "pval": 0.01, "preclumped": 0, "clump": 0}).status_code == 200
    r = post(api, "associations", assoc(SNPS[:2], population="XYZ"))
    assert r.status_code == 400
    assert r.json() == {"message": "Please make sure the population is one of AFR, AMR, EAS, EUR, SAS."}


def test_tokens_are_read_as_the_server_reads_them(api):
    r = post(api, "tophits", {"id": [ID]}, token=None)
    assert r.status_code == 401 and r.json()["message"].startswith("ERROR - Go to https://api.opengwas.io/ - From "
                                                                    "1st May 2024 you must provide a token (JWT)")
    for auth in (f"Bearer  {TOKEN}", f"Bearer <{TOKEN}>", f"Bearer '{TOKEN}'", TOKEN + "x"):
        r = post(api, "tophits", {"id": [ID]}, auth=auth)
        assert r.status_code == 401
        assert r.json()["message"].startswith("Invalid token. Visit https://api.opengwas.io to obtain one and make "
                                              "sure there are no extra")
    assert post(api, "tophits", {"id": [ID]}, auth=TOKEN).status_code == 200  # .replace("Bearer ", "") only
    api.expired.add("old-token-123456")
    r = post(api, "tophits", {"id": [ID]}, token="old-token-123456")
    assert r.status_code == 401 and r.json() == {"message": "Please generate a new token."}


def test_costs_and_allowance_headers_as_flask_limiter_sends_them(api):
    """Costs: assoc.py / tophits.py / gwasinfo.py ``_get_cost``; headers: Flask-Limiter ``__inject_headers``."""
    costs = [(("tophits", {"id": [ID]}), 1), (("tophits", {"id": [ID], "preclumped": 0, "clump": 0}), 10),
             (("tophits", {"id": [ID], "preclumped": 0, "clump": 1, "kb": 250}), 30),
             (("associations", assoc(SNPS[:40], proxies=1)), 40), (("associations", assoc(SNPS[:40])), 200),
             (("gwasinfo", {"id": [ID]}), 1), (("gwasinfo", {}), 1), (("gwasinfo", {"id": [ID] * 101}), 50)]
    remaining = 100_000
    for (endpoint, body), units in costs:
        r = post(api, endpoint, body)
        remaining -= units
        assert r.status_code == 200 and int(r.headers["X-Allowance-Remaining"]) == remaining, (endpoint, body)
        assert r.headers["X-Allowance-Limit"] == "100000"
        reset = int(r.headers["X-Allowance-Reset"])
        assert time.time() < reset <= time.time() + 602
        assert abs(int(r.headers["Retry-After"]) - (reset - time.time())) <= 2  # on every answer, not only 429
    everything = requests.get(api.url + "gwasinfo", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert everything.json() == [INFO] and int(everything.headers["X-Allowance-Remaining"]) == remaining - 50


def test_a_used_up_allowance_answers_429_with_the_server_body(api):
    api.use_up(leave=30)
    r = post(api, "associations", assoc(SNPS[:31], proxies=1))
    assert r.status_code == 429 and r.headers["X-Allowance-Remaining"] == "30"
    assert re.fullmatch(r"Too many requests\. Allowance: 100000 per 10 minute\. Please try again after "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d \S+\.", r.json()["message"])
    assert post(api, "associations", assoc(SNPS[:30], proxies=1)).status_code == 200


def test_front_proxy_pages_and_the_app_s_own_errors(api):
    api.fail("tophits", 502, 503)
    page = post(api, "tophits", {"id": [ID]})
    assert page.status_code == 502 and page.headers["Content-Type"] == "text/html"
    assert "<title>502 Bad Gateway</title>" in page.text and "X-Allowance-Limit" not in page.headers
    app = post(api, "tophits", {"id": [ID]})
    assert app.status_code == 503 and app.json()["message"] == "Unable to retrieve tophits (instruments)."
    assert re.fullmatch(r"[0-9a-f]{16}", app.json()["trace_id"]) and "X-Allowance-Limit" in app.headers


def test_preclumped_tophits_come_from_the_5e8_table_sorted_by_p(api):
    """tophits.py: with preclumped = 1 the table tophits_5e-8_10000_0.001 answers, whatever pval asks for."""
    r = post(api, "tophits", {"id": [ID], "pval": 1e-6, "preclumped": 1})
    want = sorted((x for x in ROWS if x["p"] < 5e-8), key=lambda x: x["p"])
    assert [x["rsid"] for x in r.json()] == [x["rsid"] for x in want] and len(want) > 0
    loose = post(api, "tophits", {"id": [ID], "pval": 1e-6, "preclumped": 0, "clump": 0}).json()
    assert len(loose) == sum(x["p"] < 1e-6 for x in ROWS) > len(want)
    assert [x["p"] for x in loose] == sorted(x["p"] for x in loose)


def test_form_fields_are_lists_too(api):
    r = post(api, "associations", form=f"id={ID}&variant={SNPS[0]}&variant={SNPS[1]}&proxies=0")
    assert r.status_code == 200 and [x["rsid"] for x in r.json()] == SNPS[:2]


# -- the client keeps within the contract --------------------------------------------------------------------------
def test_association_requests_never_exceed_64_pairs_and_ask_each_pair_once():
    cases = {(1, 150): [64, 64, 22], (3, 50): [21, 21, 8], (1, 64): [64], (1, 1): [1]}
    for (n_ids, n_var), sizes in cases.items():
        ids, variants = [f"d-{i}" for i in range(n_ids)], [f"rs{j}" for j in range(n_var)]
        chunks = og.association_requests(ids, variants)
        assert [len(v) for _, v in chunks] == sizes and all(g == ids for g, _ in chunks)
    ids, variants = [f"d-{i}" for i in range(12)], [f"rs{j}" for j in range(10)]
    chunks = og.association_requests(ids, variants)  # ieugwasr: ids by 10, then 64 // 10 = 6 variants
    assert [(len(g), len(v)) for g, v in chunks] == [(10, 6), (10, 4), (2, 6), (2, 4)]
    pairs = [(i, v) for g, vs in chunks for i in g for v in vs]
    assert sorted(pairs) == sorted((i, v) for i in ids for v in variants)
    assert max(len(g) * len(v) for g, v in chunks) <= og.MAX_PAIRS


def test_cli_associations_of_150_variants_go_out_in_requests_of_64(api, env, tmp_path, capsys):
    """It sent one request of 150 variants, which the real server refuses (HTTP 400)."""
    snps = tmp_path / "snps.csv"
    pd.DataFrame({"SNP": SNPS}).to_csv(snps, index=False)
    out, again = tmp_path / "o.csv", tmp_path / "again.csv"
    assert main(["opengwas", "associations", ID, "--snps", str(snps), "-o", str(out)]) == 0
    assert "150 of 150 variants found" in capsys.readouterr().out
    asked = api.requests("associations")
    assert [len(r.body["variant"]) for r in asked] == [64, 64, 22] and all(r.status == 200 for r in asked)
    assert [v for r in asked for v in r.body["variant"]] == SNPS
    cached = [a for a in og.ResponseCache(env / "opengwas").entries() if a.endpoint == "associations"]
    assert sorted(len(a.request["variant"]) for a in cached) == [22, 64, 64]  # each chunk's answer on its own
    assert pd.read_csv(out)["SNP"].tolist() == SNPS
    assert main(["opengwas", "associations", ID, "--snps", str(snps), "-o", str(again)]) == 0
    assert "from the cache" in capsys.readouterr().out and len(api.requests()) == 3
    assert out.read_bytes() == again.read_bytes()


def test_cli_instruments_outside_the_p_bound_is_refused_before_asking(api, tmp_path, capsys):
    assert main(["opengwas", "instruments", ID, "--p", "0.05", "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "0 < p <= 0.01" in err and "got 0.05" in err and api.requests() == []
    assert main(["opengwas", "instruments", ID, "--p", "0.01", "--no-clump", "-o", str(tmp_path / "o.csv")]) == 0
    assert api.requests()[-1].status == 200


def test_top_hits_for_another_population_are_clumped_afresh(api, tmp_path):
    """tophits.py answers preclumped = 1 from its one pre-clumped table whatever pop says; ieugwasr sets
    preclumped from the thresholds alone, so pop = "EAS" at the defaults got the EUR clumping."""
    assert main(["opengwas", "instruments", ID, "--pop", "EAS", "-o", str(tmp_path / "o.csv")]) == 0
    assert main(["opengwas", "instruments", ID, "-o", str(tmp_path / "o.csv")]) == 0
    eas, eur = api.requests("tophits")
    assert (eas.body["pop"], eas.body["preclumped"], eas.cost) == ("EAS", 0, 30)
    assert (eur.body["pop"], eur.body["preclumped"], eur.cost) == ("EUR", 1, 1)


def test_the_scan_s_proxies_use_the_manifest_population(api, env, tmp_path):
    from mrkit.scan.engine import run_scan
    from mrkit.scan.manifest import load_manifest

    outcome_rows = [{**r, "id": "ieu-x-2", "beta": round(0.5 * r["beta"], 6)} for r in ROWS]  # not x's own
    with FakeOpenGWAS({"ieu-x-2": RowsDataset("ieu-x-2", outcome_rows, INFO)},
                      token=TOKEN) as outcome_server:
        path = tmp_path / "m.toml"
        path.write_text('[opengwas]\npop = "EAS"\n[[exposure]]\nid = "x"\nopengwas = "ieu-x-1"\n'
                        '[[outcome]]\nid = "y"\nopengwas = "ieu-x-2"\n')
        api.datasets["ieu-x-2"] = outcome_server.datasets["ieu-x-2"]  # one server serves both ids
        report = run_scan(load_manifest(path), tmp_path / "out", progress=False)
    assert report.complete and report.failed == 0
    [tophits] = api.requests("tophits")
    assert tophits.body["pop"] == "EAS"
    assert {r.body["population"] for r in api.requests("associations")} == {"EAS"}


def test_the_user_endpoint_s_own_limit_does_not_stop_data_requests(api, tmp_path, capsys):
    """user.py is limited to 30 requests per hour per address, with the same X-Allowance-* headers: its
    ``X-Allowance-Remaining: 0`` said nothing of the data allowance, yet stopped every request for an hour."""
    api.per_address["user"].reset_at(time.time())
    api.per_address["user"].used = 29
    assert main(["opengwas", "status"]) == 0
    [user] = [r for r in api.requests("user")]
    assert user.status == 200
    assert main(["opengwas", "instruments", ID, "-o", str(tmp_path / "o.csv")]) == 0, capsys.readouterr().err
    assert main(["opengwas", "status"]) == 2  # the 31st: refused by the endpoint's limit, said as such
    err = capsys.readouterr().err
    assert "too many user requests from this address (HTTP 429; a limit of this endpoint" in err
    assert main(["opengwas", "instruments", ID, "--p", "1e-6", "-o", str(tmp_path / "o.csv")]) == 0


def test_stats_of_the_fake_count_costs(api):
    post(api, "associations", assoc(SNPS[:10], proxies=1))
    post(api, "tophits", {"id": [ID]})
    stats = api.stats()
    assert stats["cost"] == 11 and stats["largest_associations_request"] == 10
    assert json.loads(json.dumps(stats)) == stats
