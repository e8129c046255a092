"""The harmonised-table reader (``mrkit estimate``'s, without pandas) against independent oracles.

* text -> number: ``pandas.to_numeric`` (the reader promises to read numbers as it does);
* every rule: hand-written tables whose right outcome (rows kept, physical lines, drops and flags by reason,
  filled values) is stated here from the rule table (``mrkit estimate --help``), with filled p-values from
  R (``2 * pnorm(-z)``, R 4.2: z = 5 -> 5.733031e-07, z = 2 -> 0.04550026);
* the text layer: the same hand-written table in every layout the reader accepts (delimiters, quotes,
  line ends, byte-order mark, gzip) gives the same table;
* a property test: random valid rows written in a random layout, each possibly corrupted in one known
  way (its reason stated by the test) or written twice, read back: the valid rows with the values
  written, at their lines, and the counts by reason; a structural defect refused at its line.
"""
from __future__ import annotations

import gzip
import math
import random
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrkit.errors import InputError
from mrkit.gwas.io import read_sumstats
from mrkit.gwas.io.harmonised import parse_number, read_harmonised, read_harmonised_table
from mrkit.methods.mrdata import split_pairs

EXACT = "exact repeat of a row (one copy kept)"
CONFLICT = "variant repeated with different values (every copy)"
P_FILLED = "p missing: filled from beta and se, 2*pnorm(-|beta/se|) (TwoSampleMR format_data)"
N_FILLED = "n missing: filled as ncase + ncontrol (TwoSampleMR format_data)"
UNDERFLOW = "p = 0 (underflow; kept: Steiger takes r2 from beta and SE)"
EMPTY = "empty line (no data: skipped)"
BX_ZERO = "beta.exposure = 0 (the ratio by/bx is undefined)"

# --- numbers: text -> float as pandas.to_numeric reads it -------------------------------------------------

TRICKY = ["1", " 1", "1 ", "\t1\n", "\x0b1\x0c", "\r1", "1\xa0", "\u20031", "1_0", "\u0661", "\uff11", "+1", "-1",
          "--1", "1e5", "1E+5", "1e-5", "1d5", "1e", "e5", ".5", "5.", ".", "-.5", "0x10", "1,5", "1.5.5", "inf",
          "Inf", "-INF", "+inf", "infinity", "-Infinity", "infinit", "nan", "NaN", "+nan", "nan1", "na", " inf",
          "inf ", " nan", "\u0130nf", "1e400", "-1e400", "1e-400", "-0", "-0.0", "00.5", "1.e5", ".e5", "1__0",
          "snan", "True", "1j", "9" * 330, "0." + "0" * 400 + "1", "1e1_0", "4.9e-324", "2.2250738585072014e-308"]


def _pandas_number(text: str) -> float:
    return float(pd.to_numeric(pd.Series([text, "2.5"], dtype="str"), errors="coerce").to_numpy(float)[0])


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def test_parse_number_reads_text_as_pandas_does():
    rng = random.Random(4)  # seed 4
    alphabet = "0123456789.eE+- \t_xinfatyINFATY\xa0\u0661"
    samples = TRICKY + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(20000)]
    samples += [repr(v) for v in np.random.default_rng(4).normal(size=2000) * 10.0 ** rng.randint(-300, 300)]
    for text in samples:
        mine = parse_number(text)
        assert _same_float(math.nan if mine is None else mine, _pandas_number(text)), repr(text)


@pytest.mark.parametrize("values", [["-0", "1", "2"], ["-0", "1.5"], ["-0", None, "3"], ["-0", "na"], ["+0", "-00"]])
def test_a_column_of_whole_numbers_has_no_negative_zero_as_in_pandas(tmp_path, values):
    path = tmp_path / "h.csv"
    rows = [f"rs{i},{'NA' if v is None else v},0.1,0.2,0.1" for i, v in enumerate(values)]
    path.write_text("SNP,by,bxse,bx,byse\n" + "\n".join(rows) + "\n")
    got = read_harmonised_table(path)["by"]  # a missing by drops its row
    expected = pd.to_numeric(pd.Series(["NA" if v is None else v for v in values], dtype="str"), errors="coerce")
    expected = expected.to_numpy(float)
    assert [math.copysign(1, v) for v in got] == [math.copysign(1, v) for v in expected[~np.isnan(expected)]]


# --- every rule, on a hand-written table ------------------------------------------------------------------

