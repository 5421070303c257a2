"""The design, checked: imports run only downwards between the layers below, and never in a circle.

:data:`LAYERS` is the one place the layers are declared, top first. A module
may import from its own layer or any layer below it; a cycle is refused even
within a layer. Imports inside functions and under ``TYPE_CHECKING`` count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WORKER = Path(__file__).resolve().parents[1] / "worker"

#: Top first. Each entry is a module or a package (which covers its modules).
LAYERS: list[tuple[str, ...]] = [
    ("worker.cli", "worker.__main__"),
    ("worker.daemon", "worker.web"),
    ("worker.core",),
    ("worker.followup",),
    ("worker.outreach", "worker.scan", "worker.social"),
    ("worker.store", "worker.mail", "worker.vault"),
    ("worker.config", "worker.model", "worker.fsutil", "worker.words", "worker.defaults"),
    ("worker.errors", "worker"),
]

#: A module over this many lines says why in its docstring ("long because").
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(WORKER.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(WORKER.rglob("*.py"))}


def layer_of(module: str) -> int:
    best, depth = -1, -1
    for index, members in enumerate(LAYERS):
        for member in members:
            if (module == member or module.startswith(member + ".")) and len(member) > depth:
                best, depth = index, len(member)
    if best < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return best


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The worker modules that ``module`` imports (resolved to modules, not names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module and target.startswith("worker"):
                found.add(target)
    # a package's own __init__ imported on the way to a submodule is no dependency
    return {t for t in found if not (module.startswith(t + ".") and t in known)}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def test_every_module_is_in_a_layer() -> None:
    for name in modules():
        layer_of(name)


def test_imports_only_run_downwards() -> None:
    upward = [
        f"{source} (layer {layer_of(source)}) imports {target} (layer {layer_of(target)})"
        for source, targets in graph().items()
        for target in targets
        if layer_of(target) < layer_of(source)
    ]
    assert not upward, "\n".join(upward)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as a path, or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
    ],
)
def test_the_cycle_finder_finds_cycles(edges: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(edges) == cycle


def test_an_upward_import_would_be_caught(tmp_path: Path) -> None:
    source = tmp_path / "worker" / "store" / "bad.py"
    source.parent.mkdir(parents=True)
    source.write_text("from worker.core import Kizuna\n")
    found = imports_of("worker.store.bad", source, {"worker.core", "worker.store.bad"})
    assert found == {"worker.core"}
    assert layer_of("worker.core") < layer_of("worker.store.bad")


def test_every_subpackage_says_what_it_owns() -> None:
    for init in sorted(WORKER.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 8, f"{init} needs a docstring saying what it owns"


def test_long_modules_say_why() -> None:
    long = []
    for name, path in modules().items():
        lines = path.read_text(encoding="utf-8").count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if lines > MAX_LINES and "long because" not in doc.lower():
            long.append(f"{name}: {lines} lines")
    assert not long, "split these, or say in the docstring why they are long:\n" + "\n".join(long)
