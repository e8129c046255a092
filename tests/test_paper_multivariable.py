"""The multivariable page's logic (mrkit.paper.multivariable) on the small synthetic panel, default seed.

Acceptance of the page: the MVMR of the three sleep traits recovers insomnia's planted effect on LBP within its
95 % CI and leaves the two null traits' CIs covering 0; the planted mediation is Lu et al.'s 7.12 %;
restricting the instruments to insomnia's own lowers the other exposures' conditional F below 10.
"""
from __future__ import annotations

import pytest

from mrkit.paper import multivariable as mvp
from mrkit.paper import study as study_mod

SLEEP = ["insomnia", "sleep_duration", "daytime_sleepiness"]


@pytest.fixture(scope="module")
def page():
    study = study_mod.Study(panel_size="small")
    sleep = mvp.mv_analysis(study, SLEEP, "lbp", n_boot=200)
    return study, sleep


def test_sleep_traits_together_recover_the_truth(page):
    study, sleep = page
    target = mvp.planted_target(study.truth, SLEEP, "lbp")
    # no sleep trait reaches LBP through another, so each MVMR target is the total effect (BMI's share included)
    assert target == pytest.approx({e: study.truth["causal_effects"][f"{e}->lbp"]["beta"] for e in SLEEP})
    for e in SLEEP:
        row = sleep.estimate(e, "mv_ivw")
        assert row["ci_lower"] <= target[e] <= row["ci_upper"], (e, row["estimate"], target[e])
    assert sleep.estimate("insomnia")["p"] < 0.05
    assert all(f > 10 for f in sleep.strength.values())
    table = mvp.comparison_table(sleep, study)
    assert list(table["exposure"]) == ["Insomnia", "Sleep duration", "Daytime sleepiness"]
    assert mvp.recovery_text(sleep, table).startswith("On the synthetic panel (simulated data, where the truth is "
                                                      "planted), the MV-IVW 95 % interval covers the planted target "
                                                      "for 3 of 3 "
                                                      "exposures (Insomnia, Sleep duration, Daytime sleepiness).")
    shifted = table.assign(**{"planted MVMR target": table["planted MVMR target"] + [5.0, 0.0, 0.0]})
    text = mvp.recovery_text(sleep, shifted)
    assert "2 of 3" in text and "misses it for Insomnia" in text and "planted 5.67" in text


def test_mediation_table_carries_the_planted_share(page):
    study, _ = page
    med = mvp.mediation(study, analysis=mvp.mv_analysis(study, ["insomnia", "bmi"], "lbp", n_boot=200))
    t = med["table"]
    direct = t[t["quantity"] == "direct"].iloc[0]  # the MVMR of insomnia and BMI targets the direct edge
    assert direct["planted"] == pytest.approx(mvp.planted_target(study.truth, ["insomnia", "bmi"], "lbp")["insomnia"])
    prop = t[(t["quantity"] == "proportion") & (t["method"] == "product")].iloc[0]
    assert prop["planted"] == pytest.approx(0.0712, abs=1e-4)
    assert prop["ci_lower"] <= 0.0712 <= prop["ci_upper"]
    total = t[t["quantity"] == "total"].iloc[0]
    assert total["ci_lower"] <= total["planted"] <= total["ci_upper"]


def test_weak_conditional_instruments(page):
    study, sleep = page
    weak = mvp.weak_conditional(study, SLEEP, analysis=sleep)
    only = weak[weak["instruments"] == "Insomnia instruments only"].set_index("exposure")
    assert (only.loc[["Sleep duration", "Daytime sleepiness"], "conditional F"] < 10).all()
    full = weak[weak["instruments"] == "all joint instruments"].set_index("exposure")
    assert (only["SE"] > full["SE"]).all()
    text = mvp.weak_conditional_text(weak)
    assert text.startswith("With insomnia's instruments only, the conditional F of sleep duration and daytime")
    f_duration, f_sleepiness = (only.loc[t, "conditional F"] for t in ("Sleep duration", "Daytime sleepiness"))
    assert f"to {f_duration:.1f} and {f_sleepiness:.1f}" in text
