"""Every method id of the MendelianRandomization/MVMR families of issue 23 through the registry, as ``mrkit.mr()`` will
run it: the result has the contract's shapes and row keys, row r of a batch seeded s equals the batch of one seeded
s + r exactly, a method that cannot run says why in one line, and each module's MethodInfo records match its
registered ids (the estimator contract, sections 2-6). The modules are not in ``registry.FAMILIES`` yet (the lead
adds them when integrating), so the test imports them itself.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from methods2_reference import inputs, load

from mrkit.errors import NotEstimable
from mrkit.methods import registry
from mrkit.methods.method_info import ASSUMPTION_FAMILIES
from mrkit.methods.mvdata import as_mvdata
from mrkit.methods.registry import Context, get_method, run_method

MODULES = ("divw", "conmix", "mrlasso", "cml", "robust_regression", "hetpen", "clr", "pcgmm", "mvcml",
           "mv_diagnostics")
LOADED = {name: importlib.import_module(f"mrkit.methods.{name}") for name in MODULES}
INFOS = [info for module in LOADED.values() for info in module.METHODS]
UNIVARIABLE_IDS = [info.id for info in INFOS if info.id in registry._REGISTRY]
MV_IDS = [info.id for info in INFOS if info.id in registry._MV_REGISTRY]
SIZES = {"samplesize.exposure": np.full(12, 50000.0), "samplesize.outcome": np.full(12, 80000.0)}


def batch(seed: int = 2, n_rep: int = 3, k: int = 12):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.3, (n_rep, k))
    bxse, byse = rng.uniform(0.01, 0.03, (n_rep, k)), rng.uniform(0.02, 0.05, (n_rep, k))
    by = 0.4 * bx + rng.normal(0, 1, (n_rep, k)) * byse + rng.normal(0.005, 0.01, (n_rep, k))
    return bx, bxse, by, byse


def test_ids_metadata_and_quirks():
    ids = [info.id for info in INFOS]
    assert len(ids) == len(set(ids)) == 18
    assert set(UNIVARIABLE_IDS) == {"divw", "pivw", "conmix", "lasso", "cml", "ivw_robust", "ivw_penalised",
                                    "ivw_penalised_robust", "egger_robust", "egger_penalised",
                                    "egger_penalised_robust", "hetpen", "clr", "pcgmm"}
    assert set(MV_IDS) == {"mv_lasso", "mv_cml"}
    for info in INFOS:
        assert info.family in ASSUMPTION_FAMILIES
        assert info.idea.count(". ") >= 1 and info.formula and info.trades and info.when and info.r_function
        if info.id in registry._REGISTRY:
            assert get_method(info.id).row_keys == info.extra_keys
    for module in LOADED.values():
        assert set(getattr(module, "QUIRKS", {})) <= {info.id for info in module.METHODS}


@pytest.mark.parametrize("method_id", UNIVARIABLE_IDS)
def test_batch_rows_equal_batches_of_one(method_id):
    bx, bxse, by, byse = batch()
    ctx = lambda seed: Context(seed=seed, n_boot=40, inputs=SIZES, options={"pivw_n_boot": 50})  # noqa: E731
    res = run_method(method_id, bx, bxse, by, byse, ctx(100))
    for key in ("estimate", "se", "ci_lower", "ci_upper", "p"):
        assert np.shape(res[key]) == (3,), key
    for key, value in res.items():
        assert not isinstance(value, list), key  # the contract: arrays per replicate or one shared value
    for key in get_method(method_id).row_keys:
        assert isinstance(res[key], np.ndarray) and res[key].shape[0] == 3, key
    for r in range(3):
        one = run_method(method_id, bx[r], bxse[r], by[r], byse[r], ctx(100 + r))
        for key in ("estimate", "se", "ci_lower", "ci_upper", "p", *get_method(method_id).row_keys):
            assert np.array_equal(one[key][0], res[key][r], equal_nan=True), (method_id, key, r)


@pytest.mark.parametrize("method_id,message", [("hetpen", "2\\^J - 1 subsets"), ("cml", "samplesize.exposure"),
                                               ("clr", "GWAS sample sizes"), ("pcgmm", "samplesize")])
def test_methods_that_cannot_run_say_why(method_id, message):
    bx, bxse, by, byse = batch(k=25)
    with pytest.raises(NotEstimable, match=message):
        run_method(method_id, bx, bxse, by, byse, Context())


def test_multivariable_registry_rows_equal_r():
    """The registry rows of mv_lasso and mv_cml on the lipids data are R's numbers (expected/methods2/lipids_chd_mv)."""
    from methods2_reference import assert_close, block
    bx, bxse, by, byse = inputs("lipids_chd_mv")
    meta = load("lipids_chd_mv")
    frame = {"SNP": meta["input"]["SNP"], "by": by, "byse": byse}
    for i, name in enumerate(("ldl", "hdl", "tg")):
        frame[f"bx_{name}"], frame[f"bxse_{name}"] = bx[:, i], bxse[:, i]
    data = as_mvdata(frame).canonical()
    ctx = Context(options={"n": meta["n_cml"]})
    for method_id, key in (("mv_lasso", "mr_mvlasso"), ("mv_cml", "mr_mvcML")):
        rows = registry._MV_REGISTRY[method_id].run(data, ctx)
        ref = block("lipids_chd_mv", key)
        assert [row["exposure_index"] for row in rows] == [0, 1, 2]
        assert_close([row["estimate"] for row in rows], ref["Estimate"], what=method_id)
        assert_close([row["se"] for row in rows], ref["StdError"], what=method_id)
