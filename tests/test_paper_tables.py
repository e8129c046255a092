"""Tables read right (text left, numbers right, common decimals per column, p-values by the journal
convention) and every table and figure can write its data as a CSV beside the page, linked from the caption."""
from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mrkit.paper import downloads, report
from mrkit.paper.direction import Trait
from mrkit.paper.tables import Table, breakable, column_decimals, column_format, format_p, is_p_column, styled


def test_p_values_follow_the_journal_convention():
    assert format_p(0.0341) == "0.034"
    assert format_p(1.0) == "1.000"
    assert format_p(0.001) == "0.001"
    assert format_p(3.213e-5) == "3.2×10⁻⁵"
    assert format_p(2.6e-176) == "2.6×10⁻¹⁷⁶"
    assert format_p(np.nan) == "–" and format_p(None) == "–"
    assert all(is_p_column(c) for c in ("p", "P", "p Bonferroni", "p FDR", "p_tsmr", "steiger pval", "p-value"))
    assert not any(is_p_column(c) for c in ("pos", "presso", "SNPs", "planted exp(β)", "power"))


def test_decimals_are_shared_by_a_column():
    # median |v| = 0.234: three significant digits there need 3 decimals (0.234); by hand
    assert column_decimals(pd.Series([0.0123, 0.234, 1.5])) == 3
    assert column_decimals(pd.Series([72.98, 71.2, 45.1])) == 1
    assert column_decimals(pd.Series([3.0, 40.0, 12.0])) == 0  # whole numbers
    assert column_decimals(pd.Series([0.0025, 0.0031]), precision=4) == 6
    fmt, align = column_format(pd.Series([0.0123, 0.234, 1.5, -0.25]), "β")
    cells = [fmt(v) for v in (0.0123, 0.234, 1.5, -0.25)]
    assert cells == ["0.012", "0.234", "1.500", "-0.250"] and align == "right"
    assert {len(c.split(".")[1]) for c in cells} == {3}


def test_a_value_that_would_round_away_is_written_in_scientific_notation():
    fmt, _ = column_format(pd.Series([72.98, 0.907, -0.009, 0.000588]), "value")
    assert fmt(72.98) == "72.980" and fmt(0.907) == "0.907"
    assert fmt(0.000588) == "5.88×10⁻⁴" and fmt(-0.009) == "-9.00×10⁻³"
    assert fmt(0.0) == "0.000" and fmt(-0.0) == "0.000"
    fmt, _ = column_format(pd.Series([1500.2, 250.7, 0.54]), "F")  # large numbers: no decimals, no 5.4×10⁻¹
    assert [fmt(v) for v in (1500.2, 250.7, 0.54)] == ["1,500", "251", "1"]


def test_a_small_value_among_large_ones_is_not_rounded_to_zero():
    """The diagnostics of ``mrkit report`` on the lipids example (LDL-c -> CHD, 28 SNPs): Q 99.53 and 97.40, the
    MR-Egger intercept -0.01146, I²_GX 0.929, MR-PRESSO's RSS 102.72 in one column (1 decimal at the median). The
    intercept was shown as "-0.0"; a value that would round to 0 is written in scientific notation instead."""
    values = [99.53042554849876, 97.39750507569262, -0.011460665651289594, 0.92873805320982, 102.71578972529463]
    fmt, _ = column_format(pd.Series(values), "value")
    assert [fmt(v) for v in values] == ["99.5", "97.4", "-1.15×10⁻²", "0.9", "102.7"]
    fmt, _ = column_format(pd.Series([1500.2, 250.7, 0.4]), "F")
    assert [fmt(v) for v in (1500.2, 250.7, 0.4, 0.0)] == ["1,500", "251", "4.00×10⁻¹", "0"]


def test_text_left_numbers_and_numeric_text_right():
    df = pd.DataFrame({"trait": ["Insomnia", "Low back pain"], "N": [336_965, 177_860],
                       "cell": ["0.012 (0.003)", "–"], "ok": [True, False], "p": [0.5, 1e-9]})
    aligns = {c: column_format(df[c], c)[1] for c in df}
    assert aligns == {"trait": "left", "N": "right", "cell": "right", "ok": "left", "p": "right"}
    html = styled(df).to_html()
    assert re.search(r"\.col0 \{\s*text-align: left;", html) and re.search(r"\.col1 \{\s*text-align: right;", html)
    assert "336,965" in html and "1.0×10⁻⁹" in html and ">yes<" in html  # p: 2 significant digits
    assert "&lt;0.001" in styled(pd.DataFrame({"note": ["<0.001 here"]})).to_html()


