"""The harmonised-table reader without pandas (``mrkit estimate``'s) against the reader it replaced.

``oracle_read_harmonised`` below is ``mrkit.gwas.io.harmonised.read_harmonised`` as it was at 38b9adf: pyarrow
parses the file, pandas converts the numbers, and the frame-based checks of :mod:`mrkit.gwas.schema` run.
The csv/numpy reader must give the same table, the same line numbers, drop counts and flags, or the same
refusal with the same message, on random tables with random corruption: numbers, missing values, text,
alleles, ``mr_keep``, duplicates, several pairs, empty lines, quoted fields, CRLF line ends, tab-separated
and gzip files, short and long rows, bytes that are not UTF-8. Known, deliberate differences: the words of
the decompressor inside a truncated-gzip message; a file holding only a header without a line end, which
pyarrow refused with its own words ("Could not skip initial 1 rows") and which is now refused by the rule
for it ("no data rows"); and how an invalid allele with non-ASCII letters is upper-cased in a message
(Python's rules instead of arrow's; the row is dropped either way).
"""
from __future__ import annotations

import gzip
import math
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrkit.errors import InputError, shown
from mrkit.gwas.io import read_sumstats
from mrkit.gwas.io.columnar import scan_filtered, sniff
from mrkit.gwas.io.harmonised import SHORT_NAMES, parse_number, read_harmonised, read_harmonised_table
from mrkit.gwas.rules import EMPTY_LINE
from mrkit.gwas.schema import DropLog, check_rows, normalise_alleles
from mrkit.methods.mrdata import PAIR_COLUMNS, split_pairs

_FIELDS = {"effect_allele": "effect_allele", "other_allele": "other_allele", "eaf": "eaf", "beta": "beta",
           "se": "se", "p": "pval", "n": "samplesize"}
_TRUE = {"true", "t", "1", "yes", "1.0"}
_FALSE = {"false", "f", "0", "no", "0.0"}


def _oracle_columns(header: tuple[str, ...], role: str) -> dict[str, str]:
    """schema field -> the file's column for ``role`` (short names win, as in mrdata)."""
    out = {}
    for field, stem in _FIELDS.items():
        short = SHORT_NAMES[role].get(field)
        if short is not None and short in header:
            out[field] = short
        elif f"{stem}.{role}" in header:
            out[field] = f"{stem}.{role}"
    return out


