"""``mrkit harmonise`` end to end: TwoSampleMR CSVs and a FinnGen table, clumping and proxies."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ld_panel_helpers import write_panel

from mrkit.cli import main


def test_validation_csvs_harmonise_to_the_published_table(validation_dir, tmp_path, capsys):
    out = tmp_path / "h.csv"
    code = main(["harmonise", str(validation_dir / "bmi_ieu-a-2_exposure.csv"),
                 str(validation_dir / "chd_ieu-a-7_outcome.csv"), "-o", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Used in MR" in printed and "79 with mr_keep" in printed
    table = pd.read_csv(out)
    for column in ("mr_keep", "palindromic", "ambiguous", "remove"):
        assert column in table.columns
    expected = pd.read_csv(validation_dir / "harmonised" / "bmi_chd.csv")
    got = table.set_index("SNP").loc[expected["SNP"]]
    np.testing.assert_array_equal(got["beta.exposure"].to_numpy(), expected["bx"].to_numpy())
    np.testing.assert_array_equal(got["beta.outcome"].to_numpy(), expected["by"].to_numpy())
    np.testing.assert_array_equal(got["se.outcome"].to_numpy(), expected["byse"].to_numpy())


def _as_finngen(bmi: pd.DataFrame) -> pd.DataFrame:
    """The TwoSampleMR exposure table ``bmi`` as a FinnGen release file's columns."""
    return pd.DataFrame({
        "#chrom": bmi["chr.exposure"], "pos": bmi["pos.exposure"], "ref": bmi["other_allele.exposure"],
        "alt": bmi["effect_allele.exposure"], "rsids": bmi["SNP"], "nearest_genes": "G",
        "pval": bmi["pval.exposure"], "mlogp": -np.log10(bmi["pval.exposure"]), "beta": bmi["beta.exposure"],
        "sebeta": bmi["se.exposure"], "af_alt": bmi["eaf.exposure"], "af_alt_cases": bmi["eaf.exposure"],
        "af_alt_controls": bmi["eaf.exposure"]})


def test_finngen_exposure_is_read_with_mrkit_io(validation_dir, tmp_path):
    bmi = pd.read_csv(validation_dir / "bmi_ieu-a-2_exposure.csv")
    finngen = _as_finngen(bmi)
    path = tmp_path / "bmi_finngen.tsv"
    finngen.to_csv(path, sep="\t", index=False)
    out = tmp_path / "h.csv"
    assert main(["harmonise", str(path), str(validation_dir / "chd_ieu-a-7_outcome.csv"), "-o", str(out),
                 "--exposure-name", "BMI", "--p-threshold", "5e-8"]) == 0
    table = pd.read_csv(out)
    expected = pd.read_csv(validation_dir / "harmonised" / "bmi_chd.csv").set_index("SNP")
    assert set(table["exposure"]) == {"BMI"}
    assert table["mr_keep"].all() and len(table) == int((bmi["pval.exposure"] <= 5e-8).sum())
    np.testing.assert_array_equal(table["beta.outcome"].to_numpy(), expected.loc[table["SNP"], "by"].to_numpy())


def test_clump_and_proxies_from_the_command_line(tmp_path, capsys):
    rng = np.random.default_rng(9)
    x = rng.binomial(2, 0.3, 300).astype(float)
    y = rng.binomial(2, 0.5, 300).astype(float)
    twin = x.copy()
    twin[:3] = 0
    ids = ["t", "twin", "y"]
    write_panel(tmp_path / "ref", np.stack([x, twin, y], axis=1), ids=ids, pos=[1_000, 2_000, 5_000_000],
                a1=["A", "C", "A"], a2=["G", "T", "G"])
    pd.DataFrame({"SNP": ids, "effect_allele.exposure": ["A", "C", "A"], "other_allele.exposure": ["G", "T", "G"],
                  "eaf.exposure": [0.3, 0.3, 0.5], "beta.exposure": [0.2, 0.19, 0.1], "se.exposure": [0.01] * 3,
                  "pval.exposure": [1e-30, 1e-25, 1e-9]}).to_csv(tmp_path / "exp.csv", index=False)
    pd.DataFrame({"SNP": ["twin", "y"], "effect_allele.outcome": ["C", "A"], "other_allele.outcome": ["T", "G"],
                  "eaf.outcome": [0.3, 0.5], "beta.outcome": [0.05, 0.01], "se.outcome": [0.02] * 2,
                  "pval.outcome": [0.01, 0.6]}).to_csv(tmp_path / "out.csv", index=False)
    out = tmp_path / "h.csv"
    assert main(["harmonise", str(tmp_path / "exp.csv"), str(tmp_path / "out.csv"), "-o", str(out),
                 "--p-threshold", "5e-8", "--bfile", str(tmp_path / "ref"), "--clump", "--engine", "numpy",
                 "--proxies"]) == 0
    printed = capsys.readouterr().out
    assert "clumping (numpy): 2 independent of 3 candidates" in printed
    assert "proxies: 1 of 1 missing instruments replaced" in printed
    table = pd.read_csv(out).set_index("SNP")
    assert list(table.index) == ["t", "y"]  # "twin" was clumped away, "t" came back through it
    assert table.loc["t", "proxy"] and table.loc["t", "proxy_snp"] == "twin"
    assert table.loc["t", "beta.outcome"] == pytest.approx(0.05) and table["mr_keep"].all()


