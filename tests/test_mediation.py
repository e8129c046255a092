"""MR mediation (mrkit.methods.mediation): delta-method SEs against simulation and the formulas by hand.

Independent checks: the delta-method SE of a product and of a ratio against the SD of 400,000 simulated
draws (seeded; the first-order approximation is accurate when the estimates are many SEs from 0), and the
Carter et al. (2021, Eur J Epidemiol 36:465-478) formulas written out.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from mrkit.errors import InputError
from mrkit.methods.mediation import difference_method, mediation_table, product_of_coefficients, proportion_mediated


def test_product_of_coefficients_by_hand():
    r = product_of_coefficients(0.4, 0.05, 0.3, 0.06)
    assert r["estimate"] == pytest.approx(0.12)
    assert r["se"] == pytest.approx(math.sqrt(0.4 ** 2 * 0.06 ** 2 + 0.3 ** 2 * 0.05 ** 2))
    assert r["ci_lower"] == pytest.approx(0.12 - 1.959963984540054 * r["se"])


def test_delta_method_se_matches_simulation():
    rng = np.random.default_rng(20240601)
    a, sa, b, sb = 0.5, 0.04, 0.25, 0.02
    draws = rng.normal(a, sa, 400_000) * rng.normal(b, sb, 400_000)
    assert product_of_coefficients(a, sa, b, sb)["se"] == pytest.approx(draws.std(), rel=0.01)
    ind, s_ind, tot, s_tot = 0.05, 0.004, 0.6, 0.03
    ratio = rng.normal(ind, s_ind, 400_000) / rng.normal(tot, s_tot, 400_000)
    assert proportion_mediated(ind, s_ind, tot, s_tot)["se"] == pytest.approx(ratio.std(), rel=0.02)


def test_difference_method_and_table():
    d = difference_method(0.67, 0.13, 0.62, 0.14)
    assert d["estimate"] == pytest.approx(0.05) and d["se"] == pytest.approx(math.hypot(0.13, 0.14))
    t = mediation_table(total=(0.67, 0.13), direct=(0.62, 0.14), alpha=(0.2, 0.03), beta=(0.24, 0.05))
    assert list(t["quantity"]) == ["total", "direct", "indirect", "proportion", "indirect", "proportion"]
    prop = t[(t["quantity"] == "proportion") & (t["method"] == "product")].iloc[0]
    assert prop["estimate"] == pytest.approx(0.2 * 0.24 / 0.67)
    assert prop["ci_lower"] < prop["estimate"] < prop["ci_upper"]


def test_bad_input_is_refused_and_weak_total_noted():
    with pytest.raises(InputError, match="se_alpha"):
        product_of_coefficients(0.1, 0.0, 0.2, 0.1)
    with pytest.raises(InputError, match="undefined"):
        proportion_mediated(0.1, 0.01, 0.0, 0.1)
    assert "unstable" in proportion_mediated(0.01, 0.01, 0.1, 0.1)["note"]
