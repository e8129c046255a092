"""Power of the book's main analysis on the synthetic panel, measured over seeds (not asserted anywhere).

For each of N consecutive seeds (``--first-seed`` .. ``--first-seed + N - 1``; the seeds are not
chosen, and the book's default seed is not among them unless asked for), the script builds the
synthetic panel into a temporary cache, runs the real pipeline of the book for all ten directions
(``mrkit.paper.study.Study.harmonised`` -> ``mrkit.mr(h, methods=["ivw"])``: sleep traits at 5e-8 -> LBP,
LBP at 5e-6 -> each sleep trait) and prints, per direction, the share of seeds with IVW p < 0.05
and p < 0.005 (Bonferroni for ten directions, what the book's results page uses), the coverage of
the planted effect by the 95 % CI, the mean estimate and SE, with binomial Monte Carlo SEs.

Run from the project root (the full panel takes ~20 s to build and the ten directions ~1 min, per seed):

    .venv/bin/python benchmarks/power_over_seeds.py --seeds 20 [--size full] [--csv out.csv]

``--approximate`` replaces the files and the pipeline by a quick stand-in (generator arrays, lead
variant per LD block, IVW; ~1 s per seed) for design work over hundreds of seeds; its numbers are
labelled as such and only the pipeline's numbers stand for the book.

The numbers it printed for the current calibration are in data/calibration.toml ([power] comments).

References
----------
Luo J et al. (2022) Front Neurosci 16:1074605 (the study whose published effects the panel plants).
Burgess S, Butterworth A, Thompson SG (2013) Mendelian randomization analysis with multiple genetic
variants using summarized data. Genet Epidemiol 37:658-665 (IVW).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SLEEP = ("insomnia", "sleep_duration", "short_sleep", "long_sleep", "daytime_sleepiness")
#: the book's ten directions: (exposure, outcome, instrument p-value threshold)
DIRECTIONS = tuple((e, "lbp", 5e-8) for e in SLEEP) + tuple(("lbp", o, 5e-6) for o in SLEEP)
ALPHA, BONFERRONI = 0.05, 0.05 / len(DIRECTIONS)


def one_seed(seed: int, size: str) -> list[dict]:
    """IVW of every direction on the panel of ``seed`` (built into the current MRKIT_CACHE)."""
    import mrkit
    from mrkit.paper.study import Study

    study = Study(panel_size=size, panel_seed=seed)
    start = time.perf_counter()
    _ = study.folder
    built = time.perf_counter() - start
    rows = []
    for exposure, outcome, threshold in DIRECTIONS:
        h = study.harmonised(exposure, outcome, threshold)
        r = mrkit.mr(h, methods=["ivw"]).iloc[0]
        truth = study.truth["causal_effects"][f"{exposure}->{outcome}"]["beta"]
        rows.append({"seed": seed, "exposure": exposure, "outcome": outcome, "truth": truth,
                     "estimate": float(r["estimate"]), "se": float(r["se"]), "p": float(r["p"]),
                     "ci_lower": float(r["ci_lower"]), "ci_upper": float(r["ci_upper"]), "nsnp": int(r["nsnp"])})
    outlier = study.truth.get("outlier", {}).get("deviation", "")
    print(f"seed {seed}: built in {built:.0f} s, analysed in {time.perf_counter() - start - built:.0f} s, "
          f"outlier deviates {outlier}; insomnia->lbp p = {rows[0]['p']:.2g}", flush=True)
    return rows


def one_seed_approximate(seed: int) -> list[dict]:
    """A quick stand-in for the pipeline, for design work over hundreds of seeds (~1 s per seed).

    The generator's own truth and summary statistics of the full genome (no files), instruments =
    the strongest variant of each LD block below the threshold (the planned blocks are independent,
    so this is what clumping aims at), ambiguous palindromes (ALT frequency 0.42-0.58) dropped as
    harmonisation action 2 does, then TwoSampleMR's IVW (multiplicative random effects, floored).
    """
    from scipy import stats

    from mrkit.simulate.build import stream
    from mrkit.simulate.calibration import load_calibration, ratio_estimand
    from mrkit.simulate.genome import make_genome
    from mrkit.simulate.sumstats import draw_sumstats, plant_effects

    cal = load_calibration()
    genome = make_genome(cal, cal.sizes["full"].n_variants, stream(seed, "genome"))
    truth = plant_effects(cal, genome, stream(seed, "effects"))
    ss = draw_sumstats(cal, genome, np.arange(len(genome)), truth, stream(seed, "noise"))
    traits = list(cal.trait_order)
    total = ratio_estimand(truth.b_matrix)  # what univariable IVW estimates (truth.json "beta"), mediators included
    ambiguous = genome.palindromic & (np.abs(genome.alt_freq - 0.5) < 0.08)
    rows = []
    for exposure, outcome, threshold in DIRECTIONS:
        j, m = traits.index(exposure), traits.index(outcome)
        hits = np.flatnonzero((ss.p[:, j] < threshold) & ~ambiguous)
        hits = hits[np.argsort(ss.p[hits, j], kind="stable")]
        lead = hits[np.unique(genome.block[hits], return_index=True)[1]]
        bx, by, w = ss.beta[lead, j], ss.beta[lead, m], 1.0 / ss.se[lead, m] ** 2
        est = np.sum(w * bx * by) / np.sum(w * bx * bx)
        q = np.sum(w * (by - est * bx) ** 2)
        se = max(1.0, np.sqrt(q / (lead.size - 1))) / np.sqrt(np.sum(w * bx * bx))
        rows.append({"seed": seed, "exposure": exposure, "outcome": outcome, "truth": total[m, j],
                     "estimate": est, "se": se, "p": 2 * stats.norm.sf(abs(est / se)),
                     "ci_lower": est - 1.959964 * se, "ci_upper": est + 1.959964 * se, "nsnp": lead.size})
    return rows


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per direction: power / false-positive rate at 0.05 and 0.005, coverage, with Monte Carlo SEs."""
    def mc(x):  # binomial Monte Carlo SE of a share
        return np.sqrt(x * (1 - x) / n)

    out = []
    for (exposure, outcome), g in table.groupby(["exposure", "outcome"], sort=False):
        n = len(g)
        p05, p005 = float(np.mean(g["p"] < ALPHA)), float(np.mean(g["p"] < BONFERRONI))
        cover = float(np.mean((g["ci_lower"] <= g["truth"]) & (g["truth"] <= g["ci_upper"])))
        out.append({"direction": f"{exposure} -> {outcome}", "truth": g["truth"].iloc[0], "seeds": n,
                    "nsnp": g["nsnp"].mean(), "mean_est": g["estimate"].mean(), "mean_se": g["se"].mean(),
                    "p<0.05": p05, "mcse_05": mc(p05), "p<0.005": p005, "mcse_005": mc(p005),
                    "coverage": cover, "mcse_cov": mc(cover)})
    return pd.DataFrame(out)


