"""The garbage collector runs in every request: tuned once for the process, never paused by a use
case (a pause in one thread of a threaded server pauses it for all of them)."""
from __future__ import annotations

import ast
import gc
from pathlib import Path

from docgen import collector

ROOT = Path(__file__).resolve().parents[2]


def test_no_use_case_switches_the_collector_off() -> None:
    calls = []
    for path in sorted((ROOT / "workflows").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("disable", "freeze")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "gc"):
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert calls == []


def test_tuning_raises_the_thresholds_and_leaves_the_collector_on() -> None:
    before = gc.get_threshold()
    try:
        collector.tune()
        assert gc.get_threshold() == collector.THRESHOLDS and gc.isenabled()
    finally:
        gc.set_threshold(*before)
