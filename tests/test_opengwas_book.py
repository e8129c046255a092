"""The book on ``data = "opengwas"`` against a fake OpenGWAS server on 127.0.0.1 (tests/fake_opengwas.py).

One build of the book's data pages (the small profile's data-description, instruments, MR, results,
limitations and reproducibility pages, on the small synthetic panel served through the API's JSON) with
``build_book(..., data="opengwas")``, as ``mrkit book --data opengwas`` runs it. The pages that use no GWAS data
(teaching chapters, validation) are left out to keep the test short; they do not depend on the data choice,
so the site is rendered without turning Sphinx warnings about their absent pages into errors, and the glue
keys of the pages built are checked here instead.

The fake server holds the client to the real server's contract (tests/fake_opengwas.py: at most 64 dataset x
variant pairs per ``associations`` request, 0 < p <= 0.01 for ``tophits``, costs and allowance headers). The
insomnia direction runs at p < 0.01 (the server's loosest threshold) instead of 5e-8, which gives it 175
instruments on the small panel: more than 100 instruments go through ``associations``, in requests of at most
64 (the real server refuses one request of 175 with HTTP 400, as ``mrkit book --data opengwas`` sent it).

Checked: every page says it was computed on OpenGWAS API data with the query date and datasets; the
data-description page says the API gives top hits only and shows them; the Reproducibility page lists each
answer with its checksum; the saved estimates equal the file path's (``Study(data="synthetic")``) at the same
thresholds; the requests kept within the server's limits and none was refused; the token is in no file of the
cache or the build; a second build asks nothing, and pages re-executed with the server down and no token are
answered from the cache.
"""
from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
from fake_opengwas import FakeOpenGWAS
from fake_opengwas_data import cache_with_panels, panel_datasets

import mrkit
import mrkit.gwas.opengwas as og
from mrkit.book.pipeline import DEFAULT_PLAN, Layout, build_book
from mrkit.paper.direction import METHODS, DirectionResult
from mrkit.paper.study import Study
from mrkit.paths import PROJECT_ROOT
from mrkit.rng import DEFAULT_SEED

pytestmark = pytest.mark.book

TOKEN = "book-token-0e77c1d4"
PAGES = ["data-description", "instruments-insomnia", "instruments-lbp", "mr-insomnia-to-lbp", "mr-lbp-to-insomnia",
         "results", "limitations", "reproducibility"]
IDS = ["ebi-a-GCST006685", "ebi-a-GCST006686", "finn-b-M13_LOWBACKPAIN", "ukb-a-13", "ukb-a-15", "ukb-a-9"]
#: (exposure, outcome, p threshold) of the two MR pages; insomnia at the server's loosest threshold (> 100 instruments)
DIRECTIONS = (("insomnia", "lbp", 1e-2), ("lbp", "insomnia", 5e-6))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cache = cache_with_panels(tmp_path_factory.mktemp("cache"))
    plan_dir = tmp_path_factory.mktemp("plan")
    plan = plan_dir / "runplan.toml"
    small = tomllib.loads(DEFAULT_PLAN.read_text())["profiles"]["small"]
    quick = str(small["overrides"]["limitations"]["quick"]).lower()
    plan.write_text(DEFAULT_PLAN.read_text() + "\n[profiles.opengwas-test]\n"
                    f"runs = {json.dumps(PAGES)}\nparameters = {{ panel_size = \"small\" }}\n"
                    f"overrides = {{ \"limitations\" = {{ quick = {quick} }}, "
                    "\"instruments-insomnia\" = { p_threshold = 1e-2 }, "
                    "\"mr-insomnia-to-lbp\" = { p_threshold = 1e-2 } }\n")
    mp = pytest.MonkeyPatch()
    mp.setenv("MRKIT_CACHE", str(cache))
    mp.setenv(og.TOKEN_ENV, TOKEN)
    build = tmp_path_factory.mktemp("book")
    layout = Layout.default(PROJECT_ROOT, build=build)
    with FakeOpenGWAS(panel_datasets("small"), token=TOKEN) as api:
        mp.setenv(og.URL_ENV, api.url)
        report = build_book(plan, profile="opengwas-test", layout=layout, progress=False, strict=False,
                            data="opengwas")
        yield {"layout": layout, "report": report, "api": api, "cache": cache, "plan": plan, "mp": mp}
    mp.undo()


