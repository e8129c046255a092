"""Which outcome record serves each exposure variant in :func:`mrkit.gwas.harmonise.harmonise`.

Variants are matched on the id; for ids not found, on the chromosome, position and unordered, strand-free
allele pair (:func:`variant_keys`: files without rsids build ids as chrom:pos:A1:A2 in their own allele
order); then through LD proxies (:mod:`mrkit.gwas.proxies`, or outcome rows already standing in for their
target). Several outcome records of one id (a multi-allelic site) are resolved as TwoSampleMR does: the
record whose alleles match the exposure's is used, an exact match before a strand-flipped one
(:func:`resolve_multiallelic`).

References
----------
Hemani G et al. (2018). The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .columns import resolve_columns
from .schema import DropLog, allele_pair, complement, normalise_ids, site_keys

__all__ = ["variant_keys", "rows_with_ids", "stand_ins", "stand_in_columns", "outcome_candidates",
           "match_by_position", "resolve_multiallelic"]

#: Variant ids shaped ``chrom:pos:A1:A2`` (or with ``_``), optionally ``chr``-prefixed.
ID_SHAPE = re.compile(r"(?:[Cc][Hh][Rr])?(?P<chrom>[0-9]{1,2}|[Xx])[:_](?P<pos>[0-9]+)[:_](?P<a1>[ACGTacgt]+)"
                      r"[:_](?P<a2>[ACGTacgt]+)")


def variant_keys(snp, chrom=None, pos=None, a1=None, a2=None) -> np.ndarray:
    """Position keys ``chrom:pos:pair`` (strand-free unordered allele pair), None where unknown.

    From the chromosome and position columns when given, else parsed from ids shaped
    ``chrom:pos:A1:A2`` (or with ``_``). Two records of one site get the same key whatever the allele
    order or strand of their files, so variants without a shared rsid can still be matched. Chromosomes
    and alleles are normalised by the rule engine (:mod:`mrkit.gwas.schema`).
    """
    ids = normalise_ids(snp)
    n = len(ids)
    pair = allele_pair(a1, a2, strand=True) if a1 is not None and a2 is not None else np.full(n, None, dtype=object)
    keys = site_keys(chrom, pos, pair) if chrom is not None and pos is not None else np.full(n, None, dtype=object)
    for i in np.flatnonzero(np.equal(keys, None)).tolist():
        match = ID_SHAPE.fullmatch(ids[i]) if ids[i] is not None else None
        if match is None:
            continue
        own = allele_pair([match["a1"]], [match["a2"]], strand=True)[0]
        if pair[i] is None or pair[i] == own:
            keys[i] = site_keys([match["chrom"].lstrip("0")], [match["pos"].lstrip("0")], [own])[0]
    return keys


def rows_with_ids(frame: pd.DataFrame, column: str, wanted: list[str]) -> np.ndarray:
    """Positions of the rows of ``frame`` whose ``column`` (as text) is one of ``wanted``, in order.

    A hash look-up in arrow for text columns (a 500,000-row GWAS takes milliseconds); other columns are
    compared as their text, as :func:`mrkit.gwas.harmonise_input.to_twosamplemr` writes them.
    """
    values = frame[column]
    try:
        arr = pa.array(values, from_pandas=True)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            hit = pc.is_in(arr, value_set=pa.array(wanted, type=arr.type))
            return np.flatnonzero(pc.fill_null(hit, False).to_numpy(zero_copy_only=False))
    except (pa.ArrowException, TypeError, ValueError):
        pass
    return np.flatnonzero(values.astype("str").isin(wanted).to_numpy())


def stand_ins(outcome: pd.DataFrame) -> np.ndarray | None:
    """Which outcome rows already stand in for their target through an LD proxy (a true ``proxy`` column,
    as in OpenGWAS ``associations(proxies = 1)`` and TwoSampleMR ``extract_outcome_data``), or None."""
    if "proxy" not in outcome.columns:
        return None
    flag = outcome["proxy"].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0"))
    return flag.to_numpy(dtype=bool)


def stand_in_columns(outcome: pd.DataFrame, stand_in: np.ndarray) -> dict[str, np.ndarray]:
    """The proxy columns of the harmonised table for outcome rows flagged by :func:`stand_ins`."""
    n = len(outcome)
    proxy_snp = outcome["proxy_snp"].to_numpy(dtype=object) if "proxy_snp" in outcome else np.full(n, None, object)
    r2 = (pd.to_numeric(outcome["proxy_r2"], errors="coerce").to_numpy(dtype=float) if "proxy_r2" in outcome
          else np.full(n, np.nan))
    return {"proxy": stand_in, "target_snp": outcome["SNP"].to_numpy(dtype=object),
            "proxy_snp": np.where(stand_in, proxy_snp, None), "proxy_r2": np.where(stand_in, r2, np.nan)}


def _keys(table: pd.DataFrame, role: str) -> np.ndarray:
    return variant_keys(table["SNP"].to_numpy(dtype=object, na_value=None),
                        table[f"chr.{role}"].to_numpy(dtype=object, na_value=None),
                        table[f"pos.{role}"].to_numpy(dtype=float),
                        table[f"effect_allele.{role}"].to_numpy(dtype=object, na_value=None),
                        table[f"other_allele.{role}"].to_numpy(dtype=object, na_value=None))


def _positions_of(keys) -> np.ndarray:
    """The positions named in ``chrom:pos:pair`` keys."""
    return np.array(sorted({int(k.split(":")[1]) for k in keys}), dtype=float)


def outcome_candidates(outcome: pd.DataFrame, x: pd.DataFrame, proxies: pd.DataFrame | None) -> np.ndarray:
    """Positions of the outcome rows that can serve an instrument: its id, a proxy's id, or (for instruments
    whose id is not there) its position and alleles. The rest of an outcome GWAS is neither converted
    nor checked (it would cost seconds per harmonisation of a whole GWAS): keys are made only for the rows
    at an instrument's position."""
    cols = resolve_columns(outcome, "outcome" if "beta.outcome" in outcome.columns else None)
    if cols["snp"] is None or cols["beta"] is None:
        raise InputError("the outcome table needs a variant id and a beta column", file=outcome.attrs.get("source"))
    ids = normalise_ids(outcome[cols["snp"]].to_numpy(dtype=object, na_value=None))
    wanted = set(x["SNP"]) | (set(proxies["proxy_snp"].dropna()) if proxies is not None else set())
    relevant = np.fromiter((s in wanted for s in ids.tolist()), dtype=bool, count=ids.size)
    unmatched = ~x["SNP"].isin(set(ids[relevant].tolist())).to_numpy()
    if not unmatched.any():
        return np.flatnonzero(relevant)
    x_keys = set(_keys(x.loc[unmatched], "exposure").tolist()) - {None}
    if not x_keys:
        return np.flatnonzero(relevant)
    at = _positions_of(x_keys)  # look for them by position and alleles, among the rows at their positions
    near = np.zeros(len(outcome), dtype=bool)
    if cols["chrom"] is not None and cols["pos"] is not None:
        near |= np.isin(pd.to_numeric(outcome[cols["pos"]], errors="coerce").to_numpy(dtype=float), at)
    shaped = pc.extract_regex(pa.array(ids, type=pa.string()), f"^{ID_SHAPE.pattern}$")
    id_pos = pc.cast(pc.struct_field(shaped, "pos"), pa.float64()).to_numpy(zero_copy_only=False)
    near |= np.isin(id_pos, at)
    rows = np.flatnonzero(near)
    if rows.size:
        column = {f: (outcome[cols[f]].to_numpy(dtype=object, na_value=None)[rows] if cols[f] is not None else None)
                  for f in ("chrom", "pos", "effect_allele", "other_allele")}
        keys = variant_keys(ids[rows], column["chrom"], column["pos"], column["effect_allele"], column["other_allele"])
        relevant[rows[np.fromiter((k in x_keys for k in keys.tolist()), dtype=bool, count=rows.size)]] = True
    return np.flatnonzero(relevant)