def run_pipeline(seeds: range, size: str) -> list[dict]:
    """Every seed's panel built into a temporary cache (the project's cache is untouched) and analysed."""
    from mrkit.simulate.build import default_dir

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="mrkit-power-") as tmp:
        os.environ["MRKIT_CACHE"] = tmp
        for seed in seeds:
            rows += one_seed(seed, size)
            shutil.rmtree(default_dir(size, seed), ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="number of consecutive seeds (default 20)")
    parser.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    parser.add_argument("--size", choices=("full", "small"), default="full")
    parser.add_argument("--csv", type=Path, help="also write every seed's rows to this CSV")
    parser.add_argument("--approximate", action="store_true",
                        help="quick stand-in for the pipeline (no files, lead variant per LD block), for design")
    args = parser.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    start = time.perf_counter()
    if args.approximate:
        rows = [row for seed in seeds for row in one_seed_approximate(seed)]
        what = "APPROXIMATE stand-in (not the pipeline), full genome"
    else:
        rows = run_pipeline(seeds, args.size)
        what = f"{args.size} panel, the book's pipeline"
    table = pd.DataFrame(rows)
    if args.csv:
        table.to_csv(args.csv, index=False)
    print(f"\n{what}, seeds {seeds.start}..{seeds.stop - 1} ({len(seeds)}), IVW (TwoSampleMR default), "
          f"{time.perf_counter() - start:.0f} s in all")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3g}".format):
        print(summary(table).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
