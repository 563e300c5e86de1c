"""schemas/openapi.json is generated from the routes; this fails when someone forgets `make openapi`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_routes() -> None:
    # A subprocess: generating imports the API handler, which must not bind this test session's tables.
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'functions'}"}
    result = subprocess.run([sys.executable, "-m", "schemas.generate_openapi", "--check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_every_operation_documents_errors_with_the_one_error_shape() -> None:
    document = json.loads((ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8"))
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("422", "500"):
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


def test_every_operation_has_a_short_unique_camel_case_operation_id() -> None:
    # What a generated client names its methods: submitDossier, not post_dossier_dossiers_post.
    document = json.loads((ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8"))
    ids = [operation.get("operationId", "") for operations in document["paths"].values()
           for operation in operations.values()]
    assert [i for i in ids if not re.fullmatch(r"[a-z][A-Za-z]{2,29}", i)] == []
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
