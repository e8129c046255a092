"""The book machine on a toy book: incremental re-execution, parallel runs, clear failures, safe swap.

These build a three-page book in a temporary folder with tiny notebooks, so they exercise papermill,
jupytext and Jupyter Book for real in about a minute.
"""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from mrkit.book.execute import RunFailed
from mrkit.book.pipeline import Layout, build_book
from mrkit.book.runplan import PlanError, load_plan
from mrkit.paths import PROJECT_ROOT

pytestmark = pytest.mark.book

NOTEBOOK = textwrap.dedent('''\
    # ---
    # jupyter:
    #   kernelspec:
    #     display_name: Python 3
    #     language: python
    #     name: python3
    # ---

    # %% tags=["parameters"]
    trait = "insomnia"
    value = 1.0
    fail = False
    results_dir = "."

    # %% [markdown]
    # Some text with math $\\beta_{IVW}$.

    # %%
    import json, pathlib
    if fail:
        raise ValueError(f"deliberate failure for {trait}")
    pathlib.Path(results_dir, f"{trait}.json").write_text(json.dumps({"value": value * 2}))
    print(trait, value * 2)
    from mrkit.paper import downloads
    import pandas as pd
    downloads.save_csv(pd.DataFrame({"trait": [trait], "value": [value * 2]}), "values")
    ''')

PLAN = textwrap.dedent('''\
    [defaults]
    value = 1.0
    [labels]
    insomnia = "Insomnia"
    lbp = "Low back pain"
    [profiles.one]
    runs = ["toy-insomnia"]
    [[run]]
    id = "toy-{trait}"
    notebook = "notebooks/toy.py"
    title = "Toy page for {trait_label}"
    for_each = [{trait = "insomnia"}, {trait = "lbp"}]
    [[run]]
    id = "summary"
    notebook = "notebooks/toy.py"
    title = "Summary"
    parameters = {trait = "summary"}
    needs = ["toy-*"]
    ''')

TOC = textwrap.dedent('''\
    format: jb-book
    root: book/intro
    chapters:
    - file: book/data
    - file: book/generated/toy-insomnia
    - file: book/generated/toy-lbp
    - file: book/generated/summary
    ''')


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    root = tmp_path / "toy"
    (root / "notebooks").mkdir(parents=True)
    (root / "book").mkdir()
    (root / "notebooks" / "toy.py").write_text(NOTEBOOK)
    (root / "book" / "runplan.toml").write_text(PLAN)
    (root / "book" / "intro.md").write_text("# Toy book\n\nIntro with $x^2$.\n")
    (root / "book" / "data.md").write_text("# Data\n\nAbout the data.\n")
    (root / "book" / "references.bib").write_text("")
    (root / "book" / "_static").mkdir()
    (root / "book" / "_static" / "mrkit.css").write_text((PROJECT_ROOT / "book" / "_static" / "mrkit.css").read_text())
    (root / "_toc.yml").write_text(TOC)
    (root / "_config.yml").write_text((PROJECT_ROOT / "_config.yml").read_text())
    mathjax = PROJECT_ROOT / "node_modules" / "mathjax"
    if not mathjax.is_dir():
        pytest.skip("node_modules/mathjax missing: run `make env`")
    (root / "node_modules").mkdir()
    os.symlink(mathjax, root / "node_modules" / "mathjax")
    return root


@pytest.fixture(autouse=True)
def stable_code_hash(monkeypatch):
    """Other edits to src/mrkit during a test session must not look like changes to the toy book."""
    monkeypatch.setattr("mrkit.book.pipeline.analysis_code_hash", lambda: "toy-code")


def test_code_hash_follows_analysis_code_not_book_machinery(tmp_path: Path):
    from mrkit.book.fingerprint import analysis_code_hash

    pkg = tmp_path / "pkg"
    (pkg / "book").mkdir(parents=True)
    (pkg / "ivw.py").write_text("x = 1\n")
    (pkg / "book" / "site.py").write_text("y = 1\n")
    before = analysis_code_hash(pkg)
    (pkg / "book" / "site.py").write_text("y = 2\n")
    assert analysis_code_hash(pkg) == before
    (pkg / "ivw.py").write_text("x = 2\n")
    assert analysis_code_hash(pkg) != before


