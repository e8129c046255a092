"""Input normalisation: every kind of bad input is refused with its column and row named."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.gwas.io.harmonised import read_harmonised
from mrkit.methods.mrdata import as_mrdata, split_pairs


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


def test_file_rows_are_dropped_and_counted_or_refused_naming_file_line_and_column(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.1\nrs2,0.1,0.01,NA,0.1\nrs3,0.2,0.01,0.3,0.1\n")
    data = as_mrdata(read_harmonised(path))
    assert list(data.snp) == ["rs1", "rs3"] and data.source == str(path)
    assert read_harmonised(path).attrs["dropped"] == {"missing beta": 1}
    with pytest.raises(InputError) as err:
        read_harmonised(path, strict=True)
    assert str(err.value).startswith(f"{path}, line 3, column 'by': missing beta")
    with pytest.raises(InputError, match="read a harmonised file with"):
        as_mrdata(path)


def test_canonical_sorts_by_snp_and_orients_exposure_positive():
    d = as_mrdata(frame(SNP=["rs3", "rs1", "rs2"])).canonical()
    assert list(d.snp) == ["rs1", "rs2", "rs3"]
    assert np.all(d.bx > 0)
    np.testing.assert_allclose(d.by / d.bx, np.array([-0.1 / -0.2, 0.2 / 0.3, 0.05 / 0.1]))
