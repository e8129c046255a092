"""Tables holding several traits (MRInstruments exports, TwoSampleMR ``extract_instruments`` of several ids):
read one trait at a time.

A trait is named by a name column (``exposure``/``outcome`` for TwoSampleMR, else ``trait`` or
``phenotype``) and identified by id columns (``id.exposure``, ``opengwas_id``, ``gwas_id``, ``study_id``,
``dataset_id``, also with the role before or after them: ``exposure_opengwas_id``, ``id_outcome``, ...:
:func:`is_id_column`). The reader notes the distinct traits while it streams; a table of one trait is read as
it is; a table of several is refused unless one is chosen (by its id or its name; a name two traits share is
refused with their ids), and the rows of the others are left out and counted, never validated: a variant
two traits share is no duplicate.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError
from .columnar import Batch, TextLayout
from .plan import ReadOptions, ReadPlan

__all__ = ["SeveralTraits", "Traits", "trait_columns", "is_id_column", "NAME_COLUMNS", "ID_COLUMNS"]

NAME_COLUMNS = ("trait", "phenotype", "exposure", "outcome")
ID_COLUMNS = ("id.exposure", "id.outcome", "opengwas_id", "gwas_id", "study_id", "dataset_id")
#: Id names that may carry a role before or after them (``exposure_opengwas_id``, ``id_exposure``).
_BARE_IDS = ("id", "opengwas_id", "gwas_id", "study_id", "dataset_id")
_SEP = "\x1f"
OTHER_TRAITS = "rows of the other traits of the table"


class SeveralTraits(InputError):
    """A table holding several traits, read without choosing one; ``traits``: [(id, name, rows)]."""

    def __init__(self, message: str, *, traits: list[tuple[str, str, int]], file: str, line: int):
        super().__init__(message, file=file, line=line)
        self.traits = traits


def is_id_column(name: str) -> bool:
    """Whether a column identifies the trait of each row: one of :data:`ID_COLUMNS` (case-insensitive), or ``id``
    or one of them with a role before or after it (``exposure_opengwas_id``, ``id_outcome``: a table of several
    exposures' instruments whose id column says whose they are)."""
    low = name.lower()
    return low in ID_COLUMNS or any(low in (f"{role}{sep}{bare}", f"{bare}{sep}{role}") for bare in _BARE_IDS
                                    for role in ("exposure", "outcome") for sep in "_.")


def trait_columns(layout: TextLayout, plan: ReadPlan, role: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The trait's name column and its id columns (the format's own, else by their usual names)."""
    if plan.trait_columns != (None, ()):
        return plan.trait_columns
    lower = {name.lower(): name for name in reversed(layout.header)}
    used = set(plan.column_types)
    name = next((lower[c] for c in NAME_COLUMNS if c in lower and lower[c] not in used), None)
    ids = tuple(c for c in layout.header if is_id_column(c) and c not in used)
    return name, ids


class Traits:
    """The traits of one read: noted batch by batch (:meth:`rows`), then checked and chosen (:meth:`resolve`)."""

    def __init__(self, layout: TextLayout, plan: ReadPlan, columns: tuple[str | None, tuple[str, ...]],
                 selected: str | None, options: ReadOptions):
        self.layout, self.options = layout, options
        self.name_col, self.id_cols = columns
        self.cols = [c for c in (*self.id_cols, self.name_col) if c]
        self.active = bool(self.cols)
        self.column_types = {c: pa.string() for c in self.cols if c not in plan.column_types}
        self.selected = None if selected is None else str(selected).strip()
        self.seen: dict[tuple[str, ...], int] = {}
        self.attrs: dict[str, object] = {}
        if self.selected is not None and not self.active:
            raise InputError(f"no trait column (a name column {list(NAME_COLUMNS)} or an id column "
                             f"{list(ID_COLUMNS)}): the table holds one trait, there is none to choose",
                             file=str(layout.path), line=layout.header_line)

    def _keys(self, data: pa.Table | pa.RecordBatch) -> pa.Array:
        values = [pc.fill_null(pc.utf8_trim_whitespace(data.column(c)), "") for c in self.cols]
        return values[0] if len(values) == 1 else pc.binary_join_element_wise(*values, _SEP)

    def rows(self, batch: Batch) -> np.ndarray:
        """Note the batch's traits; the mask of rows that may be of the trait chosen (all without a choice)."""
        n = batch.data.num_rows
        if not self.active:
            return np.ones(n, dtype=bool)
        counts = pc.value_counts(self._keys(batch.data))
        for key, count in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()):
            parts = tuple(key.split(_SEP)) if len(self.cols) > 1 else (key,)
            self.seen[parts] = self.seen.get(parts, 0) + count
        if self.selected is None:
            return np.ones(n, dtype=bool)
        hit = pa.array(np.zeros(n, dtype=bool))
        for column in self.cols:
            hit = pc.or_(hit, pc.fill_null(pc.equal(pc.utf8_trim_whitespace(batch.data.column(column)),
                                                    self.selected), False))
        return hit.to_numpy(zero_copy_only=False)

    def _shown(self, key: tuple[str, ...]) -> str:
        ident = next((v for v in key[:len(self.id_cols)] if v), "")
        name = key[-1] if self.name_col else ""
        label = ident or name or "(blank)"
        return f"{label} ({name}, {self.seen[key]} rows)" if ident and name else f"{label} ({self.seen[key]} rows)"

    def resolve(self, table: pa.Table, left_out: dict[str, int]) -> pa.Table:
        """Refuse several traits without a choice, or a choice that names none or several; keep the rows of the
        trait chosen (the others counted in ``left_out``); set ``attrs`` (``trait``, ``trait_id``)."""
        if not self.active:
            return table
        where = {"file": str(self.layout.path), "line": self.layout.header_line}
        keys = sorted(self.seen)
        listing = "; ".join(self._shown(k) for k in keys)
        if self.selected is None:
            if len(keys) > 1:
                raise SeveralTraits(f"{len(keys)} traits in one table: {listing}; read one at a time "
                                    f"({self.options.hint('trait')}, by its id or its name)",
                                    traits=[(self._ident(k), self._name(k), self.seen[k]) for k in keys], **where)
            chosen = keys
        else:
            by_id = [k for k in keys if self.selected in k[:len(self.id_cols)]]
            by_name = [k for k in keys if self.name_col and k[-1] == self.selected]
            chosen = by_id or by_name
            if not chosen:
                raise InputError(f"no trait {self.selected!r} in the table; it holds {listing}", **where)
            if len({self._ident(k) for k in chosen}) > 1:
                raise InputError(f"{len(chosen)} traits are named {self.selected!r}: "
                                 f"{'; '.join(self._shown(k) for k in chosen)}; choose one by its id "
                                 f"({self.options.hint('trait')})", **where)
            mask = pc.is_in(self._keys(table), value_set=pa.array([_SEP.join(k) for k in chosen], pa.string()))
            table = table.filter(mask)
            others = sum(self.seen.values()) - sum(self.seen[k] for k in chosen)
            if others:
                left_out[OTHER_TRAITS] = left_out.get(OTHER_TRAITS, 0) + others
        if chosen:
            ident, name = self._ident(chosen[0]), self._name(chosen[0])
            self.attrs = {"several_traits": len(keys) > 1, **({"trait": name} if name else {}),
                          **({"trait_id": ident} if ident else {})}
        return table

    def _ident(self, key: tuple[str, ...]) -> str:
        return next((v for v in key[:len(self.id_cols)] if v), "")

    def _name(self, key: tuple[str, ...]) -> str:
        return key[-1] if self.name_col else ""
