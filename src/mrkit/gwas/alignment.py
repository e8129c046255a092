# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) harmonise_22, recode_indels_22, R/harmonise.R.
"""TwoSampleMR's allele alignment, ported: ``harmonise_22`` and ``recode_indels_22`` (R/harmonise.R, TwoSampleMR
0.7.9, MIT licence; Hemani G et al. 2018).

Both alleles known in both datasets (TwoSampleMR's "2-2" case): outcome alleles swapped relative to the
exposure -> negate the outcome beta, EAF -> 1 - EAF; non-palindromic variants that still do not match ->
complement the outcome alleles (strand flip) and try the swap again; anything still unmatched is
``remove``. Palindromic = A/T or C/G exposure alleles; ambiguous = palindromic with an EAF strictly inside
``0.5 +/- tolerance`` in either dataset (a missing EAF counting as 0.5); ``action = 2`` flips palindromes
whose two EAFs lie on opposite sides of 0.5. D/I-coded indels are recoded as in ``recode_indels_22``.

References
----------
Hemani G, Zheng J, Elsworth B, et al. (2018). The MR-Base platform supports systematic causal
inference across the human phenome. eLife 7:e34408.
Hartwig FP, Davies NM, Hemani G, Davey Smith G (2016). Int J Epidemiol 45:1717-1726.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .ld import is_palindromic
from .schema import complement

__all__ = ["recode_indels", "harmonise_22", "align_alleles"]


def recode_indels(a1, a2, b1, b2) -> tuple[np.ndarray, ...]:
    """TwoSampleMR ``recode_indels_22``: D/I codes to sequences when the other dataset has them."""
    a1, a2, b1, b2 = (np.array(x, dtype=object) for x in (a1, a2, b1, b2))
    na1, na2 = np.array([len(x) for x in a1]), np.array([len(x) for x in a2])
    nb1, nb2 = np.array([len(x) for x in b1]), np.array([len(x) for x in b2])
    o1, o2, p1, p2 = a1.copy(), a2.copy(), b1.copy(), b2.copy()
    for longer, code in ((na1 > na2, ("I", "D")), (na1 < na2, ("D", "I"))):
        m = longer & (b1 == code[0]) & (b2 == code[1])
        p1[m], p2[m] = a1[m], a2[m]
        m = longer & (b1 == code[1]) & (b2 == code[0])
        p1[m], p2[m] = a2[m], a1[m]
    for longer, code in ((nb1 > nb2, ("I", "D")), (nb1 < nb2, ("D", "I"))):
        m = longer & (a1 == code[0]) & (a2 == code[1])
        o1[m], o2[m] = b1[m], b2[m]
        m = longer & (a1 == code[1]) & (a2 == code[0])
        o1[m], o2[m] = b2[m], b1[m]
    keep = np.ones(len(a1), dtype=bool)
    keep[(na1 > 1) & (na1 == na2) & ((b1 == "D") | (b1 == "I"))] = False
    keep[(nb1 > 1) & (nb1 == nb2) & ((a1 == "D") | (a1 == "I"))] = False
    keep[o1 == o2] = False
    keep[p1 == p2] = False
    return o1, o2, p1, p2, keep


def harmonise_22(a1, a2, b1, b2, beta_b, f_a, f_b, tolerance: float, action: int) -> dict[str, np.ndarray]:
    """Vectorised TwoSampleMR ``harmonise_22`` (both alleles known in both datasets)."""
    a1, a2, b1, b2 = (np.array(x, dtype=object) for x in (a1, a2, b1, b2))
    beta_b, f_b = beta_b.copy(), f_b.copy()
    indel = np.array([len(x) > 1 for x in a1]) | np.array([len(x) > 1 for x in a2]) | (a1 == "D") | (a1 == "I")
    indel_keep = np.ones(len(a1), dtype=bool)
    if indel.any():
        r = recode_indels(a1[indel], a2[indel], b1[indel], b2[indel])
        a1[indel], a2[indel], b1[indel], b2[indel] = r[:4]
        indel_keep[indel] = r[4]

    def swap(mask):
        b1[mask], b2[mask] = b2[mask], b1[mask].copy()
        beta_b[mask] *= -1
        f_b[mask] = 1 - f_b[mask]

    swapped = (a1 == b2) & (a2 == b1)
    swap(swapped)
    palindromic = is_palindromic(a1, a2)
    status = (a1 == b1) & (a2 == b2)
    tried_flip = ~palindromic & ~status
    b1[tried_flip], b2[tried_flip] = complement(b1[tried_flip]), complement(b2[tried_flip])
    swapped_after_flip = (a1 == b2) & (a2 == b1)
    swap(swapped_after_flip)
    status = (a1 == b1) & (a2 == b2)
    remove = ~status | ~indel_keep
    temp_a = np.where(np.isnan(f_a), 0.5, f_a)
    temp_b = np.where(np.isnan(f_b), 0.5, f_b)
    lo, hi = 0.5 - tolerance, 0.5 + tolerance
    ambiguous = (((temp_a > lo) & (temp_a < hi)) | ((temp_b > lo) & (temp_b < hi))) & palindromic
    palindrome_flip = np.zeros(len(a1), dtype=bool)
    if action == 2:
        opposite = ((temp_a < 0.5) & (temp_b > 0.5)) | ((temp_a > 0.5) & (temp_b < 0.5))
        palindrome_flip = opposite & palindromic & ~remove
        beta_b[palindrome_flip] *= -1
        f_b[palindrome_flip] = 1 - f_b[palindrome_flip]
    return {"a1": a1, "a2": a2, "b1": b1, "b2": b2, "beta_b": beta_b, "f_b": f_b, "remove": remove,
            "palindromic": palindromic, "ambiguous": ambiguous, "swapped": (swapped | swapped_after_flip) & ~remove,
            "strand_flipped": tried_flip & ~remove, "palindrome_flip": palindrome_flip}


def align_alleles(merged: pd.DataFrame, tolerance: float, action: int) -> dict[str, np.ndarray]:
    """Alleles, outcome beta and EAF after alignment, and the flags of each row, for the rows of an
    exposure-outcome merge (TwoSampleMR ``harmonise_22``); rows lacking an allele stay ``remove``."""
    a1, a2 = (merged[f"{c}_allele.exposure"].to_numpy(dtype=object) for c in ("effect", "other"))
    b1, b2 = (merged[f"{c}_allele.outcome"].to_numpy(dtype=object) for c in ("effect", "other"))
    has_alleles = np.array([all(isinstance(v, str) for v in row) for row in zip(a1, a2, b1, b2)], dtype=bool)
    n = len(merged)
    out = {"a1": a1.copy(), "a2": a2.copy(), "b1": b1.copy(), "b2": b2.copy(),
           "beta_b": merged["beta.outcome"].to_numpy(dtype=float).copy(),
           "f_b": merged["eaf.outcome"].to_numpy(dtype=float).copy(),
           "remove": np.ones(n, dtype=bool), "has_alleles": has_alleles,
           **{k: np.zeros(n, dtype=bool) for k in ("palindromic", "ambiguous", "swapped", "strand_flipped",
                                                   "palindrome_flip")}}
    if has_alleles.any():
        h = has_alleles
        res = harmonise_22(a1[h], a2[h], b1[h], b2[h], out["beta_b"][h],
                            merged["eaf.exposure"].to_numpy(dtype=float)[h], out["f_b"][h], tolerance, action)
        for key in ("a1", "a2", "b1", "b2", "beta_b", "f_b", "remove", "palindromic", "ambiguous", "swapped",
                    "strand_flipped", "palindrome_flip"):
            out[key][h] = res[key]
    return out
