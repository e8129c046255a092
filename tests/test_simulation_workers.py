"""The simulation chapter's arms are independent: fitted in worker processes or in turn, the table is the same,
and so are the blocked bootstrap medians and densities whatever the block size."""
from __future__ import annotations

import numpy as np
import pandas as pd

from mrkit.methods import density, median
from mrkit.paper import simulation_study

TINY = {"n_rep": 12, "n_snps": 30, "betas": (0.0, 0.05), "n_boot_median": 40, "n_boot_mode": 20, "presso_n": 100}


def test_workers_give_the_same_table():
    scenarios = ["valid", "outliers"]
    alone = simulation_study.run_simulation(scenarios, TINY, seed=11, workers=1)
    pooled = simulation_study.run_simulation(scenarios, TINY, seed=11, workers=2)
    pd.testing.assert_frame_equal(alone, pooled, check_exact=True)
    # one seed block per arm here (12 replicates): scenario i of SCENARIOS, effect j
    i = [simulation_study.SCENARIOS.index(s) for s in scenarios]
    expected = [simulation_study.block_seeds(11, s, j, 1)[0] for s in i for j in range(2)]
    assert list(alone["sim_seed"].unique()) == expected


def test_blocked_weighted_medians_equal_one_block(monkeypatch):
    rng = np.random.default_rng(2)
    ratio, weights = rng.standard_normal((7, 50, 30)), rng.random((7, 1, 30))
    whole = median.weighted_median(ratio, weights)
    monkeypatch.setattr(median, "_ROWS_PER_BLOCK", 64)  # blocks of one replicate (50 rows) at a time
    blocked = median.weighted_median(ratio, weights)
    assert np.array_equal(whole, blocked) and blocked.shape == (7, 50)


def test_density_modes_do_not_depend_on_the_chunk(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((700, 25)) * 0.2
    w = rng.random(25)
    bw = np.full(700, 0.05)
    big = density.density_modes(x, [w / w.sum(), None], bw=bw)
    monkeypatch.setattr(density, "_CHUNK", 33)
    small = density.density_modes(x, [w / w.sum(), None], bw=bw)
    assert all(np.array_equal(a, b) for a, b in zip(big, small))