HEADER = ("SNP,beta.exposure,se.exposure,beta.outcome,se.outcome,pval.exposure,pval.outcome,eaf.exposure,"
          "effect_allele.exposure,other_allele.exposure,samplesize.outcome,ncase.outcome,ncontrol.outcome,mr_keep")
#: (line, row text, what the rule table says happens to it)
ROWS = [
    (2, "rs1,0.05,0.01,0.02,0.01,1e-8,0.05,0.3,A,G,1000,,,TRUE", "kept"),
    (3, "rs2,0.05,0.01,0.02,0.01,,0.05,0.3,A,G,1000,,,TRUE", "kept: pval.exposure filled, z = 5"),
    (4, "rs3,0.05,0,0.02,0.01,1e-8,0.05,0.3,A,G,1000,,,TRUE", "se <= 0"),
    (5, "rs4,0,0.01,0.02,0.01,1e-8,0.05,0.3,A,G,1000,,,TRUE", BX_ZERO),
    (6, "rs5,0.05,0.01,0.02,0.01,1.5,0.05,0.3,A,G,1000,,,TRUE", "p outside [0, 1]"),
    (7, "rs6,0.05,0.01,0.02,0.01,1e-8,0.05,1.2,A,G,1000,,,TRUE", "eaf outside (0, 1)"),
    (8, "rs7,0.05,0.01,0.02,0.01,1e-8,0.05,0.3,N,G,1000,,,TRUE", "invalid allele"),
    (9, "rs8,0.05,0.01,0.02,0.01,1e-8,0.05,0.3,a,A,1000,,,TRUE", "effect allele = other allele"),
    (10, "rs9,0.05,0.01,0.02,0.01,1e-8,0.05,0.3,A,G,,400,600,TRUE", "kept: samplesize.outcome filled, 1000"),
    (11, "rs10,0.05,0.01,0.02,0.01,1e-8,0.05,0.3,A,G,1000,,,TRUE", "kept"),
    (12, "rs10,0.05,0.01,0.02,0.01,1e-8,0.05,0.3,A,G,1000,,,TRUE", EXACT),
    (13, "rs11,0.05,0.01,0.02,0.01,1e-8,0.05,0.3,A,G,1000,,,TRUE", CONFLICT),
    (14, "rs11,0.05,0.01,0.03,0.01,1e-8,0.05,0.3,A,G,1000,,,TRUE", CONFLICT),
    (15, "rs12,0.05,0,0.02,0.01,1e-8,0.05,0.3,A,G,1000,,,FALSE", "kept: mr_keep FALSE rows are not checked"),
    (16, "rs13,0.05,0.01,0.02,0.01,0,0.05,0.3,A,G,1000,,,TRUE", "kept: flagged p = 0"),
    (17, "", "empty line"),
    (18, "rs14,inf,0.01,0.02,0.01,1e-8,0.05,0.3,A,G,1000,,,TRUE", "beta not finite"),
    (19, "rs15,0.05,0.01,0.02,NA,1e-8,0.05,0.3,A,G,1000,,,TRUE", "missing se"),
    (20, "rs16,0.05,0.01,0.02,0.01,1e-8,,0.3,A,G,1000,,,TRUE", "kept: pval.outcome filled, z = 2"),
    (21, "rs17,0.05,0.01,0.02,0.01,1e-8,0.05,0.3,A,G,-5,,,TRUE", "n not > 0 and finite"),
]
KEPT = ["rs1", "rs2", "rs9", "rs10", "rs12", "rs13", "rs16"]
DROPPED = {"se <= 0": 1, BX_ZERO: 1, "p outside [0, 1]": 1, "eaf outside (0, 1)": 1, "invalid allele": 1,
           "effect allele = other allele": 1, EXACT: 1, CONFLICT: 2, "beta not finite": 1, "missing se": 1,
           "n not > 0 and finite": 1}
FLAGGED = {P_FILLED: 2, N_FILLED: 1, UNDERFLOW: 1, EMPTY: 1}


def _table_text(end: str = "\n") -> str:
    return end.join([HEADER, *(text for _, text, _ in ROWS)]) + end


