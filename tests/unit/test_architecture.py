"""The shape of the house, checked like behaviour: layers point one way (import-linter, contracts
in pyproject.toml), no module imports itself round a circle, and every route calls one use case.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
EDGE_PACKAGES = ("docgen/api", "docgen/web")
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}


def test_import_contracts_are_kept() -> None:
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []

    def enter(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)

    for start in sorted(graph.modules):
        if start in index:
            continue
        enter(start)
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph.modules:
                    continue
                if child not in index:
                    enter(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while (member := stack.pop()) != node:
                    on_stack.discard(member)
                    group.append(member)
                on_stack.discard(node)
                if group:
                    groups.append(sorted([node, *group]))
    return groups


def test_no_module_imports_itself_round_a_circle() -> None:
    graph = grimp.build_graph("docgen", "workflows", "storage")
    assert _cycles(graph) == []


def _workflow_names(tree: ast.Module) -> tuple[dict[str, str], dict[str, str]]:
    """Names this module binds to workflows modules, and to things imported from them."""
    modules: dict[str, str] = {}
    functions: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "workflows":
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                try:
                    importlib.import_module(target)
                    modules[alias.asname or alias.name] = target
                except ImportError:
                    functions[alias.asname or alias.name] = target
    return modules, functions


def _is_function(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    return inspect.isfunction(getattr(importlib.import_module(module), name, None))


def _calls(body: list[ast.stmt], modules: dict[str, str], functions: dict[str, str],
           helpers: dict[str, ast.FunctionDef], seen: set[str]) -> set[str]:
    """The workflows functions a body calls, through this module's own helpers, outside `except`
    blocks (a refused form is shown again with the page's own read)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.ExceptHandler):
            return
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
                found.add(f"{modules[func.value.id]}.{func.attr}")
            elif isinstance(func, ast.Name) and func.id in functions:
                found.add(functions[func.id])
            elif isinstance(func, ast.Name) and func.id in helpers and func.id not in seen:
                seen.add(func.id)
                found.update(_calls(helpers[func.id].body, modules, functions, helpers, seen))
        for child in ast.iter_child_nodes(node):
            visit(child)

    for statement in body:
        visit(statement)
    return found


def _routes() -> list[tuple[str, ast.FunctionDef, dict[str, str], dict[str, str], dict[str, ast.FunctionDef]]]:
    found = []
    for package in EDGE_PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            tree = ast.parse(path.read_text())
            modules, functions = _workflow_names(tree)
            helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
            for node in helpers.values():
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                    if name in ROUTE_DECORATORS and isinstance(decorator, ast.Call) and decorator.args:
                        found.append((f"{path.relative_to(ROOT)}:{node.name}", node, modules, functions, helpers))
                        break
    return found


ROUTES = _routes()


@pytest.mark.parametrize("where,view,modules,functions,helpers", ROUTES, ids=[r[0] for r in ROUTES])
def test_every_route_calls_one_use_case(where: str, view: ast.FunctionDef, modules: dict[str, str],
                                        functions: dict[str, str], helpers: dict[str, ast.FunctionDef]) -> None:
    called = {c for c in _calls(view.body, modules, functions, helpers, {view.name}) if _is_function(c)}
    assert len(called) <= 1, f"{where} calls {sorted(called)}: a route calls one use case"


def test_the_edges_never_touch_the_session_themselves() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{n}" for package in EDGE_PACKAGES
                 for path in sorted((ROOT / package).glob("*.py"))
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if "g.db" in line or ".commit()" in line]
    assert offenders == []
