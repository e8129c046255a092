"""Every estimator is written once, over replicates: the registry's ids, batch rows against batches of one, R's
numbers through the batch path, and the seeding rule.

Oracles: R's numbers (``validation/expected/*.json``: TwoSampleMR 0.7.9 / MendelianRandomization 0.10.0, R 4.2.2);
scipy (the profile-likelihood optimum); seeded Monte Carlo checks with their tolerance derived in the test.
A batch row must equal the same dataset run alone, exactly: that is what "one implementation" means here.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from mrkit.errors import InputError, NotEstimable
from mrkit.methods.conventions import get_convention
from mrkit.methods.ml import ml_profile
from mrkit.methods.registry import Context, get_method, method_ids, register, run_method
from mrkit.methods.replicates import as_batch, replicate_rngs, replicate_seeds, result_rows

SEED = 20240601


def stack(n_rep: int = 3, k: int = 12, beta: float = 0.3, seed: int = SEED):
    """A seeded stack of summary datasets with heterogeneity (some pleiotropy) and mixed signs."""
    rng = np.random.default_rng(seed)
    gamma = rng.uniform(0.02, 0.12, (n_rep, k)) * rng.choice([-1.0, 1.0], (n_rep, k))
    bxse = rng.uniform(0.004, 0.01, (n_rep, k))
    byse = rng.uniform(0.01, 0.03, (n_rep, k))
    alpha = rng.normal(0.0, 0.01, (n_rep, k))
    bx = gamma + bxse * rng.standard_normal((n_rep, k))
    by = beta * gamma + alpha + byse * rng.standard_normal((n_rep, k))
    return bx, bxse, by, byse


def _context(method_id: str, seed, conv: str = "twosamplemr", k: int = 12) -> Context:
    """What ``mrkit.mr()`` gives a method, with the optional inputs a method may need (sample sizes; an LD matrix,
    0.2^|i - j|, for the methods that read one)."""
    options = {"presso_n": 100, "ml_optimizer": "nelder_mead"}
    if get_method(method_id).uses_ld:
        options["ld"] = 0.2 ** np.abs(np.subtract.outer(np.arange(k), np.arange(k)))
    return Context(convention=get_convention(conv), seed=seed, n_boot=60, options=options,
                   snp=np.array([f"v{j}" for j in range(k)], dtype=object),
                   inputs={"samplesize.exposure": np.full(k, 20000.0), "samplesize.outcome": np.full(k, 30000.0)})


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind in "fc":
            return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        return a.shape == b.shape and all(_same(x, y) for x, y in zip(a.ravel().tolist(), b.ravel().tolist()))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) or isinstance(b, dict):  # clr's confidence sets: {"CLR": (lower bounds, upper bounds)}
        return type(a) is type(b) and a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    return a == b or (isinstance(a, float) and np.isnan(a) and np.isnan(b))


#: ids whose estimator needs more variants than the test stacks have, or takes one variant only
_ONE_SNP = {"wald_ratio"}


@pytest.mark.parametrize("method_id", method_ids())
@pytest.mark.parametrize("conv", ["twosamplemr", "mendelianrandomization"])
def test_every_method_row_equals_the_dataset_run_alone(method_id, conv):
    """Row r of a batch seeded s is the batch of one (that dataset alone) seeded s + r, exactly, for every key."""
    data = stack(k=1) if method_id in _ONE_SNP else stack()
    k = data[0].shape[1]
    batch = run_method(method_id, *data, _context(method_id, 77, conv, k))
    for key in ("estimate", "se", "ci_lower", "ci_upper", "p"):
        assert isinstance(batch[key], np.ndarray) and batch[key].shape == (3,) and batch[key].dtype == float
    for key in ("nsnp", "se_model", "distribution", "ci_distribution", "weights", "n_boot", "seed", "note"):
        assert key in batch
    assert np.isfinite(batch["estimate"]).all() or np.isfinite(batch["ci_lower"]).all()  # clr: an interval only
    for r in range(3):
        alone = run_method(method_id, *(a[r] for a in data), _context(method_id, 77 + r, conv, k))
        assert set(alone) == set(batch)
        for key, value in batch.items():
            mine = value[r:r + 1] if isinstance(value, np.ndarray) else value
            if key == "seed" and isinstance(value, np.ndarray):
                assert alone[key][0] == 77 + r
            assert _same(mine, alone[key]), (key, mine, alone[key])


def test_ids_are_registered_once_and_unknown_ids_are_refused():
    ids = method_ids()
    assert len(ids) == len(set(ids)) and {"ivw", "egger", "ml", "raps", "presso", "weighted_mode"} <= set(ids)
    with pytest.raises(RuntimeError, match="twice"):
        register("ivw", lambda data, ctx: {})
    with pytest.raises(InputError, match="unknown method 'nope'"):
        get_method("nope")
    assert get_method("ml").order == "given" and get_method("ivw").order == "canonical"


@pytest.fixture(scope="module", params=["lipids_chd_ldlc", "bmi_chd"])
def validation_case(request, validation_dir):
    d = pd.read_csv(validation_dir / "harmonised" / f"{request.param}.csv")
    arrays = [d[c].to_numpy(float) for c in ("bx", "bxse", "by", "byse")]
    return arrays, json.loads((validation_dir / "expected" / f"{request.param}.json").read_text())


def test_a_batch_of_the_validation_data_and_its_allele_flipped_copy_gives_r_s_numbers_twice(validation_case):
    """Row 0: the data; row 1: the same variants with the other allele coded (bx, by negated for every third):
    every deterministic method gives R's numbers on both rows (relative 1e-6, as tests/test_validation_r.py)."""
    (bx, bxse, by, byse), exp = validation_case
    flip = np.where(np.arange(bx.size) % 3 == 0, -1.0, 1.0)
    data = (np.stack([bx, bx * flip]), np.stack([bxse, bxse]), np.stack([by, by * flip]), np.stack([byse, byse]))
    ctx = Context(convention=get_convention("twosamplemr"), n_boot=50)
    for method_id, key in (("ivw", "TSMR_ivw"), ("ivw_fe", "TSMR_ivw_fe"), ("ivw_mre", "TSMR_ivw_mre"),
                           ("egger", "TSMR_egger")):
        res = run_method(method_id, *data, ctx)
        np.testing.assert_allclose(res["estimate"], exp[key]["b"], rtol=1e-6)
        np.testing.assert_allclose(res["se"], exp[key]["se"], rtol=1e-6)
        np.testing.assert_allclose(res["p"], exp[key]["pval"], rtol=1e-6)
        np.testing.assert_allclose(res["q"], exp[key]["Q"], rtol=1e-6)
    egger = run_method("egger", *data, ctx)
    np.testing.assert_allclose(egger["intercept_p"], exp["TSMR_egger"]["pval_i"], rtol=1e-6)
    for method_id, key in (("weighted_median", "TSMR_weighted_median"), ("simple_median", "TSMR_simple_median"),
                           ("penalised_weighted_median", "TSMR_penalised_weighted_median"),
                           ("simple_mode", "TSMR_simple_mode"), ("weighted_mode", "TSMR_weighted_mode")):
        np.testing.assert_allclose(run_method(method_id, *data, ctx)["estimate"], exp[key]["b"], rtol=1e-6)
    mr_conv = Context(convention=get_convention("mendelianrandomization"), n_boot=50)
    for method_id, key in (("ivw", "MR_ivw_default"), ("egger", "MR_egger"), ("weighted_median",
                                                                                "MR_weighted_median")):
        res = run_method(method_id, *data, mr_conv)
        np.testing.assert_allclose(res["estimate"], exp[key]["estimate"], rtol=1e-6)
        if method_id != "weighted_median":
            np.testing.assert_allclose(res["se"], exp[key]["se"], rtol=1e-6)


