"""``mrkit estimate --loo / --single-snp / --odds-ratios / --steiger-filter / --names twosamplemr`` against R.

Golden numbers: ``../shared/validation/expected/tsmr_outputs/<dataset>.json`` (TwoSampleMR 0.7.9 run on the same
harmonised data; each block records its exact R call; see the MANIFEST's section "TwoSampleMR-style outputs"). The
CSV fed to mrkit is written from that JSON's own input (its ``mrkit_csv.columns``, numbers as the exact ``%.17g``
strings R used). Deterministic numbers are compared at 1e-6 relative, as the MANIFEST says; the bootstrap SEs of
``generate_odds_ratios``' median and mode rows only within Monte Carlo error.
"""
from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import tsmr_outputs_case

from mrkit.cli import main

DATASETS = ["lipids_chd_ldlc", "bmi_chd"]
REL = 1e-6


@pytest.fixture(params=DATASETS)
def case(request, validation_dir, tmp_path):
    """(R's outputs, the TwoSampleMR-named CSV of their input)."""
    return tsmr_outputs_case(validation_dir, request.param, tmp_path)


def run_csv(capsys, argv) -> pd.DataFrame:
    assert main(argv + ["--format", "csv"]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False, na_values=[""])


def run_json(capsys, argv) -> dict:
    assert main(argv + ["--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def close(got, want, rel=REL, abs_=0.0) -> bool:
    return math.isclose(float(got), float(want), rel_tol=rel, abs_tol=abs_)


def assert_rows(got: pd.DataFrame, rows: list[dict], columns: dict[str, str], key="SNP", abs_=0.0):
    """Every R row has a mrkit row with the same key and equal numbers (R column -> mrkit column)."""
    assert len(got) == len(rows)
    by_key = got.set_index(got.columns[list(got.columns).index(key)] if key in got else "snp")
    for row in rows:
        mine = by_key.loc[row[key]]
        for r_col, m_col in columns.items():
            if isinstance(row[r_col], bool):
                assert bool(mine[m_col]) is row[r_col], (row[key], r_col)
            else:
                assert close(mine[m_col], row[r_col], abs_=abs_), (row[key], r_col, mine[m_col], row[r_col])


# --- leave-one-out and single SNP ---------------------------------------------------------------------------
@pytest.mark.parametrize("flag,block", [("--loo", "mr_leaveoneout"), ("--single-snp", "mr_singlesnp")])
def test_sensitivity_tables_equal_r_in_mrkit_and_in_twosamplemr_names(case, capsys, flag, block):
    r, path = case
    want = r[block]["rows"]
    mine = run_csv(capsys, ["estimate", str(path), flag, "--presso-n", "20"])
    assert list(mine["snp"]) == [row["SNP"] for row in want]  # R's order: the SNPs as given, then the summaries
    assert_rows(mine, want, {"b": "estimate", "se": "se", "p": "p"}, key="SNP")
    tsmr = run_csv(capsys, ["estimate", str(path), flag, "--names", "twosamplemr", "--presso-n", "20"])
    assert list(tsmr.columns) == ["exposure", "outcome", "id.exposure", "id.outcome", "samplesize", "SNP", "b", "se",
                                  "p"]  # mr_leaveoneout's / mr_singlesnp's select(...)
    assert_rows(tsmr, want, {"b": "b", "se": "se", "p": "p"})
    assert (tsmr["samplesize"] == float(r["input"]["samplesize.outcome"][0])).all()  # the first SNP's, as R


# --- odds ratios --------------------------------------------------------------------------------------------
def test_odds_ratios_equal_generate_odds_ratios(case, capsys):
    r, path = case
    block = r["generate_odds_ratios"]
    defaults = "egger,weighted_median,ivw,simple_mode,weighted_mode"  # mr()'s default method list, in its order
    got = run_csv(capsys, ["estimate", str(path), "--odds-ratios", "--names", "twosamplemr", "--methods", defaults,
                           "--seed", str(block["seed"]), "--presso-n", "20"])
    assert list(got.columns[:14]) == ["id.exposure", "id.outcome", "outcome", "exposure", "method", "nsnp", "b", "se",
                                      "pval", "lo_ci", "up_ci", "or", "or_lci95", "or_uci95"]
    assert list(got["method"]) == [row["method"] for row in block["rows"]]
    for mine, want in zip(got.to_dict(orient="records"), block["rows"]):
        assert mine["nsnp"] == want["nsnp"]
        deterministic = want["compare"].startswith("deterministic")
        exact = ["b", "or"] + (["se", "pval", "lo_ci", "up_ci", "or_lci95", "or_uci95"] if deterministic else [])
        for col in exact:
            assert close(mine[col], want[col]), (want["method"], col, mine[col], want[col])
        if not deterministic:  # a bootstrap SE (1000 draws, another generator than R's): Monte Carlo error only
            assert mine["se"] == pytest.approx(want["se"], rel=0.15), want["method"]
            assert close(mine["or_lci95"], math.exp(mine["b"] - 1.96 * mine["se"]))


def test_odds_ratios_in_mrkit_names_are_the_api_columns(case, capsys):
    r, path = case
    out = run_json(capsys, ["estimate", str(path), "--odds-ratios", "--methods", "ivw,egger", "--presso-n", "20"])
    want = {row["method"]: row for row in r["generate_odds_ratios"]["rows"]}
    for row, label in zip(out["methods"], ("Inverse variance weighted", "MR Egger")):
        for col in ("or", "or_lci95", "or_uci95"):
            assert close(row[col], want[label][col]), (label, col)


def test_odds_ratios_of_an_interval_without_se_and_of_the_sign_test(validation_dir, capsys):
    """Under the twosamplemr convention ``b -/+ 1.96 se`` needs an SE. The contamination mixture has none: its
    interval is R's profile-likelihood set, which the row carries (R ``mr_conmix`` on the lipids data:
    ``expected/methods2/lipids_chd_ldlc.json``, Estimate 2.73, CI 2 to 3.43); its odds ratio interval is that set,
    exponentiated, not NaN. The sign concordance test's estimate is a concordance in [-1, 1], not a log odds ratio:
    no odds ratio (``mrkit.paper.robust`` leaves it out of the book's tables for the same reason)."""
    path = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"
    want = json.loads((validation_dir / "expected" / "methods2" / "lipids_chd_ldlc.json").read_text())
    conmix = want["MendelianRandomization"]["mr_conmix"]
    for names in ("mrkit", "twosamplemr"):
        got = run_csv(capsys, ["estimate", str(path), "--odds-ratios", "--methods", "conmix,sign",
                               "--names", names, "--presso-n", "20"])
        rows = got.set_index("method").to_dict(orient="index")
        mix = rows["conmix" if names == "mrkit" else "Contamination mixture"]
        assert close(mix["or"], math.exp(conmix["Estimate"]))
        assert close(mix["or_lci95"], math.exp(conmix["CILower"]))
        assert close(mix["or_uci95"], math.exp(conmix["CIUpper"]))
        if names == "twosamplemr":
            assert close(mix["lo_ci"], conmix["CILower"]) and close(mix["up_ci"], conmix["CIUpper"])
        sign = rows["sign" if names == "mrkit" else "Sign concordance test"]
        assert all(math.isnan(sign[c]) for c in ("or", "or_lci95", "or_uci95"))


# --- heterogeneity, pleiotropy, Steiger directionality ------------------------------------------------------
def test_heterogeneity_pleiotropy_and_directionality_in_twosamplemr_names(case, capsys):
    r, path = case
    out = run_json(capsys, ["estimate", str(path), "--names", "twosamplemr", "--methods", "ivw", "--presso-n", "20"])
    want_het = r["mr_heterogeneity"]["rows"]
    assert [row["method"] for row in out["mr_heterogeneity"]] == [row["method"] for row in want_het]
    for mine, want in zip(out["mr_heterogeneity"], r["mr_heterogeneity"]["rows"]):
        assert mine["Q_df"] == want["Q_df"]
        assert close(mine["Q"], want["Q"]) and close(mine["Q_pval"], want["Q_pval"])
    (ple,) = out["mr_pleiotropy_test"]
    for col in ("egger_intercept", "se", "pval"):
        assert close(ple[col], r["mr_pleiotropy_test"][col]), col
    (st,) = out["directionality_test"]
    want = r["directionality_test"]
    for col in ("snp_r2.exposure", "snp_r2.outcome", "steiger_pval"):
        assert close(st[col], want[col]), col
    assert st["correct_causal_direction"] is want["correct_causal_direction"]
    assert set(st) == {"id.exposure", "id.outcome", "exposure", "outcome", "snp_r2.exposure", "snp_r2.outcome",
                       "correct_causal_direction", "steiger_pval"}


def test_text_explains_the_r2_rule(case, capsys):
    _, path = case
    assert main(["estimate", str(path), "--methods", "ivw", "--presso-n", "20"]) == 0
    out = capsys.readouterr().out
    assert "r2 rule pn: r2 of each SNP from its p-value and sample size" in out


# --- Steiger filtering --------------------------------------------------------------------------------------
def test_steiger_filtering_equals_r_and_the_estimates_use_the_snps_it_keeps(case, capsys):
    r, path = case
    want = r["steiger_filtering"]["rows"]
    got = run_csv(capsys, ["estimate", str(path), "--steiger-filter", "--names", "twosamplemr", "--presso-n", "20"])
    assert list(got["SNP"]) == [row["SNP"] for row in want]
    assert list(got.columns[-6:]) == ["rsq.exposure", "rsq.outcome", "effective_n.exposure", "effective_n.outcome",
                                      "steiger_dir", "steiger_pval"]
    assert_rows(got, want, {c: c for c in ("rsq.exposure", "rsq.outcome", "effective_n.exposure",
                                           "effective_n.outcome", "steiger_dir", "steiger_pval")}, abs_=1e-300)
    # the estimates: IVW on the SNPs R marks steiger_dir TRUE, by hand (sum bx by / byse^2 over sum bx^2 / byse^2)
    keep = {row["SNP"] for row in want if row["steiger_dir"]}
    inp = r["input"]
    rows = [j for j, snp in enumerate(inp["SNP"]) if snp in keep]
    bx, by, byse = (np.array([float(inp[c][j]) for j in rows]) for c in ("bx", "by", "byse"))
    hand_ivw = np.sum(bx * by / byse ** 2) / np.sum(bx ** 2 / byse ** 2)
    out = run_json(capsys, ["estimate", str(path), "--steiger-filter", "--methods", "ivw", "--presso-n", "20"])
    assert out["input"]["nsnp"] == len(keep)
    assert close(out["methods"][0]["estimate"], hand_ivw, rel=1e-12)
    assert [row["snp"] for row in out["steiger_filtering"] if not row["steiger_dir"]] == \
        [row["SNP"] for row in want if not row["steiger_dir"]]
    assert main(["estimate", str(path), "--steiger-filter", "--methods", "ivw", "--presso-n", "20"]) == 0
    text = capsys.readouterr().out
    assert f"{len(keep)} of {len(want)} SNPs explain more variance in the exposure" in text


def test_steiger_filter_needs_sample_sizes(validation_dir, capsys):
    path = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"  # SNP, bx, bxse, by, byse only
    assert main(["estimate", str(path), "--steiger-filter"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--steiger-filter needs the columns samplesize.exposure" in err


# --- messages ----------------------------------------------------------------------------------------------
def test_unknown_method_names_itself_the_flag_and_the_known_ones(validation_dir, capsys):
    path = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"
    assert main(["estimate", str(path), "--methods", "ivw,foo"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mrkit estimate: error: unknown method 'foo' for --methods; known: wald_ratio, egger,")
    assert "column" not in err and "ivw_fe" in err


def test_unknown_multivariable_method_too(validation_dir, capsys):
    path = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"  # refused before the file is read
    assert main(["estimate", "--multivariable", str(path), "--methods", "mv_nonesuch,zz"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown methods 'mv_nonesuch', 'zz' for --methods with --multivariable; known: mv_ivw," in err
    assert "column" not in err
    assert main(["estimate", "--multivariable", str(path), "--loo", "--odds-ratios"]) == 2
    assert "--loo, --odds-ratios: for a univariable table (FILE), not --multivariable" in capsys.readouterr().err


def test_a_csv_holds_one_table(validation_dir, capsys):
    path = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"
    assert main(["estimate", str(path), "--loo", "--single-snp", "--format", "csv"]) == 2
    assert "a CSV holds one table and --loo, --single-snp ask for 2" in capsys.readouterr().err


def test_presso_global_p_is_never_a_bare_zero(validation_dir, capsys):
    """R's mr_presso writes Pvalue as the text "<1/NbDistribution" when no simulated RSS exceeds the observed
    one: the lipids data have two outliers, so with 100 distributions the share is 0."""
    path = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"
    out = run_json(capsys, ["estimate", str(path), "--methods", "ivw", "--presso-n", "100", "--seed", "1"])
    pr = out["presso"]
    assert pr["global_p"] == "<0.01" == pr["global_p_text"] and pr["global_p_bound"] == 0.01
    tsmr = run_json(capsys, ["estimate", str(path), "--methods", "ivw", "--presso-n", "100", "--seed", "1",
                             "--names", "twosamplemr"])
    assert tsmr["mr_presso"][0]["Pvalue"] == "<0.01"
    assert main(["estimate", str(path), "--methods", "presso", "--presso-n", "100", "--seed", "1", "--format",
                 "csv"]) == 0
    assert "p <0.01" in capsys.readouterr().out  # the MR-PRESSO row's note


def test_ml_maxit_note_is_explained_and_the_converged_estimate_is_one_flag_away(validation_dir, capsys):
    """On BMI -> CHD R's Nelder-Mead stops at maxit = 25000 (ml.py); --ml-optimizer profile gives the maximum of
    the likelihood, checked here against scipy's bounded minimisation of the profile likelihood
    sum (by - theta bx)^2 / (byse^2 + theta^2 bxse^2) (Burgess et al. 2013), an independent oracle."""
    from scipy.optimize import minimize_scalar

    path = validation_dir / "harmonised" / "bmi_chd.csv"
    assert main(["estimate", str(path), "--methods", "ml", "--presso-n", "20"]) == 0
    out = capsys.readouterr().out
    assert "Note on ml: R's optim (Nelder-Mead) stops after maxit = 25000" in out and "--ml-optimizer profile" in out
    got = run_json(capsys, ["estimate", str(path), "--methods", "ml", "--ml-optimizer", "profile", "--presso-n", "20"])
    row = got["methods"][0]
    assert row["note"] == ""
    d = pd.read_csv(path)
    profile = minimize_scalar(lambda t: np.sum((d.by - t * d.bx) ** 2 / (d.byse ** 2 + t ** 2 * d.bxse ** 2)),
                              bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-12})
    assert row["estimate"] == pytest.approx(profile.x, rel=1e-6)


def test_egger_warns_below_i2gx_of_09(tmp_path, capsys):
    """Weak, similar SNP-exposure effects: I2_GX = max(0, (Q - (k-1))/Q) of |bx| with SE bxse (TwoSampleMR's
    Isq), by hand here, is far below 0.9, so MR-Egger's row and the text carry the NOME warning (Bowden 2016)."""
    rng = np.random.default_rng(25)  # seed 25
    k = 12
    bx = 0.02 + rng.normal(0, 0.004, k)
    bxse = np.full(k, 0.01)
    by, byse = 0.3 * bx + rng.normal(0, 0.01, k), np.full(k, 0.01)
    w = 1 / bxse ** 2
    y = np.abs(bx)
    q = np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2)
    i2 = max(0.0, (q - (k - 1)) / q)
    assert i2 < 0.9
    path = tmp_path / "weak.csv"
    pd.DataFrame({"SNP": [f"rs{j}" for j in range(k)], "bx": bx, "bxse": bxse, "by": by, "byse": byse}).to_csv(
        path, index=False)
    out = run_json(capsys, ["estimate", str(path), "--methods", "ivw,egger", "--presso-n", "20"])
    egger = next(r for r in out["methods"] if r["method"] == "egger")
    assert f"I2_GX {i2:.3f} < 0.9" in egger["note"] and "SIMEX" in egger["note"]
    assert next(r for r in out["methods"] if r["method"] == "ivw")["note"] == ""
    assert main(["estimate", str(path), "--methods", "ivw,egger", "--presso-n", "20"]) == 0
    assert f"Warning: MR-Egger: I2_GX {i2:.3f} < 0.9: NOME violated" in capsys.readouterr().out


def test_no_warning_when_i2gx_is_high(validation_dir, capsys):
    path = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"  # I2_GX 0.93 (TwoSampleMR's Isq)
    assert main(["estimate", str(path), "--methods", "egger", "--presso-n", "20"]) == 0
    assert "Warning: MR-Egger" not in capsys.readouterr().out


def test_two_pairs_bind_as_r_binds_them(validation_dir, tmp_path, capsys):
    """A table of two exposure-outcome pairs: each TwoSampleMR table holds the first pair's rows, then the
    second's, each equal to the pair run alone."""
    one = pd.read_csv(validation_dir / "harmonised" / "lipids_chd_ldlc.csv")
    both = pd.concat([one.assign(exposure="ldl", outcome="chd"), one.assign(exposure="ldl2", outcome="chd",
                                                                              by=one.by * 0.5)])
    path, alone = tmp_path / "two.csv", tmp_path / "one.csv"
    both.to_csv(path, index=False)
    both[both.exposure == "ldl2"].to_csv(alone, index=False)
    got = run_csv(capsys, ["estimate", str(path), "--loo", "--names", "twosamplemr", "--presso-n", "20"])
    assert list(got["exposure"]) == ["ldl"] * 29 + ["ldl2"] * 29 and (got["id.exposure"] == got["exposure"]).all()
    second = run_csv(capsys, ["estimate", str(alone), "--loo", "--names", "twosamplemr", "--presso-n", "20"])
    pd.testing.assert_frame_equal(got.iloc[29:].reset_index(drop=True), second)
