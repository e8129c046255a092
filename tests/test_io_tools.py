"""Association tools' output read by each tool's own allele convention (issue 20).

Each example is hand-written from the tool's documentation or source (cited at each test); the right numbers
(effect allele, sign of beta, effect-allele frequency, p, se) are stated from that documentation, not from
mrkit. A table whose effect allele cannot be known is refused with advice, never guessed.
"""
from __future__ import annotations

import gzip
import math

import numpy as np
import pytest

from mrkit.errors import InputError
from mrkit.gwas.io import ReadReport, read_sumstats


def write(path, lines: list[str], sep: str = " ", how: str = "plain"):
    text = "\n".join(sep.join(line.split()) for line in lines) + "\n"
    path.write_bytes(gzip.compress(text.encode()) if how == "gzip" else text.encode())
    return path


def one(df, column):
    assert len(df) == 1, df
    return df[column].iloc[0]


# --- SAIGE ---------------------------------------------------------------------------------------------------
# SAIGE-doc docs/single_step2.md (saigegit/SAIGE-doc): "Association results are with regard to Allele2";
# "BETA: effect size of allele 2", "AF_Allele2: allele frequency of allele 2", "p.value: p value". The header
# is that of SAIGE's extdata/output/example.SAIGE.vcf.genotype.txt (space-separated).
SAIGE = ["CHR POS SNPID Allele1 Allele2 AC_Allele2 AF_Allele2 imputationInfo N BETA SE Tstat p.value p.value.NA "
         "Is.SPA.converge varT varTstar",
         "1 13 rs13 A C 150 0.15 1 500 0.35 0.1 35 0.00047 0.00047 1 1 1"]


def test_saige_effect_is_allele2(tmp_path):
    df = read_sumstats(write(tmp_path / "saige.txt", SAIGE))
    assert df.attrs["format"] == "saige"
    assert (one(df, "effect_allele"), one(df, "other_allele")) == ("C", "A")  # Allele2 is the effect allele
    assert (one(df, "eaf"), one(df, "beta"), one(df, "se"), one(df, "p")) == (0.15, 0.35, 0.1, 0.00047)
    assert (one(df, "snp"), one(df, "chrom"), one(df, "pos"), one(df, "n")) == ("rs13", "1", 13, 500)


def test_the_saige_case_of_issue_20_never_takes_allele1(tmp_path):
    # the SAIGE output with its p column renamed (what the old refusal advised): no tool's header any more,
    # so the generic reader sees an Allele1/Allele2 pair and refuses, naming the flag; following the advice
    # gives the right allele (before: Allele1 = A was taken as the effect allele, silently)
    renamed = [SAIGE[0].replace("p.value ", "P "), SAIGE[1]]
    path = write(tmp_path / "saige_p.txt", renamed)
    with pytest.raises(InputError, match=r"line 1, column 'Allele1': columns Allele1 and Allele2 do not say which "
                                         r"is the effect allele .*--effect-allele-col COLUMN"):
        read_sumstats(path, hints={"effect_allele_col": "--effect-allele-col COLUMN"})
    with pytest.raises(InputError, match="never guessed"):
        read_sumstats(path, columns={"p": "P"})  # the old advice alone
    df = read_sumstats(path, effect_allele_col="Allele2")
    assert (one(df, "effect_allele"), one(df, "other_allele"), one(df, "beta")) == ("C", "A", 0.35)


def test_a_frequency_of_allele1_is_not_the_frequency_of_allele2(tmp_path):
    path = write(tmp_path / "pair.txt", ["SNP Allele1 Allele2 Freq1 BETA SE P", "rs1 A G 0.2 0.1 0.01 1e-9"])
    df = read_sumstats(path, effect_allele_col="Allele2")
    assert (one(df, "effect_allele"), one(df, "other_allele")) == ("G", "A") and np.isnan(one(df, "eaf"))
    assert "Freq1 not read as the effect-allele frequency" in str(ReadReport.of(df))
    df = read_sumstats(path, effect_allele_col="Allele1")
    assert (one(df, "effect_allele"), one(df, "eaf")) == ("A", 0.2)


# --- REGENIE -------------------------------------------------------------------------------------------------
# regenie docs/docs/options.md, "Output" (rgcgithub/regenie): "reference allele (allele 0), alternative allele
# (allele 1), frequency of the alternative allele ... estimated effect sizes (for allele 1 on the original
# scale), standard errors, chi-square test statistics and -log10 p-value". Header of src/Step2_Models.cpp
# print_header_output_single; first row from example/test_bin_out_firth_Y1.regenie, with a DOM row added.
REGENIE = ["CHROM GENPOS ID ALLELE0 ALLELE1 A1FREQ INFO N TEST BETA SE CHISQ LOG10P EXTRA",
           "1 1 rs1 2 1 0.214575 1 494 ADD 0.0775674 0.230001 0.113736 0.133163 NA",
           "1 1 rs1 2 1 0.214575 1 494 DOM 0.2 0.3 0.4 0.5 NA",
           "1 2 rs2 G A 0.3 1 494 ADD -0.25 0.05 25 6 NA"]


