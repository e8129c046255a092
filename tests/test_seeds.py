"""Two seeds, each with one default in one place: ``panel_seed`` picks the synthetic data, ``seed`` the random
draws of an analysis. Changing ``seed`` must re-use the cached panel (no new panel, same data fingerprint)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mrkit.book import pipeline
from mrkit.book.runplan import load_plan
from mrkit.errors import MRKitError
from mrkit.paper.direction import DirectionResult
from mrkit.paper.reproducibility import plan_defaults
from mrkit.rng import DEFAULT_PANEL_SEED, DEFAULT_SEED, resolve_panel_seed, resolve_seed

ROOT = Path(__file__).resolve().parents[1]


def test_each_seed_has_its_default_and_its_name_in_errors():
    assert resolve_seed(None) == DEFAULT_SEED and resolve_panel_seed(None) == DEFAULT_PANEL_SEED
    assert resolve_seed(7) == 7 and resolve_panel_seed(8) == 8
    with pytest.raises(MRKitError, match="panel_seed must be a whole number >= 0, not -1"):
        resolve_panel_seed(-1)
    with pytest.raises(MRKitError, match=r"--seed must be a whole number >= 0, not 1\.5"):
        resolve_seed(1.5)


def test_no_default_seed_is_written_outside_mrkit_rng():
    """The number of the defaults is assigned in mrkit/rng.py only: not in the run plan, the notebooks (they
    import the defaults from mrkit.paper) or other modules."""
    literal = re.compile(r"(=|:)\s*" + str(DEFAULT_SEED))
    files = [*(ROOT / "src" / "mrkit").rglob("*.py"), *(ROOT / "notebooks").glob("*.py"),
             ROOT / "book" / "runplan.toml"]
    found = [f"{p.relative_to(ROOT)}:{i}" for p in files for i, line in enumerate(p.read_text().splitlines(), 1)
             if literal.search(line.split("#")[0])]
    assert found == ["src/mrkit/rng.py:" + str(i) for i, line in
                     enumerate((ROOT / "src/mrkit/rng.py").read_text().splitlines(), 1) if literal.search(line)]
    assert len(found) == 2


def test_the_run_plan_gives_every_page_both_seeds(tmp_path):
    plan = load_plan(ROOT / "book" / "runplan.toml", "small")
    assert all(r.parameters["seed"] == DEFAULT_SEED and r.parameters["panel_seed"] == DEFAULT_PANEL_SEED
               for r in plan.runs)
    assert plan_defaults({"defaults": {"seed": 1}}) == {"seed": 1, "panel_seed": DEFAULT_PANEL_SEED}
    assert plan_defaults({"defaults": {"panel_seed": 2}}) == {"panel_seed": 2, "seed": DEFAULT_SEED}


def test_the_data_of_a_run_do_not_depend_on_the_analysis_seed(monkeypatch):
    """The book prepares (and fingerprints) a run's data from data, panel size and panel seed only: runs that
    differ in ``seed`` share one panel."""
    asked = []
    monkeypatch.setattr("mrkit.paper.datasets.prepare", lambda **kw: asked.append(kw) or "fp")
    base = {"data": "synthetic", "panel_size": "small", "panel_seed": DEFAULT_PANEL_SEED}
    pipeline.default_data_fingerprint({**base, "seed": 1})
    pipeline.default_data_fingerprint({**base, "seed": 2})
    assert asked == [{"data": "synthetic", "panel_size": "small", "panel_seed": DEFAULT_PANEL_SEED}] * 2
    assert pipeline._data_signature({**base, "seed": 1}) == pipeline._data_signature({**base, "seed": 2})
    assert pipeline._data_signature(base) != pipeline._data_signature({**base, "panel_seed": 5})


def test_rerunning_the_mr_page_with_another_seed_reuses_the_panel(tmp_path):
    """The README's re-run, on the small panel: another ``seed`` writes no new panel and changes only the draws."""
    from mrkit.paths import cache_dir
    from mrkit.simulate import ensure_panel

    ensure_panel(size="small")  # the default small panel, as a build would have left it
    synthetic = cache_dir() / "synthetic"
    before = sorted(p.name for p in synthetic.iterdir())
    source = tmp_path / "mr.ipynb"
    subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "-o", str(source),
                    str(ROOT / "notebooks" / "mr_analysis.py")], check=True, capture_output=True)
    results = tmp_path / "results"
    run = subprocess.run([sys.executable, "-m", "papermill", str(source), str(tmp_path / "out.ipynb"), "-p",
                          "panel_size", "small", "-p", "seed", "1", "-p", "presso_n", "200", "-p", "results_dir",
                          str(results), "--cwd", str(ROOT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(p.name for p in synthetic.iterdir()) == before
    saved = DirectionResult.load(results / "mr-insomnia-to-lbp.json")
    assert saved.seed == 1 and saved.presso.seed == 1 and saved.parameters["panel_seed"] == DEFAULT_PANEL_SEED
    boot = saved.estimates[saved.estimates["n_boot"].notna()]
    assert len(boot) and (boot["seed"] == 1).all()