def build(root: Path, **kw):
    return build_book(root / "book" / "runplan.toml", layout=Layout.default(root), jobs=2,
                      data_fingerprint=lambda params: "toy-data", progress=False, **kw)


def test_builds_then_skips_unchanged_then_reruns_what_changed(toy: Path):
    first = build(toy)
    assert sorted(r for r, _ in first.executed) == ["summary", "toy-insomnia", "toy-lbp"]
    html = (toy / "_build" / "html" / "book" / "generated" / "toy-lbp.html").read_text()
    assert "Toy page for Low back pain" in html  # title from the parameters and labels
    assert "Synthetic data" in html  # the data banner
    assert json.loads((toy / "book" / "generated" / "results" / "lbp.json").read_text()) == {"value": 2.0}

    # the run that needs the others comes first in the queue (longest last time): it is still found current
    timings = toy / "book" / "generated" / ".runs" / "timings.json"
    timings.write_text(json.dumps({"summary": 99.0, "toy-insomnia": 1.0, "toy-lbp": 1.0}))
    second = build(toy)
    assert second.executed == [] and sorted(second.skipped) == ["summary", "toy-insomnia", "toy-lbp"]

    plan = (toy / "book" / "runplan.toml").read_text()
    (toy / "book" / "runplan.toml").write_text(
        plan.replace('for_each = [{trait = "insomnia"}, {trait = "lbp"}]',
                     'for_each = [{trait = "insomnia"}, {trait = "lbp", value = 3.0}]'))
    third = build(toy)
    # only the changed run and the run that needs it execute again
    assert sorted(r for r, _ in third.executed) == ["summary", "toy-lbp"]
    assert json.loads((toy / "book" / "generated" / "results" / "lbp.json").read_text()) == {"value": 6.0}


def test_failure_names_notebook_parameters_and_cell_and_keeps_old_site(toy: Path):
    build(toy)
    index = toy / "_build" / "html" / "index.html"
    before = index.read_bytes()
    plan = (toy / "book" / "runplan.toml").read_text()
    (toy / "book" / "runplan.toml").write_text(plan.replace('{trait = "lbp"}', '{trait = "lbp", fail = true}'))
    with pytest.raises(RunFailed) as err:
        build(toy)
    msg = str(err.value)
    assert "toy-lbp" in msg and "notebooks/toy.py" in msg
    assert "fail=True" in msg and "trait='lbp'" in msg
    assert "code cell 2 (line 18 of toy.py)" in msg and "ValueError: deliberate failure for lbp" in msg
    kept = toy / "_build" / "failed" / "toy-lbp.ipynb"
    assert err.value.failed_notebook == kept and kept.exists()
    assert index.read_bytes() == before  # the published site is untouched
    # the failed run is not recorded as current: fixing it re-executes it
    (toy / "book" / "runplan.toml").write_text(plan)
    again = build(toy)
    assert "toy-lbp" in [r for r, _ in again.executed]


@pytest.mark.parametrize("failure", ["RuntimeError: Kernel died before replying to kernel_info",
                                     "RuntimeError: Kernel didn't respond in 120 seconds"])
