"""Checks on the raw request before routing: size, content type, encoding, nesting.

Without them a client could get a 500 from a body the JSON parser chokes on (invalid UTF-8, nesting
deep enough to exhaust the recursion limit) or make the function parse megabytes.
"""

from __future__ import annotations

import base64
import binascii
import json

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from motcua.handlers.http_errors import error_response
from motcua.settings import settings

MAX_JSON_DEPTH = 32
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _depth(value: object, limit: int) -> int:
    """Nesting depth, stopping as soon as it passes ``limit``."""
    depth, level = 0, [(value, 1)]
    while level:
        node, d = level.pop()
        depth = max(depth, d)
        if depth > limit:
            return depth
        if isinstance(node, dict):
            level.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            level.extend((v, d + 1) for v in node)
    return depth


def request_guard(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    event = app.current_event
    body = event.get("body")
    if body is None or event.http_method.upper() not in _BODY_METHODS:
        return next_middleware(app)
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return error_response(400, "REQUEST_BODY_INVALID_ENCODING", "Nội dung yêu cầu mã hoá sai.",
                                  "The request body is not valid base64.")
    limit = settings().max_body_bytes
    if len(raw) > limit:
        return error_response(413, "REQUEST_BODY_TOO_LARGE", "Nội dung yêu cầu quá lớn.",
                              "The request body is too large.", {"max_bytes": limit, "bytes": len(raw)})
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if raw and content_type != "application/json":
        return error_response(415, "REQUEST_CONTENT_TYPE_UNSUPPORTED",
                              "Chỉ chấp nhận nội dung application/json.",
                              "Only application/json request bodies are accepted.",
                              {"content_type": content_type or None})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return error_response(400, "REQUEST_BODY_NOT_UTF8", "Nội dung yêu cầu không phải UTF-8.",
                              "The request body is not valid UTF-8.")
    try:
        parsed = json.loads(text) if text.strip() else None
    except RecursionError:
        parsed = None
        return _too_deep()
    except ValueError:
        return next_middleware(app)  # the validator reports invalid JSON with its own code
    if _depth(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        return _too_deep()
    if event.get("isBase64Encoded"):
        # Hand the decoded text on, so the resolver's JSON parsing sees what was checked here.
        event._data["body"] = text
        event._data["isBase64Encoded"] = False
    return next_middleware(app)


def _too_deep() -> Response:
    return error_response(400, "REQUEST_BODY_TOO_DEEP", "Nội dung JSON lồng nhau quá sâu.",
                          "The JSON body is nested too deeply.", {"max_depth": MAX_JSON_DEPTH})
