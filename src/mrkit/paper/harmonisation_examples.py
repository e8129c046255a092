"""The harmonisation chapter's worked examples: ten variants through TwoSampleMR's three actions, and
the bias that skipping harmonisation causes."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import InputError
from ..methods.distributions import norm_sf
from ..rng import make_rng, resolve_seed

__all__ = ["harmonisation_cases", "harmonisation_by_action", "allele_coding_example", "harmonised", "flow_table",
           "coding_figure"]


# ---------------------------------------------------------------------------------------------
# harmonisation by example
# ---------------------------------------------------------------------------------------------
#: Worked harmonisation cases: (case, exposure EA, OA, EAF, outcome EA, OA, EAF). Betas are set by
#: :func:`harmonisation_cases` so that a correct alignment always gives a positive outcome beta.
_CASES = [
    ("Same alleles, same order", "A", "G", 0.30, "A", "G", 0.31),
    ("Alleles swapped", "A", "G", 0.30, "G", "A", 0.69),
    ("Opposite strand", "A", "G", 0.30, "T", "C", 0.31),
    ("Opposite strand and swapped", "A", "G", 0.30, "C", "T", 0.69),
    ("Incompatible alleles", "A", "G", 0.30, "A", "C", 0.30),
    ("Palindromic A/T, low EAF in both", "A", "T", 0.20, "A", "T", 0.22),
    ("Palindromic A/T, EAFs on opposite sides of 0.5", "A", "T", 0.20, "A", "T", 0.79),
    ("Palindromic C/G, EAF 0.45 (ambiguous)", "C", "G", 0.45, "C", "G", 0.46),
    (None, "A", "T", 0.40, "A", "T", None),  # the outcome EAF is the page's parameter palindrome_eaf
    ("Palindromic A/T, outcome EAF missing", "A", "T", 0.20, "A", "T", np.nan),
]


#: The ambiguity band of TwoSampleMR's harmonise_data (action 2): a palindrome with an EAF strictly inside it is
#: left out.
AMBIGUOUS_BAND = (0.42, 0.58)


def harmonisation_cases(palindrome_eaf: float = 0.41) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The worked cases of the harmonisation chapter as exposure and outcome TwoSampleMR tables.

    Every variant truly raises both traits (true outcome beta +0.05 per exposure effect allele);
    the outcome table reports it for whichever allele and strand the case says, so the sign of the
    harmonised outcome beta shows at a glance whether the alignment was right. Column ``case`` of the
    exposure table names the case. ``palindrome_eaf``: the outcome EAF of the A/T palindrome whose exposure
    EAF is 0.40 (the page's parameter; 0.41 is just outside :data:`AMBIGUOUS_BAND`).
    """
    if not 0.0 < palindrome_eaf < 0.5:
        raise InputError(f"palindrome_eaf must be above 0 and below 0.5 (the exposure's EAF, 0.40, is below 0.5 "
                         f"too), got {palindrome_eaf!r}", column="palindrome_eaf")
    lo, hi = AMBIGUOUS_BAND
    comp = {"A": "T", "T": "A", "C": "G", "G": "C"}
    rows = []
    for i, (case, ea, oa, fa, eb, ob, fb) in enumerate(_CASES):
        if case is None:
            fb = palindrome_eaf
            case = (f"Palindromic A/T, outcome EAF {fb:g} ({'inside' if lo < fb < hi else 'outside'} "
                    f"{lo:g}-{hi:g})")
        # palindromes: the outcome's effect allele is the exposure's when the EAFs are on the same side of 0.5 (or
        # the EAF is missing), otherwise the other allele; else the same allele, possibly on the other strand
        same = bool(np.isnan(fb) or (fa < 0.5) == (fb < 0.5)) if ea == comp[oa] else eb in (ea, comp[ea])
        beta_y = 0.05 if same else -0.05
        rows.append((f"rs{1000 + i}", case, ea, oa, fa, 0.10, eb, ob, fb, beta_y))
    t = pd.DataFrame(rows, columns=["SNP", "case", "ea_x", "oa_x", "eaf_x", "beta_x", "ea_y", "oa_y",
                                    "eaf_y", "beta_y"])
    exposure = pd.DataFrame({"SNP": t["SNP"], "effect_allele.exposure": t["ea_x"],
                             "other_allele.exposure": t["oa_x"], "eaf.exposure": t["eaf_x"],
                             "beta.exposure": t["beta_x"], "se.exposure": 0.01,
                             "pval.exposure": 1e-20, "case": t["case"]})
    outcome = pd.DataFrame({"SNP": t["SNP"], "effect_allele.outcome": t["ea_y"],
                            "other_allele.outcome": t["oa_y"], "eaf.outcome": t["eaf_y"],
                            "beta.outcome": t["beta_y"], "se.outcome": 0.01, "pval.outcome": 1e-6})
    return exposure, outcome


def harmonisation_by_action(exposure: pd.DataFrame, outcome: pd.DataFrame) -> pd.DataFrame:
    """Each variant through :func:`mrkit.gwas.harmonise.harmonise` with actions 1, 2 and 3, side by side:
    the harmonised outcome beta and whether the variant enters MR (``mr_keep``) under each action,
    plus the ``palindromic``/``ambiguous``/``remove`` flags."""
    from ..gwas.harmonise import harmonise

    out = None
    for action in (1, 2, 3):
        h = harmonise(exposure, outcome, action=action).set_index("SNP")
        part = pd.DataFrame({f"beta.outcome (action {action})": h["beta.outcome"],
                             f"used (action {action})": h["mr_keep"].astype(bool)})
        out = (h[["palindromic", "ambiguous", "remove"]].astype(bool) if out is None else out).join(part)
    return out.reset_index()


