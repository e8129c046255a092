"""Instrument strength: F statistics and R2 rules of TwoSampleMR, checked by independent algebra."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.methods.strength import (
    f_from_r2,
    f_statistic,
    instrument_strength,
    mean_f,
    p_from_r2n,
    r2_from_bsen,
    r2_from_eaf,
    r2_from_lor,
    r_from_bsen,
    r_from_lor,
    r_from_pn,
    total_r2,
    weak_instrument_flags,
)


def test_f_statistic_and_weak_flags():
    f = f_statistic([0.1, -0.02, 0.05], [0.01, 0.01, 0.02])
    assert f == pytest.approx([100.0, 4.0, 6.25])
    assert weak_instrument_flags(f).tolist() == [False, True, True]
    assert weak_instrument_flags(f, threshold=5).tolist() == [False, True, False]
    assert mean_f(f) == pytest.approx(110.25 / 3)


def test_r2_rules_by_hand():
    assert r2_from_eaf([0.1], [0.3]) == pytest.approx([2 * 0.01 * 0.3 * 0.7])
    # F = 100, n = 1002: r2 = 100 / (1000 + 100)
    assert r2_from_bsen([0.1], [0.01], [1002]) == pytest.approx([100 / 1100])
    assert r_from_bsen([-0.1], [0.01], [1002]) == pytest.approx([-np.sqrt(100 / 1100)])
    assert total_r2([0.01, 0.02]) == pytest.approx(0.03)
    # 0.05 * (1000 - 10 - 1) / (0.95 * 10)
    assert f_from_r2(0.05, 1000, 10) == pytest.approx(5.205263157894737)


@pytest.mark.parametrize("n", [5_000, 339_152, 900_000])
def test_r_from_pn_round_trips_through_the_f_distribution(n):
    p = np.array([0.5, 1e-3, 5e-8, 1e-30, 1e-100, 1e-250])
    r = r_from_pn(p, np.full(p.size, float(n)))
    assert np.all(np.isfinite(r))
    back = p_from_r2n(r ** 2, np.full(p.size, float(n)))
    # R's qf switches to the chi-square approximation for df2 > 4e5, so the round trip is exact
    # only below that; above it the two differ by O(1/n)
    assert back == pytest.approx(p, rel=1e-6 if n < 4e5 else 2e-2)


def test_r_from_pn_edge_values():
    r = r_from_pn([1.0, 0.0], [100.0, 100.0])
    assert r[0] == 0.0 and np.isnan(r[1])
    with pytest.raises(InputError, match="row 1, column 'p'"):
        r_from_pn([0.5, 1.5], [100, 100])


def test_r2_from_lor_against_direct_construction():
    # Build the sample from known case and control allele frequencies, then check that the
    # reconstructed population frequency and liability r2 equal the direct computation.
    af_case = np.array([0.32, 0.10, 0.55, 0.70])
    af_ctrl = np.array([0.30, 0.12, 0.50, 0.70])
    ncase, ncontrol, prev = 13_178.0, 164_682.0, 0.07
    prop = ncase / (ncase + ncontrol)
    af_sample = prop * af_case + (1 - prop) * af_ctrl
    lor = np.log(af_case / (1 - af_case)) - np.log(af_ctrl / (1 - af_ctrl))
    popaf = prev * af_case + (1 - prev) * af_ctrl
    vg = lor ** 2 * popaf * (1 - popaf)
    expected = vg / (vg + np.pi ** 2 / 3)
    got = r2_from_lor(lor, af_sample, ncase, ncontrol, prev)
    assert got == pytest.approx(expected, rel=1e-9)
    assert got[-1] == 0.0  # odds ratio 1
    assert r2_from_lor(lor, af_sample, ncase, ncontrol, prev, model="probit") == pytest.approx(
        vg / (vg + 1), rel=1e-9)
    assert r_from_lor(lor, af_sample, ncase, ncontrol, prev, correction=True) == pytest.approx(
        np.sqrt(expected / 0.58), rel=1e-9)


def test_instrument_strength_summary(validation_dir):
    d = pd.read_csv(validation_dir / "bmi_ieu-a-2_exposure.csv")
    out = instrument_strength(d["beta.exposure"], d["se.exposure"], n=d["samplesize.exposure"])
    f = (d["beta.exposure"] / d["se.exposure"]) ** 2
    assert out["mean_F"] == pytest.approx(f.mean())
    assert out["min_F"] == pytest.approx(f.min())
    assert out["total_r2"] == pytest.approx((f / (d["samplesize.exposure"] - 2 + f)).sum())
    assert out["r2_rule"] == "F/(n-2+F)"
    by_eaf = instrument_strength(d["beta.exposure"], d["se.exposure"], eaf=d["eaf.exposure"])
    assert by_eaf["r2_rule"] == "2*b^2*f*(1-f)"


def test_bad_inputs_are_located():
    with pytest.raises(InputError, match="row 1, column 'se': se must be > 0"):
        f_statistic([0.1, 0.2], [0.01, 0.0])
    with pytest.raises(InputError, match="column 'eaf'"):
        r2_from_eaf([0.1], [1.0])
    with pytest.raises(InputError, match="expected 2"):
        r2_from_bsen([0.1, 0.2], [0.01, 0.01], [100, 100, 100])
    with pytest.raises(InputError, match="column 'n'"):
        r2_from_bsen([0.1], [0.01], [2])
    with pytest.raises(InputError, match="model"):
        r2_from_lor([0.1], [0.3], 10, 10, 0.1, model="cloglog")
    with pytest.raises(InputError, match="threshold"):
        weak_instrument_flags([10.0], threshold=-1)
