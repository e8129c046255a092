"""``data="opengwas"`` gives the file path's instruments and estimates, direction by direction.

A fake OpenGWAS server (tests/fake_opengwas.py) serves the small synthetic panel under the study's dataset ids,
clumping top hits server-side with mrkit's own clumping against the panel's reference. The Study on the API
(``Study(data="opengwas")``) must then select the same instruments, in the same order and with the same
numbers, as the Study on the files (``Study(data="synthetic", panel_size="small")``), harmonise them to the same
table and give the same estimates, for all ten directions of the study. This runs the Study path directly
(seconds) rather than two book builds; the book test (test_opengwas_book.py) checks that the pages use it.
The comparison is exact: the API moves the files' floats through JSON without loss.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fake_opengwas import FakeOpenGWAS
from fake_opengwas_data import cache_with_panels, panel_datasets

import mrkit
import mrkit.gwas.opengwas as og
from mrkit.errors import MRKitError
from mrkit.gwas.harmonise import OUTPUT_COLUMNS
from mrkit.paper.study import Study

TOKEN = "study-token-5b2f"
SLEEP = ("insomnia", "sleep_duration", "short_sleep", "long_sleep", "daytime_sleepiness")
DIRECTIONS = tuple((e, "lbp", 5e-8) for e in SLEEP) + tuple(("lbp", o, 5e-6) for o in SLEEP)
METHODS = ["ivw", "egger", "weighted_median", "penalised_weighted_median", "ml", "weighted_mode"]
INSTRUMENT_COLUMNS = ["snp", "chrom", "pos", "effect_allele", "other_allele", "eaf", "beta", "se", "p", "n", "F",
                      "r2", "weak"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The fake server on the small panel, a private data cache, and the two Studies."""
    cache = cache_with_panels(tmp_path_factory.mktemp("cache"))
    mp = pytest.MonkeyPatch()
    mp.setenv("MRKIT_CACHE", str(cache))
    mp.setenv(og.TOKEN_ENV, TOKEN)
    with FakeOpenGWAS(panel_datasets("small"), token=TOKEN) as api:
        mp.setenv(og.URL_ENV, api.url)
        yield api, Study(data="opengwas"), Study(panel_size="small"), cache
    mp.undo()


@pytest.mark.parametrize("exposure,outcome,threshold", DIRECTIONS)
def test_same_instruments_harmonised_data_and_estimates(served, exposure, outcome, threshold):
    _, on_api, on_files, _ = served
    a, f = on_api.instruments(exposure, threshold), on_files.instruments(exposure, threshold)
    assert len(a.table) >= 3
    pd.testing.assert_frame_equal(a.table[INSTRUMENT_COLUMNS].reset_index(drop=True),
                                  f.table[INSTRUMENT_COLUMNS].reset_index(drop=True), check_dtype=False,
                                  check_exact=True)
    for key in ("variants in the GWAS", "below the p-value threshold", "independent instruments after clumping"):
        assert a.log[key] == f.log[key], key
    assert a.engine.startswith("OpenGWAS server")

    ha, hf = on_api.harmonised(exposure, outcome, threshold), on_files.harmonised(exposure, outcome, threshold)
    pd.testing.assert_frame_equal(ha[list(OUTPUT_COLUMNS)], hf[list(OUTPUT_COLUMNS)], check_exact=True)
    assert ha.attrs["log"] == hf.attrs["log"]

    ra = mrkit.mr(ha, methods=METHODS, seed=1)
    rf = mrkit.mr(hf, methods=METHODS, seed=1)
    pd.testing.assert_frame_equal(ra, rf, check_exact=True)
    pd.testing.assert_frame_equal(mrkit.heterogeneity(ha), mrkit.heterogeneity(hf), check_exact=True)


def test_the_api_study_records_its_queries_and_a_second_study_asks_nothing(served, monkeypatch):
    api, on_api, _, cache = served
    on_api.harmonised("insomnia", "lbp", 5e-8)
    used = on_api.api.queries
    endpoints = [og.ResponseCache(cache / "opengwas").get(k).endpoint for k in used]
    assert {"gwasinfo", "tophits", "associations"} <= set(endpoints)
    before = len(api.requests())
    assert before == len({r.endpoint + str(r.body) for r in api.requests()})  # nothing asked twice
    # offline (server stopped), without a token: the same harmonised table from the cache
    api.stop()
    try:
        monkeypatch.delenv(og.TOKEN_ENV)
        again = Study(data="opengwas")
        h1 = again.harmonised("insomnia", "lbp", 5e-8)
        pd.testing.assert_frame_equal(h1, on_api.harmonised("insomnia", "lbp", 5e-8), check_exact=True)
        assert again.api.client.network_requests == 0 and len(api.requests()) == before
    finally:
        api.start()  # at the same URL


def test_proxies_stand_in_as_on_the_file_path(served, monkeypatch):
    """Instruments the outcome dataset lacks come back through proxies: same table as find_proxies + harmonise."""
    from mrkit.gwas.harmonise import harmonise
    from mrkit.gwas.proxies import find_proxies
    from mrkit.paper.opengwas_data import OpenGWASData

    _, _, on_files, cache = served
    inst = on_files.instruments("insomnia", 5e-8).table
    hidden = set(inst["snp"][::3])
    with FakeOpenGWAS(panel_datasets("small", hide={"lbp": hidden}), token=TOKEN) as other:
        client = og.Client(other.url, TOKEN, cache=og.ResponseCache(cache / "opengwas-hidden"))
        data = OpenGWASData(on_files.sources, client=client)
        got = harmonise(inst, data.outcome("lbp", inst["snp"]), outcome_name="LBP")
    outcome = on_files.gwas("lbp")
    outcome = outcome[~outcome["snp"].isin(hidden)]
    found = find_proxies(sorted(hidden), outcome["snp"], on_files.files["ref"], r2=0.8)
    want = harmonise(inst, outcome, proxies=found, outcome_name="LBP")
    assert got.attrs["log"] == want.attrs["log"] and got.attrs["log"]["found_by_proxy"] >= 1
    pd.testing.assert_frame_equal(got[list(OUTPUT_COLUMNS) + ["proxy"]], want[list(OUTPUT_COLUMNS) + ["proxy"]],
                                  check_exact=True)
    assert np.array_equal(got["proxy_snp"].fillna("").to_numpy(), want["proxy_snp"].fillna("").to_numpy())


def test_files_and_genome_wide_reads_say_the_api_has_none(served):
    _, on_api, _, _ = served
    with pytest.raises(MRKitError, match="top hits"):
        on_api.gwas("lbp")


def test_book_data_override_spares_pages_without_data():
    from mrkit.book.pipeline import DEFAULT_PLAN
    from mrkit.book.runplan import load_plan, with_data

    plan = with_data(load_plan(DEFAULT_PLAN, "small"), "opengwas")
    data = {r.id: r.parameters.get("data") for r in plan.runs}
    assert data["mr-insomnia-to-lbp"] == data["data-description"] == data["reproducibility"] == "opengwas"
    assert data["validation"] == data["simulation-study"] == "none"
