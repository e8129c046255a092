"""OpenGWAS faults a user's machine and network produce: a token pasted with what surrounds it, a server that
echoes the token back in any kind of answer, a server that accepts and never answers, identifiers that are not
whole, two servers answering the same request.

Each runs the real command line (``mrkit opengwas``, ``scan``, ``book``) against the fake server
(tests/fake_opengwas.py) or a loopback socket that never answers (:class:`fake_opengwas.SilentServer`), and
checks what the user sees: one line, exit code 2, the token nowhere (stdout, stderr, the cache, any file
written), the time bounded by the time-out asked for.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from fake_opengwas import FakeOpenGWAS, SilentServer, client_environment
from fake_opengwas_data import RowsDataset

import mrkit.gwas.opengwas as og
from mrkit.cli import main
from mrkit.gwas.opengwas.auth import clean_token, excerpt, redact
from mrkit.paths import PROJECT_ROOT

# shaped like a real token (a JWT: three base64url fields), so every pattern that could hide it is exercised
TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImFwaS1qd3QifQ.eyJzdWIiOiJ0ZXN0ZXJAZXhhbXBsZS5vcmcifQ.c2lnbmF0dXJlLTdmM2E5"
ID = "ieu-x-1"
INFO = {"id": ID, "trait": "Fault trait", "sample_size": 1000, "nsnp": 2}
ROWS = [{"id": ID, "trait": "Fault trait", "chr": "1", "position": 1000 * i, "rsid": f"rs{i}", "ea": "A", "nea": "G",
         "eaf": 0.2, "beta": 0.03, "se": 0.004, "p": 1e-12, "n": 1000} for i in (1, 2)]


@pytest.fixture
def env(tmp_path, monkeypatch):
    client_environment(monkeypatch, tmp_path / "cache", TOKEN)
    return tmp_path


@pytest.fixture
def api(env, monkeypatch):
    with FakeOpenGWAS({ID: RowsDataset(ID, ROWS, INFO)}, token=TOKEN) as server:
        monkeypatch.setenv(og.URL_ENV, server.url)
        yield server


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_failure(code: int, err: str, command: str = "opengwas") -> str:
    assert code == 2 and "Traceback" not in err
    lines = [x for x in err.strip().splitlines() if not x.startswith("notebooks:")]  # the book's progress bar
    assert len(lines) == 1 and lines[0].startswith(f"mrkit {command}: error: "), err
    return lines[0]


def files_holding(text: str, *roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


# -- the token as pasted ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pasted", [f"  {TOKEN}\n", f"'{TOKEN}'", f'"{TOKEN}"', f"<{TOKEN}>", f"'<{TOKEN}>'\n",
                                    f"Bearer {TOKEN}", f"\u201c{TOKEN}\u201d"])
def test_a_token_pasted_with_what_surrounds_it_is_cleaned(api, tmp_path, capsys, monkeypatch, pasted):
    """The README said ``export OPENGWAS_JWT=<your token>``: pasted that way the server answered 401."""
    monkeypatch.setenv(og.TOKEN_ENV, pasted)
    code, _, err = run(capsys, "opengwas", "instruments", ID, "-o", tmp_path / "o.csv")
    assert code == 0, err
    assert api.requests()[-1].headers["authorization"] == f"Bearer {TOKEN}"
    code, printed, _ = run(capsys, "opengwas", "status")
    assert code == 0 and "token: accepted (" in printed and "around it removed" in printed and TOKEN not in printed


@pytest.mark.parametrize("pasted,says", [
    (f"<{TOKEN}", "the character '<' at character 1 of"),
    (f"{TOKEN} {TOKEN}", f"a space at character {len(TOKEN) + 1} of {2 * len(TOKEN) + 1}"),
    (f"{TOKEN[:50]}\n{TOKEN[50:]}", "a line break at character 51 of"),
    ("paste-your-token-here", "holds the placeholder 'paste-your-token-here', not a token"),
    ("'<paste-your-token-here>'", "holds the placeholder"),
])
def test_a_token_that_is_not_one_is_refused_saying_what_is_wrong(api, tmp_path, capsys, monkeypatch, pasted, says):
    monkeypatch.setenv(og.TOKEN_ENV, pasted)
    code, _, err = run(capsys, "opengwas", "instruments", ID, "-o", tmp_path / "o.csv")
    line = one_line_failure(code, err)
    assert says in line and TOKEN[:12] not in line
    assert api.requests() == []  # nothing sent with a token that cannot be one


def test_the_readme_shell_line_pasted_as_it_is_sets_the_token_exactly():
    readme = (PROJECT_ROOT / "README.md").read_text()
    [line] = re.findall(rf"^export {og.TOKEN_ENV}=.*$", readme, flags=re.MULTILINE)
    assert line == "export OPENGWAS_JWT='paste-your-token-here'"
    assert "in place of the words `paste-your-token-here`, keeping the single quotes" in readme
    pasted = line.replace("paste-your-token-here", TOKEN)
    got = subprocess.run(["bash", "-c", f'{pasted}\nprintf %s "$OPENGWAS_JWT"'], capture_output=True, text=True,
                         check=True).stdout
    assert got == TOKEN and clean_token(got) == (TOKEN, [])
    with pytest.raises(ValueError, match="placeholder"):  # the line as it stands is refused, not sent
        clean_token(subprocess.run(["bash", "-c", f'{line}\nprintf %s "$OPENGWAS_JWT"'], capture_output=True,
                                   text=True, check=True).stdout)


# -- secrets never echoed ----------------------------------------------------------------------------------------------
ECHOES = [  # (endpoint, status, kind of answer quoting the Authorization header)
    ("tophits", 200, "text"), ("tophits", 200, "json"), ("tophits", 200, "rows"), ("tophits", 200, "html"),
    ("tophits", 400, "json"), ("tophits", 401, "json"), ("tophits", 403, "html"), ("tophits", 404, "text"),
    ("tophits", 429, "json"), ("tophits", 500, "json"), ("tophits", 502, "html"), ("tophits", 503, "text"),
    ("status", 200, "json"),
]


@pytest.mark.parametrize("endpoint,status,kind", ECHOES)
def test_the_token_never_appears_whatever_the_answer_quotes(api, env, capsys, endpoint, status, kind):
    """A 200 whose body was "not JSON" printed the first 80 characters of it, Authorization header included."""
    api.fail(endpoint, *[("echo", status, kind)] * (og.client.RETRIES + 1))
    out = env / "o.csv"
    argv = ("opengwas", "status") if endpoint == "status" else ("opengwas", "instruments", ID, "-o", out)
    code, printed, err = run(capsys, *argv)
    line = one_line_failure(code, err)
    assert api.requests()[0].status == status and TOKEN in api.requests()[0].headers["authorization"]
    for piece in (TOKEN, TOKEN[:12], TOKEN[-12:], TOKEN.split(".")[1][:12]):
        assert piece not in printed and piece not in err, (piece, line)
    if status == 200:  # rows or not, an answer quoting the token is refused, and not quoted
        assert "answered with text that quotes this request's token" in line and "not used, not kept" in line
    else:  # the server's words are shown with the token replaced, or not at all
        assert "<token>" in line or status in (404, 429, 502)
    assert files_holding(TOKEN[:12], env) == [] and not out.exists()
    assert og.ResponseCache(env / "cache" / "opengwas").entries() == []  # nothing of such an answer is kept


def test_a_token_cut_short_by_the_echo_or_by_the_excerpt_is_still_hidden():
    cut_by_server = f"Authorization: Bearer {TOKEN[:30]}... (truncated)"
    assert TOKEN[:12] not in redact(cut_by_server, TOKEN)
    bare = f"header was {TOKEN[5:40]}"  # no 'Bearer', no JWT shape: the run of token characters goes
    assert redact(bare, TOKEN) == "header was <token>"
    for width in range(60, 200, 7):  # wherever the excerpt's cut falls, no 12 characters of the token remain
        shown = excerpt("x" * 40 + TOKEN + " tail", width, TOKEN)
        assert not any(TOKEN[i:i + 12] in shown for i in range(len(TOKEN) - 11)), width
    assert "<token>" in excerpt(f"<html><head><title>No {TOKEN}</title></head></html>", 80, TOKEN)
    assert redact("a trait of 12 characters: Bearer of bad news", TOKEN) == ("a trait of 12 characters: Bearer "
                                                                             "<token> bad news")


# -- time-outs -------------------------------------------------------------------------------------------------------
def test_a_server_that_accepts_and_never_answers_is_left_at_the_timeout(env, tmp_path, capsys, monkeypatch):
    """It waited 4 tries x 300 s (about 20 minutes) by default."""
    assert og.Client().timeout == og.TIMEOUT == 60.0
    with SilentServer() as silent:
        monkeypatch.setenv(og.URL_ENV, silent.url)
        start = time.monotonic()
        code, _, err = run(capsys, "opengwas", "instruments", ID, "--timeout", "1.5", "-o", tmp_path / "o.csv")
        took = time.monotonic() - start
        line = one_line_failure(code, err)
        assert 1.4 < took < 3.0, took
        assert "no usable answer after 1 attempt" in line and "time-out 1.5 s, retries included" in line
        assert "--timeout or OPENGWAS_TIMEOUT" in line and silent.accepted == 1
        monkeypatch.setenv(og.TIMEOUT_ENV, "1")
        start = time.monotonic()
        code, _, err = run(capsys, "opengwas", "associations", ID, "--snps", "rs1,rs2", "-o", tmp_path / "o.csv")
        assert "time-out 1 s" in one_line_failure(code, err) and time.monotonic() - start < 2.5
    monkeypatch.setenv(og.TIMEOUT_ENV, "soon")
    code, _, err = run(capsys, "opengwas", "instruments", ID, "-o", tmp_path / "o.csv")
    assert "OPENGWAS_TIMEOUT must be a number of seconds > 0, got 'soon'" in one_line_failure(code, err)
    code, _, err = run(capsys, "opengwas", "instruments", ID, "--timeout", "0", "-o", tmp_path / "o.csv")
    assert "the time-out must be a number of seconds > 0" in one_line_failure(code, err)


def test_scan_gives_up_at_its_opengwas_timeout(env, tmp_path, capsys, monkeypatch):
    manifest = tmp_path / "m.toml"
    manifest.write_text('[[exposure]]\nid = "x"\nopengwas = "ieu-x-1"\n[[outcome]]\nid = "y"\nopengwas = "ieu-x-2"\n')
    with SilentServer() as silent:
        monkeypatch.setenv(og.URL_ENV, silent.url)
        start = time.monotonic()
        code, _, err = run(capsys, "scan", manifest, "-o", tmp_path / "out", "--serial", "--no-progress",
                           "--opengwas-timeout", "1.2")
        took = time.monotonic() - start
    line = one_line_failure(code, err, "scan")
    assert took < 4.0 and "time-out 1.2 s" in line and "run the same command again to resume" in line


def test_book_gives_up_at_its_opengwas_timeout(env, tmp_path, capsys, monkeypatch):
    """``mrkit book --opengwas-timeout`` reaches the clients of the build (its own, and the notebooks' through
    OPENGWAS_TIMEOUT): the data fingerprint's gwasinfo request gives up in time."""
    from mrkit.book.pipeline import DEFAULT_PLAN

    project = tmp_path / "project"
    (project / "book").mkdir(parents=True)
    (project / "notebooks").symlink_to(PROJECT_ROOT / "notebooks")
    plan = project / "book" / "runplan.toml"
    plan.write_text(DEFAULT_PLAN.read_text() + '\n[profiles.timeout-test]\nruns = ["data-description"]\n'
                    'parameters = { panel_size = "small" }\n')
    monkeypatch.setenv(og.TIMEOUT_ENV, "600")  # the flag wins
    with SilentServer() as silent:
        monkeypatch.setenv(og.URL_ENV, silent.url)
        start = time.monotonic()
        code, _, err = run(capsys, "book", "--plan", plan, "--profile", "timeout-test", "--data", "opengwas",
                           "--no-render", "--build-dir", tmp_path / "build", "--opengwas-timeout", "1.5")
        took = time.monotonic() - start
    line = one_line_failure(code, err, "book")
    assert took < 10 and "gwasinfo" in line and "time-out 1.5 s" in line
    import os

    assert os.environ[og.TIMEOUT_ENV] == "1.5"  # what the notebooks' kernels inherit


