"""No module uses another module's ``_private`` name: what two modules share has a public name in one of them.

Checked over the shipped code and its tools (functions, schemas, infra, benchmarks): ``from m import _x``, and
``m._x`` where ``m`` is a project module bound by an import. Tests may look inside what they test.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("functions", "schemas", "infra", "benchmarks")
# Where a dotted module name is looked for: motcua under functions/, the others at the root.
SEARCH = (ROOT / "functions", ROOT)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_project_module(dotted: str) -> bool:
    relative = Path(*dotted.split("."))
    return any((base / relative).with_suffix(".py").is_file() or (base / relative / "__init__.py").is_file()
               for base in SEARCH)


def private_uses(source: str, filename: str = "<source>") -> list[str]:
    """Each use, as ``line: module._name``."""
    tree = ast.parse(source, filename)
    modules: dict[str, str] = {}  # a local name bound to a project module -> that module
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _is_project_module(node.module):
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{node.lineno}: {node.module}.{alias.name}")
                elif _is_project_module(f"{node.module}.{alias.name}"):
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and _is_project_module(alias.name):
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and _private(node.attr)):
            found.append(f"{node.lineno}: {modules[node.value.id]}.{node.attr}")
    return sorted(found, key=lambda use: int(use.split(":", 1)[0]))


def test_no_module_uses_another_modules_private_name() -> None:
    found = {}
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*.py")):
            uses = private_uses(path.read_text(encoding="utf-8"), str(path))
            if uses:
                found[str(path.relative_to(ROOT))] = uses
    assert found == {}


def test_the_check_sees_both_forms() -> None:
    source = (
        "from motcua.data.repositories import DossierRepository, _Cached\n"
        "from motcua.documents import forms\n"
        "import motcua.domain.workflow as wf\n"
        "forms._private_helper()\n"
        "wf._Change\n"
        "forms.ApologyLetter\n"
    )
    assert private_uses(source) == [
        "1: motcua.data.repositories._Cached",
        "4: motcua.documents.forms._private_helper",
        "5: motcua.domain.workflow._Change",
    ]
