"""Turn executed notebooks and hand-written pages into the static site, without ever losing the old one.

The book source is staged into ``<build>/source`` (only files that changed are rewritten, so Sphinx
stays incremental), Jupyter Book renders it into ``<build>/sphinx``, and only a successful build is
published to ``<build>/html`` by a rename swap. The staged notebooks get their page title, the data
banner and the parameter-cell tags here, so changing the presentation never forces a re-execution.
"""
from __future__ import annotations

import filecmp
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat
import yaml

from ..errors import MRKitError
from ..paths import atomic_directory, write_atomic
from .runplan import Run
from .takeaway import EXERCISES_PAGE, exercises_page, stage_takeaway, takeaway_markdown

MATHJAX_SOURCE = Path("node_modules") / "mathjax" / "es5"
#: Folder of the staged source whose files Sphinx copies into the site as they are (html_extra_path).
EXTRA = "_extra"
#: The methods chapter's entry for every method id, written into the staged book (``book/methods.md`` includes it)
#: from the methods' records (:func:`mrkit.paper.robust.methods_chapter_entries`).
METHOD_ENTRIES = "book/method-entries.md"


class SiteBuildError(MRKitError):
    """Jupyter Book failed; the previously published site is untouched."""


#: Cell tags: shown only when the page was computed on genome-wide files (synthetic panel, real files),
#: or only on OpenGWAS API data (top hits and chosen associations).
GENOME_WIDE_ONLY, OPENGWAS_ONLY = "genome-wide-only", "opengwas-only"


def _opengwas_words(api: dict[str, Any] | None) -> str:
    api = api or {}
    dates = api.get("dates") or []
    when = "" if not dates else (f", queried on {dates[0]} (UTC)" if dates[0] == dates[-1]
                                 else f", queried from {dates[0]} to {dates[-1]} (UTC)")
    ids = api.get("datasets") or []
    return "**OpenGWAS API**" + when + (f", datasets {', '.join(f'`{i}`' for i in ids)}" if ids else "")


def data_banner(params: dict[str, Any], api: dict[str, Any] | None = None) -> str:
    """The admonition every generated page carries, saying which data it was computed on.

    ``api``: for ``data="opengwas"``, the dates and dataset ids of the build's answers
    (:func:`mrkit.paper.opengwas_data.provenance`).
    """
    if params.get("data", "synthetic") == "none":
        return ""
    if params.get("data") == "opengwas":
        return (":::{admonition} OpenGWAS API data\n:class: note\n"
                f"This page was computed on data from the {_opengwas_words(api)}: top hits clumped "
                "on the server and the instruments' associations with the outcome (with LD proxies), not "
                "genome-wide summary statistics. See {doc}`/book/data`.\n:::")
    if params.get("data", "synthetic") == "synthetic":
        return (":::{admonition} Synthetic data\n:class: warning\n"
                f"This page was computed on the **synthetic default panel** "
                f"(size `{params.get('panel_size', 'full')}`, "
                f"panel seed `{params.get('panel_seed')}`), a simulated stand-in calibrated to the study's GWAS "
                "sources. Its numbers are not the published study's; see {doc}`/book/data` for what is simulated "
                "and how to run on the real GWAS files.\n:::")
    return (":::{admonition} Real GWAS data\n:class: note\n"
            "This page was computed on the real GWAS summary statistics listed in `data/sources.toml`.\n:::")


def data_statement(params: dict[str, Any], api: dict[str, Any] | None = None) -> str:
    """One admonition for the landing page saying which data the whole build used."""
    if params.get("data") == "opengwas":
        return (":::{note}\nThis build was computed on data from the " + _opengwas_words(api) + ": "
                "the published study's GWAS, through the top hits and associations the API gives. The pages "
                "that need whole GWAS files say what they show instead. See {doc}`/book/data`.\n:::")
    if params.get("data", "synthetic") == "real":
        return (":::{note}\n:class: mrkit-data-statement\nThis build was computed on the **real GWAS summary "
                "statistics** listed in `data/sources.toml`.\n:::")
    return (":::{warning}\n:class: mrkit-data-statement\nThis build was computed on the **synthetic default panel** "
            "(size "
            f"`{params.get('panel_size', 'full')}`, panel seed `{params.get('panel_seed')}`): simulated GWAS summary "
            "statistics calibrated to the study, with causal effects planted at the published estimates. Its numbers "
            "test the pipeline, they are not the study's results. See {doc}`/book/data`.\n:::")


