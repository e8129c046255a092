"""A multivariable table in TwoSampleMR's long format with mixed effect alleles is aligned as
``mv_harmonise_data`` expects (issue 20): it gives the same estimates as the aligned table.

Data: the MendelianRandomization lipids example (LDL-c, HDL-c, triglycerides -> CHD, 28 variants, every
association on ``lipid_effect``), ``validation/lipids_chd_waterworth2010_28snps.csv``. The mixed table recodes,
with a seeded generator, some variants of HDL-c, triglycerides and the outcome on the other allele (alleles
swapped, effect negated, frequency 1 - f), some on the other strand (complemented alleles). Five variants are
palindromes: four (G/C 0.12, 0.20, 0.65; T/A 0.81) are flipped by their frequency; the fifth (T/A, frequency
0.46) is ambiguous and leaves both tables, as TwoSampleMR's ``harmonise_data`` (action 2) removes it: 27 variants.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.gwas.io.multivariable import read_multivariable
from mrkit.methods.multivariable import mv_mr

EXPOSURES = {"ldlc": "ldlcse", "hdlc": "hdlcse", "trig": "trigse"}
SEED = 20


def _long(raw: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in raw.iterrows():
        for name, se in EXPOSURES.items():
            rows.append({"SNP": f"v{r['variant_index']}", "exposure": name, "id.exposure": name,
                         "effect_allele.exposure": r["lipid_effect"], "other_allele.exposure": r["lipid_other"],
                         "eaf.exposure": r["lipid_eaf"], "beta.exposure": r[name], "se.exposure": r[se],
                         "pval.exposure": 0.01, "outcome": "CHD", "effect_allele.outcome": r["lipid_effect"],
                         "other_allele.outcome": r["lipid_other"], "eaf.outcome": r["lipid_eaf"],
                         "beta.outcome": r["chdlodds"], "se.outcome": r["chdloddsse"], "pval.outcome": 0.01})
    return pd.DataFrame(rows)


COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _recode(table: pd.DataFrame, rows, role: str, how: str) -> None:
    ea, oa, eaf, beta = (f"{f}.{role}" for f in ("effect_allele", "other_allele", "eaf", "beta"))
    if how == "swap":
        table.loc[rows, [ea, oa]] = table.loc[rows, [oa, ea]].to_numpy()
        table.loc[rows, eaf] = 1 - table.loc[rows, eaf]
        table.loc[rows, beta] = -table.loc[rows, beta]
    else:  # the other strand, same allele
        table.loc[rows, ea] = table.loc[rows, ea].str.translate(COMPLEMENT)
        table.loc[rows, oa] = table.loc[rows, oa].str.translate(COMPLEMENT)


@pytest.fixture(scope="module")
def tables(validation_dir, tmp_path_factory):
    raw = pd.read_csv(validation_dir / "lipids_chd_waterworth2010_28snps.csv")
    aligned = _long(raw)
    mixed = aligned.copy()
    rng = np.random.default_rng(SEED)
    palindromic = raw["lipid_effect"].str.cat(raw["lipid_other"]).isin(["GC", "CG", "AT", "TA"])
    palindromes = set(raw.loc[palindromic, "variant_index"])
    ambiguous = set(raw.loc[palindromic & raw["lipid_eaf"].between(0.42, 0.58), "variant_index"])
    assert len(palindromes) == 5 and len(ambiguous) == 1
    # expected counts, as harmonise_data counts them: a palindrome on the other strand shows its alleles
    # swapped (swapped back) and is then flipped by its frequency
    counts = {"swap": 0, "strand": 0, "palindrome_strand": 0}
    for v in raw["variant_index"]:
        if v in ambiguous:  # removed from both tables whatever its coding
            continue
        snp = f"v{v}"
        for name in ("hdlc", "trig"):
            odds = [0.4, 0.4, 0.2] if v not in palindromes else [0.2, 0.3, 0.5]
            how = rng.choice(["keep", "swap", "strand"], p=odds)
            if how != "keep":
                _recode(mixed, (mixed["SNP"] == snp) & (mixed["exposure"] == name), "exposure", how)
                if v in palindromes:
                    counts["swap"] += 1
                    counts["palindrome_strand"] += how == "strand"
                else:
                    counts[how] += 1
        if rng.random() < 0.5:
            _recode(mixed, mixed["SNP"] == snp, "outcome", "swap")
            counts["swap"] += 1
    folder = tmp_path_factory.mktemp("mv")
    paths = {}
    for label, table in (("aligned", aligned), ("mixed", mixed)):
        paths[label] = folder / f"{label}.csv"
        table.to_csv(paths[label], index=False)
    assert min(counts.values()) > 0, counts  # every kind of recoding is exercised
    return paths, mixed, counts


def _estimates(path) -> pd.DataFrame:
    return mv_mr(read_multivariable(path), methods=["mv_ivw", "mv_egger", "mv_median"], seed=1)


def test_mixed_alleles_give_the_aligned_estimates(tables):
    paths, _, _ = tables
    aligned, mixed = _estimates(paths["aligned"]), _estimates(paths["mixed"])
    assert aligned.attrs["nsnp"] == mixed.attrs["nsnp"] == 27
    np.testing.assert_allclose(mixed["estimate"], aligned["estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(mixed["se"], aligned["se"], rtol=0, atol=1e-12)


def test_without_alignment_the_signs_would_be_wrong(tables, tmp_path):
    # the control: the same mixed table with its allele columns removed is read as coded, and differs
    paths, mixed, _ = tables
    blind = tmp_path / "blind.csv"
    mixed.drop(columns=[c for c in mixed.columns if "allele" in c]).to_csv(blind, index=False)
    aligned, wrong = _estimates(paths["aligned"]), _estimates(blind)
    assert np.max(np.abs(wrong["estimate"].to_numpy() - aligned["estimate"].to_numpy())) > 0.05


def test_alignment_is_counted(tables):
    paths, mixed, counts = tables
    log = read_multivariable(paths["mixed"]).attrs["alignment"]
    assert (log["variants"], log["kept"]) == (28, 27)
    swapped = sum(log[k].get("swapped", 0) for k in ("hdlc", "trig", "outcome"))
    flipped = sum(log[k].get("strand_flipped", 0) for k in ("hdlc", "trig", "outcome"))
    palindromes = sum(log[k].get("palindromic_flipped", 0) for k in ("hdlc", "trig", "outcome"))
    assert (swapped, flipped, palindromes) == (counts["swap"], counts["strand"], counts["palindrome_strand"])
    plain = read_multivariable(paths["aligned"]).attrs["alignment"]
    assert plain["hdlc"] == plain["trig"] == plain["outcome"] == {"palindromic_ambiguous_removed": 1, "removed": 1}


def test_incompatible_variant_leaves_and_is_counted(tables, tmp_path):
    paths, mixed, _ = tables
    bad = mixed.copy()
    rows = (bad["SNP"] == "v5") & (bad["exposure"] == "trig")
    first = bad.loc[(bad["SNP"] == "v5") & (bad["exposure"] == "ldlc")].iloc[0]
    pair = {first["effect_allele.exposure"], first["other_allele.exposure"]}
    strand = {a.translate(COMPLEMENT) for a in pair}
    candidates = (("A", "C"), ("A", "G"), ("C", "T"), ("G", "T"))
    incompatible = next(list(c) for c in candidates if set(c) not in (pair, strand))
    bad.loc[rows, ["effect_allele.exposure", "other_allele.exposure"]] = incompatible
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    data = read_multivariable(path)
    log = data.attrs["alignment"]
    assert log["kept"] == 26 and log["trig"]["removed"] == 2 and log["trig"]["incompatible_removed"] == 1
    assert "v5" not in set(data["SNP"]) and mv_mr(data, methods=["mv_ivw"]).attrs["nsnp"] == 26


def test_estimate_reports_the_alignment(tables, capsys):
    from mrkit.cli import main

    paths, _, _ = tables
    assert main(["estimate", "--multivariable", str(paths["mixed"]), "--methods", "mv_ivw", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["input"]["alignment"]["kept"] == 27


def test_a_text_frequency_is_refused_naming_its_line(tables, tmp_path):
    paths, mixed, _ = tables
    bad = mixed.astype({"eaf.exposure": object})
    bad.loc[7, "eaf.exposure"] = "abc"
    path = tmp_path / "text.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"text.csv, line 9, column 'eaf.exposure': value 'abc' is not a number"):
        read_multivariable(path)
