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
from typing import Any

OPENAPI_PATH = Path(__file__).parent / "openapi.json"

# Every tag a route names, declared once with what it groups (a generated client's sections).
TAGS = {
    "catalogue": "Public: procedures, agencies and the appointment a submission would get",
    "dossiers": "Submitting and reading dossiers, and uploading their attachments",
    "actions": "The officials' (and the citizen's) steps through a dossier's statuses",
    "tracking": "Public tracking by receipt code",
    "citizen": "The signed-in citizen's own lists and data",
    "notifications": "Notification channels and push devices",
    "payments": "Online payment of a dossier's financial obligation, and the payment platforms' notifications",
    "postal": "Collection at home and the result by post: the citizen's request, the desk's carrier orders, the "
              "carriers' tracking callbacks",
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


# What each error status means on every route. Those marked (gateway) can also come from API Gateway itself,
# before any function runs: deployed, it answers them with its own fixed body ``{"message": ...}``, which an
# HTTP API cannot reshape (gateway responses are a REST API feature); the local adapter answers them in
# ErrorBody, as this document states (docs/mobile.md "Errors").
STATUSES = {
    "400": "Bad request: the body is not readable JSON, a required header is missing, or a page token was not one "
           "the server gave (gateway: a request it cannot read)",
    "401": "No valid token, or one for a subject that never signed in (gateway: the JWT authoriser's refusal)",
    "403": "Signed in, but this role or agency may not do this",
    "404": "No such resource (gateway: no route matches the method and path)",
    "409": "Conflict: the state changed, or the Idempotency-Key names another request",
    "413": "The body is over the function's limit (gateway: over API Gateway's payload quota)",
    "415": "The body is not application/json",
    "422": "The request failed validation; `details.errors` says where",
    "429": "Too many requests: Motcua's per-client limit (with Retry-After), or the gateway's stage or route "
           "throttle (gateway, no Retry-After)",
    "500": "An internal error; nothing of the request's data is echoed",
    "503": "Storage is temporarily unavailable: retry later, with the same Idempotency-Key",
}
GATEWAY_STATUSES = ("400", "404", "413", "429")  # every route; 401 on the authorised ones too
HEADERS: dict[str, dict[str, Any]] = {
    "Location": {"description": "Where the created resource is (a path of this API)", "required": True,
                 "schema": {"type": "string", "examples": ["/dossiers/7f3c0e2a9b5d4c1e8f6a2b3c4d5e6f70"]}},
    "Retry-After": {"description": "Seconds to wait before retrying; sent with Motcua's own 429, not the "
                                   "gateway's", "schema": {"type": "integer", "minimum": 1}},
    "apigw-requestid": {"description": "API Gateway's id of this request (also sent by the local stack): quote it "
                                       "when reporting a problem", "schema": {"type": "string"}},
}


def _gateway_answers(document: dict) -> dict:
    """Every error status a route can give, API Gateway's own answers included, in the one error shape, and
    the response headers: ``Location`` on each 201, ``Retry-After`` on 429, the request id on every answer."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation["responses"]
            statuses = [*GATEWAY_STATUSES, *(["401"] if operation.get("security") else [])]
            for status in statuses:
                responses.setdefault(status, {})
            for status, response in responses.items():
                if status[0] in "45":
                    response.update(description=STATUSES[status], content=error)
                headers = response.setdefault("headers", {})
                # Inline, not $ref: a client's validator follows a response's own pointers (clients/typescript).
                headers["apigw-requestid"] = dict(HEADERS["apigw-requestid"])
                if status == "201":
                    headers["Location"] = dict(HEADERS["Location"])
                if status == "429":
                    headers["Retry-After"] = dict(HEADERS["Retry-After"])
            operation["responses"] = dict(sorted(responses.items()))
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
