"""The import contracts (``[tool.importlinter]`` in pyproject.toml, docs/architecture.md): the layers, the domain
that owns its vocabulary, the AWS SDK in the data layer only, no cycles. ``lint-imports`` runs over the code as it
is, and over a copy with one wrong import per contract, which it must refuse."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = ROOT / "pyproject.toml"


def lint_imports(*args: str, code_root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # The packages are found on PYTHONPATH first (before the editable install's path): the copy when given one.
    path = os.pathsep.join([str(code_root / "functions"), str(code_root)])
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", str(CONFIG), *args], cwd=code_root,
                          env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, timeout=300)


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def code_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("code")
    skip = shutil.ignore_patterns("__pycache__", "*.json", "*.ttf", "*.png")
    shutil.copytree(ROOT / "functions" / "motcua", root / "functions" / "motcua", ignore=skip)
    shutil.copytree(ROOT / "schemas", root / "schemas", ignore=skip)
    yield root


# One wrong import per contract: (contract id, module added to the copy, its source).
WRONG_IMPORTS = [
    ("layers", "functions/motcua/domain/wrong.py", "from motcua.service import dossiers\n"),
    ("layers", "functions/motcua/data/wrong.py", "from motcua.handlers import api\n"),
    ("domain-owns-its-vocabulary", "functions/motcua/domain/wrong.py", "from schemas.api import DossierView\n"),
    ("schemas-describe-the-domain", "schemas/wrong.py", "from motcua.data.repositories import DossierRepository\n"),
    ("aws-sdk-in-data-only", "functions/motcua/service/wrong.py", "import boto3\n"),
    ("aws-sdk-in-data-only", "functions/motcua/handlers/wrong.py", "from pynamodb.models import Model\n"),
    # status -> wrong -> workflow -> status: a cycle inside the domain, which no layer forbids.
    ("no-cycles", "functions/motcua/domain/wrong.py", "from motcua.domain import workflow\n"),
]


@pytest.mark.parametrize(("contract", "module", "source"), WRONG_IMPORTS)
def test_a_wrong_import_breaks_its_contract(code_copy: Path, contract: str, module: str, source: str) -> None:
    wrong = code_copy / module
    status = code_copy / "functions/motcua/domain/status.py"
    original_status = status.read_text()
    wrong.write_text(source)
    if contract == "no-cycles":
        status.write_text(original_status + "\nfrom motcua.domain import wrong  # noqa\n")
    try:
        result = lint_imports("--contract", contract, code_root=code_copy)
    finally:
        wrong.unlink()
        status.write_text(original_status)
    assert result.returncode == 1, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" in result.stdout and "1 broken" in result.stdout
    assert ".wrong" in result.stdout  # the report names the wrong module
    # Without the wrong import, the copy keeps the contract: it is that import the linter refused.
    assert lint_imports("--contract", contract, code_root=code_copy).returncode == 0
