"""The layout rules of ARCHITECTURE.md, read from the source: dependencies point one way
(``community_commerce`` reaches a forum only through its adapters, ``adapters/bundled.py``
and ``adapters/machina.py``; the forum
never imports the plugin) and no module imports its own importers."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "community_commerce"
THE_ONLY_DOOR = PLUGIN / "adapters" / "bundled.py"


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources(package: Path):
    return [p for p in sorted(package.rglob("*.py")) if "migrations" not in p.parts]


def _is_type_checking(node) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _import_nodes(tree, *, in_functions):
    """Import statements that run when the module is imported (also inside module-level
    if/try/with blocks, not under TYPE_CHECKING); with ``in_functions``, every one."""
    if in_functions:
        return [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If | ast.Try | ast.With) and not _is_type_checking(node):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []) or []:
                    todo.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return found


def _imported(node, module: str, is_package: bool, modules=frozenset()) -> set[str]:
    """The modules an import statement imports: ``from a.b import c`` is a.b.c when that is
    one of ``modules``, else a.b (where the name c lives)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    return {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}


def import_graph(package: Path, *, in_functions=False) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports. ``from pkg import mod`` is an
    edge to pkg.mod when that is a module, else to pkg (the name lives in its __init__)."""
    paths = {_module_name(p, package.parent): p for p in _sources(package)}
    graph = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        names = set()
        for node in _import_nodes(tree, in_functions=in_functions):
            names |= _imported(node, module, path.name == "__init__.py", paths.keys())
        graph[module] = {n for n in names if n in paths and n != module}
    return graph


def circles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# --- the checker checks ------------------------------------------------------------------------


def test_the_circle_finder_finds_a_circle_and_its_members(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def f():\n    from pkg.c import x\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n")
    (package / "e.py").write_text("try:\n    from . import f\nexcept ImportError:\n    pass\n")
    (package / "f.py").write_text("from pkg.e import *\n")
    assert circles(import_graph(package)) == [["pkg.e", "pkg.f"]]  # b imports c inside a function only
    assert circles(import_graph(package, in_functions=True)) == [["pkg.a", "pkg.b", "pkg.c"], ["pkg.e", "pkg.f"]]


# --- the rules ---------------------------------------------------------------------------------


def test_no_import_circle_inside_the_plugin():
    assert circles(import_graph(PLUGIN)) == []


def test_the_forum_adapter_is_in_no_circle_even_counting_imports_inside_functions():
    """The circle of issue 9 ran through the adapter (it imported the plugin's display,
    composer and tasks, which imported it back). The adapter package imports nothing of
    the plugin but errors at module level, and nobody imports an adapter class but the
    setting: whatever its methods import, it closes no circle."""
    around_adapters = [c for c in circles(import_graph(PLUGIN, in_functions=True)) if any("adapter" in m for m in c)]
    assert around_adapters == []


def test_adapter_modules_import_only_errors_and_the_base_of_the_plugin_at_module_level():
    graph = import_graph(PLUGIN)
    allowed = {"community_commerce.errors", "community_commerce.conf", "community_commerce.adapters.base"}
    for module in (
        "community_commerce.adapters",
        "community_commerce.adapters.base",
        "community_commerce.adapters.bundled",
        "community_commerce.adapters.machina",
    ):
        assert graph[module] <= allowed, module


def _imports_of(path: Path, top_level: str) -> list[str]:
    tree = ast.parse(path.read_text())
    module = _module_name(path)
    names = set()
    for node in _import_nodes(tree, in_functions=True):
        names |= _imported(node, module, path.name == "__init__.py")
    return sorted(n for n in names if n == top_level or n.startswith(f"{top_level}."))


def test_only_the_bundled_adapter_imports_the_forum():
    offenders = {str(p.relative_to(ROOT)): _imports_of(p, "forum") for p in PLUGIN.rglob("*.py") if p != THE_ONLY_DOOR}
    assert {path: names for path, names in offenders.items() if names} == {}
    assert _imports_of(THE_ONLY_DOOR, "forum")  # the door exists (the check above reads real imports)


def test_only_the_machina_adapter_imports_machina():
    door = PLUGIN / "adapters" / "machina.py"
    offenders = {str(p.relative_to(ROOT)): _imports_of(p, "machina") for p in PLUGIN.rglob("*.py") if p != door}
    assert {path: names for path, names in offenders.items() if names} == {}
    assert _imports_of(door, "machina")


def test_the_forum_never_imports_the_plugin():
    offenders = {str(p.relative_to(ROOT)): _imports_of(p, "community_commerce") for p in (ROOT / "forum").rglob("*.py")}
    assert {path: names for path, names in offenders.items() if names} == {}
    forum_templates = "\n".join(p.read_text() for p in (ROOT / "forum" / "templates").rglob("*.html"))
    assert "community_commerce" not in forum_templates


@pytest.mark.parametrize(
    "pattern",
    [
        r"""\{%\s*(include|extends)\s+["']forum/""",  # the bundled forum's partials
        r"""\{%\s*url\s+["']forum:""",  # the bundled forum's routes
    ],
)
def test_the_plugin_templates_depend_on_no_forum(pattern):
    found = [
        str(p.relative_to(ROOT)) for p in (PLUGIN / "templates").rglob("*.html") if re.search(pattern, p.read_text())
    ]
    assert found == []
