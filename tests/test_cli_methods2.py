"""``mrkit estimate`` with the issue-23 methods: every id a row with its own extra quantities (text, CSV, JSON), the
flags that reach the methods (``--lasso-lambda``, ``--ld``, ``--phenocor``, ``--sample-size``) checked end to end
against R's numbers, and the labelled matrix files refused with their place.

Golden numbers: ``../shared/validation/expected/methods2/<dataset>.json`` (MendelianRandomization 0.10.0, MVMR
0.4.6; R 4.2.2), at the tolerance each block records (deterministic 1e-6 relative; grid methods 1e-6 x max(|x|, 1)).
The R calls use qnorm(0.975) intervals, so the runs here use ``--convention mendelianrandomization``.
"""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from methods2_reference import assert_close, block, inputs, load, number

from mrkit.cli import main
from mrkit.methods.estimate import TABLE_COLUMNS
from mrkit.methods.registry import get_method, get_mv_method, method_ids

ROW = (("estimate", "Estimate"), ("se", "StdError"), ("ci_lower", "CILower"), ("ci_upper", "CIUpper"),
       ("p", "Pvalue"))


def harmonised(tmp_path, dataset: str, order=None):
    """The dataset's input as a harmonised CSV with both GWAS sample sizes (the JSON's nx and ny)."""
    meta, (bx, bxse, by, byse) = load(dataset), inputs(dataset)
    snp = meta["input"]["SNP"]
    order = range(len(snp)) if order is None else order
    path = tmp_path / f"{dataset}.csv"
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["SNP", "bx", "bxse", "by", "byse", "samplesize.exposure", "samplesize.outcome"])
        for j in order:
            out.writerow([snp[j], *[repr(float(v[j])) for v in (bx, bxse, by, byse)], meta["nx"], meta["ny"]])
    return path


def matrix_csv(path, names, values, order):
    """A labelled square CSV (R's write.csv layout: empty corner cell) with rows and columns in ``order``."""
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["", *[names[i] for i in order]])
        for i in order:
            out.writerow([names[i], *[repr(float(values[i][j])) for j in order]])
    return path