def test_profile_ml_is_the_optimum_scipy_finds_on_the_profile_derivative():
    """Oracle: the root of the profile's derivative (written out by hand below) found by scipy's brentq."""
    bx, bxse, by, byse = stack(n_rep=4, k=20)
    fit = ml_profile(bx, bxse, by, byse)
    assert fit["converged"].all()
    for r in range(4):
        a, sa, b, sb = bx[r], bxse[r], by[r], byse[r]

        def derivative(t, a=a, sa=sa, b=b, sb=sb):
            d = sb ** 2 + t * t * sa ** 2
            return float(np.sum(-a * (b - t * a) / d - t * sa ** 2 * (b - t * a) ** 2 / d ** 2))
        t0 = fit["theta"][r]
        root = optimize.brentq(derivative, t0 - 0.05, t0 + 0.05, xtol=1e-15, rtol=4 * np.finfo(float).eps)
        assert fit["theta"][r] == pytest.approx(root, rel=1e-12)


def test_bootstrap_se_is_within_monte_carlo_error_of_another_seed():
    """The SD of an SD from n draws is about 1/sqrt(2 n) relative: 4000 draws, 1.1 %; allow 5 of them."""
    data = stack(n_rep=4)
    ctx = Context(n_boot=4000)
    a = run_method("weighted_median", *data, Context(seed=5, n_boot=4000))
    b = run_method("weighted_median", *data, Context(seed=99, n_boot=4000))
    np.testing.assert_allclose(a["se"], b["se"], rtol=0.056)
    assert np.array_equal(a["estimate"], b["estimate"])  # the point estimate has no draws
    assert not np.array_equal(a["se"], run_method("weighted_median", *data, ctx)["se"])  # default seed differs


