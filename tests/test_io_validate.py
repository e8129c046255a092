"""Bad input: located errors (file, line, column) for malformed files, counted drops for bad rows."""
from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.gwas.io import read_sumstats
from mrkit.gwas.io.columnar import BGZF_EOF, write_bgzip
from mrkit.rng import make_rng

HEADER = ("#chrom\tpos\tref\talt\trsids\tnearest_genes\tpval\tmlogp\tbeta\tsebeta\taf_alt\t"
          "af_alt_cases\taf_alt_controls")


def row(chrom="1", pos=100, ref="A", alt="G", rsid="", p="0.01", beta="0.1", se="0.01", af="0.3"):
    return f"{chrom}\t{pos}\t{ref}\t{alt}\t{rsid}\tGENE\t{p}\t2\t{beta}\t{se}\t{af}\t{af}\t{af}"


def good_rows(n, start=1000):
    return [row(pos=start + i) for i in range(n)]


def finngen(tmp_path, rows, name="lbp.tsv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_missing_required_column_names_it_and_lists_the_header(tmp_path):
    path = tmp_path / "lbp.tsv"
    path.write_text(HEADER.replace("\tsebeta", "") + "\n")
    # with sebeta gone the file is no longer FinnGen-shaped: ask for the format explicitly
    with pytest.raises(InputError) as err:
        read_sumstats(path, fmt="finngen")
    text = str(err.value)
    assert "lbp.tsv" in text and "line 1" in text and "column 'sebeta'" in text
    assert "['sebeta']" in text and "'#chrom', 'pos'" in text


@pytest.mark.parametrize("column,bad", [("pval", "abc"), ("beta", "0.1.2"), ("sebeta", "n.a."),
                                        ("pos", "12x")])
def test_non_numeric_value_is_located_in_a_late_batch(tmp_path, column, bad):
    rows = good_rows(5000)
    fields = HEADER.split("\t")
    cells = rows[3456].split("\t")
    cells[fields.index(column)] = bad
    rows[3456] = "\t".join(cells)
    path = finngen(tmp_path, rows)
    with pytest.raises(InputError) as err:
        read_sumstats(path, block_size=1 << 14)  # many small batches: the offset arithmetic matters
    # data row 3456 (0-based) is physical line 3458 (header is line 1)
    assert str(err.value).startswith(f"{path}, line 3458, column '{column}': value '{bad}'")


def test_wrong_number_of_fields(tmp_path):
    rows = good_rows(50)
    rows[20] += "\textra"
    with pytest.raises(InputError, match=r"lbp.tsv, line 22: expected 13 fields .* found 14"):
        read_sumstats(finngen(tmp_path, rows))


def test_vcf_meta_lines_count_in_line_numbers(tmp_path):
    text = ("##fileformat=VCFv4.2\n##source=test\n##contig=<ID=1>\n"
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
            "1\t100\t.\tA\tG\t.\tPASS\t.\tES:SE:LP\t0.1:0.01:3\n"
            "1\t200\t.\tA\tG\t.\tPASS\t.\tES:SE:LP\t0.1:zero:3\n")
    path = tmp_path / "s.vcf"
    path.write_text(text)
    with pytest.raises(InputError, match=r"s.vcf, line 6, column 'S\[SE\]': value 'zero' is not a number"):
        read_sumstats(path)


def test_row_problems_are_dropped_and_counted(tmp_path):
    rows = [
        row(pos=1),                       # line 2: fine
        row(pos=2, se="0"),               # line 3: se <= 0
        row(pos=3, p="NA"),               # line 4: p filled from beta and se (TwoSampleMR format_data)
        row(pos=4, p="1.5"),              # line 5: p outside [0, 1]
        row(pos=5, af="1.2"),             # line 6: eaf outside (0, 1)
        row(pos=6, alt="N"),              # line 7: invalid allele
        row(pos=7, alt="<CN0>"),          # line 8: invalid allele
        row(pos=8, beta="NA"),            # line 9: missing beta
        row(pos=9, se="-0.1"),            # line 10: se <= 0
        row(pos=10, chrom="MT"),          # line 11: chromosome
        row(pos=11, rsid="rs9"),          # lines 12 and 13: same rsid and alleles, other positions
        row(pos=12, rsid="rs9"),
        row(pos=13, alt="D", ref="I"),    # D/I indel codes are accepted
        row(pos=14, p="0"),               # p = 0 (underflow) is kept
        row(pos=15, p="NA", se="0"),      # line 17: missing p (it cannot be filled from se = 0)
        row(pos=16, rsid="rs7"),          # lines 18 and 19: one row twice, every value equal: kept once
        row(pos=16, rsid="rs7"),
    ]
    df = read_sumstats(finngen(tmp_path, rows))
    assert df["pos"].tolist() == [1, 3, 13, 14, 16]
    assert df.attrs["dropped"] == {"se <= 0": 2, "missing p": 1, "p outside [0, 1]": 1,
                                   "eaf outside (0, 1)": 1, "invalid allele": 2, "missing beta": 1,
                                   "chromosome not 1-22 or X": 1,
                                   "variant repeated with different values (every copy)": 2,
                                   "exact repeat of a row (one copy kept)": 1}
    assert df.attrs["flagged"]["p missing: filled from beta and se, 2*pnorm(-|beta/se|) (TwoSampleMR format_data)"] == 1
    # beta 0.1, se 0.01: z = 10, p = 2 * Phi(-10) (R: 2 * pnorm(-10) = 1.523970e-23)
    assert df.loc[df["pos"] == 3, "p"].item() == pytest.approx(1.523970e-23, rel=1e-6)
    assert df.attrs["rows_read"] == len(rows)


@pytest.mark.parametrize("bad_row,line,column,reason", [
    (row(pos=5, se="0"), 4, "sebeta", "se <= 0"),
    (row(pos=5, p="NA", se="0"), 4, "pval", "missing p"),
    (row(pos=5, p="-0.1"), 4, "pval", r"p outside \[0, 1\]"),
    (row(pos=5, af="0"), 4, "af_alt", r"eaf outside \(0, 1\)"),
    (row(pos=5, ref="X"), 4, "ref", "invalid allele"),
    (row(pos=2), 4, "rsids", r"exact repeat of a row \(one copy kept\) \(value '1:2:A:G'\) \(lines 3, 4\)"),
    (row(pos=2, beta="0.2"), 3, "rsids",
     r"variant repeated with different values \(every copy\) \(value '1:2:A:G'\) \(lines 3, 4\)"),
])
def test_strict_turns_each_drop_into_a_located_error(tmp_path, bad_row, line, column, reason):
    rows = [row(pos=1), row(pos=2), bad_row, row(pos=6, se="0")]  # the later se=0 must not win
    path = finngen(tmp_path, rows)
    assert len(read_sumstats(path)) < len(rows)
    with pytest.raises(InputError, match=rf"^{path}, line {line}, column '{column}': {reason}"):
        read_sumstats(path, strict=True)


def test_truncated_gzip(tmp_path):
    data = ("\n".join([HEADER, *good_rows(20000)]) + "\n").encode()
    path = tmp_path / "lbp.gz"
    path.write_bytes(gzip.compress(data)[:-2000])
    with pytest.raises(InputError, match=r"lbp.gz: truncated or corrupt gzip"):
        read_sumstats(path)


def test_bgzip_cut_at_a_block_boundary_is_caught(tmp_path):
    data = ("\n".join([HEADER, *good_rows(20000)]) + "\n").encode()
    path = write_bgzip(tmp_path / "lbp.gz", data)
    whole = path.read_bytes()
    # drop the EOF block and the last data block: still valid multi-member gzip, silently short
    last_block = whole.rfind(b"\x1f\x8b\x08\x04", 0, len(whole) - len(BGZF_EOF))
    path.write_bytes(whole[:last_block])
    with gzip.open(path) as fh:
        assert len(fh.read()) < len(data)  # python's gzip reads it without complaint
    with pytest.raises(InputError, match="truncated or corrupt gzip .BGZF end-of-file marker missing"):
        read_sumstats(path)


def test_corrupt_gzip(tmp_path):
    data = bytearray(gzip.compress(("\n".join([HEADER, *good_rows(20000)]) + "\n").encode()))
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64
    path = tmp_path / "lbp.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="lbp.gz: truncated or corrupt gzip"):
        read_sumstats(path)


def test_empty_file_and_missing_file(tmp_path):
    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(InputError, match="empty.tsv: empty file"):
        read_sumstats(tmp_path / "empty.tsv")
    with pytest.raises(InputError, match="nothere.tsv: no such file"):
        read_sumstats(tmp_path / "nothere.tsv")


def test_neale_malformed_variant_is_an_error(tmp_path):
    path = tmp_path / "n.tsv"
    path.write_text("variant\tminor_allele\tminor_AF\tbeta\tse\tpval\n1:100:A:G\tA\t0.2\t0.1\t0.01\t0.5\n"
                    "1-200-A-G\tA\t0.2\t0.1\t0.01\t0.5\n")
    with pytest.raises(InputError, match=r"n.tsv, line 3, column 'variant': variant '1-200-A-G'"):
        read_sumstats(path)


def random_finngen(tmp_path, n=3000, seed=20240611):
    """A FinnGen table with realistic p-values and a sprinkling of bad rows (seeded)."""
    rng = make_rng(seed)
    z = rng.normal(size=n) * np.where(rng.random(n) < 0.05, 8, 1)
    se = rng.uniform(0.005, 0.05, n)
    from scipy.stats import norm
    p = 2 * norm.sf(np.abs(z))
    frame = pd.DataFrame({"#chrom": rng.integers(1, 24, n).astype(str), "pos": np.arange(n) + 10,
                          "ref": rng.choice(list("ACGT"), n), "alt": rng.choice(["A", "C", "G", "T", "AT"], n),
                          "rsids": "", "nearest_genes": "G", "pval": p, "mlogp": -np.log10(p),
                          "beta": z * se, "sebeta": se, "af_alt": rng.uniform(0.01, 0.99, n)})
    frame["af_alt_cases"] = frame["af_alt_controls"] = frame["af_alt"]
    bad = rng.choice(n, 60, replace=False)
    frame.loc[bad[:20], "sebeta"] = 0.0
    frame.loc[bad[20:40], "pval"] = np.nan
    frame.loc[bad[40:], "alt"] = "N"
    path = tmp_path / "random.tsv.gz"
    write_bgzip(path, frame.to_csv(sep="\t", index=False, na_rep="NA").encode())
    return path


@pytest.mark.parametrize("p_max", [5e-8, 1e-5, 0.05, 1.0])
def test_p_max_filter_equals_read_then_filter(tmp_path, p_max):
    path = random_finngen(tmp_path)
    full = read_sumstats(path, block_size=1 << 15)
    filtered = read_sumstats(path, p_max=p_max, block_size=1 << 15)
    expected = full[full["p"] <= p_max].reset_index(drop=True)
    assert len(filtered) > 0
    pd.testing.assert_frame_equal(filtered, expected)
    raw = pd.read_csv(path, sep="\t")
    # a missing p is filled from beta and se (TwoSampleMR format_data: 2 * pnorm(-|b/se|)) before the filter, so
    # a valid row whose filled p is above p_max is counted as above too
    from scipy.stats import norm
    filled = full[full["pos"].isin(raw.loc[raw["pval"].isna(), "pos"])]
    np.testing.assert_allclose(filled["p"], 2 * norm.sf(np.abs(filled["beta"] / filled["se"])), rtol=1e-12)
    assert filtered.attrs["above_p_max"] == int((raw["pval"] > p_max).sum() + (filled["p"] > p_max).sum())
    assert "missing p" not in filtered.attrs["dropped"]  # with or without the filter
    fills = {r: n for r, n in filtered.attrs["flagged"].items() if r.startswith("p missing: filled")}
    assert list(fills.values()) == [20]
