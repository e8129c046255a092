"""Each summary-statistics format parses to the schema with the right allele and frequency conventions."""
from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.gwas.io import SCHEMA_COLUMNS, ReadReport, read_sumstats
from mrkit.gwas.io.columnar import write_bgzip

FINNGEN_HEADER = ("#chrom\tpos\tref\talt\trsids\tnearest_genes\tpval\tmlogp\tbeta\tsebeta\taf_alt\t"
                  "af_alt_cases\taf_alt_controls")
FINNGEN_ROWS = [
    "1\t100\tA\tG\trs1\tGENE1\t1e-09\t9\t0.1\t0.01\t0.3\t0.31\t0.29",
    "1\t200\tC\tT\t\tGENE2\t0.5\t0.301\t0.01\t0.02\t0.6\t0.6\t0.6",
    "23\t300\tG\tGA\trs3,rs33\tGENE3\t1e-10\t10\t-0.2\t0.03\t0.1\t0.1\t0.1",
]
NEALE_HEADER = ("variant\tminor_allele\tminor_AF\tlow_confidence_variant\tn_complete_samples\tAC\tytx\tbeta\tse\t"
                "tstat\tpval")
VCF_TEXT = """##fileformat=VCFv4.2
##FORMAT=<ID=ES,Number=A,Type=Float,Description="Effect size estimate relative to the alternative allele">
##SAMPLE=<ID=ebi-a-GCST006686,TotalVariants=3,TotalControls=81208.0,TotalCases=28980.0,StudyType=CaseControl>
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tebi-a-GCST006686
1\t100\t1:100:A:G\tA\tG\t.\tPASS\t.\tES:SE:LP:AF:SS:NC:ID\t0.1:0.01:9:0.3:110000:29000:1:100:A:G
1\t200\t.\tC\tT\t.\tPASS\t.\tES:SE:LP:AF\t-0.02:0.01:0.5:.
2\t300\t.\tG\tA\t.\tPASS\t.\tLP:ES:SE:AF:ID\t7.5:0.05:0.01:0.25:rs5
"""
SSF_HEADER = ("chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t"
              "effect_allele_frequency\tp_value\trsid\tn")


def write(path, text: str, how: str = "plain"):
    data = text.encode()
    if how == "gzip":
        path.write_bytes(gzip.compress(data))
    elif how == "bgzip":
        write_bgzip(path, data)
    else:
        path.write_bytes(data)
    return path


def finngen_file(tmp_path, rows=FINNGEN_ROWS, how="bgzip", name="lbp.gz"):
    return write(tmp_path / name, "\n".join([FINNGEN_HEADER, *rows]) + "\n", how)


def test_finngen_values_alt_is_effect_and_x_is_23(tmp_path):
    df = read_sumstats(finngen_file(tmp_path))
    assert list(df.columns) == [*SCHEMA_COLUMNS, "snp_aliases"]  # every id of a variant that has several
    assert df["snp_aliases"].isna().tolist() == [True, True, False] and df["snp_aliases"][2] == "rs3,rs33"
    assert df.attrs["format"] == "finngen" and df.attrs["dropped"] == {}
    assert df["chrom"].tolist() == ["1", "1", "X"]
    assert df["pos"].dtype == np.int64 and df["pos"].tolist() == [100, 200, 300]
    # rsid when the file has one (the first of several), else chrom:pos:ref:alt
    assert df["snp"].tolist() == ["rs1", "1:200:C:T", "rs3"]
    assert df["effect_allele"].tolist() == ["G", "T", "GA"]
    assert df["other_allele"].tolist() == ["A", "C", "G"]
    np.testing.assert_array_equal(df["eaf"], [0.3, 0.6, 0.1])
    np.testing.assert_array_equal(df["beta"], [0.1, 0.01, -0.2])
    np.testing.assert_array_equal(df["se"], [0.01, 0.02, 0.03])
    np.testing.assert_array_equal(df["p"], [1e-9, 0.5, 1e-10])
    assert df[["n", "ncase", "ncontrol"]].isna().all().all()


