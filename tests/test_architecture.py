"""The package layout is the architecture: layers import only downwards, and no module imports itself
back through a cycle.

Layers, lowest first (README "Architecture"):

    core      errors, rng, paths, json_values       imports nothing of mrkit
    methods   estimators and diagnostics            core
    gwas      readers, instruments, harmonisation   core, methods
    simulate  the synthetic panel and scenarios     core, methods, gwas
    scan      MR scans of many pairs, on Dask        core, methods, gwas, simulate
    paper     the study's analysis and the book's   core, methods, gwas, simulate, scan
              tables, figures and teaching logic
    book      the book machine                      everything below
    commands  the CLI (and mrkit.cli)               everything

Every import counts, module-level and function-level (lazy) alike. The root package ``mrkit``
re-exports the public API of ``methods``, so importing it counts as importing ``methods``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mrkit"

LAYERS = ["core", "methods", "gwas", "simulate", "scan", "paper", "book", "commands"]
CORE = {"errors", "rng", "paths", "json_values"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:  # the root package: the public API of methods
        return "methods"
    head = parts[1]
    if head in CORE:
        return "core"
    if head == "cli":
        return "commands"
    if head in LAYERS:
        return head
    raise AssertionError(f"{module} belongs to no layer: add it to a layer package or to CORE in this test")


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every mrkit import in a file, lazy ones included."""
    module = module_name(path)
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "mrkit"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "mrkit":
                continue
            # "from .pkg import sub" imports the submodule when there is one
            for a in node.names:
                sub = f"{target}.{a.name}"
                sub_path = PACKAGE.parent / Path(*sub.split("."))
                exists = sub_path.with_suffix(".py").is_file() or (sub_path / "__init__.py").is_file()
                out.append((node.lineno, sub if exists else target))
    return out


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_is_in_a_layer():
    for module in all_modules():
        layer_of(module)


def test_layers_import_only_downwards():
    rank = {name: i for i, name in enumerate(LAYERS)}
    violations = []
    for module, path in all_modules().items():
        own = layer_of(module)
        for line, target in imports_of(path):
            if target == "mrkit" and module.count(".") == 0:
                continue
            other = layer_of(target)
            if rank[other] > rank[own]:
                violations.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {own} imports {target} ({other})")
    assert not violations, "imports against the layer order:\n" + "\n".join(violations)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles():
    modules = all_modules()
    graph = {}
    for module, path in modules.items():
        # a package's __init__ importing its own submodules is how packages are made, not a cycle
        graph[module] = {t for _, t in imports_of(path) if t in modules and t != module
                         and not (path.name == "__init__.py" and t.startswith(module + "."))}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("graph, cyclic", [({"a": {"b"}, "b": {"c"}, "c": set()}, False),
                                           ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True)])
def test_cycle_finder_can_fail(graph, cyclic):
    assert (find_cycle(graph) is not None) == cyclic


def test_layer_check_can_fail(tmp_path, monkeypatch):
    """A methods module importing paper is reported (the check is not vacuous)."""
    fake = tmp_path / "mrkit"
    (fake / "methods").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "methods" / "__init__.py").write_text("")
    (fake / "paper").mkdir()
    (fake / "paper" / "__init__.py").write_text("")
    (fake / "paper" / "report.py").write_text("")
    (fake / "methods" / "ivw.py").write_text("from ..paper import report\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    with pytest.raises(AssertionError, match=r"methods/ivw.py:1: methods imports mrkit.paper.report \(paper\)"):
        test_layers_import_only_downwards()


def test_every_layer_package_says_what_it_holds_and_may_import():
    for layer in LAYERS[1:-1] + ["commands"]:
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text()))
        assert doc and "import" in doc.lower(), f"mrkit.{layer} needs a docstring saying what it may import"


# --- notebooks: above the paper layer -------------------------------------------------------------------------
NOTEBOOKS = PACKAGE.parents[1] / "notebooks"


