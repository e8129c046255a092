"""The data behind a page's figures and tables, as CSV files published beside the page.

When ``mrkit book`` executes a notebook it sets two environment variables (see
:mod:`mrkit.book.execute`): ``MRKIT_DOWNLOAD_DIR``, the folder this run's files go to, and
``MRKIT_DOWNLOAD_URL``, the same folder as a link relative to the page. :func:`save_csv` writes a frame
there (atomically: temporary file, then rename) and returns a :class:`DataLink` for the caption;
:func:`figure_csv` does the same for the data a figure of :mod:`.plots` was drawn from. Outside a book
build (a notebook run by hand) nothing is written and the link renders as nothing.

``report.table`` calls :func:`save_csv` for every table, so each table of the book has its CSV.
"""
from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..paths import atomic_output

__all__ = ["DIR_ENV", "URL_ENV", "Target", "DataLink", "current_target", "slug", "save_csv", "figure_csv"]

DIR_ENV = "MRKIT_DOWNLOAD_DIR"
URL_ENV = "MRKIT_DOWNLOAD_URL"


@dataclass(frozen=True)
class Target:
    """Where a page's data files go (``folder``) and how the page links to them (``url``, relative)."""

    folder: Path
    url: str


def current_target() -> Target | None:
    """The target the book machine set for this run, or None outside a book build."""
    folder, url = os.environ.get(DIR_ENV), os.environ.get(URL_ENV)
    if not folder or url is None:
        return None
    return Target(Path(folder), url.rstrip("/"))


@dataclass(frozen=True)
class DataLink:
    """A link to one data file, as HTML for captions (``_repr_html_``); empty when nothing was written."""

    filename: str = ""
    href: str = ""

    def __bool__(self) -> bool:
        return bool(self.href)

    def _repr_html_(self) -> str:
        if not self.href:
            return ""
        return (f'<span class="mrkit-data">Data: <a href="{html.escape(self.href)}" download>'
                f'{html.escape(self.filename)}</a></span>')

    def __repr__(self) -> str:  # text/plain, e.g. when glued into a caption outside the HTML build
        return f"Data: {self.filename}" if self.href else ""


def slug(text: str, words: int = 6) -> str:
    """A file-name stem from the first ``words`` words of ``text``: ``"Causal estimates of X"`` ->
    ``causal-estimates-of-x``."""
    tokens = re.findall(r"[a-z0-9]+", text.lower())[:words]
    return "-".join(tokens) or "data"


_used: set[tuple[str, str]] = set()


def _unique(target: Target, stem: str) -> str:
    """``stem``, or ``stem-2``, ``stem-3`` ... if this process already wrote it into ``target``."""
    name, n = stem, 1
    while (str(target.folder), name) in _used:
        n += 1
        name = f"{stem}-{n}"
    _used.add((str(target.folder), name))
    return name


def save_csv(frame: pd.DataFrame, name: str, *, target: Target | None = None, unique: bool = False) -> DataLink:
    """Write ``frame`` (values at full precision, no index) as ``<name>.csv`` into the run's download folder.

    ``name`` is a file-name stem (made safe with :func:`slug` rules); with ``unique`` a stem already written
    in this process gets a numeric suffix (automatic names of tables). Returns the link for the caption, or
    an empty :class:`DataLink` outside a book build.
    """
    target = target or current_target()
    if target is None:
        return DataLink()
    stem = slug(name, words=12)
    if unique:
        stem = _unique(target, stem)
    target.folder.mkdir(parents=True, exist_ok=True)
    path = target.folder / f"{stem}.csv"
    with atomic_output(path) as tmp:
        pd.DataFrame(frame).to_csv(tmp, index=False)
    return DataLink(path.name, f"{target.url}/{path.name}" if target.url else path.name)


def figure_csv(fig: Any, name: str, *, target: Target | None = None) -> DataLink:
    """Write the data ``fig`` was drawn from (:func:`mrkit.paper.plots.figure_data`) as ``<name>.csv``.

    Raises ValueError when the figure carries no data (a figure function that does not attach any).
    """
    from .plots import figure_data

    data = figure_data(fig)
    if data is None:
        raise ValueError(f"figure {name!r} carries no data to save (its plot function attaches none)")
    return save_csv(data, name, target=target)
