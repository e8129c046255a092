"""The OpenGWAS client and ``mrkit opengwas`` against a fake OpenGWAS server on 127.0.0.1 (tests/fake_opengwas.py).

Each failure a user can meet is exercised through the real client code (HTTP, headers, JSON bodies, status
codes, ``X-Allowance-Remaining`` / ``Retry-After``): no token, a refused token (401), a used-up allowance
(429, and an answer that leaves no allowance), a 500 then success, persistent 500s, a time-out, an unknown
id, no hits. Each exits with code 2 and one line, no traceback, and never shows the token. The cache makes a
second run offline and byte-identical. Request bodies are those of ieugwasr ``tophits`` / ``associations``
(``R/query.R``). Real top hits (``../shared/realdata``, MRInstruments, CC0) check the parsing of real values.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from fake_opengwas import FakeOpenGWAS
from fake_opengwas_data import PanelDataset, RowsDataset, panel_datasets

import mrkit.gwas.opengwas as og
from mrkit.cli import main
from mrkit.paths import cache_dir

TOKEN = "tok-7d1e0c5b9a-secret"
INFO = {"id": "ukb-x-1", "trait": "Test trait", "sample_size": 1000, "nsnp": 3, "population": "European"}
ROWS = [  # hand-made top hits, most significant first
    {"id": "ukb-x-1", "trait": "Test trait", "chr": "1", "position": 1000, "rsid": "rs1", "ea": "a", "nea": "G",
     "eaf": 0.25, "beta": 0.031, "se": 0.004, "p": 9.3e-15, "n": 1000},
    {"id": "ukb-x-1", "trait": "Test trait", "chr": "2", "position": 2000, "rsid": "rs2", "ea": "C", "nea": "T",
     "eaf": 0.6, "beta": -0.02, "se": 0.003, "p": 2.6e-11, "n": "1000.0"},
    {"id": "ukb-x-1", "trait": "Test trait", "chr": "3", "position": 3000, "rsid": "rs3", "ea": "A", "nea": "T",
     "eaf": None, "beta": 0.015, "se": 0.0027, "p": 2.9e-8, "n": 1000},
]


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private data cache (the synthetic panels linked in), the token set, quick retries."""
    panels = cache_dir() / "synthetic"
    panels.mkdir(parents=True, exist_ok=True)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "synthetic").symlink_to(panels)
    monkeypatch.setenv("MRKIT_CACHE", str(cache))
    monkeypatch.setenv(og.TOKEN_ENV, TOKEN)
    monkeypatch.setattr(og.client, "BACKOFF_S", 0.01)
    return cache


