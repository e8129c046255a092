"""Summary-level Mendelian-randomization scenarios, many replicates in one vectorised draw.

For teaching and coverage studies: ``simulate_mr_summary`` returns (n_rep, n_snps) arrays of
SNP-exposure and SNP-outcome estimates and standard errors, drawn directly at the summary level
(no individuals), with the truth beside them. Exposure and outcome are in SD units.

Model (per replicate r and variant j): allele frequency f ~ U(maf_low, 0.5); the variant explains
r2_j of the exposure variance, r2_j = r2_total w_j with w ~ Dirichlet(1, ..., 1); the per-allele
effect gamma_j = sqrt(r2_j / (2 f (1-f))) (positive, as after orientation); standard errors
se_x = 1/sqrt(2 f (1-f) N_x), se_y = 1/sqrt(2 f (1-f) N_y); observed
bx = gamma + se_x e_x, by = beta gamma + alpha + se_y e_y.

Scenarios (``alpha`` = direct effect of a variant on the outcome; pleiotropic variants are a random
``pleiotropy_fraction`` of the variants):

* ``valid``: alpha = 0 (all IV assumptions hold; IVW is consistent and its CI covers at ~95 %).
* ``balanced_pleiotropy``: alpha ~ N(0, pleiotropy_sd^2), mean zero and independent of gamma
  (InSIDE holds): IVW unbiased but over-dispersed (Bowden 2016 scenario 1, Hartwig 2017 "balanced").
* ``directional_pleiotropy``: alpha ~ U(0, 2 pleiotropy_mean), positive mean, independent of gamma:
  IVW biased, MR-Egger consistent (Bowden 2016 scenario 2).
* ``inside_violated``: pleiotropic variants act through a confounder U with effect phi_j ~
  U(0, 2 pleiotropy_mean / confounder_effect_y): gamma_j += confounder_effect_x phi_j and
  alpha_j = confounder_effect_y phi_j, so pleiotropy is correlated with instrument strength
  (Bowden 2016 scenario 3): MR-Egger biased too; medians and modes robust while < 50 % are invalid.
* ``outliers``: valid except ``n_outliers`` variants with alpha = outlier_se * se_y (MR-PRESSO's
  setting, Verbanck 2018).
* ``weak``: valid, r2_total set so that the mean F statistic is ``mean_f`` (default 10): two-sample
  weak-instrument bias towards the null (Pierce & Burgess 2013).
* ``overlap_weak``: ``weak`` with the two GWAS sharing a fraction ``overlap`` of participants, whose
  confounded exposure-outcome correlation ``rho_xy`` correlates the errors (corr(e_x, e_y) = overlap *
  rho_xy): bias towards the observational association (Burgess, Davies & Thompson 2016).

References
----------
Bowden J, Davey Smith G, Haycock PC, Burgess S (2016) Consistent estimation in Mendelian
randomization with some invalid instruments using a weighted median estimator. Genet Epidemiol
40:304-314.
Hartwig FP, Davey Smith G, Bowden J (2017) Robust inference in summary data Mendelian randomization
via the zero modal pleiotropy assumption. Int J Epidemiol 46:1985-1998.
Verbanck M et al. (2018) Nat Genet 50:693-698 (MR-PRESSO).
Pierce BL, Burgess S (2013) Efficient design for Mendelian randomization studies: subsample and
2-sample instrumental variable estimators. Am J Epidemiol 178:1177-1184.
Burgess S, Davies NM, Thompson SG (2016) Bias due to participant overlap in two-sample Mendelian
randomization. Genet Epidemiol 40:597-608.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..rng import make_rng, resolve_seed

SCENARIOS = {
    "valid": "all instruments valid",
    "balanced_pleiotropy": "mean-zero pleiotropy independent of instrument strength (InSIDE holds)",
    "directional_pleiotropy": "positive-mean pleiotropy independent of instrument strength",
    "inside_violated": "pleiotropy through a confounder, correlated with instrument strength",
    "outliers": "valid instruments plus a few strongly pleiotropic outliers",
    "weak": "weak instruments (mean F about mean_f), separate samples",
    "overlap_weak": "weak instruments with overlapping samples (bias towards the observational estimate)",
}


@dataclass(frozen=True)
class MRSimulation:
    """Replicates of summary-level MR data; arrays are (n_rep, n_snps)."""

    bx: np.ndarray
    bxse: np.ndarray
    by: np.ndarray
    byse: np.ndarray
    gamma: np.ndarray  # true SNP-exposure effects
    alpha: np.ndarray  # true direct SNP-outcome effects (pleiotropy)
    invalid: np.ndarray  # bool: alpha != 0
    beta: float
    scenario: str
    seed: int
    params: dict = field(default_factory=dict)

    @property
    def n_rep(self) -> int:
        return self.bx.shape[0]

    def replicate(self, i: int) -> pd.DataFrame:
        """Replicate ``i`` as an estimator input table (``SNP, bx, bxse, by, byse``)."""
        return pd.DataFrame({"SNP": [f"snp{j + 1}" for j in range(self.bx.shape[1])], "bx": self.bx[i],
                             "bxse": self.bxse[i], "by": self.by[i], "byse": self.byse[i]})

    @property
    def mean_f(self) -> np.ndarray:
        """Mean F statistic (bx/bxse)^2 per replicate."""
        return np.mean((self.bx / self.bxse) ** 2, axis=1)


def simulate_mr_summary(n_rep: int, n_snps: int, *, beta: float = 0.0, scenario: str = "valid",
                        n_exposure: int = 100_000, n_outcome: int = 100_000, r2_total: float = 0.05,
                        seed: int | None = None, maf_low: float = 0.05, pleiotropy_fraction: float = 0.3,
                        pleiotropy_sd: float = 0.01, pleiotropy_mean: float = 0.01, confounder_effect_x: float = 1.0,
                        confounder_effect_y: float = 1.0, n_outliers: int = 1, outlier_se: float = 8.0,
                        mean_f: float = 10.0, overlap: float = 1.0, rho_xy: float = 0.4) -> MRSimulation:
    """Draw ``n_rep`` summary-level MR data sets of ``n_snps`` variants under ``scenario``.

    Parameters
    ----------
    beta : causal effect of the exposure on the outcome (SD of outcome per SD of exposure).
    n_exposure, n_outcome : GWAS sample sizes (``overlap_weak`` uses n_exposure for both).
    r2_total : exposure variance explained by all variants (ignored by ``weak``/``overlap_weak``).
    pleiotropy_fraction : share of variants with direct effects (balanced, directional, InSIDE).
    pleiotropy_sd, pleiotropy_mean : size of the direct effects (outcome SD per allele).
    n_outliers, outlier_se : outliers and their direct effect in outcome standard errors.
    mean_f : target mean F for the weak scenarios. overlap, rho_xy : sample overlap and the
        observational correlation of exposure and outcome (``overlap_weak``).
    seed : random seed (default :data:`mrkit.rng.DEFAULT_SEED`), recorded in the result.

    References
    ----------
    Bowden J et al. (2016) Genet Epidemiol 40:304-314; Hartwig FP et al. (2017) Int J Epidemiol
    46:1985-1998; Burgess S, Davies NM, Thompson SG (2016) Genet Epidemiol 40:597-608.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {sorted(SCENARIOS)}")
    if n_rep < 1 or n_snps < 1:
        raise ValueError("n_rep and n_snps must be at least 1")
    seed = resolve_seed(seed)
    rng = make_rng(seed)
    shape = (n_rep, n_snps)
    n_y = n_exposure if scenario == "overlap_weak" else n_outcome
    if scenario in ("weak", "overlap_weak"):
        # E[F_j] = 1 + N r2_j  =>  r2_total = (mean_f - 1) n_snps / N
        r2_total = max(mean_f - 1.0, 0.0) * n_snps / n_exposure
    f = rng.uniform(maf_low, 0.5, size=shape)
    het = 2.0 * f * (1.0 - f)
    w = rng.exponential(size=shape)
    w /= w.sum(axis=1, keepdims=True)
    gamma = np.sqrt(r2_total * w / het)
    bxse = 1.0 / np.sqrt(het * n_exposure)
    byse = 1.0 / np.sqrt(het * n_y)
    alpha = np.zeros(shape)
    pleio = rng.random(shape) < pleiotropy_fraction
    if scenario == "balanced_pleiotropy":
        alpha = np.where(pleio, rng.normal(0.0, pleiotropy_sd, size=shape), 0.0)
    elif scenario == "directional_pleiotropy":
        alpha = np.where(pleio, rng.uniform(0.0, 2.0 * pleiotropy_mean, size=shape), 0.0)
    elif scenario == "inside_violated":
        phi = np.where(pleio, rng.uniform(0.0, 2.0 * pleiotropy_mean / confounder_effect_y, size=shape), 0.0)
        gamma = gamma + confounder_effect_x * phi
        alpha = confounder_effect_y * phi
    elif scenario == "outliers":
        chosen = np.argsort(rng.random(shape), axis=1)[:, :n_outliers]
        mask = np.zeros(shape, dtype=bool)
        np.put_along_axis(mask, chosen, True, axis=1)
        sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
        alpha = np.where(mask, sign * outlier_se * byse, 0.0)
    e_x = rng.standard_normal(shape)
    e_y = rng.standard_normal(shape)
    rho = overlap * rho_xy if scenario == "overlap_weak" else 0.0
    if rho:
        e_y = rho * e_x + np.sqrt(1.0 - rho ** 2) * e_y
    bx = gamma + bxse * e_x
    by = beta * gamma + alpha + byse * e_y
    params = dict(n_exposure=n_exposure, n_outcome=n_y, r2_total=r2_total, maf_low=maf_low,
                  pleiotropy_fraction=pleiotropy_fraction, pleiotropy_sd=pleiotropy_sd, pleiotropy_mean=pleiotropy_mean,
                  confounder_effect_x=confounder_effect_x, confounder_effect_y=confounder_effect_y,
                  n_outliers=n_outliers, outlier_se=outlier_se, mean_f=mean_f, overlap=overlap, rho_xy=rho_xy,
                  error_correlation=rho)
    return MRSimulation(bx=bx, bxse=bxse, by=by, byse=byse, gamma=gamma, alpha=alpha, invalid=alpha != 0,
                        beta=float(beta), scenario=scenario, seed=seed, params=params)