def test_words_are_never_split_long_tokens_get_break_opportunities():
    assert breakable("Daytime sleepiness (UK Biobank)") == "Daytime sleepiness (UK Biobank)"
    assert breakable("finn-b-M13_LOWBACKPAIN") == "finn-<wbr>b-<wbr>M13_<wbr>LOWBACKPAIN"
    assert breakable("MendelianRandomization") == "Mendelian<wbr>Randomization"
    assert breakable("sleep_duration") == "sleep_<wbr>duration" and breakable("sleepiness") == "sleepiness"
    sha = "3f1c" * 16  # 64 hex characters: a break every 20
    assert breakable(sha).split("<wbr>") == [sha[:20], sha[20:40], sha[40:60], sha[60:]]
    assert breakable("a<b_" + "x" * 20) == "a&lt;b_<wbr>" + "x" * 20
    assert breakable("1.954 (1.119–3.411)") == "1.954 (1.119–3.411)"  # numbers stay whole
    assert breakable("15:98911792:C:T_and_more") == "15:98911792:<wbr>C:<wbr>T_<wbr>and_<wbr>more"


def test_an_estimate_and_its_limits_share_decimals():
    df = pd.DataFrame({"OR": [1.5887, 0.8226], "low": [1.2295, 0.6718], "high": [2.0531, 1.0072]})
    alone = styled(df, 4).to_html()
    assert ">2.053<" in alone and ">1.2295<" in alone  # each column its own decimals (median 1.5 vs 0.95)
    together = styled(df, 4, same_decimals=[["OR", "low", "high"]]).to_html()
    assert all(f">{v}<" in together for v in ("1.589", "1.230", "2.053", "0.823", "0.672", "1.007"))


def test_table_puts_the_caption_above_escaped_with_notes_below():
    t = report.table(pd.DataFrame({"a": [1.0, 2.5]}), "Share with p < 0.05", notes=["one <note>"])
    html = t._repr_html_()
    assert html.index("mrkit-caption") < html.index("<table")
    assert "p &lt; 0.05" in html and "one &lt;note&gt;" in html
    assert html.index("<table") < html.index("mrkit-table-note")


def test_estimates_table_keeps_what_a_reader_needs_and_folds_the_conventions():
    results = pd.DataFrame({
        "method": ["ivw", "egger", "ml"], "estimate": [0.658, 1.091, 0.678], "se": [0.158, 0.470, 0.119],
        "ci_lower": [0.348, 0.141, 0.445], "ci_upper": [0.969, 2.041, 0.911], "p": [3.2e-5, 0.025, 1.2e-8],
        "nsnp": [41, 41, 41], "se_model": ["random_floored", "random_floored", "hessian"],
        "distribution": ["normal", "t(39)", "normal"], "note": ["", "", "Nelder-Mead reached maxit"]})
    insomnia, lbp = Trait("insomnia", "Insomnia", "score 1-3"), Trait("lbp", "Low back pain", "log odds", True)
    t = report.estimates_table(SimpleNamespace(estimates=results, exposure=insomnia, outcome=lbp))
    assert list(t.data.columns) == ["method", "SNPs", "OR", "95% CI", "p"]
    html = t._repr_html_()
    # OR = exp(0.658) = 1.931 and its CI exp(0.348) to exp(0.969) = 1.416 to 2.635, to common decimals
    assert "1.931" in html and "1.416 to 2.635" in html
    assert "Maximum likelihood: Nelder-Mead reached maxit" in html
    details = html[html.index("<details"):]
    assert "SE model" in details and "random_<wbr>floored" in details and "t(39)" in details
    assert ">SE model</th>" in details and ">SE model</th>" not in html[:html.index("<details")]
    continuous = report.estimates_table(SimpleNamespace(estimates=results, exposure=lbp, outcome=insomnia))
    assert list(continuous.data.columns) == ["method", "SNPs", "β", "95% CI", "p"]