def test_finngen_sample_sizes_filled_from_caller(tmp_path):
    # FinnGen R5 M13_LOWBACKPAIN counts (published-results.md): 13,178 cases, 164,682 controls
    df = read_sumstats(finngen_file(tmp_path), ncase=13178, ncontrol=164682)
    assert (df["n"] == 177860).all() and (df["ncase"] == 13178).all() and (df["ncontrol"] == 164682).all()


@pytest.mark.parametrize("how", ["plain", "gzip", "bgzip"])
def test_compression_is_recognised_by_content(tmp_path, how):
    df = read_sumstats(finngen_file(tmp_path, how=how, name="lbp.txt"))
    assert len(df) == 3


def test_bgzip_multi_member_is_read_to_the_end(tmp_path):
    # ~40,000 rows span many 64 kB BGZF blocks; a single-member gzip reader would stop after the first
    rows = [f"{1 + i % 22}\t{1000 + i}\tA\tG\t\tG\t{(i + 1) / 1e5:.6g}\t1\t0.01\t0.02\t0.4\t0.4\t0.4"
            for i in range(40000)]
    path = finngen_file(tmp_path, rows)
    with gzip.open(path, "rb") as fh:
        assert fh.read().count(b"\n") == 40001
    df = read_sumstats(path, block_size=1 << 16)
    assert len(df) == 40000 and df["pos"].iloc[-1] == 1000 + 39999


def test_neale_effect_is_alt_and_eaf_is_alt_frequency(tmp_path):
    rows = [
        # AC counts ALT alleles: eaf = 1600 / (2 * 1000) = 0.8 although minor_AF = 0.2
        "1:100:A:G\tA\t0.2\tfalse\t1000\t1600\t0\t0.1\t0.01\t10\t1e-20",
        # no AC: minor allele is ALT -> eaf = minor_AF
        "1:200:C:T\tT\t0.2\tfalse\t1000\tNaN\t0\t0.1\t0.01\t10\t1e-20",
        # no AC: minor allele is REF -> eaf = 1 - minor_AF
        "1:300:C:T\tC\t0.25\tfalse\t1000\tNaN\t0\t0.1\t0.01\t10\t1e-20",
        "1:400:C:T\tC\t0.0001\ttrue\t1000\t1\t0\t0.1\t0.01\t10\t1e-20",
    ]
    path = write(tmp_path / "insomnia.tsv.bgz", "\n".join([NEALE_HEADER, *rows]) + "\n", "bgzip")
    df = read_sumstats(path)
    assert df.attrs["format"] == "neale"
    assert df["snp"].tolist() == ["1:100:A:G", "1:200:C:T", "1:300:C:T"]
    assert df["effect_allele"].tolist() == ["G", "T", "T"] and df["other_allele"].tolist() == ["A", "C", "C"]
    np.testing.assert_allclose(df["eaf"], [0.8, 0.2, 0.75])
    assert (df["n"] == 1000).all()
    assert df.attrs["dropped"] == {"low confidence variant": 1}
    assert len(read_sumstats(path, keep_low_confidence=True)) == 4


def test_gwasvcf_fields_by_format_missing_dots_and_header_counts(tmp_path):
    df = read_sumstats(write(tmp_path / "short_sleep.vcf.gz", VCF_TEXT, "bgzip"))
    assert df.attrs["format"] == "gwasvcf"
    assert df["snp"].tolist() == ["1:100:A:G", "1:200:C:T", "rs5"]  # VCF ID, else FORMAT ID, else built
    assert df["effect_allele"].tolist() == ["G", "T", "A"] and df["other_allele"].tolist() == ["A", "C", "G"]
    np.testing.assert_allclose(df["beta"], [0.1, -0.02, 0.05])
    np.testing.assert_allclose(df["se"], [0.01, 0.01, 0.01])
    np.testing.assert_allclose(df["p"], [1e-9, 10 ** -0.5, 10 ** -7.5])  # LP = -log10 p
    np.testing.assert_allclose(df["eaf"], [0.3, np.nan, 0.25])  # "." is missing
    # row 1: SS and NC from FORMAT; others: ##SAMPLE TotalCases / TotalControls
    np.testing.assert_allclose(df["ncase"], [29000, 28980, 28980])
    np.testing.assert_allclose(df["ncontrol"], [81000, 81208, 81208])
    np.testing.assert_allclose(df["n"], [110000, 110188, 110188])


