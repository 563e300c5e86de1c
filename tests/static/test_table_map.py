"""``data/table.py``'s key map lists every kind of item the table holds.

Every key a writer in ``motcua.data`` builds starts with a literal prefix (``DOSSIER#``, ``NOTIFY#``, ...): each
such prefix must appear in the map (the items table or the indexes below it), so a new kind of item cannot be
written without being listed where the next engineer looks for it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import motcua.data
from motcua.data import table

DATA = Path(motcua.data.__file__).parent
PREFIX = re.compile(r"^([A-Z][A-Z0-9_]*#)")


def _literal_starts(tree: ast.AST) -> set[str]:
    """The text every string literal starts with, f-strings included (their first literal part)."""
    starts: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            if node.values and isinstance(node.values[0], ast.Constant) and isinstance(node.values[0].value, str):
                starts.add(node.values[0].value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            starts.add(node.value)
    return starts


def key_prefixes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(DATA.glob("*.py")):
        if path.name == "table.py":
            continue
        for text in _literal_starts(ast.parse(path.read_text(encoding="utf-8"))):
            match = PREFIX.match(text)
            if match:
                found.setdefault(match.group(1), set()).add(path.name)
    return found


def test_the_writers_build_keys_with_prefixes() -> None:
    # The scan sees the writers at all: the dossier, the outbox event, a delivery, an index row.
    assert {"DOSSIER#", "OUTBOX#", "NOTIFY#", "AGGD#"} <= set(key_prefixes())


def test_every_key_prefix_is_in_the_map() -> None:
    documented = table.__doc__ or ""
    missing = {prefix: sorted(files) for prefix, files in key_prefixes().items() if f"``{prefix}" not in documented}
    assert missing == {}