def allele_coding_example(*, n_snps: int = 30, beta: float = 0.3, swap_fraction: float = 0.5,
                          seed: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """One valid-instrument dataset whose outcome GWAS codes a share of the variants on the other
    allele (swapped alleles, negated beta, EAF 1 - f): what harmonisation is there to undo.

    Returns the exposure and outcome TwoSampleMR tables (non-palindromic alleles) and the boolean
    mask of the swapped variants. The SNP-exposure effects are positive, as after orientation.
    """
    from ..simulate.scenarios import simulate_mr_summary

    used = resolve_seed(seed)
    sim = simulate_mr_summary(1, n_snps, beta=beta, scenario="valid", n_exposure=200_000,
                              n_outcome=200_000, seed=used)
    rng = make_rng(used + 1)
    pairs = np.array([("A", "G"), ("A", "C"), ("T", "G"), ("T", "C"), ("G", "A"), ("C", "T")])
    allele = pairs[rng.integers(0, len(pairs), n_snps)]
    eaf = rng.uniform(0.1, 0.9, n_snps)
    swapped = rng.random(n_snps) < swap_fraction
    bx, bxse, by, byse = sim.bx[0], sim.bxse[0], sim.by[0], sim.byse[0]
    snp = [f"rs{2000 + j}" for j in range(n_snps)]
    exposure = pd.DataFrame({"SNP": snp, "effect_allele.exposure": allele[:, 0],
                             "other_allele.exposure": allele[:, 1], "eaf.exposure": eaf,
                             "beta.exposure": bx, "se.exposure": bxse,
                             "pval.exposure": 2 * norm_sf(np.abs(bx / bxse))})
    outcome = pd.DataFrame({"SNP": snp,
                            "effect_allele.outcome": np.where(swapped, allele[:, 1], allele[:, 0]),
                            "other_allele.outcome": np.where(swapped, allele[:, 0], allele[:, 1]),
                            "eaf.outcome": np.where(swapped, 1 - eaf, eaf),
                            "beta.outcome": np.where(swapped, -by, by), "se.outcome": byse,
                            "pval.outcome": 2 * norm_sf(np.abs(by / byse))})
    return exposure, outcome, swapped


def harmonised(exposure: pd.DataFrame, outcome: pd.DataFrame, *, action: int = 2) -> pd.DataFrame:
    """``exposure`` and ``outcome`` (TwoSampleMR tables) through TwoSampleMR's ``harmonise_data`` rules with
    ``action`` (:func:`mrkit.gwas.harmonise.harmonise`): the harmonised table, its log in ``attrs["log"]``."""
    from ..gwas.harmonise import harmonise

    return harmonise(exposure, outcome, action=action)


def flow_table(harmonised: pd.DataFrame) -> pd.DataFrame:
    """The harmonisation log of a harmonised table as the STROBE-MR flow table (item 10a):
    :func:`mrkit.gwas.harmonise.harmonisation_flow`."""
    from ..gwas.harmonise import harmonisation_flow

    return harmonisation_flow(harmonised.attrs["log"])


def coding_figure(naive: pd.DataFrame, aligned: pd.DataFrame, swapped_snps: Iterable[str], fit_naive: pd.DataFrame,
                  fit_aligned: pd.DataFrame, true_beta: float):
    """Two scatter panels of SNP-outcome against SNP-exposure effects (±1 SE), not harmonised (``naive``: the
    tables merged on the variant id) and harmonised (``aligned``), the variants coded on the other allele in red,
    with the IVW fit of each (``fit_*``: :func:`mrkit.mr` rows) and the true effect."""
    import matplotlib.pyplot as plt

    from ..gwas.harmonise import mr_input

    swapped_snps = set(swapped_snps)
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.4), sharey=True)
    for ax, table, fit, title in ((axes[0], mr_input(naive.assign(mr_keep=True)), fit_naive, "Not harmonised"),
                                  (axes[1], mr_input(aligned), fit_aligned, "Harmonised")):
        flag = table["SNP"].isin(swapped_snps)
        ax.errorbar(table["bx"][~flag], table["by"][~flag], xerr=table["bxse"][~flag], yerr=table["byse"][~flag],
                    fmt="o", ms=3, lw=0.6, label="coded on the same allele")
        ax.errorbar(table["bx"][flag], table["by"][flag], xerr=table["bxse"][flag], yerr=table["byse"][flag],
                    fmt="s", ms=3, lw=0.6, color="tab:red", label="coded on the other allele")
        fit = fit.set_index("method")
        grid = np.linspace(0, table["bx"].max() * 1.05, 10)
        ax.plot(grid, fit.loc["ivw", "estimate"] * grid, color="black", lw=1, label="IVW fit")
        ax.plot(grid, true_beta * grid, color="grey", lw=1, ls="--", label="true effect")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("SNP–exposure effect (SD per allele)")
    axes[0].set_ylabel("SNP–outcome effect (SD per allele)")
    axes[1].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig
