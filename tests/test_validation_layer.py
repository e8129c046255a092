"""One validation layer for every entry point (issue 11): more inputs of each kind of the public bug reports.

The handed inputs of ``../shared/bugs`` are in ``test_bug_reports.py``; these are the cases found beyond
them, grouped by the kind of fault (numbers as in the issue). Expected values are hand computations
written next to each assertion.
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mrkit
from mrkit.cli import main
from mrkit.errors import InputError
from mrkit.gwas.harmonise import harmonisation_flow, harmonise
from mrkit.gwas.io import read_harmonised, read_sumstats
from mrkit.gwas.rules import RULES, TWOSAMPLEMR, policy_help
from mrkit.methods.steiger import steiger_directionality

FINNGEN = ("#chrom", "pos", "ref", "alt", "rsids", "nearest_genes", "pval", "mlogp", "beta", "sebeta", "af_alt",
           "af_alt_cases", "af_alt_controls")
SSF = ("chromosome", "base_pair_location", "effect_allele", "other_allele", "beta", "standard_error",
       "effect_allele_frequency", "p_value")
VCF_HEAD = ("##fileformat=VCFv4.2\n##source=test\n"
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n")


def write(path, text: str):
    path.write_text(text)
    return path


def finngen(path, rows):
    """rows: (chrom, pos, ref, alt, rsid, p, beta, se, af)"""
    lines = ["\t".join(FINNGEN)]
    lines += ["\t".join(map(str, (c, pos, ref, alt, rsid, "G", p, 1, b, se, af, af, af)))
              for c, pos, ref, alt, rsid, p, b, se, af in rows]
    return write(path, "\n".join(lines) + "\n")


def ssf(path, rows):
    """rows: (chrom, pos, effect, other, beta, se, eaf, p)"""
    return write(path, "\n".join(["\t".join(SSF)] + ["\t".join(map(str, r)) for r in rows]) + "\n")


def tsmr(path, role, rows, extra=""):
    """rows: (SNP, effect, other, eaf, beta, se, p)"""
    head = ",".join(["SNP"] + [f"{c}.{role}" for c in ("effect_allele", "other_allele", "eaf", "beta", "se", "pval")])
    return write(path, "\n".join([head + extra] + [",".join(map(str, r)) for r in rows]) + "\n")


def flow_count(out: pd.DataFrame, stage: str) -> int:
    flow = harmonisation_flow(out.attrs["log"])
    return int(flow.loc[flow["stage"] == stage, "n"].item())


# -- the rule table ---------------------------------------------------------------------------------------------
def test_every_rule_has_a_policy_and_the_cli_help_lists_them(capsys):
    assert {r.policy for r in RULES} == {"refuse", "fill", "drop", "flag"}
    text = policy_help()
    for rule in RULES:
        assert rule.check in text and rule.reason in text
    for command in ("read", "harmonise", "estimate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert "se <= 0" in out and "refuse" in out and "--strict" in out


def test_read_help_compares_every_rule_with_twosamplemr(capsys):
    with pytest.raises(SystemExit):
        main(["read", "--help"])
    out = capsys.readouterr().out
    assert "compared with TwoSampleMR 0.7.9" in out
    for difference in TWOSAMPLEMR:
        assert difference.rule in out and difference.twosamplemr in out and difference.mrkit in out
    # issue 20: p filled from beta and se, exact repeats counted once, each difference says why
    assert "2*pnorm(-|beta|/se)" in out and "exact repeat counts once" in out


# -- kind 1: TwoSampleMR CSVs go through the same rules as every other format ----------------------------------
BAD_VALUES = [  # (field changed, value, reason counted)
    ("se", "0", "se <= 0"), ("se", "-0.01", "se <= 0"), ("p", "1.5", "p outside [0, 1]"),
    ("eaf", "1.3", "eaf outside (0, 1)"), ("eaf", "0", "eaf outside (0, 1)"), ("effect", "X", "invalid allele"),
    ("other", "A", "effect allele = other allele"), ("beta", "inf", "beta not finite"),
    ("se", "1e-200", "beta or se out of range (|beta| < 1e+150, 1e-150 < se < 1e+150)"),
]


@pytest.mark.parametrize("field,value,reason", BAD_VALUES, ids=[f"{f}={v}" for f, v, _ in BAD_VALUES])
def test_a_bad_value_is_dropped_with_the_same_reason_in_twosamplemr_and_ssf_files(tmp_path, field, value, reason):
    good = {"effect": "A", "other": "G", "eaf": "0.3", "beta": "0.1", "se": "0.01", "p": "1e-9"}
    bad = {**good, field: value}
    tsmr_fields = ("effect", "other", "eaf", "beta", "se", "p")
    t = tsmr(tmp_path / "x.csv", "exposure", [("rs1", *[bad[k] for k in tsmr_fields]),
                                              ("rs2", *[good[k] for k in tsmr_fields])])
    s = ssf(tmp_path / "x.tsv", [(1, 100, *[bad[k] for k in ("effect", "other", "beta", "se", "eaf", "p")]),
                                 (1, 200, *[good[k] for k in ("effect", "other", "beta", "se", "eaf", "p")])])
    for path in (t, s):
        df = read_sumstats(path)
        assert df.attrs["dropped"] == {reason: 1} and len(df) == 1
        with pytest.raises(InputError, match=rf"^{re.escape(str(path))}, line 2, column '[^']+': "):
            read_sumstats(path, strict=True)


def test_twosamplemr_structure_problems_are_refused(tmp_path):
    no_se = write(tmp_path / "no_se.csv", "SNP,effect_allele.exposure,other_allele.exposure,beta.exposure,"
                                          "pval.exposure\nrs1,A,G,0.1,1e-9\n")
    with pytest.raises(InputError, match=r"no_se.csv, line 1, column 'se.exposure': missing required column"):
        read_sumstats(no_se)
    header_only = tsmr(tmp_path / "empty.csv", "exposure", [])
    with pytest.raises(InputError, match="empty.csv: no data rows"):
        read_sumstats(header_only)
    both = tsmr(tmp_path / "both.csv", "exposure", [("rs1", "A", "G", 0.3, 0.1, 0.01, 1e-9)], extra=",beta.outcome")
    with pytest.raises(InputError, match="say which role"):
        read_sumstats(both)


def test_twosamplemr_conventions_nr_case_bom_crlf_and_trait_name(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbfSNP,effect_allele.exposure,other_allele.exposure,eaf.exposure,beta.exposure,"
                     b"se.exposure,pval.exposure,exposure\r\nrs1, a ,g,NR,0.1,0.01,1e-9,BMI\r\n")
    df = read_sumstats(path)
    assert df["effect_allele"][0] == "A" and df["other_allele"][0] == "G" and np.isnan(df["eaf"][0])
    assert df.attrs["trait"] == "BMI" and df.attrs["format"] == "twosamplemr"


def test_decimal_comma_is_refused_with_a_hint(tmp_path):
    path = write(tmp_path / "x.csv", "SNP;effect_allele.exposure;other_allele.exposure;beta.exposure;"
                                     "se.exposure;pval.exposure\nrs1;A;G;0,1;0,01;1e-9\n")
    with pytest.raises(InputError, match=r"line 2, column 'beta.exposure': value '0,1' .*decimal comma"):
        read_sumstats(path)


# -- kind 2: what a reader drops reaches the harmonisation log; multi-allelic sites -----------------------------
def test_outcome_multiallelic_site_keeps_the_record_matching_the_exposure(tmp_path):
    exposure = finngen(tmp_path / "x.tsv", [(1, 100, "A", "G", "rs1", 1e-10, 0.1, 0.01, 0.3),
                                            (1, 500, "C", "T", "rs2", 1e-12, 0.2, 0.01, 0.3)])
    # FinnGen writes a multi-allelic site as one line per ALT allele, with the same rsid
    outcome = finngen(tmp_path / "y.tsv", [(1, 100, "A", "T", "rs1", 0.5, 9.0, 0.1, 0.1),
                                           (1, 100, "A", "G", "rs1", 0.01, 0.05, 0.02, 0.3),
                                           (1, 500, "C", "T", "rs2", 0.2, 0.03, 0.02, 0.3)])
    y = read_sumstats(outcome)
    assert len(y) == 3 and y.attrs["dropped"] == {}
    assert y.attrs["flagged"] == {"multi-allelic site (records with one id and different alleles, kept)": 2}
    out = harmonise(read_sumstats(exposure), y)
    assert out["SNP"].tolist() == ["rs1", "rs2"] and out["beta.outcome"].tolist() == [0.05, 0.03]
    assert out.attrs["log"]["multiallelic_resolved"] == 1 and out.attrs["log"]["absent_from_outcome"] == 0


def test_an_instrument_invalid_in_the_outcome_file_is_not_called_absent(tmp_path):
    exposure = finngen(tmp_path / "x.tsv", [(1, 100, "A", "G", "rs1", 1e-10, 0.1, 0.01, 0.3),
                                            (1, 200, "A", "G", "rs2", 1e-10, 0.1, 0.01, 0.3),
                                            (1, 300, "A", "G", "rs3", 1e-10, 0.1, 0.01, 0.3),
                                            (1, 400, "A", "G", "rs4", 1e-10, 0.1, 0.01, 0.3)])
    outcome = finngen(tmp_path / "y.tsv", [(1, 100, "A", "G", "rs1", 0.5, 0.01, 0, 0.3),     # se = 0
                                           (1, 200, "A", "G", "rs2", 0.5, 0.01, 0.02, 0.3),  # the same line twice
                                           (1, 200, "A", "G", "rs2", 0.5, 0.01, 0.02, 0.3),
                                           (1, 300, "A", "G", "rs3", 0.5, 0.01, 0.02, 0.3),  # twice, other betas
                                           (1, 300, "A", "G", "rs3", 0.5, 0.03, 0.02, 0.3),
                                           (1, 900, "A", "G", "rs9", 0.5, 0.01, 0.02, 0.3)])
    out = harmonise(read_sumstats(exposure), read_sumstats(outcome))
    log = out.attrs["log"]
    # rs1 and rs3 invalid, rs4 absent, rs2 used once
    assert (log["candidate_instruments"], log["invalid_in_outcome"], log["absent_from_outcome"], log["kept"]) == \
        (4, 2, 1, 1)
    assert out["SNP"].tolist() == ["rs2"]
    assert log["outcome_dropped: se <= 0"] == 1
    assert log["outcome_dropped: variant repeated with different values (every copy)"] == 2
    assert log["outcome_dropped: exact repeat of a row (one copy kept)"] == 1
    assert flow_count(out, "In the outcome GWAS but invalid there (dropped)") == 2
    assert flow_count(out, "Outcome rows dropped as invalid: variant repeated with different values (every copy)") == 2


def test_exposure_multiallelic_site_keeps_its_most_significant_record():
    exposure = pd.DataFrame({"SNP": ["rs1", "rs1", "rs2"], "effect_allele.exposure": ["G", "T", "C"],
                             "other_allele.exposure": ["A", "A", "T"], "beta.exposure": [0.1, 0.3, 0.2],
                             "se.exposure": [0.01] * 3, "pval.exposure": [1e-8, 1e-20, 1e-9]})
    outcome = pd.DataFrame({"SNP": ["rs1", "rs2"], "effect_allele.outcome": ["T", "C"],
                            "other_allele.outcome": ["A", "T"], "beta.outcome": [0.05, 0.01],
                            "se.outcome": [0.02, 0.02]})
    out = harmonise(exposure, outcome)
    assert out["beta.exposure"].tolist() == [0.3, 0.2]
    assert out.attrs["log"]["exposure_dropped: multi-allelic site: a more significant record of the variant kept"] == 1


def test_drops_of_in_memory_frames_and_of_files_are_counted_alike(tmp_path):
    rows = [("rs1", "A", "G", 0.3, 0.1, 0, 1e-9), ("rs2", "A", "G", 0.3, 0.1, 0.01, 1e-9)]
    path = tsmr(tmp_path / "x.csv", "exposure", rows)
    outcome = pd.DataFrame({"SNP": ["rs1", "rs2"], "effect_allele.outcome": ["A", "A"],
                            "other_allele.outcome": ["G", "G"], "beta.outcome": [0.05, 0.01],
                            "se.outcome": [0.02, 0.02]})
    from_file = harmonise(read_sumstats(path), outcome).attrs["log"]
    in_memory = harmonise(pd.read_csv(path), outcome).attrs["log"]
    assert from_file == in_memory and from_file["exposure_dropped: se <= 0"] == 1


# -- kind 3: variants matched on position and the unordered allele pair -----------------------------------------
def test_rsid_in_one_file_and_none_in_the_other_match_by_position(tmp_path):
    exposure = finngen(tmp_path / "x.tsv", [(1, 2000500, "C", "T", "rs123", 2e-10, 0.08, 0.012, 0.2)])
    outcome = ssf(tmp_path / "y.tsv", [(1, 2000500, "C", "T", -0.02, 0.009, 0.79, 0.026)])
    out = harmonise(read_sumstats(exposure), read_sumstats(outcome))
    assert out["SNP"].tolist() == ["rs123"] and out["beta.outcome"][0] == pytest.approx(0.02)
    assert out.attrs["log"]["found_by_position"] == 1 and out.attrs["log"]["absent_from_outcome"] == 0


def test_neale_variant_ids_match_rsid_files_by_position_and_strand(tmp_path):
    neale = write(tmp_path / "n.tsv", "variant\tminor_allele\tminor_AF\tbeta\tse\tpval\n"
                                      "1:2000500:T:C\tC\t0.2\t0.08\t0.012\t2e-10\n")
    # the outcome reports the same site on the other strand (A/G) with its own rsid
    outcome = finngen(tmp_path / "y.tsv", [(1, 2000500, "A", "G", "rs9", 0.026, 0.02, 0.009, 0.8)])
    out = harmonise(read_sumstats(neale), read_sumstats(outcome))
    assert out["SNP"].tolist() == ["1:2000500:T:C"] and out.attrs["log"]["found_by_position"] == 1
    # exposure effect C (freq 0.2); outcome effect G = C on the other strand: kept as is after the flip
    assert out.attrs["log"]["strand_flipped"] == 1 and out["beta.outcome"][0] == pytest.approx(0.02)


def test_ids_shaped_chr_pos_a1_a2_match_without_position_columns():
    exposure = pd.DataFrame({"SNP": ["chr1_2000500_T_C", "X:300:A:G"], "effect_allele.exposure": ["T", "A"],
                             "other_allele.exposure": ["C", "G"], "beta.exposure": [0.08, 0.1],
                             "se.exposure": [0.01, 0.01]})
    outcome = pd.DataFrame({"SNP": ["1:2000500:C:T", "23:300:G:A"], "effect_allele.outcome": ["C", "G"],
                            "other_allele.outcome": ["T", "A"], "beta.outcome": [-0.02, -0.01],
                            "se.outcome": [0.01, 0.01]})
    out = harmonise(exposure, outcome)
    assert out["beta.outcome"].tolist() == [0.02, 0.01] and out.attrs["log"]["found_by_position"] == 2


def test_files_without_rsids_get_the_same_id_whatever_their_allele_order(tmp_path):
    a = finngen(tmp_path / "a.tsv", [(1, 100, "G", "A", "", 0.1, 0.1, 0.01, 0.3)])
    b = ssf(tmp_path / "b.tsv", [(1, 100, "G", "A", 0.1, 0.01, 0.3, 0.1)])
    assert read_sumstats(a)["snp"].tolist() == read_sumstats(b)["snp"].tolist() == ["1:100:A:G"]


# -- kind 4: degenerate but valid data --------------------------------------------------------------------------
def test_exact_fits_of_other_shapes_give_numbers_or_notes():
    bx = np.linspace(0.1, 0.5, 10)
    data = pd.DataFrame({"SNP": [f"rs{i}" for i in range(10)], "bx": bx, "bxse": 0.05, "by": 0.3 * bx, "byse": 0.1})
    table = mrkit.mr(data, methods=["ivw", "ivw_mre", "egger", "presso"], presso_n=100).set_index("method")
    # fixed-effect IVW SE = 1/sqrt(sum(bx^2/byse^2)) = 1/sqrt(106.296...) (hand computation)
    assert table.loc["ivw", "se"] == pytest.approx(1 / np.sqrt(np.sum(bx ** 2 / 0.01)), rel=1e-12)
    assert table.loc["ivw_mre", "se"] == 0 and "exact fit" in table.loc["ivw_mre", "note"]
    assert table.loc["presso", "se"] == 0 and "exact fit" in table.loc["presso", "note"]
    assert "exact fit" in table.loc["egger", "note"]
    # a fit exact with an intercept: Egger gets the unit SEs, IVW's Q is not 0
    line = data.assign(by=0.05 + 0.5 * bx)
    egger = mrkit.mr(line, methods=["egger"]).iloc[0]
    xbar = np.mean(bx)
    assert egger["estimate"] == pytest.approx(0.5) and egger["se"] == pytest.approx(
        1 / np.sqrt(np.sum((bx - xbar) ** 2) / 0.01), rel=1e-9)
    zero = data.assign(by=0.0)
    assert mrkit.mr(zero, methods=["ivw_mre"])["note"][0].startswith("exact fit")


def test_two_snps_with_an_exact_fit():
    data = pd.DataFrame({"SNP": ["a", "b"], "bx": [0.5, 0.25], "bxse": 0.05, "by": [0.25, 0.125], "byse": 0.5})
    row = mrkit.mr(data, methods=["ivw_mre", "egger"]).set_index("method")
    assert row.loc["ivw_mre", "se"] == 0 and "exact fit" in row.loc["ivw_mre", "note"]
    assert row.loc["egger", "note"] == "not estimable: MR-Egger needs at least 3 SNPs, got 2"


def test_harmonised_file_rows_with_zero_or_extreme_values_are_dropped(tmp_path):
    path = write(tmp_path / "h.csv", "SNP,bx,bxse,by,byse\nrs1,0,0.01,0.2,0.1\nrs2,0.1,0.01,0.2,1e-300\n"
                                     "rs3,0.2,0.01,0.3,0.1\nrs4,0.3,0.01,0.2,0.1\n")
    frame = read_harmonised(path)
    assert frame["SNP"].tolist() == ["rs3", "rs4"] and frame.attrs["lines"].tolist() == [4, 5]
    assert set(frame.attrs["dropped"]) == {"beta.exposure = 0 (the ratio by/bx is undefined)",
                                           "beta or se out of range (|beta| < 1e+150, 1e-150 < se < 1e+150)"}
    with pytest.raises(InputError, match=r"row 0, column 'byse': 1e-300 is outside the range"):
        mrkit.mr(pd.DataFrame({"bx": [0.1, 0.2], "bxse": 0.01, "by": 0.1, "byse": [1e-300, 0.1]}))


# -- kind 5: p stored as 0 -------------------------------------------------------------------------------------
def test_steiger_switches_to_beta_and_se_for_any_underflow_and_says_so():
    base = pd.DataFrame({"SNP": ["a", "b"], "beta.exposure": [0.1, 0.05], "se.exposure": [0.001, 0.005],
                         "pval.exposure": [1e-320, 1e-20], "samplesize.exposure": 1e5,
                         "beta.outcome": [0.06, 0.01], "se.outcome": [0.002, 0.002],
                         "pval.outcome": [1e-197, 1e-6], "samplesize.outcome": 15000.0})
    res = steiger_directionality(base)  # a denormal p (1e-320) is below TwoSampleMR's 1e-300 floor too
    assert res["rule"] == "bsen" and "1 p-value(s) below 1e-300" in res["note"]
    expected = steiger_directionality(base.assign(**{"pval.exposure": [1e-200, 1e-20]}), rule="bsen")
    assert res["z"] == pytest.approx(expected["z"], rel=1e-12)
    outcome_zero = base.assign(**{"pval.exposure": [1e-200, 1e-20], "pval.outcome": [0.0, 1e-6]})
    assert steiger_directionality(outcome_zero)["rule"] == "bsen"
    no_beta = base.drop(columns=["beta.outcome", "se.outcome"])
    assert "floored at 1e-300" in steiger_directionality(no_beta)["note"]
    assert "note" not in steiger_directionality(base.assign(**{"pval.exposure": [1e-200, 1e-20]}))


def test_vcf_lp_of_infinity_is_p_zero_flagged_not_dropped(tmp_path):
    path = write(tmp_path / "s.vcf", VCF_HEAD + "1\t100\trs1\tA\tG\t.\tPASS\t.\tES:SE:LP\t0.1:0.001:inf\n")
    df = read_sumstats(path)
    assert df["p"].tolist() == [0.0] and df.attrs["dropped"] == {}
    assert df.attrs["flagged"] == {"p = 0 (underflow; kept: Steiger takes r2 from beta and SE)": 1}


# -- kind 6: multi-allelic GWAS-VCF records ---------------------------------------------------------------------
def test_multiallelic_vcf_records_are_split_into_biallelic_records(tmp_path):
    path = write(tmp_path / "s.vcf", VCF_HEAD
                 + "1\t100\trs1\tA\tT,G\t.\tPASS\t.\tES:SE:LP:AF:SS\t0.04,0.09:0.01,0.02:5,3:0.1,0.2:5000\n"
                 + "1\t200\trs2\tC\tT\t.\tPASS\t.\tES:SE:LP:AF:SS\t0.02:0.01:2:0.3:5000\n"
                 + "1\t300\trs3\tC\tT,G\t.\tPASS\t.\tES:SE:LP:AF:SS\t0.02:0.01,0.01:2,2:0.3,0.1:5000\n")
    df = read_sumstats(path)
    assert df[["snp", "effect_allele", "other_allele"]].values.tolist() == [["rs1", "T", "A"], ["rs1", "G", "A"],
                                                                            ["rs2", "T", "C"]]
    np.testing.assert_allclose(df["beta"], [0.04, 0.09, 0.02])
    np.testing.assert_allclose(df["p"], [1e-5, 1e-3, 1e-2])
    assert df["n"].tolist() == [5000.0] * 3  # one SS value: shared by the alleles
    assert df.attrs["dropped"] == {"malformed multi-allelic record": 1}  # rs3: one ES for two ALT alleles
    assert df.attrs["flagged"]["record of a multi-allelic GWAS-VCF line (split into biallelic records)"] == 2
    # each allele has its own p: the p filter keeps the allele that passes
    assert read_sumstats(path, p_max=1e-4)["effect_allele"].tolist() == ["T"]
    with pytest.raises(InputError, match=r"s.vcf, line 6, column 'ALT': malformed multi-allelic record"):
        read_sumstats(path, strict=True)
    # harmonised against an exposure with alleles A/G, the matching record is used
    exposure = pd.DataFrame({"SNP": ["rs1"], "effect_allele.exposure": ["G"], "other_allele.exposure": ["A"],
                             "beta.exposure": [0.2], "se.exposure": [0.01]})
    assert harmonise(exposure, df)["beta.outcome"].tolist() == [0.09]


# -- kind 7: truncated and corrupt compressed files ------------------------------------------------------------
def _data(n=20000) -> bytes:
    rows = ["SNP\tCHR\tBP\tA1\tA2\tFRQ\tBETA\tSE\tP"]
    rows += [f"rs{i}\t1\t{i + 100}\tA\tG\t0.3\t0.1\t0.01\t0.001" for i in range(n)]
    return ("\n".join(rows) + "\n").encode()


def test_truncated_gzip_names_the_last_line_read_whole(tmp_path):
    data = _data()
    path = tmp_path / "cut.tsv.gz"
    path.write_bytes(gzip.compress(data)[:-3000])
    whole = 0  # lines a decompressor can give before the stream ends (independent count)
    with gzip.open(path, "rt") as fh:
        try:
            for line in fh:
                whole += line.endswith("\n")
        except EOFError:
            pass
    with pytest.raises(InputError, match=rf"cut.tsv.gz: truncated or corrupt gzip .* after line {whole};"):
        read_sumstats(path)


@pytest.mark.parametrize("kind", ["bzip2", "zip"])
def test_other_compressions_are_named_not_parsed_as_text(tmp_path, kind):
    path = tmp_path / f"x.{kind}"
    if kind == "bzip2":
        path.write_bytes(bz2.compress(_data(10)))
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("x.tsv", _data(10))
    with pytest.raises(InputError, match=f"{kind}-compressed files are not read"):
        read_sumstats(path)


def test_estimate_on_a_truncated_gzip_or_a_folder_exits_2_in_one_line(tmp_path, capsys):
    path = tmp_path / "h.csv.gz"
    path.write_bytes(gzip.compress(b"SNP,bx,bxse,by,byse\n" + b"rs1,0.1,0.01,0.2,0.1\n" * 500)[:-40])
    assert main(["estimate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "truncated or corrupt gzip" in err and "Traceback" not in err
    assert main(["read", str(tmp_path)]) == 2
    assert "is a folder, not a file" in capsys.readouterr().err


# -- kind 8: one line-number convention (the physical line) ---------------------------------------------------
def test_harmonise_names_the_physical_line_of_a_twosamplemr_csv(tmp_path, capsys):
    exposure = tsmr(tmp_path / "x.csv", "exposure", [("rs1", "A", "G", 0.3, 0.1, 0.01, 1e-9)])
    outcome = write(tmp_path / "y.csv", "SNP,effect_allele.outcome,other_allele.outcome,eaf.outcome,beta.outcome,"
                                        "se.outcome,pval.outcome\n\nrs1,A,G,0.2x,0.1,0.01,0.5\n")
    assert main(["harmonise", str(exposure), str(outcome), "-o", str(tmp_path / "h.csv")]) == 2
    assert f"{outcome}, line 3, column 'eaf.outcome': value '0.2x' is not a number" in capsys.readouterr().err


def test_estimate_names_physical_lines_past_blank_lines_and_crlf(tmp_path, capsys):
    path = tmp_path / "h.csv"
    path.write_bytes(b"SNP,bx,bxse,by,byse\r\nrs1,0.1,0.01,0.2,0.1\r\n\r\nrs2,0.2,0.01,0.2,0.1\r\n"
                     b"rs3,0.3,0.01,-0.1,-0.1\r\n")
    assert main(["estimate", str(path), "--strict"]) == 2
    assert f"{path}, line 5, column 'byse': se <= 0" in capsys.readouterr().err


# -- kind 9: too few SNPs --------------------------------------------------------------------------------------
def test_few_snps_say_not_estimable_instead_of_nan(tmp_path, capsys):
    path = write(tmp_path / "h.csv", "SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.1\nrs2,0.2,0.01,0.3,0.1\n")
    assert main(["estimate", str(path), "--methods", "ivw,egger"]) == 0
    out = capsys.readouterr().out
    assert "Rucker Q' not estimable (needs >= 3 SNPs)" in out
    assert "Egger intercept not estimable (needs >= 3 SNPs)" in out
    assert not re.search(r"\bnan\b", out)
    assert main(["estimate", str(path), "--format", "json", "--methods", "egger"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["pleiotropy"]["note"] == "not estimable (needs >= 3 SNPs)"
    assert res["methods"][0]["note"].startswith("not estimable")
    one = write(tmp_path / "one.csv", "SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.1\n")
    assert main(["estimate", str(one)]) == 0
    assert "Cochran Q not estimable (needs >= 2 SNPs)" in capsys.readouterr().out


# -- the CLI: no traceback, atomic output --------------------------------------------------------------------------
def test_an_unexpected_error_is_one_line_asking_for_a_report_and_debug_shows_the_traceback(monkeypatch, capsys):
    import mrkit.commands.read as read_command

    def broken(args):
        raise RuntimeError("something nobody expected\nsecond line")

    monkeypatch.setattr(read_command, "run", broken)
    assert main(["read", "x.tsv"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (RuntimeError: something nobody expected)" in err
    assert "this is a bug in mrkit" in err and "Traceback" not in err
    assert main(["--debug", "read", "x.tsv"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_a_refused_input_leaves_an_existing_output_untouched(tmp_path):
    out = tmp_path / "h.csv"
    out.write_text("my earlier results\n")
    exposure = tsmr(tmp_path / "x.csv", "exposure", [("rs1", "A", "G", 1.3, 0.1, 0.01, 1e-9)])
    assert main(["harmonise", str(exposure), str(exposure), "-o", str(out)]) == 2
    assert out.read_text() == "my earlier results\n" and [p.name for p in tmp_path.iterdir() if
                                                          p.name.startswith(".h.csv")] == []


def test_strict_harmonise_refuses_at_the_first_bad_line(tmp_path, capsys):
    exposure = tsmr(tmp_path / "x.csv", "exposure", [("rs1", "A", "G", 0.3, 0.1, 0.01, 1e-9),
                                                     ("rs2", "A", "G", 0.3, 0.1, -1, 1e-9)])
    outcome = tsmr(tmp_path / "y.csv", "outcome", [("rs1", "A", "G", 0.3, 0.1, 0.01, 0.5)])
    assert main(["harmonise", str(exposure), str(outcome), "-o", str(tmp_path / "h.csv")]) == 0
    assert main(["harmonise", str(exposure), str(outcome), "-o", str(tmp_path / "h.csv"), "--strict"]) == 2
    assert f"{exposure}, line 3, column 'se.exposure': se <= 0" in capsys.readouterr().err


# -- the study's flow: the pages' instrument and harmonisation logs list the drops ----------------------------
def test_study_logs_carry_the_readers_drops(tmp_path):
    from ld_panel_helpers import write_panel

    from mrkit.paper.study import Study

    rng = np.random.default_rng(11)
    ids = ["rs1", "rs2", "rs3", "rs4"]
    pos = [1_000, 3_000_000, 6_000_000, 9_000_000]
    chrom = ["1", "2", "3", "4"]  # one per chromosome: independent, whatever the sample LD
    write_panel(tmp_path / "ref", rng.binomial(2, 0.3, (400, 4)).astype(float), chrom=chrom, ids=ids, pos=pos,
                a1=["G"] * 4, a2=["A"] * 4)
    exposure = finngen(tmp_path / "x.tsv", [(c, p, "A", "G", s, 1e-12, 0.1, 0.01 if s != "rs4" else 0, 0.3)
                                            for c, s, p in zip(chrom, ids, pos)])
    outcome = finngen(tmp_path / "y.tsv", [(c, p, "A", "G", s, 0.2, 0.02, 0.01 if s != "rs3" else -1, 0.3)
                                           for c, s, p in zip(chrom, ids, pos)])
    study = Study()
    study.__dict__["files"] = {"insomnia": (exposure, "finngen"), "lbp": (outcome, "finngen"),
                               "ref": tmp_path / "ref"}
    inst = study.instruments("insomnia", 5e-8)
    assert list(inst.log) == ["variants in the GWAS", "dropped as invalid: se <= 0", "below the p-value threshold",
                              "absent from the LD reference panel", "independent instruments after clumping"]
    assert inst.log["dropped as invalid: se <= 0"] == 1 and inst.log["independent instruments after clumping"] == 3
    log = study.harmonised("insomnia", "lbp").attrs["log"]
    assert log["exposure_dropped: se <= 0"] == 1 and log["outcome_dropped: se <= 0"] == 1
    assert (log["candidate_instruments"], log["invalid_in_outcome"], log["kept"]) == (3, 1, 2)


def test_non_utf8_text_and_huge_cells_give_short_located_messages(tmp_path):
    latin1 = tmp_path / "h.csv"
    latin1.write_bytes("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.1\nrs\xe9,0.1,0.01,0.2,0.1\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"h.csv, line 3: not UTF-8 text .*save the file as UTF-8"):
        read_harmonised(latin1)
    huge = write(tmp_path / "g.csv", "SNP,bx,bxse,by,byse\nrs1," + "9x" * 50_000 + ",0.01,0.2,0.1\n")
    with pytest.raises(InputError) as err:
        read_harmonised(huge)
    assert len(str(err.value)) < 200 and "(100000 characters) is not a number" in str(err.value)


def test_estimate_reports_steiger_when_the_table_has_sample_sizes(tmp_path, capsys):
    table = pd.DataFrame({"SNP": ["a", "b", "c"], "beta.exposure": [0.1, 0.05, 0.08], "se.exposure": 0.01,
                          "pval.exposure": [1e-20, 1e-6, 1e-15], "samplesize.exposure": 1e5,
                          "beta.outcome": [0.02, 0.01, 0.01], "se.outcome": 0.01,
                          "pval.outcome": [0.04, 0.3, 0.3], "samplesize.outcome": 2e4, "mr_keep": True})
    path = tmp_path / "h.csv"
    table.to_csv(path, index=False)
    assert main(["estimate", str(path), "--format", "json", "--methods", "ivw", "--presso-n", "10"]) == 0
    res = json.loads(capsys.readouterr().out)
    expected = steiger_directionality(table)  # TwoSampleMR's directionality_test rule (p and n)
    assert res["steiger"]["rule"] == "pn" and res["steiger"]["z"] == pytest.approx(expected["z"], rel=1e-12)
    assert res["steiger"]["correct_causal_direction"] is True
    table.drop(columns=["samplesize.outcome"]).to_csv(path, index=False)
    assert main(["estimate", str(path), "--format", "json", "--methods", "ivw", "--presso-n", "10"]) == 0
    assert json.loads(capsys.readouterr().out)["steiger"] is None


def test_read_dash_o_dash_writes_the_rows_to_standard_output(tmp_path, capsys):
    """``-o -`` is standard output (it wrote a file named '-'); the read report goes to standard error so
    that the rows can be piped."""
    from mrkit.cli import main

    path = tmp_path / "x.csv"
    pd.DataFrame({"SNP": ["rs1", "rs2"], "effect_allele.exposure": ["A", "C"], "other_allele.exposure": ["G", "T"],
                  "beta.exposure": [0.1, -0.2], "se.exposure": [0.01, 0.02],
                  "pval.exposure": [1e-9, 1e-3]}).to_csv(path, index=False)
    assert main(["read", str(path), "-o", "-"]) == 0
    captured = capsys.readouterr()
    rows = pd.read_csv(io.StringIO(captured.out), sep="\t")
    assert list(rows["snp"]) == ["rs1", "rs2"] and rows["beta"].tolist() == [0.1, -0.2]
    assert "rows" in captured.err and not (tmp_path / "-").exists() and not Path("-").exists()


# -- issue 20: the repeat rule in the OpenGWAS exposure table too ------------------------------------------------
def test_opengwas_exposure_table_counts_an_exact_repeat_once_and_drops_disagreeing_copies():
    from mrkit.gwas.opengwas import exposure_table

    def hit(rsid, beta, dataset="ukb-a-13"):
        return {"id": dataset, "trait": "Insomnia", "rsid": rsid, "chr": "1", "position": 100, "ea": "a", "nea": "G",
                "eaf": 0.3, "beta": beta, "se": 0.01, "p": 1e-9, "n": 1000}

    rows = [hit("rs1", 0.1), hit("rs1", 0.1),        # the same answer twice: one instrument
            hit("rs2", 0.1), hit("rs2", 0.2),        # two different answers for one variant: neither
            hit("rs3", 0.1), hit("rs3", 0.1, "ukb-a-15")]  # one variant in two datasets: no repeat
    table = exposure_table(rows)
    assert list(zip(table["SNP"], table["id.exposure"])) == [("rs1", "ukb-a-13"), ("rs3", "ukb-a-13"),
                                                             ("rs3", "ukb-a-15")]
    assert table.attrs["dropped"] == {"exact repeat of a row (one copy kept)": 1,
                                      "variant repeated with different values (every copy)": 2}
    assert table["effect_allele.exposure"].tolist() == ["A", "A", "A"]  # normalised by the engine