@pytest.fixture
def api(env, monkeypatch):
    with FakeOpenGWAS({"ukb-x-1": RowsDataset("ukb-x-1", ROWS, INFO)}, token=TOKEN) as server:
        monkeypatch.setenv(og.URL_ENV, server.url)
        yield server


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["opengwas", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_failure(code: int, err: str) -> None:
    assert code == 2
    assert err.startswith("mrkit opengwas: error: ") and "Traceback" not in err
    assert TOKEN not in err


# -- requests, tables, cache ---------------------------------------------------------------------------------------
def test_instruments_send_ieugwasr_tophits_body_with_bearer_token(api, tmp_path, capsys):
    out = tmp_path / "exp.csv"
    code, printed, _ = run(capsys, "instruments", "ukb-x-1", "-o", out)
    assert code == 0 and "3 instruments of ukb-x-1" in printed
    [req] = api.requests()
    assert (req.method, req.endpoint) == ("POST", "tophits")
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["x-api-source"].startswith("mrkit/")
    # ieugwasr tophits(): preclumped = 1 exactly at clump = 1, r2 = 0.001, kb = 10000, pval = 5e-8
    assert req.body == {"id": ["ukb-x-1"], "pval": 5e-8, "preclumped": 1, "clump": 1, "r2": 0.001, "kb": 10000,
                        "pop": "EUR"}
    assert run(capsys, "instruments", "ukb-x-1", "--p", "1e-6", "--kb", "500", "-o", out)[0] == 0
    assert api.requests()[-1].body == {"id": ["ukb-x-1"], "pval": 1e-6, "preclumped": 0, "clump": 1, "r2": 0.001,
                                       "kb": 500, "pop": "EUR"}


def test_instruments_table_has_twosamplemr_exposure_columns(api, tmp_path, capsys):
    out = tmp_path / "exp.csv"
    assert run(capsys, "instruments", "ukb-x-1", "-o", out)[0] == 0
    table = pd.read_csv(out)
    assert list(table.columns[:10]) == ["SNP", "effect_allele.exposure", "other_allele.exposure", "eaf.exposure",
                                        "beta.exposure", "se.exposure", "pval.exposure", "samplesize.exposure",
                                        "id.exposure", "exposure"]
    assert table["SNP"].tolist() == ["rs1", "rs2", "rs3"]
    assert table["effect_allele.exposure"].tolist() == ["A", "C", "A"]  # upper-cased, as format_data does
    assert table["beta.exposure"].tolist() == [0.031, -0.02, 0.015]
    assert table["samplesize.exposure"].tolist() == [1000.0] * 3  # "1000.0" as text is a number too (fix_n)
    assert math.isnan(table["eaf.exposure"].iloc[2])
    assert set(table["exposure"]) == {"Test trait || id:ukb-x-1"}  # extract_instruments: "trait || id:ID"


def test_second_run_is_offline_and_identical_and_refresh_asks_again(api, env, tmp_path, capsys, monkeypatch):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run(capsys, "instruments", "ukb-x-1", "-o", first)[0] == 0
    assert len(api.requests()) == 1
    [entry] = list((env / "opengwas" / "responses").glob("*.json"))
    doc = json.loads(entry.read_text())
    assert doc["endpoint"] == "tophits" and doc["request"]["id"] == ["ukb-x-1"]
    assert doc["sha256"] == hashlib.sha256(doc["response"].encode()).hexdigest()
    assert json.loads(doc["response"]) == json.loads(json.dumps(ROWS))
    api.stop()  # offline, and without a token: the cache answers
    monkeypatch.delenv(og.TOKEN_ENV)
    code, printed, _ = run(capsys, "instruments", "ukb-x-1", "-o", second)
    assert code == 0 and "from the cache" in printed
    assert first.read_bytes() == second.read_bytes()
    assert len(api.requests()) == 1
    api.start()  # at the same URL
    monkeypatch.setenv(og.TOKEN_ENV, TOKEN)
    assert run(capsys, "instruments", "ukb-x-1", "-o", second, "--refresh")[0] == 0
    assert len(api.requests()) == 2


def test_a_damaged_cache_entry_is_asked_again(api, env, tmp_path, capsys):
    out = tmp_path / "a.csv"
    assert run(capsys, "instruments", "ukb-x-1", "-o", out)[0] == 0
    [entry] = list((env / "opengwas" / "responses").glob("*.json"))
    doc = json.loads(entry.read_text())
    doc["response"] = doc["response"].replace("0.031", "0.032")  # no longer matches its sha256
    entry.write_text(json.dumps(doc))
    assert run(capsys, "instruments", "ukb-x-1", "-o", out)[0] == 0
    assert len(api.requests()) == 2 and pd.read_csv(out)["beta.exposure"].iloc[0] == 0.031


def test_associations_send_ieugwasr_body(api, tmp_path, capsys):
    out = tmp_path / "out.csv"
    code, printed, _ = run(capsys, "associations", "ukb-x-1", "--snps", "rs2,rs1,rs9", "-o", out)
    assert code == 0 and "2 of 3 variants found" in printed
    assert api.requests()[-1].body == {"variant": ["rs2", "rs1", "rs9"], "id": ["ukb-x-1"], "proxies": 1, "r2": 0.8,
                                       "align_alleles": 1, "palindromes": 1, "maf_threshold": 0.3,
                                       "population": "EUR"}
    code = run(capsys, "associations", "ukb-x-1", "--snps", "rs1", "--no-proxies", "--proxy-r2", "0.9", "-o", out)[0]
    assert code == 0
    assert api.requests()[-1].body["proxies"] == 0 and api.requests()[-1].body["r2"] == 0.9
    table = pd.read_csv(out)
    assert table["SNP"].tolist() == ["rs1"] and "proxy.outcome" not in table.columns


def test_snps_from_a_file_without_a_snp_column_is_an_error_naming_it(api, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("rsname,beta\nrs1,0.1\n")
    code, _, err = run(capsys, "associations", "ukb-x-1", "--snps", bad, "-o", tmp_path / "o.csv")
    assert_clean_failure(code, err)
    assert str(bad) in err and "SNP" in err
    assert api.requests() == []


def test_outcome_table_follows_twosamplemr_format_d():
    """TwoSampleMR format_d: SE inferred from beta and p, impossible values cleared, shared proxies deduplicated."""
    base = {"id": "d-1", "trait": "T", "chr": "1", "position": 1, "ea": "A", "nea": "G", "n": 100}
    rows = [{**base, "rsid": "rs1", "beta": 0.1, "se": 0, "p": 0.05, "eaf": 1.0},
            {**base, "rsid": "rs2", "beta": -9, "se": 0.2, "p": 0.3, "eaf": 0.2},
            {**base, "rsid": "rs3", "beta": None, "se": 0.2, "p": None, "eaf": 0.2}]
    table = og.outcome_table(rows)
    assert table["SNP"].tolist() == ["rs1", "rs2"]  # no beta and no p: dropped
    # get_se: |beta| / |qnorm(p / 2)|; qnorm(0.025) = -1.959964 (R), so 0.1 / 1.959964 = 0.0510213
    assert table["se.outcome"].iloc[0] == pytest.approx(0.0510213, rel=1e-6)
    assert math.isnan(table["eaf.outcome"].iloc[0])  # eaf >= 1 is not a frequency
    assert math.isnan(table["beta.outcome"].iloc[1])  # -9 is a missing-value code
    assert table["mr_keep.outcome"].tolist() == [True, False]
    proxy = {**base, "beta": 0.1, "se": 0.02, "p": 1e-3, "eaf": 0.3, "proxy": True, "proxy_snp": "rsP",
             "target_a1": "A", "target_a2": "G", "proxy_a1": "C", "proxy_a2": "T"}
    two = og.outcome_table([{**proxy, "rsid": "rsT1", "target_snp": "rsT1"},
                            {**proxy, "rsid": "rsT2", "target_snp": "rsT2"}])
    assert two["SNP"].tolist() == ["rsT1"]  # two targets with the same proxy: the first is kept


# -- failures a user can act on ------------------------------------------------------------------------------------
def test_missing_token_says_how_to_get_one(api, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(og.TOKEN_ENV)
    code, _, err = run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "o.csv")
    assert_clean_failure(code, err)
    assert "OPENGWAS_JWT" in err and "https://api.opengwas.io/profile/" in err
    assert api.requests() == []


def test_refused_token_is_not_retried_and_not_shown(api, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(og.TOKEN_ENV, TOKEN + "-expired")
    code, _, err = run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "o.csv")
    assert_clean_failure(code, err)
    assert "HTTP 401" in err and "missing, expired or invalid" in err and "-expired" not in err
    assert len(api.requests()) == 1 and not (tmp_path / "o.csv").exists()


def test_used_up_allowance_stops_with_the_reset_time_and_no_output(api, tmp_path, capsys):
    api.use_up()  # the reset is at the end of the server's 10-minute window
    out = tmp_path / "o.csv"
    out.write_text("kept\n")
    code, _, err = run(capsys, "instruments", "ukb-x-1", "-o", out)
    assert_clean_failure(code, err)
    assert "allowance is used up (HTTP 429)" in err
    reset = datetime.fromtimestamp(api.allowance.reset_at(time.time()), UTC)
    assert reset.strftime("%Y-%m-%d %H:%M") in err and "UTC" in err
    assert "Server: Too many requests. Allowance: 100000 per 10 minute." in err
    assert out.read_text() == "kept\n"  # never a partial result, and what was there stays
    assert len(api.requests()) == 1  # 429 is not retried
    code, _, err = run(capsys, "associations", "ukb-x-1", "--snps", "rs1", "-o", out)
    assert_clean_failure(code, err)
    assert "nothing was sent" in err and len(api.requests()) == 1  # no request before the reset time


def test_an_answer_that_leaves_no_allowance_stops_the_next_request(api, tmp_path, capsys):
    api.use_up(leave=1)  # preclumped top hits of one id cost 1 unit
    assert run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "a.csv")[0] == 0  # X-Allowance-Remaining: 0
    code, _, err = run(capsys, "associations", "ukb-x-1", "--snps", "rs1", "-o", tmp_path / "b.csv")
    assert_clean_failure(code, err)
    assert "used up until" in err and len(api.requests()) == 1
    # the cached answer still serves
    assert run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "c.csv")[0] == 0


