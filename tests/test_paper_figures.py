"""Forest and leave-one-out plots put the variants first, ordered by estimate, and the summary rows last,
once (as TwoSampleMR's mr_forest_plot and mr_leaveoneout_plot); the figure carries the rows it drew."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import mrkit  # noqa: E402
from mrkit.paper import plots  # noqa: E402
from mrkit.paper.labels import method_label, variant_label  # noqa: E402


@pytest.fixture
def harmonised() -> pd.DataFrame:
    """Twelve variants of a toy exposure -> outcome pair (seeded), TwoSampleMR column names."""
    rng = np.random.default_rng(20240611)
    k = 12
    bx = rng.uniform(0.02, 0.08, k) * rng.choice([-1, 1], k)
    se_y = rng.uniform(0.01, 0.02, k)
    return pd.DataFrame({"SNP": [f"{c}:{1000 * c + 7}:A:G" for c in range(1, k + 1)],
                         "beta.exposure": bx, "se.exposure": np.full(k, 0.004),
                         "beta.outcome": 0.3 * bx + rng.normal(0, se_y), "se.outcome": se_y,
                         "exposure": "X", "outcome": "Y", "mr_keep": True})


def drawn_labels(fig: plt.Figure) -> list[str]:
    """The y tick labels as drawn, top to bottom."""
    ax = fig.axes[0]
    ticks = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]), reverse=True)
    return [text for _, text in ticks]


def test_single_snp_rows_put_the_summaries_last_once(harmonised):
    single = mrkit.single_snp(harmonised)
    assert single["snp"].str.startswith("All").sum() == 2  # mrkit puts IVW and Egger among the rows
    rows = plots.forest_rows(single, label_col="snp")
    assert list(rows["kind"]) == ["variant"] * 12 + ["summary"] * 2
    assert list(rows["label"].tail(2)) == ["All - Inverse variance weighted", "All - MR Egger"]
    variants = rows[rows["kind"] == "variant"]
    assert variants["estimate"].is_monotonic_decreasing  # largest first, as TwoSampleMR draws them
    assert sorted(variants["id"]) == sorted(harmonised["SNP"])


def test_given_summary_replaces_the_tables_own_all_rows(harmonised):
    single = mrkit.single_snp(harmonised)
    results = mrkit.mr(harmonised, methods=["ivw", "egger", "weighted_median"], seed=1)
    rows = plots.forest_rows(single, label_col="snp", summary=results)
    assert not rows["label"].str.startswith("All").any()
    assert list(rows["label"].tail(3)) == [method_label(m) for m in ("ivw", "egger", "weighted_median")]
    assert list(rows["kind"].tail(3)) == ["summary"] * 3 and (rows["kind"] == "summary").sum() == 3
    ivw = results.set_index("method").loc["ivw"]
    assert rows.iloc[-3]["estimate"] == ivw["estimate"] and rows.iloc[-3]["ci_upper"] == ivw["ci_upper"]


def test_leave_one_out_all_row_goes_last(harmonised):
    loo = mrkit.leave_one_out(harmonised)
    assert loo["snp"].iloc[-1] == "All"
    shuffled = loo.sample(frac=1.0, random_state=3)  # wherever the All row is, it is drawn last
    rows = plots.forest_rows(shuffled, label_col="snp")
    assert list(rows["label"])[-1] == "All" and (rows["label"] == "All").sum() == 1
    assert rows.iloc[:-1]["estimate"].is_monotonic_decreasing


def test_figure_draws_the_rows_it_carries(harmonised):
    single = mrkit.single_snp(harmonised)
    results = mrkit.mr(harmonised, methods=["ivw", "egger"], seed=1)
    fig = plots.forest(single, label_col="snp", xlabel="causal estimate (units)", summary=results)
    rows = plots.figure_data(fig)
    assert drawn_labels(fig) == list(rows["label"])
    assert drawn_labels(fig)[-2:] == [method_label("ivw"), method_label("egger")]
    # the summaries sit below a rule that separates them from the variants
    rule = [line.get_ydata()[0] for line in fig.axes[0].lines if line.get_gid() == "summary-rule"]
    ticks = sorted(fig.axes[0].get_yticks())
    assert len(rule) == 1 and ticks[1] < rule[0] < ticks[2]
    plt.close(fig)


def test_variants_without_an_estimate_are_left_out():
    table = pd.DataFrame({"snp": ["a", "b", "c", "All"], "estimate": [0.1, np.nan, 0.3, 0.2],
                          "ci_lower": [0.0, np.nan, 0.1, 0.1], "ci_upper": [0.2, np.nan, 0.5, 0.3]})
    rows = plots.forest_rows(table)
    assert list(rows["label"]) == ["c", "a", "All"]


def test_funnel_carries_the_variants_only(harmonised):
    single = mrkit.single_snp(harmonised)
    fig = plots.funnel(single, mrkit.mr(harmonised, methods=["ivw", "egger", "weighted_median"], seed=1),
                       xlabel="Wald ratio")
    data = plots.figure_data(fig)
    assert len(data) == 12 and not data["snp"].str.startswith("All").any()
    assert len(fig.axes[0].collections[0].get_offsets()) == 12  # the summaries are lines, not points
    plt.close(fig)


def test_variant_label_prefers_an_rsid():
    assert variant_label("5:68896397:C:G") == "5:68896397:C:G"
    assert variant_label("5:68896397:C:G", rsid="rs1234") == "rs1234"
    assert variant_label("rs99", rsid=None) == "rs99"
    assert variant_label("5:100:C:G", rsid="5:100:C:G") == "5:100:C:G"  # not an rsid: ignored
    assert variant_label("3:55:ACGTACGTAA:A") == "3:55:ACGTAC…:A"