# -- identifiers matched whole, the cache filed by server -------------------------------------------------------
@pytest.mark.parametrize("bad", ["ukb-a-13\n", "ukb a 13", "../../etc/passwd", "_ukb", "ukb-a-13;rm"])
def test_dataset_ids_are_matched_whole(api, tmp_path, capsys, bad):
    code, _, err = run(capsys, "opengwas", "instruments", bad, "-o", tmp_path / "o.csv")
    assert "is not an OpenGWAS dataset id" in one_line_failure(code, err) and api.requests() == []
    assert og.check_dataset_id("finn-b-M13_LOWBACKPAIN") == "finn-b-M13_LOWBACKPAIN"


def test_cache_keys_are_matched_whole(env, tmp_path):
    from mrkit.paper.opengwas_data import QUERY_KEY, queries_table

    cache = og.ResponseCache(tmp_path / "answers")
    key = "a" * 64
    for bad in ("../" * 3 + "etc/passwd", key + "\n", key.upper(), key[:-1], ""):
        assert cache.get(bad) is None
        with pytest.raises(ValueError, match="not an OpenGWAS cache key"):
            cache.path(bad)
    results = tmp_path / "results"
    results.mkdir()
    (results / "page.json").write_text(json.dumps({QUERY_KEY: ["../../../outside", key]}))
    table = queries_table(results, cache)
    assert table["retrieved (UTC)"].tolist() == ["not in the cache"] * 2


