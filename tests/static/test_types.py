"""mypy over the shipped code (functions, schemas, infra), as `make lint` runs it, so `make test` catches a type
error too. One test: under pytest-xdist it takes one worker while the other runs the rest of the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_finds_no_type_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "functions/motcua", "schemas", "infra"],
        cwd=ROOT, env={**os.environ, "MYPYPATH": "functions:."}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