def _numbers(frame: pd.DataFrame, column: str, lines: np.ndarray, path: Path) -> np.ndarray:
    """A text column as floats (missing values NaN); text that is not a number is refused."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    text = raw.notna().to_numpy() & np.isnan(values) & ~raw.astype("str").str.strip().str.lower().isin(
        ["nan", "na", "inf", "-inf"]).to_numpy()
    if text.any():
        i = int(np.flatnonzero(text)[0])
        raise InputError(f"value {shown(raw.iloc[i])} is not a number", file=str(path), line=int(lines[i]),
                         column=column)
    return values


def _keep_flags(frame: pd.DataFrame, lines: np.ndarray, path: Path) -> np.ndarray:
    if "mr_keep" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    text = frame["mr_keep"].astype("str").str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"mr_keep must be TRUE or FALSE, got {shown(frame['mr_keep'].iloc[i])}", file=str(path),
                         line=int(lines[i]), column="mr_keep")
    return np.array(text.isin(_TRUE).to_numpy(), dtype=bool)


def oracle_read_harmonised(path: str | Path, *, strict: bool = False) -> pd.DataFrame:
    """Read and check a harmonised table for :func:`mrkit.methods.mrdata.split_pairs`.

    Returns
    -------
    DataFrame
        The file's columns (numbers as floats) without the dropped rows; ``attrs``: ``source``,
        ``lines`` (physical line of each row, for later messages), ``rows_read``, ``dropped``
        ({reason: count}) and ``flagged`` ({reason: count}).

    Raises
    ------
    InputError
        Naming file, line and column; see the module docstring for what is refused.
    """
    path = Path(path)
    layout = sniff(path)
    header = layout.header
    roles = {role: _oracle_columns(header, role) for role in ("exposure", "outcome")}
    missing = [(SHORT_NAMES[r][f], f"{f}.{r}") for r in roles for f in ("beta", "se") if f not in roles[r]]
    if missing:
        names = ", ".join(f"'{short}' (or '{tsmr}')" for short, tsmr in missing)
        raise InputError(f"missing column(s) {names}; the file has {list(header)}", file=str(path),
                         line=layout.header_line, column=missing[0][1])
    table, rows_read = scan_filtered(layout, {name: pa.string() for name in header})
    frame = table.to_pandas()
    lines = frame.pop("_line").to_numpy(dtype=np.int64)
    log = DropLog(str(path), strict, unit="line")
    if rows_read == 0:
        log.refuse_if_empty(0, 0)
    numeric = {col for r in roles.values() for f, col in r.items() if f not in ("effect_allele", "other_allele")}
    for column in (c for c in header if c in numeric or c.startswith(("ncase.", "ncontrol.", "pos.", "proxy_r2"))):
        frame[column] = _numbers(frame, column, lines, path)
    blank = frame.isna().all(axis=1).to_numpy()
    log.flag(EMPTY_LINE, blank)  # no data in it: skipped, not a dropped row (strict does not refuse)
    not_empty = ~blank
    if "mr_keep" in frame.columns:
        frame.loc[blank, "mr_keep"] = "TRUE"
    used = _keep_flags(frame, lines, path)  # rows with mr_keep FALSE leave anyway: not checked
    if "mr_keep" in frame.columns:
        frame["mr_keep"] = used
    excluded = ~used & not_empty
    snp_column = "SNP" if "SNP" in header else "snp" if "snp" in header else None
    ids = frame[snp_column].to_numpy(dtype=object) if snp_column else np.full(len(frame), None, dtype=object)

    used &= not_empty
    rows = np.flatnonzero(used)
    valid = not_empty.copy()
    for columns in roles.values():
        fields = pd.DataFrame({field: (normalise_alleles(frame[col]) if field.endswith("allele") else frame[col])
                               for field, col in columns.items()}).iloc[rows]
        valid[rows] &= check_rows(fields, columns, log, lines[rows], ids=ids[rows], required=("beta", "se"))
    bx = frame[roles["exposure"]["beta"]].to_numpy(dtype=float)
    valid &= log.drop("beta.exposure = 0 (the ratio by/bx is undefined)", used & valid & (bx == 0), lines,
                      roles["exposure"]["beta"], ids=ids)
    if snp_column:
        valid &= _drop_duplicates(frame, used & valid, lines, snp_column, log)
    log.raise_first()
    log.refuse_if_empty(rows_read, int((valid & used).sum()) + int(excluded.sum()))
    out = frame.loc[valid].reset_index(drop=True)
    out.attrs.update(source=str(path), lines=lines[valid], rows_read=rows_read, dropped=dict(log.counts),
                     flagged=dict(log.flags))
    return out


def _drop_duplicates(frame: pd.DataFrame, candidates: np.ndarray, lines: np.ndarray, snp_column: str,
                     log: DropLog) -> np.ndarray:
    """Every copy of a variant that appears twice in one exposure-outcome pair (among rows used)."""
    pair = [c for c in PAIR_COLUMNS if c in frame.columns]
    keys = frame[pair + [snp_column]].astype("str").where(frame[pair + [snp_column]].notna(), "")
    dup = np.zeros(len(frame), dtype=bool)
    used = keys.loc[candidates]
    dup[np.flatnonzero(candidates)] = used.duplicated(keep=False).to_numpy()
    detail = ""
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        same = dup & (frame[snp_column].to_numpy(dtype=object) == frame[snp_column].iloc[first])
        detail = f" (lines {', '.join(map(str, lines[same]))})"
    return log.drop("duplicated variant", dup, lines, snp_column, frame[snp_column], detail)


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
    rng = random.Random(4)
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
    got = read_harmonised_table(path)["by"]
    expected = oracle_read_harmonised(path)["by"].to_numpy()
    assert [math.copysign(1, v) for v in got] == [math.copysign(1, v) for v in expected]


# --- whole tables: the same outcome as the reader it replaced ---------------------------------------------

NUMBERS = ["0.05", "-0.031", "1e-3", "2.5E-2", " 0.2 ", "+0.4", "-0", "0", "NA", "", "nan", "NaN", "na", "inf",
           "-inf", "Infinity", "1e400", "1e-400", "abc", "1_0", "0x1", "1,5", "\u0130nf", "NAN", "-nan", ".5"]
SES = ["0.01", "0.02", "0.1", "0", "-0.01", "NA", "inf", "1e-200", "1e200", " 0.03"]
PS = ["1e-8", "0.5", "0", "1", "1.5", "-0.1", "NA", "5e-300", "1e-320"]
ALLELES = ["A", "C", "G", "T", "AT", "a", " g", "N", "", "NA", "D", "I", "X", "<DEL>", "GA "]
KEEPS = ["TRUE", "FALSE", "T", "F", "true", "yes", "no", "1", "0", "1.0", " TRUE ", "maybe", "", "NA"]
SNPS = ["rs1", "rs2", "rs3", "rs4", "rs5", "rs6", "", "NA", "rs1 ", "1", "1.0"]


@st.composite
def harmonised_files(draw):
    """A random harmonised table as text: TwoSampleMR or short names, optional columns, several pairs,
    random values from lists that mix good, bad and missing ones, and random structural damage."""
    tsmr = draw(st.booleans())
    names = (["beta.exposure", "se.exposure", "beta.outcome", "se.outcome"] if tsmr else ["bx", "bxse", "by", "byse"])
    optional = draw(st.lists(st.sampled_from(["SNP", "mr_keep", "pval.exposure", "pval.outcome",
                                              "samplesize.exposure", "eaf.exposure", "effect_allele.exposure",
                                              "other_allele.exposure", "exposure", "outcome", "id.exposure",
                                              "ncase.outcome", "units.exposure"]), unique=True, max_size=8))
    if draw(st.integers(0, 9)) == 0:  # a required column missing
        names = names[:-1]
    header = draw(st.permutations(names + optional))
    k = draw(st.integers(0, 9))
    rows = []
    for _ in range(k):
        row = []
        for name in header:
            if name in ("beta.exposure", "bx", "beta.outcome", "by", "eaf.exposure", "ncase.outcome",
                        "samplesize.exposure"):
                pool = NUMBERS if draw(st.integers(0, 2)) == 0 else ["0.05", "-0.08", "0.12", "0.3", "1e-3"]
            elif name in ("se.exposure", "bxse", "se.outcome", "byse"):
                pool = SES if draw(st.integers(0, 2)) == 0 else ["0.01", "0.02"]
            elif name.startswith("pval."):
                pool = PS
            elif name.endswith("allele.exposure"):
                pool = ALLELES
            elif name == "mr_keep":
                pool = KEEPS if draw(st.integers(0, 3)) == 0 else ["TRUE", "FALSE"]
            elif name == "SNP":
                pool = SNPS
            elif name in ("exposure", "outcome", "id.exposure"):
                pool = ["BMI", "LDL", "1", "2.0", ""]
            else:
                pool = ["SD", "log odds", ""]
            row.append(draw(st.sampled_from(pool)))
        rows.append(row)
    delimiter = draw(st.sampled_from([",", ",", "\t", ";"]))
    quote = delimiter != "\t" and draw(st.booleans())
    lines = [delimiter.join(header)]
    for row in rows:
        cells = [f'"{c}"' if quote and draw(st.booleans()) else c for c in row]
        damage = draw(st.integers(0, 30))
        if damage == 0:
            cells = cells[:-1]  # a short row
        elif damage == 1:
            cells = cells + ["9"]  # a long row
        elif damage == 2 and delimiter != "\t":
            cells[0] = f'"a{delimiter}b"'  # the delimiter inside quotes
        elif damage == 3 and delimiter != "\t":
            cells[0] = '"line\nbreak"'
        elif damage == 4:
            lines.append("")  # an empty line before the row
        elif damage == 5:
            lines.append(" ")  # a line of spaces: one field
        elif damage == 6:
            cells[0] = cells[0] + "\udce9"  # a byte that is not UTF-8 (written as surrogate escape)
        lines.append(delimiter.join(cells))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(lines) + (end if draw(st.integers(0, 4)) else "") + ("" if draw(st.integers(0, 5)) else end)
    data = text.encode("utf-8", errors="surrogateescape")
    if draw(st.integers(0, 6)) == 0:
        data = b"\xef\xbb\xbf" + data  # a byte-order mark
    compressed = draw(st.integers(0, 5)) == 0
    return (gzip.compress(data) if compressed else data), compressed, draw(st.booleans())


def outcome(read, path, strict):
    try:
        return read(path, strict=strict)
    except InputError as exc:
        return re.sub(r"truncated or corrupt gzip \(.*\) after", "truncated or corrupt gzip (...) after", str(exc))


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                                                                                   HealthCheck.function_scoped_fixture])
@given(case=harmonised_files())
def test_the_reader_without_pandas_gives_what_the_pandas_reader_gave(tmp_path_factory, case):
    data, compressed, strict = case
    path = tmp_path_factory.mktemp("h") / ("h.csv.gz" if compressed else "h.csv")
    path.write_bytes(data)
    expected = outcome(oracle_read_harmonised, path, strict)
    got = outcome(read_harmonised, path, strict)
    if isinstance(expected, str):
        if "Could not skip initial 1 rows" in expected:  # pyarrow on a header without a line end: the rule
            expected = f"{path}: no data rows: the file has a header and nothing else"  # ("no data rows")
        assert got == expected
        return
    assert not isinstance(got, str), got
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs.keys() == expected.attrs.keys()
    for key in expected.attrs:
        np.testing.assert_array_equal(got.attrs[key], expected.attrs[key])
    table = read_harmonised_table(path, strict=strict)  # what mrkit estimate uses: the same pairs
    try:
        pairs = split_pairs(expected)
    except InputError as exc:
        with pytest.raises(InputError, match=re.escape(str(exc))):
            split_pairs(table)
        return
    for mine, theirs in zip(split_pairs(table), pairs, strict=True):
        assert (mine.labels, mine.n_excluded, mine.source) == (theirs.labels, theirs.n_excluded, theirs.source)
        assert np.array_equal(mine.snp, theirs.snp)
        assert all(np.array_equal(a, b) for a, b in zip(mine.arrays(), theirs.arrays()))


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
def test_a_bad_row_is_located_whatever_the_line_ends(tmp_path, end):
    """Lines ended by a lone CR: the parsers split there, so must the search for the bad line (it used to see
    one long line and fail with the csv module's own error)."""
    harmonised = tmp_path / "h.csv"
    harmonised.write_bytes(end.join(["SNP,bx,bxse,by,byse", "rs1,0.1,0.01,0.2,0.1", "rs2,0.2,0.01,0.3",
                                     "rs3,0.1,0.01,0.2,0.1"]).encode() + end.encode())
    for read in (read_harmonised, read_harmonised_table, oracle_read_harmonised):
        with pytest.raises(InputError, match=r"h\.csv, line 3: expected 5 fields \(as in the header\), found 4"):
            read(harmonised)
    generic = tmp_path / "g.tsv"
    generic.write_bytes(end.join(["SNP\tCHR\tBP\tA1\tA2\tBETA\tSE\tP", "rs1\t1\t100\tA\tG\t0.1\t0.01\t1e-9",
                                  "rs2\t1\t200\tA\tG\t0.1\t0.01\t\xe9"]).encode("latin-1") + end.encode())
    with pytest.raises(InputError, match=r"g\.tsv, line 3: not UTF-8 text"):
        read_sumstats(generic, fmt="generic")
