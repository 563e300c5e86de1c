"""mypy over the shipped code (functions, schemas, infra), as `make lint` runs it, so `make test` catches a type
error too. One test: under pytest-xdist it takes one worker while the other runs the rest of the suite."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_finds_no_type_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "functions/motcua", "schemas", "infra"],
        cwd=ROOT, env={**os.environ, "MYPYPATH": "functions:."}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _cdk_modules_imported_by_infra() -> set[str]:
    modules: set[str] = set()
    for path in (ROOT / "infra").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {a.name for a in node.names if a.name.split(".")[0] == "aws_cdk"}
            elif isinstance(node, ast.ImportFrom) and node.module == "aws_cdk":
                # `from aws_cdk import aws_sqs as sqs` imports a module; `from aws_cdk import Duration`, the core's
                modules |= {f"aws_cdk.{a.name}" if a.name.startswith("aws_") else "aws_cdk" for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "aws_cdk":
                modules.add(node.module)
    return modules


def test_mypy_follows_every_cdk_module_infra_imports() -> None:
    """pyproject.toml has mypy read aws-cdk-lib as Any except the modules infra/ imports: a module imported but
    left off that list would silently lose its checks, and one listed but no longer imported is stale."""
    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["overrides"]
    followed = {m for o in overrides if o.get("follow_imports") == "normal" for m in o["module"]}
    skipped = {m for o in overrides if o.get("follow_imports") == "skip" for m in o["module"]}
    assert skipped == {"aws_cdk.*"}
    imported = _cdk_modules_imported_by_infra()
    assert "aws_cdk.aws_lambda" in imported  # the scan sees infra's imports
    assert followed == imported, {"imported, not followed": imported - followed, "stale": followed - imported}