def _check_every_rule(frame: pd.DataFrame) -> None:
    assert frame["SNP"].tolist() == KEPT
    assert frame.attrs["lines"].tolist() == [2, 3, 10, 11, 15, 16, 20]
    assert frame.attrs["rows_read"] == len(ROWS)  # the empty line included (flagged, not dropped)
    assert frame.attrs["dropped"] == DROPPED and frame.attrs["flagged"] == FLAGGED
    rows = frame.set_index("SNP")
    assert rows.loc["rs2", "pval.exposure"] == pytest.approx(5.733031e-07, rel=1e-6)  # R: 2 * pnorm(-5)
    assert rows.loc["rs16", "pval.outcome"] == pytest.approx(0.04550026, rel=1e-6)  # R: 2 * pnorm(-2)
    assert rows.loc["rs9", "samplesize.outcome"] == 1000.0  # 400 cases + 600 controls
    assert rows.loc["rs1", "pval.exposure"] == 1e-8 and rows.loc["rs13", "pval.exposure"] == 0.0
    assert rows["mr_keep"].tolist() == [True, True, True, True, False, True, True]
    assert rows.loc["rs1", "effect_allele.exposure"] == "A" and rows.loc["rs1", "other_allele.exposure"] == "G"


def test_every_rule_on_a_hand_written_table(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(_table_text())
    _check_every_rule(read_harmonised(path))
    table = read_harmonised_table(path)  # what mrkit estimate uses: the same rows, as numpy arrays
    assert table["SNP"].tolist() == KEPT and table["mr_keep"].dtype == bool
    assert table["beta.exposure"].dtype == float and table.attrs["dropped"] == DROPPED


def _layouts(tmp_path):
    text = _table_text()
    quoted = "\n".join(",".join(f'"{c}"' if i % 2 else c for i, c in enumerate(line.split(",")))
                       for line in text.split("\n"))
    yield "crlf.csv", text.replace("\n", "\r\n").encode()
    yield "cr.csv", text.replace("\n", "\r").encode()
    yield "bom.csv", b"\xef\xbb\xbf" + text.encode()
    yield "quoted.csv", quoted.encode()
    yield "tab.tsv", text.replace(",", "\t").encode()
    yield "semicolon.csv", text.replace(",", ";").encode()
    yield "h.csv.gz", gzip.compress(text.encode(), mtime=0)
    yield "no_last_end.csv", text.rstrip("\n").encode()


def test_every_layout_gives_the_same_table(tmp_path):
    for name, data in _layouts(tmp_path):
        path = tmp_path / name
        path.write_bytes(data)
        _check_every_rule(read_harmonised(path))


def test_strict_refuses_at_the_earliest_dropped_row(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(_table_text())
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}, line 4, column 'se.exposure': "
                                         r"se <= 0 \(value 0.0\); without --strict"):
        read_harmonised(path, strict=True)
    lines = _table_text().split("\n")
    path.write_text("\n".join([lines[0], lines[10], lines[11]]) + "\n")  # rs10 twice: the copy is the first problem
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}, line 3, column 'SNP': {re.escape(EXACT)} "
                                         r"\(value 'rs10'\) \(lines 2, 3\)"):
        read_harmonised(path, strict=True)
    assert read_harmonised(path)["SNP"].tolist() == ["rs10"]


def test_short_names_and_pairs(tmp_path):
    """bx/bxse/by/byse; one variant in two exposure-outcome pairs is no repeat; within a pair it is."""
    path = tmp_path / "h.csv"
    path.write_text("SNP,exposure,outcome,bx,bxse,by,byse\n"
                    "rs1,BMI,CHD,0.1,0.01,0.2,0.02\n"
                    "rs1,LDL,CHD,0.3,0.01,0.2,0.02\n"   # another pair: kept
                    "rs2,BMI,CHD,0.1,0.01,0.2,0.02\n"
                    "rs2,BMI,CHD,0.1,0.01,0.25,0.02\n"  # rs2 twice in BMI -> CHD, other by: both dropped
                    "rs3,BMI,CHD,0.2,0.01,0.2,0.02\n")
    frame = read_harmonised(path)
    assert list(zip(frame["SNP"], frame["exposure"])) == [("rs1", "BMI"), ("rs1", "LDL"), ("rs3", "BMI")]
    assert frame.attrs["dropped"] == {CONFLICT: 2}
    pairs = split_pairs(read_harmonised_table(path))
    assert [(p.labels["exposure"], list(p.snp)) for p in pairs] == [("BMI", ["rs1", "rs3"]), ("LDL", ["rs1"])]


