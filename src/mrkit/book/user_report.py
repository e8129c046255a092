"""``mrkit report``: the book's MR page on a user's own data, built into one self-contained folder.

The page is the book's: the same notebook (``notebooks/mr_analysis.py``) executed by the book's papermill runner
(:func:`.execute.execute_run`) with the user's data (:class:`mrkit.paper.own_data.OwnData`, notebook parameter
``own_data``), made presentable by :func:`.site.presentable` with a banner naming the user's files and their
SHA-256 in place of the synthetic-data banner, rendered on its own by Jupyter Book (:func:`.site.jupyter_book`;
MathJax vendored, nothing loaded from another host) and printed to PDF by headless Chromium
(:func:`.browser.print_pdf`) where it is installed. References of the notebook to other pages of the book
(``{doc}``, ``{term}``, ``{ref}``) become plain text naming them; cited works get a bibliography on the page.

The folder (built beside its final name and renamed into place only when complete,
:func:`mrkit.paths.atomic_directory`: a failure leaves whatever was there as it was):

* ``index.html``: the MR page, with its figures (``_images/``) and the theme's assets (``_static/``);
* ``downloads/<page>/*.csv``: the data of each table and figure, linked from their captions;
* ``<page>.json``: the analysis (:meth:`mrkit.paper.direction.DirectionResult.load`);
* ``report-input.json``: the harmonised table as analysed, the traits, the files and their SHA-256
  (:meth:`mrkit.paper.own_data.OwnData.load`); ``notebook.ipynb``: the executed notebook;
* ``report.pdf``: the page printed (A4), when Chromium is installed.

A folder that exists is replaced only with ``force`` and only when it is empty or an earlier report (it holds
``report-input.json``); never the current folder or one holding it.
"""
from __future__ import annotations

import html
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from ..errors import MRKitError
from ..paper.own_data import OwnData
from ..paths import PROJECT_ROOT, atomic_directory
from .site import EXTRA, MATHJAX_SOURCE, SiteBuildError, jupyter_book, presentable

__all__ = ["REPORT_INPUT", "PDF_NAME", "NOTEBOOK", "ReportBuild", "check_target", "banner", "standalone",
           "build_report"]

#: The report's input in its folder (:class:`mrkit.paper.own_data.OwnData`); its presence marks a report folder.
REPORT_INPUT = "report-input.json"
PDF_NAME = "report.pdf"
#: The book's MR page, the notebook every report executes.
NOTEBOOK = Path("notebooks") / "mr_analysis.py"
SITE_TITLE = "Mendelian randomization report"


@dataclass
class ReportBuild:
    """What :func:`build_report` wrote: the folder, the page id, the CSV files (relative to the folder), the PDF
    (None when not printed) and the wall seconds of each step (``notebook``, ``site``, ``pdf``, ``total``)."""

    folder: Path
    page: str
    csv: list[str]
    pdf: Path | None
    seconds: dict[str, float] = field(default_factory=dict)


def check_target(folder: Path, force: bool) -> None:
    """Refuse to write into ``folder`` when that would replace something of the user's.

    An absent or empty folder is fine; an earlier report (it holds :data:`REPORT_INPUT`) only with ``force``;
    anything else never (a file, another folder's contents, the current folder or a folder holding it).
    """
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise MRKitError(f"{folder}: exists and is not a folder; give -o a new folder name")
    if Path.cwd().resolve().is_relative_to(folder.resolve()):
        raise MRKitError(f"{folder}: is the current folder or holds it; give -o a new folder name")
    if not any(folder.iterdir()):
        return
    if not (folder / REPORT_INPUT).is_file():
        raise MRKitError(f"{folder}: exists, is not empty and holds no earlier report; nothing in it is replaced: "
                         "give -o a new folder name")
    if not force:
        raise MRKitError(f"{folder}: holds an earlier report; --force replaces it (only once the new one is complete)")


def _code(text: str) -> str:
    """``text`` as inline code in MyST (backticks in it cannot close the span)."""
    return "``" + str(text).replace("`", "'") + "``"


