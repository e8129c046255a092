"""One MR direction's analysis as one typed result (mrkit.paper.direction): what it holds, that it saves and
loads itself unchanged, and that it refuses a file of another format version.

The data are a seeded simulation (numpy seed 20261206) of 25 instruments in TwoSampleMR's harmonised columns, so
the test depends on no panel. The oracles are the public functions the result gathers (``mrkit.mr``,
``mrkit.heterogeneity``, ...), called here directly, and hand formulas (mean F = mean (β_X/SE_X)²).
"""
from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import mrkit
from mrkit.methods.presso import mr_presso
from mrkit.methods.steiger import steiger_directionality
from mrkit.paper import report
from mrkit.paper.direction import (
    FORMAT,
    VERSION,
    DirectionResult,
    ResultFormatError,
    Trait,
    analyse,
    load_directions,
)
from mrkit.paper.robust import robust_methods

INSOMNIA = Trait("insomnia", "Insomnia", "score 1-3")
LBP = Trait("lbp", "Low back pain", "log odds", binary=True)
METHODS = ["ivw", "egger", "weighted_median", "ml"]


def harmonised(k: int = 25, seed: int = 20261206, *, samplesizes: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.02, 0.08, k)
    bxse = np.full(k, 0.005)
    byse = rng.uniform(0.01, 0.02, k)
    by = 0.4 * bx + rng.normal(0, byse) + rng.normal(0, 0.01, k)  # some heterogeneity
    snp = [f"rs{1000 + j}" for j in range(k)]
    h = pd.DataFrame({"SNP": snp, "effect_allele.exposure": "A", "other_allele.exposure": "G",
                      "effect_allele.outcome": "A", "other_allele.outcome": "G",
                      "beta.exposure": bx, "se.exposure": bxse, "beta.outcome": by, "se.outcome": byse,
                      "pval.exposure": 2 * pd.Series(bx / bxse).abs().map(lambda z: math.erfc(z / math.sqrt(2)) / 2),
                      "pval.outcome": 2 * pd.Series(by / byse).abs().map(lambda z: math.erfc(z / math.sqrt(2)) / 2),
                      "exposure": "Insomnia", "outcome": "Low back pain", "mr_keep": True})
    if samplesizes:
        h["samplesize.exposure"] = 300_000.0
        h["samplesize.outcome"] = 200_000.0
    h.loc[0, "mr_keep"] = False  # one variant harmonisation dropped: kept in the table, not analysed
    h.attrs["log"] = {"candidate_instruments": k, "palindromic_ambiguous_removed": 1, "kept": k - 1}
    return h


@pytest.fixture(scope="module")
def result():
    return analyse(harmonised(), INSOMNIA, LBP, seed=11, presso_n=300, methods=METHODS, planted=0.4,
                   parameters={"p_threshold": 5e-8, "data": "synthetic", "panel_size": "small", "panel_seed": 3})


def test_the_result_holds_what_the_public_functions_give(result):
    h = harmonised()
    kept = h[h["mr_keep"]]
    pd.testing.assert_frame_equal(result.estimates, mrkit.mr(h, methods=METHODS, convention="twosamplemr", seed=11))
    pd.testing.assert_frame_equal(result.heterogeneity, mrkit.heterogeneity(h))
    pd.testing.assert_frame_equal(result.leave_one_out, mrkit.leave_one_out(h))
    pd.testing.assert_frame_equal(result.single_snp, mrkit.single_snp(h))
    pleio = mrkit.pleiotropy(h).iloc[0]
    assert (result.pleiotropy.intercept, result.pleiotropy.p, result.pleiotropy.i2gx) == (
        pleio["intercept"], pleio["p"], pleio["i2gx"])
    presso = mr_presso(kept["beta.exposure"], kept["se.exposure"], kept["beta.outcome"], kept["se.outcome"],
                       snp=kept["SNP"].tolist(), n_distributions=300, seed=11)
    assert (result.presso.global_rss, result.presso.global_p, result.presso.seed) == (
        presso.global_rss, presso.global_p, 11)
    assert result.presso.outliers == [str(o) for o in presso.outliers] and result.presso.raw == presso.raw
    steiger = steiger_directionality(kept)
    assert result.steiger.steiger_pval == steiger["steiger_pval"]
    assert result.steiger.r2_exposure == steiger["r2_exposure"]
    # hand formulas
    assert result.instruments.nsnp == 24
    assert result.instruments.mean_f == pytest.approx(np.mean((kept["beta.exposure"] / kept["se.exposure"]) ** 2))
    assert result.instruments.samplesize_outcome == 200_000.0
    assert result.harmonisation_log == h.attrs["log"]
    assert result.seed == 11 and result.convention == "twosamplemr" and result.page == "mr-insomnia-to-lbp"
    assert result.parameters == {"p_threshold": 5e-8, "data": "synthetic", "panel_size": "small", "panel_seed": 3,
                                 "presso_n": 300, "methods": METHODS, "robust_methods": list(robust_methods())}
    # the robust section: every univariable method but the Wald ratio, as mrkit.mr gives them on their own
    pd.testing.assert_frame_equal(result.robust, mrkit.mr(h, methods=list(robust_methods()), seed=11, presso_n=300))


