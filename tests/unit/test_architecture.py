"""The shape of the house, checked like behaviour: layers point one way (import-linter, contracts
in pyproject.toml), no module imports itself round a circle, and every request runs at most one
command (a use case that writes) beside any number of queries (reads that never write).
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


# What makes a workflows function a command: it commits, or hands work to the commit (`with uow:`,
# `commit`, `flush`, `after_commit`, `on_commit`, `on_rollback`), puts a row in the session or
# takes one out, writes the audit log or files a document, or calls a function that does. Every
# other function is a query: it reads, and never writes.
_WRITES = {"commit", "flush", "after_commit", "on_commit", "on_rollback"}
_SESSION_WRITES = {"add", "add_all", "delete", "merge"}
_WRITING_MODULES = {"storage.audit", "storage.filing", "storage.destruction"}
_FILED_READS = {"storage.filing.read_document", "storage.filing.read_filed"}  # reads, though filing's


def _workflow_functions() -> dict[str, tuple[ast.FunctionDef, str, dict[str, str]]]:
    """Every module-level function of workflows/, by its dotted name, with its module and the names
    its module imports (name -> dotted target)."""
    found = {}
    for path in sorted((ROOT / "workflows").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        imported: dict[str, str] = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                imported |= {alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {alias.asname or alias.name.split(".")[0]: alias.name for alias in node.names}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found[f"{module}.{node.name}"] = (node, module, imported)
    return found


def _writes_and_calls(node: ast.FunctionDef, module: str, imported: dict[str, str],
                      functions: set[str]) -> tuple[bool, set[str]]:
    """Whether a function writes by itself, and the workflows functions it calls."""
    writes, called = False, set()
    for n in ast.walk(node):
        if isinstance(n, ast.With) and any(isinstance(i.context_expr, ast.Name) and i.context_expr.id == "uow"
                                           for i in n.items):
            writes = True
        if not isinstance(n, ast.Call):
            continue
        func = n.func
        if isinstance(func, ast.Attribute):
            receiver = ast.unparse(func.value)
            writes |= func.attr in _WRITES or (func.attr in _SESSION_WRITES and
                                               (receiver == "db" or receiver.endswith("session")))
            target = imported.get(receiver, "")
            writes |= target in _WRITING_MODULES
            called |= {f"{target}.{func.attr}"} & functions
        elif isinstance(func, ast.Name):
            target = f"{module}.{func.id}" if f"{module}.{func.id}" in functions else imported.get(func.id, "")
            writes |= target.rpartition(".")[0] in _WRITING_MODULES and target not in _FILED_READS
            called |= {target} & functions
    return writes, called


def _reexported(functions: dict[str, object]) -> dict[str, str]:
    """The functions a workflows package re-exports from its own modules, by the name its callers
    use: `workflows.signoff.decide` is `workflows.signoff.commands.decide`."""
    found = {}
    for path in sorted((ROOT / "workflows").rglob("__init__.py")):
        package = ".".join(path.parent.relative_to(ROOT).parts)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"{package}."):
                found |= {f"{package}.{alias.asname or alias.name}": f"{node.module}.{alias.name}"
                          for alias in node.names if f"{node.module}.{alias.name}" in functions}
    return found


def _commands() -> set[str]:
    """The workflows functions that change state (directly or through what they call), by the
    name they are defined with and any name a package re-exports them as."""
    functions = _workflow_functions()
    aliases = _reexported(functions)
    found = {name: _writes_and_calls(*entry, set(functions) | set(aliases)) for name, entry in functions.items()}
    found |= {alias: (False, {target}) for alias, target in aliases.items()}
    commands = {name for name, (writes, _) in found.items() if writes}
    grown = True
    while grown:
        more = {name for name, (_, called) in found.items() if name not in commands and called & commands}
        commands |= more
        grown = bool(more)
    return commands


COMMANDS = _commands()


def test_the_command_finder_tells_a_change_from_a_read() -> None:
    assert {"workflows.records.update", "workflows.consent.ask", "workflows.records.edit_page",
            "workflows.signoff.decide"} <= COMMANDS
    assert not {"workflows.records.edit_view", "workflows.consent.readers_page", "workflows.records.form_of",
                "workflows.signoff.next_steps"} & COMMANDS


@pytest.mark.parametrize("where,view,modules,functions,helpers", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_request_runs_at_most_one_command_and_any_number_of_queries(
        where: str, view: ast.FunctionDef, modules: dict[str, str], functions: dict[str, str],
        helpers: dict[str, ast.FunctionDef]) -> None:
    called = {c for c in _calls(view.body, modules, functions, helpers, {view.name}) if _is_function(c)}
    commands = sorted(called & COMMANDS)
    assert len(commands) <= 1, f"{where} runs {commands}: a request runs one command (and any queries)"


def test_the_edges_never_touch_the_session_themselves() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{n}" for package in EDGE_PACKAGES
                 for path in sorted((ROOT / package).glob("*.py"))
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if "g.db" in line or ".commit()" in line]
    assert offenders == []
