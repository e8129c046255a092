"""The exercises' machinery without a book build: the registry, the re-run commands, the page parameters they
change, the simulation settings reaching worker processes, and the pages' new fixes one at a time.

The exercises themselves are run as a student runs them, on the small build, by tests/test_book_teaching.py.
"""
from __future__ import annotations

import ast
import math
import re
import shlex
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest

from mrkit.book.pipeline import DEFAULT_PLAN
from mrkit.book.runplan import load_plan
from mrkit.book.takeaway import exercises_page, rerun_parameters_of, takeaway_markdown
from mrkit.errors import InputError
from mrkit.paper import exercises, simulation_study
from mrkit.paper.exercises import EXERCISES, PAGES, rerun_command

ROOT = Path(__file__).resolve().parents[1]


def notebook_parameters(stem: str) -> dict:
    """The names and default values of a notebook's parameters cell (literal values only; others as None)."""
    nb = jupytext.read(ROOT / "notebooks" / f"{stem}.py")
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    out = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                out[node.targets[0].id] = None
    return out


def papermill_parse(command: str) -> tuple[list[str], dict]:
    """The positional arguments and parameters papermill itself reads from a command line (its own parser)."""
    from papermill.cli import _resolve_type

    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "papermill"
    positional, params, i = [], {}, 1
    while i < len(words):
        if words[i] in ("-p", "-r"):
            name, value = words[i + 1], words[i + 2]
            params[name] = _resolve_type(value) if words[i] == "-p" else value
            i += 3
        else:
            positional.append(words[i])
            i += 1
    return positional, params


def test_the_book_has_at_least_twenty_exercises_two_to_four_on_every_teaching_page():
    assert len(EXERCISES) >= 20
    per_page = Counter(e.notebook for e in EXERCISES)
    assert set(per_page) == set(PAGES) == {"mr_analysis", "results", "limitations", "multivariable",
                                           "simulation_study", "harmonisation_by_example", "conventions"}
    assert all(2 <= n <= 4 for n in per_page.values()), per_page
    for stem in per_page:  # numbered 1..n on each page
        assert [e.number for e in exercises.for_notebook(stem)] == list(range(1, per_page[stem] + 1))


def test_every_exercise_changes_parameters_its_page_has_to_other_values():
    plan = load_plan(DEFAULT_PLAN, "full")
    for e in EXERCISES:
        params = notebook_parameters(e.notebook)
        run = next(r for r in plan.runs if r.notebook.stem == e.notebook)
        page = {**params, **run.parameters}
        change = e.changes(page)
        assert change, f"{e.notebook} {e.number}: changes nothing"
        for name, value in change.items():
            assert name in params, f"{e.notebook} {e.number}: {name} is not a parameter of the page"
            assert value != page[name], f"{e.notebook} {e.number}: {name} = {value!r} is the page's own value"
        assert e.observe and e.question and e.title


def test_rerun_command_gives_papermill_back_the_values_and_types():
    params = {"exposure": "lbp", "p_threshold": 5e-6, "quick": True, "n_variants": None, "seed": 314159265,
              "sleep_traits": "insomnia,sleep_duration", "code": "1", "label": "two words"}
    cmd = rerun_command("mr-lbp-to-insomnia", params, {"seed": 2}, output="out.ipynb")
    positional, parsed = papermill_parse(cmd)
    assert positional == ["mr-lbp-to-insomnia.ipynb", "out.ipynb"]
    assert parsed == {**params, "seed": 2}
    assert {k: type(v) for k, v in parsed.items()} == {k: type(v) for k, v in {**params, "seed": 2}.items()}
    assert "-r code 1" in cmd  # text papermill would read as a number goes raw


def test_rerun_parameters_point_results_at_the_book_only_for_pages_that_read_them():
    plan = load_plan(DEFAULT_PLAN, "small").by_id()
    assert rerun_parameters_of(plan["results"])["results_dir"] == exercises.BOOK_RESULTS
    assert rerun_parameters_of(plan["mr-insomnia-to-lbp"])["results_dir"] == exercises.RERUN_RESULTS
    box = takeaway_markdown(plan["mr-insomnia-to-lbp"])
    assert 'href="downloads/mr-insomnia-to-lbp/mr-insomnia-to-lbp.ipynb"' in box
    assert 'href="downloads/mr-insomnia-to-lbp/mr_analysis.py"' in box
    start = box.index("```sh\n") + len("```sh\n")
    cmd = box[start:box.index("```", start)]
    assert papermill_parse(cmd)[1] == {**plan["mr-insomnia-to-lbp"].parameters, "results_dir": "rerun-results"}


