"""``mrkit scan`` with OpenGWAS ids, against the fake OpenGWAS server on 127.0.0.1 (tests/fake_opengwas.py).

The fake server serves the small synthetic panel under the study's dataset ids, clumping top hits with mrkit's
own clumping against the panel's reference (as the scan's file path does). So a scan whose exposures and
outcomes are OpenGWAS ids must give, pair by pair, the numbers of the same scan on the panel's files (as
test_opengwas_study.py checks for the Study); the JSON moves the files' floats without loss, so the comparison
is exact. Also: the requests a scan makes (one tophits per exposure id, associations in chunks of 64 variants
per outcome id, none refused by the fake, which holds them to the real server's limits), none on a second run,
proxies recorded in the pair's log, an unknown id recorded as failed
pairs, a refused or missing token and a used-up allowance stopping the scan (exit code 2) without losing the
pairs written, and the token written nowhere.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from fake_opengwas import FakeOpenGWAS
from fake_opengwas_contract import Window
from fake_opengwas_data import cache_with_panels, panel_datasets

import mrkit.gwas.opengwas as og
from mrkit.errors import InputError
from mrkit.scan.engine import ScanStopped, run_scan
from mrkit.scan.manifest import load_manifest, parse_manifest
from mrkit.scan.tasks import exposure_instruments

TOKEN = "scan-token-7c1d9e-secret"
# (trait, read through OpenGWAS?) in the mixed scan: two exposure ids and a file, two outcome ids and a file
EXPOSURES = (("insomnia", True), ("daytime_sleepiness", True), ("lbp", False))
OUTCOMES = (("lbp", True), ("sleep_duration", True), ("short_sleep", False))


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    """The small panel's files and the study's sources (dataset ids, sample sizes)."""
    from mrkit.gwas.sources import load_sources
    from mrkit.simulate import ensure_panel, panel_files

    return panel_files(ensure_panel(size="small")), load_sources(), tmp_path_factory.mktemp("manifests")


def manifest(panel, name: str, exposures=EXPOSURES, outcomes=OUTCOMES, extra: str = "") -> Path:
    """A manifest of the panel's traits, each a file or its OpenGWAS id; ``(name, "id:<dataset>")`` names any id."""
    files, sources, folder = panel
    lines = ["[settings]", 'methods = ["ivw", "egger", "weighted_median"]', "n_boot = 200",
             f'reference = "{files["ref"]}"', extra, ""]
    for role, traits in (("exposure", exposures), ("outcome", outcomes)):
        for trait, as_id in traits:
            lines += [f"[[{role}]]", f'id = "{trait}"']
            if isinstance(as_id, str):
                lines.append(f'opengwas = "{as_id}"')
            elif as_id:
                lines.append(f'opengwas = "{sources[trait].opengwas_id}"')
            else:
                path, fmt = files[trait]
                src = sources[trait]
                lines += [f'file = "{path}"', f'format = "{fmt}"']
                lines += ([f"ncase = {float(src.ncase)}", f"ncontrol = {float(src.ncontrol)}"] if src.ncase
                          else [f"n = {float(src.n)}"])
            if role == "exposure" and trait == "lbp":
                lines.append("p_threshold = 5e-6")  # the study's threshold for LBP as the exposure
            lines.append("")
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The fake server on the small panel, a private data cache (the panels linked in), the token set."""
    cache = cache_with_panels(tmp_path_factory.mktemp("cache"))
    mp = pytest.MonkeyPatch()
    mp.setenv("MRKIT_CACHE", str(cache))
    mp.setenv(og.TOKEN_ENV, TOKEN)
    mp.setattr(og.client, "BACKOFF_S", 0.01)
    with FakeOpenGWAS(panel_datasets("small"), token=TOKEN) as api:
        mp.setenv(og.URL_ENV, api.url)
        yield api, cache
    mp.undo()


@pytest.fixture(scope="module")
def on_files(panel, served, tmp_path_factory):
    """The scan on the panel's files only: the reference every OpenGWAS scan is compared with."""
    path = manifest(panel, "files", [(t, False) for t, _ in EXPOSURES], [(t, False) for t, _ in OUTCOMES])
    report = run_scan(load_manifest(path), tmp_path_factory.mktemp("files") / "out", progress=False)
    assert report.complete and report.opengwas is None  # no client made for a scan of files
    return pd.read_parquet(report.table), load_manifest(path)


@pytest.fixture(scope="module")
def on_ids(panel, served, on_files, tmp_path_factory):
    """The mixed scan (ids and files), run first against an empty cache: (report, table, folder, requests)."""
    api, _ = served
    before = len(api.requests())
    out = tmp_path_factory.mktemp("ids") / "out"
    report = run_scan(load_manifest(manifest(panel, "ids")), out, progress=False)
    return report, pd.read_parquet(report.table), out, api.requests()[before:]


def fresh_cache(tmp_path: Path, monkeypatch) -> Path:
    """An empty data cache (the panels linked in): every OpenGWAS answer must be asked for."""
    cache = cache_with_panels(tmp_path / "cache")
    monkeypatch.setenv("MRKIT_CACHE", str(cache))
    return cache


def _holding(text: str, *roots: Path) -> list[Path]:
    """Files under ``roots`` whose bytes contain ``text`` (the panels linked into a cache are not searched)."""
    found = []
    for root in roots:
        for path in Path(root).rglob("*"):
            linked = "synthetic" in path.relative_to(root).parts[:1]
            if path.is_file() and not linked and text.encode() in path.read_bytes():
                found.append(path)
    return found


# ---------------------------------------------------------------------------------------------------
# the same numbers as the files, with the requests TwoSampleMR would make
# ---------------------------------------------------------------------------------------------------
def test_a_scan_of_opengwas_ids_equals_the_scan_of_the_files_pair_by_pair(on_files, on_ids):
    expected, _ = on_files
    report, table, _, _ = on_ids
    assert report.complete and report.computed == 8 and report.failed == 0
    assert (table["status"] == "ok").all() and table["nsnp"].min() >= 3
    pd.testing.assert_frame_equal(table, expected, check_exact=True)  # estimates, SEs, p, nsnp, every column


def test_one_tophits_per_exposure_id_and_associations_in_chunks_of_64_per_outcome_id(panel, served, on_files, on_ids):
    _, cache = served
    _, files_manifest = on_files
    report, _, out, requests = on_ids
    tophits = [r.body["id"] for r in requests if r.endpoint == "tophits"]
    assert sorted(tophits) == [["ukb-a-13"], ["ukb-a-15"]]  # insomnia, daytime sleepiness: once each
    assert not [r for r in requests if r.endpoint == "gwasinfo"]
    # the union of the instruments of the exposures paired with each outcome id, from the file path
    inst = {e: exposure_instruments(files_manifest.exposures[e], files_manifest.settings,
                                    files_manifest.exposure_threshold(e)).table["snp"] for e, _ in EXPOSURES}
    union = {"finn-b-M13_LOWBACKPAIN": set(inst["insomnia"]) | set(inst["daytime_sleepiness"]),
             "ukb-a-9": set().union(*inst.values())}
    for dataset, wanted in union.items():
        asked = [r.body for r in requests if r.endpoint == "associations" and r.body["id"] == [dataset]]
        assert len(asked) == math.ceil(len(wanted) / og.MAX_PAIRS)
        assert all(len(b["variant"]) * len(b["id"]) <= og.MAX_PAIRS and b["proxies"] == 1 for b in asked)
        assert [v for b in asked for v in b["variant"]] == sorted(wanted)  # each variant once, sorted
    assert len(union["ukb-a-9"]) > og.MAX_PAIRS  # so the chunking is exercised
    assert len(requests) == report.opengwas["sent"] == 2 + sum(
        math.ceil(len(w) / og.MAX_PAIRS) for w in union.values())
    assert all(r.status == 200 for r in requests)  # the strict fake refused none
    # each pair's log names the answers it used, with the checksums of the cached answers
    log = json.loads((out / "logs" / "insomnia" / "sleep_duration.json").read_text())
    store = og.ResponseCache(cache / "opengwas")
    for answer in log["instruments"]["answers"] + log["outcome_read"]["answers"]:
        assert store.get(answer["key"]).sha256 == answer["sha256"]
    assert log["outcome_read"]["opengwas"] == "ukb-a-9" and log["outcome_read"]["requests"] == 2
    assert log["instruments"]["clump_engine"] == "OpenGWAS server (EUR reference)"


def test_a_second_scan_asks_nothing_and_needs_no_token(panel, served, on_ids, tmp_path, monkeypatch):
    api, cache = served
    _, expected, out, _ = on_ids
    before = len(api.requests())
    again = run_scan(load_manifest(manifest(panel, "ids")), out, progress=False)  # resumed: nothing to do
    assert again.computed == 0 and again.opengwas is None
    monkeypatch.delenv(og.TOKEN_ENV)
    fresh = run_scan(load_manifest(manifest(panel, "ids")), tmp_path / "out", progress=False)  # all from the cache
    assert fresh.opengwas["sent"] == 0 and fresh.opengwas["cached"] == len(on_ids[3])
    assert len(api.requests()) == before
    pd.testing.assert_frame_equal(pd.read_parquet(fresh.table), expected, check_exact=True)
    assert _holding(TOKEN, out, tmp_path, cache) == []  # the token is in no output and not in the cache


def test_changed_opengwas_options_make_only_the_pairs_of_outcome_ids_stale(panel, served, on_ids, tmp_path):
    api, _ = served
    path = manifest(panel, "ids")
    first = run_scan(load_manifest(path), tmp_path / "out", progress=False)
    assert first.opengwas["sent"] == 0
    no_proxies = manifest(panel, "no-proxies", extra="[opengwas]\nproxies = false")
    assert load_manifest(no_proxies).settings.fingerprint() == load_manifest(path).settings.fingerprint()
    before = len(api.requests())
    report = run_scan(load_manifest(no_proxies), tmp_path / "out", progress=False)
    assert report.already_done == 3 and report.computed == 5  # the pairs of the two outcome ids
    asked = api.requests()[before:]
    assert {r.endpoint for r in asked} == {"associations"} and all(r.body["proxies"] == 0 for r in asked)


# ---------------------------------------------------------------------------------------------------
# proxies, failures of one source
# ---------------------------------------------------------------------------------------------------
def test_proxy_rows_stand_in_and_each_pair_log_says_which(panel, served, on_files, tmp_path):
    _, files_manifest = on_files
    inst = exposure_instruments(files_manifest.exposures["insomnia"], files_manifest.settings, 5e-8).table
    hidden = set(inst["snp"][::3])  # a third of insomnia's instruments are missing from the LBP dataset
    path = manifest(panel, "proxies", [("insomnia", True)], [("lbp", True)])
    with FakeOpenGWAS(panel_datasets("small", hide={"lbp": hidden}), token=TOKEN) as other:
        client = og.Client(other.url, cache=og.ResponseCache(tmp_path / "answers"))
        report = run_scan(load_manifest(path), tmp_path / "out", progress=False, api=client)
        plain = manifest(panel, "no-proxies-1", [("insomnia", True)], [("lbp", True)], "[opengwas]\nproxies = false")
        without = run_scan(load_manifest(plain), tmp_path / "without", progress=False, api=client)
    log = json.loads((tmp_path / "out" / "logs" / "insomnia" / "lbp.json").read_text())
    by_proxy = log["by_proxy"]
    assert by_proxy and set(by_proxy) <= hidden  # targets the dataset lacks, each with the variant standing in
    assert not set(by_proxy.values()) & hidden and all(p != t for t, p in by_proxy.items())
    assert log["harmonisation"]["found_by_proxy"] == len(by_proxy) == log["outcome_read"]["found_by_proxy"]
    log_without = json.loads((tmp_path / "without" / "logs" / "insomnia" / "lbp.json").read_text())
    assert "by_proxy" not in log_without and log_without["harmonisation"]["absent_from_outcome"] == len(hidden)
    nsnp = [int(pd.read_parquet(r.table)["nsnp"].iloc[0]) for r in (report, without)]
    assert nsnp[0] > nsnp[1] and nsnp[0] == log["harmonisation"]["kept"]


def test_an_unknown_id_fails_its_pairs_with_the_reason_and_the_scan_goes_on(panel, served, on_ids):
    api, _ = served
    path = manifest(panel, "unknown", [("insomnia", True), ("ghost", "ieu-x-404")],
                    [("lbp", True), ("nowhere", "ieu-y-404")])
    before = len(api.requests())
    report = run_scan(load_manifest(path), path.parent / "unknown-out", progress=False)
    table = pd.read_parquet(report.table)
    assert report.complete and report.computed == 4 and report.failed == 3
    ok = table[table["status"] == "ok"]
    assert set(zip(ok["exposure"], ok["outcome"])) == {("insomnia", "lbp")}
    reasons = table[table["status"] == "failed"].set_index(["exposure", "outcome"])["reason"]
    assert reasons[("insomnia", "nowhere")].startswith("outcome nowhere: OpenGWAS has no dataset 'ieu-y-404'")
    for outcome in ("lbp", "nowhere"):
        assert reasons[("ghost", outcome)].startswith("exposure ghost: OpenGWAS has no dataset 'ieu-x-404'")
    asked = [(r.endpoint, r.body["id"]) for r in api.requests()[before:]]
    # insomnia's top hits are cached; the LBP rows of its instruments alone are another question than on_ids'
    assert sorted(asked) == [("associations", ["finn-b-M13_LOWBACKPAIN"]), ("associations", ["ieu-y-404"]),
                             ("gwasinfo", ["ieu-x-404"]), ("gwasinfo", ["ieu-y-404"]), ("tophits", ["ieu-x-404"])]