def test_regenie_effect_is_allele1_and_p_from_log10p(tmp_path):
    df = read_sumstats(write(tmp_path / "y1.regenie", REGENIE))
    assert df.attrs["format"] == "regenie"
    # rs1's alleles are coded 1/2 in the example (invalid alleles: dropped and counted); rs2 read
    assert df.attrs["dropped"] == {"invalid allele": 1}
    assert (one(df, "effect_allele"), one(df, "other_allele"), one(df, "eaf")) == ("A", "G", 0.3)
    assert (one(df, "beta"), one(df, "se")) == (-0.25, 0.05)
    assert one(df, "p") == pytest.approx(1e-6, rel=1e-12)  # LOG10P 6 = -log10 p
    assert df.attrs["left_out"] == {"TEST is not ADD (a test other than the additive one)": 1}


def test_regenie_p_max_filter_streams_on_p(tmp_path):
    df = read_sumstats(write(tmp_path / "y1.regenie", REGENIE), p_max=5e-6)
    assert df["snp"].tolist() == ["rs2"]


def test_regenie_no_split_file_is_refused(tmp_path):
    path = write(tmp_path / "all.regenie", ["CHROM GENPOS ID ALLELE0 ALLELE1 A1FREQ N N_RR N_RA N_AA TEST BETA.Y1 "
                                            "SE.Y1 CHISQ.Y1 LOG10P.Y1 EXTRA", "1 2 rs2 G A 0.3 9 1 1 1 ADD 1 1 1 1 NA"])
    with pytest.raises(InputError, match="regenie --no-split file holds every trait"):
        read_sumstats(path)


# --- BOLT-LMM ------------------------------------------------------------------------------------------------
# BOLT-LMM manual v2.4, section 8 "Output": "ALLELE1: first allele in bim file (usually the minor allele), used
# as the effect allele; ALLELE0: second allele in bim file, used as the reference allele; A1FREQ: frequency of
# first allele"; P_BOLT_LMM_INF (infinitesimal model), P_BOLT_LMM (non-infinitesimal, recommended).
BOLT = ["SNP CHR BP GENPOS ALLELE1 ALLELE0 A1FREQ F_MISS BETA SE P_BOLT_LMM_INF P_BOLT_LMM",
        "rs58108140 1 10583 0.000000 A G 0.109 0.012 -0.0057 0.0051 2.6E-01 2.7E-01"]


@pytest.mark.parametrize("with_non_inf", [True, False])
def test_bolt_effect_is_allele1(tmp_path, with_non_inf):
    lines = BOLT if with_non_inf else [" ".join(line.split()[:-1]) for line in BOLT]
    df = read_sumstats(write(tmp_path / "bolt.stats.gz", lines, "\t", "gzip"))
    assert df.attrs["format"] == "bolt"
    assert (one(df, "effect_allele"), one(df, "other_allele"), one(df, "eaf")) == ("A", "G", 0.109)
    assert (one(df, "beta"), one(df, "se"), one(df, "pos")) == (-0.0057, 0.0051, 10583)
    assert one(df, "p") == (0.27 if with_non_inf else 0.26)


# --- PLINK 2 -------------------------------------------------------------------------------------------------
# plink-ng 2.0/plink2_glm_linear.cc and plink2_glm_logistic.cc write the header ("#CHROM POS ID REF ALT
# PROVISIONAL_REF? A1 OMITTED A1_FREQ TEST OBS_CT BETA|OR SE|LOG(OR)_SE ... P|NEG_LOG10_P"); plink2_glm.cc
# --gwas-ssf reads it back: A1 is the effect allele, the other allele is OMITTED, else whichever of REF/ALT is
# not A1; only TEST == ADD rows; OR with LOG(OR)_SE (the SE of log OR); LOG10_P/NEG_LOG10_P are -log10 p.
def test_plink2_linear_a1_may_be_ref(tmp_path):
    lines = ["#CHROM POS ID REF ALT PROVISIONAL_REF? A1 OMITTED A1_FREQ TEST OBS_CT BETA SE T_STAT P ERRCODE",
             "1 100 rs100 A G N A G 0.7 ADD 1000 0.12 0.02 6 3e-9 .",
             "1 100 rs100 A G N A G 0.7 ADDxCOVAR1 1000 0.5 0.2 2.5 0.01 ."]
    df = read_sumstats(write(tmp_path / "x.PHENO1.glm.linear", lines, "\t"))
    assert df.attrs["format"] == "plink2"
    assert (one(df, "effect_allele"), one(df, "other_allele"), one(df, "eaf")) == ("A", "G", 0.7)  # A1 = REF here
    assert (one(df, "beta"), one(df, "se"), one(df, "p"), one(df, "n")) == (0.12, 0.02, 3e-9, 1000)
    assert sum(df.attrs["left_out"].values()) == 1