def test_exercises_page_lists_every_exercise_of_the_full_book_with_its_command():
    runs = load_plan(DEFAULT_PLAN, "full").runs
    page = exercises_page(runs)
    assert page.count("{ref}`Exercise ") == len(EXERCISES)
    assert page.count("papermill ") == len(EXERCISES)
    for title in PAGES.values():
        assert f"## {title}" in page
    mr = next(r for r in runs if r.notebook.stem == "mr_analysis")
    assert "<ex-mr-insomnia-to-lbp-2>`" in page and mr.id == "mr-insomnia-to-lbp"
    assert "-p p_threshold 5e-06" in page  # the MR threshold exercise: a hundred times looser than 5e-8


# -- the simulation study's settings are parameters that reach the workers ------------------------------------
def _ivw_bias(fits):
    s = simulation_study.summarise_simulation(fits)
    return float(s[s["beta"] > 0]["bias"].iloc[0])


def test_simulation_settings_reach_worker_processes():
    """Issue 24: editing a module global changed nothing in worker processes. A setting is now part of the design
    every task carries: two workers give what one gives, and another pleiotropy fraction other numbers."""
    design = {**simulation_study.simulation_design(quick=True), "n_rep": 100, "betas": (0.05,)}
    more = {**simulation_study.simulation_design(quick=True, pleiotropy_fraction=0.6), "n_rep": 100,
            "betas": (0.05,)}
    args = dict(scenarios=["directional_pleiotropy"], seed=3, methods=["ivw"], chunk_size=50)
    one = simulation_study.run_simulation(design=more, workers=1, **args)
    two = simulation_study.run_simulation(design=more, workers=2, **args)
    pd.testing.assert_frame_equal(one, two)
    default = simulation_study.run_simulation(design=design, workers=1, **args)
    # directional pleiotropy with mean 0.01 on 60 % instead of 30 % of the instruments: IVW's bias about doubles
    assert _ivw_bias(one) > 1.5 * _ivw_bias(default) > 0


