"""Generate ``schemas/openapi.json`` from the Powertools routes (the routes are the source of truth): those
of every function the declaration gives HTTP routes (``infra/declaration.py``), in one document.

``python -m schemas.generate_openapi`` writes the file; ``--check`` exits 1 when the committed file has
drifted from the routes (a test runs the same comparison).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

OPENAPI_PATH = Path(__file__).parent / "openapi.json"

# Every tag a route names, declared once with what it groups (a generated client's sections).
TAGS = {
    "catalogue": "Public: procedures, agencies and the appointment a submission would get",
    "dossiers": "Submitting and reading dossiers, and uploading their attachments",
    "actions": "The officials' (and the citizen's) steps through a dossier's statuses",
    "tracking": "Public tracking by receipt code",
    "citizen": "The signed-in citizen's own lists and data",
    "notifications": "Notification channels and push devices",
    "feedback": "Citizens' feedback (phản ánh, kiến nghị) and the agencies' answers",
    "documents": "Public verification of documents agencies issued",
    "evaluation": "The citizen's rating of a returned dossier",
    "index": "The province's monthly service index (public aggregates)",
    "officials": "Officials' own work: the internal-procedure steps assigned to them",
    "ops": "Operations",
}
CONTACT = {"name": "Motcua maintainers", "email": "motcua@example.gov.vn"}


def http_functions() -> list:
    """The declared functions API Gateway routes requests to: their routes make up the API."""
    from infra import declaration

    return [f for f in declaration.FUNCTIONS if any(isinstance(t, declaration.HttpTrigger) for t in f.triggers)]


def function_documents() -> dict[str, dict]:
    """Each HTTP function's own document, by declared name: the routes its resolver serves."""
    # Importing a handler validates its declared environment (motcua.settings) and binds a table: give every
    # variable an HTTP function requires a placeholder name, nothing calls AWS here.
    from motcua.settings import FUNCTION_SETTINGS

    functions = http_functions()
    for function in functions:
        for name, field in FUNCTION_SETTINGS[function.name].model_fields.items():
            if field.is_required():
                os.environ.setdefault(name.upper(), f"motcua-openapi-{name.replace('_', '-')}")
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    from aws_lambda_powertools.event_handler.openapi.models import Contact, HTTPBearer, Tag

    documents = {}
    for function in functions:
        app = importlib.import_module(function.handler.rpartition(".")[0]).app
        documents[function.name] = json.loads(app.get_openapi_json_schema(
            title="Motcua API",
            version="1.0.0",
            summary="One-stop shop (một cửa): procedures, dossiers, tracking, officials' workflow",
            description=(
                "Every error is JSON `{code, message_vi, message_en, details}` with a stable `code`. "
                "Authenticated routes take a bearer JWT (Cognito in the cloud; the local stack's issuer locally)."
            ),
            security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
            tags=[Tag(name=name, description=text) for name, text in TAGS.items()],
            contact=Contact(**CONTACT),
        ))
    return documents


def build_document() -> dict:
    merged: dict = {}
    for function, document in function_documents().items():
        merged = _merge(merged, document, function)
    return _own_error_shapes(merged)


def _merge(document: dict, part: dict, function: str) -> dict:
    """One document of every function's routes: a path served by two functions, or a component named alike
    with two shapes, would be a contradiction a client could not be generated from."""
    if not document:
        return part
    for path, operations in part["paths"].items():
        clash = set(operations) & set(document["paths"].get(path, {}))
        if clash:
            raise ValueError(f"{function} serves {sorted(clash)} {path}, which another function serves too")
        document["paths"].setdefault(path, {}).update(operations)
    for kind, components in part.get("components", {}).items():
        known = document.setdefault("components", {}).setdefault(kind, {})
        for name, component in components.items():
            if known.setdefault(name, component) != component:
                raise ValueError(f"{function}'s component {kind}/{name} differs from another function's")
    return document


def _own_error_shapes(document: dict) -> dict:
    """Powertools documents its default validation bodies; our one error mapper answers every error with
    ``ErrorBody`` instead, so the document says what the API really sends."""
    defaults = {"#/components/schemas/HTTPValidationError", "#/components/schemas/ResponseValidationError"}
    for operations in document["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for content in response.get("content", {}).values():
                    if content.get("schema", {}).get("$ref") in defaults:
                        content["schema"] = {"$ref": "#/components/schemas/ErrorBody"}
                        response["description"] = "Error"
    for name in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        document["components"]["schemas"].pop(name, None)
    return _gateway_answers(document)


def _gateway_answers(document: dict) -> dict:
    """API Gateway answers some requests itself, before any function runs, with its own fixed body
    ``{"message": ...}`` that an HTTP API cannot reshape: 401 from the JWT authoriser on authorised routes,
    404 for a path no route matches, 413 over its payload quota and 400 for a request it cannot read (the
    function answers its own 400 and 413, for a smaller body limit, in the error shape). The document says
    so, so clients and the fuzzer expect it."""
    document["components"]["schemas"]["GatewayError"] = {
        "title": "GatewayError", "type": "object", "required": ["message"],
        "properties": {"message": {"type": "string", "examples": ["Unauthorized"]}},
        "description": "API Gateway's own answer (authoriser refusal, unknown route, payload quota, unreadable "
                       "request); not from Motcua's code.",
    }
    either = {"anyOf": [{"$ref": "#/components/schemas/ErrorBody"}, {"$ref": "#/components/schemas/GatewayError"}]}
    for operations in document["paths"].values():
        for operation in operations.values():
            statuses = ["400", "404", "413"] + (["401"] if operation.get("security") else [])
            for status in statuses:
                operation["responses"][status] = {"description": "Error", "content": {"application/json": {
                    "schema": either}}}
    return document


def render() -> str:
    return json.dumps(build_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if OPENAPI_PATH.read_text(encoding="utf-8") != text:
            print("schemas/openapi.json is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    OPENAPI_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {OPENAPI_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