def match_by_position(x: pd.DataFrame, y: pd.DataFrame, direct: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Outcome records of exposure variants not found by id, found by position and allele pair instead.

    Their ``SNP`` becomes the exposure's id. Returns the outcome rows and the mask of exposure rows
    matched this way.
    """
    x_keys = _keys(x, "exposure")
    y_keys = _keys(y, "outcome")
    taken = y["SNP"].isin(x.loc[direct, "SNP"]).to_numpy()
    key_to_snp = {k: snp for k, snp, d in zip(x_keys, x["SNP"], direct) if k is not None and not d}
    new_ids = np.array([key_to_snp.get(k) if (k is not None and not t) else None
                        for k, t in zip(y_keys, taken)], dtype=object)
    hit = ~pd.isnull(new_ids)
    if not hit.any():
        return y, np.zeros(len(x), dtype=bool)
    y = y.copy()
    y.loc[hit, "SNP"] = new_ids[hit]
    return y, x["SNP"].isin(set(new_ids[hit])).to_numpy() & ~direct


def _fits(e1, e2, b1, b2) -> tuple[np.ndarray, np.ndarray]:
    """(exact, after a strand flip): do outcome alleles b1/b2 name the exposure's pair e1/e2?"""
    exact = ((b1 == e1) & (b2 == e2)) | ((b1 == e2) & (b2 == e1))
    c1, c2 = complement(b1), complement(b2)
    flipped = ((c1 == e1) & (c2 == e2)) | ((c1 == e2) & (c2 == e1))
    return exact, flipped


def resolve_multiallelic(exposure: pd.DataFrame, outcome: pd.DataFrame, log: DropLog) -> tuple[pd.DataFrame, int]:
    """Outcome rows, one per SNP: at a multi-allelic site, the record whose alleles fit the exposure's.

    An exact allele match beats a strand-flipped one; a site where no record fits keeps its first
    record (harmonisation then removes it as incompatible, as TwoSampleMR does); a site where several
    fit equally is dropped and counted. Returns the rows and the number of sites resolved.
    """
    several = outcome["SNP"].duplicated(keep=False).to_numpy()
    if not several.any():
        return outcome, 0
    alleles = exposure.set_index("SNP")[["effect_allele.exposure", "other_allele.exposure"]]
    sub = outcome.loc[several]
    ref = alleles.reindex(sub["SNP"])
    exact, flipped = _fits(ref["effect_allele.exposure"].to_numpy(dtype=object),
                           ref["other_allele.exposure"].to_numpy(dtype=object),
                           sub["effect_allele.outcome"].to_numpy(dtype=object),
                           sub["other_allele.outcome"].to_numpy(dtype=object))
    rank = np.where(exact, 2, np.where(flipped, 1, 0))
    frame = pd.DataFrame({"snp": sub["SNP"].to_numpy(), "rank": rank})
    best = frame.groupby("snp")["rank"].transform("max").to_numpy()
    top = rank == best
    ties = frame.assign(top=top).groupby("snp")["top"].transform("sum").to_numpy()
    first = ~frame["snp"].duplicated(keep="first").to_numpy()
    # one best record: use it; nothing fits: keep the first (removed later as incompatible alleles)
    chosen = np.where(best > 0, top & (ties == 1), first)
    ambiguous = (best > 0) & (ties > 1)
    positions = np.asarray(sub.index)
    log.drop("multi-allelic site: several records match the exposure's alleles", ambiguous, positions, "SNP",
             sub["SNP"], ids=sub["SNP"].to_numpy(dtype=object))
    keep = np.ones(len(outcome), dtype=bool)
    keep[np.flatnonzero(several)[~chosen]] = False
    resolved = int(pd.unique(sub["SNP"].to_numpy()[chosen & (best > 0)]).size)
    return outcome.loc[keep], resolved
