"""``mrkit estimate``: JSON contract, formats and one-line located errors (exit 2)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mrkit.cli import main


@pytest.fixture()
def lipids(validation_dir):
    return validation_dir / "harmonised" / "lipids_chd_ldlc.csv"


def test_json_output(lipids, capsys):
    assert main(["estimate", str(lipids), "--format", "json", "--methods", "ivw,egger",
                 "--presso-n", "500", "--seed", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"methods", "heterogeneity", "pleiotropy", "presso", "convention", "seed",
                        "input"}
    assert [m["method"] for m in out["methods"]] == ["ivw", "egger"]
    assert out["seed"] == 5 and out["convention"] == "twosamplemr"
    assert out["input"]["nsnp"] == 28 and out["input"]["n_excluded"] == 0
    assert out["heterogeneity"]["ivw"]["df"] == 27 and out["heterogeneity"]["egger"]["df"] == 26
    assert set(out["pleiotropy"]) >= {"intercept", "se", "p"}
    assert {"global_rss", "global_p", "outliers", "corrected"} <= set(out["presso"])
    assert all(isinstance(s, str) for s in out["presso"]["outliers"])


def test_csv_and_table_formats(lipids, capsys):
    assert main(["estimate", str(lipids), "--format", "csv", "--methods", "ivw",
                 "--convention", "mendelianrandomization"]) == 0
    from io import StringIO
    table = pd.read_csv(StringIO(capsys.readouterr().out))
    assert table["convention"][0] == "mendelianrandomization"
    assert main(["estimate", str(lipids), "--methods", "ivw", "--presso-n", "200"]) == 0
    assert "Cochran Q 99.5304" in capsys.readouterr().out


def test_bad_row_is_dropped_and_counted_or_with_strict_exits_2_naming_file_line_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.1\nrs2,0.1,0.01,0.2,inf\n"
                   "rs3,0.2,0.01,0.2,0.1\n")
    assert main(["estimate", str(bad), "--methods", "ivw", "--presso-n", "10"]) == 0
    out = capsys.readouterr().out
    assert f"{bad}: dropped 1 row(s): se not finite" in out and ": 2 SNPs" in out
    assert main(["estimate", str(bad), "--strict"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{bad}, line 3, column 'byse': se not finite (value inf)" in err


def test_hetpen_grid_flag_widens_the_grid_the_edge_note_asks_for(validation_dir, tmp_path, capsys):
    """R's mr_hetpen grid -1...1 cuts calcium -> fasting glucose at 1 (``expected/methods2/calcium_fastgluc.json``,
    block mr_hetpen); the row's note says to widen the grid, which the command line must allow: ``--hetpen-grid -5 8``
    gives R's ``mr_hetpen(CIMin = -5, CIMax = 8)`` (block mr_hetpen_wide: 2.219, CI 0.313 to 4.339)."""
    raw = pd.read_csv(validation_dir / "calcium_fastgluc_6snps.csv")
    path = tmp_path / "calcium.csv"
    pd.DataFrame({"SNP": [f"s{i + 1}" for i in range(len(raw))], "bx": raw["calcium"], "bxse": raw["calciumse"],
                  "by": raw["fastgluc"], "byse": raw["fastglucse"]}).to_csv(path, index=False)
    want = json.loads((validation_dir / "expected" / "methods2" / "calcium_fastgluc.json").read_text())
    assert main(["estimate", str(path), "--methods", "hetpen", "--format", "json", "--presso-n", "20"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["methods"]
    assert row["estimate"] == pytest.approx(want["MendelianRandomization"]["mr_hetpen"]["Estimate"])
    assert "--hetpen-grid" in row["note"]
    assert main(["estimate", str(path), "--methods", "hetpen", "--format", "json", "--presso-n", "20",
                 "--hetpen-grid", "-5", "8"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["methods"]
    wide = want["MendelianRandomization"]["mr_hetpen_wide"]
    for mine, theirs in (("estimate", "Estimate"), ("ci_lower", "CILower"), ("ci_upper", "CIUpper")):
        assert row[mine] == pytest.approx(wide[theirs], rel=1e-6), mine
    assert row["note"] == "" and (row["grid_min"], row["grid_max"]) == (-5, 8)
    assert main(["estimate", str(path), "--methods", "hetpen", "--hetpen-grid", "8", "-5"]) == 2
    assert "--hetpen-grid" in capsys.readouterr().err


def test_steiger_without_p_columns_names_them_once_and_says_what_to_add(lipids, tmp_path, capsys):
    """TwoSampleMR's directionality_test takes r2 from p and n (get_r_from_pn). A table with sample sizes but no
    pval.* column cannot be tested: the one line says which column and why, naming it once (it read "column
    'pval.exposure': column 'pval.exposure' is needed ...")."""
    table = pd.read_csv(lipids).assign(**{"samplesize.exposure": 17723, "samplesize.outcome": 17723})
    path = tmp_path / "with_n.csv"
    table.to_csv(path, index=False)
    assert main(["estimate", str(path), "--methods", "ivw", "--format", "json", "--presso-n", "20"]) == 0
    note = json.loads(capsys.readouterr().out)["steiger"]["note"]
    assert note.count("pval.exposure") == 1 and "p and n" in note, note


def test_an_ld_matrix_that_is_no_correlation_matrix_is_refused_naming_its_file(validation_dir, tmp_path, capsys):
    """The --ld counterpart of the --phenocor case (tests/test_cli_multivariable.py): r12 = r13 = 0.9, r23 = -0.9
    (eigenvalue -0.8) among the six calcium variants; clr and pcgmm refuse it, and the line names the file."""
    raw = pd.read_csv(validation_dir / "calcium_fastgluc_6snps.csv")
    names = [f"s{i + 1}" for i in range(len(raw))]
    path = tmp_path / "calcium.csv"
    pd.DataFrame({"SNP": names, "bx": raw["calcium"], "bxse": raw["calciumse"], "by": raw["fastgluc"],
                  "byse": raw["fastglucse"], "samplesize.exposure": 6351, "samplesize.outcome": 133010}).to_csv(
        path, index=False)
    ld = pd.DataFrame(np.eye(6), index=names, columns=names)
    ld.iloc[0, 1] = ld.iloc[1, 0] = ld.iloc[0, 2] = ld.iloc[2, 0] = 0.9
    ld.iloc[1, 2] = ld.iloc[2, 1] = -0.9
    ld_path = tmp_path / "ld.csv"
    ld.to_csv(ld_path)
    for method in ("clr", "pcgmm"):
        assert main(["estimate", str(path), "--methods", method, "--ld", str(ld_path), "--presso-n", "20"]) == 2
        err = capsys.readouterr().err.strip()
        assert str(ld_path) in err and "positive definite" in err and "column" not in err, err


def test_an_ld_matrix_is_used_by_clr_and_pcgmm_and_the_other_rows_say_they_did_not(validation_dir, tmp_path, capsys):
    """MendelianRandomization's mr_ivw and mr_egger switch to their correlated forms when the object has an LD
    matrix (calcium: IVW 2.2446, expected/methods2 mr_ivw_correl); mrkit's IVW and MR-Egger do not, so with --ld
    their rows must say that the matrix was not used (their numbers are those without it), while clr's row uses it
    (R's mr_clr with calc.rho, expected/methods2 mr_clr_correl) and says nothing of the kind."""
    raw = pd.read_csv(validation_dir / "calcium_fastgluc_6snps.csv")
    names = [f"s{i + 1}" for i in range(len(raw))]
    path = tmp_path / "calcium.csv"
    pd.DataFrame({"SNP": names, "bx": raw["calcium"], "bxse": raw["calciumse"], "by": raw["fastgluc"],
                  "byse": raw["fastglucse"], "samplesize.exposure": 6351, "samplesize.outcome": 133010}).to_csv(
        path, index=False)
    rho = pd.read_csv(validation_dir / "calc_rho_6x6.csv").select_dtypes("number").to_numpy()
    ld_path = tmp_path / "ld.csv"
    pd.DataFrame(rho, index=names, columns=names).to_csv(ld_path)
    args = ["estimate", str(path), "--methods", "ivw,egger,clr", "--format", "json", "--presso-n", "20"]
    assert main(args) == 0
    plain = {r["method"]: r for r in json.loads(capsys.readouterr().out)["methods"]}
    assert main([*args, "--ld", str(ld_path)]) == 0
    rows = {r["method"]: r for r in json.loads(capsys.readouterr().out)["methods"]}
    for method in ("ivw", "egger"):
        assert "LD matrix is not used" in rows[method]["note"] and "clr and pcgmm" in rows[method]["note"]
        assert "ivw_correl, egger_correl" in rows[method]["note"]
        assert rows[method]["estimate"] == plain[method]["estimate"]
    assert "LD matrix" not in (rows["clr"]["note"] or "")
    want = json.loads((validation_dir / "expected" / "methods2" / "calcium_fastgluc.json").read_text())
    assert rows["clr"]["ar_lower"] == pytest.approx(want["MendelianRandomization"]["mr_clr_correl"]["ARlower"],
                                                     rel=1e-4)
