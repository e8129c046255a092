"""The book as one PDF: Jupyter Book's single-page HTML of the staged source, printed by headless Chromium.

Offline and without LaTeX: the staged source (the same the site is built from, MathJax vendored) is built
with the ``singlehtml`` builder and a copy of the table of contents that numbers its sections; the page is
moved to the root of its folder (Sphinx writes the links of a single page relative to the root), given a
cover (the book's title, author and the data statement of the landing page, so that the synthetic-data
banner is on page 1, then the contents) and printed to PDF by Chromium (:mod:`.browser`) with the print
rules of ``book/_static/mrkit.css`` (A4, page numbers, each chapter on a new page).
"""
from __future__ import annotations

import hashlib
import html
import re
import shutil
from pathlib import Path

import yaml

from ..paths import atomic_output
from .browser import print_pdf
from .site import SiteBuildError, jupyter_book

__all__ = ["PDF_NAME", "numbered_toc", "cover", "build_pdf"]

#: File name of the PDF edition (in ``<build>/pdf/`` and at the root of the published site).
PDF_NAME = "sleep-lbp-mr.pdf"
_STATEMENT = re.compile(r'<div class="[^"]*\bmrkit-data-statement\b[^"]*">.*?</div>', re.S)
_PRINT_TITLE = re.compile(r'(<div id="jb-print-docs-body"[^>]*>\s*)<h1>.*?</h1>', re.S)


def numbered_toc(toc: dict) -> dict:
    """The table of contents with every part (or the root's chapters) numbered (Jupyter Book ``numbered``)."""
    out = dict(toc)
    if "parts" in out:
        out["parts"] = [{**part, "numbered": True} for part in out["parts"]]
    else:
        out["numbered"] = True
    return out


def cover(page: str, *, title: str, author: str) -> str:
    """``page`` (the single-page HTML) with a cover: title, author and the landing page's data statement.

    The cover replaces the heading of the theme's print-only contents block, so page 1 reads: title, author,
    the data statement (the synthetic-data banner), then the contents. Raises :class:`SiteBuildError` when
    the page has no data statement or no print contents block (a theme change would do that).
    """
    statement = _STATEMENT.search(page)
    if statement is None:
        raise SiteBuildError("the single-page book has no data statement (admonition of class "
                             "mrkit-data-statement on the landing page): the PDF would lack its data banner")
    block = (f'<div class="mrkit-pdf-cover"><h1>{html.escape(title)}</h1>'
             f'<p class="mrkit-pdf-author">{html.escape(author)}</p>{statement.group(0)}</div>')
    out, n = _PRINT_TITLE.subn(lambda m: m.group(1) + block, page, count=1)
    if n == 0:
        raise SiteBuildError("the single-page book has no print contents block (#jb-print-docs-body) to put "
                             "the PDF's cover in")
    # tables of details are closed on screen; on paper they are printed open
    return out.replace('<details class="mrkit-details">', '<details class="mrkit-details" open>')


def build_pdf(stage: Path, build: Path, *, name: str = PDF_NAME, strict: bool = True) -> Path:
    """Build ``<build>/pdf/<name>`` from the staged book source ``stage``; return its path.

    The single-page HTML goes to ``<build>/pdf-sphinx`` (kept, so the next build is incremental); the PDF is
    printed again only when that build changed (a hash of it is kept beside the PDF). The PDF is written to
    a temporary name and renamed, so a failure leaves the previous PDF as it was.
    """
    out_dir = build / "pdf"
    out_dir.mkdir(parents=True, exist_ok=True)
    toc_path = out_dir / "_toc.yml"
    toc = yaml.safe_load((stage / "_toc.yml").read_text())
    toc_path.write_text(yaml.safe_dump(numbered_toc(toc), sort_keys=False))
    built = jupyter_book(stage, build / "pdf-sphinx", builder="singlehtml", toc=toc_path, strict=strict)
    root_page = built / f"{toc['root']}.html"
    if not root_page.is_file():
        raise SiteBuildError(f"the single-page build has no {root_page.relative_to(built)}")
    config = yaml.safe_load((stage / "_config.yml").read_text())
    page = built / f"{Path(name).stem}.html"
    page.write_text(cover(root_page.read_text(), title=str(config.get("title", "")),
                          author=str(config.get("author", ""))))
    pdf, stamp = out_dir / name, out_dir / f"{name}.source"
    source = _fingerprint(built)
    if pdf.is_file() and stamp.is_file() and stamp.read_text() == source:
        return pdf  # the page and what it loads are unchanged since this PDF was printed
    stamp.unlink(missing_ok=True)
    print_pdf(page, built, pdf)
    stamp.write_text(source)
    return pdf


def _fingerprint(built: Path) -> str:
    """A hash of the single-page build (pages, images, styles, scripts): what the printed PDF depends on."""
    digest = hashlib.sha256()
    for f in sorted(p for p in built.rglob("*") if p.is_file() and p.suffix != ".inv"):
        digest.update(f.relative_to(built).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def publish_pdf(pdf: Path, html_dir: Path) -> Path:
    """Copy the PDF to the root of the published site (where the landing page links it)."""
    dest = html_dir / pdf.name
    with atomic_output(dest) as tmp:
        shutil.copyfile(pdf, tmp)
    return dest