def html(layout: Layout, page: str) -> str:
    text = (layout.build / "html" / f"{page}.html").read_text()
    text = text.replace("<wbr>", "")  # break opportunities inside long tokens (mrkit.paper.tables.breakable)
    text = re.sub(r"<(script|style).*?</\1>", " ", text, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_every_page_says_it_is_on_opengwas_data_with_date_and_datasets(built):
    layout = built["layout"]
    assert sorted(r for r, _ in built["report"].executed) == sorted(PAGES)
    dates = {a.retrieved[:10] for a in og.ResponseCache(built["cache"] / "opengwas").entries()}
    for page in PAGES:
        text = html(layout, f"book/generated/{page}")
        assert "OpenGWAS API data" in text and "computed on data from the OpenGWAS API" in text, page
        assert any(f"queried on {d} (UTC)" in text for d in dates), page
        assert all(i in text for i in IDS), page
        assert "Synthetic data" not in text, page
    assert "This build was computed on data from the OpenGWAS API" in html(layout, "book/intro")


def test_data_description_says_the_api_gives_top_hits_only(built):
    layout = built["layout"]
    text = html(layout, "book/generated/data-description")
    assert "What the OpenGWAS API gives" in text and "top hits" in text
    assert "cannot be shown here" in text and "Association signals and calibration" not in text
    assert "Top hits per trait" in text
    page = (layout.build / "html" / "book" / "generated" / "data-description.html").read_text()
    assert page.count("<img") >= 1


def test_every_glue_key_a_page_shows_was_glued(built):
    """What strict Sphinx would catch: each {glue:figure} of a staged page names a key its notebook glued."""
    stage = built["layout"].build / "source" / "book" / "generated"
    for page in PAGES:
        nb = nbformat.read(stage / f"{page}.ipynb", as_version=4)
        glued = {o.get("metadata", {}).get("scrapbook", {}).get("name") for c in nb.cells for o in c.get("outputs", [])}
        shown = {k for c in nb.cells if c.cell_type == "markdown"
                 for k in re.findall(r"\{glue:figure\}\s+(\S+)", c.source)}
        assert shown <= glued, (page, shown - glued)


def test_reproducibility_lists_every_answer_with_its_checksum(built):
    text = html(built["layout"], "book/generated/reproducibility")
    entries = og.ResponseCache(built["cache"] / "opengwas").entries()
    assert len(entries) == len(built["api"].requests())  # one request per answer: nothing asked twice
    for answer in entries:
        assert answer.sha256 in text and answer.key[:12] in text
    assert {"gwasinfo", "tophits", "associations"} == {a.endpoint for a in entries}


def test_estimates_are_the_file_paths(built):
    """The MR pages' saved estimates equal the synthetic file path's, computed as the page computes them."""
    on_files = Study(panel_size="small")
    results = built["layout"].results
    for exposure, outcome, threshold in DIRECTIONS:
        saved = DirectionResult.load(results / f"mr-{exposure}-to-{outcome}.json")
        assert saved.parameters["data"] == "opengwas" and saved.opengwas_queries
        h = on_files.harmonised(exposure, outcome, threshold)
        assert saved.harmonisation_log == h.attrs["log"]
        want = mrkit.mr(h, methods=list(METHODS), convention="twosamplemr", seed=DEFAULT_SEED)
        for row in want.to_dict("records"):
            got = saved.method(row["method"])
            for key in ("estimate", "se", "nsnp"):
                w, g = row[key], got[key]
                assert (math.isnan(g) and math.isnan(w)) or g == w, (exposure, row["method"], key, g, w)


def test_more_than_100_instruments_went_through_associations_within_the_server_s_limits(built):
    api, results = built["api"], built["layout"].results
    lbp = [r for r in api.requests("associations") if r.body["id"] == ["finn-b-M13_LOWBACKPAIN"]]
    sent = [v for r in lbp for v in r.body["variant"]]
    assert len(set(sent)) == len(sent) > 100  # insomnia's instruments, each asked once
    assert [len(r.body["variant"]) for r in lbp] == [64, 64, len(sent) - 128]
    saved = DirectionResult.load(results / "mr-insomnia-to-lbp.json")
    assert saved.estimates["nsnp"].max() > 100  # and they reached the estimates
    assert all(r.status == 200 for r in api.requests())  # the strict fake refused nothing
    assert all(len(r.body["variant"]) * len(r.body["id"]) <= 64 for r in api.requests("associations"))
    assert all(0 < r.body["pval"] <= 0.01 for r in api.requests("tophits"))
    stats = api.stats()
    print(f"\nopengwas book requests: {json.dumps(stats)}")  # for the record (pytest -s)
    assert stats["largest_associations_request"] == 64


def test_the_token_is_in_no_file(built):
    files = [p for root in (built["cache"], built["layout"].build) for p in root.rglob("*")
             if p.is_file() and "synthetic" not in p.relative_to(root).parts]
    assert len(files) > 50
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path


def test_a_second_build_asks_nothing_even_offline(built):
    api, layout, mp = built["api"], built["layout"], built["mp"]
    before = len(api.requests())
    again = build_book(built["plan"], profile="opengwas-test", layout=layout, progress=False, render_site=False,
                       data="opengwas")
    assert again.executed == [] and len(again.skipped) == len(PAGES)
    assert len(api.requests()) == before
    # re-execute two pages with the server down and no token: the cache answers
    api.stop()
    mp.delenv(og.TOKEN_ENV)
    for page in ("data-description", "mr-insomnia-to-lbp"):
        (layout.state / f"{page}.json").unlink()
    third = build_book(built["plan"], profile="opengwas-test", layout=layout, progress=False, render_site=False,
                       data="opengwas")
    assert sorted(r for r, _ in third.executed) == ["data-description", "mr-insomnia-to-lbp"]
    assert len(api.requests()) == before
    assert Path(layout.executed / "mr-insomnia-to-lbp.ipynb").is_file()
