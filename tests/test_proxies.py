"""LD proxies: the best proxy in the window, its phase with the target, and harmonisation through it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ld_panel_helpers import write_panel

from mrkit.errors import InputError
from mrkit.gwas.harmonise import harmonisation_flow, harmonise
from mrkit.gwas.proxies import PROXY_COLUMNS, find_proxies, proxy_outcome_rows

IDS = ["target", "pos_proxy", "neg_proxy", "weak", "palindromic", "far"]


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    """A target with a positively and a negatively correlated proxy whose phase is known by construction."""
    rng = np.random.default_rng(7)
    x = rng.binomial(2, 0.3, 400).astype(float)
    pos_proxy = x.copy()
    pos_proxy[:12] = rng.binomial(2, 0.3, 12)  # r^2 a little below 1, A1 with A1
    neg_proxy = 2 - x  # A1 of the proxy sits on the target's A2 haplotypes
    neg_proxy[:4] = rng.binomial(2, 0.7, 4)
    weak = x.copy()
    weak[:150] = rng.binomial(2, 0.3, 150)
    g = np.stack([x, pos_proxy, neg_proxy, weak, x.copy(), x.copy()], axis=1)
    prefix = tmp_path_factory.mktemp("proxies") / "panel"
    write_panel(prefix, g, ids=IDS, pos=[100_000, 150_000, 200_000, 120_000, 130_000, 900_000],
                a1=["A", "C", "A", "G", "A", "G"], a2=["G", "T", "C", "T", "T", "T"])
    return prefix


def test_best_proxy_is_the_highest_r2_in_the_window(panel):
    table = find_proxies(["target"], IDS[1:], panel, r2=0.8, kb=500, palindromes=True)
    row = table.iloc[0]
    assert list(table.columns) == list(PROXY_COLUMNS)
    assert row["status"] == "found" and row["proxy_snp"] == "palindromic" and row["r2"] == pytest.approx(1.0)
    best = find_proxies(["target"], IDS[1:], panel).iloc[0]  # palindromes skipped by default
    one_by_one = {s: find_proxies(["target"], [s], panel, r2=0.01).iloc[0]["r2"] for s in IDS[1:4]}
    assert best["proxy_snp"] == max(one_by_one, key=one_by_one.get) == "neg_proxy"
    assert best["r2"] == one_by_one["neg_proxy"] > one_by_one["pos_proxy"] > 0.8 > one_by_one["weak"]


def test_positive_ld_maps_a1_to_a1(panel):
    row = find_proxies(["target"], ["pos_proxy", "weak", "far"], panel).iloc[0]
    assert row["proxy_snp"] == "pos_proxy" and row["r"] > 0.9 and row["distance"] == 50_000
    assert (row["target_allele_for_proxy_a1"], row["target_allele_for_proxy_a2"]) == ("A", "G")


def test_negative_ld_maps_a1_to_the_other_allele(panel):
    row = find_proxies(["target"], ["neg_proxy"], panel).iloc[0]
    assert row["r"] < -0.9 and row["r2"] == pytest.approx(row["r"] ** 2)
    # proxy A1 ("A") travels with the target's A2 ("G")
    assert (row["proxy_a1"], row["target_allele_for_proxy_a1"]) == ("A", "G")
    assert (row["proxy_a2"], row["target_allele_for_proxy_a2"]) == ("C", "A")


def test_no_proxy_outside_window_below_r2_or_palindromic(panel):
    table = find_proxies(["target", "not_in_panel"], ["far", "weak", "palindromic"], panel, r2=0.8, kb=500)
    assert table["status"].tolist() == ["no proxy", "target not in panel"]
    assert table.attrs["proxies"] == {"targets": 2, "found": 0, "no_proxy": 1, "target_not_in_panel": 1,
                                      "r2": 0.8, "kb": 500.0, "palindromes": False, "panel": str(panel)}
    with_palindromes = find_proxies(["target"], ["palindromic"], panel, palindromes=True).iloc[0]
    assert with_palindromes["proxy_snp"] == "palindromic" and with_palindromes["r2"] == pytest.approx(1.0)
    assert find_proxies(["target"], ["far"], panel, kb=1000).iloc[0]["proxy_snp"] == "far"


def exposure_and_outcome(outcome_effect, outcome_other, outcome_beta, proxy="neg_proxy"):
    exposure = pd.DataFrame({"snp": ["target", "other"], "effect_allele": ["A", "C"], "other_allele": ["G", "T"],
                             "eaf": [0.3, 0.2], "beta": [0.1, 0.05], "se": [0.01, 0.01], "p": [1e-20, 1e-9]})
    outcome = pd.DataFrame({"snp": [proxy, "other"], "effect_allele": [outcome_effect, "C"],
                            "other_allele": [outcome_other, "T"], "eaf": [0.7, 0.2], "beta": [outcome_beta, 0.02],
                            "se": [0.02, 0.02], "p": [0.01, 0.3]})
    return exposure, outcome


@pytest.mark.parametrize("effect, other, beta", [
    ("C", "A", 0.2),   # proxy A2 (in phase with target A = exposure effect allele) raises the outcome
    ("A", "C", -0.2),  # the same association, reported for the proxy's A1
    ("G", "T", 0.2),   # reported on the reverse strand (C/A -> G/T)
])
def test_harmonising_through_a_negatively_correlated_proxy(panel, effect, other, beta):
    exposure, outcome = exposure_and_outcome(effect, other, beta)
    proxies = find_proxies(["target"], outcome["snp"], panel)
    out = harmonise(exposure, outcome, proxies=proxies)
    row = out.set_index("SNP").loc["target"]
    assert row["proxy"] and row["proxy_snp"] == "neg_proxy" and row["target_snp"] == "target"
    assert row["proxy_r2"] == pytest.approx(proxies["r2"].iloc[0])
    assert (row["effect_allele.outcome"], row["other_allele.outcome"]) == ("A", "G")
    assert row["beta.outcome"] == pytest.approx(0.2) and row["mr_keep"]
    assert not out.set_index("SNP").loc["other", "proxy"]
    log = out.attrs["log"]
    assert (log["found_in_outcome"], log["found_by_proxy"], log["absent_from_outcome"]) == (1, 1, 0)
    harmonisation_flow(log)


def test_positive_proxy_keeps_the_sign(panel):
    exposure, outcome = exposure_and_outcome("C", "T", 0.2, proxy="pos_proxy")
    out = harmonise(exposure, outcome, proxies=find_proxies(["target"], outcome["snp"], panel))
    assert out.set_index("SNP").loc["target", "beta.outcome"] == pytest.approx(0.2)


def test_proxy_with_alleles_unknown_to_the_panel_is_dropped(panel):
    exposure, outcome = exposure_and_outcome("A", "G", 0.2)  # neg_proxy is A/C in the panel
    proxies = find_proxies(["target"], outcome["snp"], panel)
    from mrkit.gwas.harmonise import to_twosamplemr
    rows = proxy_outcome_rows(to_twosamplemr(outcome, "outcome"), proxies)
    assert rows.empty and rows.attrs["dropped"] == {"proxy alleles do not match the panel": 1}
    log = harmonise(exposure, outcome, proxies=proxies).attrs["log"]
    assert log["absent_from_outcome"] == 1 and log["found_by_proxy"] == 0


@pytest.mark.parametrize("kwargs, match", [({"r2": 0}, "r2"), ({"kb": -1}, "kb")])
def test_bad_settings(panel, kwargs, match):
    with pytest.raises(InputError, match=match):
        find_proxies(["target"], ["far"], panel, **kwargs)
