"""Variants named by several ids (FinnGen ``rsids`` "rs1,rs2"): the variant matches under each of them.

A reader keeps the first id as ``snp`` and all of them, joined by commas, in the ``snp_aliases`` column
(only where there are several). A lookup of requested ids (``read_sumstats(snps=...)``) matches any of them
while streaming and names the row by the id requested (:func:`matched_ids`); two frames in memory about to be
harmonised rename a row to the alias the other side uses when its first id is not there
(:func:`resolve_aliases`). A study naming a variant by its second rsid so finds it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..columns import resolve_columns

__all__ = ["ALIASES", "split_ids", "matched_ids", "resolve_aliases"]

#: The column of every id of a row that has several (joined by commas), null elsewhere.
ALIASES = "snp_aliases"


def split_ids(values: pa.Array | pa.ChunkedArray, sep: str = ",") -> tuple[pa.Array, pa.Array]:
    """The first id of each row, and every id joined by commas where a row has several (else null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    lists = pc.split_pattern(values, sep)
    first = pc.utf8_trim_whitespace(pc.list_element(lists, 0))
    several = pc.fill_null(pc.greater(pc.list_value_length(lists), 1), False)
    tokens = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    rebuilt = pa.ListArray.from_arrays(lists.offsets, tokens)
    aliases = pc.if_else(several, pc.binary_join(rebuilt, ","), pa.scalar(None, pa.string()))
    return first, aliases


def matched_ids(values: pa.Array | pa.ChunkedArray, wanted: pa.Array, sep: str = ",") -> pa.Array:
    """For each row, the first of its ``sep``-joined ids that is in ``wanted`` (null where none is)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    lists = pc.split_pattern(values, sep)
    tokens = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    hits = np.flatnonzero(pc.fill_null(pc.is_in(tokens, value_set=wanted), False).to_numpy(zero_copy_only=False))
    rows, first = np.unique(parents[hits], return_index=True)
    out = np.full(len(values), None, dtype=object)
    out[rows] = np.asarray(tokens.take(pa.array(hits[first])).to_pylist(), dtype=object)
    return pa.array(out, type=pa.string())


def _renamed(frame: pd.DataFrame, other_ids: set[str]) -> pd.DataFrame:
    """``frame`` with the id of each row whose id is not in ``other_ids`` but one of its aliases is, renamed
    to that alias (the first such)."""
    if ALIASES not in frame.columns or not frame[ALIASES].notna().any():
        return frame
    cols = resolve_columns(frame)
    snp = frame[cols["snp"]]
    candidates = frame[ALIASES].notna().to_numpy() & ~snp.astype("str").isin(other_ids).to_numpy()
    if not candidates.any():
        return frame
    rows = np.flatnonzero(candidates)
    found = matched_ids(pa.array(frame[ALIASES].iloc[rows].astype("str").tolist()),
                        pa.array(sorted(other_ids), pa.string())).to_numpy(zero_copy_only=False)
    hit = ~pd.isnull(found)
    if not hit.any():
        return frame
    ids = snp.to_numpy(dtype=object).copy()
    ids[rows[hit]] = found[hit]
    frame = frame.copy(deep=False)  # the other columns are shared, not copied (an outcome GWAS is large)
    frame[cols["snp"]] = ids
    return frame


def resolve_aliases(exposure: pd.DataFrame, outcome: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two frames with each variant that has several ids named as the other frame names it.

    A row of either frame whose id is absent from the other but one of whose aliases (:data:`ALIASES`) is
    present takes that alias as its id. Frames without aliases are returned as they are.
    """
    def ids(frame: pd.DataFrame) -> set[str]:
        column = resolve_columns(frame)["snp"]
        return set(frame[column].dropna().astype("str")) if column else set()

    if ALIASES not in exposure.columns and ALIASES not in outcome.columns:
        return exposure, outcome
    outcome = _renamed(outcome, ids(exposure))
    return _renamed(exposure, ids(outcome)), outcome