def test_plink2_logistic_odds_ratio_and_other_allele_from_ref_alt(tmp_path):
    lines = ["#CHROM POS ID REF ALT A1 A1_FREQ FIRTH? TEST OBS_CT OR LOG(OR)_SE Z_STAT NEG_LOG10_P ERRCODE",
             "2 200 rs200 C T T 0.25 N ADD 4000 1.5 0.1 4.05 3 .",
             "2 300 rs300 C T C 0.75 N ADD 4000 0.8 0.05 -4.46 5 ."]
    df = read_sumstats(write(tmp_path / "x.PHENO1.glm.logistic.hybrid", lines, "\t"))
    assert df["effect_allele"].tolist() == ["T", "C"] and df["other_allele"].tolist() == ["C", "T"]
    np.testing.assert_allclose(df["beta"], [math.log(1.5), math.log(0.8)], rtol=1e-15)
    np.testing.assert_allclose(df["se"], [0.1, 0.05])  # LOG(OR)_SE is already on the log scale
    np.testing.assert_allclose(df["p"], [1e-3, 1e-5], rtol=1e-12)
    np.testing.assert_allclose(df["eaf"], [0.25, 0.75])


# --- GCTA-COJO .ma and fastGWA ------------------------------------------------------------------------------
# GCTA documentation, COJO: "SNP A1 A2 freq b se p N ... A1 needs to be the effect allele with A2 being the other
# allele and freq should be the frequency of A1" (row from the documentation's example).
def test_cojo_ma_effect_is_a1(tmp_path):
    df = read_sumstats(write(tmp_path / "test.ma", ["SNP A1 A2 freq b se p N",
                                                    "rs1001 A G 0.8493 0.0024 0.0055 0.6653 129850"]))
    assert df.attrs["format"] == "cojo"
    assert (one(df, "effect_allele"), one(df, "other_allele"), one(df, "eaf")) == ("A", "G", 0.8493)
    assert (one(df, "beta"), one(df, "se"), one(df, "p"), one(df, "n")) == (0.0024, 0.0055, 0.6653, 129850)


# GCTA src/FastFAM.cpp writes "CHR SNP POS A1 A2 N AF1 BETA SE P"; documentation (fastGWA): A1 the effect allele,
# AF1 its frequency.
def test_fastgwa_effect_is_a1(tmp_path):
    df = read_sumstats(write(tmp_path / "x.fastGWA", ["CHR SNP POS A1 A2 N AF1 BETA SE P",
                                                     "1 rs131 1005 T C 5000 0.25 -0.03 0.01 0.0027"], "\t"))
    assert df.attrs["format"] == "fastgwa"
    assert (one(df, "effect_allele"), one(df, "other_allele")) == ("T", "C")
    assert (one(df, "eaf"), one(df, "beta")) == (0.25, -0.03)
    assert (one(df, "p"), one(df, "n")) == (0.0027, 5000)


# --- METAL ---------------------------------------------------------------------------------------------------
# METAL metal/Main.cpp (statgen/METAL) writes "MarkerName Allele1 Allele2 [Freq1 FreqSE] Effect StdErr
# P-value|log(P) Direction"; its .info file: "Effect - overall estimated effect size for allele1", "Freq1 -
# weighted average of frequency for allele 1"; log(P) is log10 of p; alleles written in lower case (row of
# tests/test_04/METAANALYSIS1.TBL, with Freq1/FreqSE added).
def test_metal_effect_is_allele1_upper_cased(tmp_path):
    df = read_sumstats(write(tmp_path / "METAANALYSIS1.TBL", [
        "MarkerName Allele1 Allele2 Freq1 FreqSE Effect StdErr P-value Direction",
        "rs217377 t c 0.30 0.01 0.0122 0.0140 0.3841 +++"], "\t"))
    assert df.attrs["format"] == "metal"
    assert (one(df, "effect_allele"), one(df, "other_allele"), one(df, "eaf")) == ("T", "C", 0.30)
    assert (one(df, "beta"), one(df, "se"), one(df, "p"), one(df, "snp")) == (0.0122, 0.0140, 0.3841, "rs217377")


def test_metal_log_p_and_sample_size_scheme(tmp_path):
    df = read_sumstats(write(tmp_path / "m.tbl", ["MarkerName Allele1 Allele2 Effect StdErr log(P) Direction",
                                                 "rs4668077 a g -0.0062 0.0171 -2 --+"], "\t"))
    assert one(df, "p") == pytest.approx(0.01, rel=1e-12) and one(df, "effect_allele") == "A"
    path = write(tmp_path / "z.tbl", ["MarkerName Allele1 Allele2 Weight Zscore P-value Direction",
                                      "rs217377 t c 6806.00 1.121 0.2625 +++"], "\t")
    with pytest.raises(InputError, match=r"z.tbl, line 1: METAL .*sample-size scheme .*SCHEME STDERR"):
        read_sumstats(path)


# --- every format of the catalogue is read by its module, in detection order ----------------------------------
def test_catalogue_and_readers_agree():
    from mrkit.gwas.io.catalogue import FORMAT_NAMES, TOOLS, catalogue_help
    from mrkit.gwas.io.reader import FORMATS

    assert tuple(FORMATS) == FORMAT_NAMES
    text = catalogue_help()
    for spec in TOOLS:
        assert f"effect allele {spec.effect_allele()} " in text and spec.source[:30] in text