def test_two_servers_answers_are_two_cache_entries(env, tmp_path, capsys, monkeypatch):
    """The cache key left out the base URL: a mirror's answer was served for the main server's request."""
    other = [{**r, "beta": -r["beta"]} for r in ROWS]
    with FakeOpenGWAS({ID: RowsDataset(ID, ROWS, INFO)}, token=TOKEN) as one, \
            FakeOpenGWAS({ID: RowsDataset(ID, other, INFO)}, token=TOKEN) as two:
        outputs = []
        for n, url in enumerate((one.url, two.url, one.url.upper().replace("/API/", "/api"))):
            monkeypatch.setenv(og.URL_ENV, url)
            out = tmp_path / f"{n}.csv"
            assert run(capsys, "opengwas", "instruments", ID, "-o", out)[0] == 0
            outputs.append(out.read_text())
        assert len(one.requests()) == 1 and len(two.requests()) == 1  # the third spelling is the first server
    assert outputs[0] != outputs[1] and outputs[2] == outputs[0]
    assert len(og.ResponseCache(env / "cache" / "opengwas").entries()) == 2
    assert og.server_root("HTTPS://user:pw@API.opengwas.io:443//api") == "https://api.opengwas.io/api/"
    assert og.server_root("http://127.0.0.1:8080/api/") != og.server_root("http://127.0.0.1:8081/api/")
