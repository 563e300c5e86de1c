"""The one place where errors become HTTP responses: ``{code, message_vi, message_en, details}``.

Every error a client can cause has a stable code and a 4xx status; anything unexpected is logged and
answered with a bilingual 500 that leaks nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any, TypedDict

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from pydantic import BaseModel

from motcua.data.failures import STORAGE_ERRORS
from motcua.domain.errors import IdempotencyKeyRequired, IdempotencyKeyReused, MotcuaError, RouteNotFound
from schemas.common import ErrorBody

logger = Logger(child=True)

# Every JSON answer is UTF-8 with Vietnamese letters as themselves, not ``\u`` escapes (readable with curl):
# the resolver's serializer (Powertools' own, compact, but without ensure_ascii) and the declared charset.
JSON_UTF8 = f"{content_types.APPLICATION_JSON}; charset=utf-8"
serialize = partial(json.dumps, separators=(",", ":"), ensure_ascii=False, cls=Encoder)


def declare_utf8(app: APIGatewayHttpResolver, next_middleware: Callable[..., Response]) -> Response:
    """A global middleware: the charset on the JSON answers Powertools builds from a route's return value."""
    response = next_middleware(app)
    if response.headers.get("Content-Type") == content_types.APPLICATION_JSON:
        response.headers["Content-Type"] = JSON_UTF8
    return response


IDEMPOTENCY_HEADER = "idempotency-key"

# The security requirement of every route that needs a token (the JWT authoriser's scheme in the document).
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]

# Any route can answer these: a raw body the guard refuses (400 encoding/JSON, 413 size, 415 type), a
# validation failure, our own bug, storage down.
ALWAYS = (400, 413, 415, 422, 500, 503)


def documented_responses(*statuses: int, ok: int = 200) -> dict:
    """A route's documented answers: its success (the return model, filled in by Powertools) and every
    error it can give, all in the one error shape."""
    errors = {s: {"description": "Error", "content": {"application/json": {"model": ErrorBody}}}
              for s in sorted({*statuses, *ALWAYS})}
    return {ok: {"description": "Success"}, **errors}


def created(location: str, model: BaseModel) -> Response:
    """A 201 with the created resource's path in ``Location`` (RFC 9110 §15.3.2), as the document states."""
    return Response(201, content_types.APPLICATION_JSON, model, headers={"Location": location})


def _known_codes() -> dict[str, type[MotcuaError]]:
    found: dict[str, type[MotcuaError]] = {}
    pending: list[type[MotcuaError]] = [MotcuaError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


class ErrorText(TypedDict):
    code: str
    message_vi: str
    message_en: str


# Our bug or the runtime's: the one 500 body, which says nothing of the request (the local adapter's too).
INTERNAL_ERROR: ErrorText = {"code": "INTERNAL_ERROR", "message_vi": "Đã có lỗi hệ thống. Vui lòng thử lại sau.",
                             "message_en": "An internal error occurred. Please retry later."}


def error_response(status: int, code: str, message_vi: str, message_en: str,
                   details: dict[str, Any] | None = None) -> Response:
    body = ErrorBody(code=code, message_vi=message_vi, message_en=message_en, details=details or {})
    headers: dict[str, str] = {}
    if status == 429 and "retry_after_s" in body.details:
        headers["Retry-After"] = str(body.details["retry_after_s"])  # RFC 9110 §10.2.3, in seconds
    return Response(status_code=status, content_type=JSON_UTF8, body=body.model_dump_json(), headers=headers)


def from_error(error: MotcuaError) -> Response:
    return error_response(error.http_status, error.code, error.message_vi, error.message_en, error.details)


def _validation(error: RequestValidationError) -> Response:
    # Never echo the input back: it may be a national ID or a phone number.
    problems = [{"location": [str(p) for p in e.get("loc", ())], "type": e.get("type"), "message": e.get("msg")}
                for e in error.errors()]
    coded = _known_codes()
    if ["header", IDEMPOTENCY_HEADER] in [p["location"] for p in problems if p["type"] == "missing"]:
        return from_error(IdempotencyKeyRequired())
    for problem in problems:
        cls = coded.get(str(problem["type"]))
        if cls is not None:
            return error_response(422, cls.code, cls.message_vi, cls.message_en, {"errors": problems})
    if any(p["type"] == "json_invalid" for p in problems):
        return error_response(400, "REQUEST_BODY_INVALID_JSON", "Nội dung yêu cầu không phải JSON hợp lệ.",
                              "The request body is not valid JSON.", {"errors": problems})
    return error_response(422, "REQUEST_VALIDATION_FAILED", "Dữ liệu gửi lên không hợp lệ.",
                          "The request data failed validation.", {"errors": problems})


def register(app: APIGatewayHttpResolver) -> None:
    app.use([declare_utf8])
    app.exception_handler(MotcuaError)(from_error)
    app.exception_handler(RequestValidationError)(_validation)

    @app.exception_handler(IdempotencyValidationError)
    def _reused_key(_: Exception) -> Response:
        return from_error(IdempotencyKeyReused())

    @app.exception_handler(IdempotencyAlreadyInProgressError)
    def _in_progress(_: Exception) -> Response:
        return error_response(409, "IDEMPOTENCY_IN_PROGRESS",
                              "Yêu cầu với Idempotency-Key này đang được xử lý. Vui lòng thử lại sau giây lát.",
                              "A request with this Idempotency-Key is still being processed. Retry shortly.")

    # The idempotency layer cannot reach its table either when storage is down: same answer, same retry.
    @app.exception_handler([*STORAGE_ERRORS, IdempotencyPersistenceLayerError])
    def _storage(error: Exception) -> Response:
        logger.warning("storage unavailable", extra={"error_type": type(error).__name__})
        return error_response(503, "STORAGE_UNAVAILABLE",
                              "Hệ thống tạm thời không lưu được dữ liệu. Vui lòng thử lại sau.",
                              "Storage is temporarily unavailable. Please retry later.")

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return from_error(RouteNotFound({"method": app.current_event.http_method, "path": app.current_event.path}))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unexpected error")
        return error_response(500, **INTERNAL_ERROR)
