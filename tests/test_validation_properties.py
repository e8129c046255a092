"""Property tests of the validation layer (issues 11 and 20): random rows, random corruption, every reader and
harmonise.

Whatever the corruption (NaN, inf, SE <= 0, p outside [0, 1], EAF outside (0, 1), bad or identical
alleles, a repeated row, a truncated gzip), the only outcomes allowed are a refusal with a message
(InputError), counted drops or counted fills; every valid row survives with its values unchanged (a
missing p filled from beta and SE as TwoSampleMR ``format_data`` does: ``2 * pnorm(-|b/se|)``, here from
scipy), no corrupted row survives, an exact repeat counts once, and the counts add up. Derandomized and
bounded so ``make test`` stays deterministic and quick.
"""
from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from mrkit.errors import InputError
from mrkit.gwas.harmonise import harmonise
from mrkit.gwas.io import read_harmonised, read_sumstats
from mrkit.gwas.rules import P_FILLED

SETTINGS = {"max_examples": 20, "deadline": None, "derandomize": True,
            "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}

#: corruption -> (field, raw text written); VCF writes p as LP = -log10(p)
CORRUPTIONS = {
    "beta_nan": ("beta", "NA"), "beta_inf": ("beta", "inf"), "se_zero": ("se", "0"), "se_negative": ("se", "-0.02"),
    "se_inf": ("se", "inf"), "p_above_1": ("p", "1.5"), "p_negative": ("p", "-0.1"), "p_missing": ("p", "NA"),
    "eaf_above_1": ("eaf", "1.3"), "eaf_zero": ("eaf", "0"), "allele_bad": ("effect", "X"),
    "allele_symbolic": ("effect", "<DEL>"), "alleles_equal": ("effect", "=other"),
}
VCF_SKIP = {"p_negative", "beta_nan", "p_missing"}  # LP cannot say p < 0; ES/LP "NA" is not VCF ("." is)


@st.composite
def tables(draw):
    """Valid rows (distinct positions, alleles and ids) and, for some, a corruption or a duplicate."""
    k = draw(st.integers(1, 12))
    bases = "ACGT"
    rows = []
    for i in range(k):
        effect = draw(st.sampled_from(bases + "D"))  # D/I indel codes are valid alleles too
        other = "I" if effect == "D" else draw(st.sampled_from([b for b in bases if b != effect] + ["AT"]))
        rows.append({"snp": f"rs{1000 + i}", "chrom": str(draw(st.integers(1, 22))), "pos": 1000 + 37 * i,
                     "effect": effect, "other": other,
                     "eaf": draw(st.floats(0.01, 0.99)), "beta": draw(st.floats(-1, 1, allow_subnormal=False)),
                     "se": draw(st.floats(1e-4, 1)), "p": draw(st.floats(1e-300, 1))})
    bad = draw(st.lists(st.tuples(st.integers(0, k - 1), st.sampled_from(sorted(CORRUPTIONS) + ["duplicate"])),
                        max_size=4, unique_by=lambda t: t[0]))
    return rows, dict(bad)


def _text(row: dict, corruption: str | None) -> dict:
    out = {key: (repr(v) if isinstance(v, float) else str(v)) for key, v in row.items()}
    if corruption and corruption != "duplicate":
        field, value = CORRUPTIONS[corruption]
        out[field] = out["other"] if value == "=other" else value
    return out


def write_rows(path, fmt: str, rows: list[dict], bad: dict[int, str]) -> tuple[list[dict], list[int]]:
    """Write ``rows`` in ``fmt`` (duplicates appended as copies); return the rows written and their lines."""
    written = [_text(r, bad.get(i)) for i, r in enumerate(rows)]
    written += [dict(written[i]) for i, c in sorted(bad.items()) if c == "duplicate"]
    if fmt == "finngen":
        head = ("#chrom\tpos\tref\talt\trsids\tnearest_genes\tpval\tmlogp\tbeta\tsebeta\taf_alt\taf_alt_cases\t"
                "af_alt_controls")
        body = [f"{r['chrom']}\t{r['pos']}\t{r['other']}\t{r['effect']}\t{r['snp']}\tG\t{r['p']}\t1\t{r['beta']}\t"
                f"{r['se']}\t{r['eaf']}\t{r['eaf']}\t{r['eaf']}" for r in written]
        meta = []
    elif fmt == "ssf":
        head = "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t" \
               "effect_allele_frequency\tp_value\trsid"
        body = [f"{r['chrom']}\t{r['pos']}\t{r['effect']}\t{r['other']}\t{r['beta']}\t{r['se']}\t{r['eaf']}\t"
                f"{r['p']}\t{r['snp']}" for r in written]
        meta = []
    elif fmt == "generic":
        head = "SNP CHR BP A1 A2 FRQ BETA SE P"
        body = [" ".join(r[k] for k in ("snp", "chrom", "pos", "effect", "other", "eaf", "beta", "se", "p"))
                for r in written]
        meta = []
    elif fmt == "twosamplemr":
        head = "SNP,chr.exposure,pos.exposure,effect_allele.exposure,other_allele.exposure,eaf.exposure," \
               "beta.exposure,se.exposure,pval.exposure"
        body = [",".join(r[k] for k in ("snp", "chrom", "pos", "effect", "other", "eaf", "beta", "se", "p"))
                for r in written]
        meta = []
    else:  # gwasvcf
        meta = ["##fileformat=VCFv4.2"]
        head = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS"
        body = []
        for r in written:
            p = float(r["p"]) if r["p"] not in ("NA",) else np.nan
            lp = repr(float(-np.log10(p))) if p > 0 else ("inf" if p == 0 else "-0.176")
            body.append(f"{r['chrom']}\t{r['pos']}\t{r['snp']}\t{r['other']}\t{r['effect']}\t.\tPASS\t.\t"
                        f"ES:SE:LP:AF\t{r['beta']}:{r['se']}:{lp}:{r['eaf']}")
    text = "\n".join(meta + [head] + body) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        path.write_text(text)
    first = len(meta) + 2
    return written, list(range(first, first + len(written)))


#: Not a corruption: a missing p is filled from beta and SE; an exact repeat of a row counts once.
KEPT = (None, "p_missing", "duplicate")


def expected_survivors(rows, bad) -> list[int]:
    """Rows not corrupted (a missing p is filled, a row written twice is kept once)."""
    return [i for i in range(len(rows)) if bad.get(i) in KEPT]


def expected_p(rows, bad, keep) -> list[float]:
    """p of each surviving row: as written, or 2 * Phi(-|beta/se|) where it was missing (scipy, not mrkit)."""
    return [2 * norm.sf(abs(rows[i]["beta"] / rows[i]["se"])) if bad.get(i) == "p_missing" else rows[i]["p"]
            for i in keep]


FORMATS = ["finngen", "ssf", "generic", "twosamplemr", "gwasvcf"]


@pytest.mark.parametrize("fmt", FORMATS)
@settings(**SETTINGS)
@given(table=tables(), compressed=st.booleans())
def test_every_reader_refuses_or_counts_and_keeps_valid_rows_unchanged(tmp_path_factory, fmt, table, compressed):
    rows, bad = table
    if fmt == "gwasvcf":
        bad = {i: c for i, c in bad.items() if c not in VCF_SKIP}
    path = tmp_path_factory.mktemp(fmt) / ("data.txt.gz" if compressed else "data.txt")
    written, lines = write_rows(path, fmt, rows, bad)
    keep = expected_survivors(rows, bad)
    try:
        df = read_sumstats(path, fmt)
    except InputError as exc:
        assert not keep and "no valid row" in str(exc)  # refused only when nothing valid is left
        return
    assert keep, "every row was invalid: the file must be refused"
    assert df.attrs["rows_read"] == len(written)
    assert sum(df.attrs["dropped"].values()) == len(written) - len(df)
    assert df["snp"].tolist() == [rows[i]["snp"] for i in keep]
    for column in ("beta", "se", "eaf"):
        np.testing.assert_array_equal(df[column].to_numpy(), [rows[i][column] for i in keep])
    rel = 1e-12 if fmt == "gwasvcf" else 0  # VCF stores -log10(p)
    filled = np.array([bad.get(i) == "p_missing" for i in keep], dtype=bool)
    np.testing.assert_allclose(df["p"].to_numpy()[~filled], np.array(expected_p(rows, bad, keep))[~filled], rtol=rel,
                               atol=0)
    np.testing.assert_allclose(df["p"].to_numpy()[filled], np.array(expected_p(rows, bad, keep))[filled], rtol=1e-12,
                               atol=0)
    assert df["effect_allele"].tolist() == [rows[i]["effect"] for i in keep]
    assert df["other_allele"].tolist() == [rows[i]["other"] for i in keep]
    # strict: refused at the earliest bad line (a repeated row's second copy), or the same frame
    bad_lines = [lines[i] for i, c in bad.items() if c not in KEPT]
    bad_lines += [lines[len(rows) + j] for j in range(sum(c == "duplicate" for c in bad.values()))]
    if bad_lines:
        with pytest.raises(InputError, match=rf"^{path}, line {min(bad_lines)}[,:]"):
            read_sumstats(path, fmt, strict=True)
    else:
        pd.testing.assert_frame_equal(read_sumstats(path, fmt, strict=True), df)


@settings(**SETTINGS)
@given(table=tables(), cut=st.floats(0.05, 0.999))
def test_a_truncated_gzip_is_always_a_message_never_a_traceback(tmp_path_factory, table, cut):
    rows, _ = table
    path = tmp_path_factory.mktemp("cut") / "data.tsv.gz"
    write_rows(path, "finngen", rows, {})
    data = path.read_bytes()
    path.write_bytes(data[:max(1, int(len(data) * cut))])
    with pytest.raises(InputError, match=r"truncated or corrupt gzip|empty file|no data rows|no valid row|"
                                         r"expected \d+ fields|not a valid"):
        read_sumstats(path, "finngen")


def _tsmr(rows: list[dict], role: str, bad: dict[int, str]) -> pd.DataFrame:
    written = [_text(r, bad.get(i)) for i, r in enumerate(rows)]
    written += [dict(written[i]) for i, c in sorted(bad.items()) if c == "duplicate"]
    frame = pd.DataFrame({"SNP": [r["snp"] for r in written],
                          f"effect_allele.{role}": [r["effect"] for r in written],
                          f"other_allele.{role}": [r["other"] for r in written]})
    for field, name in (("eaf", "eaf"), ("beta", "beta"), ("se", "se"), ("p", "pval")):
        frame[f"{name}.{role}"] = pd.to_numeric(pd.Series([r[field] for r in written]), errors="coerce")
    return frame


#: Missing values are not drops in harmonise: as in TwoSampleMR the row stays, with mr_keep FALSE (a missing p
#: is filled from beta and SE); an exact repeat counts once.
MISSING = {"beta_nan", "p_missing", "duplicate"}


@settings(**SETTINGS)
@given(table=tables(), outcome_bad=st.data())
def test_harmonise_drops_and_counts_and_never_changes_a_valid_exposure_row(table, outcome_bad):
    rows, bad = table
    exposure = _tsmr(rows, "exposure", bad)
    obad = outcome_bad.draw(st.dictionaries(st.integers(0, len(rows) - 1), st.sampled_from(sorted(CORRUPTIONS)),
                                            max_size=3))
    outcome = _tsmr(rows, "outcome", obad)
    keep = [i for i in range(len(rows)) if bad.get(i) in (None, *MISSING)]
    found = [i for i in keep if obad.get(i) in (None, *MISSING)]
    out = harmonise(exposure, outcome)
    log = out.attrs["log"]
    dropped_x = sum(v for k, v in log.items() if k.startswith("exposure_dropped: "))
    assert log["candidate_instruments"] == len(keep) and dropped_x == len(exposure) - len(keep)
    assert log["invalid_in_outcome"] == len(keep) - len(found) and log["absent_from_outcome"] == 0
    filled = sum(bad.get(i) == "p_missing" for i in range(len(rows)))
    assert log.get("exposure_filled: " + P_FILLED, 0) == filled
    assert out["SNP"].tolist() == [rows[i]["snp"] for i in found]
    missing = [bad.get(i) == "beta_nan" or obad.get(i) == "beta_nan" for i in found]
    other_reason = (out["ambiguous"] | out["remove"]).to_numpy()  # palindromes with EAF 0.5...
    assert not out["mr_keep"][np.array(missing, dtype=bool)].any()
    assert log["missing_values_removed"] == int((np.array(missing, dtype=bool) & ~other_reason).sum())
    for i, m, (_, row) in zip(found, missing, out.iterrows()):
        if bad.get(i) != "beta_nan":
            assert (row["beta.exposure"], row["se.exposure"]) == (rows[i]["beta"], rows[i]["se"])
            assert row["pval.exposure"] == pytest.approx(expected_p(rows, bad, [i])[0], rel=1e-12)
        if not m:
            assert row["beta.outcome"] in (rows[i]["beta"], -rows[i]["beta"])
    if any(c not in MISSING or c == "duplicate" for c in bad.values()):
        with pytest.raises(InputError, match=r"^row \d+, column '[^']+\.exposure'|^row \d+, column 'SNP'"):
            harmonise(exposure, outcome, strict=True)


@settings(**SETTINGS)
@given(table=tables())
def test_the_harmonised_reader_drops_and_counts_or_refuses(tmp_path_factory, table):
    rows, bad = table
    bad = {i: c for i, c in bad.items() if CORRUPTIONS.get(c, ("beta",))[0] in ("beta", "se", "p") or c == "duplicate"}
    frame = pd.DataFrame({"SNP": [r["snp"] for r in rows], "bx": [repr(r["beta"]) for r in rows],
                          "bxse": [repr(r["se"]) for r in rows], "by": [repr(r["beta"] / 2) for r in rows],
                          "byse": [repr(r["se"]) for r in rows], "pval.exposure": [repr(r["p"]) for r in rows]})
    for i, c in bad.items():
        if c != "duplicate":
            field, value = CORRUPTIONS[c]
            frame.loc[i, {"beta": "bx", "se": "bxse", "p": "pval.exposure"}[field]] = value
    frame = pd.concat([frame, frame.iloc[[i for i, c in sorted(bad.items()) if c == "duplicate"]]], ignore_index=True)
    path = tmp_path_factory.mktemp("h") / "h.csv"
    frame.to_csv(path, index=False)
    # a missing p is filled from beta and se; a row written twice counts once; bx = 0 is dropped
    keep = [i for i in range(len(rows)) if bad.get(i) in KEPT and rows[i]["beta"] != 0]
    try:
        got = read_harmonised(path)
    except InputError as exc:
        assert not keep and "no valid row" in str(exc)
        return
    assert got["SNP"].tolist() == [rows[i]["snp"] for i in keep]
    np.testing.assert_array_equal(got["bx"].to_numpy(), [rows[i]["beta"] for i in keep])
    assert sum(got.attrs["dropped"].values()) == len(frame) - len(got)
    assert got.attrs["lines"].tolist() == [i + 2 for i in keep]
    np.testing.assert_allclose(got["pval.exposure"].to_numpy(), expected_p(rows, bad, keep), rtol=1e-12, atol=0)
