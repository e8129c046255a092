"""How a table of the book reads: text left, numbers right and to a common number of decimals per column.

:func:`column_format` decides, per column, how its cells are written and aligned:

* numbers (and text that starts like a number, e.g. ``"0.012 (0.003)"``) are right-aligned; anything else
  is text and left-aligned;
* integers (and floats that are all whole numbers) get thousands separators and no decimals;
* other floats share one number of decimals, chosen so that the column's median magnitude shows
  ``precision`` significant digits (at most 6 decimals); a non-zero value that would round to 0 (a small
  value in a column of large ones, e.g. an MR-Egger intercept among Q statistics) and, in a column of small
  numbers (2 decimals or more), one that would keep fewer than two significant digits is written in scientific
  notation with ``precision`` (at most 3) significant digits (``5.88×10⁻⁴``) instead of being rounded away;
* p-value columns (``p``, ``p Bonferroni``, ``p_tsmr``, ``pval`` ...) follow the journal convention
  instead: three decimals down to 0.001, two significant digits in scientific notation below.

:class:`Table` is what a page displays: the caption above the table (spanning the text column, so a narrow
table does not squeeze it), an optional link to the table's data (:mod:`.downloads`) and notes below.
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAX_DECIMALS", "LONG_TOKEN", "COMPACT_CHARS", "DENSE_CHARS", "is_p_column", "format_p", "scientific",
           "breakable", "column_decimals", "column_format", "styled", "Table"]

MAX_DECIMALS = 6
#: Text tokens longer than this get break opportunities (:func:`breakable`).
LONG_TOKEN = 20
_P_NAME = re.compile(r"^(p|pval|p-value|p value)([ _(\-].*)?$|^.*[ _](p|pval|p-value)$", re.IGNORECASE)
_NUMERIC_TEXT = re.compile(r"^\s*[-+−–]?\s*(\d|\.\d)")
_MISSING = "–"
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def is_p_column(name: Any) -> bool:
    """Whether a column holds p-values, judged by its name (``p``, ``p FDR``, ``p_mr``, ``steiger pval``)."""
    return bool(_P_NAME.match(str(name).strip()))


def scientific(v: float, digits: int = 2) -> str:
    """``v`` with ``digits`` significant digits as ``m×10ⁿ`` (``5.9×10⁻⁴``)."""
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def format_p(p: Any) -> str:
    """A p-value: ``0.034`` (three decimals) down to 0.001, ``3.2×10⁻⁵`` below, ``–`` when missing."""
    if p is None or isinstance(p, str):
        return _MISSING if p in (None, "") else p
    p = float(p)
    if not math.isfinite(p):
        return _MISSING
    if p == 0:
        return "0"
    return f"{p:.3f}" if p >= 0.001 else scientific(p)


def breakable(text: str, longest: int = LONG_TOKEN) -> str:
    """``text`` as HTML in which no token runs longer than ``longest`` characters without a break opportunity.

    Words wrap only between words, so a word of up to 12 letters is never split; a longer token (a file
    name, an id, ``MendelianRandomization``) gets ``<wbr>`` after its separators (``/ _ ;``, and
    ``. : , -`` unless a digit follows: numbers stay whole) and between a lower-case and an upper-case
    letter, and where a run still exceeds ``longest`` (a checksum), every ``longest`` characters.
    """
    def token(t: str) -> str:
        if len(t) <= 12:
            return html.escape(t, quote=False)
        pieces = []
        for part in re.split(r"(?<=[/_;])|(?<=[.:,-])(?!\d)|(?<=[a-z])(?=[A-Z])", t):
            pieces += [part[i:i + longest] for i in range(0, len(part), longest)]
        return "<wbr>".join(html.escape(p, quote=False) for p in pieces)

    return "".join(token(t) if not t.isspace() else t for t in re.split(r"(\s+)", text))


def _numbers(values: pd.Series) -> np.ndarray:
    """The finite real numbers of a column (bools and text excluded)."""
    out = [float(v) for v in values
           if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))]
    arr = np.asarray(out, float)
    return arr[np.isfinite(arr)]


def column_decimals(values: pd.Series | np.ndarray, precision: int = 3) -> int:
    """Decimals shared by a column: ``precision`` significant digits at its median non-zero magnitude.

    Whole numbers get 0; the result is clipped to ``[0, MAX_DECIMALS]``.
    """
    x = _numbers(pd.Series(values, dtype=object))
    if len(x) == 0 or np.all(x == np.round(x)):
        return 0
    nonzero = np.abs(x[x != 0])
    ref = float(np.median(nonzero))
    return int(min(MAX_DECIMALS, max(0, precision - 1 - math.floor(math.log10(ref)))))


def _fixed(v: float, decimals: int, digits: int) -> str:
    if v != 0 and (abs(v) < 0.5 * 10.0 ** -decimals  # it would round to 0 ("-0.0" for an intercept of -0.011)
                   or decimals >= 2 and abs(v) < 10.0 ** (1 - decimals)):  # < 2 significant digits would be left
        return scientific(v, digits)
    return f"{v + 0.0:,.{decimals}f}"  # + 0.0: no "-0.000"


def column_format(values: pd.Series, name: Any = "", precision: int = 3) -> tuple[Callable[[Any], str], str]:
    """(cell formatter, ``"left"`` or ``"right"``) for one column, by the rules of this module.

    The formatter returns HTML: text escaped, long tokens breakable (:func:`breakable`).
    """
    series = pd.Series(values, dtype=object)
    present = [v for v in series if v is not None and not (isinstance(v, float) and math.isnan(v))]
    is_number = [isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                 for v in present]
    numeric_text = [isinstance(v, str) and (v.strip() in ("", _MISSING, "-") or bool(_NUMERIC_TEXT.match(v)))
                    for v in present]
    align = "right" if present and all(a or b for a, b in zip(is_number, numeric_text)) else "left"
    p_column = is_p_column(name) and any(is_number)
    decimals = column_decimals(series, precision)

    def fmt(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else "no"
        if isinstance(v, (int, float, np.integer, np.floating)):
            if not math.isfinite(float(v)):
                return _MISSING
            if p_column:
                return format_p(v)
            if isinstance(v, (int, np.integer)):
                return f"{int(v):,}"
            return _fixed(float(v), decimals, min(precision, 3))
        return breakable(str(v))

    return fmt, align


#: Estimated narrowest widths (in characters, padding included) above which a table is set compact, then
#: dense (smaller type, tighter padding: ``table.mrkit-compact``, ``table.mrkit-dense`` in
#: ``book/_static/mrkit.css``): the text column of the book holds about 85 characters of table type at
#: 1280 px, 105 compact and 125 dense.
COMPACT_CHARS, DENSE_CHARS = 80, 104


def _min_chars(cells: list[str], header: str, align: str) -> int:
    """Roughly the narrowest a column can be, in characters: numbers do not wrap, text and headers do."""
    words = [w for w in re.split(r"[\s_.]+", header) if w] or [""]
    widest_word = max(len(w) for w in words)
    if align == "right":
        body = max((len(c) for c in cells), default=0)
    else:
        body = max((len(w) for c in cells for w in re.sub(r"<wbr>", " ", c).split()), default=0)
    return max(widest_word, body) + 2


def styled(df: pd.DataFrame, precision: int = 3,
           formats: Mapping[str, Callable[[Any], str]] | None = None,
           same_decimals: Iterable[Iterable[str]] = ()):
    """An index-free pandas Styler of ``df``: each column formatted and aligned by :func:`column_format`.

    ``formats`` overrides the formatter of named columns (their alignment stays the automatic one);
    ``same_decimals`` names groups of columns that share one number of decimals (an estimate and its
    confidence limits), chosen over their values together. Numbers do not wrap; text and headers do
    (headers also after ``_`` and ``.``). A table estimated wider than :data:`COMPACT_CHARS` gets the class
    ``mrkit-compact``, wider than :data:`DENSE_CHARS` ``mrkit-dense``.
    """
    shared = {}
    for group in same_decimals:
        group = [c for c in group if c in df]
        if group:
            fmt, _ = column_format(pd.concat([df[c] for c in group], ignore_index=True), group[0], precision)
            shared.update(dict.fromkeys(group, fmt))
    formatters, styles, chars = {}, [], 0
    for i, col in enumerate(df.columns):
        fmt, align = column_format(df[col], col, precision)
        formatters[col] = (formats or {}).get(col, shared.get(col, fmt))
        chars += _min_chars([formatters[col](v) for v in df[col]], str(col), align)
        styles.append({"selector": f".col{i}", "props": f"text-align: {align};"})
        styles.append({"selector": f"td.col{i}", "props": "white-space: nowrap;" if align == "right" else
                       "white-space: normal;"})
    styler = (df.style.format(formatters).hide(axis="index").set_table_styles(styles, overwrite=False)
              .format_index(lambda c: re.sub(r"([_.])", r"\1<wbr>", html.escape(str(c))), axis=1))
    size = " mrkit-dense" if chars > DENSE_CHARS else " mrkit-compact" if chars > COMPACT_CHARS else ""
    return styler.set_table_attributes(f'class="mrkit{size}"')


@dataclass
class Table:
    """A captioned table as a page shows it: caption (plain text; with the data link) above, notes below.

    ``styler`` is the pandas Styler of the body; ``link`` anything with ``_repr_html_`` (a
    :class:`~mrkit.paper.downloads.DataLink`); ``details`` further Tables shown in a collapsed
    ``<details>`` block under ``summary`` (e.g. the convention columns of the estimates table).
    """

    styler: Any
    caption: str
    link: Any = None
    notes: list[str] = field(default_factory=list)
    details: list[Table] = field(default_factory=list)
    summary: str = "Details"

    @property
    def data(self) -> pd.DataFrame:
        """The table's values (unformatted)."""
        return self.styler.data

    def _repr_html_(self) -> str:
        link = self.link._repr_html_() if self.link is not None else ""
        caption = html.escape(self.caption, quote=False) + (f" {link}" if link else "")
        parts = [f'<div class="mrkit-table"><p class="mrkit-caption">{caption}</p>', self.styler.to_html()]
        parts += [f'<p class="mrkit-table-note">{html.escape(n)}</p>' for n in self.notes]
        if self.details:
            parts.append(f'<details class="mrkit-details"><summary>{html.escape(self.summary)}</summary>'
                         + "".join(t._repr_html_() for t in self.details) + "</details>")
        parts.append("</div>")
        return "\n".join(parts)

    def __repr__(self) -> str:  # text/plain: the caption and the values
        return f"{self.caption}\n{self.data.to_string(index=False)}"