def test_gwasvcf_with_several_studies_needs_study(tmp_path):
    text = VCF_TEXT.replace("\tebi-a-GCST006686\n", "\tebi-a-GCST006686\tother\n")
    text = "\n".join(line + "\t0.3:0.02:2" if line and not line.startswith("#") else line
                     for line in text.split("\n"))
    path = write(tmp_path / "two.vcf", text)
    with pytest.raises(InputError, match="pass study="):
        read_sumstats(path)
    df = read_sumstats(path, study="other")
    # "0.3:0.02:2" read through each row's FORMAT: ES first on rows 1-2, LP:ES:SE on row 3
    np.testing.assert_allclose(df["beta"], [0.3, 0.3, 0.02])
    np.testing.assert_allclose(df["p"], [1e-2, 1e-2, 10 ** -0.3])
    assert df["ncase"].isna().all()


def test_gwasvcf_format_without_required_field(tmp_path):
    text = VCF_TEXT.replace("LP:ES:SE:AF:ID\t7.5:0.05:0.01:0.25:rs5", "ES:SE:AF\t0.05:0.01:0.25")
    with pytest.raises(InputError, match=r"line 7, column 'FORMAT': .*lacks required field\(s\) \['LP'\]"):
        read_sumstats(write(tmp_path / "x.vcf", text))


def test_ssf_values_and_odds_ratio(tmp_path):
    rows = ["1\t100\ta\tg\t0.1\t0.01\t0.3\t1e-9\trs1\t5000",
            "23\t200\tT\tC\t-0.1\t0.02\t#NA\t0.2\t#NA\t5000"]
    df = read_sumstats(write(tmp_path / "gcst.tsv.gz", "\n".join([SSF_HEADER, *rows]) + "\n", "gzip"))
    assert df.attrs["format"] == "ssf"
    assert df["snp"].tolist() == ["rs1", "X:200:C:T"]
    assert df["effect_allele"].tolist() == ["A", "T"]  # upper-cased
    np.testing.assert_allclose(df["eaf"], [0.3, np.nan])
    np.testing.assert_allclose(df["n"], [5000, 5000])
    header = SSF_HEADER.replace("\tbeta\t", "\todds_ratio\t")
    rows = ["1\t100\tA\tG\t1.5\t0.01\t0.3\t1e-9\trs1\t5000"]
    df = read_sumstats(write(tmp_path / "or.tsv", "\n".join([header, *rows]) + "\n"))
    np.testing.assert_allclose(df["beta"], [np.log(1.5)])


def test_ssf_neg_log10_p(tmp_path):
    header = SSF_HEADER.replace("\tp_value", "\tneg_log_10_p_value")
    rows = ["1\t100\tA\tG\t0.1\t0.01\t0.3\t9\trs1\t5000", "1\t200\tA\tG\t0.1\t0.01\t0.3\t2\trs2\t5000"]
    path = write(tmp_path / "lp.tsv", "\n".join([header, *rows]) + "\n")
    np.testing.assert_allclose(read_sumstats(path)["p"], [1e-9, 1e-2])
    assert read_sumstats(path, p_max=5e-8)["snp"].tolist() == ["rs1"]


