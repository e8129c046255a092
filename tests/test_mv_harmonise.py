"""Multivariable harmonisation (mrkit.gwas.multivariable), TwoSampleMR mv_extract_exposures / mv_harmonise_data.

Hand-made summary statistics where the right answer is known: a variant coded on the other allele in the
second exposure must come back negated; a variant missing from one exposure or incompatible leaves and is
counted; the union keeps each exposure's instruments; the outcome is aligned to the first exposure.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrkit.gwas.multivariable import mv_extract_exposures, mv_harmonise
from mrkit.methods.mvdata import as_mvdata


def _gwas(rows):
    return pd.DataFrame(rows, columns=["snp", "effect_allele", "other_allele", "eaf", "beta", "se", "p"])


@pytest.fixture()
def data():
    a = _gwas([("rs1", "A", "G", 0.3, 0.10, 0.01, 1e-20), ("rs2", "C", "T", 0.4, 0.02, 0.01, 0.05),
               ("rs3", "A", "C", 0.2, 0.00, 0.01, 0.9), ("rs4", "G", "T", 0.1, 0.05, 0.01, 1e-9)])
    b = _gwas([("rs1", "A", "G", 0.3, 0.01, 0.01, 0.3), ("rs2", "T", "C", 0.6, -0.08, 0.01, 1e-15),  # swapped
               ("rs3", "A", "C", 0.2, 0.07, 0.01, 1e-12), ("rs4", "G", "A", 0.1, 0.03, 0.01, 0.01)])  # incompatible
    y = _gwas([("rs1", "G", "A", 0.7, -0.05, 0.02, 0.01), ("rs2", "C", "T", 0.4, 0.01, 0.02, 0.6),
               ("rs3", "A", "C", 0.2, 0.02, 0.02, 0.3)])
    return a, b, y


def test_union_alignment_and_log(data):
    a, b, y = data
    e = mv_extract_exposures({"A": a, "B": b}, None)
    log = e.attrs["log"]
    assert log["instruments"] == {"A": 2, "B": 2} and log["union"] == 4
    assert log["harmonisation_removed"] == {"B": 1} and log["in_every_exposure"] == 3
    rs2 = e[(e["SNP"] == "rs2") & (e["exposure"] == "B")].iloc[0]
    assert rs2["beta.exposure"] == pytest.approx(0.08) and rs2["effect_allele.exposure"] == "C"
    assert set(e["SNP"]) == {"rs1", "rs2", "rs3"}
    w = mv_harmonise(e, y, outcome_name="Y")
    assert list(w["SNP"]) == ["rs1", "rs2", "rs3"] and w.attrs["log"]["kept"] == 3
    assert w.loc[w["SNP"] == "rs1", "by"].item() == pytest.approx(0.05)  # outcome coded on the other allele
    mv = as_mvdata(w)
    assert mv.exposures == ("A", "B") and mv.outcome == "Y"
    np.testing.assert_allclose(mv.bx[:, 1], [0.01, 0.08, 0.07])


def test_missing_outcome_variant_leaves(data):
    a, b, y = data
    w = mv_harmonise(mv_extract_exposures({"A": a, "B": b}, None), y.iloc[:2])
    assert list(w["SNP"]) == ["rs1", "rs2"]
    assert w.attrs["log"]["outcome"]["absent_from_outcome"] == 1


def test_one_exposure_is_refused(data):
    from mrkit.errors import InputError
    with pytest.raises(InputError, match="at least two exposures"):
        mv_extract_exposures({"A": data[0]}, None)
