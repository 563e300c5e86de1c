"""Checks on the raw API Gateway event before routing and validation: size, content type, encoding,
nesting. They run ahead of the resolver because its own validation would otherwise meet the body first.

Without them a client could get a 500 from a body the JSON parser chokes on (invalid UTF-8, nesting
deep enough to exhaust the recursion limit) or make the function parse megabytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from typing import Any

from motcua.domain.errors import InvalidInput, MotcuaError, RequestTooLarge

MAX_JSON_DEPTH = 32
MAX_BODY_BYTES = 256 * 1024
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


class _Rejected(InvalidInput):
    """A raw-body problem; each instance carries its own code and messages."""


def _reject(status: int, code: str, vi: str, en: str, details: dict[str, Any] | None = None) -> MotcuaError:
    error = _Rejected(details, message_vi=vi, message_en=en)
    error.code, error.http_status = code, status  # type: ignore[misc]
    return error


def check_raw_request(event: dict[str, Any]) -> MotcuaError | None:
    """The problem with this request's body, if any; may replace a base64 body with its checked text."""
    body = event.get("body")
    method = str(event.get("requestContext", {}).get("http", {}).get("method", "")).upper()
    if body is None or method not in _BODY_METHODS:
        return None
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return _reject(400, "REQUEST_BODY_INVALID_ENCODING", "Nội dung yêu cầu mã hoá sai.",
                           "The request body is not valid base64.")
    limit = MAX_BODY_BYTES
    if len(raw) > limit:
        return RequestTooLarge({"max_bytes": limit, "bytes": len(raw)})
    headers = event.get("headers") or {}
    names = [k for k in headers if str(k).lower() == "content-type"]
    content_type = str(headers[names[0]] if names else "").split(";")[0].strip().lower()
    if raw and content_type != "application/json":
        return _reject(415, "REQUEST_CONTENT_TYPE_UNSUPPORTED", "Chỉ chấp nhận nội dung application/json.",
                       "Only application/json request bodies are accepted.", {"content_type": content_type or None})
    for name in names:
        # Media types are case-insensitive (RFC 9110 §8.3.1); the resolver's body parser compares them as
        # written, so it is handed the lowercase form of what was checked here.
        headers[name] = str(headers[name]).lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _reject(400, "REQUEST_BODY_NOT_UTF8", "Nội dung yêu cầu không phải UTF-8.",
                       "The request body is not valid UTF-8.")
    try:
        parsed = json.loads(text) if text.strip() else None
    except RecursionError:
        return _too_deep()
    except json.JSONDecodeError:
        parsed = None  # the validator reports invalid JSON with its own code
    except ValueError:
        # Valid JSON, but an integer longer than Python converts (CVE-2020-10735's limit): the resolver's own
        # parse would raise the same outside its validation. Never echoed: it is the client's input.
        return _reject(400, "REQUEST_BODY_INVALID_JSON", "Nội dung yêu cầu có số quá dài.",
                       "The request body has a number too long to read.",
                       {"max_digits": sys.get_int_max_str_digits()})
    if _depth(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        return _too_deep()
    if event.get("isBase64Encoded"):
        # Hand the decoded text on, so the resolver parses what was checked here.
        event["body"], event["isBase64Encoded"] = text, False
    return None


def _too_deep() -> MotcuaError:
    return _reject(400, "REQUEST_BODY_TOO_DEEP", "Nội dung JSON lồng nhau quá sâu.",
                   "The JSON body is nested too deeply.", {"max_depth": MAX_JSON_DEPTH})
