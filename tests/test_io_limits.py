"""Reading is bounded whatever the input (issue 21): a line, a header and a small table have a bounded size,
refused while the text streams in with one line naming the file and the line; peak memory stays within a
few hundred MB on a gzip bomb or a file whose line ends were lost (measured in a child process).

The hostile files are built in tmp, deterministically (fixed bytes or a seeded generator); the limits are set
low through ``ReadLimits`` where a small file suffices, and two realistic gzip bombs (1 MB inflating to 1 GB)
are read at the default limits.
"""
from __future__ import annotations

import gzip
import json
import random
import re
import subprocess
import sys
import zlib

import pytest

from mrkit.errors import InputError
from mrkit.gwas.io import read_sumstats
from mrkit.gwas.io.harmonised import read_harmonised_table
from mrkit.gwas.io.limits import DEFAULT_LIMITS, LineGuard, LongLine, ReadLimits, TooLarge
from mrkit.gwas.io.multivariable import read_multivariable
from mrkit.gwas.io.text import sniff

HEADER = "SNP\tA1\tA2\tBETA\tSE\tP"
ROW = "rs{i}\tA\tG\t0.1\t0.01\t1e-9"


# --- the guard itself, against a plain split of the whole text --------------------------------------------

def _longest_lines(text: bytes, limit: int) -> list[int]:
    """Oracle: start offsets of the lines longer than ``limit`` (line ends LF, CRLF or CR), by a plain split."""
    starts, pos = [], 0
    for match in re.finditer(rb"\r\n|\r|\n", text):
        if match.start() - pos > limit:
            starts.append(pos)
        pos = match.end()
    if len(text) - pos > limit:
        starts.append(pos)
    return starts