def test_simulation_runs_in_worker_processes_from_a_plain_script(tmp_path):
    """Issue 24: the page run as `python script.py` died with BrokenProcessPool (spawned workers re-ran the
    unguarded script). A script without a __main__ guard now completes, with the numbers of one process."""
    script = tmp_path / "page.py"
    script.write_text(textwrap.dedent("""\
        from mrkit.paper import simulation_study as s
        design = {**s.simulation_design(quick=True, mean_f=30.0), "n_rep": 100, "betas": (0.05,)}
        fits = s.run_simulation(["weak"], design, seed=5, methods=["ivw"], chunk_size=50, workers=2)
        print(repr(float(fits["estimate"].sum())))
        """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    design = {**simulation_study.simulation_design(quick=True, mean_f=30.0), "n_rep": 100, "betas": (0.05,)}
    fits = simulation_study.run_simulation(["weak"], design, seed=5, methods=["ivw"], chunk_size=50, workers=1)
    assert float(done.stdout.strip()) == float(fits["estimate"].sum())


def test_scenario_settings_apply_only_where_they_mean_something_and_are_checked():
    assert simulation_study.scenario_settings("valid") == {}
    assert simulation_study.scenario_settings("outliers", {"n_outliers": 5}) == {"n_outliers": 5}
    assert simulation_study.scenario_settings("weak") == {"mean_f": 10.0}
    assert simulation_study.simulation_design(pleiotropy_fraction=0.6)["settings"]["pleiotropy_fraction"] == 0.6
    for bad in ({"pleiotropy_fraction": 1.5}, {"mean_f": 1.0}, {"n_outliers": 30}, {"n_outliers": 2.5},
                {"outlier_count": 3}):
        with pytest.raises(InputError):
            simulation_study.simulation_design(quick=True, **bad)


# -- the pages' fixes ---------------------------------------------------------------------------------------
def test_published_cells_say_what_was_published_on_the_pages_scale():
    from mrkit.paper.report import published_cell, published_results

    luo = published_results()
    luo = luo[luo["study"] == "luo2022"]
    assert published_cell(luo, "insomnia", "lbp", binary_outcome=True) == "OR 1.954 (1.119 to 3.411)"
    # the paper's "OR" of a continuous outcome is exp(β): shown as β = log 1.015
    cell = published_cell(luo, "lbp", "insomnia", binary_outcome=False)
    assert cell.startswith(f"β {math.log(1.015):.4f}") and "exp(β) 1.015" in cell
    assert published_cell(luo, "sleep_duration", "lbp", binary_outcome=True) == \
        "not significant (no estimate published)"
    assert published_cell(luo, "bmi", "lbp", binary_outcome=True) == "–"


def test_results_forest_ticks_are_plain_numbers():
    """The results forest's log axis read 10⁰ and 2×10⁰; its ticks are now 0.5, 1, 2."""
    import matplotlib.pyplot as plt

    from mrkit.paper.plots import plain_log_ticks

    for lo, hi, expected in ((0.8, 3.4, ["1", "1.5", "2", "3"]), (0.95, 1.35, ["1", "1.1", "1.2", "1.3"]),
                             (0.3, 2.5, ["0.5", "1", "2"])):
        fig, ax = plt.subplots()
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        plain_log_ticks(ax)
        fig.canvas.draw()
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        plt.close(fig)
        assert labels == expected
        assert not any("10" in t and "^" in t or "×" in t for t in labels)


def test_latex_numbers_for_inline_math():
    from mrkit.paper.report import latex_number

    assert latex_number(5e-8) == r"5\times 10^{-8}"
    assert latex_number(1e-5) == "10^{-5}"
    assert latex_number(0.05) == "0.05"


def test_conventions_sentence_counts_the_estimates_that_differ(validation_dir):
    """Issue 24: the page said the packages agree on every point estimate but one while its own table marked the
    penalised weighted median as differing (2.6769 vs 2.6809 on the lipids data)."""
    from mrkit.paper import convention_comparison as cc
    from mrkit.paper.labels import method_labels

    data = pd.read_csv(validation_dir / "harmonised" / "lipids_chd_ldlc.csv")
    side = cc.convention_comparison(data, seed=1, methods=["ivw", "weighted_median", "penalised_weighted_median",
                                                           "simple_mode"])
    s = side.set_index("method")
    assert s.loc["penalised_weighted_median", "estimate_tsmr"] == pytest.approx(2.6769, abs=5e-5)
    assert s.loc["penalised_weighted_median", "estimate_mr"] == pytest.approx(2.6809, abs=5e-5)
    sentence = cc.estimates_sentence(side, method_labels())
    assert "differ for 2 of the 4 methods (Weighted median, Penalised weighted median)" in sentence
    reasons = cc.reasons_table(side)
    assert {"Weighted median estimate", "Penalised weighted median estimate"} <= set(reasons["quantity"])


def test_harmonisation_palindrome_parameter_moves_the_case_into_the_band():
    from mrkit.paper import harmonisation_examples as hx

    for eaf, inside in ((0.41, False), (0.43, True)):
        x, y = hx.harmonisation_cases(palindrome_eaf=eaf)
        t = x[["SNP", "case"]].merge(hx.harmonisation_by_action(x, y), on="SNP")
        row = t[t["case"].str.contains(f"outcome EAF {eaf:g}")].iloc[0]
        assert bool(row["ambiguous"]) is inside and bool(row["used (action 2)"]) is not inside
    with pytest.raises(InputError, match="palindrome_eaf"):
        hx.harmonisation_cases(palindrome_eaf=0.6)


def test_multivariable_exposures_parameter_is_checked():
    from mrkit.paper.multivariable import exposure_list

    assert exposure_list(" insomnia, sleep_duration ") == ["insomnia", "sleep_duration"]
    for bad in ("insomnia", "insomnia,insomnia", "insomnia,sleep"):
        with pytest.raises(InputError, match="sleep_traits|trait"):
            exposure_list(bad)


def test_solution_text_comes_from_the_numbers():
    """A solution states the numbers it is given, and says so when the expected pattern did not appear."""
    ex = exercises.for_notebook("results")[0]
    before = {"estimate-insomnia-lbp": 0.5, "width-insomnia-lbp": 0.4, "n-bonferroni": 1.0}
    after = {"estimate-insomnia-lbp": 1.25, "width-insomnia-lbp": 1.3, "n-bonferroni": 0.0}
    md = ex.markdown("results", {"method": "ivw"}, {"method": "ivw"}, before, after)
    assert "1.300 wide instead of 0.400" in md and "did not appear" not in md
    assert ":::{dropdown}" in md and ":name: ex-results-1" in md
    worse = {**after, "width-insomnia-lbp": 0.3}
    assert "did not appear" in ex.markdown("results", {"method": "ivw"}, {}, before, worse)
    assert np.isfinite(before["width-insomnia-lbp"])


# -- kinds of page errors that must not come back -------------------------------------------------------------
@pytest.mark.parametrize("notebook", sorted(p.stem for p in (ROOT / "notebooks").glob("*.py")))
def test_no_notebook_cell_computes_a_table_or_value_it_then_hides(notebook):
    """Issue 24: the MR pages built the MR-PRESSO table, but a later display() in the same cell meant only the
    cell's last value was shown. A table or a bare value is shown only as a cell's last expression or through
    display(); anywhere else in a cell it is computed and thrown away."""
    nb = jupytext.read(ROOT / "notebooks" / f"{notebook}.py")
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        body = ast.parse(cell.source).body
        for stmt in body[:-1]:
            if not isinstance(stmt, ast.Expr):
                continue
            value = stmt.value
            lost = isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)) or (
                isinstance(value, ast.Call) and isinstance(value.func, (ast.Attribute, ast.Name))
                and (getattr(value.func, "attr", None) or getattr(value.func, "id", None)) in ("table", "head"))
            assert not lost, f"{notebook}, code cell {i + 1}, line {stmt.lineno}: {ast.unparse(stmt)[:80]} is not shown"