def banner(own: OwnData, *, convention: str, seed: int, pdf_name: str | None = None) -> str:
    """The admonition at the top of the report: the user's files with their SHA-256, how the table was made,
    the convention and seed, and a link to the PDF when one is printed."""
    from .. import __version__

    files = "\n".join(f"* {s.role}: {_code(s.file)}, SHA-256 {_code(s.sha256)}" for s in own.sources)
    made = own.settings.get("made", "")
    lines = [":::{admonition} Your data", ":class: note mrkit-data-statement",
             f"This page was computed by `mrkit report` (mrkit {__version__}) on these files:", "", files, ""]
    if made:
        lines += [made, ""]
    lines.append(f"Exposure: **{own.exposure.label}** ({own.exposure.units or 'units not given'}); outcome: "
                 f"**{own.outcome.label}** ({own.outcome.units or 'units not given'}"
                 f"{', binary: effects are log odds ratios' if own.outcome.binary else ''}). "
                 f"Convention `{convention}`, seed `{seed}`.")
    if pdf_name:  # the class hides the line in print
        lines += ["", f'<span class="mrkit-pdf-link">This page as a PDF: <a href="{html.escape(pdf_name)}" download>'
                      f'{html.escape(pdf_name)}</a></span>']
    return "\n".join(lines + [":::"])


_ROLE = re.compile(r"\{(doc|term|ref)\}`([^`]*)`")
_CITE = re.compile(r"\{cite(:[a-z]+)?\}`")
_EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)


def _doc_title(target: str, root: Path) -> str:
    """The first heading of a hand-written page of the book (``/book/methods`` -> ``Methods``), else the name."""
    for path in (root / f"{target.lstrip('/')}.md", root / "book" / f"{target}.md"):
        if path.is_file():
            for line in path.read_text().splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return Path(target).name.replace("-", " ")


def _plain_roles(text: str, root: Path) -> str:
    def replace(m: re.Match) -> str:
        role, body = m.group(1), m.group(2)
        explicit = _EXPLICIT.match(body)
        if explicit:
            return explicit.group(1)
        if role == "doc":
            return f"“{_doc_title(body, root)}” in the mrkit book"
        return body

    return _ROLE.sub(replace, text)


def standalone(nb: nbformat.NotebookNode, root: Path) -> nbformat.NotebookNode:
    """The page without links to the rest of the book: ``{doc}`` as the chapter's title "in the mrkit book",
    ``{term}`` and ``{ref}`` as their text (in markdown cells and in Markdown a cell displays); a bibliography at
    the end when the page cites works."""
    cited = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _plain_roles(cell.source, root)
            cited |= bool(_CITE.search(cell.source))
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = _plain_roles(data["text/markdown"], root)
                cited |= bool(_CITE.search(data["text/markdown"]))
    if cited:
        nb.cells.append(nbformat.v4.new_markdown_cell("## References\n\n```{bibliography}\n:filter: docname in "
                                                      "docnames\n```"))
    return nb


def _other_mathjax_components(mathjax: Path):
    loaded = (mathjax / "tex-mml-chtml.js").resolve()

    def ignore(folder: str, names: list[str]) -> list[str]:
        here = Path(folder).resolve()
        if here == mathjax.resolve():
            return [n for n in names if n.endswith(".js") and here / n != loaded]
        return ["svg", "svg.js"] if here == (mathjax / "output").resolve() else []

    return ignore


def _stage(root: Path, stage: Path, page: nbformat.NotebookNode, downloads: Path, title: str) -> None:
    """The Jupyter Book source of the report: the page as ``index``, its CSV files as extra files, the book's
    styles, bibliography and vendored MathJax, and the book's configuration with the report's title."""
    mathjax = root / MATHJAX_SOURCE
    if not (mathjax / "tex-mml-chtml.js").is_file():
        raise SiteBuildError(f"MathJax is not installed at {mathjax}: run `npm ci` (make env does it)")
    # MathJax's combined component the pages load and what it loads on demand (extensions, fonts, the menu's
    # accessibility parts), not the other combined components
    shutil.copytree(mathjax, stage / "_vendor" / "mathjax", ignore=_other_mathjax_components(mathjax))
    shutil.copytree(root / "book" / "_static", stage / "book" / "_static")
    config = yaml.safe_load((root / "_config.yml").read_text())
    for bib in config.get("bibtex_bibfiles", []):
        (stage / bib).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / bib, stage / bib)
    if downloads.is_dir():
        shutil.copytree(downloads, stage / EXTRA / "downloads")
    else:
        (stage / EXTRA).mkdir()
    nbformat.write(page, stage / "index.ipynb")
    from .. import __version__

    config.update({"title": title, "author": "", "only_build_toc_files": True})
    config.setdefault("html", {})["extra_footer"] = (
        f"Made by <code>mrkit report</code> (mrkit {html.escape(__version__)}) from the files named at the top of "
        "the page.")
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx.update({"html_extra_path": [EXTRA], "html_copy_source": False})
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (stage / "_toc.yml").write_text(yaml.safe_dump({"format": "jb-book", "root": "index"}, sort_keys=False))


