"""Every multivariable method refuses a design that does not identify it, with one line naming why.

Two ways to break a design, each on every method (MV-IVW, MV-Egger, MV median, conditional F, Q_A, the
diagnostics, the table and the command line): too few variants for the coefficients, and exposure effects that
are linearly dependent over the variants (triglycerides' effects replaced by twice LDL-c's, or by LDL-c minus
HDL-c). Oracle: the rank of the design by hand (a column that is a combination of others), and the counts of
coefficients each method fits (K, K + 1 with MV-Egger's intercept, a residual degree of freedom for Q_A).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrkit.cli import main
from mrkit.errors import InputError, NotEstimable
from mrkit.methods import multivariable as mvm
from mrkit.methods.mv_design import check_design

NAMES = ["ldl", "hdl", "tg"]


@pytest.fixture(scope="module")
def lipids(validation_dir):
    d = pd.read_csv(validation_dir / "lipids_chd_waterworth2010_28snps.csv")
    bx = d[["ldlc", "hdlc", "trig"]].to_numpy(float)
    bxse = d[["ldlcse", "hdlcse", "trigse"]].to_numpy(float)
    return bx, bxse, d["chdlodds"].to_numpy(float), d["chdloddsse"].to_numpy(float)


def _collinear(lipids, combination="double"):
    bx, bxse, by, byse = lipids
    bx = bx.copy()
    bx[:, 2] = 2.0 * bx[:, 0] if combination == "double" else bx[:, 0] - bx[:, 1]
    return bx, bxse, by, byse


def _frame(bx, bxse, by, byse):
    return pd.DataFrame({"SNP": [f"v{i}" for i in range(by.size)],
                         **{f"bx_{n}": bx[:, i] for i, n in enumerate(NAMES)},
                         **{f"bxse_{n}": bxse[:, i] for i, n in enumerate(NAMES)}, "by": by, "byse": byse})


METHODS = {
    "MV-IVW": (lambda a: mvm.mr_mvivw(*a, exposures=NAMES), 4),
    "MV-Egger": (lambda a: mvm.mr_mvegger(*a, exposures=NAMES), 5),
    "MV median": (lambda a: mvm.mr_mvmedian(*a, n_boot=20, exposures=NAMES), 4),
    "the conditional F": (lambda a: mvm.conditional_f(a[0], a[1], NAMES), 4),
    "Q_A": (lambda a: mvm.q_a(*a, exposures=NAMES), 5),
}


@pytest.mark.parametrize("method", METHODS)
def test_too_few_variants_says_how_many_are_needed(lipids, method):
    run, needed = METHODS[method]
    few = tuple(a[:needed - 1] for a in lipids)
    with pytest.raises(NotEstimable) as err:
        run(few)
    message = str(err.value)
    assert message.startswith(method) and f"needs at least {needed} variants for 3 exposures" in message
    assert f"got {needed - 1}" in message and "\n" not in message
    run(tuple(a[:needed] for a in lipids))  # one more variant: it runs


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("combination,involved", [("double", "ldl and tg"), ("difference", "ldl, hdl and tg")])
def test_collinear_exposures_are_named(lipids, method, combination, involved):
    run, _ = METHODS[method]
    with pytest.raises(NotEstimable) as err:
        run(_collinear(lipids, combination))
    message = str(err.value)
    assert f"the effects of {involved} are collinear over the 28 variants (design rank " in message
    assert "\n" not in message and "LinAlgError" not in message


def test_mv_egger_names_an_exposure_collinear_with_its_intercept(lipids):
    bx, bxse, by, byse = lipids
    bx = bx.copy()
    bx[:, 1] = 0.05 * np.sign(bx[:, 0])  # oriented to ldl, every variant's hdl effect is 0.05: the intercept's column
    with pytest.raises(NotEstimable, match="the effects of the intercept and hdl are collinear"):
        mvm.mr_mvegger(bx, bxse, by, byse, exposures=NAMES)
    mvm.mr_mvivw(bx, bxse, by, byse)  # without an intercept the design is of full rank


def test_an_exposure_without_effects_is_refused_by_name():
    bx = np.column_stack([np.linspace(0.1, 0.5, 6), np.zeros(6)])
    with pytest.raises(NotEstimable, match="hdl has no effect on any of the 6 variants"):
        check_design(bx, ["ldl", "hdl"], method="MV-IVW")


def test_the_table_and_the_diagnostics_refuse_a_collinear_design_in_one_line(lipids):
    frame = _frame(*_collinear(lipids))
    with pytest.raises(NotEstimable, match="multivariable MR: the effects of ldl and tg are collinear"):
        mvm.mv_mr(frame, n_boot=20)
    with pytest.raises(NotEstimable, match="the effects of ldl and tg are collinear"):
        mvm.mv_diagnostics(frame)
    few = _frame(*(a[:3] for a in lipids))  # refused when the input is read (mrkit.methods.mvdata)
    with pytest.raises(InputError, match="3 variants for 3 exposures: multivariable MR needs more variants"):
        mvm.mv_mr(few, n_boot=20)


def test_with_one_residual_degree_of_freedom_q_a_and_mv_egger_are_nan_with_the_reason(lipids):
    table = mvm.mv_mr(_frame(*(a[:4] for a in lipids)), n_boot=20)
    assert table.loc[table["method"] == "mv_ivw", "estimate"].notna().all()
    egger = table[table["method"] == "mv_egger"]
    assert egger["estimate"].isna().all() and egger["note"].str.contains("at least 5 variants").all()
    pleiotropy = table.attrs["pleiotropy"]
    assert np.isnan(pleiotropy["q_a"]) and "Q_A needs at least 5 variants" in pleiotropy["note"]


def test_the_command_line_prints_one_line(lipids, tmp_path, capsys):
    path = tmp_path / "collinear.csv"
    _frame(*_collinear(lipids)).to_csv(path, index=False)
    assert main(["estimate", "--multivariable", str(path), "--n-boot", "20"]) != 0
    err = capsys.readouterr().err.strip()
    assert "the effects of ldl and tg are collinear" in err and len(err.splitlines()) == 1