@pytest.mark.parametrize("seed", range(40))
def test_guard_finds_the_first_long_line_whatever_the_chunks(seed):
    rng = random.Random(seed)  # seed reported by the parameter id
    limit = rng.choice([1, 2, 7, 40, 100])
    ends = [b"\n", b"\r\n", b"\r"]
    text = b"".join(b"x" * rng.choice([0, 1, limit // 2, limit, limit + 1, 3 * limit]) + rng.choice(ends)
                    for _ in range(rng.randint(1, 30)))
    if rng.random() < 0.5:
        text += b"y" * rng.randint(0, 2 * limit)  # an unterminated last line
    expected = _longest_lines(text, limit)
    guard, pos, found = LineGuard(limit), 0, None
    try:
        while pos < len(text):
            step = rng.randint(1, 3 * limit + 5)
            guard.feed(text[pos:pos + step])
            pos += step
    except LongLine as exc:
        found = exc.offset
    assert found == (expected[0] if expected else None)


def test_guard_refuses_a_text_over_its_total():
    guard = LineGuard(100, total=25)
    guard.feed(b"a\tb\n" * 6)
    with pytest.raises(TooLarge):
        guard.feed(b"a\tb\n")


# --- every reader refuses a long line, naming the file and the line ---------------------------------------

def _rows(n: int) -> list[str]:
    return [ROW.format(i=i) for i in range(n)]


@pytest.mark.parametrize("how", ["plain", "gzip"])
@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_a_long_data_line_is_refused_naming_its_line(tmp_path, how, end):
    rows = _rows(6)
    rows[3] = rows[3] + "\t" + "7" * 5000  # line 5 (header = line 1)
    text = end.join([HEADER, *rows]) + end
    path = tmp_path / "long.tsv"
    path.write_bytes(gzip.compress(text.encode()) if how == "gzip" else text.encode())
    with pytest.raises(InputError, match=r"long.tsv, line 5: line longer than 1,000 bytes"):
        read_sumstats(path, limits=ReadLimits(line_bytes=1000))
    with pytest.raises(InputError, match=r"long.tsv, line 5: expected 6 fields"):  # within the limit: parsed
        read_sumstats(path, limits=ReadLimits(line_bytes=6000))


def test_a_long_data_line_within_the_limit_is_read_as_data(tmp_path):
    rows = _rows(4)
    rows[2] = rows[2].replace("rs2", "rs" + "2" * 3000)  # a 3 kB id: valid, if odd
    path = tmp_path / "ok.tsv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    df = read_sumstats(path, limits=ReadLimits(line_bytes=4000))
    assert len(df) == 4 and df["snp"].str.len().max() == 3002


def test_a_long_header_is_refused_before_it_is_held(tmp_path):
    path = tmp_path / "wide.tsv"
    path.write_text("\t".join(f"c{i}" for i in range(500)) + "\n1\n")
    with pytest.raises(InputError, match=r"wide.tsv, line 1: line longer than 200 bytes"):
        sniff(path, limits=ReadLimits(line_bytes=200))


def test_a_header_wider_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "wide.tsv"
    path.write_text("\t".join(f"c{i}" for i in range(60)) + "\n")
    with pytest.raises(InputError, match=r"wide.tsv, line 1: the header has 60 columns, more than 50"):
        sniff(path, limits=ReadLimits(columns=50))


def test_the_duplicate_column_check_is_linear(tmp_path):
    # 400,000 columns: the old check (each name counted against the whole header) made 1.6e11 comparisons
    names = [f"c{i}" for i in range(400_000)] + ["c17"]
    path = tmp_path / "dupes.tsv"
    path.write_text("\t".join(names) + "\n")
    with pytest.raises(InputError, match=r"line 1: duplicated column name\(s\) \['c17'\]"):
        sniff(path, limits=ReadLimits(line_bytes=8 << 20, columns=10**6))


def test_small_tables_over_their_limit_are_refused(tmp_path):
    harmonised = tmp_path / "h.csv"
    harmonised.write_text("SNP,bx,bxse,by,byse\n" + "".join(f"rs{i},0.1,0.01,0.2,0.02\n" for i in range(100)))
    small = ReadLimits(table_bytes=1000)
    with pytest.raises(InputError, match=r"h.csv: larger than 1,000 bytes once decompressed"):
        read_harmonised_table(harmonised, limits=small)
    with pytest.raises(InputError, match=r"h.csv: larger than 1,000 bytes once decompressed"):
        read_multivariable(harmonised, limits=small)
    assert read_harmonised_table(harmonised).n_rows == 100


def test_a_long_line_in_a_harmonised_table_is_refused_naming_it(tmp_path):
    path = tmp_path / "h.csv.gz"
    rows = [f"rs{i},0.1,0.01,0.2,0.02" for i in range(5)]
    rows[1] += "9" * 3000
    path.write_bytes(gzip.compress(("SNP,bx,bxse,by,byse\n" + "\n".join(rows) + "\n").encode()))
    with pytest.raises(InputError, match=r"h.csv.gz, line 3: line longer than 1,000 bytes"):
        read_harmonised_table(path, limits=ReadLimits(line_bytes=1000))


# --- the hostile files of issue 21, at the default limits, in a child process with its peak memory --------

def _bomb(path, prefix: bytes, gigabytes: int = 1) -> None:
    """A gzip file of about 1 MB per GB inflating to ``prefix`` + ``gigabytes`` GB of 'x' without a line end
    (multi-member: 16 members of 64 MiB per GB, as valid as any concatenation of gzip files)."""
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = co.compress(b"x" * (64 << 20)) + co.flush()
    with open(path, "wb") as out:
        out.write(gzip.compress(prefix))
        for _ in range(16 * gigabytes):
            out.write(member)


def _run(*args: str) -> tuple[int, str, int]:
    """``mrkit ARGS`` in a fresh process; returns (exit code, stderr, peak resident memory in MB) measured by a
    wrapper process whose only child it is (``getrusage(RUSAGE_CHILDREN)``)."""
    wrapper = ("import json, resource, subprocess, sys\n"
               "p = subprocess.run([sys.executable, '-m', 'mrkit.cli', *sys.argv[1:]],\n"
               "                   capture_output=True, text=True)\n"
               "print(json.dumps([p.returncode, p.stderr, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
    out = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, timeout=300)
    code, stderr, kb = json.loads(out.stdout)
    return code, stderr, kb // 1024


PEAK_MB = 400  # the interpreter with numpy, pandas and pyarrow loaded takes about 130 MB


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    _bomb(folder / "line.gz", b"")
    _bomb(folder / "junk.gz", HEADER.encode() + b"\n")
    lost = folder / "lost.tsv"
    row = ROW.format(i=1).encode() + b"\t"
    lost.write_bytes(HEADER.encode() + b"\t" + row * ((50 << 20) // len(row)))  # 50 MB, line ends lost
    return folder


@pytest.mark.parametrize("name, line", [("line.gz", 1), ("junk.gz", 2), ("lost.tsv", 1)])
@pytest.mark.parametrize("command", ["read", "harmonise", "estimate", "estimate --multivariable"])
def test_hostile_files_are_refused_within_bounded_memory(hostile, name, line, command):
    path = str(hostile / name)
    args = {"read": ["read", path], "harmonise": ["harmonise", path, path, "-o", str(hostile / "out.csv")],
            "estimate": ["estimate", path], "estimate --multivariable": ["estimate", "--multivariable", path]}[command]
    code, stderr, peak = _run(*args)
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    if not (name == "junk.gz" and command.startswith("estimate")):  # estimate refuses its header first
        assert re.search(rf"{re.escape(name)}, line {line}: line longer than 1 MiB", stderr), stderr
    assert peak < PEAK_MB, f"{command} {name}: peak {peak} MB"
    assert not (hostile / "out.csv").exists()


def test_the_limits_are_stated_in_the_help_and_the_readme(capsys):
    from pathlib import Path

    from mrkit.cli import main

    with pytest.raises(SystemExit):
        main(["read", "--help"])
    shown_help = " ".join(capsys.readouterr().out.split())
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    for text in (shown_help, readme):
        assert DEFAULT_LIMITS.describe() in text
