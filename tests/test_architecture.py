"""The package graph: who may import whom (the project's import contracts).

Layers, lowest first: ``register`` (the clerk's package: its core, then its command line),
``analysis`` (reads the register's researcher export), ``synthetic`` (writes registers through
the register's API; its demo runs the analysis). A layer imports only from the layers below it,
the register core never imports its command line, and no two modules import each other, directly
or round a circle. Every import statement counts, including those inside functions: a lazy
import is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("register", "analysis", "synthetic")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> set[str]:
    """Modules of ours imported anywhere in ``path`` (absolute names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from package import module` imports the module itself
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def _graph() -> dict[str, set[str]]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[_module_name(path)] = path
    graph = {}
    for name, path in modules.items():
        edges = set()
        for target in _imports(path, name):
            while target and target not in modules:  # `from x import y` where y is a name
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


GRAPH = _graph()
# Circles that exist today and are being removed (this set only shrinks).
KNOWN_CIRCLES: set[frozenset[str]] = set()


def test_the_graph_was_read():
    assert "register.cli.app" in GRAPH and "analysis.data" in GRAPH and "synthetic.write" in GRAPH
    assert "register.db" in GRAPH["register.records"]


def test_the_import_contracts_hold():
    """import-linter's contract in pyproject.toml: the layers, synthetic over analysis over
    register (a higher layer may import a lower one, never the reverse)."""
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(linter)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_the_register_core_never_imports_its_command_line():
    cli = ("register.cli", "register.__main__")  # `python -m register` runs the command line
    core = [m for m in GRAPH if m.startswith("register") and not m.startswith(cli)]
    offenders = {m: sorted(t for t in GRAPH[m] if t.startswith("register.cli")) for m in core}
    assert not {m: t for m, t in offenders.items() if t}


def test_no_import_circles():
    # Edges from a package's __init__ to its own submodules are how a package offers its API;
    # they are left out, so a circle is only reported between real modules.
    def edges(module: str) -> set[str]:
        return {t for t in GRAPH[module]
                if not t.startswith(module + ".") and not module.startswith(t + ".")}

    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges(node)):
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    circles = [c for c in circles if frozenset(c) not in KNOWN_CIRCLES]
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)
