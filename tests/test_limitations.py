"""The limitations page's numbers: achieved power, the overlap-bias simulation, direction tables."""
import math

import pytest
from scipy import stats

from mrkit.paper.limitations import achieved_power, overlap_simulation, pleiotropy_table, power_table, steiger_table
from mrkit.paper.report import published_results


def test_achieved_power_matches_the_normal_formula_and_limits():
    assert achieved_power(0.0, 1.0) == pytest.approx(0.05)
    # effect of 2.8 SE: power about 0.80 at alpha 0.05 (1.96 + 0.84)
    assert achieved_power(2.8, 1.0) == pytest.approx(stats.norm.sf(1.96 - 2.8) + stats.norm.cdf(-1.96 - 2.8), rel=1e-3)
    assert achieved_power(2.8, 1.0) == pytest.approx(0.80, abs=0.005)
    assert achieved_power(-2.8, 1.0) == achieved_power(2.8, 1.0)


def test_overlap_simulation_shows_dilution_without_overlap_and_pull_with_it():
    sim = overlap_simulation(quick=True, seed=7)
    t = sim.table.set_index(["instruments", "overlap"])
    weak_sep, weak_full = t.loc[("weak", 0.0)], t.loc[("weak", 1.0)]
    # separate samples: weak instruments dilute towards zero by about 1/F (Burgess et al. 2016)
    assert weak_sep["mean IVW"] < 0.1 - 3 * weak_sep["MC SE"]
    assert weak_sep["relative bias"] == pytest.approx(-1 / weak_sep["mean F"], abs=0.06)
    # full overlap: pulled towards the observational association, about (obs - beta)/F of the way
    expected = 0.1 + (0.4 - 0.1) / weak_full["mean F"]
    assert weak_full["mean IVW"] == pytest.approx(expected, abs=0.02)
    # stronger instruments: much smaller bias either way
    assert abs(t.loc[("stronger", 1.0)]["relative bias"]) < abs(weak_full["relative bias"]) / 5
    assert sim.seed == 7 and sim.n_rep == 2000


class _Study:
    sources = {}

    @staticmethod
    def label(t):
        return t


def _direction(exposure, outcome, se):
    return {"exposure": exposure, "outcome": outcome,
            "methods": [{"method": "ivw", "estimate": 0.1, "se": se, "nsnp": 12}],
            "heterogeneity": [{"method": "ivw", "q": 10.0, "df": 11, "p": 0.5}],
            "pleiotropy": {"intercept": 0.001, "p": 0.8, "i2gx": 0.95},
            "presso": {"global_p": 0.3, "outliers": ["a"]},
            "steiger": {"r2_exposure": 0.01, "r2_outcome": 0.001, "correct_causal_direction": True,
                        "steiger_pval": 1e-5},
            "instruments": {"r2_exposure": 0.01, "samplesize_outcome": 177_860}}


def test_power_table_uses_the_published_effect_where_there_is_one():
    dirs = [_direction("insomnia", "lbp", 0.2), _direction("sleep_duration", "lbp", 0.05)]
    t = power_table(dirs, published_results(), _Study()).set_index("exposure")
    assert t.loc["insomnia", "assumed"] == pytest.approx(math.log(1.954))
    assert t.loc["sleep_duration", "assumed"] == pytest.approx(math.log(1.1))
    assert t.loc["insomnia", "power"] == pytest.approx(achieved_power(math.log(1.954), 0.2))
    assert (t["power_bonferroni"] < t["power"]).all()


def test_diagnostic_tables_carry_the_saved_numbers():
    dirs = [_direction("insomnia", "lbp", 0.2)]
    p = pleiotropy_table(dirs, _Study())
    assert p.loc[0, "PRESSO outliers"] == 1 and p.loc[0, "I²_GX"] == 0.95
    s = steiger_table(dirs, _Study())
    assert s.loc[0, "p"] == 1e-5 and bool(s.loc[0, "direction as assumed"])