def test_a_replicate_that_cannot_be_estimated_is_nan_with_its_reason_and_the_others_run():
    bx, bxse, by, byse = stack(n_rep=3, k=6)
    bx[1] = np.abs(bx[1, 0]) * np.where(np.arange(6) % 2, -1.0, 1.0)  # every |bx| equal: Egger unidentifiable
    res = run_method("egger", bx, bxse, by, byse)
    assert np.isnan(res["estimate"][1]) and res["note"][1].startswith("not estimable: MR-Egger slope")
    assert np.isfinite(res["estimate"][[0, 2]]).all() and res["note"][0] == ""
    with pytest.raises(NotEstimable, match="at least 3 SNPs, got 2"):
        run_method("egger", *(a[:, :2] for a in (bx, bxse, by, byse)))


def test_seeds_of_replicates_and_their_draws():
    assert replicate_seeds(10, 3).tolist() == [10, 11, 12]
    assert replicate_seeds(np.array([5, 1]), 2).tolist() == [5, 1]
    assert replicate_seeds(None, 1).tolist() == [314159265]  # DEFAULT_SEED
    big = replicate_seeds(2 ** 63 - 2, 3)  # block seeds of the simulation study have 63 bits
    assert [int(s) for s in big] == [2 ** 63 - 2, 2 ** 63 - 1, 2 ** 63]
    first, = replicate_rngs(7, 1)
    assert first.standard_normal() == np.random.default_rng(7).standard_normal()
    with pytest.raises(InputError, match="2 seeds for 3 replicates"):
        replicate_seeds([1, 2], 3)


def test_inputs_broadcast_and_bad_values_are_located():
    bx, bxse, by, byse = stack(n_rep=3, k=8)
    res = run_method("ivw", bx, bxse[0], by, byse[0])  # SEs shared by the replicates
    assert res["estimate"].shape == (3,)
    one = run_method("ivw", bx[0], bxse[0], by[0], byse[0])
    assert one["estimate"].shape == (1,) and one["estimate"][0] == res["estimate"][0]
    rows = result_rows(one)
    assert len(rows) == 1 and isinstance(rows[0]["estimate"], float) and rows[0]["nsnp"] == 8
    bad = by.copy()
    bad[2, 5] = np.nan
    with pytest.raises(InputError, match="row 2, column 'by'.*SNP column 5"):
        as_batch(bx, bxse, bad, byse)
    with pytest.raises(InputError, match="row 5, column 'by'"):  # one dataset: the row is the variant
        as_batch(bx[2], bxse[2], bad[2], byse[2])
    with pytest.raises(InputError, match="do not broadcast"):
        as_batch(bx, bxse[:, :3], by, byse)


def test_the_order_of_the_ids_does_not_depend_on_which_module_was_imported_first():
    import subprocess
    import sys

    code = ("import mrkit.methods.presso, mrkit.methods.raps\n"
            "from mrkit.methods.registry import method_ids\nprint(','.join(method_ids()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().split(",") == list(method_ids())
    assert method_ids()[:2] == ("wald_ratio", "egger")  # registry.FAMILIES order
