"""``mrkit plot scatter|forest|funnel|loo``: valid PNG/SVG/PDF files whose drawn numbers are R's.

Golden numbers: TwoSampleMR 0.7.9's ``mr_singlesnp``, ``mr_leaveoneout``, ``mr()`` IVW/MR-Egger and
``mr_pleiotropy_test`` on the same data (``../shared/validation/expected/tsmr_outputs/``, MANIFEST section
"TwoSampleMR-style outputs"). The figure's numbers are read back from the CSV ``--data`` writes (the data the
book's plot function attached to the figure) and from the figure's own lines.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import matplotlib
import pandas as pd
import pytest
from conftest import tsmr_outputs_case

import mrkit.paper.plots as plots
from mrkit.cli import main

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def lipids(validation_dir, tmp_path_factory):
    return tsmr_outputs_case(validation_dir, "lipids_chd_ldlc", tmp_path_factory.mktemp("plot"))


@pytest.fixture()
def drawn(monkeypatch):
    """The figures ``mrkit plot`` draws, kept open for the test (the command closes its own reference only)."""
    figures = []
    real = plots.mr_figure

    def keep(*args, **kwargs):
        fig = real(*args, **kwargs)
        figures.append(fig)
        return fig

    monkeypatch.setattr(plots, "mr_figure", keep)
    return figures


def is_png(path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def is_svg(path) -> bool:
    return ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def is_pdf(path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


def close(a, b) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-6)


def plot(kind, data_csv, out, capsys, *extra) -> pd.DataFrame:
    argv = ["plot", kind, str(data_csv), "-o", str(out), "--data", str(out.with_suffix(".csv")), "--exposure",
            "LDL-c", "--exposure-units", "SD", "--outcome", "CHD", "--outcome-units", "log odds", "--presso-n", "200",
            "--seed", "1", *extra]
    assert main(argv) == 0
    assert f"{out}: {kind} plot of LDL-c -> CHD, 28 SNPs" in capsys.readouterr().out
    return pd.read_csv(out.with_suffix(".csv"))


def test_forest_draws_r_wald_ratios_and_summaries(lipids, tmp_path, capsys, drawn):
    r, path = lipids
    out = tmp_path / "forest.png"
    data = plot("forest", path, out, capsys)
    assert is_png(out)
    want = {row["SNP"]: row for row in r["mr_singlesnp"]["rows"]}
    variants = data[data["kind"] == "variant"]
    assert len(variants) == 28 and list(variants["estimate"]) == sorted(variants["estimate"], reverse=True)
    for _, row in variants.iterrows():
        assert close(row["estimate"], want[row["id"]]["b"]) and close(row["se"], want[row["id"]]["se"])
    summary = data[data["kind"] == "summary"].set_index("id")
    assert list(summary.index) == ["ivw", "egger", "weighted_median"]  # the book's summary rows
    assert close(summary.loc["ivw", "estimate"], want["All - Inverse variance weighted"]["b"])
    assert close(summary.loc["egger", "estimate"], want["All - MR Egger"]["b"])
    (fig,) = drawn
    assert fig.axes[0].get_xlabel() == "causal estimate (log odds of CHD per unit LDL-c)"


def test_loo_draws_r_leave_one_out(lipids, tmp_path, capsys):
    r, path = lipids
    out = tmp_path / "loo.svg"
    data = plot("loo", path, out, capsys)
    assert is_svg(out)
    want = {row["SNP"]: row["b"] for row in r["mr_leaveoneout"]["rows"]}
    assert len(data) == 29
    for _, row in data.iterrows():
        assert close(row["estimate"], want["All" if row["kind"] == "summary" else row["id"]])


def test_funnel_draws_wald_ratios_against_precision(lipids, tmp_path, capsys):
    r, path = lipids
    out = tmp_path / "funnel.pdf"
    data = plot("funnel", path, out, capsys)
    assert is_pdf(out)
    want = {row["SNP"]: row for row in r["mr_singlesnp"]["rows"]}
    assert len(data) == 28
    for _, row in data.iterrows():
        assert close(row["estimate"], want[row["snp"]]["b"]) and close(row["precision"], 1 / want[row["snp"]]["se"])


def test_scatter_lines_have_r_slopes_and_the_egger_intercept(lipids, tmp_path, capsys, drawn):
    r, path = lipids
    out = tmp_path / "scatter.png"
    data = plot("scatter", path, out, capsys)
    assert is_png(out)
    assert list(data["SNP"]) == r["input"]["SNP"] and data["beta.outcome"].tolist() == [float(v) for v in
                                                                                          r["input"]["by"]]
    (fig,) = drawn
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    want = {row["method"]: row["b"] for row in r["generate_odds_ratios"]["rows"]}
    for label in ("Inverse variance weighted", "MR Egger", "Weighted median"):
        (x0, x1), (y0, y1) = lines[label].get_xdata(), lines[label].get_ydata()
        assert close((y1 - y0) / (x1 - x0), want[label]), label
    (x0, _), (y0, _) = lines["MR Egger"].get_xdata(), lines["MR Egger"].get_ydata()
    assert x0 == 0 and close(y0, r["mr_pleiotropy_test"]["egger_intercept"])
    assert ax.get_xlabel() == "SNP effect on LDL-c (SD) (per effect allele, oriented positive)"
    assert ax.get_ylabel() == "SNP effect on CHD (log odds)"
    assert data["presso_outlier"].sum() >= 1  # the book marks MR-PRESSO's outliers (v12, v14 on these data)


def test_bad_output_name_and_two_pairs_are_refused_in_one_line(lipids, tmp_path, capsys):
    _, path = lipids
    assert main(["plot", "scatter", str(path), "-o", str(tmp_path / "x.jpg")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ending in .png, .svg or .pdf" in err
    two = pd.read_csv(path)
    two = pd.concat([two.assign(exposure="a"), two.assign(exposure="b")])
    two_path = tmp_path / "two.csv"
    two.to_csv(two_path, index=False)
    assert main(["plot", "loo", str(two_path), "-o", str(tmp_path / "x.png")]) == 2
    assert "holds 2 exposure-outcome pairs" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_a_dropped_row_is_counted_and_the_rest_is_drawn(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.1\nrs2,0.1,0.01,0.2,inf\nrs3,0.2,0.01,0.2,0.1\n"
                   "rs4,0.3,0.01,0.25,0.1\n")
    out = tmp_path / "f.png"
    assert main(["plot", "funnel", str(bad), "-o", str(out), "--data", str(tmp_path / "f.csv")]) == 0
    printed = capsys.readouterr().out
    assert f"{bad}: dropped 1 row(s): se not finite" in printed and "3 SNPs" in printed
    assert is_png(out) and sorted(pd.read_csv(tmp_path / "f.csv")["snp"]) == ["rs1", "rs3", "rs4"]