def _directions_table():
    return pd.DataFrame({
        "exposure": ["insomnia", "lbp"], "outcome": ["lbp", "sleep_duration"], "method": "ivw", "nsnp": [40, 12],
        "estimate": [0.6, 0.01], "se": [0.1, 0.005], "ci_lower": [0.4, 0.0002], "ci_upper": [0.8, 0.0198],
        "p": [1e-6, 0.04], "planted": [0.67, 0.0], "binary_outcome": [True, False],
        "outcome_units": ["", "hours/day"], "p_bonferroni": [2e-6, 0.08], "p_fdr": [2e-6, 0.04]}).assign(
        **{f"exp_{c}": lambda d, c=c: np.exp(d[c]) for c in ("estimate", "ci_lower", "ci_upper", "planted")})


def test_results_show_odds_ratios_only_for_binary_outcomes():
    """Issue 24: exp(β) of an outcome measured in hours was called an OR; a continuous outcome's effect is β."""
    from mrkit.paper.report import published_results, results_display

    luo = published_results()
    show = results_display(_directions_table(), str, luo[luo["study"] == "luo2022"], planted=True)
    assert list(show["scale"]) == ["OR", "β (hours/day)"]
    assert show["effect"].tolist() == pytest.approx([math.exp(0.6), 0.01])
    assert show["planted effect"].tolist() == pytest.approx([math.exp(0.67), 0.0])
    assert show.loc[1, "published (Luo 2022)"] == "not significant (no estimate published)"


def test_results_forest_draws_odds_ratios_on_plain_log_ticks_and_betas_on_a_linear_axis():
    import matplotlib.pyplot as plt

    from mrkit.paper.plots import results_forest
    from mrkit.paper.report import published_results

    luo = published_results()
    fig = results_forest(_directions_table(), str, luo[luo["study"] == "luo2022"], planted=True)
    fig.canvas.draw()
    ratio, beta = fig.axes
    assert ratio.get_xscale() == "log" and beta.get_xscale() == "linear"
    labels = [t.get_text() for t in ratio.get_xticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"\d+(\.\d+)?", t) for t in labels), labels
    assert "odds ratio" in ratio.get_xlabel() and "β" in beta.get_xlabel()
    plt.close(fig)


def test_an_exercise_whose_solution_needs_new_api_queries_is_shown_without_numbers():
    """On OpenGWAS data a looser threshold means new queries; the page shows the exercise and its command, and says
    that the solution's numbers come from running it (the threshold stays within the API's 0.01)."""
    from mrkit.errors import MRKitError

    page = {"exposure": "insomnia", "outcome": "lbp", "p_threshold": 1e-3, "convention": "twosamplemr", "seed": 1,
            "data": "opengwas"}
    ex = exercises.for_notebook("mr_analysis")[1]
    assert ex.changes(page) == {"p_threshold": 1e-2}
    with pytest.raises(MRKitError, match="OpenGWAS"):
        exercises.mr_solver(page, study=None, harmonised=None)(ex.changes(page), ex.observe)
    md = ex.markdown("mr-insomnia-to-lbp", page, page, {}, None, unsolved="new queries")
    assert "not computed when this page was built (new queries)" in md and "-p p_threshold 0.01" in md
