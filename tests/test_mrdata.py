"""Input normalisation: every kind of bad input is refused with its column and row named."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.methods.mrdata import as_mrdata, read_harmonised, split_pairs


def frame(**over):
    base = {"SNP": ["rs1", "rs2", "rs3"], "bx": [0.1, -0.2, 0.3], "bxse": [0.01, 0.02, 0.03],
            "by": [0.05, -0.1, 0.2], "byse": [0.02, 0.02, 0.02]}
    base.update(over)
    return pd.DataFrame(base)


def test_short_and_twosamplemr_names_give_the_same_data():
    short = as_mrdata(frame())
    long = as_mrdata(frame().rename(columns={"bx": "beta.exposure", "bxse": "se.exposure",
                                             "by": "beta.outcome", "byse": "se.outcome"}))
    for a, b in zip(short.arrays(), long.arrays()):
        np.testing.assert_array_equal(a, b)
    assert list(short.snp) == ["rs1", "rs2", "rs3"]


@pytest.mark.parametrize("column, values, words", [
    ("bx", [0.1, np.nan, 0.3], "missing value"),
    ("by", [0.1, np.inf, 0.3], "infinite"),
    ("bxse", [0.01, 0.0, 0.03], "> 0"),
    ("byse", [0.02, -1.0, 0.02], "> 0"),
    ("bx", [0.1, 0.0, 0.3], "is 0"),
    ("by", ["0.1", "abc", "0.3"], "not a number"),
])
def test_bad_values_name_column_row_and_snp(column, values, words):
    with pytest.raises(InputError) as err:
        as_mrdata(frame(**{column: values}))
    text = str(err.value)
    assert f"column '{column}'" in text and "row 1" in text and "rs2" in text and words in text


def test_duplicate_snp_is_refused():
    with pytest.raises(InputError, match=r"row 2.*duplicate SNP id, first seen at row 0.*rs1"):
        as_mrdata(frame(SNP=["rs1", "rs2", "rs1"]))


def test_mismatched_lengths_in_a_dict():
    with pytest.raises(InputError, match="column 'by'.*2 values"):
        as_mrdata({"bx": [0.1, 0.2, 0.3], "bxse": [0.1] * 3, "by": [0.1, 0.2], "byse": [0.1] * 3})


def test_missing_column_is_named():
    with pytest.raises(InputError, match="'byse'"):
        as_mrdata(frame().drop(columns="byse"))


def test_mr_keep_excludes_and_counts_and_skips_checks_of_excluded_rows():
    d = as_mrdata(frame(mr_keep=[True, False, True], bx=[0.1, np.nan, 0.3]))
    assert d.k == 2 and d.n_excluded == 1 and list(d.snp) == ["rs1", "rs3"]


def test_pairs_are_split_and_labelled():
    f = pd.concat([frame(exposure="A", outcome="Y"), frame(exposure="B", outcome="Y")])
    pairs = split_pairs(f)
    assert [p.labels["exposure"] for p in pairs] == ["A", "B"]
    with pytest.raises(InputError, match="2 exposure-outcome pairs"):
        as_mrdata(f)


def test_file_errors_name_file_line_and_column(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.1\nrs2,0.1,0.01,NA,0.1\n")
    with pytest.raises(InputError) as err:
        as_mrdata(read_harmonised(path))
    assert str(err.value).startswith(f"{path}, line 3, column 'by'")


def test_canonical_sorts_by_snp_and_orients_exposure_positive():
    d = as_mrdata(frame(SNP=["rs3", "rs1", "rs2"])).canonical()
    assert list(d.snp) == ["rs1", "rs2", "rs3"]
    assert np.all(d.bx > 0)
    np.testing.assert_allclose(d.by / d.bx, np.array([-0.1 / -0.2, 0.2 / 0.3, 0.05 / 0.1]))


@pytest.mark.parametrize("name", ["lipids_chd_ldlc", "bmi_chd"])
def test_csv_read_without_pandas_equals_the_dataframe_path(validation_dir, name):
    path = validation_dir / "harmonised" / f"{name}.csv"
    from_file = as_mrdata(path)  # the csv module
    from_frame = as_mrdata(read_harmonised(path))  # pandas.read_csv
    for a, b in zip(from_file.arrays(), from_frame.arrays()):
        assert np.array_equal(a, b)
    assert list(from_file.snp) == list(from_frame.snp) and from_file.source == from_frame.source


def test_csv_pairs_labels_and_mr_keep_as_pandas_reads_them(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("SNP,beta.exposure,se.exposure,beta.outcome,se.outcome,exposure,outcome,id.exposure,mr_keep\n"
                    "rs1,0.1,0.01,0.05,0.02,LDL,CHD,1,TRUE\n\n"
                    "rs2,-0.2,0.02,-0.1,0.02,LDL,CHD,1,FALSE\n"
                    "rs3,0.3,0.03,0.2,0.02,LDL,CHD,1,TRUE\n"
                    "rs1,0.1,0.01,0.05,0.02,BMI,CHD,2,TRUE\n"
                    "rs4,0.2,0.01,0.07,0.02,BMI,CHD,2,1\n")
    from_file, from_frame = split_pairs(path), split_pairs(read_harmonised(path))
    assert [(p.labels, p.k, p.n_excluded) for p in from_file] == [(p.labels, p.k, p.n_excluded) for p in from_frame]
    assert from_file[0].labels == {"id.exposure": 1, "exposure": "LDL", "outcome": "CHD"}


@pytest.mark.parametrize("row, words", [
    ("rs2,0.1,0.01,NA,0.1", "line 3, column 'by': missing value (NaN) (SNP rs2)"),
    ("rs2,0.1,0.01,abc,0.1", "line 3, column 'by': not a number: 'abc' (SNP rs2)"),
    ("rs2,0.1,0.01,1_0,0.1", "line 3, column 'by': not a number: '1_0' (SNP rs2)"),
    ("rs2,0.1,0.01,0.2,0.1,7", "line 3: not a readable CSV table (expected 5 fields, saw 6)"),
])
def test_csv_errors_name_file_line_and_column(tmp_path, row, words):
    path = tmp_path / "h.csv"
    path.write_text(f"SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.1\n{row}\n")
    with pytest.raises(InputError) as err:
        as_mrdata(path)
    assert str(err.value) == f"{path}, {words}"


def test_csv_quoted_newline_keeps_physical_lines(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text('SNP,bx,bxse,by,byse,note\nrs1,0.1,0.01,0.2,0.1,"two\nlines"\nrs2,0.1,0.01,0.2,-1,x\n')
    with pytest.raises(InputError, match=r"line 4, column 'byse'"):
        as_mrdata(path)
