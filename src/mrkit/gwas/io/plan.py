"""What a format module tells the shared reader: which columns to parse, how to get p, how to map.

Each format module (``gwasvcf``, ``finngen``, ``neale``, ``ssf``, ``generic``) exposes
``detect(layout) -> bool`` and ``plan(layout, options) -> ReadPlan``; :mod:`mrkit.gwas.io.reader` does
the streaming, p filtering, validation and bookkeeping once for all of them.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import DropLog
from .columnar import Batch

#: How a message names each choice of :func:`mrkit.gwas.io.read_sumstats` when the caller is Python; a
#: command passes its own flags instead (``hints=``), so that every hint names a flag that exists.
PYTHON_HINTS = {"fmt": "fmt='NAME'", "columns": "columns={'SCHEMA': 'COLUMN'}",
                "effect_allele_col": "effect_allele_col='COLUMN'", "role": "role='exposure' or 'outcome'",
                "trait": "trait='ID'", "study": "study='NAME'"}


@dataclass(frozen=True)
class ReadOptions:
    """Format-specific choices, passed through from :func:`mrkit.gwas.io.read_sumstats`."""

    columns: dict[str, str] | None = None  # generic: schema column -> file column
    study: str | None = None  # gwasvcf: which sample column (study) to read
    keep_low_confidence: bool = False  # neale: keep rows flagged low_confidence_variant
    role: str | None = None  # twosamplemr: "exposure" or "outcome" columns
    effect_allele_col: str | None = None  # generic: the file column holding the effect allele
    hints: Mapping[str, str] = field(default_factory=dict)  # choice -> how to name it in a message

    def hint(self, choice: str) -> str:
        """How to make ``choice`` (a parameter of read_sumstats) in the caller's terms: a flag or a parameter."""
        return self.hints.get(choice) or PYTHON_HINTS[choice]


@dataclass
class ReadPlan:
    """How to turn the parsed columns of one format into the schema.

    ``column_types``: file columns to parse and their arrow types. ``origin``: schema column -> name
    used in messages (a file column, or ``sample[ES]`` for a VCF FORMAT field). ``p_values(batch)``
    gives p per row for the ``p_max`` filter (default: the ``origin["p"]`` column); ``snp_values(batch)`` the
    raw variant ids per row for the ``snps`` filter (default: the ``origin["snp"]`` column, None without one).
    ``to_frame(table, log)`` maps the kept rows (with ``_line``) to schema-named raw columns (plus
    ``snp_aliases`` where rows have several ids, ``id_separator``-joined in the id column). ``left_out(batch)``
    gives {reason: mask} of rows the format's meaning leaves out (another test than the additive one),
    counted, never validated. ``trait_columns``: the trait's name column and its id columns, for a table
    holding several traits (read one at a time).
    """

    column_types: dict[str, pa.DataType]
    origin: dict[str, str]
    to_frame: Callable[[pa.Table, DropLog], pd.DataFrame]
    p_values: Callable[[Batch], np.ndarray] | None = None
    defaults: dict[str, float] = field(default_factory=dict)  # e.g. n from a VCF header
    attrs: dict[str, object] = field(default_factory=dict)  # added to the frame's attrs (e.g. trait)
    snp_values: Callable[[Batch], pa.Array] | None = None
    left_out: Callable[[Batch], dict[str, np.ndarray]] | None = None
    trait_columns: tuple[str | None, tuple[str, ...]] = (None, ())
    id_separator: str | None = None  # the id column may hold several ids joined by this (FinnGen rsids)
    notes: list[str] = field(default_factory=list)  # said in the read report (a column not read, and why)

    def p_of(self, batch: Batch) -> np.ndarray:
        if self.p_values is not None:
            return self.p_values(batch)
        return as_float(batch.data.column(self.origin["p"]))

    def snp_of(self, batch: Batch) -> pa.Array | None:
        """Raw variant ids of a batch (None when the format has no id column: ids are made later)."""
        if self.snp_values is not None:
            return self.snp_values(batch)
        column = self.origin.get("snp")
        return batch.data.column(column) if column in batch.data.schema.names else None


def as_float(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Arrow numbers to a float64 numpy array, nulls as NaN."""
    return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)


def renamed(table: pa.Table, mapping: dict[str, str | pa.Array | np.ndarray]) -> pd.DataFrame:
    """A pandas frame of schema columns taken from file columns (names) or computed arrays, plus _line."""
    data = {role: table.column(src) if isinstance(src, str) else src for role, src in mapping.items()}
    data["_line"] = table.column("_line")
    return pa.table(data).to_pandas()


