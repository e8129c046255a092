"""What a reader sees: every MR page fits its text column at 1280 px, the forest and leave-one-out plots put
their summary rows last (read from the data published beside each figure), every table and figure links its
data, and the PDF edition exists with the title, the results and the synthetic-data statement.

The tests run on the small book of conftest.py, or on an existing build folder named by ``MRKIT_TEST_BUILD``
(e.g. ``MRKIT_TEST_BUILD=_build`` after a full ``mrkit book --pdf``: then every MR page of the full book is
measured; run with ``-s`` to see the widths).
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mrkit.book import browser
from mrkit.book.pdf import PDF_NAME
from mrkit.paper.labels import method_label
from mrkit.paper.tables import column_format

pytestmark = pytest.mark.book

WIDTH = 1280
MIN_PDF_PAGES = 40  # the small book prints to ~95 A4 pages, the full book to more

# Measures the main column (article.bd-article, content box) and every element in it after the page's
# scripts (MathJax) ran, with every <details> opened (the convention table, hidden code): its box, and for
# an element that scrolls, its scroll width. Elements inside another offending element, MathJax's hidden
# assistive MathML and the theme's heading anchors (invisible until hovered) are not counted.
PROBE = r"""
const report = result => document.documentElement.setAttribute('data-mrkit-layout', JSON.stringify(result));
const measure = () => { try { probe(); } catch (e) { report({error: String(e)}); } };
const probe = () => {
  const col = document.querySelector('article.bd-article');
  for (const d of col.querySelectorAll('details')) d.open = true;  // what a reader can unfold must fit too
  const cs = getComputedStyle(col), box = col.getBoundingClientRect();
  const left = box.left + parseFloat(cs.paddingLeft), right = box.right - parseFloat(cs.paddingRight);
  const found = []; let widest = 0, count = 0;
  for (const el of col.querySelectorAll('*')) {
    if (el.closest('mjx-assistive-mml, .headerlink')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    count++;
    const st = getComputedStyle(el);
    const block = !st.display.startsWith('inline') && st.display !== 'contents';
    const scrolls = block && st.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1;
    const w = Math.max(r.width, scrolls ? el.scrollWidth : 0);
    widest = Math.max(widest, w);
    if ((w > right - left + 1 || r.right > right + 1 || r.left < left - 1) && !found.some(f => f.el.contains(el)))
      found.push({el, tag: el.tagName.toLowerCase(), cls: String(el.className).slice(0, 50), width: Math.round(w),
                  text: (el.textContent || '').trim().slice(0, 70)});
  }
  const widestOf = sel => Math.max(0, ...[...col.querySelectorAll(sel)].map(e => e.getBoundingClientRect().width));
  report({column: right - left, widest, table: widestOf('table'), image: widestOf('img'), elements: count,
          overflow: found.map(({el, ...f}) => f)});
};
if (document.readyState === 'complete') setTimeout(measure, 300);
else window.addEventListener('load', () => setTimeout(measure, 300));
"""


@pytest.fixture(scope="session")
def build_dir(request) -> Path:
    """The build folder under test: ``MRKIT_TEST_BUILD`` if set, else the small book of conftest.py."""
    if os.environ.get("MRKIT_TEST_BUILD"):
        path = Path(os.environ["MRKIT_TEST_BUILD"]).resolve()
        if not (path / "html" / "index.html").is_file():
            pytest.fail(f"MRKIT_TEST_BUILD={path} has no html/index.html")
        return path
    layout, _ = request.getfixturevalue("small_build")
    return layout.build


def mr_pages(build: Path) -> list[Path]:
    pages = sorted((build / "html" / "book" / "generated").glob("mr-*-to-*.html"))
    assert pages, "the build has no MR page"
    return pages


def layout_of(page: Path, site: Path, attempts: int = 3) -> dict:
    """The probe's findings on ``page``; a busy machine can end Chromium's time budget before the page has
    loaded, so it is tried up to ``attempts`` times."""
    for _ in range(attempts):
        dom = browser.dom_after_scripts(page, site, PROBE, width=WIDTH, height=1600, budget_ms=30000)
        found = re.search(r'<html[^>]* data-mrkit-layout="([^"]*)"', dom)
        if found:
            result = json.loads(html.unescape(found.group(1)))
            assert "error" not in result, f"{page.name}: the layout probe failed: {result.get('error')}"
            return result
    raise AssertionError(f"{page.name}: the layout probe did not run in {attempts} attempts")


def overflow(pages: list[Path], site: Path) -> list[str]:
    """Measure ``pages`` at 1280 px (printing each page's widths); return what is wider than its column."""
    if browser.find_chromium() is None:
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    problems = []
    for page in pages:
        m = layout_of(page, site)
        print(f"{page.stem}: column {m['column']:.0f} px, widest element {m['widest']:.0f} px, table "
              f"{m['table']:.0f} px, image {m['image']:.0f} px ({m['elements']} elements), "
              f"{len(m['overflow'])} overflowing")
        assert m["elements"] > 20, f"{page.name}: only {m['elements']} elements measured"
        problems += [f"{page.name}: <{o['tag']} class={o['cls']!r}> {o['width']} px > {m['column']:.0f} px: "
                     f"{o['text']!r}" for o in m["overflow"]]
    return problems


@pytest.mark.browser
def test_every_mr_page_fits_its_column_at_1280px(build_dir):
    problems = overflow(mr_pages(build_dir), build_dir / "html")
    assert not problems, "wider than the text column at 1280 px:\n  " + "\n  ".join(problems)


@pytest.mark.browser
def test_every_other_page_fits_its_column_at_1280px(build_dir):
    site = build_dir / "html"
    mr = set(mr_pages(build_dir))
    pages = [p for p in sorted((site / "book").rglob("*.html")) if p not in mr and "downloads" not in p.parts]
    problems = overflow(pages, site)
    assert not problems, "wider than the text column at 1280 px:\n  " + "\n  ".join(problems)


def data_links(page: Path) -> list[str]:
    return re.findall(r'<span class="mrkit-data">Data: <a href="([^"]+)"', page.read_text())


def test_every_figure_and_table_of_an_mr_page_links_its_data(build_dir):
    for page in mr_pages(build_dir):
        text = page.read_text()
        links = data_links(page)
        n_tables = text.count('<div class="mrkit-table">')
        assert n_tables >= 4  # harmonisation, estimates (+ its conventions), diagnostics, MR-PRESSO
        # one link per table, and the scatter, forest, funnel and leave-one-out figures
        assert len(links) >= n_tables + 4, f"{page.name}: {len(links)} data links for {n_tables} tables"
        for href in links:
            assert (page.parent / href).is_file(), f"{page.name} links {href}, which is not in the site"
        assert any(h.endswith("/harmonised.csv") for h in links), f"{page.name}: no harmonised data"


def test_forest_and_leave_one_out_data_put_the_summaries_last(build_dir):
    for page in mr_pages(build_dir):
        folder = page.parent / "downloads" / page.stem
        forest = pd.read_csv(folder / "forest-single-snp.csv")
        estimates = pd.read_csv(folder / "causal-estimates.csv").set_index("method")["estimate"]
        summaries = [method_label(m) for m in ("ivw", "egger", "weighted_median") if pd.notna(estimates[m])]
        n = len(summaries)
        assert n >= 1 and list(forest["kind"]) == ["variant"] * (len(forest) - n) + ["summary"] * n, page.name
        assert list(forest["label"].tail(n)) == summaries, f"{page.name}: {list(forest['label'].tail(n))}"
        assert not forest["label"].str.startswith("All").any()
        assert forest[forest["kind"] == "variant"]["estimate"].is_monotonic_decreasing
        loo = pd.read_csv(folder / "leave-one-out.csv")
        assert list(loo["kind"]) == ["variant"] * (len(loo) - 1) + ["summary"]
        assert loo["label"].iloc[-1] == method_label("ivw")
        harmonised = pd.read_csv(folder / "harmonised.csv")
        assert len(forest) - n == int(harmonised["mr_keep"].sum())  # one row per instrument


# --- the PDF edition --------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pdf_text(build_dir) -> str:
    pdf = build_dir / "pdf" / PDF_NAME
    if browser.find_chromium() is None:
        pytest.skip("Debian chromium is not installed: no PDF (.ci/run installs it)")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed (.ci/run installs it)")
    assert pdf.is_file(), f"no {pdf}"
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.browser
def test_pdf_has_pages_title_banner_and_numbered_sections(build_dir, pdf_text):
    info = subprocess.run(["pdfinfo", str(build_dir / "pdf" / PDF_NAME)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    print(f"PDF: {pages} pages, {(build_dir / 'pdf' / PDF_NAME).stat().st_size / 1e6:.1f} MB")
    assert pages > MIN_PDF_PAGES
    assert "A4" in info
    first_page = pdf_text.split("\f")[0]
    flat = " ".join(first_page.split())
    assert "Sleep disturbances and low back pain: a reproducible bidirectional Mendelian randomization study" in flat
    assert "synthetic default panel" in flat, "the synthetic-data banner is not on page 1"
    assert re.search(r"^\s*4\.1\.\s+Insomnia → Low back pain", pdf_text, re.M), "no numbered MR section"
    assert re.search(r"^\s*\d+\.\s+References", pdf_text, re.M)
    assert "Luo, J., Yao, W." in pdf_text or "Luo" in pdf_text.split("References")[-1]


@pytest.mark.browser
def test_pdf_holds_the_insomnia_to_lbp_row_of_the_results_table(build_dir, pdf_text):
    t = pd.read_csv(build_dir / "html" / "book" / "generated" / "downloads" / "results" / "all-directions.csv")
    row = t[(t["exposure"] == "insomnia") & (t["outcome"] == "lbp")].iloc[0]
    # the numbers as the results table writes them (results.py, report.results_display: an odds ratio for a binary
    # outcome, β for a continuous one, all three columns to one number of decimals, precision 4)
    binary = t["binary_outcome"].astype(bool)
    shown = {c: np.where(binary, t[f"exp_{c}"], t[c]) for c in ("estimate", "ci_lower", "ci_upper")}
    fmt, _ = column_format(pd.Series(np.concatenate(list(shown.values()))), "effect", precision=4)
    i = int(row.name)
    cells = [re.escape(fmt(shown[c][i])) for c in shown]
    # a row of the table: the exposure first on its line ("Low back pain" may wrap onto the lines around)
    pattern = rf"^Insomnia\s+(?:Low back(?: pain)?\s+)?{int(row['nsnp'])}\s+OR\s+" + r"\s+".join(cells) + r"\s"
    assert re.search(pattern, pdf_text, re.M), f"no results row matching {pattern!r} in the PDF"


def test_landing_page_links_the_pdf(build_dir):
    if not (build_dir / "pdf" / PDF_NAME).is_file():
        pytest.skip("this build has no PDF")
    landing = (build_dir / "html" / "book" / "intro.html").read_text()
    assert f'href="../{PDF_NAME}"' in landing
    assert (build_dir / "html" / PDF_NAME).read_bytes() == (build_dir / "pdf" / PDF_NAME).read_bytes()


# --- the PDF machinery on its own ------------------------------------------------------------------------

def test_numbered_toc_numbers_every_part():
    from mrkit.book.pdf import numbered_toc

    toc = {"format": "jb-book", "root": "intro", "parts": [{"caption": "A", "chapters": [{"file": "a"}]},
                                                          {"caption": "B", "chapters": [{"file": "b"}]}]}
    assert [p.get("numbered") for p in numbered_toc(toc)["parts"]] == [True, True]
    assert "numbered" not in toc["parts"][0]  # the site's own toc is left as it is
    assert numbered_toc({"root": "intro", "chapters": [{"file": "a"}]})["numbered"] is True


def test_cover_puts_title_author_and_data_statement_before_the_contents():
    from mrkit.book.pdf import cover
    from mrkit.book.site import SiteBuildError

    page = ('<div id="jb-print-docs-body" class="onlyprint">\n    <h1>Short</h1><div id="print-main-content">'
            'Contents</div></div><article><h1>Intro</h1><div class="mrkit-data-statement admonition warning">'
            '<p class="admonition-title">Warning</p><p>synthetic default panel</p></div>'
            '<details class="mrkit-details"><summary>s</summary>x</details></article>')
    out = cover(page, title="A & B: the book", author="Team")
    first = out[:out.index("print-main-content")]
    assert "<h1>A &amp; B: the book</h1>" in first and "Team" in first and "synthetic default panel" in first
    assert "<h1>Short</h1>" not in out
    assert '<details class="mrkit-details" open>' in out  # printed open
    with pytest.raises(SiteBuildError, match="data statement"):
        cover(page.replace("mrkit-data-statement", "other"), title="t", author="a")


def test_landing_page_statement_links_the_pdf_only_when_built():
    from mrkit.book.site import pdf_statement

    assert f'href="../{PDF_NAME}"' in pdf_statement(PDF_NAME)
    assert "href" not in pdf_statement(None) and "make pdf" in pdf_statement(None)
