"""Files as users have them (issue 25) and variants with several ids (issue 20).

* leading ``#`` comment lines are skipped and reported, while a header that starts with ``#`` (FinnGen's
  ``#chrom``, PLINK 2's ``#CHROM``, VCF's after its ``##`` lines) stays the header;
* a table holding several traits is read one trait at a time, by id or name; the real case is MRInstruments'
  export of the UK Biobank sleep instruments (``realdata/ukb_a_sleep_instruments_mrbase2017.csv``, read from
  MRKIT_SHARED): six traits, three variants shared by ``ukb-a-12`` and ``ukb-a-15``, each kept in both;
* a FinnGen variant with two rsids is found under the second one too;
* every flag a reader's hint names exists in the command that prints it.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.gwas.io import ReadReport, read_sumstats
from mrkit.gwas.io.text import sniff
from mrkit.gwas.io.traits import SeveralTraits

SLEEP = "ukb_a_sleep_instruments_mrbase2017.csv"


@pytest.fixture()
def sleep():
    from conftest import SHARED

    path = SHARED / "realdata" / SLEEP
    if not path.exists():
        pytest.skip(f"{path} not found (set MRKIT_SHARED to the shared folder)")
    return path


# --- comment lines ---------------------------------------------------------------------------------------------
def test_comment_lines_are_skipped_and_reported(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('# exported from "somewhere", 2017; p<5e-8, clumped r2<0.01 within 10,000 kb\n# second\n'
                    "SNP,effect_allele,other_allele,beta,se,pval\nrs1,A,G,0.1,0.01,1e-9\nrs2,C,T,0.2,0.02,1e-8\n")
    df = read_sumstats(path)
    assert df["snp"].tolist() == ["rs1", "rs2"] and df.attrs["format"] == "generic"
    assert "2 comment line(s) before the header skipped (lines 1-2)" in str(ReadReport.of(df))


@pytest.mark.parametrize("header, comments", [
    ("#chrom\tpos\tref\talt\tpval\tbeta\tsebeta", 0),          # FinnGen: the header starts with #
    ("#CHROM\tPOS\tID\tREF\tALT\tA1\tTEST\tBETA\tSE\tP", 0),   # PLINK 2
])
def test_a_header_starting_with_hash_is_the_header(tmp_path, header, comments):
    n = len(header.split("\t"))
    path = tmp_path / "h.tsv"
    path.write_text(f"# a comment\n{header}\n" + "\t".join(["1"] * n) + "\n")
    layout = sniff(path)
    assert layout.header == tuple(header.split("\t")) and layout.meta_lines == ("# a comment",)


def test_a_comment_with_as_many_fields_as_the_header_stays_a_comment(tmp_path):
    path = tmp_path / "c.tsv"
    path.write_text("# made\tby\ttool\tv1\tx\ty\n" "SNP\tA1\tA2\tBETA\tSE\tP\nrs1\tA\tG\t0.1\t0.01\t1e-9\n")
    assert sniff(path).header == ("SNP", "A1", "A2", "BETA", "SE", "P")


def test_vcf_meta_lines_stay_meta_lines(tmp_path):
    path = tmp_path / "x.vcf"
    path.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts\n"
                    "1\t5\trs1\tA\tG\t.\tPASS\t.\tES:SE:LP\t0.1:0.01:2\n")
    layout = sniff(path)
    assert layout.header[0] == "#CHROM" and layout.meta_lines == ("##fileformat=VCFv4.2",)
    df = read_sumstats(path)
    assert df.attrs["format"] == "gwasvcf" and df.attrs["notes"] == []


# --- several traits ---------------------------------------------------------------------------------------------
def test_the_sleep_instruments_read_trait_by_trait(sleep):
    raw = pd.read_csv(sleep, comment=None, skiprows=1)
    with pytest.raises(SeveralTraits, match=r"line 2: 6 traits in one table: .*ukb-a-13 \(Sleeplessness / insomnia, "
                                            r"30 rows\).*read one at a time \(trait='ID'"):
        read_sumstats(sleep)
    for trait_id, group in raw.groupby("opengwas_id"):
        df = read_sumstats(sleep, trait=trait_id)
        assert df["snp"].tolist() == group["SNP"].tolist()  # every row of the trait, shared variants included
        assert df.attrs["dropped"] == {} and df.attrs["trait_id"] == trait_id
        assert df.attrs["trait"] == group["trait"].iloc[0]
        pd.testing.assert_series_equal(df["beta"], group["beta"].reset_index(drop=True), check_names=False)
    shared = {"rs12140153", "rs285793", "rs614987"}
    assert shared <= set(read_sumstats(sleep, trait="ukb-a-12")["snp"])
    assert shared <= set(read_sumstats(sleep, trait="Daytime dozing / sleeping (narcolepsy)")["snp"])


def test_a_trait_name_two_traits_share_is_refused(sleep):
    with pytest.raises(InputError, match=r"2 traits are named 'Sleep duration': ieu-a-1088 .*; ukb-a-9 .*choose one "
                                         r"by its id"):
        read_sumstats(sleep, trait="Sleep duration")
    with pytest.raises(InputError, match=r"no trait 'nope' in the table"):
        read_sumstats(sleep, trait="nope")


def test_cli_read_and_harmonise_of_the_sleep_instruments(sleep, tmp_path, capsys):
    from mrkit.cli import main

    out = tmp_path / "all.tsv"
    assert main(["read", str(sleep), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("rows read") == 6 and "(generic trait ukb-a-13): 155 rows read, 30 kept" in printed
    table = pd.read_csv(out, sep="\t")
    assert len(table) == 155 and table.groupby("trait_id").size()["ukb-a-12"] == 50
    outcome = tmp_path / "outcome.csv"
    raw = pd.read_csv(sleep, skiprows=1)
    raw[raw["opengwas_id"] == "ukb-a-15"].rename(columns=lambda c: {"SNP": "SNP", "pval": "pval.outcome"}.get(
        c, f"{c}.outcome" if c in ("effect_allele", "other_allele", "eaf", "beta", "se", "samplesize") else c)).drop(
        columns=["opengwas_id", "mrbase2017_id", "trait"]).to_csv(outcome, index=False)
    code = main(["harmonise", str(sleep), str(outcome), "-o", str(tmp_path / "h.csv"), "--p-threshold", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "6 traits in one table" in err and "--exposure-trait ID" in err
    assert main(["harmonise", str(sleep), str(outcome), "-o", str(tmp_path / "h.csv"), "--p-threshold", "1",
                 "--trait", "ukb-a-12"]) == 0
    h = pd.read_csv(tmp_path / "h.csv")
    assert set(h["SNP"]) == {"rs12140153", "rs285793", "rs614987"} and h["exposure"].iloc[0] == "Nap during day"


def test_what_mrkit_read_writes_mrkit_reads_again(sleep, tmp_path, capsys):
    """``mrkit read FILE --trait ID -o OUT`` and then ``mrkit read OUT`` (or ``mrkit harmonise OUT ...``): the sleep
    instruments have no chromosome or position, and the written table had chrom and pos columns of NA, which
    the reader then dropped row by row ("no valid row: all 30 rows dropped (30 missing chrom)"). Columns that are
    empty for every row are left out, as they were in the input; the 30 insomnia (ukb-a-13) rows come back."""
    from mrkit.cli import main

    out = tmp_path / "insomnia.tsv"
    assert main(["read", str(sleep), "--trait", "ukb-a-13", "-o", str(out)]) == 0
    capsys.readouterr()
    again = read_sumstats(out)
    raw = pd.read_csv(sleep, skiprows=1)
    raw = raw[raw["opengwas_id"] == "ukb-a-13"].set_index("SNP")
    assert len(again) == 30
    assert again.set_index("snp")["beta"].to_dict() == pytest.approx(raw["beta"].to_dict(), rel=1e-12)


LIAO = "sleep_ukb_a_to_CHD_C4D_liao2019.csv"
LIAO_EXPOSURE = {"beta": "beta_exposure", "se": "se_exposure", "p": "pval_exposure", "eaf": "eaf_exposure"}


def test_an_id_column_named_with_its_role_separates_the_traits(tmp_path):
    """The Liao et al. (2020) table of realdata/ holds the instruments of two exposures, ukb-a-13 (13 rows) and
    ukb-a-15 (10 rows), told apart by ``exposure_opengwas_id``; it was read as one trait of 23 rows, and
    harmonised with itself as outcome it gave one IVW of the two exposures mixed (1.163 on 23 SNPs, exit 0)."""
    from conftest import SHARED

    from mrkit.cli import main

    path = SHARED / "realdata" / LIAO
    if not path.exists():
        pytest.skip(f"{path} not found (set MRKIT_SHARED to the shared folder)")
    raw = pd.read_csv(path, skiprows=1)
    with pytest.raises(SeveralTraits, match=r"2 traits in one table: ukb-a-13 \(13 rows\); ukb-a-15 \(10 rows\)"):
        read_sumstats(path, "generic", columns=LIAO_EXPOSURE)
    for trait_id, group in raw.groupby("exposure_opengwas_id"):
        df = read_sumstats(path, "generic", columns=LIAO_EXPOSURE, trait=trait_id)
        assert df["snp"].tolist() == group["SNP"].tolist() and df.attrs["trait_id"] == trait_id
    outcome = ["--outcome-format", "generic", "--outcome-column", "beta=beta_outcome", "--outcome-column",
               "se=se_outcome", "--outcome-column", "p=pval_outcome_paper"]
    exposure = ["--exposure-format", "generic", *(f"--exposure-column={k}={v}" for k, v in LIAO_EXPOSURE.items())]
    h = tmp_path / "h.csv"
    assert main(["harmonise", str(path), str(path), "-o", str(h), *exposure, *outcome]) == 2
    assert main(["harmonise", str(path), str(path), "-o", str(h), *exposure, *outcome, "--trait", "ukb-a-13",
                 "--outcome-trait", "ukb-a-13"]) == 0
    assert pd.read_csv(h)["SNP"].tolist() == raw.loc[raw["exposure_opengwas_id"] == "ukb-a-13", "SNP"].tolist()
    plain = tmp_path / "plain.tsv"  # named with a role but not an id: no trait column
    plain.write_text("SNP\tA1\tBETA\tSE\tP\tpval_exposure\nrs1\tA\t0.1\t0.01\t1e-9\t1e-9\n")
    assert read_sumstats(plain).attrs.get("trait_id") is None


def test_twosamplemr_exposures_of_several_ids(tmp_path):
    path = tmp_path / "exp.csv"
    path.write_text("SNP,exposure,id.exposure,effect_allele.exposure,other_allele.exposure,beta.exposure,"
                    "se.exposure,pval.exposure\nrs1,LDL,ieu-a-300,A,G,0.1,0.01,1e-9\nrs1,HDL,ieu-a-299,A,G,0.2,0.01,"
                    "1e-9\nrs2,HDL,ieu-a-299,C,T,0.3,0.01,1e-9\n")
    with pytest.raises(SeveralTraits, match="2 traits"):
        read_sumstats(path)
    df = read_sumstats(path, trait="HDL")
    assert df["snp"].tolist() == ["rs1", "rs2"] and df.attrs["trait"] == "HDL"
    assert df.attrs["trait_id"] == "ieu-a-299" and df["beta"].tolist() == [0.2, 0.3]


# --- FinnGen variants with several rsids --------------------------------------------------------------------------
FINNGEN = ("#chrom\tpos\tref\talt\trsids\tnearest_genes\tpval\tmlogp\tbeta\tsebeta\taf_alt\taf_alt_cases\t"
           "af_alt_controls\n1\t100\tA\tG\trs1\tG1\t1e-9\t9\t0.1\t0.01\t0.3\t0.31\t0.29\n"
           "2\t300\tG\tGA\trs3,rs33\tG3\t1e-10\t10\t-0.2\t0.03\t0.1\t0.1\t0.1\n")


def test_a_variant_is_found_under_its_second_rsid(tmp_path):
    path = tmp_path / "fg.tsv"
    path.write_text(FINNGEN)
    df = read_sumstats(path, snps=["rs33"])
    assert df["snp"].tolist() == ["rs33"] and df["beta"].tolist() == [-0.2]
    assert read_sumstats(path, snps=["rs3", "rs1"])["snp"].tolist() == ["rs1", "rs3"]


def test_harmonise_matches_a_second_rsid_without_positions(tmp_path):
    from mrkit.gwas.harmonise import harmonise

    path = tmp_path / "fg.tsv"
    path.write_text(FINNGEN)
    outcome = read_sumstats(path)
    exposure = pd.DataFrame({"SNP": ["rs33", "rs1"], "effect_allele.exposure": ["GA", "A"],
                             "other_allele.exposure": ["G", "G"], "eaf.exposure": [0.9, 0.7],
                             "beta.exposure": [0.5, 0.4], "se.exposure": [0.05, 0.05], "pval.exposure": [1e-20, 1e-15]})
    h = harmonise(exposure, outcome)
    assert h["SNP"].tolist() == ["rs33", "rs1"] and h.attrs["log"]["found_in_outcome"] == 2
    # rs33: exposure effect allele GA = FinnGen's alt GA; rs1: exposure A = FinnGen's ref: swapped
    assert h["beta.outcome"].tolist() == [-0.2, -0.1]


# --- hints name flags that exist ------------------------------------------------------------------------------------
def _flags(parser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings}


def _subparser(name: str):
    import argparse

    from mrkit.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def test_every_flag_in_a_hint_exists():
    from mrkit.commands import harmonise, read

    for command, hints in (("read", read.HINTS), ("harmonise", harmonise.hints("exposure")),
                           ("harmonise", harmonise.hints("outcome"))):
        named = {flag for text in hints.values() for flag in re.findall(r"--[a-z][a-z-]*", text)}
        assert named and named <= _flags(_subparser(command)), (command, named - _flags(_subparser(command)))


@pytest.mark.parametrize("text, args, command", [
    ("SNP,beta.exposure,pval.exposure,effect_allele.exposure,se.exposure,beta.outcome,pval.outcome,"
     "effect_allele.outcome,se.outcome\nrs1,0.1,1e-9,A,0.01,0.2,0.1,A,0.1\n", ["--fmt", "twosamplemr"], "read"),
    ("a\tb\tc\n1\t2\t3\n", [], "read"),
    ("SNP\tAllele1\tAllele2\tBETA\tSE\tP\nrs1\tA\tG\t0.1\t0.01\t1e-9\n", [], "read"),
    ("SNP\tAllele1\tAllele2\tBETA\tSE\tP\nrs1\tA\tG\t0.1\t0.01\t1e-9\n", [], "harmonise"),
    ("SNP\tA1\tBETA\tSE\tP\tbeta\nrs1\tA\t0.1\t0.01\t1e-9\t1\n", [], "read"),
])
def test_hints_printed_name_flags_of_the_command(tmp_path, capsys, text, args, command):
    from mrkit.cli import main

    path = tmp_path / "f.tsv"
    path.write_text(text)
    argv = ["read", str(path), *args] if command == "read" else ["harmonise", str(path), str(path), "-o",
                                                                   str(tmp_path / "o.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    named = set(re.findall(r"--[a-z][a-z-]*", err))
    assert named, err
    assert named <= _flags(_subparser(command)), (err, named - _flags(_subparser(command)))