def test_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    assert main(["harmonise", str(tmp_path / "nope.csv"), str(tmp_path / "nope2.csv"), "-o",
                 str(tmp_path / "x.csv")]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err
    (tmp_path / "a.csv").write_text("SNP,beta.exposure\nrs1,0.1\n")
    assert main(["harmonise", str(tmp_path / "a.csv"), str(tmp_path / "a.csv"), "-o", str(tmp_path / "x.csv"),
                 "--clump"]) == 2
    assert "--bfile" in capsys.readouterr().err


def test_instruments_are_genome_wide_significant_by_default(tmp_path, capsys):
    """Without --p-threshold, harmonise selects exposure variants with p <= 5e-8, as TwoSampleMR's
    extract_instruments (p1 = 5e-8) does; it used every variant of a whole GWAS as an instrument (a newcomer's
    trial: 19,398 'instruments' and IVW p = 1e-10). --p-threshold 1 keeps an instrument list whole."""
    snps = [f"rs{i}" for i in range(6)]
    p = [1e-30, 4e-8, 5e-8, 6e-8, 1e-3, 0.7]
    pd.DataFrame({"SNP": snps, "effect_allele.exposure": "A", "other_allele.exposure": "G", "eaf.exposure": 0.3,
                  "beta.exposure": [0.2, 0.1, 0.1, 0.1, 0.05, 0.01], "se.exposure": 0.01,
                  "pval.exposure": p}).to_csv(tmp_path / "exp.csv", index=False)
    pd.DataFrame({"SNP": snps, "effect_allele.outcome": "A", "other_allele.outcome": "G", "eaf.outcome": 0.3,
                  "beta.outcome": 0.01, "se.outcome": 0.02, "pval.outcome": 0.6}).to_csv(tmp_path / "out.csv",
                                                                                       index=False)
    out = tmp_path / "h.csv"
    assert main(["harmonise", str(tmp_path / "exp.csv"), str(tmp_path / "out.csv"), "-o", str(out)]) == 0
    assert "instruments: 3 variants with p <= 5e-08" in capsys.readouterr().out
    assert list(pd.read_csv(out)["SNP"]) == ["rs0", "rs1", "rs2"]
    assert main(["harmonise", str(tmp_path / "exp.csv"), str(tmp_path / "out.csv"), "-o", str(out),
                 "--p-threshold", "1"]) == 0
    assert sorted(pd.read_csv(out)["SNP"]) == snps
    assert main(["harmonise", str(tmp_path / "exp.csv"), str(tmp_path / "out.csv"), "-o", str(out),
                 "--p-threshold", "1e-40"]) == 2
    assert "5e-6" in capsys.readouterr().err  # none left: the message says what to do
    assert main(["harmonise", str(tmp_path / "exp.csv"), str(tmp_path / "out.csv"), "-o", str(out),
                 "--p-threshold", "0"]) == 2


def test_an_output_that_is_a_folder_is_refused_in_one_line(tmp_path, capsys, validation_dir):
    assert main(["harmonise", str(validation_dir / "bmi_ieu-a-2_exposure.csv"),
                 str(validation_dir / "chd_ieu-a-7_outcome.csv"), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: is a folder" in err and "Traceback" not in err


def test_a_negative_seed_is_a_user_error_not_a_bug(validation_dir, capsys):
    assert main(["estimate", str(validation_dir / "harmonised" / "bmi_chd.csv"), "--seed", "-1"]) == 2
    assert "--seed must be a whole number >= 0" in capsys.readouterr().err


def test_one_gwas_given_as_exposure_and_outcome_is_refused(validation_dir, tmp_path, capsys):
    """A newcomer's trial: the same FinnGen-style file passed twice (or an exposure file copied as the outcome)
    was harmonised to itself and every estimator then gave exactly 1 (IVW 1.0, SE 0.014 on the BMI instruments)
    with exit 0. The outcome holding the exposure's own beta and SE for every instrument is refused, and an
    output already there is left as it was."""
    bmi = pd.read_csv(validation_dir / "bmi_ieu-a-2_exposure.csv")
    finngen = _as_finngen(bmi)
    path = tmp_path / "bmi_finngen.tsv"
    finngen.to_csv(path, sep="\t", index=False)
    copy = tmp_path / "copy.tsv"
    copy.write_bytes(path.read_bytes())
    out = tmp_path / "h.csv"
    out.write_text("my earlier table\n")
    for outcome in (path, copy):
        capsys.readouterr()
        assert main(["harmonise", str(path), str(outcome), "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert f"{outcome} holds the exposure's own associations: all 79 instruments have the same beta" in err
    assert out.read_text() == "my earlier table\n"
    # a real outcome is not caught: one SE differing is enough
    other = finngen.assign(sebeta=finngen["sebeta"].where(finngen.index != 0, finngen["sebeta"] * 1.5))
    other.to_csv(copy, sep="\t", index=False)
    assert main(["harmonise", str(path), str(copy), "-o", str(out)]) == 0
