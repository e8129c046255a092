"""A user's own data on the MR page (``mrkit report``): a harmonised table, its two traits and its files.

``mrkit report`` reads and harmonises the user's files itself (so a bad file gets the readers' one-line
message before any notebook starts), then saves what the MR page needs as one :class:`OwnData` file
(:meth:`OwnData.save`: JSON with a format name and version; the table's floats written exactly). The MR page
(``notebooks/mr_analysis.py``, parameter ``own_data``) loads it in place of the book's
:class:`~mrkit.paper.study.Study`: :class:`OwnData` answers the calls the page makes of a study (``label``,
``trait``, ``harmonised``, ``planted``, ``opengwas_queries``) for the user's two traits.

:func:`from_harmonised` turns a checked harmonised table (``SNP, bx, bxse, by, byse`` or TwoSampleMR's names,
e.g. :func:`mrkit.gwas.io.harmonised.read_harmonised`) into TwoSampleMR's columns with ``mr_keep`` and a
harmonisation log of the reading (rows read, rows dropped by reason, rows excluded by ``mr_keep``, kept).
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..gwas.io.harmonised import SHORT_NAMES
from ..json_values import json_value
from .direction import ResultFormatError, Trait, _frame_from_json, _frame_to_json, read_document, write_document

__all__ = ["FORMAT", "VERSION", "Source", "OwnData", "trait_key", "from_harmonised", "labels_of"]

FORMAT = "mrkit.paper.own_data"
VERSION = 1
#: short column -> TwoSampleMR column (``bx`` -> ``beta.exposure``, ...)
_TWOSAMPLEMR = {short: f"{field}.{role}" for role, names in SHORT_NAMES.items() for field, short in names.items()}


@dataclass(frozen=True)
class Source:
    """One file of the user's: its role (``exposure``, ``outcome`` or ``harmonised table``), its path as given and
    the SHA-256 of its bytes."""

    role: str
    file: str
    sha256: str


def trait_key(label: str, default: str) -> str:
    """A page key from a trait's label: lower case, runs of other characters as ``_`` (``"LDL-c"`` -> ``ldl_c``)."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or default


@dataclass(eq=False)  # holds a DataFrame
class OwnData:
    """The MR page's input for a user's own data: the harmonised table (TwoSampleMR columns, ``attrs["log"]``
    the harmonisation log), the two traits, the user's files and how the table was made (``settings``)."""

    exposure: Trait
    outcome: Trait
    table: pd.DataFrame
    sources: list[Source] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    # -- what the MR page asks of a study (mrkit.paper.study.Study) ------------------------------------------
    def _trait(self, key: str) -> Trait:
        for trait in (self.exposure, self.outcome):
            if trait.key == key:
                return trait
        raise KeyError(f"{key!r} is neither trait of this report ({self.exposure.key!r}, {self.outcome.key!r})")

    def label(self, key: str) -> str:
        """The trait's label as the user gave it."""
        return self._trait(key).label

    def trait(self, key: str) -> Trait:
        return self._trait(key)

    def harmonised(self, exposure: str, outcome: str, p_threshold: float | None = None) -> pd.DataFrame:
        """The user's harmonised table (a copy, with its log in ``attrs``); ``p_threshold`` was applied, if at all,
        when the table was made (``settings``)."""
        for key in (exposure, outcome):
            self._trait(key)  # a KeyError for a trait this report does not have
        out = self.table.copy()
        out.attrs = json.loads(json.dumps(self.table.attrs))
        return out

    def planted(self, exposure: str, outcome: str) -> None:
        """No true effect is known on a user's data."""
        return None

    def opengwas_queries(self) -> list[str]:
        return []

    # -- the file ---------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the input as one JSON file (atomically)."""
        doc = {"format": FORMAT, "version": VERSION, "exposure": asdict(self.exposure),
               "outcome": asdict(self.outcome), "table": _frame_to_json(self.table),
               "sources": [asdict(s) for s in self.sources], "settings": self.settings}
        return write_document(path, json_value(doc))

    @classmethod
    def load(cls, path: str | Path) -> OwnData:
        """Read a file :meth:`save` wrote; :class:`~mrkit.paper.direction.ResultFormatError` names it otherwise."""
        doc = read_document(path)
        if not isinstance(doc, Mapping) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
            raise ResultFormatError(f"{path}: not an mrkit report input of format {FORMAT!r} version {VERSION}")
        try:
            return cls(exposure=Trait(**doc["exposure"]), outcome=Trait(**doc["outcome"]),
                       table=_frame_from_json(doc["table"]), sources=[Source(**s) for s in doc["sources"]],
                       settings=dict(doc["settings"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultFormatError(f"{path}: a damaged report input ({type(exc).__name__}: {exc})") from None


def from_harmonised(frame: pd.DataFrame, log: Mapping[str, int] | None = None) -> pd.DataFrame:
    """A checked harmonised table in TwoSampleMR's columns (short names ``bx, bxse, by, byse`` renamed), with
    ``mr_keep`` (all TRUE when absent) and ``attrs["log"]``.

    ``log``: the harmonisation log to keep (:func:`mrkit.gwas.harmonise.harmonise` made the table); without it,
    the log of the reading: rows read, rows dropped by reason (``frame.attrs["dropped"]`` of
    :func:`mrkit.gwas.io.harmonised.read_harmonised`), rows excluded by ``mr_keep``, rows kept.
    """
    out = frame.rename(columns={c: _TWOSAMPLEMR[c] for c in frame.columns if c in _TWOSAMPLEMR})
    if "snp" in out and "SNP" not in out:
        out = out.rename(columns={"snp": "SNP"})
    if "SNP" not in out:  # rows without an id are still variants: name them by their row
        out.insert(0, "SNP", [f"row{i + 1}" for i in range(len(out))])
    if "mr_keep" not in out:
        out["mr_keep"] = True
    out["mr_keep"] = out["mr_keep"].astype(bool)
    out = out.reset_index(drop=True)
    if log is None:
        kept = int(out["mr_keep"].sum())
        log = {"rows_read": int(frame.attrs.get("rows_read", len(out))),
               **{f"dropped: {reason}": int(n) for reason, n in dict(frame.attrs.get("dropped", {})).items()},
               "excluded_by_mr_keep": len(out) - kept, "kept": kept}
    out.attrs = {"log": {str(k): int(v) for k, v in log.items()}}
    return out


def labels_of(table: pd.DataFrame, columns: Sequence[str] = ("exposure", "outcome")) -> dict[str, str]:
    """The trait names a TwoSampleMR table carries (its ``exposure``/``outcome`` columns), where it has one."""
    out = {}
    for c in columns:
        if c in table:
            values = [v for v in pd.unique(table[c].astype(object)) if isinstance(v, str) and v.strip()]
            if len(values) == 1:
                out[c] = values[0].strip()
    return out