def test_a_server_error_is_retried_then_succeeds(api, tmp_path, capsys):
    """The app's 500 carries Flask-Limiter's Retry-After (seconds to the allowance window's reset, up to 600):
    it is no hint to wait; the client retried after min(600, 60) s = 60 s per try before."""
    api.fail("tophits", 500)
    start = time.monotonic()
    code, _, _ = run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "o.csv")
    assert code == 0 and [r.status for r in api.requests()] == [500, 200]
    assert int(api.requests()[0].headers.get("retry-after", 0)) == 0  # (a request header: none sent)
    assert time.monotonic() - start < 5


def test_persistent_server_errors_give_up_after_bounded_retries(api, tmp_path, capsys):
    api.fail("tophits", 503, 500, 502, 500, 500)
    code, _, err = run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "o.csv")
    assert_clean_failure(code, err)
    assert f"no usable answer after {og.client.RETRIES + 1} attempts" in err and "HTTP 500" in err
    assert len(api.requests()) == og.client.RETRIES + 1 and not (tmp_path / "o.csv").exists()


def test_a_slow_answer_within_the_timeout_is_taken(api, tmp_path, capsys):
    api.fail("tophits", ("delay", 0.5))
    code, _, _ = run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "o.csv", "--timeout", "5")
    assert code == 0 and len(api.requests("tophits")) == 1


