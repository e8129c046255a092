"""What a format module tells the shared reader: which columns to parse, how to get p, how to map.

Each format module (``gwasvcf``, ``finngen``, ``neale``, ``ssf``, ``generic``) exposes
``detect(layout) -> bool`` and ``plan(layout, options) -> ReadPlan``; :mod:`mrkit.gwas.io.reader` does
the streaming, p filtering, validation and bookkeeping once for all of them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import DropLog
from .columnar import Batch


@dataclass(frozen=True)
class ReadOptions:
    """Format-specific choices, passed through from :func:`mrkit.gwas.io.read_sumstats`."""

    columns: dict[str, str] | None = None  # generic: schema column -> file column
    study: str | None = None  # gwasvcf: which sample column (study) to read
    keep_low_confidence: bool = False  # neale: keep rows flagged low_confidence_variant
    role: str | None = None  # twosamplemr: "exposure" or "outcome" columns


@dataclass
class ReadPlan:
    """How to turn the parsed columns of one format into the schema.

    ``column_types``: file columns to parse and their arrow types. ``origin``: schema column -> name
    used in messages (a file column, or ``sample[ES]`` for a VCF FORMAT field). ``p_values(batch)``
    gives p per row for the ``p_max`` filter (default: the ``origin["p"]`` column); ``snp_values(batch)`` the
    raw variant ids per row for the ``snps`` filter (default: the ``origin["snp"]`` column, None without one).
    ``to_frame(table, log)`` maps the kept rows (with ``_line``) to schema-named raw columns.
    """

    column_types: dict[str, pa.DataType]
    origin: dict[str, str]
    to_frame: Callable[[pa.Table, DropLog], pd.DataFrame]
    p_values: Callable[[Batch], np.ndarray] | None = None
    defaults: dict[str, float] = field(default_factory=dict)  # e.g. n from a VCF header
    attrs: dict[str, object] = field(default_factory=dict)  # added to the frame's attrs (e.g. trait)
    snp_values: Callable[[Batch], pa.Array] | None = None

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


def first_token(values: pa.Array | pa.ChunkedArray, sep: str = ",") -> pa.Array:
    """The first of several separator-joined ids (FinnGen ``rsids`` may hold "rs1,rs2")."""
    return pc.utf8_trim_whitespace(pc.list_element(pc.split_pattern(values, sep, max_splits=1), 0))
