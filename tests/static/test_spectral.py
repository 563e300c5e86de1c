"""Spectral (``spectral:oas`` and the project's rules in ``.spectral.yaml``) over the committed OpenAPI document:
what a mobile developer generating a client from it meets. The pinned CLI is in package-lock.json."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL = ROOT / "node_modules" / ".bin" / "spectral"
DOCUMENT = ROOT / "schemas" / "openapi.json"
ERROR, WARNING = 0, 1  # Spectral's severities; 2 and 3 are info and hint


def lint(path: Path) -> list[dict[str, Any]]:
    result = subprocess.run([str(SPECTRAL), "lint", str(path), "--ruleset", str(ROOT / ".spectral.yaml"),
                             "--format", "json", "--quiet", "--fail-severity", "hint"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return json.loads(result.stdout or "[]")


def summary(findings: list[dict[str, Any]]) -> list[str]:
    return [f"{f['code']} at {'.'.join(map(str, f['path']))}: {f['message']}" for f in findings]


def test_the_committed_document_has_no_spectral_error_or_warning() -> None:
    findings = [f for f in lint(DOCUMENT) if f["severity"] in (ERROR, WARNING)]
    assert summary(findings) == []


def test_each_project_rule_refuses_a_document_that_breaks_it(tmp_path: Path) -> None:
    # The rules can fail: one document with one break of each, and each rule names its own.
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    broken = copy.deepcopy(document)
    path, operations = next((p, ops) for p, ops in broken["paths"].items() if any(
        "201" in op["responses"] for op in ops.values()))
    method, operation = next((m, op) for m, op in operations.items() if "201" in op["responses"])
    operation["operationId"] = "post_" + path.strip("/").replace("/", "_")
    operation.pop("description", None)
    operation["tags"] = []
    operation["responses"]["201"].pop("headers", None)
    operation["responses"]["201"]["content"]["application/json"].pop("schema")
    operation["responses"]["404"]["content"]["application/json"]["schema"] = {"type": "object"}
    broken["components"]["schemas"]["Page_Thing_"] = {"type": "object"}
    target = tmp_path / "openapi.json"
    target.write_text(json.dumps(broken), encoding="utf-8")
    codes = {f["code"] for f in lint(target) if f["severity"] == ERROR}
    assert {"motcua-operation-id-camel-case", "motcua-operation-description", "motcua-operation-tagged",
            "motcua-created-has-location", "motcua-success-has-schema", "motcua-error-shape",
            "motcua-schema-names"} <= codes, (method, path, codes)