def test_save_and_load_give_the_same_result(result, tmp_path):
    path = result.save(tmp_path / f"{result.page}.json")
    doc = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    back = DirectionResult.load(path)
    for name in ("harmonised", "estimates", "heterogeneity", "leave_one_out", "single_snp"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(result, name))
        assert getattr(back, name).attrs == getattr(result, name).attrs
    for name in ("exposure", "outcome", "convention", "seed", "parameters", "pleiotropy", "presso", "steiger",
                 "instruments", "harmonisation_log", "planted", "opengwas_queries", "notes"):
        assert getattr(back, name) == getattr(result, name), name
    assert back.outcome.binary and back.exposure.units == "score 1-3"


def test_missing_and_infinite_numbers_are_written_as_null_and_read_as_missing(result, tmp_path):
    changed = DirectionResult.from_dict(result.to_dict())
    changed.estimates.loc[0, "se"] = np.nan
    changed.estimates.loc[1, "se"] = np.inf
    back = DirectionResult.load(changed.save(tmp_path / "r.json"))
    assert back.estimates["se"].iloc[:2].isna().all() and back.estimates["se"].iloc[2:].notna().all()
    text = (tmp_path / "r.json").read_text()
    assert "NaN" not in text and "Infinity" not in text


def test_a_file_of_another_version_or_format_is_refused_naming_the_file(result, tmp_path):
    doc = result.to_dict()
    other = tmp_path / "mr-a-to-b.json"
    other.write_text(json.dumps({**doc, "version": VERSION + 1}))
    with pytest.raises(ResultFormatError, match=rf"mr-a-to-b.json: .*format version {VERSION + 1}.*reads version "
                                                rf"{VERSION} only"):
        DirectionResult.load(other)
    old = tmp_path / "mr-old.json"  # the dict JSON earlier MR pages wrote
    old.write_text(json.dumps({"exposure": "insomnia", "outcome": "lbp", "methods": []}))
    with pytest.raises(ResultFormatError, match="mr-old.json: not a saved MR direction result"):
        DirectionResult.load(old)
    damaged = tmp_path / "mr-damaged.json"
    damaged.write_text(json.dumps({k: v for k, v in doc.items() if k != "estimates"}))
    with pytest.raises(ResultFormatError, match="mr-damaged.json: a damaged direction result"):
        DirectionResult.load(damaged)
    broken = tmp_path / "mr-broken.json"
    broken.write_text("{")
    with pytest.raises(ResultFormatError, match="mr-broken.json: not valid JSON"):
        DirectionResult.load(broken)


def test_load_directions_reads_the_mr_pages_results_in_name_order(result, tmp_path):
    reverse = analyse(harmonised(seed=5), LBP, INSOMNIA, seed=11, presso_n=300, methods=["ivw"])
    reverse.save(tmp_path / f"{reverse.page}.json")
    result.save(tmp_path / f"{result.page}.json")
    (tmp_path / "data-description.json").write_text('{"opengwas_queries": []}')  # another page's file
    assert [d.page for d in load_directions(tmp_path)] == ["mr-insomnia-to-lbp", "mr-lbp-to-insomnia"]


def test_the_seed_changes_only_the_random_draws(result):
    other = analyse(harmonised(), INSOMNIA, LBP, seed=12, presso_n=300, methods=METHODS)
    a, b = result.estimates.set_index("method"), other.estimates.set_index("method")
    assert a.loc["ivw", "estimate"] == b.loc["ivw", "estimate"] and a.loc["ivw", "se"] == b.loc["ivw", "se"]
    assert a.loc["weighted_median", "se"] != b.loc["weighted_median", "se"]  # bootstrap SE: other draws
    assert (a.loc["weighted_median", "seed"], b.loc["weighted_median", "seed"]) == (11, 12)
    assert other.presso.seed == 12 and other.presso.global_rss == result.presso.global_rss


def test_data_without_what_presso_and_steiger_need_give_notes_not_failures():
    few = harmonised(k=4)  # three instruments kept: MR-PRESSO needs four
    r = analyse(few, INSOMNIA, LBP, seed=1, presso_n=100, methods=["ivw"])
    assert r.presso is None and any(n.startswith("MR-PRESSO not run") for n in r.notes)
    assert report.presso_note(r).startswith("MR-PRESSO not run") and report.presso_table(r).empty
    assert "MR-PRESSO global RSS" not in set(report.diagnostics_table(r)["diagnostic"])
    r = analyse(harmonised(samplesizes=False), INSOMNIA, LBP, seed=1, presso_n=100, methods=["ivw"])
    assert r.steiger is None and any(n.startswith("Steiger directionality not computed") for n in r.notes)
    assert math.isnan(r.instruments.r2_exposure) and math.isnan(r.instruments.samplesize_outcome)


def test_the_page_sentences_read_the_result(result):
    text = report.direction_summary(result)
    ivw = result.method("ivw")
    assert f"With {int(ivw['nsnp'])} instruments" in text and f"OR {math.exp(ivw['estimate']):.3f}" in text
    assert "planted effect is 0.4000" in text
    assert report.scale_note(result).startswith("Estimates are per unit of insomnia (score 1-3). For the binary")
    continuous = replace(result, outcome=Trait("ldl", "LDL cholesterol", "SD"))
    assert "The paper reported exp(β)" in report.scale_note(continuous)
    own = report.scale_note(continuous, book_study=False)  # mrkit report on a user's data: no paper to recall
    assert "paper" not in own and own.endswith("exp(β) is not an odds ratio here and is not reported.")
    assert f"seed {result.seed}" in report.presso_note(result)
