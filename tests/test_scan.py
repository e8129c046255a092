"""``mrkit scan`` and the Dask runners: a small synthetic phenome scanned serially and on a LocalCluster of
2 worker processes (loopback only), failures recorded, resume after an interruption, the loss of a worker,
and the simulation study's numbers whatever the number of workers and the chunk size.

Clusters are started with timeouts and closed by their context managers (workers included); every scan
on a cluster has a timeout, so a hang fails the test instead of blocking the run.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.scan.engine import run_scan
from mrkit.scan.manifest import load_manifest, parse_manifest
from mrkit.scan.tasks import exposure_instruments

SCAN_TIMEOUT = 240  # seconds a scan on a cluster may take here before the test fails


# ---------------------------------------------------------------------------------------------------
# fixtures: a small synthetic phenome, a manifest with a broken exposure and a too-sparse outcome
# ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def phenome(tmp_path_factory):
    from mrkit.simulate.phenome import build_phenome

    return build_phenome(tmp_path_factory.mktemp("phenome") / "ph", n_traits=6, n_planted=3, seed=314159265)


@pytest.fixture(scope="module")
def manifest_file(phenome, tmp_path_factory):
    """insomnia and LBP (the panel's files), a truncated copy of insomnia's file, against the six phenome
    traits and a tiny outcome that holds only two of insomnia's instruments (min_snps = 3)."""
    generated = load_manifest(phenome / "scan.toml")
    folder = tmp_path_factory.mktemp("manifest")
    insomnia, lbp = generated.exposures["insomnia"], generated.exposures["lbp"]
    broken = folder / "broken.tsv.gz"
    data = Path(insomnia.location).read_bytes()
    broken.write_bytes(data[: len(data) // 2])  # a download cut in the middle
    inst = exposure_instruments(insomnia, generated.settings, 5e-8)
    two = inst.table.head(2)
    sparse = folder / "sparse.tsv"
    pd.DataFrame({"SNP": two["snp"], "effect_allele": two["effect_allele"], "other_allele": two["other_allele"],
                  "eaf": two["eaf"],
                  "beta": 0.01, "se": 0.01, "p": 0.3}).to_csv(sparse, sep="\t", index=False)
    lines = ["[settings]", 'methods = ["ivw", "egger", "weighted_median"]', "min_snps = 3", "n_boot = 200",
             f'reference = "{generated.settings.reference}"', ""]
    for trait, src, extra in (("insomnia", insomnia, ""), ("lbp", lbp, f"p_threshold = 5e-6\nncase = {lbp.ncase}\n"
                                                                     f"ncontrol = {lbp.ncontrol}"),
                              ("broken", None, "")):
        where = str(broken) if src is None else src.location
        lines += ["[[exposure]]", f'id = "{trait}"', f'file = "{where}"', extra, ""]
    for trait, src in generated.outcomes.items():
        lines += ["[[outcome]]", f'id = "{trait}"', f'file = "{src.location}"', f"n = {src.n}", ""]
    lines += ["[[outcome]]", 'id = "sparse"', 'file = "sparse.tsv"', ""]
    path = folder / "scan.toml"
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="module")
def serial(manifest_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    report = run_scan(load_manifest(manifest_file), out, progress=False)
    return report, pd.read_parquet(out / "results.parquet")


@pytest.fixture(scope="module")
def client2():
    from mrkit.scan.cluster import dask_client

    with dask_client(n_workers=2, timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
        yield client


def _pairs(table: pd.DataFrame) -> list[tuple[str, str]]:
    return list(dict.fromkeys(zip(table["exposure"], table["outcome"])))


# ---------------------------------------------------------------------------------------------------
# the serial path: every pair once, failures with their reasons, estimates near the planted truth
# ---------------------------------------------------------------------------------------------------
def test_serial_scan_records_failures_and_recovers_planted_effects(serial, manifest_file, phenome):
    report, table = serial
    manifest = load_manifest(manifest_file)
    assert report.complete and report.computed == len(manifest.pairs) == 3 * 7
    assert _pairs(table) == [(p.exposure, p.outcome) for p in manifest.pairs]  # manifest order, each once
    failed = table[table["status"] == "failed"]
    assert set(failed["exposure"]) >= {"broken"}
    assert failed.loc[failed["exposure"] == "broken", "reason"].str.contains("truncated or corrupt gzip").all()
    sparse = failed[(failed["outcome"] == "sparse") & (failed["exposure"] == "insomnia")]
    assert len(sparse) == 1 and "too few SNPs: 2 instrument(s)" in sparse["reason"].iloc[0]
    ok = table[table["status"] == "ok"]
    assert set(ok["method"]) == {"ivw", "egger", "weighted_median"} and ok["convention"].eq("twosamplemr").all()
    assert ok["n_boot"].dropna().eq(200).all()
    # harmonisation log of every pair, written beside its result
    log = Path(report.table).parent / "logs" / "insomnia" / "trait001.json"
    import json

    doc = json.loads(log.read_text())
    ivw = table[(table["exposure"] == "insomnia") & (table["outcome"] == "trait001") & (table["method"] == "ivw")]
    assert doc["status"] == "ok" and doc["harmonisation"]["kept"] == ivw["nsnp"].iloc[0]
    # the planted effects (machine-readable truth) are recovered by IVW within 4 SE
    from mrkit.simulate.phenome import phenome_truth

    truth = phenome_truth(phenome)
    ivw = ok[ok["method"] == "ivw"].astype({"exposure": str, "outcome": str}).merge(truth, on=["exposure", "outcome"])
    planted = ivw[ivw["direct_effect"] != 0]
    assert len(planted) >= 1
    assert (np.abs(planted["estimate"] - planted["total_effect"]) < 4 * planted["se"]).all()


def test_outcome_lookup_reads_only_the_requested_variants(phenome):
    """read_sumstats(snps=...) streams the union of instruments: equal to filtering a full read."""
    from mrkit.gwas.io import read_sumstats

    manifest = load_manifest(phenome / "scan.toml")
    for source in [manifest.exposures["short_sleep"], manifest.exposures["lbp"], manifest.outcomes["trait002"],
                   manifest.outcomes["trait001"]]:  # GWAS-VCF, FinnGen, FinnGen, Neale
        full = read_sumstats(source.location, source.format)
        wanted = list(full["snp"].iloc[::997]) + ["1:1:A:C_not_there"]
        part = read_sumstats(source.location, source.format, snps=wanted)
        expected = full[full["snp"].isin(wanted)].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected)
        assert part.attrs["not_requested"] == len(full) - len(expected)
        assert part.attrs["snps_requested"] == len(set(wanted))


# ---------------------------------------------------------------------------------------------------
# the Dask path
# ---------------------------------------------------------------------------------------------------
def test_scan_on_a_local_cluster_of_two_workers_equals_the_serial_loop(serial, manifest_file, client2, tmp_path):
    _, expected = serial
    report = run_scan(load_manifest(manifest_file), tmp_path / "out", client=client2, progress=False,
                      timeout=SCAN_TIMEOUT)
    assert report.complete and report.mode == "dask"
    pd.testing.assert_frame_equal(pd.read_parquet(report.table), expected)


def test_losing_a_worker_mid_scan_loses_and_duplicates_nothing(serial, manifest_file, tmp_path):
    from mrkit.scan.cluster import dask_client

    _, expected = serial
    seen: list[tuple[str, str]] = []
    killed: list[int] = []
    with dask_client(n_workers=2, timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)

        def kill_once(result):
            seen.append((result.pair.exposure, result.pair.outcome))
            if not killed:
                # the worker holding the most results (file reads, finished pairs not yet gathered)
                held = client.has_what()
                victim = max(pids, key=lambda w: len(held.get(w, ())))
                killed.append(pids[victim])
                os.kill(pids[victim], signal.SIGKILL)

        report = run_scan(load_manifest(manifest_file), tmp_path / "out", client=client, progress=False,
                          on_result=kill_once, timeout=SCAN_TIMEOUT)
        assert killed and killed[0] not in client.run(os.getpid).values()  # it really died
    assert report.complete
    assert len(seen) == len(set(seen)) == len(_pairs(expected))  # every pair written once
    pd.testing.assert_frame_equal(pd.read_parquet(report.table), expected)


# ---------------------------------------------------------------------------------------------------
# resume
# ---------------------------------------------------------------------------------------------------
def test_an_interrupted_scan_resumes_from_the_pairs_already_written(serial, manifest_file, tmp_path):
    _, expected = serial
    manifest = load_manifest(manifest_file)
    out = tmp_path / "out"
    done: list = []

    def stop_after_five(result):
        done.append(result.pair)
        if len(done) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_scan(manifest, out, progress=False, on_result=stop_after_five)
    assert len(list((out / "pairs").rglob("*.parquet"))) == 5
    assert not (out / "results.parquet").exists()
    assert not list(out.rglob("*.tmp"))  # no half-written file left
    again: list = []
    report = run_scan(manifest, out, progress=False, on_result=lambda r: again.append(r.pair))
    assert report.already_done == 5 and report.computed == len(manifest.pairs) - 5
    assert not set(again) & set(done)
    pd.testing.assert_frame_equal(pd.read_parquet(report.table), expected)
    # a third run has nothing to do; retrying the failures recomputes exactly those
    assert run_scan(manifest, out, progress=False).computed == 0
    retried = run_scan(manifest, out, progress=False, retry_failed=True)
    assert retried.computed == int((expected.drop_duplicates(["exposure", "outcome"])["status"] == "failed").sum())


def test_a_changed_input_file_makes_its_pairs_stale(serial, manifest_file, tmp_path):
    manifest = load_manifest(manifest_file)
    out = tmp_path / "out"
    run_scan(manifest, out, progress=False)
    sparse = Path(manifest.outcomes["sparse"].location)
    copy = tmp_path / "sparse.tsv"
    shutil.copy(sparse, copy)
    try:
        sparse.write_text(sparse.read_text() + "\n")
        os.utime(sparse, ns=(sparse.stat().st_atime_ns, sparse.stat().st_mtime_ns + 10**9))
        report = run_scan(manifest, out, progress=False)
    finally:
        shutil.copy(copy, sparse)
    assert report.computed == len(manifest.exposures)  # the pairs of the changed outcome only


def test_a_folder_of_another_scan_is_refused_not_overwritten(manifest_file, tmp_path):
    manifest = load_manifest(manifest_file)
    out = tmp_path / "out"
    (out / "pairs").mkdir(parents=True)
    with pytest.raises(InputError, match="not a scan folder"):
        run_scan(manifest, out, progress=False)
    other = tmp_path / "other"
    text = manifest_file.read_text().replace("n_boot = 200", "n_boot = 300")
    other_manifest = tmp_path / "m.toml"
    other_manifest.write_text(text.replace('"sparse.tsv"', f'"{manifest_file.parent}/sparse.tsv"'))
    with pytest.raises(KeyboardInterrupt):
        run_scan(load_manifest(other_manifest), other, progress=False, on_result=_stop_now)
    with pytest.raises(InputError, match="other settings"):
        run_scan(manifest, other, progress=False)


def _stop_now(result):
    raise KeyboardInterrupt


# ---------------------------------------------------------------------------------------------------
# damaged files of a scan folder are never trusted (issue 21)
# ---------------------------------------------------------------------------------------------------
def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_eight_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 8):
        data[i] ^= 0x01  # (in a log: mostly still JSON, with other numbers)
    path.write_bytes(bytes(data))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _another_format(path: Path) -> None:
    if path.suffix == ".parquet":  # rows of another layout
        pd.DataFrame({"exposure": ["x"], "estimate": [0.5]}).to_parquet(path)
    else:  # a log as format 1 wrote it: no checksums
        import json

        doc = json.loads(path.read_text())
        path.write_text(json.dumps({k: v for k, v in doc.items() if k not in ("self_sha256", "result")}))


def test_damaged_pair_files_are_reported_in_one_line_each_and_computed_again(serial, manifest_file, tmp_path, capsys):
    report, expected = serial
    manifest = load_manifest(manifest_file)
    out = tmp_path / "out"
    shutil.copytree(Path(report.table).parent, out)
    run_scan(manifest, out, progress=False)  # current (another test rewrites an input: its pairs are stale here)
    damages = [(kind, damage, pair) for (kind, damage), pair in zip(
        [(k, d) for k in ("pairs", "logs") for d in (_truncate, _flip_eight_bytes, _empty, _another_format)],
        manifest.pairs[::2])]
    files = []
    for kind, damage, pair in damages:
        path = out / kind / pair.exposure / (f"{pair.outcome}.parquet" if kind == "pairs" else f"{pair.outcome}.json")
        damage(path)
        files.append(path)
    again: list = []
    capsys.readouterr()
    rerun = run_scan(manifest, out, progress=False, on_result=lambda r: again.append(r.pair))
    assert sorted(again, key=str) == sorted((p for _, _, p in damages), key=str)  # those, and only those
    pd.testing.assert_frame_equal(pd.read_parquet(rerun.table), expected)  # the same numbers
    err = capsys.readouterr().err.splitlines()
    assert len(err) == len(files) and "Traceback" not in "\n".join(err)
    for line, path in zip(err, files):
        assert line.startswith(f"mrkit: {path}: ") and line.endswith("; computing the pair again"), line
    # the table itself: read through its checksum
    from mrkit.scan.store import read_results

    pd.testing.assert_frame_equal(read_results(out), expected)
    _flip_eight_bytes(out / "results.parquet")
    with pytest.raises(InputError, match="damaged: its sha256 differs"):
        read_results(out)


def test_a_damaged_phenome_file_is_reported_and_the_phenome_built_again_the_same(phenome, tmp_path, capsys):
    from mrkit.simulate.phenome import ensure_phenome

    folder = tmp_path / "phenome"
    shutil.copytree(phenome, folder)
    names = sorted(str(p.relative_to(phenome)) for p in phenome.rglob("*")
                   if p.is_file() and p.name != ".verified.json")
    original = {n: (phenome / n).read_bytes() for n in names}
    assert ensure_phenome(6, 3, seed=314159265, out_dir=folder) == folder  # intact: used as it is
    for damage, name in ((_flip_eight_bytes, "gwas/trait001.neale.tsv.gz"), (_truncate, "phenome_truth.tsv"),
                         (_empty, "scan.toml")):
        capsys.readouterr()
        damage(folder / name)
        ensure_phenome(6, 3, seed=314159265, out_dir=folder)
        assert {n: (folder / n).read_bytes() for n in names} == original, name
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and name in err and err.rstrip().endswith("building the phenome again")


def test_a_scan_folder_of_the_previous_format_is_computed_again_said_once(serial, manifest_file, tmp_path, capsys):
    import json

    report, expected = serial
    out = tmp_path / "out"
    shutil.copytree(Path(report.table).parent, out)
    run_scan(load_manifest(manifest_file), out, progress=False)  # current (see above)
    info = json.loads((out / "scan.json").read_text())
    (out / "scan.json").write_text(json.dumps({**info, "format_version": 1}))
    for log in (out / "logs").rglob("*.json"):
        _another_format(log)
    capsys.readouterr()
    rerun = run_scan(load_manifest(manifest_file), out, progress=False)
    assert rerun.already_done == 0 and rerun.computed == len(load_manifest(manifest_file).pairs)
    pd.testing.assert_frame_equal(pd.read_parquet(rerun.table), expected)
    err = capsys.readouterr().err.splitlines()
    assert err == [f"mrkit: {out}: written by an older mrkit (format 1), without checksums; its pairs are computed "
                   "again"]
    (out / "scan.json").write_text(json.dumps({**info, "format_version": 99}))
    with pytest.raises(InputError, match="another version of mrkit"):
        run_scan(load_manifest(manifest_file), out, progress=False)


# ---------------------------------------------------------------------------------------------------
# the manifest
# ---------------------------------------------------------------------------------------------------
def test_manifest_defaults_pairs_and_errors(tmp_path):
    text = ('[[exposure]]\nid = "a"\nfile = "a.tsv"\n[[exposure]]\nid = "b"\nfile = "b.tsv"\n'
            '[[outcome]]\nid = "a"\nfile = "a.tsv"\n[[outcome]]\nid = "c"\nfile = "c.tsv"\n')
    m = parse_manifest(text, tmp_path / "m.toml")
    assert [(p.exposure, p.outcome) for p in m.pairs] == [("a", "c"), ("b", "a"), ("b", "c")]  # never a -> a
    assert m.exposures["a"].location == str(tmp_path / "a.tsv")
    assert m.settings.methods is None and m.settings.seed == 314159265 and m.settings.p_threshold == 5e-8
    explicit = parse_manifest(text + '[[pair]]\nexposure = "b"\noutcome = "c"\n', tmp_path / "m.toml")
    assert [(p.exposure, p.outcome) for p in explicit.pairs] == [("b", "c")]
    bad = {
        "typo": (text.replace('file = "c.tsv"', 'flie = "c.tsv"'), r"unknown key\(s\) \['flie'\]"),
        "duplicate": (text + '[[outcome]]\nid = "c"\nfile = "d.tsv"\n', "listed twice"),
        "method": ("[settings]\nmethods = [\"ivw\", \"magic\"]\n" + text, r"unknown method\(s\) \['magic'\]"),
        "threshold": ("[settings]\np_threshold = 2.0\n" + text, r"p_threshold must be in \(0, 1\]"),
        "pair": (text + '[[pair]]\nexposure = "z"\noutcome = "c"\n', "does not list"),
        "id": (text.replace('id = "c"', 'id = "c/d"'), "id must be letters"),
    }
    # an id names folders of the scan: matched whole (a "$" matched before a trailing newline, issue 21)
    for bad_id in (r"c\n", "..", "c/..", r"c\u0000d", " c", ".c", "c d"):
        bad[bad_id] = (text.replace('id = "c"', f'id = "{bad_id}"'), "id must be letters")
    for bad_text, message in bad.values():
        with pytest.raises(InputError, match=message):
            parse_manifest(bad_text, tmp_path / "m.toml")
    with pytest.raises(InputError, match="line 2") as info:
        parse_manifest("[settings]\nseed = = 3\n", tmp_path / "m.toml")
    assert info.value.file == str(tmp_path / "m.toml")


# ---------------------------------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------------------------------
def test_mrkit_scan_command_serial_and_help_stays_free_of_dask(manifest_file, tmp_path, capsys):
    import subprocess

    from mrkit.cli import main

    assert main(["scan", str(manifest_file), "-o", str(tmp_path / "out"), "--serial", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "21 pairs: 0 already done, 21 computed (9 failed" in printed
    assert "(serial)" in printed
    assert main(["scan", str(tmp_path / "missing.toml"), "-o", str(tmp_path / "o2"), "--serial"]) == 2
    code = ("import sys; from mrkit.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_scan_whose_pairs_all_failed_exits_4_naming_the_most_frequent_reason(manifest_file, tmp_path, capsys):
    """Issue 21: it exited 0. The broken exposure (a gzip file cut in the middle) against every outcome."""
    from mrkit.cli import main

    manifest = load_manifest(manifest_file)
    lines = ["[settings]", 'methods = ["ivw"]', f'reference = "{manifest.settings.reference}"',
             "[[exposure]]", 'id = "broken"', f'file = "{manifest.exposures["broken"].location}"']
    for trait, source in manifest.outcomes.items():
        lines += ["[[outcome]]", f'id = "{trait}"', f'file = "{source.location}"']
    (path := tmp_path / "all-fail.toml").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["scan", str(path), "-o", str(out), "--serial", "--no-progress"]) == 4
    table = pd.read_parquet(out / "results.parquet")
    reason = table["reason"].iloc[0]
    assert (table["status"] == "failed").all() and (table["reason"] == reason).all()
    assert "truncated or corrupt gzip" in reason
    err = capsys.readouterr().err
    n = len(manifest.outcomes)
    assert err == f"mrkit scan: error: all {n} pairs failed; the most frequent reason ({n} of them): {reason}\n"
    # run again: nothing to compute, the same answer; the help states the codes
    assert main(["scan", str(path), "-o", str(out), "--serial", "--no-progress"]) == 4
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    assert "4 every pair failed" in " ".join(capsys.readouterr().out.split())


def test_ctrl_c_during_a_dask_scan_closes_the_cluster_quietly_and_the_scan_resumes(manifest_file, serial, tmp_path):
    """Issue 21: each worker printed a KeyboardInterrupt traceback. Ctrl-C in a terminal sends SIGINT to the whole
    process group (the LocalCluster's workers too): the scan runs in its own session and the group gets SIGINT
    once the first pair is written. n_boot is raised so that the scan is still running by then."""
    import subprocess
    import time

    text = manifest_file.read_text().replace("n_boot = 200", "n_boot = 20000")
    (slow := tmp_path / "slow.toml").write_text(text.replace('"sparse.tsv"', f'"{manifest_file.parent}/sparse.tsv"'))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "mrkit.cli", "scan", str(slow), "-o", str(out), "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + SCAN_TIMEOUT
        while not list(out.glob("logs/*/*.json")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the scan ended before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err == (f"mrkit scan: interrupted; the pairs written in {out} stay, and the same command resumes after "
                   "them\n")
    written = len(list(out.glob("logs/*/*.json")))
    assert 1 <= written < len(load_manifest(slow).pairs) and not (out / "results.parquet").exists()
    report = run_scan(load_manifest(slow), out, progress=False)  # resumes, in this process
    assert report.already_done == written and report.already_done + report.computed == len(load_manifest(slow).pairs)
    fresh = run_scan(load_manifest(slow), tmp_path / "fresh", progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(report.table), pd.read_parquet(fresh.table))


def test_a_second_scan_into_the_same_folder_waits_then_resumes_after_the_first(manifest_file, tmp_path):
    """Found while staging issue 21: two scans into one folder both computed every pair."""
    import subprocess
    import time

    text = manifest_file.read_text().replace("n_boot = 200", "n_boot = 20000")
    (slow := tmp_path / "slow.toml").write_text(text.replace('"sparse.tsv"', f'"{manifest_file.parent}/sparse.tsv"'))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "mrkit.cli", "scan", str(slow), "-o", str(out), "--serial", "--no-progress"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path / ".out.lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and f"pid {first.pid}," not in (lock.read_text() if lock.exists() else ""):
        time.sleep(0.02)
    assert first.poll() is None
    second = subprocess.run(command, capture_output=True, text=True, timeout=600)
    out1, _ = first.communicate(timeout=600)
    n = len(load_manifest(slow).pairs)
    assert first.returncode == second.returncode == 0
    assert f"{n} pairs: 0 already done, {n} computed" in out1
    assert f"{n} pairs: {n} already done, 0 computed" in second.stdout
    assert second.stderr.startswith(f"mrkit scan: another scan is writing into {out} (pid {first.pid}, started ")
    assert second.stderr.rstrip().endswith("waiting for it to finish, then resuming after the pairs it wrote")
    assert len(second.stderr.splitlines()) == 1


# ---------------------------------------------------------------------------------------------------
# the simulation study as a Dask graph
# ---------------------------------------------------------------------------------------------------
TINY = {"n_rep": 50, "n_snps": 20, "betas": (0.0, 0.05), "n_boot_median": 40, "n_boot_mode": 20, "presso_n": 40,
        "seed_block": 25}


def test_simulation_numbers_are_identical_with_one_and_two_workers_and_two_chunk_sizes(client2):
    from mrkit.paper import simulation_study as sim
    from mrkit.scan.cluster import dask_client

    scenarios = ["valid", "outliers"]
    reference = sim.run_simulation(scenarios, TINY, seed=11, chunk_size=50)  # in this process
    assert len(reference) == 2 * 2 * 50 * len(sim.SIM_METHODS)
    with dask_client(n_workers=1, timeout=60) as one:
        on_one = sim.run_simulation(scenarios, TINY, seed=11, chunk_size=50, client=one)
    on_two = sim.run_simulation(scenarios, TINY, seed=11, chunk_size=25, client=client2)
    pd.testing.assert_frame_equal(on_one, reference)
    pd.testing.assert_frame_equal(on_two, reference)
    pd.testing.assert_frame_equal(sim.summarise_simulation(on_two), sim.summarise_simulation(reference))
    # a scenario's numbers do not depend on which other scenarios run beside it
    alone = sim.run_simulation(["outliers"], TINY, seed=11, chunk_size=25)
    pd.testing.assert_frame_equal(alone, reference[reference["scenario"] == "outliers"].reset_index(drop=True))
    # another seed gives other numbers
    assert not sim.run_simulation(["valid"], TINY, seed=12)["estimate"].equals(
        reference[reference["scenario"] == "valid"]["estimate"].reset_index(drop=True))


def test_block_seeds_are_seedsequence_children_per_scenario_effect_and_block():
    from mrkit.paper import simulation_study as sim

    seeds = sim.block_seeds(7, 3, 1, 4)
    # independent computation: spawning i, then j, then b gives the spawn key (i, j, b)
    by_key = [int(np.random.SeedSequence(7, spawn_key=(3, 1, b)).generate_state(1, np.uint64)[0] >> np.uint64(1))
              for b in range(4)]
    assert seeds == by_key and len(set(seeds)) == 4
    with pytest.raises(InputError, match="multiple of the seed block"):
        sim.run_simulation(["valid"], TINY, seed=1, chunk_size=30)


# ---------------------------------------------------------------------------------------------------
# the false discovery rate against the truth
# ---------------------------------------------------------------------------------------------------
def test_benjamini_hochberg_discoveries_and_false_discovery_proportion():
    from mrkit.paper.phenome_scan import discoveries, fdr_summary

    # hand computation (Benjamini & Hochberg 1995): sorted p 0.001, 0.008, 0.039, 0.041, 0.6 with m = 5;
    # q_(i) = min_{j>=i} p_(j) m / j = 0.005, 0.02, 0.05125, 0.05125, 0.6
    p = [0.039, 0.001, 0.6, 0.008, 0.041]
    results = pd.DataFrame({"exposure": "x", "outcome": [f"t{i}" for i in range(5)], "method": "ivw",
                            "status": "ok", "estimate": 0.1, "se": 0.05, "p": p})
    truth = pd.DataFrame({"exposure": "x", "outcome": [f"t{i}" for i in range(5)], "planted_exposure": "",
                          "direct_effect": [0.0, 0.2, 0.0, 0.0, 0.0], "total_effect": [0.0, 0.2, 0.0, 0.05, 0.0],
                          "null": [True, False, True, False, True]})
    table = discoveries(results, truth, q=0.05)
    np.testing.assert_allclose(table["q_value"], [0.05125, 0.005, 0.6, 0.02, 0.05125])
    assert table["discovered"].tolist() == [False, True, False, True, False]
    s = fdr_summary(table)
    assert (s["discoveries"], s["false_discoveries"], s["planted_direct_found"], s["indirect_found"]) == (2, 0, 1, 1)
    loose = fdr_summary(discoveries(results, truth, q=0.06))
    assert (loose["discoveries"], loose["false_discoveries"], loose["fdp"]) == (4, 2, 0.5)


def test_mrkit_scan_on_an_existing_scheduler_and_an_unreachable_one(manifest_file, client2, serial, tmp_path, capsys):
    from mrkit.cli import main

    address = client2.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    assert main(["scan", str(manifest_file), "-o", str(tmp_path / "out"), "--scheduler", address,
                 "--no-progress"]) == 0
    assert "21 computed (9 failed" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "results.parquet"), serial[1])
    assert main(["scan", str(manifest_file), "-o", str(tmp_path / "o2"), "--scheduler", "tcp://127.0.0.1:9",
                 "--connect-timeout", "3", "--no-progress"]) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_one_file_as_exposure_and_outcome_of_a_pair_fails_the_pair_not_an_estimate_of_1(validation_dir, tmp_path):
    """The same GWAS under two ids (one file, two names in a manifest) gave every method exactly 1.0 with status
    ok; the pair fails with its reason, the other pair is estimated."""
    from mrkit.cli import main

    (tmp_path / "m.toml").write_text(
        '[settings]\nmethods = ["ivw"]\n'
        f'[[exposure]]\nid = "bmi"\nfile = "{validation_dir / "bmi_ieu-a-2_exposure.csv"}"\n'
        f'[[outcome]]\nid = "bmi_again"\nfile = "{validation_dir / "bmi_ieu-a-2_exposure.csv"}"\n'
        f'[[outcome]]\nid = "chd"\nfile = "{validation_dir / "chd_ieu-a-7_outcome.csv"}"\n')
    assert main(["scan", str(tmp_path / "m.toml"), "-o", str(tmp_path / "out"), "--serial", "--no-progress"]) == 0
    table = pd.read_parquet(tmp_path / "out" / "results.parquet").set_index("outcome")
    assert table.loc["bmi_again", "status"] == "failed"
    assert "holds the exposure's own associations: all 79 instruments" in table.loc["bmi_again", "reason"]
    assert table.loc["chd", "status"] == "ok"
    assert table.loc["chd", "estimate"] == pytest.approx(0.4459090969533985, rel=1e-9)  # expected/bmi_chd.json TSMR_ivw
