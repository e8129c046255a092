"""Every page of the built book names the mrkit version, the git commit and the data fingerprint of its build.

Uses the small build of conftest.py (``small_build``). The oracles: ``importlib.metadata`` for the version,
``git rev-parse HEAD`` run here for the commit, and the fingerprint the build's data preparation returned
(``mrkit.paper.datasets.prepare`` for the plan's data, called again here).
"""
from __future__ import annotations

import importlib.metadata
import re
import subprocess
from html import unescape

import pytest

from mrkit.book.pipeline import DEFAULT_PLAN
from mrkit.book.runplan import load_plan
from mrkit.book.site import git_commit, provenance_footer
from mrkit.paper.datasets import prepare

pytestmark = pytest.mark.book

FOOTER = re.compile(r'<span class="mrkit-provenance">.*?</code>\.</span>', re.S)


def test_every_html_page_carries_version_commit_and_data_fingerprint(small_build):
    layout, _ = small_build
    params = next(r.parameters for r in load_plan(DEFAULT_PLAN, "small", root=layout.root).runs
                  if r.parameters.get("data") != "none")
    fingerprint = prepare(data=params.get("data", "synthetic"), panel_size=params.get("panel_size", "full"),
                          panel_seed=params.get("panel_seed"))
    head = subprocess.run(["git", "-C", str(layout.root), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    version = importlib.metadata.version("mrkit")
    html_dir = layout.build / "html"
    pages = [p for p in sorted(html_dir.rglob("*.html")) if p.relative_to(html_dir).parts[0] != "_static"
             and not p.read_text().startswith('<meta http-equiv="Refresh"')]  # templates, the root's redirect
    assert len(pages) > 20 and {"intro.html", "genindex.html", "search.html"} <= {p.name for p in pages}
    for page in pages:
        html = page.read_text()
        found = FOOTER.findall(html)
        assert len(found) == 1, f"{page.relative_to(layout.build)}: {len(found)} provenance footers"
        text = unescape(found[0])
        assert f'mrkit-version">{version}<' in text, page
        assert f'title="{head}' in text and f">{head[:12]}" in text, page
        assert f'title="{fingerprint}"' in text and f">{fingerprint[:12]}<" in text, page


def test_footer_words_and_a_checkout_without_git(tmp_path):
    html = provenance_footer("synthetic", "ab" * 32, "c" * 40 + " + uncommitted changes")
    assert "synthetic default panel" in html and ">cccccccccccc + uncommitted changes<" in html
    assert ">abababababab<" in html
    assert git_commit(tmp_path) == "unknown (not a git checkout)"
