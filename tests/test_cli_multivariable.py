"""``mrkit estimate --multivariable``: the JSON contract of issue 13, formats and located errors."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from mrkit.cli import main


@pytest.fixture()
def mvfile(validation_dir, tmp_path):
    d = pd.read_csv(validation_dir / "lipids_chd_waterworth2010_28snps.csv")
    out = pd.DataFrame({"SNP": [f"v{i}" for i in d["variant_index"]], "bx1": d["ldlc"], "bx2": d["hdlc"],
                        "bx3": d["trig"], "bxse1": d["ldlcse"], "bxse2": d["hdlcse"], "bxse3": d["trigse"],
                        "by": d["chdlodds"], "byse": d["chdloddsse"]})
    path = tmp_path / "mv.csv"
    out.to_csv(path, index=False)
    return path


def test_json_keys(mvfile, capsys):
    assert main(["estimate", "--multivariable", str(mvfile), "--format", "json", "--n-boot", "200",
                 "--convention", "mendelianrandomization"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"methods", "strength", "heterogeneity", "pleiotropy", "convention", "seed", "input"} <= set(out)
    assert {m["method"] for m in out["methods"]} == {"mv_ivw", "mv_ivw_fe", "mv_egger", "mv_median"}
    assert out["strength"]["rule"] == "MVMR strength_mvmr, gencov = 0"
    assert {"exposure", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp"} <= set(out["methods"][0])
    assert set(out["strength"]["conditional_f"]) == {"exposure1", "exposure2", "exposure3"}
    assert out["heterogeneity"]["df"] == 25 and out["pleiotropy"]["df"] == 24
    assert {"estimate", "se", "p"} <= set(out["pleiotropy"]["egger_intercept"])


def test_table_and_errors(mvfile, tmp_path, capsys):
    assert main(["estimate", "--multivariable", str(mvfile), "--methods", "mv_ivw"]) == 0
    assert "Conditional F" in capsys.readouterr().out
    assert main(["estimate", "--multivariable", str(mvfile), "--methods", "mv_nonesuch"]) == 2
    assert "unknown method 'mv_nonesuch' for --methods with --multivariable" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text(mvfile.read_text().replace("\nv1,", "\nv1,x", 1))
    assert main(["estimate", "--multivariable", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{bad}, line 2, column 'bx1'" in err


def test_mv_cml_without_sample_size_says_why_and_how_in_the_table(mvfile, validation_dir, capsys):
    """MVMR-cML needs R mr_mvcML's n. Without it the rows are NaN: the printed table must say why, and name the
    remedy that exists for this input (--sample-size N; a wide bx1..bxK table has no samplesize columns). With it,
    the numbers are R's (``expected/methods2/lipids_chd_mv.json``, block mr_mvcML, n = 17723)."""
    assert main(["estimate", "--multivariable", str(mvfile), "--methods", "mv_cml"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if " mv_cml " in f" {line} "]
    assert len(rows) == 3 and all("--sample-size" in line for line in rows), out
    assert main(["estimate", "--multivariable", str(mvfile), "--methods", "mv_cml", "--format", "json"]) == 0
    notes = {m["note"] for m in json.loads(capsys.readouterr().out)["methods"]}
    assert len(notes) == 1 and "--sample-size" in notes.pop()
    assert main(["estimate", "--multivariable", str(mvfile), "--methods", "mv_cml", "--format", "json",
                 "--sample-size", "17723"]) == 0
    got = json.loads(capsys.readouterr().out)["methods"]
    want = json.loads((validation_dir / "expected" / "methods2" / "lipids_chd_mv.json").read_text())
    want = want["MendelianRandomization"]["mr_mvcML"]
    assert [m["estimate"] for m in got] == pytest.approx(want["Estimate"], rel=1e-6)
    assert [m["se"] for m in got] == pytest.approx(want["StdError"], rel=1e-6)


def test_a_phenocor_that_is_no_correlation_matrix_is_refused_naming_its_file(mvfile, tmp_path, capsys):
    """r12 = r13 = 0.9, r23 = -0.9 passes the reader's checks (symmetric, unit diagonal, in [-1, 1]) but has the
    eigenvalue -0.8 (by hand: M (1, -1, -1) = (1 - 0.9 - 0.9, 0.9 - 1 + 0.9, 0.9 + 0.9 - 1) = -0.8 (1, -1, -1)),
    so it is no correlation matrix. The method refuses it; the one line must name the file given with --phenocor,
    not an internal argument ('rho', 'phenocor' as a 'column')."""
    bad = tmp_path / "pcor.csv"
    bad.write_text(",exposure1,exposure2,exposure3\nexposure1,1,0.9,0.9\nexposure2,0.9,1,-0.9\n"
                   "exposure3,0.9,-0.9,1\n")
    for extra in ([], ["--methods", "mv_cml", "--sample-size", "17723"]):
        assert main(["estimate", "--multivariable", str(mvfile), "--phenocor", str(bad), *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert str(bad) in err and "positive definite" in err and "column" not in err, err