# ---------------------------------------------------------------------------------------------------
# failures of the whole scan: exit code 2, one line, nothing lost, resume
# ---------------------------------------------------------------------------------------------------
def test_a_refused_or_missing_token_stops_the_scan_with_exit_code_2(panel, served, tmp_path, monkeypatch, capsys):
    from mrkit.cli import main

    fresh_cache(tmp_path, monkeypatch)
    wrong = "wrong-token-0f3a55"
    monkeypatch.setenv(og.TOKEN_ENV, wrong)
    out = tmp_path / "out"
    assert main(["scan", str(manifest(panel, "ids")), "-o", str(out), "--serial", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "refused the token (HTTP 401" in err
    assert "0 of 8 pairs are written" in err and "run the same command again to resume" in err
    assert not (out / "results.parquet").exists() and not (out / "pairs").exists()
    assert _holding(wrong, out, tmp_path / "cache") == [] and wrong not in err
    monkeypatch.delenv(og.TOKEN_ENV)
    assert main(["scan", str(manifest(panel, "ids")), "-o", str(out), "--serial", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no OpenGWAS token" in err and og.PROFILE_URL in err


def test_a_used_up_allowance_stops_the_scan_and_a_later_run_resumes(panel, served, on_files, on_ids, tmp_path,
                                                                   monkeypatch):
    expected, _ = on_files
    all_requests = on_ids[3]  # the mixed scan's requests on an empty cache, in the order sent
    # enough units for the 2 tophits and the LBP lookup (the first outcome id, in chunks of 64), not for sleep
    # duration: the server charges each request its cost (tophits 1 preclumped, 30 clumped afresh; associations
    # max(ids, variants) with proxies) and the answer that leaves 0 units stops the client
    allowance = 2 + sum(1 for r in all_requests if r.body["id"] == ["finn-b-M13_LOWBACKPAIN"])
    units = sum(r.cost for r in all_requests[:allowance])
    assert [r.endpoint for r in all_requests[:2]] == ["tophits", "tophits"] and len(all_requests) > allowance
    assert all(r.cost > 0 for r in all_requests)
    fresh_cache(tmp_path, monkeypatch)
    path = manifest(panel, "ids")
    out = tmp_path / "out"
    with FakeOpenGWAS(panel_datasets("small"), token=TOKEN, allowance=Window(units, 600, "10 minute")) as limited:
        monkeypatch.setenv(og.URL_ENV, limited.url)
        with pytest.raises(ScanStopped, match="allowance is used up until .* 2 of 8 pairs are written") as info:
            run_scan(load_manifest(path), out, progress=False)
        assert info.value.report.opengwas == {"sent": allowance, "cached": 0} and len(limited.requests()) == allowance
        assert not (out / "results.parquet").exists()
        assert {p.parent.name + "/" + p.stem for p in (out / "pairs").rglob("*.parquet")} == {
            "insomnia/lbp", "daytime_sleepiness/lbp"}  # the outcome whose answer came in
        # the reset time has passed: the next run resumes after the pairs written, asking only what is missing
        (tmp_path / "cache" / "opengwas" / "allowance.json").unlink()
        limited.allowance = Window(100_000, 600, "10 minute")
        report = run_scan(load_manifest(path), out, progress=False)
    assert report.already_done == 2 and report.computed == 6
    # only sleep duration's lookup is asked again
    assert report.opengwas["sent"] == len(limited.requests()) - allowance == len(all_requests) - allowance
    pd.testing.assert_frame_equal(pd.read_parquet(report.table), expected, check_exact=True)


# ---------------------------------------------------------------------------------------------------
# Dask, the manifest
# ---------------------------------------------------------------------------------------------------
def test_the_mixed_scan_on_a_local_cluster_equals_the_files(panel, served, on_files, on_ids, tmp_path):
    from mrkit.scan.cluster import dask_client

    expected, _ = on_files
    with dask_client(n_workers=2, timeout=60) as client:
        report = run_scan(load_manifest(manifest(panel, "ids")), tmp_path / "out", client=client, progress=False,
                          timeout=240)
    assert report.complete and report.mode == "dask" and report.opengwas["sent"] == 0
    pd.testing.assert_frame_equal(pd.read_parquet(report.table), expected, check_exact=True)


def test_manifest_opengwas_entries_and_options(tmp_path):
    text = ('[[exposure]]\nid = "bmi"\nopengwas = "ieu-a-2"\n[[outcome]]\nid = "cad"\nopengwas = " ieu-a-7 "\n'
            '[[outcome]]\nid = "t1"\nfile = "t1.tsv"\n')
    m = parse_manifest(text, tmp_path / "m.toml")
    assert (m.exposures["bmi"].kind, m.exposures["bmi"].location, m.outcomes["cad"].location) == (
        "opengwas", "ieu-a-2", "ieu-a-7")
    assert m.exposures["bmi"].signature()["opengwas"] == {"pop": "EUR", "clump": True}
    assert m.outcomes["cad"].signature()["opengwas"] == {"proxies": True, "proxy_r2": 0.8, "palindromes": True,
                                                         "maf_threshold": 0.3, "pop": "EUR"}  # the proxies' LD
    assert "opengwas" not in m.outcomes["t1"].signature()
    other = parse_manifest("[opengwas]\npop = \"EAS\"\nproxies = false\n" + text, tmp_path / "m.toml")
    assert other.outcomes["cad"].signature()["opengwas"] == {"proxies": False}
    assert other.exposures["bmi"].signature()["opengwas"]["pop"] == "EAS"
    eas_proxies = parse_manifest("[opengwas]\npop = \"EAS\"\n" + text, tmp_path / "m.toml")
    assert eas_proxies.outcomes["cad"].signature()["opengwas"]["pop"] == "EAS"
    # (manifest text, the key the error names, what it says)
    bad = {
        "format on an id": (text.replace('opengwas = "ieu-a-2"', 'opengwas = "ieu-a-2"\nformat = "neale"'),
                            "exposure[0].format", "format describes a file"),
        "sample size on an id": (text.replace('opengwas = "ieu-a-2"', 'opengwas = "ieu-a-2"\nn = 5000'),
                                 "exposure[0].n", "n describes a file"),
        "not an id": (text.replace('"ieu-a-2"', '"ieu a 2"'), "exposure[0].opengwas", "must be a dataset id"),
        "empty id": (text.replace('" ieu-a-7 "', '""'), "outcome[0].opengwas", "must be a non-empty string"),
        "id not a string": (text.replace('" ieu-a-7 "', "7"), "outcome[0].opengwas", "must be a non-empty string"),
        "unknown source kind": (text.replace('opengwas = "ieu-a-2"', 'gwascatalog = "GCST90018926"'),
                                "exposure[0].gwascatalog",
                                r"unknown key\(s\) \['gwascatalog'\] .* the source kinds are file"),
        "unknown option": ("[opengwas]\nproxy_rsq = 0.8\n" + text, "opengwas.proxy_rsq",
                           r"unknown key\(s\) \['proxy_rsq'\] in \[opengwas\]"),
        "population": ("[opengwas]\npop = \"XYZ\"\n" + text, "opengwas.pop", "pop must be one of"),
        "flag": ("[opengwas]\nproxies = 1\n" + text, "opengwas.proxies", "proxies must be true or false"),
        "r2": ("[opengwas]\nproxy_r2 = 1.5\n" + text, "opengwas.proxy_r2", r"proxy_r2 must be in \(0, 1\]"),
        "both keys": (text.replace('opengwas = "ieu-a-2"', 'opengwas = "ieu-a-2"\nfile = "x.tsv"'), "exposure[0]",
                      "exactly one"),
    }
    for case, (bad_text, key, message) in bad.items():
        with pytest.raises(InputError, match=message) as info:
            parse_manifest(bad_text, tmp_path / "m.toml")
        assert str(info.value).startswith(f"{tmp_path / 'm.toml'}, column '{key}': "), case


def test_mrkit_scan_names_the_manifest_and_the_key_of_a_bad_id(tmp_path, capsys):
    from mrkit.cli import main

    path = tmp_path / "scan.toml"
    path.write_text('[[exposure]]\nid = "bmi"\nopengwas = "ieu-a-2/../x"\n'
                    '[[outcome]]\nid = "cad"\nopengwas = "ieu-a-7"\n')
    assert main(["scan", str(path), "-o", str(tmp_path / "out"), "--serial", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and "exposure[0].opengwas" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_a_pair_with_an_id_reads_what_the_study_s_opengwas_path_reads(panel, served, on_files, tmp_path):
    """Against the existing OpenGWAS path (mrkit.paper.opengwas_data, the book's ``data = "opengwas"``): an exposure
    id gives the same instruments, and an outcome id, asked for the union of two exposures' instruments, gives each
    pair the rows (proxies included, some instruments hidden from the outcome) that the Study asks for exposure by
    exposure, so the harmonised tables are identical."""
    from mrkit.gwas.harmonise import OUTPUT_COLUMNS, harmonise
    from mrkit.paper.opengwas_data import OpenGWASData
    from mrkit.scan.opengwas import opengwas_associations, opengwas_instruments, pair_outcome

    _, sources, _ = panel
    _, files_manifest = on_files
    hidden = set(exposure_instruments(files_manifest.exposures["insomnia"], files_manifest.settings,
                                      5e-8).table["snp"][::3])
    path = manifest(panel, "study-path", [("insomnia", True), ("daytime_sleepiness", True)], [("lbp", True)],
                    "[opengwas]\npalindromes = false")  # the Study asks without palindromic proxies
    m = load_manifest(path)
    with FakeOpenGWAS(panel_datasets("small", hide={"lbp": hidden}), token=TOKEN) as other:
        client = og.Client(other.url, TOKEN, cache=og.ResponseCache(tmp_path / "answers"))
        study = OpenGWASData(sources, client=client)
        inst = {e: opengwas_instruments(m.exposures[e], m.settings, 5e-8, client) for e in m.exposures}
        answer = opengwas_associations(m.outcomes["lbp"], list(inst.values()), client)
        for e, got in inst.items():
            want, _, _ = study.instruments(e, 5e-8)
            pd.testing.assert_frame_equal(got.table.reset_index(drop=True),
                                          want[list(got.table.columns)].reset_index(drop=True), check_exact=True)
            rows = pair_outcome(answer, got).table
            h_scan = harmonise(got.table, rows, exposure_name=e, outcome_name="lbp")
            h_study = harmonise(want, study.outcome("lbp", want["snp"]), exposure_name=e,
                                outcome_name="lbp")
            assert h_scan.attrs["log"] == h_study.attrs["log"]
            pd.testing.assert_frame_equal(h_scan[list(OUTPUT_COLUMNS) + ["proxy"]].reset_index(drop=True),
                                          h_study[list(OUTPUT_COLUMNS) + ["proxy"]].reset_index(drop=True),
                                          check_exact=True)
        assert answer.log["found_by_proxy"] >= 1


def test_repeated_top_hits_follow_the_readers_repeat_rule():
    """A variant the server lists twice for one id: equal copies count once, differing copies all leave (the rule of
    every reader, mrkit.gwas.schema.drop_repeats), and the pair log counts both; before, the first copy was kept."""
    from mrkit.scan.manifest import Settings, Source
    from mrkit.scan.opengwas import opengwas_instruments

    def hit(rsid, beta):
        return {"id": "ukb-x-1", "trait": "X", "rsid": rsid, "chr": "1", "position": 1000 + int(rsid[2:]), "ea": "A",
                "nea": "G", "eaf": 0.3, "beta": beta, "se": 0.01, "p": 1e-10, "n": 1000}

    class Client:
        exchanges: list = []
        cache = None

        def tophits(self, dataset, **request):
            return [hit("rs1", 0.1), hit("rs1", 0.1), hit("rs2", 0.2), hit("rs2", -0.2), hit("rs3", 0.3)]

    got = opengwas_instruments(Source("x", "exposure", "opengwas", "ukb-x-1"), Settings(), 5e-8, Client())
    assert list(got.table["snp"]) == ["rs1", "rs3"]
    assert sorted(got.log["repeats_dropped"].values()) == [1, 2]  # one exact copy of rs1; both copies of rs2