@pytest.mark.parametrize("text, line, column, message", [
    ("SNP,bx,bxse,by\nrs1,0.1,0.01,0.2\n", 1, "se.outcome", "missing column(s) 'byse' (or 'se.outcome')"),
    ("SNP,bx,bxse,by,byse,mr_keep\nrs1,0.1,0.01,0.2,0.02,maybe\n", 2, "mr_keep",
     "mr_keep must be TRUE or FALSE, got 'maybe'"),
    ("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.02\nrs2,0.1,abc,0.2,0.02\n", 3, "bxse", "value 'abc' is not a number"),
    ("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2\n", 2, None, "expected 5 fields (as in the header), found 4"),
    ("SNP,bx,bxse,by,byse\n", None, None, "no data rows: the file has a header and nothing else"),
    ("SNP,bx,bxse,by,byse\nrs1,0.1,0,0.2,0.02\nrs2,0,0.01,0.2,0.02\n", 2, "bxse",
     f"no valid row: all 2 rows dropped (1 se <= 0, 1 {BX_ZERO}); the first: se <= 0 (value 0.0)"),
])
def test_refusals_name_file_line_and_column(tmp_path, text, line, column, message):
    path = tmp_path / "h.csv"
    path.write_text(text)
    where = ", ".join([str(path)] + ([f"line {line}"] if line else []) + ([f"column '{column}'"] if column else []))
    with pytest.raises(InputError) as err:
        read_harmonised_table(path)
    assert str(err.value).startswith(f"{where}: {message}")


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
def test_a_bad_row_is_located_whatever_the_line_ends(tmp_path, end):
    """Lines ended by a lone CR: the parsers split there, so must the search for the bad line (it used to see
    one long line and fail with the csv module's own error)."""
    harmonised = tmp_path / "h.csv"
    harmonised.write_bytes(end.join(["SNP,bx,bxse,by,byse", "rs1,0.1,0.01,0.2,0.1", "rs2,0.2,0.01,0.3",
                                     "rs3,0.1,0.01,0.2,0.1"]).encode() + end.encode())
    for read in (read_harmonised, read_harmonised_table):
        with pytest.raises(InputError, match=r"h\.csv, line 3: expected 5 fields \(as in the header\), found 4"):
            read(harmonised)
    generic = tmp_path / "g.tsv"
    generic.write_bytes(end.join(["SNP\tCHR\tBP\tA1\tA2\tBETA\tSE\tP", "rs1\t1\t100\tA\tG\t0.1\t0.01\t1e-9",
                                  "rs2\t1\t200\tA\tG\t0.1\t0.01\t\xe9"]).encode("latin-1") + end.encode())
    with pytest.raises(InputError, match=r"g\.tsv, line 3: not UTF-8 text"):
        read_sumstats(generic, fmt="generic")


# --- random tables: the values written come back, the corruptions are counted by their reason ----------------

#: corruption -> (column changed, text written, reason counted; None: the row is kept)
CORRUPTIONS = {
    "se_zero": ("se.exposure", "0", "se <= 0"), "se_negative": ("se.outcome", "-0.02", "se <= 0"),
    "se_inf": ("se.exposure", "inf", "se not finite"), "beta_missing": ("beta.outcome", "NA", "missing beta"),
    "beta_inf": ("beta.outcome", "-inf", "beta not finite"), "bx_zero": ("beta.exposure", "0", BX_ZERO),
    "p_high": ("pval.exposure", "1.5", "p outside [0, 1]"), "eaf_one": ("eaf.exposure", "1", "eaf outside (0, 1)"),
    "allele_bad": ("effect_allele.exposure", "X", "invalid allele"),
    "alleles_equal": ("other_allele.exposure", "=effect", "effect allele = other allele"),
    "excluded": ("mr_keep", "FALSE", None),
}
COLUMNS = ["SNP", "beta.exposure", "se.exposure", "beta.outcome", "se.outcome", "pval.exposure", "eaf.exposure",
           "effect_allele.exposure", "other_allele.exposure", "mr_keep"]