def test_an_answer_later_than_the_timeout_gives_up_at_the_timeout(api, tmp_path, capsys):
    """The time-out bounds the request, its retries included: no second try after the time is used up."""
    api.fail("tophits", ("delay", 3), ("delay", 3))
    start = time.monotonic()
    code, _, err = run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "o.csv", "--timeout", "0.8")
    assert time.monotonic() - start < 2.5
    assert_clean_failure(code, err)
    assert "no usable answer after 1 attempt in " in err and "(no answer in time; time-out 0.8 s" in err
    assert len(api.requests("tophits")) == 1


def test_a_malformed_answer_is_an_error_and_is_not_cached(api, env, tmp_path, capsys):
    api.fail("tophits", ("answer", 200, {"message": "maintenance"}))
    code, _, err = run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "o.csv")
    assert_clean_failure(code, err)
    assert "maintenance" in err and "not the rows" in err
    assert not list((env / "opengwas" / "responses").glob("*.json"))
    assert run(capsys, "instruments", "ukb-x-1", "-o", tmp_path / "o.csv")[0] == 0 and len(api.requests()) == 2


def test_unknown_id_is_named(api, tmp_path, capsys):
    code, _, err = run(capsys, "instruments", "ieu-z-404", "-o", tmp_path / "o.csv")
    assert_clean_failure(code, err)
    assert "no dataset 'ieu-z-404'" in err
    assert [r.endpoint for r in api.requests()] == ["tophits", "gwasinfo"]
    code, _, err = run(capsys, "associations", "ieu-z-404", "--snps", "rs1", "-o", tmp_path / "o.csv")
    assert_clean_failure(code, err)
    assert "no dataset 'ieu-z-404'" in err


def test_no_hits_below_the_threshold_is_named(api, tmp_path, capsys):
    code, _, err = run(capsys, "instruments", "ukb-x-1", "--p", "1e-20", "-o", tmp_path / "o.csv")
    assert_clean_failure(code, err)
    assert "'ukb-x-1' (Test trait) answered empty: no variant with p < 1e-20" in err


def test_no_variant_found_is_named(api, tmp_path, capsys):
    code, _, err = run(capsys, "associations", "ukb-x-1", "--snps", "rs404,rs405", "-o", tmp_path / "o.csv")
    assert_clean_failure(code, err)
    assert "'ukb-x-1' (Test trait) answered empty: none of the 2 variants nor an LD proxy of them is in it" in err
    assert not (tmp_path / "o.csv").exists()


def test_status_shows_the_server_and_the_token_validity(api, capsys):
    code, printed, _ = run(capsys, "status")
    assert code == 0 and "API__VERSION: fake" in printed and "valid until 2099-01-01" in printed
    assert [r.endpoint for r in api.requests()] == ["status", "user"]


