"""Execute one planned run: jupytext source -> papermill -> executed notebook, or a clear failure.

Papermill runs in a child process (one kernel per run), so several runs can execute at once and a
crashing kernel cannot take the build down with it. The executed notebook is written to a temporary
name and moved into place only on success; a failed one is kept for inspection. Each run's CPU time
(user + system, of papermill and of the kernel it started) is measured with ``wait4``, so the build's
report says what a run cost even when other work shares the machine.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from ..errors import MRKitError
from ..paper.exercises import PARAMETERS_ENV, RUN_ID_ENV
from ..paths import atomic_output
from .runplan import Run
from .site import publish
from .takeaway import rerun_parameters_of

CELL_TIMEOUT_S = 3600
# A kernel that dies before answering kernel_info ran no cell: it lost a race for its ZMQ ports with another
# kernel starting at the same moment (jupyter_client picks free ports, then releases them to the kernel), which
# happens when runs start in parallel. Such a run is started again, at most this many times; a kernel that
# cannot start at all still fails, with papermill's message. A kernel that does not answer within
# KERNEL_START_TIMEOUT_S (a machine so loaded that the kernel's start-up outlasts it) is started again the same way.
KERNEL_START_ATTEMPTS = 3
KERNEL_START_TIMEOUT_S = 120
KERNEL_START_FAILED = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")
# glibc's malloc gives a freed array of more than a few MiB back to the system and faults the next one in page by
# page: one scenario of the simulation study took 560,000 page faults (1.2 s of system time in 23 s) for arrays of
# the same few sizes. The kernels (and the processes they start) keep freed blocks below 64 MiB in their heap and
# trim it above 256 MiB: 31,000 page faults, 0.4 s, the same peak memory. A variable the user set wins.
MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": str(64 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20),
                   "MALLOC_TOP_PAD_": str(32 << 20)}


class RunFailed(MRKitError):
    """A notebook failed; the message names the notebook, its parameters and the failing cell."""

    def __init__(self, message: str, failed_notebook: Path | None):
        super().__init__(message)
        self.failed_notebook = failed_notebook


@dataclass
class Outcome:
    run: Run
    seconds: float  # wall
    output: Path
    cpu: float = 0.0  # user + system seconds of papermill and its kernel


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[int, str, str, float]:
    """Run ``cmd``; return its exit code, stdout, stderr and CPU seconds (user + sys).

    ``os.wait4`` reaps the child with its resource usage, which includes the processes it started and
    waited for (papermill waits for its kernel), so the CPU time is the run's own, whatever else runs.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out: dict[str, bytes] = {}

    def drain(name: str, stream) -> None:
        out[name] = stream.read()
        stream.close()

    readers = [threading.Thread(target=drain, args=(n, s)) for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = {k: v.decode("utf-8", errors="replace") for k, v in out.items()}
    return proc.returncode, text["out"], text["err"], usage.ru_utime + usage.ru_stime


def first_error(nb: nbformat.NotebookNode) -> tuple[int, str, str] | None:
    """(1-based code-cell number in the source, source head, 'Name: value') of the first failing cell.

    Cells papermill injected are not counted, so the number matches the notebook the author wrote.
    """
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        n += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                head = "\n".join(cell.source.splitlines()[:6])
                return n, head, f"{out.get('ename')}: {out.get('evalue')}"
    return None


def code_cell_line(source: Path, number: int) -> int | None:
    """The line of the ``# %%`` marker that starts code cell ``number`` of a percent-format notebook."""
    seen = 0
    for i, line in enumerate(source.read_text().splitlines(), start=1):
        if re.match(r"#\s*%%(?!.*\[(markdown|md|raw)\])", line):
            seen += 1
            if seen == number:
                return i
    return None


def execute_run(run: Run, output: Path, failed_dir: Path, cwd: Path,
                extra_parameters: dict[str, Any] | None = None, downloads: Path | None = None) -> Outcome:
    """Execute ``run`` into ``output``; raise :class:`RunFailed` naming what broke.

    With ``downloads``, the data files the notebook writes for its figures and tables
    (:mod:`mrkit.paper.downloads`) go to ``downloads/<run id>/``, replacing the previous run's only when
    this one succeeds; the page links them as ``downloads/<run id>/<file>``.
    """
    params = {**run.parameters, **(extra_parameters or {})}
    output.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"mrkit-{run.id}-") as tmp:
        tmp = Path(tmp)
        files = tmp / "downloads"
        files.mkdir()
        source_nb, executed = tmp / "source.ipynb", tmp / "executed.ipynb"
        nbformat.write(jupytext.read(run.notebook), source_nb)
        (tmp / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=True))
        cmd = [sys.executable, "-m", "papermill", str(source_nb), str(executed),
               "-f", str(tmp / "params.yaml"), "-k", "python3", "--cwd", str(cwd),
               "--execution-timeout", str(CELL_TIMEOUT_S), "--start-timeout", str(KERNEL_START_TIMEOUT_S),
               "--no-progress-bar"]
        env = {**MALLOC_SETTINGS, **os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline",
               "PYDEVD_DISABLE_FILE_VALIDATION": "1", RUN_ID_ENV: run.id,
               PARAMETERS_ENV: json.dumps(rerun_parameters_of(run), sort_keys=True)}
        if downloads is not None:
            env.update({"MRKIT_DOWNLOAD_DIR": str(files), "MRKIT_DOWNLOAD_URL": f"downloads/{run.id}"})
        for _attempt in range(KERNEL_START_ATTEMPTS):
            returncode, stdout, stderr, cpu = run_measured(cmd, env)
            if returncode == 0 or not any(failure in stderr for failure in KERNEL_START_FAILED):
                break
        seconds = time.perf_counter() - start
        if returncode != 0:
            kept = None
            detail = ""
            if executed.exists():
                failed_dir.mkdir(parents=True, exist_ok=True)
                kept = failed_dir / f"{run.id}.ipynb"
                shutil.copyfile(executed, kept)
                err = first_error(nbformat.read(executed, as_version=4))
                if err:
                    cell, head, what = err
                    line = code_cell_line(run.notebook, cell)
                    at = f" (line {line} of {run.notebook.name})" if line else ""
                    detail = f"\n  failing cell: code cell {cell}{at}\n    " + head.replace("\n", "\n    ") \
                             + f"\n  error: {what}"
            if not detail:
                tail = "\n    ".join((stderr or stdout).strip().splitlines()[-8:])
                detail = f"\n  papermill said:\n    {tail}"
            shown = ", ".join(f"{k}={v!r}" for k, v in sorted(run.parameters.items()))
            keep_note = f"\n  failed notebook kept at: {kept}" if kept else ""
            raise RunFailed(f"run '{run.id}' failed after {seconds:.1f}s\n  notebook: {run.notebook}"
                            f"\n  parameters: {shown}{detail}{keep_note}", kept)
        if downloads is not None:
            downloads.mkdir(parents=True, exist_ok=True)
            publish(files, downloads / run.id)
        with atomic_output(output) as tmp_out:
            shutil.copyfile(executed, tmp_out)
    return Outcome(run, seconds, output, cpu)

