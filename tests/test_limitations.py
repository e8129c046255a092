"""The limitations page's numbers: achieved power, the overlap-bias simulation, direction tables."""
import math

import pandas as pd
import pytest
from scipy import stats

from mrkit.errors import MRKitError
from mrkit.paper.direction import DirectionResult, InstrumentSummary, Pleiotropy, Presso, Steiger, Trait
from mrkit.paper.limitations import (
    achieved_power,
    data_words,
    overlap_simulation,
    pleiotropy_table,
    power_table,
    steiger_table,
    strength_table,
)
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


def _direction(exposure, outcome, se):
    """A saved direction with hand-set numbers (what the tables must carry through unchanged)."""
    empty = pd.DataFrame()
    return DirectionResult(
        exposure=Trait(exposure, exposure), outcome=Trait(outcome, outcome, binary=outcome == "lbp"),
        convention="twosamplemr", seed=1, parameters={}, harmonised=empty,
        estimates=pd.DataFrame({"method": ["ivw"], "estimate": [0.1], "se": [se], "nsnp": [12]}),
        heterogeneity=pd.DataFrame({"method": ["ivw"], "q": [10.0], "df": [11], "p": [0.5]}),
        pleiotropy=Pleiotropy(intercept=0.001, se=0.01, p=0.8, i2gx=0.95),
        presso=Presso(global_rss=12.0, global_p=0.3, global_p_text="0.3", n_distributions=1000, seed=1,
                      outliers=["a"], raw=None, corrected=None),
        steiger=Steiger(r2_exposure=0.01, r2_outcome=0.001, z=4.0, steiger_pval=1e-5, correct_causal_direction=True),
        leave_one_out=empty, single_snp=empty, robust=empty,
        instruments=InstrumentSummary(nsnp=12, mean_f=40.0, r2_exposure=0.01, samplesize_outcome=177_860),
        harmonisation_log={})


def test_power_table_uses_the_published_effect_where_there_is_one():
    dirs = [_direction("insomnia", "lbp", 0.2), _direction("sleep_duration", "lbp", 0.05)]
    t = power_table(dirs, published_results(), _Study()).set_index("exposure")
    assert t.loc["insomnia", "assumed"] == pytest.approx(math.log(1.954))
    assert t.loc["sleep_duration", "assumed"] == pytest.approx(math.log(1.1))
    assert t.loc["insomnia", "power"] == pytest.approx(achieved_power(math.log(1.954), 0.2))
    assert (t["power_bonferroni"] < t["power"]).all()


def test_diagnostic_tables_carry_the_saved_numbers():
    dirs = [_direction("insomnia", "lbp", 0.2)]
    p = pleiotropy_table(dirs)
    assert p.loc[0, "PRESSO outliers"] == 1 and p.loc[0, "I²_GX"] == 0.95 and p.loc[0, "Q p"] == 0.5
    assert p.loc[0, "direction"] == "insomnia → lbp"
    s = steiger_table(dirs)
    assert s.loc[0, "p"] == 1e-5 and bool(s.loc[0, "direction as assumed"])
    f = strength_table(dirs)
    assert f.loc[0, "mean F"] == 40.0 and f.loc[0, "approx. relative bias towards null (1/F)"] == 1 / 40


def test_diagnostic_tables_say_what_is_missing_without_presso_or_steiger():
    d = _direction("insomnia", "lbp", 0.2)
    d.presso = d.steiger = None
    p, s = pleiotropy_table([d]), steiger_table([d])
    assert p.loc[0, "PRESSO outliers"] == 0 and pd.isna(p.loc[0, "PRESSO global p"])
    assert s.loc[0, "p"] is None


def test_presso_global_p_of_zero_is_shown_below_one_over_n_as_on_the_mr_pages():
    """No simulated RSS reached the observed one: the p-value is below 1/n, never 0 (R's MR-PRESSO prints
    "<1/n"); the limitations table shows the same text as the MR pages' diagnostics."""
    from dataclasses import replace

    from mrkit.paper.tables import styled

    d = _direction("insomnia", "lbp", 0.2)
    d.presso = replace(d.presso, global_p=0.0, n_distributions=3000)
    cell = pleiotropy_table([d]).loc[0, "PRESSO global p"]
    assert cell == "< 0.00033"  # 1/3000, two significant digits
    assert "&lt; 0.00033</td>" in styled(pleiotropy_table([d])).to_html()  # as the page prints it


def test_power_table_with_one_assumed_effect_and_another_power_level():
    dirs = [_direction("insomnia", "lbp", 0.2), _direction("sleep_duration", "lbp", 0.05)]
    t = power_table(dirs, published_results(), _Study(), assumed_or=1.5).set_index("exposure")
    assert list(t["assumed"]) == pytest.approx([math.log(1.5)] * 2)
    assert t.loc["insomnia", "power"] == pytest.approx(achieved_power(math.log(1.5), 0.2))
    with pytest.raises(MRKitError, match="assumed_or"):
        power_table(dirs, published_results(), _Study(), assumed_or=0)
    with pytest.raises(MRKitError, match="power_level"):
        power_table(dirs, published_results(), _Study(), power=1.2)


def test_power_and_coverage_sentences_name_their_data():
    assert "synthetic panel" in data_words("synthetic") and "not the study" in data_words("synthetic")
    assert "real GWAS files" in data_words("real") and "OpenGWAS" in data_words("opengwas")
