"""The validation appendix: mrkit beside the R packages on the shared validation data sets.

:func:`validation_comparison` runs mrkit on the validation datasets of the shared folder and
sets every number beside the one the R packages printed (``expected/*.json``), with the
relative difference and the tolerance that applies to it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..methods.presso import mr_presso
from ..paths import PROJECT_ROOT
from ..rng import resolve_seed

__all__ = ["shared_validation_dir", "validation_comparison", "presso_simulated_example", "TOLERANCES"]


# ---------------------------------------------------------------------------------------------
# validation against the R packages
# ---------------------------------------------------------------------------------------------
#: Relative tolerances of the validation appendix, by kind of quantity.
TOLERANCES = {"deterministic": 1e-6, "bootstrap": 0.05}


def shared_validation_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """``$MRKIT_SHARED/validation`` or ``<project root>/../shared/validation``; None if absent."""
    env = os.environ if environ is None else environ
    base = Path(env["MRKIT_SHARED"]) if env.get("MRKIT_SHARED") else PROJECT_ROOT.parent / "shared"
    path = base / "validation"
    return path if path.is_dir() else None


_DATASETS = {"lipids_chd_ldlc": "LDL-c -> CHD (Waterworth 2010, 28 SNPs)",
             "bmi_chd": "BMI -> CHD (ieu-a-2 / ieu-a-7, 79 SNPs)"}

# (expected key, mrkit method id, [(R field, mrkit column, kind)])
_TSMR = [
    ("TSMR_ivw", "ivw", [("b", "estimate", "d"), ("se", "se", "d"), ("pval", "p", "d")]),
    ("TSMR_ivw_fe", "ivw_fe", [("b", "estimate", "d"), ("se", "se", "d"), ("pval", "p", "d")]),
    ("TSMR_ivw_mre", "ivw_mre", [("b", "estimate", "d"), ("se", "se", "d")]),
    ("TSMR_egger", "egger", [("b", "estimate", "d"), ("se", "se", "d"), ("pval", "p", "d")]),
    ("TSMR_simple_median", "simple_median", [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_weighted_median", "weighted_median", [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_penalised_weighted_median", "penalised_weighted_median",
     [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_simple_mode", "simple_mode", [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_weighted_mode", "weighted_mode", [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_ml", "ml", [("b", "estimate", "d"), ("se", "se", "d"), ("pval", "p", "d")]),
]
_MR = [
    ("MR_ivw_fixed", "ivw_fe", [("estimate", "estimate", "d"), ("se", "se", "d"),
                                ("p", "p", "d")]),
    ("MR_ivw_default", "ivw", [("estimate", "estimate", "d"), ("se", "se", "d"),
                               ("ci_lower", "ci_lower", "d"), ("p", "p", "d")]),
    ("MR_egger", "egger", [("estimate", "estimate", "d"), ("se", "se", "d"), ("p", "p", "d"),
                           ("ci_lower", "ci_lower", "d")]),
    ("MR_simple_median", "simple_median", [("estimate", "estimate", "d"), ("se", "se", "b")]),
    ("MR_weighted_median", "weighted_median", [("estimate", "estimate", "d"),
                                               ("se", "se", "b")]),
    ("MR_penalized_median", "penalised_weighted_median", [("estimate", "estimate", "d"),
                                                          ("se", "se", "b")]),
    ("MR_mbe_simple", "simple_mode", [("estimate", "estimate", "d"), ("se", "se", "b")]),
    ("MR_mbe_weighted", "weighted_mode", [("estimate", "estimate", "d"), ("se", "se", "b")]),
    ("MR_maxlik", "ml", [("estimate", "estimate", "d"), ("se", "se", "d"), ("p", "p", "d")]),
]
_KIND = {"d": "deterministic", "b": "bootstrap"}


def _row(dataset, package, method, quantity, mrkit_value, r_value, kind, note=""):
    r_value = float(r_value)
    mrkit_value = float(mrkit_value)
    rel = abs(mrkit_value - r_value) / abs(r_value) if r_value != 0 else abs(mrkit_value)
    tol = TOLERANCES[kind]
    return {"dataset": dataset, "package": package, "method": method, "quantity": quantity,
            "mrkit": mrkit_value, "R": r_value, "rel_diff": rel, "kind": kind,
            "tolerance": tol, "within": bool(rel <= tol), "note": note}


def validation_comparison(validation_dir: Path, *, seed: int | None = None,
                          n_boot: int = 10000, presso_n: int = 3000) -> pd.DataFrame:
    """Every number of ``expected/*.json`` beside mrkit's, with relative difference and verdict.

    Deterministic quantities must agree to a relative 1e-6; bootstrap SEs to 5 % (R used
    10,000 draws from its own random stream, so both carry 1-2 % Monte Carlo error); MR-PRESSO's
    global p-value agrees when both fall in the same Monte Carlo band: R printed
    ``"<1/NbDistribution"``, so mrkit's must be below 3/n_distributions; its outliers must be
    the same SNPs.

    Returns
    -------
    pandas.DataFrame
        ``dataset, package, method, quantity, mrkit, R, rel_diff, kind, tolerance, within,
        note``; ``attrs["seed"]`` holds the seed of the bootstraps and MR-PRESSO.
    """
    from ..methods.estimate import mr
    from ..methods.heterogeneity import heterogeneity, pleiotropy

    validation_dir = Path(validation_dir)
    used = resolve_seed(seed)
    rows = []
    all_methods = sorted({m for _, m, _ in _TSMR + _MR} | {"ivw_mre"})
    for name, label in _DATASETS.items():
        data = pd.read_csv(validation_dir / "harmonised" / f"{name}.csv")
        expected = json.loads((validation_dir / "expected" / f"{name}.json").read_text())
        for package, spec, conv in (("TwoSampleMR 0.7.9", _TSMR, "twosamplemr"),
                                    ("MendelianRandomization 0.10.0", _MR,
                                     "mendelianrandomization")):
            table = mr(data, methods=all_methods, convention=conv, seed=used,
                       n_boot=n_boot).set_index("method")
            for key, method, fields in spec:
                for r_field, col, kind in fields:
                    rows.append(_row(label, package, method, col, table.loc[method, col],
                                     expected[key][r_field], _KIND[kind]))
            het = heterogeneity(data, convention=conv).set_index("method")
            ple = pleiotropy(data, convention=conv).iloc[0]
            if conv == "twosamplemr":
                e = expected["TSMR_egger"]
                pairs = [("ivw", "Cochran Q", het.loc["ivw", "q"], expected["TSMR_ivw"]["Q"]),
                         ("ivw", "Cochran Q p", het.loc["ivw", "p"],
                          expected["TSMR_ivw"]["Q_pval"]),
                         ("egger", "Rucker Q'", het.loc["egger", "q"], e["Q"]),
                         ("egger", "intercept", ple["intercept"], e["b_i"]),
                         ("egger", "intercept se", ple["se"], e["se_i"]),
                         ("egger", "intercept p", ple["p"], e["pval_i"]),
                         ("ml", "Q", None, expected["TSMR_ml"]["Q"])]
            else:
                e = expected["MR_egger"]
                pairs = [("ivw", "Cochran Q", het.loc["ivw", "q"],
                          expected["MR_ivw_fixed"]["heter_q"]),
                         ("egger", "Rucker Q'", het.loc["egger", "q"], e["heter_q"]),
                         ("egger", "intercept", ple["intercept"], e["intercept"]),
                         ("egger", "intercept se", ple["se"], e["intercept_se"]),
                         ("egger", "intercept p", ple["p"], e["intercept_p"]),
                         ("egger", "I2_GX", ple["i2gx"], e["i2gx"])]
            for method, quantity, value, r_value in pairs:
                if value is None:
                    continue
                rows.append(_row(label, package, method, quantity, value, r_value,
                                 "deterministic"))

        # MR-PRESSO (R: NbDistribution = 3000)
        e = expected["PRESSO"]
        res = mr_presso(data["bx"], data["bxse"], data["by"], data["byse"],
                        snp=data["SNP"].tolist(), n_distributions=presso_n, seed=used)
        pkg = "MR-PRESSO"
        rows.append(_row(label, pkg, "presso", "global RSS", res.global_rss, e["global_rss"],
                         "deterministic"))
        for got, ref, what in ((res.raw, e["main"][0], "raw"),
                               (res.corrected, e["main"][1], "corrected")):
            if got is None:
                continue
            rows.append(_row(label, pkg, f"presso_{what}", "estimate", got["estimate"],
                             ref["Causal Estimate"], "deterministic"))
            rows.append(_row(label, pkg, f"presso_{what}", "se", got["sd"], ref["Sd"],
                             "deterministic"))
            rows.append(_row(label, pkg, f"presso_{what}", "p", got["p"], ref["P-value"],
                             "deterministic"))
        r_text = str(e["global_p"])
        bound = float(r_text.lstrip("<")) if r_text.startswith("<") else float(r_text)
        mc = 3.0 / presso_n
        agree = (res.global_p <= max(bound, mc)) if r_text.startswith("<") else \
            abs(res.global_p - bound) <= 3 * np.sqrt(bound * (1 - bound) / presso_n)
        rows.append({"dataset": label, "package": pkg, "method": "presso", "quantity": "global p",
                     "mrkit": res.global_p, "R": bound, "rel_diff": np.nan,
                     "kind": "monte_carlo", "tolerance": np.nan, "within": bool(agree),
                     "note": f"R printed {r_text}; mrkit {res.global_p_text} "
                             f"({presso_n} distributions)"})
        r_out = sorted(data["SNP"].iloc[i - 1] for i in e["outliers"])
        rows.append({"dataset": label, "package": pkg, "method": "presso", "quantity": "outliers",
                     "mrkit": float(len(res.outliers)), "R": float(len(r_out)),
                     "rel_diff": np.nan, "kind": "exact",
                     "tolerance": np.nan, "within": sorted(res.outliers) == r_out,
                     "note": f"R: {', '.join(r_out)}; mrkit: {', '.join(res.outliers)}"})
    out = pd.DataFrame(rows)
    out.attrs["seed"] = used
    return out


def presso_simulated_example(validation_dir: Path, *, presso_n: int = 3000, seed: int | None = None):
    """MR-PRESSO (:func:`mrkit.methods.presso.mr_presso`) on the 50 simulated variants MR-PRESSO ships
    (``mrpresso_summarystats_simulated.csv`` of the validation folder), exposure E1 on outcome Y; outliers are
    0-based rows. Returns the :class:`~mrkit.methods.presso.PressoResult`."""
    sim = pd.read_csv(Path(validation_dir) / "mrpresso_summarystats_simulated.csv")
    return mr_presso(sim["E1_effect"], sim["E1_se"], sim["Y_effect"], sim["Y_se"], n_distributions=presso_n,
                     seed=resolve_seed(seed))
