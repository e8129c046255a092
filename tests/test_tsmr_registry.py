"""Every method id of the TwoSampleMR/RadialMR families, run through the registry as ``mrkit.mr()`` will: the result
has the contract's shapes and row keys, row r of a batch seeded s equals the batch of one seeded s + r exactly, and
each module's MethodInfo records match its registered ids (the estimator contract, sections 2-4 and 6)."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from mrkit.methods.method_info import ASSUMPTION_FAMILIES
from mrkit.methods.registry import Context, get_method, run_method

MODULES = ("sign_concordance", "grip", "rucker", "egger_bootstrap", "mode_nome", "radial", "radial_exact")
INFOS = [info for name in MODULES for info in importlib.import_module(f"mrkit.methods.{name}").METHODS]
IDS = [info.id for info in INFOS]


def batch(seed: int = 2, n_rep: int = 3, k: int = 12):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.3, (n_rep, k))
    bxse, byse = rng.uniform(0.01, 0.03, (n_rep, k)), rng.uniform(0.02, 0.05, (n_rep, k))
    by = 0.4 * bx + rng.normal(0, 1, (n_rep, k)) * byse + rng.normal(0.005, 0.01, (n_rep, k))
    return bx, bxse, by, byse


def test_ids_are_unique_and_described():
    assert len(IDS) == len(set(IDS)) == 17
    for info in INFOS:
        assert info.family in ASSUMPTION_FAMILIES
        assert info.idea.count(". ") >= 1 and info.formula and info.trades and info.when and info.r_function
        assert get_method(info.id).row_keys == info.extra_keys


@pytest.mark.parametrize("method_id", IDS)
def test_batch_rows_equal_batches_of_one(method_id):
    bx, bxse, by, byse = batch()
    snp = np.array([f"rs{j}" for j in range(12)])
    ctx = lambda seed: Context(seed=seed, n_boot=40, snp=snp, options={"radial_n_boot": 30})  # noqa: E731
    res = run_method(method_id, bx, bxse, by, byse, ctx(100))
    for key in ("estimate", "se", "ci_lower", "ci_upper", "p"):
        assert np.shape(res[key]) == (3,), key
    for key in get_method(method_id).row_keys:
        value = res[key]
        assert not isinstance(value, list) and (not isinstance(value, np.ndarray) or value.shape[0] == 3), key
    for r in range(3):
        one = run_method(method_id, bx[r], bxse[r], by[r], byse[r], ctx(100 + r))
        for key in ("estimate", "se", "p", *get_method(method_id).row_keys):
            a, b = np.asarray(one[key])[0] if isinstance(one[key], np.ndarray) else one[key], \
                np.asarray(res[key])[r] if isinstance(res[key], np.ndarray) else res[key]
            assert a == b or (a != a and b != b), (method_id, key, r)


def test_nome_modes_asked_together_equal_asked_alone():
    bx, bxse, by, byse = batch(5)
    both = Context(seed=7, n_boot=60, requested=("simple_mode_nome", "weighted_mode_nome"))
    for method_id in ("simple_mode_nome", "weighted_mode_nome"):
        alone = run_method(method_id, bx, bxse, by, byse, Context(seed=7, n_boot=60))
        shared = run_method(method_id, bx, bxse, by, byse, both)
        assert np.array_equal(alone["estimate"], shared["estimate"]) and np.array_equal(alone["se"], shared["se"])
    assert len(both._shared) == 1  # one bootstrap for the two ids