def build_report(own: OwnData, folder: Path, *, convention: str = "twosamplemr", seed: int | None = None,
                 methods: Sequence[str] = (), presso_n: int | None = None, pdf: bool = False, force: bool = False,
                 root: Path = PROJECT_ROOT, progress: bool = True) -> ReportBuild:
    """Build the report of ``own`` into ``folder``; see the module docstring for what it holds.

    ``methods``: the methods of the estimates table (empty: the page's); ``presso_n``: MR-PRESSO's simulated
    distributions (None: the page's); ``pdf``: also print ``report.pdf`` with Chromium.

    Raises
    ------
    MRKitError
        The folder may not be written (:func:`check_target`); :class:`.execute.RunFailed` naming the failing cell
        (the failed notebook kept in the temporary folder); :class:`.site.SiteBuildError`;
        :class:`.browser.BrowserError`.
    """
    from ..rng import resolve_seed
    from .browser import print_pdf
    from .execute import execute_run
    from .runplan import Run

    folder = Path(folder)
    check_target(folder, force)
    seed = resolve_seed(seed)
    start = time.perf_counter()
    seconds: dict[str, float] = {}
    x, y = own.exposure, own.outcome
    page = f"mr-{x.key}-to-{y.key}"
    parameters: dict[str, Any] = {"exposure": x.key, "outcome": y.key, "own_data": REPORT_INPUT, "data": "own",
                                  "convention": convention, "seed": seed, "methods": list(methods),
                                  "p_threshold": own.settings.get("p_threshold"), "panel_size": None,
                                  "panel_seed": None}
    if presso_n is not None:
        parameters["presso_n"] = int(presso_n)
    run = Run(page, root / NOTEBOOK, f"{x.label} → {y.label}", parameters)
    with atomic_directory(folder) as out, tempfile.TemporaryDirectory(prefix="mrkit-report-") as tmp:
        work = Path(tmp)
        own.save(out / REPORT_INPUT)
        t0 = time.perf_counter()
        if progress:
            print(f"report: executing the MR page ({NOTEBOOK.as_posix()}) on {x.label} -> {y.label}")
        execute_run(run, out / "notebook.ipynb", Path(tempfile.gettempdir()) / "mrkit-report-failed", out,
                    {"results_dir": "."}, work / "downloads")
        seconds["notebook"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        shown = presentable(out / "notebook.ipynb", run,
                            banner=banner(own, convention=convention, seed=seed, pdf_name=PDF_NAME if pdf else None),
                            takeaway=False)  # the book's downloads are not in the report's folder
        stage = work / "source"
        _stage(root, stage, standalone(shown, root), work / "downloads", SITE_TITLE)
        built = jupyter_book(stage, work / "sphinx", strict=True)
        shutil.copytree(built, out, dirs_exist_ok=True)
        seconds["site"] = time.perf_counter() - t0
        if progress:
            print(f"report: page built in {seconds['site']:.1f} s")
        printed = None
        if pdf:
            t0 = time.perf_counter()
            print_pdf(out / "index.html", out, out / PDF_NAME)
            printed = folder / PDF_NAME
            seconds["pdf"] = time.perf_counter() - t0
            if progress:
                print(f"report: PDF printed in {seconds['pdf']:.1f} s")
        csv = sorted(p.relative_to(out).as_posix() for p in (out / "downloads").rglob("*.csv"))
    seconds["total"] = time.perf_counter() - start
    return ReportBuild(folder, page, csv, printed, seconds)
