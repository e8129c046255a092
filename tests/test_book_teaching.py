"""The small book as a teacher and a student use it: exercises run as a student runs them, solutions hidden, the
glossary linked, every page's notebook downloadable with the command that re-runs it, and no page showing raw math
or a raw missing value.

All on one build of ``mrkit book --profile small`` (session fixture ``small_build`` of conftest.py). The exercises
are run with the exact command their page prints, on the notebook the page offers for download, in a folder of
their own (papermill in a child process, as a student runs it from a terminal).
"""
from __future__ import annotations

import html
import os
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import pytest

from mrkit.book.pipeline import DEFAULT_PLAN
from mrkit.book.runplan import load_plan
from mrkit.paper.exercises import EXERCISES, label, observed_glue, solution_glue

pytestmark = pytest.mark.book

#: Words that must never be a table cell or stand in prose as a value: what pandas/JSON print for a missing one.
MISSING = ("null", "NaN", "nan", "None", "<NA>", "NaT")


class Rendered(HTMLParser):
    """The text a reader sees in a page's article (code, scripts, styles and MathJax's own markup left out), with
    the text of table cells apart."""

    SKIP = {"script", "style", "pre", "code", "nav", "header", "footer", "math"}
    VOID = {"br", "img", "wbr", "input", "meta", "link", "hr", "source", "col"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.prose: list[str] = []
        self.cells: list[str] = []
        self.paragraphs: list[str] = []
        self._cell: list[str] | None = None
        self._para: list[str] | None = None

    def _skipping(self) -> bool:
        return any(t in self.SKIP or "math" in c.split() for t, c in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        self.stack.append((tag, dict(attrs).get("class") or ""))
        if tag in ("td", "th"):
            self._cell = []
        elif tag in ("p", "li") and self._para is None:
            self._para = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None
        if tag in ("p", "li") and self._para is not None and not any(t in ("p", "li") for t, _ in self.stack[:-1]):
            self.paragraphs.append(re.sub(r"\s+", " ", "".join(self._para)).strip())
            self._para = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self._skipping():
            return
        if self._cell is not None:
            self._cell.append(data)
        elif any(t == "article" for t, _ in self.stack):
            self.prose.append(data)
            if self._para is not None:
                self._para.append(data)


def rendered(path: Path) -> Rendered:
    r = Rendered()
    r.feed(path.read_text())
    return r


def pages(layout) -> list[Path]:
    html_dir = layout.build / "html"
    # (not the copies other tests make beside a page, e.g. test_book_site's mr-insomnia-to-lbp.noimg.html)
    return [p for p in sorted((html_dir / "book").rglob("*.html")) if "downloads" not in p.parts and "." not in p.stem]


def test_rendered_pages_show_no_raw_math_and_no_raw_missing_values(small_build):
    """Markdown printed by code is MyST (math typeset), and missing numbers show as '–' or a phrase."""
    layout, _ = small_build
    checked = 0
    for page in pages(layout):
        r = rendered(page)
        prose = " ".join(r.prose)
        raw_math = re.findall(r"\$[^$\s][^$]{0,60}\$", prose)
        assert not raw_math, f"{page.name}: raw math {raw_math[:3]}"
        bad_cells = [c for c in r.cells if c in MISSING]
        assert not bad_cells, f"{page.name}: table cells {bad_cells[:5]}"
        # in prose a missing value shows up as a word standing for a number: "p = nan", "(None)", ": NaN"
        loose = re.findall(r"(?:[=:(]\s*|\b)(?:NaN|nan|None|<NA>)\b", prose) + re.findall(r"[=:(]\s*null\b", prose)
        assert not loose, f"{page.name}: {loose[:5]}"
        checked += 1
    assert checked >= 20


def test_power_and_coverage_statements_say_which_data_they_come_from(small_build):
    """A paragraph stating a power or a coverage found in the data (a percentage with decimals, or "k of n") names
    the data it comes from: the synthetic panel, a simulation, the real files or OpenGWAS."""
    layout, _ = small_build
    words = ("synthetic panel", "simulated", "simulation", "real GWAS", "OpenGWAS", "this build's data")
    statements = 0
    for page in pages(layout):
        for para in rendered(page).paragraphs:
            if re.search(r"\b(power|coverage|covers|under-powered)\b", para) and \
                    re.search(r"\d+\.\d+ ?%|\b\d+ of \d+\b", para):
                statements += 1
                assert any(w in para for w in words), f"{page.name}: {para[:240]!r} names no data"
    assert statements >= 5
    lim = " ".join(rendered(layout.build / "html" / "book" / "generated" / "limitations.html").prose)
    assert re.search(r"On the synthetic panel \(simulated data[^)]*\), \d+ of \d+ directions", lim)


def test_simulation_text_quotes_the_coverage_table(small_build):
    """Issue 24: the text quoted 93.8 % and 82.9 % while its table showed 94.0 and 83.1."""
    layout, _ = small_build
    r = rendered(layout.build / "html" / "book" / "generated" / "simulation-study.html")
    text = " ".join(r.prose)
    sentence = text[text.index("balanced pleiotropy leaves"):][:800]
    quoted = re.findall(r"coverage (?:\S+ )?(?:falls to )?(\d+\.\d) %", sentence)
    assert len(quoted) == 2, sentence
    cells = {c.split()[0] for c in r.cells if re.match(r"^\d+\.\d \(\d+\.\d\)$", c)}
    assert set(quoted) <= cells, (quoted, sorted(cells)[:10])


def test_mr_pages_show_the_mr_presso_table(small_build):
    """Issue 24: a later display() hid the before/after table; only the sentence showed."""
    layout, _ = small_build
    for name in ("mr-insomnia-to-lbp", "mr-lbp-to-insomnia"):
        r = rendered(layout.build / "html" / "book" / "generated" / f"{name}.html")
        assert "raw (all instruments)" in r.cells, name
        assert "MR-PRESSO global test gave p" in " ".join(r.prose)


def test_glossary_is_linked_at_first_use_and_the_links_resolve(small_build):
    layout, _ = small_build
    html_dir = layout.build / "html"
    glossary = (html_dir / "book" / "glossary.html").read_text()
    anchors = set(re.findall(r'<dt id="(term-[^"]+)"', glossary))
    required = {"IVW", "Wald ratio", "InSIDE", "I²_GX", "Steiger directionality", "Palindromic variant", "Proxy",
                "Clumping", "Conditional F statistic", "Horizontal pleiotropy", "Sample overlap", "MR-PRESSO",
                "MR-Egger", "Weighted median", "Mode-based estimate", "Cochran's Q"}
    defined = {html.unescape(re.sub(r"<[^>]+>", "", t)).replace("’", "'").strip()
               for t in re.findall(r'<dt id="term-[^"]+">(.*?)<a class="headerlink"', glossary, re.S)}
    assert required <= defined, required - defined
    resolving = 0
    for page in pages(layout):
        if page.name in ("glossary.html", "genindex.html"):
            continue
        for target, anchor in re.findall(r'href="([^"#]*glossary\.html)#(term-[^"]+)"', page.read_text()):
            assert (page.parent / target).resolve() == (html_dir / "book" / "glossary.html").resolve()
            assert anchor in anchors, f"{page.name}: link to missing glossary entry {anchor}"
            resolving += 1
    assert resolving >= 30
    # first use: on each page, the first mention in prose of these terms is a link to the glossary
    first = {"IVW": r"\bIVW\b", "MR-Egger": r"\bMR-Egger\b", "InSIDE": r"\bInSIDE\b", "MR-PRESSO": r"\bMR-PRESSO\b",
             "Cochran's Q": r"Cochran[’']s Q", "weighted median": r"(?i)\bweighted median", "proxy": r"\bprox(y|ies)\b",
             "sample overlap": r"\bsample overlap", "Wald ratio": r"\bWald ratio", "clumping": r"\bclump"}
    for page in pages(layout):
        if page.name in ("glossary.html", "exercises.html", "references.html"):
            continue
        text, spans = _linked_prose(page)
        for name, rx in first.items():
            m = re.search(rx, text)
            if m:
                assert any(a <= m.start() < b for a, b in spans), \
                    f"{page.name}: first use of {name} not linked: {text[max(0, m.start() - 60):m.end()]!r}"


def _linked_prose(page: Path) -> tuple[str, list[tuple[int, int]]]:
    """A page's prose (tables, captions of code tables, page furniture left out) and the spans inside glossary
    links."""
    class Linked(Rendered):
        def __init__(self):
            super().__init__()
            self.spans, self.pos, self.text = [], 0, []

        def _skipping(self):
            return super()._skipping() or any(
                t == "table" or "mrkit-caption" in c or "mrkit-takeaway" in c or t.startswith("h") and t[1:].isdigit()
                or {"admonition", "warning"} <= set(c.split()) or {"admonition", "note"} <= set(c.split())
                for t, c in self.stack)

        def handle_starttag(self, tag, attrs):
            super().handle_starttag(tag, attrs)
            if tag == "a" and "glossary.html#term-" in (dict(attrs).get("href") or ""):
                self.stack[-1] = ("a", "mrkit-term")

        def handle_data(self, data):
            if self._skipping() or not any(t == "article" for t, _ in self.stack):
                return
            if any(c == "mrkit-term" for _, c in self.stack):
                self.spans.append((self.pos, self.pos + len(data)))
            self.text.append(data)
            self.pos += len(data)

    p = Linked()
    p.feed(page.read_text())
    return "".join(p.text), p.spans


def test_every_executed_page_offers_its_notebook_its_source_and_the_command(small_build):
    layout, report = small_build
    plan = load_plan(DEFAULT_PLAN, "small")
    html_dir = layout.build / "html"
    for run in plan.runs:
        page = html_dir / f"{run.page}.html"
        text = page.read_text()
        links = dict(re.findall(r'<a class="mrkit-(ipynb|source)" href="([^"]+)"', text))
        assert set(links) == {"ipynb", "source"}, run.id
        ipynb, source = page.parent / links["ipynb"], page.parent / links["source"]
        assert ipynb.name == f"{run.id}.ipynb" and source.name == run.notebook.name
        nb = nbformat.read(ipynb, as_version=4)  # the executed notebook, outputs included
        assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert nb.metadata["papermill"]["parameters"]["seed"] == run.parameters["seed"]
        assert source.read_bytes() == run.notebook.read_bytes()
        assert jupytext.reads(source.read_text(), fmt="py:percent").cells
        box = text[text.index("Take this page away"):]
        command = html.unescape(re.sub(r"<[^>]+>", "", box[box.index("<pre"):box.index("</pre>")]))
        words = shlex.split(command.replace("\\\n", " "))
        assert words[:3] == ["papermill", f"{run.id}.ipynb", f"{run.id}-rerun.ipynb"]
        given = dict(zip(words[4::3], words[5::3]))
        for name, value in run.parameters.items():
            assert given[name] == (repr(value) if isinstance(value, float) else str(value)), (run.id, name)


def _exercise_blocks(page: Path) -> dict[str, tuple[str, str]]:
    """label -> (the command the exercise prints, the HTML that follows it up to the next exercise)."""
    text = page.read_text()
    out = {}
    starts = list(re.finditer(r'<div class="[^"]*\bmrkit-exercise\b[^"]*" id="(ex-[^"]+)"', text))
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        block = text[m.start():end]
        pre = block[block.index("<pre"):block.index("</pre>")]
        out[m.group(1)] = (html.unescape(re.sub(r"<[^>]+>", "", pre)), block)
    return out


def test_exercises_are_numbered_solutions_hidden_and_listed_on_the_exercises_page(small_build):
    layout, _ = small_build
    html_dir = layout.build / "html"
    blocks = {}
    for page in pages(layout):
        for lab, (_, block) in _exercise_blocks(page).items():
            blocks[lab] = (page, block)
            assert re.search(r'admonition-title">Exercise \d+: ', block), lab
            details = re.search(r"<details[^>]*>.*?Solution to.*?</details>", block, re.S)
            assert details and " open" not in details.group(0)[:details.group(0).index(">")], lab
    assert len(blocks) >= 20
    index = (html_dir / "book" / "exercises.html").read_text()
    listed = re.findall(r'href="([^"]+)#(ex-[^"]+)"', index)
    assert len(set(a for _, a in listed)) >= 20
    for target, anchor in listed:
        assert anchor in blocks, anchor
        assert (html_dir / "book" / target).resolve() == blocks[anchor][0].resolve()


# -- every exercise, run as a student runs it ------------------------------------------------------------------
def glued(nb_path: Path) -> dict[str, float]:
    """The numbers a notebook glued (myst_nb.glue): name -> value."""
    out = {}
    for cell in nbformat.read(nb_path, as_version=4).cells:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if meta:
                text = o["data"].get(meta["mime_prefix"] + "text/plain", "")
                if re.fullmatch(r"[-+0-9.eE]+|nan|inf", text.strip()):  # a number, not a figure or a link
                    out[meta["name"]] = float(text)
    return out


@pytest.fixture(scope="module")
def exercise_runs(small_build, tmp_path_factory):
    """Each exercise of the first page of each notebook, run with the command the page prints, on the notebook
    the page offers, in a folder of its own: label -> (the page's glued numbers, the run's glued numbers)."""
    layout, _ = small_build
    plan = load_plan(DEFAULT_PLAN, "small")
    first = {}
    for run in plan.runs:
        first.setdefault(run.notebook.stem, run)
    jobs = []
    for e in EXERCISES:
        run = first[e.notebook]
        page = layout.build / "html" / f"{run.page}.html"
        command, _ = _exercise_blocks(page)[label(run.id, e.number)]
        jobs.append((e, run, page, command))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRKIT_") or k == "MRKIT_SHARED"}

    def execute(job):
        e, run, page, command = job
        folder = tmp_path_factory.mktemp(f"{run.id}-ex{e.number}")
        words = shlex.split(command.replace("\\\n", " "))
        shutil.copy(page.parent / "downloads" / run.id / words[1], folder / words[1])  # the page's download
        (folder / "book" / "generated").mkdir(parents=True)
        (folder / "book" / "generated" / "results").symlink_to(layout.results, target_is_directory=True)
        done = subprocess.run([sys.executable, "-m", *words], cwd=folder, env=env, capture_output=True, text=True,
                              timeout=1800)
        assert done.returncode == 0, f"{command}\n{done.stderr[-3000:]}"
        return label(run.id, e.number), e, glued(layout.executed / f"{run.id}.ipynb"), glued(folder / words[2])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return {lab: (e, page_numbers, run_numbers) for lab, e, page_numbers, run_numbers in pool.map(execute, jobs)}


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: f"{e.notebook}-{e.number}")
def test_exercise_changes_the_page_and_its_solution_is_the_run(exercise, exercise_runs):
    lab = next(k for k, v in exercise_runs.items() if v[0] is exercise)
    _, page, run = exercise_runs[lab]
    before = {n: page[observed_glue(n)] for n in exercise.observe}
    solution = {n: page[solution_glue(exercise.number, n)] for n in exercise.observe}
    after = {n: run[observed_glue(n)] for n in exercise.observe}
    assert after == solution, f"{lab}: the solution's numbers are not the re-run's"
    assert after != before, f"{lab}: the change leaves the page's numbers as they were"
    assert exercise.claim(before, after), f"{lab}: the solution's claim fails: before {before}, after {after}"