def presentable(executed: Path, run: Run, api: dict[str, Any] | None = None,
                banner: str | None = None, takeaway: bool = True) -> nbformat.NotebookNode:
    """The executed notebook as the reader sees it: title, data banner, hidden defaults, collapsed parameters,
    and only the cells meant for its data (tags :data:`GENOME_WIDE_ONLY`, :data:`OPENGWAS_ONLY`).

    ``banner``: the data banner (MyST) instead of :func:`data_banner`'s (``mrkit report`` names the user's files).
    ``takeaway``: the box that links the page's notebook, its source and the re-run command (a book page; ``mrkit
    report`` has its own folder, without the book's downloads).
    """
    nb = nbformat.read(executed, as_version=4)
    hidden = GENOME_WIDE_ONLY if run.parameters.get("data") == "opengwas" else OPENGWAS_ONLY
    nb.cells = [c for c in nb.cells if hidden not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
        if "injected-parameters" in tags and "hide-input" not in tags:
            tags.append("hide-input")
    banner = data_banner(run.parameters, api) if banner is None else banner
    header = [nbformat.v4.new_markdown_cell(f"# {run.title}")] + \
        ([nbformat.v4.new_markdown_cell(banner)] if banner else [])
    if takeaway:  # the notebook, its source, the re-run
        header.append(nbformat.v4.new_markdown_cell(takeaway_markdown(run)))
    nb.cells = header + nb.cells
    return nb


def _write_if_changed(content: bytes, dest: Path) -> None:
    if dest.exists() and dest.read_bytes() == content:
        return
    write_atomic(dest, content)


def _sync_tree(src: Path, dest: Path, skip: Iterable[str] = ()) -> set[Path]:
    """Copy changed files of ``src`` into ``dest``; return the destination files written or kept."""
    kept = set()
    skip = set(skip)
    for f in src.rglob("*"):
        rel = f.relative_to(src)
        if f.is_dir() or rel.parts[0] in skip:
            continue
        target = dest / rel
        if not (target.exists() and filecmp.cmp(f, target, shallow=False)):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
        kept.add(target)
    return kept


def filter_toc(toc: dict, produced: set[str]) -> tuple[dict, list[str]]:
    """Drop generated pages not produced by this profile; return the toc and the pages it lists."""
    listed: list[str] = []

    def keep(entry: Any) -> bool:
        if isinstance(entry, dict) and "file" in entry:
            f = str(entry["file"])
            if f.startswith("book/generated/") and f not in produced:
                return False
            listed.append(f)
        return True

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k in ("chapters", "sections", "parts"):
                    v = [walk(x) for x in v if keep(x)]
                    v = [x for x in v if not (isinstance(x, dict) and "caption" in x and not x.get("chapters"))]
                out[k] = v
            return out
        return node

    out = walk(toc)
    listed.insert(0, str(toc["root"]))
    return out, listed


def git_commit(root: Path) -> str:
    """The checkout's commit (``git rev-parse HEAD``), "+ uncommitted changes" when tracked files differ from it;
    "unknown (not a git checkout)" where git or the repository is missing."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=30)
        if head.returncode != 0:
            return "unknown (not a git checkout)"
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return head.stdout.strip() + (" + uncommitted changes" if dirty else "")


def provenance_footer(data: str, data_fingerprint: str | None, commit: str) -> str:
    """The footer of every page (HTML): which data the build used, and the mrkit version, the git commit and the
    data fingerprint (:func:`mrkit.paper.datasets.prepare`) that made it, so a printed page can be traced back."""
    from html import escape

    from .. import __version__

    what = ("Computed on the real GWAS files of data/sources.toml." if data == "real" else
            "Computed on OpenGWAS API data (top hits and associations of the datasets of data/sources.toml)."
            if data == "opengwas" else
            "Computed on the synthetic default panel: simulated data calibrated to the study, not the real GWAS.")
    fingerprint = data_fingerprint or "none"
    short = commit[:12] + commit[40:] if len(commit) >= 40 and " " not in commit[:40] else commit
    return (f'{escape(what)}<br/><span class="mrkit-provenance">Built with mrkit <span class="mrkit-version">'
            f'{escape(__version__)}</span>, commit <code class="mrkit-commit" title="{escape(commit)}">'
            f'{escape(short)}</code>, data fingerprint <code class="mrkit-data-fingerprint" '
            f'title="{escape(fingerprint)}">{escape(fingerprint[:12])}</code>.</span>')


def pdf_statement(pdf_name: str | None) -> str:
    """The landing page's line about the PDF edition: a link when this build publishes one."""
    if pdf_name:
        return (f'**PDF edition:** the whole book in one document, <a class="mrkit-pdf-link" href="../{pdf_name}" '
                f'download>{pdf_name}</a> (figures, tables, numbered sections and references).')
    return "A PDF edition of the whole book is built by `make pdf`."


def stage_source(root: Path, stage: Path, executed: dict[Run, Path], data_params: dict[str, Any],
                 results: Path | None = None, downloads: Path | None = None,
                 pdf_name: str | None = None, data_fingerprint: str | None = None) -> list[str]:
    """Write the book source into ``stage``; return the pages of the staged toc.

    ``data_fingerprint``: the fingerprint of the data the pages were computed on, printed in every page's footer
    with the mrkit version and the git commit (:func:`provenance_footer`).

    ``results``: the build's results folder, where OpenGWAS pages record the answers they used.
    The methods chapter's per-method entries are written to :data:`METHOD_ENTRIES` (not a page of the toc: the
    chapter includes it). ``downloads/<run id>/`` (the data files of each executed page,
    :mod:`mrkit.paper.downloads`) are staged as extra files, published beside the pages as
    ``book/generated/downloads/<run id>/``. ``pdf_name``: the PDF this build publishes at the site's root, linked
    from the landing page.
    """
    stage.mkdir(parents=True, exist_ok=True)
    api = None
    if data_params.get("data") == "opengwas" and results is not None:
        from ..paper.opengwas_data import provenance

        api = provenance(results)
    keep = _sync_tree(root / "book", stage / "book", skip={"generated"})
    from ..paper.robust import methods_chapter_entries

    _write_if_changed(methods_chapter_entries().encode(), stage / METHOD_ENTRIES)
    keep.add(stage / METHOD_ENTRIES)
    extra = stage / EXTRA
    extra.mkdir(exist_ok=True)
    for run, path in executed.items():
        target = stage / f"{run.page}.ipynb"
        _write_if_changed(nbformat.writes(presentable(path, run, api)).encode(), target)
        keep.add(target)
        files = (downloads / run.id) if downloads is not None else None
        if files is not None and files.is_dir():
            keep |= _sync_tree(files, extra / Path(run.page).parent / "downloads" / run.id)
        keep |= stage_takeaway(extra, run, path)
    exercises = stage / f"{EXERCISES_PAGE}.md"  # every exercise of this build's pages, with its command
    _write_if_changed(exercises_page(list(executed)).encode(), exercises)
    keep.add(exercises)
    mathjax = root / MATHJAX_SOURCE
    if not (mathjax / "tex-mml-chtml.js").is_file():
        raise SiteBuildError(f"MathJax is not installed at {mathjax}: run `npm ci` (make env does it)")
    keep |= _sync_tree(mathjax, stage / "_vendor" / "mathjax")

    config = yaml.safe_load((root / "_config.yml").read_text())
    data = data_params.get("data", "synthetic")
    config.setdefault("html", {})["extra_footer"] = provenance_footer(data, data_fingerprint, git_commit(root))
    substitutions = config.setdefault("parse", {}).setdefault("myst_substitutions", {})
    substitutions["data_statement"] = data_statement(data_params, api)
    substitutions["pdf_statement"] = pdf_statement(pdf_name)
    config.setdefault("sphinx", {}).setdefault("config", {})["html_extra_path"] = [EXTRA]
    _write_if_changed(yaml.safe_dump(config, sort_keys=False).encode(), stage / "_config.yml")
    toc, pages = filter_toc(yaml.safe_load((root / "_toc.yml").read_text()),
                            {run.page for run in executed})
    missing_in_toc = sorted(run.page for run in executed if run.page not in pages)
    if missing_in_toc:
        raise SiteBuildError(f"_toc.yml does not list these planned pages: {missing_in_toc}")
    _write_if_changed(yaml.safe_dump(toc, sort_keys=False).encode(), stage / "_toc.yml")
    keep |= {stage / "_config.yml", stage / "_toc.yml"}
    for f in stage.rglob("*"):  # pages removed from the plan must not linger in the site
        if f.is_file() and f not in keep:
            f.unlink()
    absent = [p for p in pages if not any((stage / f"{p}{ext}").exists() for ext in (".md", ".ipynb", ""))]
    if absent:
        raise SiteBuildError(f"_toc.yml lists pages that do not exist: {absent}")
    return pages


def jupyter_book(stage: Path, sphinx_dir: Path, *, builder: str = "html", toc: Path | None = None,
                 strict: bool = True) -> Path:
    """Run Jupyter Book on ``stage`` into ``sphinx_dir`` with ``builder``; return the built folder.

    Raises :class:`SiteBuildError` with the build's warnings and errors when it fails.
    """
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(stage), "--path-output", str(sphinx_dir), "--keep-going", "--builder", builder]
    if toc is not None:
        cmd += ["--toc", str(toc)]
    if strict:
        cmd.append("-W")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    built = sphinx_dir / "_build" / builder
    if proc.returncode != 0 or not (built / "index.html").exists():
        text = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
        lines = [ln for ln in text.splitlines()
                 if "WARNING" in ln or "ERROR" in ln or "Error" in ln] or text.splitlines()[-15:]
        raise SiteBuildError(f"jupyter-book build ({builder}) failed; the published site was left as it was:\n  "
                             + "\n  ".join(lines[:30]))
    return built


def render(stage: Path, sphinx_dir: Path, html_dir: Path, *, strict: bool = True) -> None:
    """Jupyter Book ``stage`` into ``sphinx_dir``; publish to ``html_dir`` only if it succeeded."""
    publish(jupyter_book(stage, sphinx_dir, strict=strict), html_dir)


def publish(built: Path, html_dir: Path) -> None:
    """Swap a finished build into ``html_dir`` (copied beside it, then renamed:
    :func:`mrkit.paths.atomic_directory`)."""
    with atomic_directory(html_dir) as new:
        shutil.copytree(built, new, dirs_exist_ok=True)
