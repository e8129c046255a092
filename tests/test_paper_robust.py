"""The robust-methods section of an MR page and the methods chapter's entries (mrkit.paper.robust).

Data: the seeded 25-instrument simulation of tests/test_paper_direction.py (numpy seed 20261206; 24 analysed). The
oracles: mrkit.mr's own rows (the table must carry them unchanged), the registry's records (one entry per id), and
hand counts of the intervals that exclude zero.
"""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_paper_direction import INSOMNIA, LBP, harmonised  # noqa: E402

from mrkit.methods.correlated import NEEDS_LD  # noqa: E402
from mrkit.methods.method_info import ASSUMPTION_FAMILIES  # noqa: E402
from mrkit.methods.registry import method_ids, method_infos, mv_method_ids  # noqa: E402
from mrkit.paper import robust  # noqa: E402
from mrkit.paper.direction import analyse  # noqa: E402
from mrkit.paper.labels import method_label  # noqa: E402
from mrkit.paper.plots import figure_data  # noqa: E402


@pytest.fixture(scope="module")
def result():
    return analyse(harmonised(), INSOMNIA, LBP, seed=11, presso_n=200, methods=["ivw", "egger"])


def test_the_section_runs_every_univariable_method(result):
    assert list(result.robust["method"]) == [m for m in method_ids() if m not in ("wald_ratio", *NEEDS_LD)]
    rows = robust.robust_rows(result)
    families = [ASSUMPTION_FAMILIES.index(f) for f in rows["family"]]
    assert families == sorted(families)  # grouped by family, in the book's order
    ran = set(rows["method"])
    # HetPen enumerates 2^J subsets: not run on 24 instruments, and the table says why under it
    assert "hetpen" not in ran and ran == set(result.robust["method"]) - {"hetpen"}
    table = robust.robust_table(result)
    page = table._repr_html_()
    for method in ran:
        assert f'href="../methods.html#{robust.method_anchor(method)}"' in page, method
    assert any(n.startswith(method_label("hetpen")) and "J = 24 > 20" in n for n in table.notes)
    assert any(n.startswith(method_label("sign")) for n in table.notes)  # its estimate is not an effect
    ivw = result.robust.set_index("method").loc["ivw"]
    or_cell = table.data.set_index("method").loc["ivw", "OR"]
    assert or_cell == pytest.approx(np.exp(ivw["estimate"]))  # binary outcome: the OR, exp of β


def test_forest_groups_by_family_and_labels_its_axis(result):
    fig = robust.robust_forest(result)
    data = figure_data(fig)
    assert "sign" not in set(data["method"]) and len(data) == len(robust.robust_rows(result)) - 1
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == [robust.FAMILY_LABELS[f] for f in ASSUMPTION_FAMILIES if f in set(data["family"])]
    assert len(ticks) == len(data) + len(bold)
    assert "log odds of low back pain" in ax.get_xlabel()


def test_family_verdict_counts_the_intervals_that_exclude_zero(result):
    rows = robust.robust_rows(result)
    rows = rows[~rows["method"].isin(robust.NOT_AN_EFFECT)]
    verdict = robust.family_verdict(result).set_index("family")
    for family in ASSUMPTION_FAMILIES:
        g = rows[rows["family"] == family]
        if not len(g):
            continue
        excl = int(((g["ci_lower"] > 0) | (g["ci_upper"] < 0)).sum())  # hand count
        v = verdict.loc[robust.FAMILY_LABELS[family]]
        assert (v["methods"], v["exclude 0"]) == (len(g), excl)
        assert v["verdict"] == ("supports" if excl == len(g) and (g["ci_lower"] > 0).all() else v["verdict"])
    table = robust.verdict_table([result])
    assert table.loc[0, "direction"] == "Insomnia → Low back pain"
    assert re.match(r"^(supports|no evidence|mixed|opposite) \(\d+/\d+\)$", table.loc[0, "Majority valid"])


def test_the_methods_chapter_has_one_entry_per_id():
    text = robust.methods_chapter_entries()
    ids = [*method_ids(), *mv_method_ids(), "conditional_f_gencov", "q_a_gencov"]
    for method in ids:
        assert text.count(f"({robust.method_anchor(method)})=") == 1, method
        info = method_infos()[method]
        assert f"#### {info.label} (`{method}`)" in text and info.r_function in text
    assert text.count("$$") == 2 * len(ids)
    assert "RadialMR's Exact (FE) searches only (-2, 2)" in text  # a quirk, from radial_exact.QUIRKS


def test_the_verdict_sentence_names_the_dissenting_families():
    import pandas as pd

    verdicts = pd.DataFrame([{"direction": "A → B", "IVW β": 0.1, "IVW p": 0.01, "Majority valid": "supports (3/3)",
                              "InSIDE": "supports (2/2)"},
                             {"direction": "C → D", "IVW β": 0.1, "IVW p": 0.01, "Majority valid": "mixed (1/3)",
                              "InSIDE": "supports (2/2)"}])
    text = robust.verdict_sentence(verdicts)
    assert "in 1 of 2 directions: A → B." in text and "C → D (majority valid: mixed (1/3))" in text


def test_a_bootstrap_p_of_zero_is_shown_below_one_over_n(result):
    """pIVW's bootstrap-Fieller p and the bootstrap MR-Egger's p are shares of n draws (R: mr_pivw's Pvalue,
    mr_egger_regression_bootstrap's pval); none of the 1000 draws on the other side means p < 1/1000, not 0 (as
    MR-PRESSO's "<1/n"). On this seeded data both are 0 in mrkit.mr's rows; the page shows "< 0.001"."""
    rows = result.robust.set_index("method")
    zero = [m for m in ("pivw", "egger_boot") if rows.loc[m, "p"] == 0]
    assert zero, "the seeded data no longer gives a bootstrap p of 0: choose another case"
    shown = robust.robust_table(result).data.set_index("method")["p"]
    for method in zero:
        assert shown[method] == f"< {1 / rows.loc[method, 'n_boot']:.2g}", method
