"""Harmonisation: every case of TwoSampleMR's rule table, the log, and the BMI -> CHD validation data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.gwas.harmonise import LOG_KEYS, OUTPUT_COLUMNS, harmonisation_flow, harmonise, mr_input, to_twosamplemr

NAN = float("nan")


def sumstats(snps, a1, a2, eaf, beta, se=0.01, p=1e-9, n=10_000.0):
    k = len(snps)
    return pd.DataFrame({"chrom": ["1"] * k, "pos": np.arange(1, k + 1) * 100, "snp": snps,
                         "effect_allele": a1, "other_allele": a2, "eaf": eaf, "beta": beta,
                         "se": [se] * k, "p": [p] * k, "n": [n] * k, "ncase": [NAN] * k, "ncontrol": [NAN] * k})


# (case, exposure A1/A2/eaf, outcome B1/B2/eaf, action,
#  expected outcome allele, beta sign, outcome eaf, remove, palindromic, ambiguous, mr_keep)
CASES = [
    ("same alleles", "A", "G", 0.3, "A", "G", 0.3, 2, "A", 1, 0.3, False, False, False, True),
    ("swapped", "A", "G", 0.3, "G", "A", 0.7, 2, "A", -1, 0.3, False, False, False, True),
    ("strand flip", "A", "G", 0.3, "T", "C", 0.3, 2, "A", 1, 0.3, False, False, False, True),
    ("strand flip + swap", "A", "G", 0.3, "C", "T", 0.7, 2, "A", -1, 0.3, False, False, False, True),
    ("strand flip, action 1", "A", "G", 0.3, "T", "C", 0.3, 1, "A", 1, 0.3, False, False, False, True),
    ("strand flip, action 3", "A", "G", 0.3, "C", "T", 0.7, 3, "A", -1, 0.3, False, False, False, True),
    ("palindrome, low EAF in both", "A", "T", 0.2, "A", "T", 0.2, 2, "A", 1, 0.2, False, True, False, True),
    ("palindrome, high EAF in both", "A", "T", 0.8, "A", "T", 0.8, 2, "A", 1, 0.8, False, True, False, True),
    ("palindrome, opposite sides, action 2 flips", "A", "T", 0.2, "A", "T", 0.8, 2, "A", -1, 0.2, False, True,
     False, True),
    ("palindrome, opposite sides, action 1 keeps", "A", "T", 0.2, "A", "T", 0.8, 1, "A", 1, 0.8, False, True,
     False, True),
    ("palindrome, action 3 drops", "C", "G", 0.2, "C", "G", 0.2, 3, "C", 1, 0.2, False, True, False, False),
    ("palindrome swapped, then same side", "A", "T", 0.2, "T", "A", 0.8, 2, "A", -1, 0.2, False, True, False,
     True),
    ("ambiguous exposure EAF", "A", "T", 0.45, "A", "T", 0.2, 2, "A", 1, 0.2, False, True, True, False),
    ("ambiguous exposure EAF, action 1", "A", "T", 0.45, "A", "T", 0.2, 1, "A", 1, 0.2, False, True, True, True),
    ("ambiguous exposure EAF, action 3", "A", "T", 0.45, "A", "T", 0.2, 3, "A", 1, 0.2, False, True, True, False),
    ("ambiguous outcome EAF (flipped, still dropped)", "G", "C", 0.2, "G", "C", 0.55, 2, "G", -1, 0.45, False,
     True, True, False),
    ("EAF 0.42 is not ambiguous (strict)", "A", "T", 0.42, "A", "T", 0.3, 2, "A", 1, 0.3, False, True, False,
     True),
    ("EAF 0.58 is not ambiguous (strict)", "A", "T", 0.58, "A", "T", 0.7, 2, "A", 1, 0.7, False, True, False,
     True),
    ("EAF just inside 0.42", "A", "T", 0.4201, "A", "T", 0.3, 2, "A", 1, 0.3, False, True, True, False),
    ("palindrome with missing exposure EAF", "A", "T", NAN, "A", "T", 0.2, 2, "A", 1, 0.2, False, True, True,
     False),
    ("palindrome with missing outcome EAF", "A", "T", 0.2, "A", "T", NAN, 2, "A", 1, NAN, False, True, True,
     False),
    ("non-palindrome with missing EAF is fine", "A", "G", NAN, "A", "G", NAN, 2, "A", 1, NAN, False, False, False,
     True),
    # TwoSampleMR leaves a failed strand flip in place: the outcome alleles show as T/C
    ("incompatible A/C vs A/G", "A", "C", 0.3, "A", "G", 0.3, 2, "T", 1, 0.3, True, False, False, False),
    ("incompatible, action 1", "A", "C", 0.3, "A", "G", 0.3, 1, "T", 1, 0.3, True, False, False, False),
    ("palindrome vs other palindrome (no flip allowed)", "A", "T", 0.2, "C", "G", 0.2, 2, "C", 1, 0.2, True, True,
     False, False),
    ("lower-case alleles", "a", "g", 0.3, "g", "a", 0.7, 2, "A", -1, 0.3, False, False, False, True),
    ("indel with D/I codes in the outcome", "AT", "A", 0.3, "D", "I", 0.7, 2, "AT", -1, 0.3, False, False, False,
     True),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_rule_table(case):
    (_, a1, a2, fa, b1, b2, fb, action, want_b1, sign, want_fb, remove, palindromic, ambiguous, keep) = case
    exposure = sumstats(["v"], [a1], [a2], [fa], [0.1])
    outcome = sumstats(["v"], [b1], [b2], [fb], [0.3])
    row = harmonise(exposure, outcome, action=action).iloc[0]
    assert row["effect_allele.exposure"] == a1.upper()
    assert row["effect_allele.outcome"] == want_b1
    assert row["effect_allele.outcome"] == row["effect_allele.exposure"] or remove
    assert row["beta.outcome"] == pytest.approx(0.3 * sign)
    assert row["beta.exposure"] == pytest.approx(0.1)  # the exposure is never changed
    if np.isnan(want_fb):
        assert np.isnan(row["eaf.outcome"])
    else:
        assert row["eaf.outcome"] == pytest.approx(want_fb)
    assert (row["remove"], row["palindromic"], row["ambiguous"], row["mr_keep"]) == (
        remove, palindromic, ambiguous, keep)


def test_equal_length_indel_with_d_i_codes_is_removed():
    exposure = sumstats(["v"], ["AT"], ["GC"], [0.3], [0.1])
    outcome = sumstats(["v"], ["D"], ["I"], [0.3], [0.3])
    assert harmonise(exposure, outcome).iloc[0]["remove"]


def test_missing_beta_or_se_leaves_mr_but_is_counted():
    exposure = sumstats(["v", "w"], ["A", "A"], ["G", "G"], [0.3, 0.3], [0.1, 0.2])
    outcome = sumstats(["v", "w"], ["A", "A"], ["G", "G"], [0.3, 0.3], [0.3, NAN])
    out = harmonise(exposure, outcome)
    assert out["mr_keep"].tolist() == [True, False]
    assert out.attrs["log"]["missing_values_removed"] == 1


def test_log_counts_every_case_once():
    rows = [c for c in CASES if c[7] == 2]  # the action-2 cases, harmonised together
    snps = [f"v{i}" for i in range(len(rows))]
    exposure = sumstats(snps + ["absent"], [c[1] for c in rows] + ["A"], [c[2] for c in rows] + ["G"],
                        [c[3] for c in rows] + [0.3], [0.1] * (len(rows) + 1))
    outcome = sumstats(snps, [c[4] for c in rows], [c[5] for c in rows], [c[6] for c in rows], [0.3] * len(rows))
    out = harmonise(exposure, outcome)
    log = out.attrs["log"]
    assert list(log) == list(LOG_KEYS)
    assert out["mr_keep"].tolist() == [c[14] for c in rows]
    names = [c[0] for c in rows]

    def count(*words):
        return sum(all(w in name for w in words) for name in names)

    assert log["candidate_instruments"] == len(rows) + 1 and log["absent_from_outcome"] == 1
    assert log["found_in_outcome"] == len(rows) and log["found_by_proxy"] == 0
    assert log["incompatible_removed"] == sum(c[11] for c in rows)
    assert log["palindromic_ambiguous_removed"] == sum(c[13] and not c[11] for c in rows)
    assert log["strand_flipped"] == count("strand flip")
    assert log["palindromic_flipped"] == 2  # "opposite sides" and the ambiguous-outcome case
    assert log["swapped"] == sum(c[9] < 0 for c in rows) - log["palindromic_flipped"]
    assert log["kept"] == int(out["mr_keep"].sum())
    flow = harmonisation_flow(log)
    assert flow.loc[flow["stage"] == "Used in MR", "n"].item() == log["kept"]
    assert set(flow["kind"]) == {"remaining", "excluded", "detail"}


def test_action_3_counts_palindromes_separately():
    exposure = sumstats(["a", "b", "c"], ["A", "A", "A"], ["T", "T", "G"], [0.2, 0.45, 0.3], [0.1] * 3)
    outcome = sumstats(["a", "b", "c"], ["A", "A", "A"], ["T", "T", "G"], [0.2, 0.45, 0.3], [0.3] * 3)
    log = harmonise(exposure, outcome, action=3).attrs["log"]
    assert (log["palindromic_removed"], log["palindromic_ambiguous_removed"], log["kept"]) == (1, 1, 1)
    harmonisation_flow(log)


def test_output_columns_and_exposure_order():
    exposure = sumstats(["c", "a", "b"], ["A"] * 3, ["G"] * 3, [0.3] * 3, [0.1, 0.2, 0.3])
    outcome = sumstats(["a", "b", "c"], ["A"] * 3, ["G"] * 3, [0.3] * 3, [1.0, 2.0, 3.0])
    out = harmonise(exposure, outcome, exposure_name="insomnia", outcome_name="lbp")
    assert tuple(out.columns) == OUTPUT_COLUMNS
    assert out["SNP"].tolist() == ["c", "a", "b"] and out["beta.outcome"].tolist() == [3.0, 1.0, 2.0]
    assert set(out["exposure"]) == {"insomnia"} and set(out["outcome"]) == {"lbp"}
    assert mr_input(out).columns.tolist() == ["SNP", "bx", "bxse", "by", "byse"]


def test_outcome_duplicates_are_resolved_by_alleles_and_exposure_repeats_follow_the_repeat_rule():
    exposure = sumstats(["v"], ["A"], ["G"], [0.3], [0.1])
    outcome = sumstats(["v", "v"], ["A", "A"], ["C", "G"], [0.3, 0.3], [9.0, 0.3])
    out = harmonise(exposure, outcome)
    assert out["beta.outcome"].tolist() == [0.3] and out.attrs["log"]["multiallelic_resolved"] == 1
    # v twice with every value equal: one instrument (issue 20: a valid instrument is not lost)
    twice = sumstats(["v", "v", "w"], ["A", "A", "A"], ["G", "G", "G"], [0.3] * 3, [0.1, 0.1, 0.2])
    twice["pos"] = [100, 100, 300]
    log = harmonise(twice, sumstats(["v", "w"], ["A", "A"], ["G", "G"], [0.3] * 2, [0.3] * 2)).attrs["log"]
    assert log["exposure_dropped: exact repeat of a row (one copy kept)"] == 1
    assert log["candidate_instruments"] == 2 and log["kept"] == 2
    # v twice with different betas: neither copy can be trusted, both leave
    disagree = twice.assign(beta=[0.1, 0.15, 0.2])
    log = harmonise(disagree, sumstats(["v", "w"], ["A", "A"], ["G", "G"], [0.3] * 2, [0.3] * 2)).attrs["log"]
    assert log["exposure_dropped: variant repeated with different values (every copy)"] == 2
    assert log["candidate_instruments"] == 1 and log["kept"] == 1
    with pytest.raises(InputError, match=r"^row 0, column 'SNP': variant repeated with different values "
                                         r"\(every copy\) \(value 'v'\) \(rows 0, 1\)"):
        harmonise(disagree, outcome, strict=True)
    with pytest.raises(InputError, match=r"^row 1, column 'SNP': exact repeat of a row \(one copy kept\)"):
        harmonise(twice, outcome, strict=True)


def test_twosamplemr_text_eaf_nr_is_missing_and_other_text_is_located():
    exposure = to_twosamplemr(sumstats(["v"], ["A"], ["T"], [0.2], [0.1]), "exposure")
    outcome = pd.DataFrame({"SNP": ["v"], "beta.outcome": [0.3], "se.outcome": [0.1],
                            "effect_allele.outcome": ["A"], "other_allele.outcome": ["T"], "eaf.outcome": ["NR"]})
    row = harmonise(exposure, outcome).iloc[0]
    assert np.isnan(row["eaf.outcome"]) and row["ambiguous"]
    outcome["eaf.outcome"] = ["0.2x"]
    with pytest.raises(InputError, match=r"row 0, column 'eaf.outcome'"):
        harmonise(exposure, outcome)


@pytest.mark.parametrize("kwargs, match", [({"action": 4}, "action"), ({"tolerance": 0.6}, "tolerance")])
def test_bad_settings_are_refused(kwargs, match):
    exposure = sumstats(["v"], ["A"], ["G"], [0.3], [0.1])
    with pytest.raises(InputError, match=match):
        harmonise(exposure, exposure, **kwargs)


def test_flow_refuses_a_log_that_does_not_add_up():
    exposure = sumstats(["v"], ["A"], ["G"], [0.3], [0.1])
    log = dict(harmonise(exposure, exposure).attrs["log"])
    log["kept"] += 1
    with pytest.raises(InputError, match="does not add up"):
        harmonisation_flow(log)


def test_bmi_chd_validation_data_harmonise_to_the_published_table(validation_dir):
    # validation/harmonised/bmi_chd.csv: the TwoSampleMR 0.7.9 vignette data, 79 SNPs (MANIFEST.md)
    exposure = pd.read_csv(validation_dir / "bmi_ieu-a-2_exposure.csv")
    outcome = pd.read_csv(validation_dir / "chd_ieu-a-7_outcome.csv")
    expected = pd.read_csv(validation_dir / "harmonised" / "bmi_chd.csv")
    out = harmonise(exposure, outcome, action=2)
    assert out.attrs["log"]["kept"] == 79 and out["mr_keep"].all()
    got = mr_input(out).set_index("SNP").loc[expected["SNP"]]
    for column in ("bx", "bxse", "by", "byse"):
        np.testing.assert_array_equal(got[column].to_numpy(), expected[column].to_numpy())
    # the same data with the outcome alleles swapped and on the other strand harmonise back
    scrambled = outcome.copy()
    flip = {"A": "T", "T": "A", "C": "G", "G": "C"}
    palin = scrambled.apply(lambda r: {r["effect_allele.outcome"], r["other_allele.outcome"]} in ({"A", "T"},
                                                                                                  {"C", "G"}), axis=1)
    ea, oa = scrambled["effect_allele.outcome"].copy(), scrambled["other_allele.outcome"].copy()
    scrambled["effect_allele.outcome"] = oa.where(palin, oa.map(flip))
    scrambled["other_allele.outcome"] = ea.where(palin, ea.map(flip))
    scrambled["beta.outcome"] = -scrambled["beta.outcome"]
    scrambled["eaf.outcome"] = 1 - scrambled["eaf.outcome"]
    again = mr_input(harmonise(exposure, scrambled)).set_index("SNP").loc[expected["SNP"]]
    np.testing.assert_allclose(again[["bx", "bxse", "by", "byse"]].to_numpy(),
                               expected[["bx", "bxse", "by", "byse"]].to_numpy(), rtol=0, atol=1e-15)
    log = harmonise(exposure, scrambled).attrs["log"]
    assert log["swapped"] == 79 and log["strand_flipped"] == int((~palin).sum()) and log["kept"] == 79


def test_only_the_outcome_rows_of_the_instruments_matter():
    """harmonise converts only the outcome rows it can use: the result equals harmonising against those rows
    alone, a bad value in an unused row is harmless, and one in a used row is located at the caller's row."""
    rng = np.random.default_rng(3)
    exposure = sumstats(["v3", "v1", "v7"], ["A", "C", "G"], ["G", "T", "A"], [0.2, 0.6, 0.3], [0.1, -0.2, 0.3])
    snps = [f"v{i}" for i in range(10)]
    outcome = sumstats(snps, ["G"] * 10, ["A"] * 10, list(rng.uniform(0.1, 0.9, 10)), list(rng.normal(0, 0.1, 10)))
    outcome["snp"] = pd.array(snps, dtype="str")  # arrow-backed text, as read_sumstats gives
    used = outcome[outcome["snp"].isin(exposure["snp"])].reset_index(drop=True)
    full, alone = harmonise(exposure, outcome), harmonise(exposure, used)
    pd.testing.assert_frame_equal(full, alone, check_exact=True)
    assert full.attrs == alone.attrs and list(full["SNP"]) == ["v3", "v1", "v7"]
    unused = outcome.astype({"eaf": object})
    unused.loc[5, "eaf"] = "0.2x"  # v5 is no instrument
    pd.testing.assert_frame_equal(harmonise(exposure, unused), full, check_exact=True)
    bad = outcome.astype({"eaf": object})
    bad.loc[7, "eaf"] = "0.2x"  # v7 is
    with pytest.raises(InputError, match=r"row 7, column 'eaf'"):
        harmonise(exposure, bad)