def run_json(capsys, argv) -> dict:
    assert main(argv + ["--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_every_univariable_id_is_one_row_with_its_own_extra_quantities(tmp_path, capsys):
    path = harmonised(tmp_path, "lipids_chd_ldlc")
    argv = ["estimate", str(path), "--methods", "all", "--n-boot", "30", "--presso-n", "30"]
    rows = {r["method"]: r for r in run_json(capsys, argv)["methods"]}
    assert list(rows) == list(method_ids())
    for method_id, row in rows.items():
        assert list(row) == [*TABLE_COLUMNS, *get_method(method_id).row_keys], method_id
    # the ML row: R's Nelder-Mead point and beside it the maximum of the likelihood (test_ml.py checks its value)
    assert rows["ml"]["estimate_converged"] != rows["ml"]["estimate"] and "3.1733" in rows["ml"]["note"]
    assert rows["lasso"]["n_valid"] <= 28 and rows["rucker"]["model"] in "ABCD"
    assert rows["hetpen"]["note"] == ("not estimable: HetPen enumerates all 2^J - 1 subsets of variants; J = 28 > 20, "
                                      "so it is not run (R refuses J > 30)")
    assert rows["wald_ratio"]["note"].startswith("not estimable")

    assert main(argv[:-4] + ["--n-boot", "30", "--presso-n", "30", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split(",")
    assert header[:len(TABLE_COLUMNS)] == list(TABLE_COLUMNS)
    assert {"lambda", "n_valid", "psi", "model", "outliers", "ar_lower", "estimate_converged"} <= set(header)
    assert len(lines) == 1 + len(rows)

    assert main(["estimate", str(path), "--methods", "lasso,rucker", "--n-boot", "30", "--presso-n", "30"]) == 0
    text = capsys.readouterr().out
    assert "Further quantities of each method:" in text
    assert f"  lasso: lambda {rows['lasso']['lambda']:.6g}, n_valid {rows['lasso']['n_valid']}" in text
    assert f"  rucker: model {rows['rucker']['model']}, q_ivw" in text


def test_univariable_flags_reach_the_methods_equal_r(tmp_path, capsys):
    """bmi_chd under MendelianRandomization's convention: the fixed lasso penalty (--lasso-lambda), cML-MA-BIC's n
    and CLR's nx, ny from the samplesize.* columns, dIVW, ConMix and PC-GMM (identity LD) as R."""
    meta = load("bmi_chd")
    path = harmonised(tmp_path, "bmi_chd")
    out = run_json(capsys, ["estimate", str(path), "--convention", "mendelianrandomization", "--methods",
                            "lasso,cml,divw,conmix,clr,pcgmm", "--lasso-lambda", str(meta["lasso_fixed_lambda"]),
                            "--presso-n", "30"])
    rows = {r["method"]: r for r in out["methods"]}
    for method_id, name in (("lasso", "mr_lasso_fixed"), ("cml", "mr_cML_MA_BIC"), ("divw", "mr_divw")):
        ref = block("bmi_chd", name)
        for ours, theirs in ROW:
            assert_close(rows[method_id][ours], ref[theirs], what=f"{method_id} {ours}")
    assert rows["lasso"]["lambda"] == meta["lasso_fixed_lambda"]
    assert rows["cml"]["n"] == meta["n_cml"] == min(meta["nx"], meta["ny"])
    ref = block("bmi_chd", "mr_conmix")
    for ours, theirs in (("estimate", "Estimate"), ("ci_lower", "CILower"), ("ci_upper", "CIUpper")):
        assert_close(rows["conmix"][ours], ref[theirs], abs_floor=1.0, what=f"conmix {ours}")
    ref = block("bmi_chd", "mr_clr")
    for ours, theirs in (("ci_lower", "CLRlower"), ("ci_upper", "CLRupper"), ("ar_lower", "ARlower"),
                         ("ar_upper", "ARupper")):
        expected = np.atleast_1d(number(ref[theirs]))
        if expected.size == 1:
            assert_close(rows["clr"][ours], expected, abs_floor=1.0, what=f"clr {ours}")
    ref = block("bmi_chd", "mr_pcgmm_identity")
    for ours, theirs in ROW[:4]:
        assert_close(rows["pcgmm"][ours], ref[theirs], rel=1e-4, what=f"pcgmm {ours}")


def test_an_ld_file_reaches_clr_in_the_rows_order(tmp_path, capsys):
    """calcium_fastgluc with R's 6 x 6 correlation (``mr_clr(correl = )``): the file lists the SNPs in another
    order; the command puts the matrix in the order of the input's rows, as R's mr_input holds it."""
    meta = load("calcium_fastgluc")
    snp = meta["input"]["SNP"]
    path = harmonised(tmp_path, "calcium_fastgluc")
    ld = matrix_csv(tmp_path / "ld.csv", snp, meta["correlation"], order=[3, 0, 5, 1, 4, 2])
    out = run_json(capsys, ["estimate", str(path), "--convention", "mendelianrandomization", "--methods", "clr",
                            "--ld", str(ld), "--presso-n", "30"])
    rows = {r["method"]: r for r in out["methods"]}
    ref = block("calcium_fastgluc", "mr_clr_correl")
    for ours, theirs in (("ci_lower", "CLRlower"), ("ci_upper", "CLRupper"), ("ar_lower", "ARlower"),
                         ("ar_upper", "ARupper"), ("k_lower", "Klower"), ("k_upper", "Kupper")):
        expected = np.atleast_1d(number(ref[theirs]))
        if expected.size == 1:
            assert_close(rows["clr"][ours], expected, abs_floor=1.0, what=ours)
    plain = {r["method"]: r for r in run_json(capsys, ["estimate", str(path), "--convention", "mendelianrandomization",
                                                       "--methods", "clr", "--presso-n", "30"])["methods"]}
    assert (plain["clr"]["ar_lower"], plain["clr"]["ar_upper"]) != (rows["clr"]["ar_lower"], rows["clr"]["ar_upper"])


def _mv_file(tmp_path, dataset: str):
    bx, bxse, by, byse = inputs(dataset)
    snp = load(dataset)["input"]["SNP"]
    path = tmp_path / "mv.csv"
    k = bx.shape[1]
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["SNP", *[f"bx{i + 1}" for i in range(k)], *[f"bxse{i + 1}" for i in range(k)], "by", "byse"])
        for j in range(len(by)):
            out.writerow([snp[j], *[repr(float(v)) for v in (*bx[j], *bxse[j], by[j], byse[j])]])
    return path, [f"exposure{i + 1}" for i in range(k)]


def test_multivariable_phenocor_lasso_and_cml_equal_r(tmp_path, capsys):
    """lipids_chd_mv: --phenocor (listed in another order) gives MVMR's gencov conditional F and Q_A and mr_mvcML's
    rho; --lasso-lambda mr_mvlasso(lambda = 0.39); --sample-size mr_mvcML's n."""
    meta = load("lipids_chd_mv")
    path, names = _mv_file(tmp_path, "lipids_chd_mv")
    pcor = matrix_csv(tmp_path / "pcor.csv", names, meta["pcor"], order=[2, 0, 1])
    out = run_json(capsys, ["estimate", "--multivariable", str(path), "--convention", "mendelianrandomization",
                            "--methods", "mv_ivw,mv_lasso,mv_cml", "--phenocor", str(pcor), "--lasso-lambda",
                            str(meta["lasso_fixed_lambda"]), "--sample-size", str(meta["n_cml"])])
    assert out["strength"]["rule"] == "MVMR strength_mvmr, gencov = phenocov_mvmr(pcor, bxse)"
    assert_close([out["strength"]["conditional_f"][n] for n in names],
                 block("lipids_chd_mv", "strength_mvmr_gencov", "MVMR")["conditional_F"], what="conditional F")
    ref = block("lipids_chd_mv", "pleiotropy_mvmr_gencov", "MVMR")
    assert_close(out["pleiotropy"]["q_a"], ref["Qstat"], what="Q_A")
    assert_close(out["pleiotropy"]["p"], ref["Qpval"], what="Q_A p")
    for method_id, name in (("mv_lasso", "mr_mvlasso_fixed"), ("mv_cml", "mr_mvcML_rho")):
        rows = [r for r in out["methods"] if r["method"] == method_id]
        assert [r["exposure"] for r in rows] == names
        assert all(list(r) == ["exposure", "outcome", *TABLE_COLUMNS, *get_mv_method(method_id).row_keys]
                   for r in rows)
        ref = block("lipids_chd_mv", name)
        for ours, theirs in ROW:
            assert_close([r[ours] for r in rows], ref[theirs], what=f"{method_id} {ours}")
    assert {r["n"] for r in out["methods"] if r["method"] == "mv_cml"} == {float(meta["n_cml"])}
    assert {r["lambda"] for r in out["methods"] if r["method"] == "mv_lasso"} == {meta["lasso_fixed_lambda"]}
    assert "n" not in [r for r in out["methods"] if r["method"] == "mv_ivw"][0]  # each row: its own method's keys
    # without --phenocor: MVMR's gencov = 0
    plain = run_json(capsys, ["estimate", "--multivariable", str(path), "--methods", "mv_ivw"])
    assert_close([plain["strength"]["conditional_f"][n] for n in names],
                 block("lipids_chd_mv", "strength_mvmr_gencov0", "MVMR")["conditional_F"], what="F gencov 0")


@pytest.mark.parametrize("content,message", [
    (",rs1,rs2\nrs1,1,0.2\nrs2,0.3,1\n", "line 2, column 'rs2': the LD matrix is not symmetric"),
    (",rs1,rs2\nrs1,1,0.2\nrs2,0.2,x\n", "line 3, column 'rs2': 'x' is not a correlation"),
    (",rs1,rs2\nrs1,1,0.2\nrs2,0.2,0.9\n", "line 3, column 'rs2': the diagonal must be 1"),
    ("rs1,rs2,rs3\n1,0.2,0\n0.2,1,0\n", "the LD matrix must be square: 3 named columns but 2 rows"),
    (",v1,v2\nv1,1,0.2\nv2,0.2,1\n", "line 1: the LD matrix has no row and column for 'rs1', 'rs2'"),
])
def test_a_bad_matrix_file_is_refused_with_its_place(tmp_path, capsys, content, message):
    data = tmp_path / "two.csv"
    data.write_text("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.05,0.02\nrs2,0.2,0.01,0.09,0.02\nrs3,0.15,0.01,0.07,0.02\n")
    ld = tmp_path / "ld.csv"
    ld.write_text(content)
    assert main(["estimate", str(data), "--methods", "ivw", "--ld", str(ld)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{ld}, {message}" in err if message.startswith("line") else message in err


def test_multivariable_only_flags_are_refused_for_a_univariable_table(tmp_path, capsys):
    path = harmonised(tmp_path, "calcium_fastgluc")
    assert main(["estimate", str(path), "--phenocor", str(path)]) == 2
    assert "--phenocor: for --multivariable" in capsys.readouterr().err