def test_status_answers_without_a_token(api, capsys, monkeypatch):
    """The help promises the server's state with or without a token ("with a token, how long it stays valid");
    it refused with "no OpenGWAS token" (a newcomer's trial)."""
    monkeypatch.delenv(og.TOKEN_ENV)
    code, printed, err = run(capsys, "status")
    assert code == 0, err
    assert "API__VERSION: fake" in printed and f"token: none (set {og.TOKEN_ENV})" in printed
    assert [r.endpoint for r in api.requests()] == ["status"]


def test_the_token_is_written_nowhere(api, env, tmp_path, capsys, monkeypatch):
    outputs = [tmp_path / "a.csv", tmp_path / "b.csv"]
    printed = []
    for argv in (("instruments", "ukb-x-1", "-o", outputs[0]),
                 ("associations", "ukb-x-1", "--snps", "rs1,rs2", "-o", outputs[1]), ("status",)):
        printed += run(capsys, *argv)[1:]
    api.fail("tophits", 500)
    printed += run(capsys, "instruments", "ukb-x-1", "--p", "1e-9", "-o", outputs[0])[1:]
    monkeypatch.setenv(og.TOKEN_ENV, TOKEN + "x")
    printed += run(capsys, "instruments", "ukb-x-1", "--p", "1e-10", "-o", outputs[0])[1:]
    files = [p for p in env.rglob("*") if p.is_file() and not p.is_symlink() and "synthetic" not in p.parts]
    assert len(files) >= 3
    for path in files + outputs:
        assert TOKEN.encode() not in path.read_bytes(), path
    assert not any(TOKEN in text for text in printed)
    assert "tok" not in repr(og.Client(token=TOKEN))


# -- real values and proxies ---------------------------------------------------------------------------------------
def test_real_top_hits_of_the_study_parse_exactly(env, tmp_path, capsys, monkeypatch, validation_dir):
    """MRInstruments' top hits of ukb-a-13 (insomnia; ../shared/realdata, CC0) served in the API's shape."""
    path = validation_dir.parent / "realdata" / "ukb_a_sleep_instruments_mrbase2017.csv"
    real = pd.read_csv(path, comment="#")
    real = real[real["opengwas_id"] == "ukb-a-13"]
    rows = [{"id": "ukb-a-13", "trait": r.trait, "chr": None, "position": None, "rsid": r.SNP, "ea": r.effect_allele,
             "nea": r.other_allele, "eaf": r.eaf, "beta": r.beta, "se": r.se, "p": r.pval, "n": r.samplesize}
            for r in real.itertuples()]
    info = {"id": "ukb-a-13", "trait": "Sleeplessness / insomnia", "sample_size": 336965}
    with FakeOpenGWAS({"ukb-a-13": RowsDataset("ukb-a-13", rows, info)}, token=TOKEN) as server:
        monkeypatch.setenv(og.URL_ENV, server.url)
        out = tmp_path / "insomnia.csv"
        assert run(capsys, "instruments", "ukb-a-13", "-o", out)[0] == 0
    got = pd.read_csv(out)
    assert len(got) == 30 == len(real)
    real = real.sort_values("pval", kind="stable")  # the server sorts top hits by (id, p)
    assert got["SNP"].tolist() == real["SNP"].tolist()
    for mine, theirs in (("beta.exposure", "beta"), ("se.exposure", "se"), ("eaf.exposure", "eaf"),
                         ("pval.exposure", "pval"), ("samplesize.exposure", "samplesize")):
        np.testing.assert_array_equal(got[mine].to_numpy(), real[theirs].to_numpy(), err_msg=mine)
    assert got["effect_allele.exposure"].tolist() == real["effect_allele"].tolist()
    assert set(got["samplesize.exposure"]) == {336965.0}