@st.composite
def tables(draw):
    """Valid rows (distinct ids), some corrupted in one way or written twice, in a random layout."""
    k = draw(st.integers(1, 8))
    rows = []
    for i in range(k):
        effect = draw(st.sampled_from("ACGT"))
        rows.append({"SNP": f"rs{100 + i}",
                     "beta.exposure": draw(st.sampled_from(["0.05", "-0.031", "1e-3", "2.5E-2"])),
                     "se.exposure": draw(st.sampled_from(["0.01", "0.02", " 0.03 "])),
                     "beta.outcome": draw(st.sampled_from(["0.2", "-0.1", "+0.4", "0"])),
                     "se.outcome": draw(st.sampled_from(["0.05", "1e-2"])),
                     "pval.exposure": draw(st.sampled_from(["1e-8", "5e-300", "0.5", "1"])),
                     "eaf.exposure": draw(st.sampled_from(["0.2", "0.75", ""])), "effect_allele.exposure": effect,
                     "other_allele.exposure": draw(st.sampled_from([b for b in "acgt" if b != effect.lower()])),
                     "mr_keep": draw(st.sampled_from(["TRUE", "true", "T"]))})
    bad = draw(st.dictionaries(st.integers(0, k - 1), st.sampled_from(sorted(CORRUPTIONS) + ["twice", "twice_other"]),
                               max_size=3))
    order = draw(st.permutations(COLUMNS))
    layout = {"delimiter": draw(st.sampled_from([",", "\t", ";"])), "quote": draw(st.booleans()),
              "end": draw(st.sampled_from(["\n", "\r\n", "\r"])), "bom": draw(st.booleans()),
              "gzip": draw(st.booleans()), "blank_after": draw(st.sets(st.integers(0, k - 1), max_size=2))}
    return rows, bad, order, layout


def _write(path, rows, bad, order, layout) -> tuple[list[dict], list[int]]:
    """The table as text; returns the rows written (copies appended) and their physical lines."""
    written = []
    for i, row in enumerate(rows):
        row = dict(row)
        if bad.get(i) in CORRUPTIONS:
            column, value, _ = CORRUPTIONS[bad[i]]
            row[column] = row["effect_allele.exposure"].lower() if value == "=effect" else value
        written.append(row)
    for i, c in sorted(bad.items()):
        if c == "twice":
            written.append(dict(written[i]))
        elif c == "twice_other":
            written.append({**written[i], "beta.outcome": "0.123"})
    d = layout["delimiter"]
    cell = (lambda v: f'"{v}"') if layout["quote"] and d != "\t" else (lambda v: v)
    lines, numbers = [d.join(order)], []
    for j, row in enumerate(written):
        lines.append(d.join(cell(row[c]) for c in order))
        numbers.append(len(lines))
        if j in layout["blank_after"]:
            lines.append("")
    data = (layout["end"].join(lines) + layout["end"]).encode()
    data = (b"\xef\xbb\xbf" if layout["bom"] else b"") + data
    path.write_bytes(gzip.compress(data, mtime=0) if layout["gzip"] else data)
    return written, numbers


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=tables())
def test_random_tables_come_back_with_their_values_and_counted_drops(tmp_path_factory, case):
    rows, bad, order, layout = case
    path = tmp_path_factory.mktemp("h") / ("h.csv.gz" if layout["gzip"] else "h.csv")
    written, lines = _write(path, rows, bad, order, layout)
    k = len(rows)
    expected_dropped: dict[str, int] = {}
    keep = []
    for i in range(k):
        c = bad.get(i)
        reason = CORRUPTIONS[c][2] if c in CORRUPTIONS else CONFLICT if c == "twice_other" else None
        if reason is None:
            keep.append(i)
        else:
            expected_dropped[reason] = expected_dropped.get(reason, 0) + (2 if c == "twice_other" else 1)
    copies = [i for i, c in sorted(bad.items()) if c in ("twice", "twice_other")]
    if any(bad[i] == "twice" for i in copies):
        expected_dropped[EXACT] = sum(bad[i] == "twice" for i in copies)
    try:
        frame = read_harmonised(path)
    except InputError as exc:
        assert not keep and "no valid row" in str(exc)
        return
    assert frame["SNP"].tolist() == [written[i]["SNP"] for i in keep]
    assert frame.attrs["lines"].tolist() == [lines[i] for i in keep]
    assert frame.attrs["rows_read"] == len(written) + len(layout["blank_after"])
    assert frame.attrs["dropped"] == expected_dropped
    for column in ("beta.exposure", "se.exposure", "beta.outcome", "se.outcome", "pval.exposure"):
        values = [float(written[i][column]) for i in keep]  # Python's float() reads these texts as pandas does
        np.testing.assert_array_equal(frame[column].to_numpy(), values)
    assert frame["mr_keep"].tolist() == [bad.get(i) != "excluded" for i in keep]
    assert frame["effect_allele.exposure"].tolist() == [written[i]["effect_allele.exposure"] for i in keep]
    flagged = frame.attrs["flagged"]
    assert flagged.get(EMPTY, 0) == len(layout["blank_after"]) and flagged.get(UNDERFLOW, 0) == 0
