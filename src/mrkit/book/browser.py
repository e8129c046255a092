"""Headless Debian Chromium on a site served from 127.0.0.1: the PDF printer and the browser tests' eyes.

:func:`serve` serves a folder on an ephemeral local port; :func:`run_chromium` starts Chromium headless,
offline-minded (no background networking, component updates, sync or QUIC) with a throw-away profile;
:func:`dom_after_scripts` returns a page's DOM after its scripts ran, with a probe script of the caller
injected (how the browser tests measure the layout); :func:`print_pdf` prints a page to PDF.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import MRKitError

__all__ = ["BrowserError", "find_chromium", "serve", "run_chromium", "dom_after_scripts", "print_pdf"]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-extensions", "--hide-scrollbars")


class BrowserError(MRKitError):
    """Chromium is missing or did not produce what was asked."""


def find_chromium() -> str | None:
    """The Chromium executable on PATH (Debian ``chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (ephemeral port) while the block runs; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_chromium(*args: str, budget_ms: int = 15000, timeout: float = 300,
                 chromium: str | None = None) -> subprocess.CompletedProcess:
    """Run headless Chromium with ``args`` and a fresh profile; ``budget_ms`` of virtual time for scripts."""
    exe = chromium or find_chromium()
    if exe is None:
        raise BrowserError("Debian chromium is not installed (apt-get install chromium; .ci/run does it)")
    with tempfile.TemporaryDirectory(prefix="mrkit-chromium-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def dom_after_scripts(page: Path, site: Path, probe: str, *, width: int = 1280, height: int = 2000,
                      budget_ms: int = 15000) -> str:
    """The DOM of ``page`` (a file under ``site``) rendered at ``width`` px after its scripts and ``probe`` ran.

    ``probe`` is JavaScript appended to the page (in a copy beside it, so relative links still resolve,
    removed afterwards); it typically writes its findings into the DOM, which this returns.
    """
    copy = page.with_name(f".{page.stem}.probe.html")
    copy.write_text(page.read_text().replace("</body>", f"<script>{probe}</script></body>", 1))
    try:
        with serve(site) as url:
            proc = run_chromium(f"--window-size={width},{height}", "--dump-dom",
                                f"{url}/{copy.relative_to(site).as_posix()}", budget_ms=budget_ms)
    finally:
        copy.unlink(missing_ok=True)
    return proc.stdout


def print_pdf(page: Path, site: Path, out: Path, *, budget_ms: int = 60000, timeout: float = 600) -> Path:
    """Print ``page`` (a file under ``site``, served from 127.0.0.1) to ``out`` with Chromium.

    No header or footer lines from the browser (the page's print CSS sets size, margins and page numbers);
    a document outline (PDF bookmarks) from the headings. Written to a temporary name, then renamed.
    """
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.unlink(missing_ok=True)
    with serve(site) as url:
        proc = run_chromium("--no-pdf-header-footer", "--generate-pdf-document-outline",
                            f"--print-to-pdf={tmp}", f"{url}/{page.relative_to(site).as_posix()}",
                            budget_ms=budget_ms, timeout=timeout)
    if not tmp.is_file() or tmp.stat().st_size == 0:
        said = "\n  ".join(ln for ln in (proc.stderr or "").splitlines()
                           if not re.search(r"dbus|unexpected operator", ln))[-2000:]
        raise BrowserError(f"chromium wrote no PDF of {page}:\n  {said}")
    tmp.replace(out)
    return out