def test_a_kernel_that_dies_at_start_is_started_again_but_not_forever(toy: Path, monkeypatch, failure):
    """Parallel runs can lose the race for a kernel's ports ("Kernel died before replying to kernel_info",
    seen once in a full test run), and a kernel on a loaded machine can outlast the start time-out ("Kernel
    didn't respond in 60 seconds", seen once in a full test run beside other test runs): the run starts again;
    a kernel that never starts still fails, with the message papermill gave."""
    import mrkit.book.execute as execute

    real = execute.run_measured
    calls = []
    died = (1, "", f"{failure}\n", 0.1)

    def dies_once(cmd, env):
        calls.append(env["MRKIT_RUN_ID"])
        return died if calls.count(env["MRKIT_RUN_ID"]) == 1 else real(cmd, env)

    monkeypatch.setattr(execute, "run_measured", dies_once)
    first = build(toy)
    assert sorted(r for r, _ in first.executed) == ["summary", "toy-insomnia", "toy-lbp"]
    assert sorted(calls) == sorted(["summary", "toy-insomnia", "toy-lbp"] * 2)
    assert json.loads((toy / "book" / "generated" / "results" / "lbp.json").read_text()) == {"value": 2.0}

    calls.clear()
    monkeypatch.setattr(execute, "run_measured", lambda cmd, env: calls.append(1) or died)
    (toy / "book" / "runplan.toml").write_text((toy / "book" / "runplan.toml").read_text()
                                                .replace("value = 1.0\n[labels]", "value = 2.0\n[labels]"))
    with pytest.raises(RunFailed, match=failure.split(": ")[1]):
        build(toy)
    assert len(calls) % execute.KERNEL_START_ATTEMPTS == 0 and calls


def test_data_files_are_published_beside_their_page_and_survive_a_failed_run(toy: Path):
    build(toy)
    published = toy / "_build" / "html" / "book" / "generated" / "downloads" / "toy-lbp" / "values.csv"
    assert published.read_text().splitlines() == ["trait,value", "lbp,2.0"]
    plan = (toy / "book" / "runplan.toml").read_text()
    (toy / "book" / "runplan.toml").write_text(plan.replace('{trait = "lbp"}', '{trait = "lbp", fail = true}'))
    with pytest.raises(RunFailed):
        build(toy)
    kept = toy / "book" / "generated" / "downloads" / "toy-lbp" / "values.csv"
    assert kept.read_text().splitlines() == ["trait,value", "lbp,2.0"]  # the last good run's files stay
    assert published.read_text().splitlines() == ["trait,value", "lbp,2.0"]
    (toy / "book" / "runplan.toml").write_text(plan.replace('{trait = "lbp"}', '{trait = "lbp", value = 5.0}'))
    build(toy)
    assert published.read_text().splitlines() == ["trait,value", "lbp,10.0"]


def test_cli_failure_exit_code(toy: Path, capsys):
    from mrkit.cli import main

    plan = (toy / "book" / "runplan.toml").read_text()
    plan = plan.replace('{trait = "insomnia"}', '{trait = "insomnia", fail = true}')
    (toy / "book" / "runplan.toml").write_text(plan.replace("value = 1.0", 'value = 1.0\ndata = "none"', 1))
    code = main(["book", "--plan", str(toy / "book" / "runplan.toml"), "--no-render", "--jobs", "1",
                 "--build-dir", str(toy / "_b")])
    assert code == 2
    assert "deliberate failure for insomnia" in capsys.readouterr().err


def test_profile_selects_runs_and_unknown_profile_is_an_error(toy: Path):
    plan = load_plan(toy / "book" / "runplan.toml", "one", root=toy)
    assert [r.id for r in plan.runs] == ["toy-insomnia"]
    assert plan.runs[0].title == "Toy page for Insomnia"
    with pytest.raises(PlanError, match="unknown profile"):
        load_plan(toy / "book" / "runplan.toml", "nope", root=toy)


def test_small_profile_build_filters_the_toc(toy: Path):
    build(toy, profile="one")
    staged = (toy / "_build" / "source" / "_toc.yml").read_text()
    assert "toy-insomnia" in staged and "toy-lbp" not in staged
    assert (toy / "_build" / "html" / "book" / "generated" / "toy-insomnia.html").exists()


