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
