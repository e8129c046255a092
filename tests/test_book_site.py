"""The real book, built on its small configuration, checked as HTML and in a headless browser.

One build (session fixture ``small_build`` of conftest.py) of ``mrkit book --profile small`` into a temporary
folder; the tests read the executed notebooks and the HTML, and render two pages in Debian's Chromium served
from 127.0.0.1 (mrkit.book.browser).
"""
from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

from mrkit.book import browser
from mrkit.book.pipeline import DEFAULT_PLAN, Layout, build_book
from mrkit.book.runplan import load_plan
from mrkit.paper.direction import METHODS as ALL_METHODS
from mrkit.paper.plots import method_label

pytestmark = pytest.mark.book


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False


def parse(path: Path) -> _Tags:
    p = _Tags()
    p.feed(path.read_text())
    return p


def toc_pages(layout: Layout) -> list[str]:
    toc = yaml.safe_load((layout.build / "source" / "_toc.yml").read_text())
    return re.findall(r"file': '([^']+)'", str(toc)) + [toc["root"]]


def test_every_toc_page_exists_with_its_title(small_build):
    layout, _ = small_build
    plan = load_plan(DEFAULT_PLAN, "small")
    titles = {run.page: run.title for run in plan.runs}
    pages = toc_pages(layout)
    assert len(pages) >= len(plan.runs) + 5
    for page in pages:
        html = layout.build / "html" / f"{page}.html"
        assert html.exists(), f"{page} listed in the toc but not built"
        if page in titles:
            assert titles[page] in parse(html).title, f"{page}: title {titles[page]!r} missing"


def test_mr_pages_have_embedded_figures_and_a_results_table(small_build):
    layout, _ = small_build
    for page in ("mr-insomnia-to-lbp", "mr-lbp-to-insomnia"):
        html = layout.build / "html" / "book" / "generated" / f"{page}.html"
        tags = parse(html).tags
        images = [a.get("src", "") for t, a in tags if t == "img"]
        embedded = [s for s in images if s.startswith("data:image/png;base64,") or s.startswith("../../_images/")]
        assert len(embedded) >= 4, f"{page}: expected scatter, forest, funnel and leave-one-out figures"
        text = html.read_text()
        assert "<table" in text
        for method in ALL_METHODS:  # every method is reported, estimable or with its reason
            assert method_label(method) in text, f"{page}: {method_label(method)} missing"
        for section in ("MR-PRESSO", "Cochran", "Steiger", "Harmonisation of"):
            assert section in text, f"{page}: {section} missing"