def test_runs_without_data_start_while_the_data_are_made_ready(toy: Path):
    """The synthetic panel is generated while pages that need no data execute; each run's CPU time is recorded."""
    import time

    plan = (toy / "book" / "runplan.toml").read_text()
    plan = plan.replace('parameters = {trait = "summary"}', 'parameters = {trait = "summary", data = "none"}')
    (toy / "book" / "runplan.toml").write_text(plan.replace('needs = ["toy-*"]', ""))
    summary_result = toy / "book" / "generated" / "results" / "summary.json"
    seen = {}

    def fingerprint(params):
        if params.get("data") == "none":
            return "none"
        deadline = time.monotonic() + 120
        while not summary_result.exists() and time.monotonic() < deadline:  # the page without data runs meanwhile
            time.sleep(0.2)
        seen["overlapped"] = summary_result.exists()
        return "toy-data"

    report = build_book(toy / "book" / "runplan.toml", layout=Layout.default(toy), jobs=2, render_site=False,
                        data_fingerprint=fingerprint, progress=False)
    assert seen["overlapped"]
    assert sorted(report.cpu) == ["summary", "toy-insomnia", "toy-lbp"] and min(report.cpu.values()) > 0
    state = json.loads((toy / "book" / "generated" / ".runs" / "toy-lbp.json").read_text())
    assert state["cpu_seconds"] > 0
    assert "synthetic" in report.prepare_seconds and "CPU of the executed notebooks" in report.summary()
    saved = json.loads((toy / "book" / "generated" / ".runs" / "last_build.json").read_text())
    assert saved["cpu_seconds_total"] == round(sum(report.cpu.values()), 1) and saved["render_seconds"] == 0.0


def test_each_data_set_has_its_own_line_in_the_build_report():
    """The full and the small panel are made ready separately; the report kept only the last one's time
    under "synthetic" (a cold full build said "data ready in synthetic 0.9 s" for a 23 s panel)."""
    from mrkit.book.pipeline import _data_label

    labels = {_data_label({"data": "synthetic", "panel_size": s, "seed": 1}) for s in ("full", "small")}
    assert labels == {"synthetic full", "synthetic small"}
    assert _data_label({"data": "opengwas"}) == "opengwas" and _data_label({}) == "synthetic"


def test_run_ids_that_are_not_plain_names_are_refused(toy: Path):
    """A run id names the page's files (book/generated/<id>.ipynb, .runs/<id>.json): matched whole (issue 21)."""
    plan = (toy / "book" / "runplan.toml").read_text()
    for bad in (r"summary\n", "../summary", "a/b", "..", r"sum\u0000mary", "", ".hidden"):
        (toy / "book" / "runplan.toml").write_text(plan.replace('id = "summary"', f'id = "{bad}"'))
        with pytest.raises(PlanError, match="must be letters, digits"):
            load_plan(toy / "book" / "runplan.toml", root=toy)
    # an id filled from parameters is checked once filled
    (toy / "book" / "runplan.toml").write_text(plan.replace('{trait = "lbp"}', '{trait = "../lbp"}'))
    with pytest.raises(PlanError, match=r"id 'toy-\.\./lbp' \(from 'toy-\{trait\}'\)"):
        load_plan(toy / "book" / "runplan.toml", root=toy)


def test_a_second_build_waits_for_the_first_says_so_and_reuses_its_results(toy: Path):
    """Issue 21: two `mrkit book` in one checkout both executed every notebook, and the user was not told."""
    import subprocess
    import sys
    import time

    plan = toy / "book" / "runplan.toml"
    plan.write_text(plan.read_text().replace("value = 1.0", 'value = 1.0\ndata = "none"', 1))
    command = [sys.executable, "-m", "mrkit.cli", "book", "--plan", str(plan), "--no-render", "--jobs", "2"]
    lock = toy / "book" / "generated" / ".runs" / "build.lock"
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and f"pid {first.pid}," not in (lock.read_text() if lock.exists() else ""):
        time.sleep(0.02)
    assert first.poll() is None, "the first build holds no lock while it runs"
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out1, err1 = first.communicate(timeout=600)
    out2, err2 = second.communicate(timeout=600)
    assert (first.returncode, second.returncode) == (0, 0), err1 + err2
    assert "mrkit book: 3 executed, 0 unchanged" in out1
    assert "mrkit book: 0 executed, 3 unchanged" in out2  # the first one's results, re-used
    said = [line for line in err2.splitlines() if "another build" in line]
    assert len(said) == 1 and said[0].startswith(f"mrkit book: another build of this book is running (pid {first.pid}, "
                                                 "started ")
    assert said[0].endswith("waiting for it to finish, then re-using what it executed")
    assert "another build" not in err1