def test_proxy_rows_are_aligned_to_the_target_and_harmonise_like_the_file_path(env, tmp_path, capsys, monkeypatch):
    """Instruments the outcome lacks come back through LD proxies with the target's alleles; ``mrkit harmonise``
    takes both files as they are and gives the file path's harmonised table (find_proxies + harmonise)."""
    from mrkit.gwas.harmonise import harmonise
    from mrkit.gwas.proxies import find_proxies
    from mrkit.paper.study import Study

    file_path = Study(panel_size="small")
    inst = file_path.instruments("insomnia", 5e-8).table
    hidden = set(inst["snp"][:12])
    datasets = panel_datasets("small", hide={"lbp": hidden})
    with FakeOpenGWAS(datasets, token=TOKEN) as server:
        monkeypatch.setenv(og.URL_ENV, server.url)
        exp, out, harm = tmp_path / "exp.csv", tmp_path / "out.csv", tmp_path / "h.csv"
        assert run(capsys, "instruments", "ukb-a-13", "-o", exp)[0] == 0
        code, printed, _ = run(capsys, "associations", "finn-b-M13_LOWBACKPAIN", "--snps", exp, "--palindromes", "0",
                               "-o", out)
    assert code == 0
    table = pd.read_csv(out)
    proxies = table[table["proxy.outcome"]]
    assert len(proxies) >= 1 and f"{len(proxies)} through an LD proxy" in printed
    assert (proxies["SNP"] == proxies["target_snp.outcome"]).all()
    assert set(proxies["SNP"]) <= hidden and not (proxies["SNP"] == proxies["proxy_snp.outcome"]).any()
    for r in proxies.to_dict("records"):  # the alleles are the target's (in phase with the proxy's)
        target = {r["target_a1.outcome"], r["target_a2.outcome"]}
        assert {r["effect_allele.outcome"], r["other_allele.outcome"]} == target

    assert main(["harmonise", str(exp), str(out), "-o", str(harm)]) == 0
    printed = capsys.readouterr().out
    assert re.search(rf"of which through an LD proxy\s+{len(proxies)}\s+detail", printed), printed
    got = pd.read_csv(harm)
    assert int(got["proxy"].sum()) == len(proxies)

    outcome = file_path.gwas("lbp")
    outcome = outcome[~outcome["snp"].isin(hidden)]
    found = find_proxies(sorted(hidden), outcome["snp"], file_path.files["ref"], r2=0.8)
    want = harmonise(inst, outcome, proxies=found)
    assert want.attrs["log"]["found_by_proxy"] == len(proxies)
    columns = ["SNP", "effect_allele.exposure", "effect_allele.outcome", "other_allele.outcome", "beta.exposure",
               "beta.outcome", "se.outcome", "eaf.outcome", "mr_keep"]
    pd.testing.assert_frame_equal(got[columns], want[columns].astype(got[columns].dtypes.to_dict()),
                                  check_exact=True)
    assert got["proxy_snp"].fillna("").tolist() == want["proxy_snp"].fillna("").tolist()


def test_panel_dataset_serves_the_file_path_instruments(env):
    """The fake server's own clumping is mrkit's: its clumped top hits are the file path's instruments."""
    from mrkit.paper.study import Study

    datasets = panel_datasets("small")
    ds: PanelDataset = datasets["finn-b-M13_LOWBACKPAIN"]
    rows = ds.tophits(5e-6, 1, 0.001, 10000, "EUR")
    want = Study(panel_size="small").instruments("lbp", 5e-6).table
    assert [r["rsid"] for r in rows] == want["snp"].tolist()
    assert [r["beta"] for r in rows] == want["beta"].tolist()
    assert ds.info["nsnp"] == 20000


def test_parallel_clients_ask_once(api):
    """The book's notebooks run in parallel: clients wanting the same answer wait for the one that asks."""
    import threading

    api.fail("tophits", ("delay", 0.5))
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(og.Client().tophits("ukb-x-1"))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 3 and all(a == answers[0] for a in answers)
    assert len(api.requests("tophits")) == 1


def test_a_refresh_mark_makes_cached_answers_stale_once(api, env):
    """``mrkit book --refresh``: answers cached before the mark are asked again, once; the data fingerprint changes."""
    from types import SimpleNamespace

    from mrkit.paper.opengwas_data import fingerprint

    sources = {"insomnia": SimpleNamespace(opengwas_id="ukb-x-1")}
    og.Client().tophits("ukb-x-1")
    first = fingerprint(sources)
    assert fingerprint(sources) == first and len(api.requests()) == 2  # tophits, gwasinfo
    og.mark_refresh()
    og.Client().tophits("ukb-x-1")
    og.Client().tophits("ukb-x-1")
    second = fingerprint(sources)
    assert second != first and fingerprint(sources) == second
    assert [r.endpoint for r in api.requests()] == ["tophits", "gwasinfo", "tophits", "gwasinfo"]
