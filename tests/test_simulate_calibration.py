"""The calibration file: complete, consistent with the model, and the study's published effects."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mrkit.errors import InputError
from mrkit.simulate.calibration import CALIBRATION_PATH, expected_loci, load_calibration


@pytest.fixture(scope="module")
def cal():
    return load_calibration()


def test_default_calibration_loads_with_the_study_sample_sizes(cal):
    # Sample sizes from published-results.md (Luo et al. 2022 and the OpenGWAS / FinnGen catalogues)
    t = cal.traits
    assert (t["insomnia"].n, t["sleep_duration"].n, t["daytime_sleepiness"].n) == (336965, 335410, 336082)
    assert (t["short_sleep"].ncase, t["short_sleep"].ncontrol) == (28980, 81208)
    assert (t["long_sleep"].ncase, t["long_sleep"].ncontrol) == (10102, 81204)
    assert (t["lbp"].ncase, t["lbp"].ncontrol) == (13178, 164682)
    assert {k: v.format for k, v in t.items()} == {
        "insomnia": "neale", "sleep_duration": "neale", "daytime_sleepiness": "neale",
        "short_sleep": "gwasvcf", "long_sleep": "gwasvcf", "lbp": "finngen", "bmi": "gwasvcf"}
    assert len(cal.chromosome_lengths) == 22 and cal.chromosome_lengths[0] == 249250621  # GRCh37 chr1


def test_planted_effects_are_the_published_estimates(cal):
    # Luo et al. (2022), via published-results.md: insomnia -> LBP OR 1.954 (the total effect, what
    # univariable MR estimates), LBP -> insomnia 1.015, LBP -> daytime sleepiness 1.011; every other direction
    # among the study's traits null. Issue 13: BMI -> LBP OR 1.18 and BMI mediating 7.12 % of insomnia -> LBP
    # (Lu et al. 2024, Hereditas, doi:10.1186/s41065-024-00341-z).
    from mrkit.simulate.calibration import ratio_estimand

    b = cal.effect_matrix()
    r = ratio_estimand(b)
    i = {k: n for n, k in enumerate(cal.trait_order)}
    assert r[i["lbp"], i["insomnia"]] == pytest.approx(math.log(1.954))
    assert b[i["insomnia"], i["lbp"]] == pytest.approx(math.log(1.015))
    assert b[i["daytime_sleepiness"], i["lbp"]] == pytest.approx(math.log(1.011))
    assert b[i["lbp"], i["bmi"]] == pytest.approx(math.log(1.18))
    indirect = b[i["bmi"], i["insomnia"]] * b[i["lbp"], i["bmi"]]
    assert indirect / r[i["lbp"], i["insomnia"]] == pytest.approx(0.0712, abs=5e-6)
    assert b[i["lbp"], i["insomnia"]] == pytest.approx(math.log(1.954) - indirect)
    assert (b != 0).sum() == 5
    study = [t for t in cal.trait_order if t != "bmi"]
    for e in ("sleep_duration", "short_sleep", "long_sleep", "daytime_sleepiness"):
        assert all(r[i[o], i[e]] == 0 for o in study if o != e)


def test_shared_instruments_are_balanced_pairs(cal):
    from mrkit.simulate.build import stream
    from mrkit.simulate.genome import make_genome
    from mrkit.simulate.sumstats import plant_effects

    assert cal.shared_traits == ("insomnia", "sleep_duration", "daytime_sleepiness")
    genome = make_genome(cal, 60_000, stream(3, "genome"))
    truth = plant_effects(cal, genome, stream(3, "effects"))
    traits = list(truth.traits)
    f = genome.alt_freq[truth.variants]
    het = np.sqrt(2 * f * (1 - f))
    for t in cal.shared_traits:
        j = traits.index(t)
        rows = np.flatnonzero((truth.owner == j) & (truth.role == "shared"))
        assert rows.size == 2 * round(cal.shared_fraction * cal.traits[t].n_causal / 2)
        own = truth.direct[rows, j] * het[rows] / cal.traits[t].sd
        for o in cal.shared_traits:
            if o == t:
                continue
            other = truth.direct[rows, traits.index(o)] * het[rows] / cal.traits[o].sd
            ratio = other / own
            assert np.allclose(np.abs(ratio), cal.shared_scale)
            pairs = _pairs_of(truth, rows, j, het)
            assert all(np.isclose(ratio[a], -ratio[b]) for a, b in pairs)


def _pairs_of(truth, rows, j, het):
    """Consecutive pairs of the chooser (sorted by joint-z strength within the trait)."""
    strength = np.abs(truth.direct[rows, j]) * het[rows]
    order = np.argsort(-strength, kind="stable")
    ranks = {r: n for n, r in enumerate(order)}
    by_rank = sorted(range(rows.size), key=lambda k: ranks[k])
    return [(by_rank[n], by_rank[n + 1]) for n in range(0, rows.size, 2)]


def test_expected_loci_follow_from_the_architecture(cal):
    for t in cal.traits.values():
        assert expected_loci(t) == pytest.approx(t.expected_loci, rel=0.15)
    # LBP: few loci at 5e-8, more at the study's reverse-direction threshold 5e-6
    assert expected_loci(cal.traits["lbp"], 5e-8) < 0.6 * expected_loci(cal.traits["lbp"], 5e-6)
    # tens of genome-wide loci for the UK Biobank sleep traits
    for key in ("insomnia", "sleep_duration", "daytime_sleepiness"):
        assert expected_loci(cal.traits[key], 5e-8) >= 20


def _edited(tmp_path, old: str, new: str):
    text = CALIBRATION_PATH.read_text()
    assert old in text
    path = tmp_path / "calibration.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_inconsistent_expected_loci_is_refused_naming_the_key(tmp_path):
    path = _edited(tmp_path, "expected_loci = 54", "expected_loci = 90")
    with pytest.raises(InputError, match=re.escape("traits.insomnia.expected_loci")) as err:
        load_calibration(path)
    assert str(path) in str(err.value)


def test_missing_and_invalid_keys_are_located(tmp_path):
    with pytest.raises(InputError, match=re.escape("traits.insomnia.sd")):
        load_calibration(_edited(tmp_path, "sd = 0.72", "sd = -0.72"))
    with pytest.raises(InputError, match="ncase"):
        load_calibration(_edited(tmp_path, "ncase = 13178", "cases = 13178"))
    with pytest.raises(InputError, match="format"):
        load_calibration(_edited(tmp_path, 'format = "finngen"', 'format = "csv"'))
    with pytest.raises(InputError, match="not found"):
        load_calibration(tmp_path / "absent.toml")
    with pytest.raises(InputError, match=re.escape("outlier.sign")):
        load_calibration(_edited(tmp_path, 'sign = "random"', 'sign = "sideways"'))
    with pytest.raises(InputError, match=re.escape("pleiotropy.pairs")):
        load_calibration(_edited(tmp_path, "pairs = true", 'pairs = "yes"'))


def test_power_design_is_documented_and_in_force(cal):
    # issue 5: the outlier's sign is a coin from the seed, pleiotropy is paired, and the insomnia
    # GWAS is deliberately stronger than the real one (tens more loci), all stated in the file
    assert cal.outlier["sign"] == "random" and cal.outlier["direct_se"] == 6.0 and cal.pleiotropy_pairs
    assert expected_loci(cal.traits["insomnia"]) >= 45
    text = CALIBRATION_PATH.read_text()
    assert "DELIBERATELY STRONGER THAN THE REAL STUDY" in text
    assert "benchmarks/power_over_seeds.py" in text


def test_old_outlier_form_still_reads_as_against(tmp_path):
    # a negative direct_se without a sign meant "against the causal direction" in the first design
    path = _edited(tmp_path, 'direct_se = 6.0\nsign = "random"', "direct_se = -6.0")
    assert load_calibration(path).outlier["sign"] == "against"


def test_calibration_hash_tracks_the_file(tmp_path, cal):
    other = load_calibration(_edited(tmp_path, "sd_se = 1.5", "sd_se = 1.0"))
    assert other.sha256 != cal.sha256 and len(cal.sha256) == 64


def test_mv_estimand_removes_the_paths_through_the_exposures_in_the_model(cal):
    """By hand on the planted graph: with BMI in the model insomnia's target is its direct edge (the
    insomnia <-> LBP loop cancels: a / (1 - ac) over 1 / (1 - ac)) and BMI's is log(1.18); without BMI the target
    is the total effect; the other sleep traits, which reach LBP by no path, have target 0."""
    from mrkit.simulate.calibration import mv_estimand, ratio_estimand

    b = cal.effect_matrix()
    i = {k: n for n, k in enumerate(cal.trait_order)}
    ins_bmi = mv_estimand(b, [i["insomnia"], i["bmi"]], i["lbp"])
    assert ins_bmi == pytest.approx([b[i["lbp"], i["insomnia"]], math.log(1.18)], rel=1e-12)
    sleep = mv_estimand(b, [i["insomnia"], i["sleep_duration"], i["daytime_sleepiness"]], i["lbp"])
    assert sleep == pytest.approx([math.log(1.954), 0.0, 0.0], abs=1e-12)
    assert mv_estimand(b, [i["insomnia"]], i["lbp"])[0] == pytest.approx(ratio_estimand(b)[i["lbp"], i["insomnia"]])
