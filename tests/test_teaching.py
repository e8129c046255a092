"""Teaching helpers: simulation summaries with Monte Carlo SEs, the simulation itself, validation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.paper import harmonisation_examples, simulation_study, validation


def _fits(estimates, ses, truth, lower=None, upper=None, p=None):
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(ses, dtype=float)
    return pd.DataFrame({"scenario": "s", "beta": truth, "method": "m", "estimate": est, "se": se,
                         "ci_lower": est - 1.96 * se if lower is None else lower,
                         "ci_upper": est + 1.96 * se if upper is None else upper,
                         "p": np.full(est.size, 0.5) if p is None else p})


def test_summary_by_hand():
    # four replicates, truth 1: errors -0.5, 0, 0.5, 1 -> bias 0.25; SD of estimates
    f = _fits([0.5, 1.0, 1.5, 2.0], [0.1, 0.3, 0.3, 0.3], 1.0, p=[0.01, 0.2, 0.04, 0.5])
    s = simulation_study.summarise_simulation(f).iloc[0]
    sd = np.std([0.5, 1.0, 1.5, 2.0], ddof=1)
    assert s["bias"] == pytest.approx(0.25)
    assert s["bias_mcse"] == pytest.approx(sd / 2)
    assert s["empirical_se"] == pytest.approx(sd)
    assert s["empirical_se_mcse"] == pytest.approx(sd / np.sqrt(6))
    assert s["model_se"] == pytest.approx(0.25)
    # CIs: [0.304,0.696] misses 1; [0.412,1.588], [0.912,2.088] cover; [1.412,2.588] misses
    assert s["coverage"] == pytest.approx(0.5)
    assert s["coverage_mcse"] == pytest.approx(np.sqrt(0.25 / 4))
    assert s["rejection"] == pytest.approx(0.5)
    assert s["rejection_measure"] == "power"
    null = simulation_study.summarise_simulation(_fits([0.1, -0.1, 0.0], [1, 1, 1], 0.0)).iloc[0]
    assert null["rejection_measure"] == "type_i_error"
    assert null["rejection"] == 0.0 and null["rejection_mcse"] == 0.0


def test_summary_excludes_failed_replicates_and_checks_columns():
    f = _fits([1.0, np.nan, 1.2], [0.1, 0.1, 0.1], 1.0)
    s = simulation_study.summarise_simulation(f).iloc[0]
    assert s["n_rep"] == 2 and s["n_failed"] == 1
    with pytest.raises(InputError, match="ci_lower"):
        simulation_study.summarise_simulation(f.drop(columns="ci_lower"))


def test_summary_mcse_matches_spread_across_seeds():
    # the coverage MCSE formula predicts how much coverage varies between independent studies
    rng = np.random.default_rng(12)
    covs, mcses = [], []
    for _ in range(200):
        est = rng.normal(0.0, 1.0, 300)
        s = simulation_study.summarise_simulation(_fits(est, np.ones(300), 0.0)).iloc[0]
        covs.append(s["coverage"])
        mcses.append(s["coverage_mcse"])
    assert np.mean(covs) == pytest.approx(0.95, abs=0.005)
    assert np.std(covs) == pytest.approx(np.mean(mcses), rel=0.2)


def test_ivw_covers_at_95_percent_with_valid_instruments_quick_size():
    design = simulation_study.simulation_design(quick=True)
    fits = simulation_study.run_simulation(["valid"], {**design, "betas": (0.05,)}, seed=314159265,
                                   methods=["ivw"])
    s = simulation_study.summarise_simulation(fits).iloc[0]
    assert s["n_rep"] == design["n_rep"]
    assert abs(s["coverage"] - 0.95) <= 3 * np.sqrt(0.95 * 0.05 / s["n_rep"])
    assert abs(s["bias"]) <= 3 * s["bias_mcse"]


def test_quick_simulation_has_every_method_and_directional_pleiotropy_biases_ivw():
    design = {**simulation_study.simulation_design(quick=True), "n_rep": 40}
    fits = simulation_study.run_simulation(["directional_pleiotropy"], design, seed=5)
    assert set(fits["method"]) == set(simulation_study.SIM_METHODS)
    assert len(fits) == 40 * len(design["betas"]) * len(simulation_study.SIM_METHODS)
    # one seed per block of replicates, spawned from SeedSequence(5) per scenario (index 2) and effect
    seeds = simulation_study.block_seeds(5, 2, 0, 1) + simulation_study.block_seeds(5, 2, 1, 1)
    assert set(fits["sim_seed"]) == set(seeds)
    s = simulation_study.summarise_simulation(fits).set_index(["beta", "method"])
    ivw = s.loc[(0.0, "ivw")]
    assert ivw["bias"] > 4 * ivw["bias_mcse"]  # pleiotropy with positive mean pushes IVW up
    again = simulation_study.run_simulation(["directional_pleiotropy"], design, seed=5)
    pd.testing.assert_frame_equal(fits, again)
    with pytest.raises(InputError, match="scenario"):
        simulation_study.run_simulation(["nonsense"], design, seed=1)


def test_presso_corrected_ivw_removes_planted_outlier():
    from mrkit.methods.presso import presso_estimates
    from mrkit.simulate.scenarios import simulate_mr_summary
    sim = simulate_mr_summary(5, 30, beta=0.05, scenario="outliers", n_outliers=2, outlier_se=15,
                              seed=3)
    out = presso_estimates(sim.bx, sim.bxse, sim.by, sim.byse, n_distributions=300, seed=9)
    assert (out["n_outliers"] >= 1).all() and out["seed"].tolist() == [9, 10, 11, 12, 13]
    assert np.all(np.abs(out["estimate"] - 0.05) < 4 * out["se"])


def test_validation_comparison_agrees_with_r(validation_dir):
    table = validation.validation_comparison(validation_dir, n_boot=2000, presso_n=1000)
    assert table.attrs["seed"] == 314159265
    assert {"deterministic", "bootstrap", "monte_carlo", "exact"} <= set(table["kind"])
    assert len(table) > 100
    bad = table[~table["within"]]
    assert bad.empty, bad.to_string()
    det = table[table["kind"] == "deterministic"]
    assert (det["rel_diff"] <= 1e-6).all()


def test_validation_folder_absent_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("MRKIT_SHARED", str(tmp_path))
    assert validation.shared_validation_dir() is None
    (tmp_path / "validation").mkdir()
    assert validation.shared_validation_dir() == tmp_path / "validation"
    assert validation.shared_validation_dir({"MRKIT_SHARED": str(tmp_path / "nowhere")}) is None


def test_harmonisation_cases_follow_the_twosamplemr_rule_table():
    x, y = harmonisation_examples.harmonisation_cases()
    t = x[["SNP", "case"]].merge(harmonisation_examples.harmonisation_by_action(x, y), on="SNP").set_index("case")
    # correct alignment gives +0.05 for every variant action 2 keeps
    kept2 = t[t["used (action 2)"]]
    assert (kept2["beta.outcome (action 2)"] == 0.05).all()
    assert not t.loc["Incompatible alleles", ["used (action 1)", "used (action 2)",
                                              "used (action 3)"]].any()
    assert t.loc["Incompatible alleles", "remove"]
    opposite = t.loc["Palindromic A/T, EAFs on opposite sides of 0.5"]
    assert opposite["used (action 1)"] and opposite["beta.outcome (action 1)"] == -0.05
    assert opposite["beta.outcome (action 2)"] == 0.05
    for case in ("Palindromic C/G, EAF 0.45 (ambiguous)", "Palindromic A/T, outcome EAF missing"):
        assert t.loc[case, "ambiguous"] and t.loc[case, "used (action 1)"]
        assert not t.loc[case, "used (action 2)"]
    assert not t.loc["Palindromic A/T, outcome EAF 0.41 (outside 0.42-0.58)", "ambiguous"]
    assert (~t.loc[t["palindromic"], "used (action 3)"]).all()
    for case in ("Alleles swapped", "Opposite strand", "Opposite strand and swapped"):
        assert t.loc[case, "used (action 3)"] and t.loc[case, "beta.outcome (action 3)"] == 0.05


def test_skipping_harmonisation_biases_ivw():
    from mrkit import mr
    from mrkit.gwas.harmonise import harmonise
    x, y, swapped = harmonisation_examples.allele_coding_example(n_snps=30, beta=0.3, seed=11)
    assert 5 < swapped.sum() < 25
    assert (y.loc[swapped, "beta.outcome"].to_numpy()
            * x.loc[swapped, "beta.exposure"].to_numpy() <= 0.0).mean() > 0.8
    naive = mr(x.merge(y, on="SNP"), methods=["ivw"]).iloc[0]
    fixed = mr(harmonise(x, y), methods=["ivw"]).iloc[0]
    assert fixed["ci_lower"] <= 0.3 <= fixed["ci_upper"]
    assert naive["ci_upper"] < 0.3