def test_no_executed_notebook_has_an_error_or_traceback(small_build):
    layout, _ = small_build
    notebooks = sorted(layout.executed.glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out.get("output_type") != "error", f"{path.name}: error output"
                assert "Traceback" not in str(out.get("text", "")), f"{path.name}: traceback in output"


def test_mathjax_is_loaded_once_and_locally(small_build):
    layout, _ = small_build
    scripts = [a.get("src", "") for t, a in parse(layout.build / "html" / "book" / "intro.html").tags if t == "script"]
    mathjax = [s for s in scripts if "mathjax" in s]
    assert len(mathjax) == 1 and mathjax[0].startswith("../_static/mathjax/tex-mml-chtml.js"), mathjax
    assert (layout.build / "html" / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_no_page_loads_anything_from_another_host(small_build):
    layout, _ = small_build
    for html in (layout.build / "html").rglob("*.html"):
        for tag, attrs in parse(html).tags:
            url = attrs.get("src") if tag in ("script", "img", "iframe") else (
                attrs.get("href") if tag == "link" and attrs.get("rel") in ("stylesheet", "preload") else None)
            if url:
                assert not re.match(r"^(https?:)?//", url), f"{html.name} loads {url}"


def test_rebuild_without_changes_executes_nothing(small_build):
    """A second build with nothing changed executes no notebook: every run is skipped by its key (how long the
    rebuild takes is for benchmarks, not tests)."""
    layout, first = small_build
    report = build_book(DEFAULT_PLAN, profile="small", layout=layout, progress=False,
                        pdf=browser.find_chromium() is not None)  # as the fixture built it
    assert report.executed == []
    assert sorted(report.skipped) == sorted(run for run, _ in first.executed) and report.skipped


# --- headless Chromium ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(small_build):
    layout, _ = small_build
    with browser.serve(layout.build / "html") as url:
        yield url


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    if browser.find_chromium() is None:
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    return browser.run_chromium(*args, timeout=120)


@pytest.mark.browser
def test_landing_page_typesets_math(served, tmp_path):
    dom = chromium(tmp_path, "--dump-dom", f"{served}/book/intro.html").stdout
    assert "Mendelian randomization" in dom
    assert "<mjx-container" in dom, "MathJax did not typeset the landing page"


@pytest.mark.browser
def test_mr_page_renders_math_and_a_visible_figure(small_build, served, tmp_path):
    import numpy as np
    from PIL import Image

    layout, _ = small_build
    page = layout.build / "html" / "book" / "generated" / "mr-insomnia-to-lbp.html"
    url = f"{served}/book/generated/mr-insomnia-to-lbp.html"
    assert "<mjx-container" in chromium(tmp_path, "--dump-dom", url).stdout, "math not typeset on the MR page"
    # the same page with its images hidden: the pixels that differ are the figures as the browser drew them
    hidden = page.with_name("mr-insomnia-to-lbp.noimg.html")
    hidden.write_text(page.read_text().replace("</head>", "<style>img{visibility:hidden}</style></head>"))
    shots = []
    try:
        for name in (page.name, hidden.name):
            shot = tmp_path / f"{name}.png"
            chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,6000", "--hide-scrollbars",
                     f"{served}/book/generated/{name}")
            assert shot.exists(), f"no screenshot of {name}"
            shots.append(np.asarray(Image.open(shot).convert("L")).astype(int))
    finally:  # the copy must not stay in the shared build (other tests read every page of it)
        hidden.unlink(missing_ok=True)
    with_figures, without = shots
    assert with_figures.std() > 10, "blank screenshot"
    drawn = np.abs(with_figures - without) > 40
    assert drawn.mean() > 0.005, f"figures cover only {drawn.mean():.2%} of the page"


def test_phenome_page_has_its_manhattan_figure_and_fdr_against_the_planted_truth(small_build):
    layout, _ = small_build
    html = layout.build / "html" / "book" / "generated" / "phenome-scan.html"
    text = html.read_text()
    images = [a.get("src", "") for t, a in parse(html).tags if t == "img"]
    assert any(s.startswith("data:image/png;base64,") or s.startswith("../../_images/") for s in images)
    assert "false discovery proportion" in text and "planted" in text and "--scheduler" in text
    fdr = (layout.results / "phenome_scan_fdr.csv").read_text().splitlines()
    assert fdr[0].startswith("tests,discoveries,false_discoveries,fdp")


def test_reproducibility_page_lists_the_panel_files_with_size_and_checksum(small_build):
    """Each file of the synthetic panel's manifest appears with its size in bytes and its SHA-256."""
    import json

    from mrkit.simulate import ensure_panel

    layout, _ = small_build
    text = (layout.build / "html" / "book" / "generated" / "reproducibility.html").read_text().replace("<wbr>", "")
    files = json.loads((ensure_panel(size="small") / "manifest.json").read_text())["files"]
    assert files
    for name, info in files.items():
        assert info["sha256"] in text, name
        assert f">{info['bytes']:,}<" in text or f">{info['bytes']}<" in text, f"{name}: size {info['bytes']} missing"


def _anchors(path: Path) -> set[str]:
    return {a["id"] for _, a in parse(path).tags if "id" in a}


def test_the_robust_section_lists_every_univariable_method_linked_to_its_entry(small_build):
    """Issue 23: each MR page's robust section has every univariable method (HetPen where it runs, else its reason
    under the table), each name linking to an entry of the methods chapter that exists."""
    from mrkit.paper.labels import method_label as label
    from mrkit.paper.robust import method_anchor, robust_methods

    layout, _ = small_build
    methods_page = layout.build / "html" / "book" / "methods.html"
    anchors = _anchors(methods_page)
    for page in ("mr-insomnia-to-lbp", "mr-lbp-to-insomnia"):
        html = layout.build / "html" / "book" / "generated" / f"{page}.html"
        text = html.read_text()
        assert "Robust methods" in text
        links = {a["href"] for t, a in parse(html).tags
                 if t == "a" and a.get("href", "").startswith("../methods.html#")}
        for method in robust_methods():
            href = f"../methods.html#{method_anchor(method)}"
            if href not in links:  # did not run: a note under the table says why (HetPen above 20 instruments)
                assert f"{label(method)}: not estimable" in text, f"{page}: {method} neither in the table nor noted"
            assert method_anchor(method) in anchors, f"{method}: no entry in the methods chapter"


def test_the_methods_chapter_has_an_entry_for_every_method_id(small_build):
    from mrkit.methods.registry import method_infos
    from mrkit.paper.robust import method_anchor

    layout, _ = small_build
    page = layout.build / "html" / "book" / "methods.html"
    anchors, text = _anchors(page), page.read_text()
    for method, info in method_infos().items():
        assert method_anchor(method) in anchors, method
        assert info.r_function.split(" ")[0] in text


def test_the_simulation_summary_has_every_method(small_build):
    """Every univariable method is in the simulation chapter's summary (its CSV beside the page) and in the 'which
    survive' table, on every scenario; the methods it cannot run are named with the reason."""
    import pandas as pd

    from mrkit.paper import simulation_study
    from mrkit.paper.labels import method_label as label

    layout, _ = small_build
    summary = pd.read_csv(layout.results / "simulation_summary.csv")
    expected = set(simulation_study.all_methods())
    assert set(summary["method"]) == expected
    assert (summary.groupby("scenario")["method"].nunique() == len(expected)).all()
    assert set(summary["scenario"]) == set(simulation_study.SCENARIOS)
    html = (layout.build / "html" / "book" / "generated" / "simulation-study.html").read_text()
    for method in simulation_study.NOT_RUN:  # named with the reason
        assert f"<code class=\"docutils literal notranslate\"><span class=\"pre\">{method}</span></code>" in html
    assert "HetPen enumerates all 2^J - 1 subsets" in html
    assert "sim-survival" in html
    import html as html_module

    text = html_module.unescape(html)
    for method in expected:  # every method named in the 'which survive' table
        assert label(method, short=True) in text, method