def test_save_csv_writes_beside_the_page_and_links_it(tmp_path, monkeypatch):
    target = downloads.Target(tmp_path / "mr-x", "downloads/mr-x")
    frame = pd.DataFrame({"snp": ["1:2:A:G"], "estimate": [0.123456789012345]})
    link = downloads.save_csv(frame, "Forest single SNP", target=target)
    assert link.filename == "forest-single-snp.csv" and link.href == "downloads/mr-x/forest-single-snp.csv"
    back = pd.read_csv(tmp_path / "mr-x" / "forest-single-snp.csv")
    assert back["estimate"].iloc[0] == frame["estimate"].iloc[0]  # full precision
    assert 'href="downloads/mr-x/forest-single-snp.csv"' in link._repr_html_()
    assert not list((tmp_path / "mr-x").glob(".*"))  # no temporary file left
    # automatic names do not overwrite each other
    first = downloads.save_csv(frame, "table", target=target, unique=True)
    second = downloads.save_csv(frame, "table", target=target, unique=True)
    assert first.filename != second.filename


def test_outside_a_book_build_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(downloads.DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    link = downloads.save_csv(pd.DataFrame({"a": [1]}), "x")
    assert not link and link._repr_html_() == "" and not list(tmp_path.iterdir())


def test_report_table_writes_its_data_in_a_book_build(tmp_path, monkeypatch):
    monkeypatch.setenv(downloads.DIR_ENV, str(tmp_path))
    monkeypatch.setenv(downloads.URL_ENV, "downloads/page")
    shown = pd.DataFrame({"trait": ["Insomnia"], "OR": [1.9317]})
    full = shown.assign(se=[0.158])
    t = report.table(shown, "Results of the study", csv="results", data=full)
    assert isinstance(t, Table)
    assert pd.read_csv(tmp_path / "results.csv").columns.tolist() == ["trait", "OR", "se"]
    assert 'href="downloads/page/results.csv"' in t._repr_html_()
    auto = report.table(shown, "Harmonisation of Insomnia instruments with LBP: counts")
    assert auto.link.filename == "harmonisation-of-insomnia-instruments-with-lbp.csv"


def test_figure_csv_needs_a_figure_with_data(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    with pytest.raises(ValueError, match="carries no data"):
        downloads.figure_csv(fig, "nothing", target=downloads.Target(tmp_path, "d"))
    plt.close(fig)


def test_presso_global_p_of_zero_is_shown_as_below_one_over_n():
    """MR-PRESSO's empirical p is the share of n simulated RSS above the observed one; none above means
    p < 1/n, which R's MR-PRESSO prints as "<1/n" (mr_presso, GlobalTest$Pvalue). Never "0"."""
    het = pd.DataFrame({"method": ["ivw"], "q": [40.0], "df": [20], "p": [0.005]})
    pleio = SimpleNamespace(intercept=0.01, p=0.4, i2gx=0.95)
    for p, shown in ((0.0, "< 0.00033"), (0.0123, "0.012")):
        presso = SimpleNamespace(global_rss=55.0, global_p=p, n_distributions=3000)
        result = SimpleNamespace(heterogeneity=het, pleiotropy=pleio, presso=presso, steiger=None)
        table = report.diagnostics_table(result)
        row = table[table["diagnostic"] == "MR-PRESSO global RSS"].iloc[0]
        assert format_p(row["p"]) == shown


def test_i2gx_keeps_its_digits_beside_a_large_q():
    """The diagnostics table's value column holds Cochran's Q (99.5) and I²_GX together. A column-wide 1 decimal
    showed I²_GX 0.8712 as "0.9", the very threshold below which MR-Egger is warned against (Bowden et al. 2016);
    the page must show it as 0.871 (three decimals, as the I2_GX line of mrkit estimate)."""
    het = pd.DataFrame({"method": ["ivw", "egger"], "q": [99.5304, 97.3975], "df": [27, 26], "p": [3e-10, 3e-10]})
    pleio = SimpleNamespace(intercept=-0.0115, p=0.457, i2gx=0.8712)
    result = SimpleNamespace(heterogeneity=het, pleiotropy=pleio, presso=None, steiger=None, notes=())
    table = report.diagnostics_table(result)
    fmt, _ = column_format(table["value"], "value")
    cell = fmt(table.loc[table["diagnostic"] == "I²_GX", "value"].iloc[0])
    assert cell == "0.871", cell