def public_api() -> set[str]:
    """The names of ``mrkit.__all__`` (read from the source: nothing is imported)."""
    for node in ast.parse((PACKAGE / "__init__.py").read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("mrkit/__init__.py has no __all__")


def notebook_violations(path: Path, api: set[str]) -> list[str]:
    """Every use in a notebook of mrkit below ``mrkit.paper`` other than the public API (``mrkit.mr`` etc.):
    imports (``import mrkit.methods``, ``from mrkit.gwas import ...``, ``from mrkit import <not public>``) and
    attributes of the package (``mrkit.methods.presso`` after ``import mrkit``)."""
    allowed = api | {"paper", "__version__"}

    def above(module: str) -> bool:
        return module == "mrkit" or module == "mrkit.paper" or module.startswith("mrkit.paper.")

    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [f"{path.name}:{node.lineno}: import {a.name}" for a in node.names
                    if a.name.split(".")[0] == "mrkit" and not above(a.name)]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mrkit" and not node.level:
            if node.module == "mrkit":
                out += [f"{path.name}:{node.lineno}: from mrkit import {a.name}" for a in node.names
                        if a.name not in allowed]
            elif not above(node.module):
                out.append(f"{path.name}:{node.lineno}: from {node.module} import ...")
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "mrkit"
              and node.attr not in allowed):
            out.append(f"{path.name}:{node.lineno}: mrkit.{node.attr}")
    return out


def test_notebooks_use_only_the_paper_layer_and_the_public_api():
    notebooks = sorted(NOTEBOOKS.glob("*.py"))
    assert len(notebooks) >= 10
    api = public_api()
    violations = [v for nb in notebooks for v in notebook_violations(nb, api)]
    assert not violations, "notebooks reaching below mrkit.paper (move the logic into mrkit.paper):\n" + "\n".join(
        violations)


def test_notebook_check_can_fail(tmp_path):
    """Deeper imports and attributes are reported; the paper layer and the public API are not."""
    bad = tmp_path / "bad.py"
    bad.write_text("import mrkit\nimport mrkit.gwas.harmonise\nfrom mrkit.methods.presso import mr_presso\n"
                   "from mrkit import rng\nfrom mrkit.book.fingerprint import analysis_code_hash\n"
                   "x = mrkit.methods.steiger\n")
    found = notebook_violations(bad, {"mr", "heterogeneity"})
    assert found == ["bad.py:2: import mrkit.gwas.harmonise", "bad.py:3: from mrkit.methods.presso import ...",
                     "bad.py:4: from mrkit import rng", "bad.py:5: from mrkit.book.fingerprint import ...",
                     "bad.py:6: mrkit.methods"]
    good = tmp_path / "good.py"
    good.write_text("import mrkit\nimport mrkit.paper.study\nfrom mrkit import mr\nfrom mrkit.paper import report\n"
                    "from mrkit.paper.direction import analyse\nmrkit.mr(h)\nmrkit.heterogeneity(h)\n")
    assert notebook_violations(good, {"mr", "heterogeneity"}) == []


def test_the_readme_architecture_table_points_at_real_places():
    """A newcomer's trial: the README's Architecture table sent a new estimator to "a row in methods/estimate.py",
    a table that no longer exists (estimators register their ids with ``register()`` of methods/registry.py).
    Every ``layer/module.py`` path and ``module.NAME`` the section names must exist, and so must the family modules
    it lists (where to find MR-Egger), and the place it gives for a new estimator must be where ``register`` lives."""
    import importlib
    import re

    from mrkit.methods import registry

    readme = (PACKAGE.parents[1] / "README.md").read_text()
    section = readme.split("\n## Architecture\n", 1)[1].split("\n## ", 1)[0]
    paths = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.py)`", section))
    assert paths, "no module paths found in the Architecture section"
    for path in paths:
        assert (PACKAGE / path).is_file() or (PACKAGE.parents[1] / path).is_file(), f"README names {path}: not found"
    for module, name in re.findall(r"`([a-z_]+)\.([A-Z_]+)`", section):
        holder = {"registry": "mrkit.methods.registry", "catalogue": "mrkit.gwas.io.catalogue"}[module]
        assert hasattr(importlib.import_module(holder), name), f"README Architecture names {module}.{name}"
    methods_row = next(line for line in section.splitlines() if line.startswith("| `mrkit.methods`"))
    new_estimator = methods_row.split("|")[3]
    assert f"`methods/{registry.register.__module__.rsplit('.', 1)[1]}.py`" in new_estimator, new_estimator
    holds = methods_row.split("|")[2]
    assert "one module per family" in holds, holds
    families = re.findall(r"`([a-z_]+)`", holds.split("one module per family", 1)[1])
    assert families and all((PACKAGE / "methods" / f"{f}.py").is_file() for f in families), families
