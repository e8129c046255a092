"""What the rule engine (:mod:`mrkit.gwas.schema`) did to a table: rows dropped by reason, values filled and rows
flagged, the ids of the dropped variants, and with ``strict`` the error of the earliest dropped row."""
from __future__ import annotations

import numpy as np

from ..errors import InputError, shown

__all__ = ["DropLog", "DroppedVariants"]


class DroppedVariants:
    """Ids and reasons of the rows a reader dropped, so a later step can say why a variant is missing.

    Immutable and shared, never copied: pandas deep-copies ``attrs`` on every operation, and this
    record may hold many ids.
    """

    def __init__(self, ids: np.ndarray, reasons: np.ndarray):
        self.ids = np.asarray(ids, dtype=object)
        self.reasons = np.asarray(reasons, dtype=object)

    def __deepcopy__(self, memo):
        return self

    def __len__(self) -> int:
        return int(self.ids.size)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, DroppedVariants) and np.array_equal(self.ids, other.ids)
                and np.array_equal(self.reasons, other.reasons))

    __hash__ = None

    def reasons_of(self, ids) -> dict[str, str]:
        """variant id -> reason, for those of ``ids`` that were dropped (first reason when several)."""
        wanted = set(map(str, ids))
        out: dict[str, str] = {}
        for snp, reason in zip(self.ids, self.reasons):
            if snp in wanted and snp not in out:
                out[snp] = reason
        return out


class DropLog:
    """Rows dropped (and flagged) by reason; with ``strict`` the earliest dropped row becomes an error.

    ``unit`` says what the positions are: physical ``"line"`` numbers of a file, or 0-based ``"row"``
    positions of an in-memory table. Checks run column by column, so in strict mode the problems are
    collected and :meth:`raise_first` reports the one at the smallest position, as a reader of the
    file expects. ``ids``/``reasons`` of dropped rows are kept when the caller gives the ids. Values
    filled in (:func:`fill_missing`) are counted among the flags: the row is kept.
    """

    def __init__(self, file: str | None, strict: bool = False, unit: str = "line"):
        self.file, self.strict, self.unit = file, strict, unit
        self.counts: dict[str, int] = {}
        self.flags: dict[str, int] = {}
        self.earliest: tuple[int, str | None, str] | None = None  # (position, column, message)
        self._dropped_ids: list[np.ndarray] = []
        self._dropped_reasons: list[np.ndarray] = []

    def error(self, message: str, position: int | None, column: str | None) -> InputError:
        if self.unit == "line":
            return InputError(message, file=self.file, line=position, column=column)
        return InputError(message, file=self.file, row=position, column=column)

    def drop(self, reason: str, bad: np.ndarray, lines: np.ndarray, column: str | None,
             values=None, detail: str = "", ids: np.ndarray | None = None) -> np.ndarray:
        """Count rows flagged ``bad`` under ``reason``; return the mask of rows to keep."""
        bad = np.asarray(bad, dtype=bool)
        count = int(bad.sum())
        if count:
            self.counts[reason] = self.counts.get(reason, 0) + count
            first = int(np.flatnonzero(bad)[np.argmin(lines[bad])])
            if self.earliest is None or lines[first] < self.earliest[0]:
                value = "" if values is None else f" (value {shown(np.asarray(values, dtype=object)[first])})"
                self.earliest = (int(lines[first]), column, f"{reason}{value}{detail}")
            if ids is not None:
                self.record(np.asarray(ids, dtype=object)[bad], reason)
        return ~bad

    @property
    def first(self) -> InputError | None:
        """With ``strict``, the error of the earliest dropped row (None when nothing was dropped)."""
        if not self.strict or self.earliest is None:
            return None
        position, column, message = self.earliest
        return self.error(f"{message}; without --strict (in Python strict=False) such rows are dropped and counted",
                          position, column)

    def record(self, ids: np.ndarray, reason: str) -> None:
        """Remember the ids of dropped rows (those that have one)."""
        ids = np.asarray(ids, dtype=object)
        known = np.array([isinstance(i, str) and i != "" for i in ids], dtype=bool)
        if known.any():
            self._dropped_ids.append(ids[known])
            self._dropped_reasons.append(np.full(int(known.sum()), reason, dtype=object))

    def flag(self, reason: str, mask: np.ndarray) -> None:
        """Count kept rows that deserve a note (not a drop: ``strict`` does not refuse them)."""
        count = int(np.asarray(mask, dtype=bool).sum())
        if count:
            self.flags[reason] = self.flags.get(reason, 0) + count

    def raise_first(self) -> None:
        if self.first is not None:
            raise self.first

    def dropped_variants(self) -> DroppedVariants:
        if not self._dropped_ids:
            return DroppedVariants(np.array([], dtype=object), np.array([], dtype=object))
        return DroppedVariants(np.concatenate(self._dropped_ids), np.concatenate(self._dropped_reasons))

    def refuse_if_empty(self, rows_in: int, rows_left: int, what: str = "rows") -> None:
        """Refuse input with no data row, or whose every row was dropped (located at the first one)."""
        if rows_in == 0 or (rows_left == 0 and not self.counts):
            raise InputError(f"no data {what}: the file has a header and nothing else"
                             + (" (empty lines)" if rows_in else ""), file=self.file)
        if rows_left == 0 and self.earliest is not None:
            reasons = ", ".join(f"{n} {r}" for r, n in sorted(self.counts.items(), key=lambda kv: -kv[1]))
            position, column, message = self.earliest
            raise self.error(f"no valid row: all {rows_in} {what} dropped ({reasons}); the first: {message}",
                             position, column)