def test_twosamplemr_csv_is_recognised(validation_dir):
    # TwoSampleMR vignette outcome data (ieu-a-7), columns SNP, chr, pos, beta.outcome, ...
    path = validation_dir / "chd_ieu-a-7_outcome.csv"
    raw = pd.read_csv(path)
    df = read_sumstats(path)
    assert df.attrs["format"] == "twosamplemr" and len(df) == len(raw)
    assert df.attrs["trait"] == raw["outcome"][0]
    assert df["pos"].tolist() == raw["pos"].tolist() and df["chrom"].tolist() == raw["chr"].astype(str).tolist()
    assert df["snp"].tolist() == raw["SNP"].tolist()
    np.testing.assert_array_equal(df["beta"], raw["beta.outcome"])
    np.testing.assert_array_equal(df["se"], raw["se.outcome"])
    np.testing.assert_array_equal(df["eaf"], raw["eaf.outcome"])
    np.testing.assert_array_equal(df["n"], raw["samplesize.outcome"])
    assert df["effect_allele"].tolist() == raw["effect_allele.outcome"].tolist()


def test_generic_explicit_mapping(validation_dir):
    # MendelianRandomization example data: no p and no ids in the file, so map explicitly
    path = validation_dir / "bmi_ieu-a-2_exposure.csv"
    df = read_sumstats(path, columns={"snp": "SNP", "beta": "beta.exposure", "se": "se.exposure",
                                      "p": "pval.exposure", "effect_allele": "effect_allele.exposure",
                                      "other_allele": "other_allele.exposure", "chrom": "chr.exposure",
                                      "pos": "pos.exposure"})
    raw = pd.read_csv(path)
    assert len(df) == 79 and df["snp"].tolist() == raw["SNP"].tolist()
    np.testing.assert_array_equal(df["p"], raw["pval.exposure"])
    assert df["eaf"].notna().all()  # picked up by name (eaf.exposure)


def test_generic_without_positions_keeps_ids(tmp_path):
    path = write(tmp_path / "x.txt", "SNP A1 A2 BETA SE P\nrs1 A G 0.1 0.01 1e-5\nrs2 C T 0.2 0.02 0.3\n")
    df = read_sumstats(path)
    assert df["snp"].tolist() == ["rs1", "rs2"] and df["chrom"].isna().all()
    assert df["pos"].isna().all()


def test_autodetect_each_format_and_unknown(tmp_path):
    assert read_sumstats(write(tmp_path / "v.vcf", VCF_TEXT)).attrs["format"] == "gwasvcf"
    path = write(tmp_path / "weird.tsv", "a\tb\tc\n1\t2\t3\n")
    with pytest.raises(InputError, match=r"weird.tsv, line 1: unrecognised .* \['a', 'b', 'c'\]"):
        read_sumstats(path)


def test_report_summarises_the_read(tmp_path):
    df = read_sumstats(finngen_file(tmp_path), p_max=5e-8)
    report = ReadReport.of(df)
    assert (report.rows_read, report.rows_kept, report.above_p_max) == (3, 2, 1)
    assert "3 rows read, 2 kept" in str(report)


def test_gwasvcf_continuous_study_header_is_a_sample_size(tmp_path):
    # gwas2vcf writes continuous traits with TotalControls = N and TotalCases = 0
    text = ("##fileformat=VCFv4.2\n"
            "##SAMPLE=<ID=ukb-a-13,TotalVariants=1,TotalControls=336965.0,TotalCases=0,StudyType=Continuous>\n"
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tukb-a-13\n"
            "1\t5\trs1\tA\tG\t.\tPASS\t.\tES:SE:LP:AF:ID\t0.1:0.01:2:0.2:rs1\n")
    df = read_sumstats(write(tmp_path / "ukb-a-13.vcf", text))
    assert df["n"].tolist() == [336965.0] and df[["ncase", "ncontrol"]].isna().all().all()
    assert df.attrs["dropped"] == {}


def test_header_only_file_is_refused(tmp_path):
    # a file with no data row is a structural problem (refused), not an empty result (issue 11, kind 1)
    path = write(tmp_path / "empty.tsv", FINNGEN_HEADER + "\n")
    with pytest.raises(InputError, match=r"empty.tsv: no data rows"):
        read_sumstats(path)
