"""The registry's records of every method id (MethodInfo: what the methods chapter and the robust table say) and
the issue-23 ids' registry behaviour: NOME modes sharing a bootstrap, a method that cannot run saying why in one line,
the multivariable rows equal to R. Batches against batches of one, for every id: tests/test_registry.py.
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
from mrkit.methods.registry import Context, get_method, get_mv_method, method_ids, mv_method_ids, run_method

SIZES = {"samplesize.exposure": np.full(12, 50000.0), "samplesize.outcome": np.full(12, 80000.0)}


def batch(seed: int = 2, n_rep: int = 3, k: int = 12):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.3, (n_rep, k))
    bxse, byse = rng.uniform(0.01, 0.03, (n_rep, k)), rng.uniform(0.02, 0.05, (n_rep, k))
    by = 0.4 * bx + rng.normal(0, 1, (n_rep, k)) * byse + rng.normal(0.005, 0.01, (n_rep, k))
    return bx, bxse, by, byse


def test_every_id_has_one_record_and_its_row_keys():
    """Every registered id (univariable and multivariable) and the two MVMR diagnostics are described once, in the
    module that registers them: label, assumption family, R function, the methods chapter's idea (two sentences),
    formula, assumption traded and when to use; the registry's row_keys are the record's extra_keys; every quirk
    belongs to a method of its module. (Batches against batches of one: tests/test_registry.py, every id.)"""
    infos = registry.method_infos()
    assert list(infos)[:len(method_ids())] == list(method_ids())
    assert set(infos) == {*method_ids(), *mv_method_ids(), "conditional_f_gencov", "q_a_gencov"}
    modules = dict.fromkeys((*registry.FAMILIES, *registry.MV_FAMILIES, *registry.DIAGNOSTICS))  # mrlasso: both
    seen = [info.id for name in modules for info in importlib.import_module(f"mrkit.methods.{name}").METHODS]
    assert sorted(seen) == sorted(infos)  # each id described once
    for info in infos.values():
        assert info.family in ASSUMPTION_FAMILIES
        assert info.idea.count(". ") >= 1 and info.formula and info.trades and info.when and info.r_function
        if info.id in method_ids():
            assert get_method(info.id).row_keys == info.extra_keys, info.id
        elif info.id in mv_method_ids():
            assert get_mv_method(info.id).row_keys == info.extra_keys, info.id
    for name in (*registry.FAMILIES, *registry.MV_FAMILIES, *registry.DIAGNOSTICS):
        module = importlib.import_module(f"mrkit.methods.{name}")
        assert set(getattr(module, "QUIRKS", {})) <= {info.id for info in module.METHODS}, name
    assert set(registry.method_quirks()) <= set(infos) and "ivw_radial_exact_fe" in registry.method_quirks()


def test_nome_modes_asked_together_equal_asked_alone():
    bx, bxse, by, byse = batch(5)
    both = Context(seed=7, n_boot=60, requested=("simple_mode_nome", "weighted_mode_nome"))
    for method_id in ("simple_mode_nome", "weighted_mode_nome"):
        alone = run_method(method_id, bx, bxse, by, byse, Context(seed=7, n_boot=60))
        shared = run_method(method_id, bx, bxse, by, byse, both)
        assert np.array_equal(alone["estimate"], shared["estimate"]) and np.array_equal(alone["se"], shared["se"])
    assert len(both._shared) == 1  # one bootstrap for the two ids


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
        rows = get_mv_method(method_id)(data, ctx)
        ref = block("lipids_chd_mv", key)
        assert [row["exposure_index"] for row in rows] == [0, 1, 2]
        assert_close([row["estimate"] for row in rows], ref["Estimate"], what=method_id)
        assert_close([row["se"] for row in rows], ref["StdError"], what=method_id)
