"""Build the group supervision records' Word templates: ``.venv/bin/python templates_docx/group_forms.py``.

Each is built from its definition in ``workflows.group_forms`` by ``build.py``'s record builder,
so the Word file asks for what the group record's page and the sign-off link's page show.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # build.py beside this file, when run as a script

import build  # noqa: E402

from workflows import group_forms  # noqa: E402


def main() -> None:
    for definition in group_forms.FORMS.values():
        path = build.record(definition)
        print(f"built {path.relative_to(build.OUT_DIR.parent)}")


if __name__ == "__main__":
    main()
