"""The five inputs of ``../shared/bugs`` (shaped after public bug reports) give their right results.

Every expected number is the one derived by hand in ``../shared/bugs/README.md`` (issue 11); the
test names the kind of fault each input stands for.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

from mrkit.cli import main
from mrkit.gwas.harmonise import harmonisation_flow, harmonise
from mrkit.gwas.io import read_harmonised, read_sumstats
from mrkit.methods.estimate import METHODS
from mrkit.methods.steiger import steiger_directionality

BUGS = SHARED / "bugs"


@pytest.fixture(scope="module")
def bugs():
    if not (BUGS / "README.md").is_file():
        pytest.skip(f"bug inputs not found at {BUGS} (set MRKIT_SHARED to the shared/ folder)")
    return BUGS


def re_line(stage: str, n: int, printed: str) -> bool:
    """The flow printed by ``mrkit harmonise`` has the line ``stage  n  kind``."""
    return re.search(rf"^{re.escape(stage)}\s+{n}\s+\w+$", printed, flags=re.MULTILINE) is not None


def _json(capsys, argv) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


# -- kind 4: an exact fit -------------------------------------------------------------------------------------
def test_exact_fit_has_the_hand_derived_numbers(bugs, capsys):
    out = _json(capsys, ["estimate", str(bugs / "exact_fit_3snps.csv"), "--format", "json", "--methods",
                         "ivw,ivw_fe,ivw_mre,egger", "--presso-n", "50"])
    rows = {r["method"]: r for r in out["methods"]}
    # README: IVW 0.5; fixed-effect SE 1/sqrt(sum(bx^2/byse^2)) = 0.872872; the floored random-effects SE
    # equals it; MR-Egger slope 0.5, intercept 0, slope SE 1.851640, intercept SE 0.612372
    for method in ("ivw", "ivw_fe", "ivw_mre", "egger"):
        assert rows[method]["estimate"] == pytest.approx(0.5, rel=1e-12)
    assert rows["ivw_fe"]["se"] == pytest.approx(0.872872, abs=5e-7)
    assert rows["ivw"]["se"] == pytest.approx(rows["ivw_fe"]["se"], rel=1e-12)
    assert rows["egger"]["se"] == pytest.approx(1.851640, abs=5e-7)
    assert out["pleiotropy"]["intercept"] == pytest.approx(0.0, abs=1e-12)
    assert out["pleiotropy"]["se"] == pytest.approx(0.612372, abs=5e-7)
    # the unfloored random-effects SE is 0 and says why
    assert rows["ivw_mre"]["se"] == 0.0 and "exact fit" in rows["ivw_mre"]["note"]
    assert out["heterogeneity"]["ivw"]["q"] == 0.0 and out["heterogeneity"]["ivw"]["p"] == 1.0


@pytest.mark.parametrize("method", [m for m in METHODS if m != "wald_ratio"])
def test_exact_fit_never_gives_a_traceback_whatever_the_methods(bugs, method, capsys):
    assert main(["estimate", str(bugs / "exact_fit_3snps.csv"), "--methods", method, "--n-boot", "50",
                 "--presso-n", "50"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err == ""


# -- kind 5: Steiger with p stored as 0 -----------------------------------------------------------------------
def test_steiger_from_beta_and_se_when_p_underflows(bugs, capsys):
    out = _json(capsys, ["estimate", str(bugs / "steiger_p_zero.csv"), "--format", "json"])
    st = out["steiger"]
    # README: F = (b/se)^2, r2 = F/(n - 2 + F): exposure 10000/109998 = 0.090911, outcome 900/15898 = 0.056611;
    # z = 7.83, p = 4.7e-15, direction exposure -> outcome
    assert st["r2_exposure"] == pytest.approx(10000 / 109998, rel=1e-9)
    assert st["r2_outcome"] == pytest.approx(900 / 15898, rel=1e-9)
    assert round(st["z"], 2) == 7.83 and st["steiger_pval"] == pytest.approx(4.7e-15, rel=0.01)
    assert st["correct_causal_direction"] is True and st["rule"] == "bsen" and "underflow" in st["note"]
    assert out["input"]["flagged"] == {"p = 0 (underflow; kept: Steiger takes r2 from beta and SE)": 1}
    frame = read_harmonised(bugs / "steiger_p_zero.csv")
    assert steiger_directionality(frame)["z"] == pytest.approx(st["z"], rel=1e-12)


# -- kind 3: chr:pos:A1:A2 ids in each file's own allele order ------------------------------------------------
def test_allele_order_of_the_files_does_not_lose_the_variant(bugs, tmp_path, capsys):
    out = tmp_path / "h.csv"
    assert main(["harmonise", str(bugs / "allele_order_exposure_finngen.tsv"),
                 str(bugs / "allele_order_outcome_ssf.tsv"), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re_line("Absent from the outcome GWAS (no proxy)", 0, printed)
    assert re_line("Used in MR", 1, printed)
    table = pd.read_csv(out)
    assert len(table) == 1 and bool(table["mr_keep"][0])
    # README: the outcome swapped to the exposure's effect allele: by = +0.020, eaf.outcome 0.21
    assert table["effect_allele.outcome"][0] == "T" and table["beta.outcome"][0] == pytest.approx(0.020)
    assert table["eaf.outcome"][0] == pytest.approx(0.21)
    res = _json(capsys, ["estimate", str(out), "--format", "json"])
    wald = res["methods"][0]
    # README: Wald ratio 0.25, SE 0.1125 (first order), p 0.0263
    assert wald["method"] == "wald_ratio" and wald["estimate"] == pytest.approx(0.25)
    assert wald["se"] == pytest.approx(0.1125) and round(wald["p"], 4) == 0.0263


# -- kind 2: a row the reader drops must be reported by harmonise ---------------------------------------------
def test_reader_drop_reaches_the_harmonisation_log_and_flow(bugs, tmp_path, capsys):
    exposure = read_sumstats(bugs / "reader_drop_exposure.tsv")
    assert exposure.attrs["rows_read"] == 2 and exposure.attrs["dropped"] == {"se <= 0": 1}
    assert main(["harmonise", str(bugs / "reader_drop_exposure.tsv"), str(bugs / "reader_drop_outcome.csv"),
                 "-o", str(tmp_path / "h.csv")]) == 0
    printed = capsys.readouterr().out
    # README: "exposure file: 2 rows read, 1 dropped: se <= 0" in the log and the flow
    assert "reader_drop_exposure.tsv (generic): 2 rows read, 1 kept" in printed and "dropped 1: se <= 0" in printed
    assert re_line("Exposure rows dropped as invalid: se <= 0", 1, printed)
    log = harmonise(exposure, read_sumstats(bugs / "reader_drop_outcome.csv")).attrs["log"]
    assert log["exposure_dropped: se <= 0"] == 1 and log["candidate_instruments"] == 1
    flow = harmonisation_flow(log)
    assert flow.loc[flow["stage"] == "Exposure rows dropped as invalid: se <= 0", "n"].item() == 1


# -- kind 1: TwoSampleMR CSVs go through the same checks ------------------------------------------------------
def test_impossible_eaf_is_refused_with_file_line_and_column(bugs, tmp_path, capsys):
    assert main(["harmonise", str(bugs / "impossible_eaf_exposure.csv"), str(bugs / "impossible_eaf_outcome.csv"),
                 "-o", str(tmp_path / "h.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "impossible_eaf_exposure.csv, line 2, column 'eaf.exposure'" in err and "eaf outside (0, 1)" in err
    assert not (tmp_path / "h.csv").exists()


def test_impossible_eaf_never_decides_a_palindromes_strand(bugs):
    # in memory (TwoSampleMR data frames), the row is dropped and counted, never harmonised
    exposure = pd.read_csv(bugs / "impossible_eaf_exposure.csv")
    valid = exposure.assign(SNP="rs7400099", **{"eaf.exposure": 0.2})
    outcome = pd.read_csv(bugs / "impossible_eaf_outcome.csv")
    out = harmonise(pd.concat([exposure, valid], ignore_index=True),
                    pd.concat([outcome, outcome.assign(SNP="rs7400099")], ignore_index=True))
    assert out["SNP"].tolist() == ["rs7400099"]
    assert out.attrs["log"]["exposure_dropped: eaf outside (0, 1)"] == 1
    # the valid A/T SNP with EAF 0.2 vs 0.25 keeps the outcome's sign: no flip from an impossible frequency
    assert out["beta.outcome"].tolist() == [0.030] and out.attrs["log"]["palindromic_flipped"] == 0
    with pytest.raises(Exception, match=r"row 0, column 'eaf.exposure': eaf outside \(0, 1\) \(value 1.3\)"):
        harmonise(exposure, outcome, strict=True)
    assert np.isnan(out["eaf.outcome"]).sum() == 0
