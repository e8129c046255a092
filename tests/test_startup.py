"""Start-up stays light: what ``mrkit --help``, ``import mrkit`` and ``mrkit estimate`` import (no timings here:
``benchmarks/bench_startup.py`` times them)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    probe = textwrap.dedent(code) + "\nimport json, sys\nprint('\\nMODULES=' + json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.rsplit("MODULES=", 1)[1]))


def heavy(mods: set[str]) -> set[str]:
    return {m for m in mods if m.split(".")[0] in ("numpy", "scipy", "pandas", "matplotlib", "pyarrow")}


def test_help_imports_neither_scipy_nor_pandas():
    mods = modules_after("""
        from mrkit.cli import main
        try:
            main(["--help"])
        except SystemExit as exc:
            assert exc.code == 0
        for command in ("book", "estimate", "fetch", "harmonise", "read", "simulate"):
            try:
                main([command, "--help"])
            except SystemExit as exc:
                assert exc.code == 0
    """)
    assert "mrkit.cli" in mods and "mrkit.commands.estimate" in mods
    assert not heavy(mods), f"--help imported {sorted(heavy(mods))[:10]}"


def test_import_mrkit_is_lazy_and_the_api_still_resolves():
    mods = modules_after("import mrkit")
    assert not heavy(mods)
    mods = modules_after("""
        import mrkit
        from mrkit import leave_one_out
        assert callable(mrkit.mr) and callable(mrkit.heterogeneity) and callable(leave_one_out)
        assert set(mrkit.__all__) <= set(dir(mrkit))
    """)
    assert "mrkit.methods.estimate" in mods and "mrkit.methods.sensitivity" in mods


def test_unknown_attribute_is_an_attribute_error():
    import mrkit

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mrkit.nope  # noqa: B018


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_estimate_runs_without_pandas_pyarrow_or_scipy_stats(validation_dir, fmt):
    """``mrkit estimate`` reads, checks, estimates and prints with numpy and scipy.special only: pandas and
    pyarrow cost half a second of imports, scipy.stats a second, scipy.optimize/integrate a third."""
    lipids = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"
    mods = modules_after(f"""
        import contextlib, io
        from mrkit.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert main(["estimate", {str(lipids)!r}, "--presso-n", "200", "--format", {fmt!r}]) == 0
        assert "raps" in out.getvalue() and "ml" in out.getvalue()
    """)
    assert "mrkit.methods.ml" in mods and "mrkit.methods.raps" in mods and "scipy.special" in mods
    assert "mrkit.gwas.io.harmonised" in mods and "mrkit.gwas.schema" in mods  # the validation layer ran
    loaded = {m.split(".")[0] for m in mods} | {".".join(m.split(".")[:2]) for m in mods}
    assert not loaded & {"pandas", "pyarrow", "scipy.stats", "scipy.optimize", "scipy.integrate"}


def test_estimate_with_sample_sizes_runs_steiger_without_pandas(tmp_path):
    rows = [("SNP,beta.exposure,se.exposure,beta.outcome,se.outcome,pval.exposure,pval.outcome,"
             "samplesize.exposure,samplesize.outcome")]
    rows += [f"rs{i},{0.05 + 0.01 * i},0.01,{0.02 + 0.004 * i},0.02,{10.0 ** -(8 + i)},0.01,300000,200000"
             for i in range(5)]
    path = tmp_path / "h.csv"
    path.write_text("\n".join(rows) + "\n")
    mods = modules_after(f"""
        import contextlib, io
        from mrkit.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert main(["estimate", {str(path)!r}, "--presso-n", "50", "--methods", "ivw"]) == 0
        assert "Steiger directionality: r2 exposure" in out.getvalue()
    """)
    assert "mrkit.methods.steiger" in mods and "pandas" not in mods and "pyarrow" not in mods
