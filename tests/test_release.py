"""A release one can cite and publish: LICENSE, SPDX headers, pyproject and CITATION.cff agree; CITATION.cff is
valid CFF 1.2.0; ``make publish-site`` puts a site on the gh-pages branch (against a local bare repository)."""
from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

import mrkit

ROOT = Path(__file__).resolve().parents[1]
SPDX = re.compile(r"SPDX-License-Identifier: (\S+)")
LICENCE = "GPL-3.0-or-later"
#: Files that port another project's code (R packages, R itself, PLINK): each names its source under the SPDX line.
PORTED = ["methods/_nmmin.c", "methods/ml.py", "methods/raps.py", "methods/presso.py", "methods/density.py",
          "methods/mode.py", "methods/median.py", "methods/egger.py", "methods/ivw.py", "methods/heterogeneity.py",
          "methods/sensitivity.py", "methods/steiger.py", "methods/strength.py", "gwas/harmonise.py",
          "gwas/multivariable.py", "gwas/ld.py", "gwas/clump.py", "gwas/alignment.py", "methods/brent.py",
          "methods/nelder_mead.py", "methods/mv_median.py", "methods/mv_ivw.py", "methods/mv_diagnostics.py",
          # issue 23's ports (MendelianRandomization, MVMR, glmnet, robustbase, TwoSampleMR, RadialMR)
          "methods/divw.py", "methods/conmix.py", "methods/mrlasso.py", "methods/lasso_path.py", "methods/cml.py",
          "methods/robust_regression.py", "methods/lmrob.py", "methods/hetpen.py", "methods/clr.py",
          "methods/pcgmm.py", "methods/mvcml.py", "methods/sign_concordance.py", "methods/grip.py",
          "methods/rucker.py", "methods/egger_bootstrap.py", "methods/radial.py", "methods/radial_exact.py",
          "methods/correlated.py"]


def test_licence_file_is_the_gpl_3():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE") and "Version 3, 29 June 2007" in text
    assert "TERMS AND CONDITIONS" in text and "END OF TERMS AND CONDITIONS" in text


def test_pyproject_and_the_installed_metadata_say_gpl_3_or_later():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": LICENCE}
    assert "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)" in project["classifiers"]
    meta = importlib.metadata.metadata("mrkit")
    assert meta["License"] == LICENCE and meta["Version"] == mrkit.__version__


def test_every_spdx_header_agrees_and_every_port_names_its_source():
    found = {}
    for path in sorted((ROOT / "src" / "mrkit").rglob("*")):
        if path.suffix in (".py", ".c") and path.is_file():
            head = path.read_text().splitlines()[:4]
            ids = [m.group(1).rstrip("*/ ") for line in head for m in [SPDX.search(line)] if m]
            if ids:
                found[path.relative_to(ROOT / "src" / "mrkit").as_posix()] = (ids, head)
    assert set(PORTED) <= set(found), sorted(set(PORTED) - set(found))
    for name, (ids, head) in found.items():
        assert ids == [LICENCE], (name, ids)
        assert SPDX.search(head[0]), f"{name}: the SPDX line comes first"
        assert "Ported from" in head[1], f"{name}: the line after SPDX names the ported source"


def test_citation_cff_is_valid_cff_1_2_0_and_agrees_with_the_package():
    """Against the CFF 1.2.0 JSON schema (tests/data/cff-1.2.0.schema.json, see tests/data/README.md), offline."""
    schema = json.loads((ROOT / "tests" / "data" / "cff-1.2.0.schema.json").read_text())
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(citation)]
    assert not errors, errors
    assert citation["cff-version"] == "1.2.0"
    assert citation["version"] == mrkit.__version__ and citation["license"] == LICENCE
    broken = dict(citation, license="GPL-3")  # not an SPDX identifier: the schema check can fail
    assert list(validator.iter_errors(broken))


def test_readme_and_the_book_say_how_to_cite():
    readme = (ROOT / "README.md").read_text()
    intro = (ROOT / "book" / "intro.md").read_text()
    for text in (readme, intro):
        assert "## How to cite" in text and "CITATION.cff" in text and LICENCE in text


# --- make publish ----------------------------------------------------------------------------------------------
def _git(*args, cwd=None, env=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None, reason="needs make and git")
def test_make_publish_site_pushes_the_site_to_gh_pages_of_a_bare_repository(tmp_path):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    remote, work, site = tmp_path / "remote.git", tmp_path / "work", tmp_path / "site"
    _git("init", "--quiet", "--bare", str(remote), env=env)
    _git("init", "--quiet", str(work), env=env)
    (work / "README.md").write_text("a checkout\n")
    _git("add", "README.md", cwd=work, env=env)
    _git("commit", "--quiet", "-m", "start", cwd=work, env=env)
    _git("remote", "add", "origin", str(remote), cwd=work, env=env)
    (site / "book").mkdir(parents=True)
    (site / "index.html").write_text("<html><body>the book</body></html>\n")
    (site / "book" / "page.html").write_text("<html><body>a page</body></html>\n")

    def publish() -> subprocess.CompletedProcess:
        return subprocess.run(["make", "-f", str(ROOT / "Makefile"), "-C", str(work), "publish-site",
                               f"BIN={Path(sys.executable).parent}", f"SITE={site}", "REMOTE=origin"],
                              env=env, capture_output=True, text=True, timeout=300)

    done = publish()
    assert done.returncode == 0, done.stdout + done.stderr
    files = set(_git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages").split())
    assert files == {".nojekyll", "index.html", "book/page.html"}
    assert _git("--git-dir", str(remote), "show", "gh-pages:index.html") == "<html><body>the book</body></html>\n"
    message = _git("--git-dir", str(remote), "log", "-1", "--format=%s", "gh-pages")
    assert f"mrkit {mrkit.__version__}" in message and _git("rev-parse", "--short", "HEAD", cwd=work).strip() in message
    # a second build replaces the site (a removed page is gone), and the checkout's own branch is untouched
    (site / "book" / "page.html").unlink()
    (site / "index.html").write_text("<html><body>the book, again</body></html>\n")
    assert publish().returncode == 0
    assert set(_git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages").split()) == \
        {".nojekyll", "index.html"}
    assert _git("ls-tree", "-r", "--name-only", "HEAD", cwd=work).split() == ["README.md"]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_publish_without_a_built_site_says_what_to_do(tmp_path):
    done = subprocess.run(["make", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), "publish-site",
                           f"BIN={Path(sys.executable).parent}", f"SITE={tmp_path / 'nothing'}"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "no site at" in done.stderr and "make book builds it" in done.stderr
