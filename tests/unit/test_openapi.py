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


def _document() -> dict:
    return json.loads((ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8"))


def _nullable(schema: dict) -> bool:
    return schema.get("type") == "null" or any(s.get("type") == "null" for s in schema.get("anyOf", ()))


def test_no_property_is_both_required_and_nullable() -> None:
    # A generated client would type it `x: T | null` and still demand it: say one or the other.
    document = _document()
    both = [f"{name}.{prop}" for name, schema in document["components"]["schemas"].items()
            for prop, spec in schema.get("properties", {}).items()
            if prop in schema.get("required", ()) and _nullable(spec)]
    assert both == []


def test_every_list_answers_one_page_shape() -> None:
    # items + next_token everywhere: a client pages every list the same way, and passes next_token back.
    document = _document()
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            ok = next(r for s, r in operation["responses"].items() if s.startswith("2"))
            schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
            assert schema.get("type") != "array", (method, path)
            target = schemas.get(schema.get("$ref", "").rsplit("/", 1)[-1], {})
            if "items" in target.get("properties", {}):
                assert "next_token" in target["properties"], (method, path)
                names = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}
                assert {"limit", "next_token"} <= names, (method, path)


def test_query_parameters_are_named_as_the_bodies_name_them() -> None:
    document = _document()
    names = {p["name"] for operations in document["paths"].values() for operation in operations.values()
             for p in operation.get("parameters", ()) if p["in"] == "query"}
    assert names & {"agency", "procedure", "unit"} == set()


def test_the_idempotency_key_is_required_wherever_it_is_taken() -> None:
    document = _document()
    taken = [(method, path, p) for path, operations in document["paths"].items()
             for method, operation in operations.items() for p in operation.get("parameters", ())
             if p["name"].lower() == "idempotency-key"]
    assert taken
    assert [(m, path) for m, path, p in taken if not p.get("required") or _nullable(p["schema"])] == []
