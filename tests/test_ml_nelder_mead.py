"""R's Nelder-Mead (``nmmin``) in mrkit, compiled (``_nmmin.c``) and its numpy fallback, against R's own numbers.

Oracles: the maximum-likelihood rows R printed (``validation/expected/<dataset>.json``, keys ``TSMR_ml`` and
``MR_maxlik``: TwoSampleMR 0.7.9 / MendelianRandomization 0.10.0, R 4.2.2, 15 significant digits), which only
R's own path reaches (the optimum is 1.6 % away on the lipids data); hand-derived properties of ``nmmin``'s
stopping rules (fail codes 0, 1, 10; ``abstol``; R's 1e35 for a non-finite value) on both ports.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from mrkit.errors import NotEstimable
from mrkit.gwas.io import read_harmonised
from mrkit.methods.ml import mr_ml
from mrkit.methods.nelder_mead import _compiled, ml_nelder_mead, ml_objective, nelder_mead_r, rsum

PORTS = [False] + ([True] if _compiled() is not None else [])
#: R prints 15 significant digits: agreement to a few units in the 15th digit is R's number, bit for bit as far
#: as R shows it
PRINTED = 5e-15


@pytest.fixture(scope="module", params=["lipids_chd_ldlc", "bmi_chd"])
def case(request, validation_dir):
    data = read_harmonised(validation_dir / "harmonised" / f"{request.param}.csv")
    arrays = tuple(data[c].to_numpy(float) for c in ("bx", "bxse", "by", "byse"))
    expected = json.loads((validation_dir / "expected" / f"{request.param}.json").read_text())
    return request.param, arrays, expected


def _start(bx, bxse, by, byse):
    return np.append(bx, rsum(bx * by / byse ** 2) / rsum(bx ** 2 / byse ** 2))


@pytest.mark.parametrize("compiled", PORTS)
def test_both_ports_give_r_s_maximum_likelihood_numbers(case, compiled):
    name, args, exp = case
    par, value, fncount, fail = ml_nelder_mead(*args, _start(*args), compiled=compiled)
    k = args[0].size
    assert par[k] == pytest.approx(exp["TSMR_ml"]["b"], rel=PRINTED)
    assert par[k] == pytest.approx(exp["MR_maxlik"]["estimate"], rel=PRINTED)
    assert 2 * value == pytest.approx(exp["TSMR_ml"]["Q"], rel=PRINTED)
    # R's path: it converges on the lipids data, and runs out of its 25,000 evaluations on BMI -> CHD
    assert (fail, fncount > 25000) == ((0, False) if name == "lipids_chd_ldlc" else (1, True))


def test_mr_ml_row_is_r_s_and_notes_the_unconverged_optimiser(case):
    name, args, exp = case
    res = mr_ml(*args)
    assert res["estimate"][0] == pytest.approx(exp["TSMR_ml"]["b"], rel=PRINTED)
    assert res["se"][0] == pytest.approx(exp["TSMR_ml"]["se"], rel=1e-8)  # R's Hessian: finite differences
    assert res["q_p"][0] == pytest.approx(exp["TSMR_ml"]["Q_pval"], rel=1e-10)
    assert bool(res["converged"][0]) == (name == "lipids_chd_ldlc")
    assert ("maxit = 25000" in res["note"][0]) == (name == "bmi_chd")


def _quadratic(point):
    return float(np.sum((np.asarray(point) - [1.0, -2.0, 0.5]) ** 2))


def test_the_numpy_port_minimises_a_quadratic_to_its_tolerance():
    par, value, count, fail = nelder_mead_r(_quadratic, np.zeros(3))
    assert fail == 0 and value < 1e-6
    np.testing.assert_allclose(par, [1.0, -2.0, 0.5], atol=1e-3)
    # vectorised and one-point-per-call forms take the same path
    rows = nelder_mead_r(lambda pts: [_quadratic(p) for p in pts], np.zeros(3), vectorised=True)
    assert rows[2:] == (count, fail) and rows[1] == value and np.array_equal(rows[0], par)


def _sample(seed: int, k: int):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.02, 0.3, k) * rng.choice([-1.0, 1.0], k)
    bxse = rng.uniform(0.003, 0.03, k)
    by = 0.4 * bx + rng.normal(0, 0.02, k)
    return bx, bxse, by, rng.uniform(0.01, 0.05, k)


@pytest.mark.parametrize("compiled", PORTS)
def test_stopping_rules_of_nmmin(compiled):
    """fail 1 when the evaluations exceed maxit (R stops after the step that passes it); fail 0 once the simplex's
    values are within reltol; abstol stops as soon as the best value is below it; a negative reltol never
    converges, so the simplex shrinks until it no longer gets smaller: fail 10."""
    args = _sample(11, 9)
    start = np.append(args[0], 0.3)
    fn = ml_objective(*args)
    par, value, count, fail = ml_nelder_mead(*args, start, compiled=compiled, maxit=300)
    assert fail == 1 and 300 < count <= 303 and value == fn(par) and value < fn(start)
    par, best, full_count, fail = ml_nelder_mead(*args, start, compiled=compiled)
    assert fail == 0 and best == fn(par) and best < value
    stop = (fn(start) + best) / 2
    par, value, count, fail = ml_nelder_mead(*args, start, compiled=compiled, abstol=stop)
    assert fail == 0 and best < value <= stop and count < full_count
    par, value, count, fail = ml_nelder_mead(*args, start, compiled=compiled, reltol=-0.5, maxit=20000)
    assert fail == 10 and count <= 20000


@pytest.mark.parametrize("compiled", PORTS)
@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_a_non_finite_objective_counts_as_r_s_big_value_and_a_bad_start_is_refused(compiled):
    bx, bxse, by, byse = _sample(12, 5)
    bxse = bxse.copy()
    bxse[2] = 1e-160  # (bx - g)^2 / bxse^2 overflows as soon as g moves off bx: R's 1e35 there
    start = np.append(bx, 0.1)
    par, value, count, fail = ml_nelder_mead(bx, bxse, by, byse, start, compiled=compiled, maxit=3000)
    assert value < 1e35 and par[2] == bx[2]  # every vertex that moved g_3 lost to R's big value
    with pytest.raises(NotEstimable, match="initial parameters"):
        ml_nelder_mead(bx, bxse, by, byse, np.append(bx + 1.0, 0.1), compiled=compiled)
