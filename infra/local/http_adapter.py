"""HTTP -> API Gateway HTTP API (payload format 2.0) event -> handler -> HTTP response, on 127.0.0.1.

``dispatch`` matches the request against the routes the stack creates from the declaration's
HttpTriggers (``<method> <path>``, most specific first) and applies the JWT authoriser on authorised ones;
``build_http_event`` builds the event Lambda would get; ``invoke_http`` calls the handler with it and reads
the answer the way API Gateway does (including the 2.0 shortcut: a result without ``statusCode`` is a
200 JSON body). The HTTP server (``HttpAdapter``) and the tests' in-process client (``tests/api_client.py``)
both go through ``dispatch``, so tests exercise exactly what ``make run`` serves.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from json import dumps as _json_dumps
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from infra import declaration
from infra.constructs.constants import CORS_ALLOWED_HEADERS, CORS_MAX_AGE_S
from infra.local import ACCOUNT_ID, Invocable, Invoker, invoker_for
from infra.local.servers import HOST, LocalServer
from motcua.domain.access import AuthenticationRequired
from motcua.domain.errors import MotcuaError, RequestTooLarge, RequestUnreadable, RouteNotFound
from motcua.handlers.http_errors import INTERNAL_ERROR, JSON_UTF8
from motcua.observability import MASK, mask_text

log = logging.getLogger("infra.local")

DEFAULT_PORT = 3000
STAGE = "$default"
API_ID = "local"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's request payload quota for HTTP APIs

# Bodies API Gateway passes as text; anything else (or bytes that are not UTF-8) arrives base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")
_TEXT_SUFFIXES = ("+json", "+xml")
_FORM = "application/x-www-form-urlencoded"

HeadersIn = Mapping[str, str] | Iterable[tuple[str, str]]
QueryIn = str | Mapping[str, str | list[str]] | None


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith(_TEXT_TYPES) or media_type.endswith(_TEXT_SUFFIXES) or media_type == _FORM


def header_pairs(headers: HeadersIn | None) -> list[tuple[str, str]]:
    """Headers as (name, value) pairs, repeated names kept (a mapping or pairs, as a caller has them)."""
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def unverified_claims(token: str) -> dict[str, Any] | None:
    """A JWT's payload without checking its signature: for in-process calls, where no authoriser sits."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    return payload if isinstance(payload, dict) else None


def authorizer_context(claims: Mapping[str, Any]) -> dict[str, Any]:
    """``requestContext.authorizer`` as API Gateway's JWT authoriser fills it: claims as strings, arrays
    as ``"[a b]"``, scopes from the ``scope`` claim."""
    strings = {
        k: f"[{' '.join(map(str, v))}]" if isinstance(v, list) else v if isinstance(v, str) else json.dumps(v)
        for k, v in claims.items()
    }
    scope = strings.get("scope")
    return {"jwt": {"claims": strings, "scopes": scope.split() if scope else None}}


class TokenVerifier(Protocol):
    """What the adapter needs of the JWT authoriser (``infra.local.cognito.PoolVerifier``)."""

    def verify(self, token: str) -> dict[str, Any]: ...


def build_http_event(
    method: str,
    path: str,
    headers: HeadersIn | None = None,
    body: bytes | str | None = None,
    query: QueryIn = None,
    *,
    source_ip: str = HOST,
    route_key: str = "$default",
    path_parameters: Mapping[str, str] | None = None,
    request_id: str | None = None,
    now: datetime | None = None,
    jwt_claims: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload 2.0 event for one request.

    ``path`` may carry a query string (``/procedures?level=commune``); ``query`` given as a mapping is
    encoded into ``rawQueryString``. Headers are lower-cased, repeated ones joined with commas; cookies
    move from the ``cookie`` header to ``cookies``. ``route_key`` and ``path_parameters`` come from the
    matched route (``dispatch``); ``jwt_claims`` are what an authoriser verified.
    """
    split = urlsplit(path)
    raw_path = split.path or "/"
    if query is None:
        raw_query = split.query
    elif isinstance(query, str):
        raw_query = query.lstrip("?")
    else:
        raw_query = urlencode(query, doseq=True)

    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in header_pairs(headers):
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value

    now = now or datetime.now(UTC)
    request_id = request_id or base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        params: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)

    host = merged.get("host", f"{HOST}:{DEFAULT_PORT}")
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": method.upper(),
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": merged.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": STAGE,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if jwt_claims is not None:
        event["requestContext"]["authorizer"] = authorizer_context(jwt_claims)

    if body is None or body == b"" or body == "":
        event["isBase64Encoded"] = False
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        text: str | None = None
        if _is_text(merged.get("content-type")):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            event["body"] = base64.b64encode(raw).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
            event["isBase64Encoded"] = False
    return event


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)
    body: bytes = b""

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def _error_body(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, {"content-type": JSON_UTF8}, body=_json_dumps(body, ensure_ascii=False).encode())


def _internal_error() -> HttpResponse:
    # Deployed, API Gateway says {"message":"Internal Server Error"}; locally the document's one error shape.
    return _error_body(500, {**INTERNAL_ERROR, "details": {}})


def to_http_response(result: Any) -> HttpResponse:
    """Read a handler's result as API Gateway does for payload format 2.0."""
    if isinstance(result, dict) and "statusCode" in result:
        try:
            status = int(result["statusCode"])
            headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
            for name, values in (result.get("multiValueHeaders") or {}).items():
                headers[str(name)] = ",".join(map(str, values))
            cookies = [str(c) for c in result.get("cookies") or []]
            body = result.get("body") or ""
            raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
        except (TypeError, ValueError, binascii.Error):
            log.exception("malformed handler response")
            return _internal_error()
        return HttpResponse(status, headers, cookies, raw)
    # No statusCode: API Gateway assumes 200, JSON, and the result as the body (a string as is).
    body = result if isinstance(result, str) else json.dumps(result)
    return HttpResponse(200, {"content-type": "application/json"}, body=body.encode("utf-8"))


def invoke_http(invoker: Invocable, event: dict[str, Any]) -> HttpResponse:
    """Call the handler with ``event``; an exception becomes API Gateway's 500, as in the cloud."""
    try:
        result = invoker(event)
    except Exception:
        log.exception(
            "%s raised on %s %s",
            invoker.function.name,
            event["requestContext"]["http"]["method"],
            event["rawPath"],
        )
        return _internal_error()
    return to_http_response(result)


_SEGMENT_RANK = {"literal": 0, "variable": 1, "greedy": 2}


@dataclass
class Route:
    """One HttpTrigger, wired as the stack wires it: ``<method> <path>``, with or without the JWT authoriser."""

    invoker: Invocable
    path: str = "/{proxy+}"
    authorised: bool = True
    method: str = "ANY"
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pattern = ""
        for literal, name, greedy in re.findall(r"([^{]*)(?:\{(\w+)(\+?)\})?", self.path):
            pattern += re.escape(literal)
            if name:
                pattern += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        self._pattern = re.compile(pattern)

    @property
    def route_key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def specificity(self) -> tuple[tuple[int, ...], bool]:
        """API Gateway prefers literal segments to variables, variables to a greedy ``{proxy+}``, and a
        route's own method to ANY."""
        ranks = []
        for segment in self.path.strip("/").split("/"):
            kind = "greedy" if segment.endswith("+}") else "variable" if segment.startswith("{") else "literal"
            ranks.append(_SEGMENT_RANK[kind])
        return tuple(ranks), self.method.upper() == "ANY"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method.upper() not in ("ANY", method.upper()):
            return None
        found = self._pattern.fullmatch(path)
        return None if found is None else found.groupdict()


def http_routes(functions: Iterable[declaration.Function] | None = None) -> list[Route]:
    """A route per declared HttpTrigger, most specific first, as API Gateway matches them."""
    routes = [
        Route(invoker_for(function), trigger.path, trigger.authorised, getattr(trigger, "method", "ANY"))
        for function in (declaration.FUNCTIONS if functions is None else functions)
        for trigger in function.triggers
        if isinstance(trigger, declaration.HttpTrigger)
    ]
    return sorted(routes, key=lambda r: r.specificity)


def _gateway_error(error: MotcuaError) -> HttpResponse:
    """What API Gateway answers itself (no route, the authoriser's refusal, the payload quota, an unreadable
    request). Deployed it sends its own fixed ``{"message": ...}``, which an HTTP API cannot reshape; here it is
    the error shape ``schemas/openapi.json`` documents for these statuses (docs/mobile.md "Errors")."""
    return _error_body(error.http_status, error.to_body())


def match_route(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict[str, str] | None]:
    """The route API Gateway would pick for this request (most specific first), and its path parameters."""
    return next(((r, p) for r in routes if (p := r.match(method, path)) is not None), (None, None))


def access_line(routes: list[Route], method: str, raw_path: str) -> str:
    """What the access log says of a request: the method, the matched route's template and the query's
    parameter names. Never a value: citizens type national IDs, phones and names into tracking and search."""
    parts = urlsplit(raw_path)
    route, _ = match_route(routes, method, parts.path or "/")
    names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    query = "?" + "&".join(f"{mask_text(name[:40])}={MASK}" for name in names) if names else ""
    return f"{method} {route.path if route is not None else '(no route)'}{' ' + query if query else ''}"


def dispatch(routes: list[Route], event_args: dict[str, Any], verifier: TokenVerifier | None = None) -> HttpResponse:
    """Match a route, authorise, build the event and invoke, as API Gateway does.

    No route: API Gateway's 404. On an authorised route with a ``verifier``, a missing or invalid bearer
    token is API Gateway's 401 and the function never runs. Without a verifier (in-process calls) the
    token's claims are passed unverified, as if an authoriser had accepted it, and a request without one
    reaches the function with no authorizer context, so the handler's own refusal can be tested.
    """
    path = urlsplit(event_args["path"]).path or "/"
    method = event_args["method"]
    route, params = match_route(routes, method, path)
    if route is None:
        return _gateway_error(RouteNotFound({"method": method, "path": path}))
    event = build_http_event(**event_args, route_key=route.route_key, path_parameters=params or None)
    if route.authorised:
        token = bearer_token(event["headers"])
        claims: dict[str, Any] | None = None
        if verifier is not None:
            if token is None:
                return _gateway_error(AuthenticationRequired())
            try:
                claims = verifier.verify(token)
            except Exception as error:
                log.info("token refused on %s: %s", route.route_key, error)
                return _gateway_error(AuthenticationRequired())
        elif token is not None:
            claims = unverified_claims(token)
        if claims is not None:
            event["requestContext"]["authorizer"] = authorizer_context(claims)
    return invoke_http(route.invoker, event)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _AdapterServer
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        started = time.monotonic()
        self._request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")
        origin = self.headers.get("origin")
        preflight = self.command == "OPTIONS" and origin and self.headers.get("access-control-request-method")
        response = self._preflight() if preflight else self._response()
        self.send_response(response.status)
        headers = {k.lower(): v for k, v in response.headers.items()}
        headers.pop("content-length", None)
        headers.pop("transfer-encoding", None)
        headers.setdefault("apigw-requestid", self._request_id)
        if origin and self.server.allows(origin):
            # API Gateway's CORS configuration, not the function, decides these headers.
            headers["access-control-allow-origin"] = "*" if "*" in self.server.cors_origins else origin
            headers["vary"] = "origin"
        for name, value in headers.items():
            self.send_header(name, value)
        for cookie in response.cookies:
            self.send_header("set-cookie", cookie)
        self.send_header("content-length", str(len(response.body)))
        # Logged before the body goes out, so a client that has its answer can also find its line.
        log.info(
            "%s -> %d (%.0f ms)",
            access_line(self.server.routes, self.command, self.path),
            response.status,
            (time.monotonic() - started) * 1000,
        )
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is over API Gateway's quota (answered with 413)."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            # Drain it so that the client, still sending, reads the 413 instead of a broken pipe.
            while length > 0 and (chunk := self.rfile.read(min(length, 1 << 16))):
                length -= len(chunk)
            return None
        return self.rfile.read(length) if length else b""

    def _preflight(self) -> HttpResponse:
        """A CORS preflight, answered by the gateway without the authoriser or the function."""
        headers: dict[str, str] = {}
        if self.server.allows(self.headers.get("origin", "")):
            headers = {
                "access-control-allow-methods": "*",
                "access-control-allow-headers": ", ".join(CORS_ALLOWED_HEADERS),
                "access-control-max-age": str(CORS_MAX_AGE_S),
            }
        return HttpResponse(204, headers)

    def _response(self) -> HttpResponse:
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            return _gateway_error(RequestUnreadable())
        if body is None:
            self.close_connection = True  # the unread body would be taken for the next request
            return _gateway_error(RequestTooLarge({"max_bytes": MAX_BODY_BYTES}))
        return dispatch(
            self.server.routes,
            {
                "method": self.command,
                "path": self.path,
                "headers": list(self.headers.items()),
                "body": body,
                "source_ip": self.client_address[0],
                "request_id": self._request_id,
            },
            self.server.verifier,
        )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        # Any other method token (TRACE, PROPFIND, ...) is routed too, where ANY routes take it and the
        # function answers, instead of http.server's own 501 page.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class _AdapterServer(ThreadingHTTPServer):
    routes: list[Route]
    verifier: TokenVerifier | None
    cors_origins: tuple[str, ...]

    def allows(self, origin: str) -> bool:
        return "*" in self.cors_origins or origin in self.cors_origins


def default_cors_origins() -> tuple[str, ...]:
    """Origins a local web front end may call from: MOTCUA_ALLOWED_ORIGINS (comma-separated), else any."""
    configured = os.environ.get("MOTCUA_ALLOWED_ORIGINS", "")
    return tuple(o.strip() for o in configured.split(",") if o.strip()) or ("*",)


class HttpAdapter(LocalServer[_AdapterServer]):
    """Serves the declared HTTP routes on 127.0.0.1:port from a background thread.

    With a ``verifier`` (``make run`` passes the local user pool's) authorised routes refuse
    requests without a valid bearer token, as API Gateway's JWT authoriser does.
    """

    def __init__(
        self,
        routes: list[Route] | Invoker,
        port: int = DEFAULT_PORT,
        *,
        verifier: TokenVerifier | None = None,
        cors_origins: tuple[str, ...] | None = None,
    ) -> None:
        self.routes = [Route(routes)] if isinstance(routes, Invoker) else routes
        super().__init__(_AdapterServer, _RequestHandler, port, name="http-adapter", poll_interval=0.1)
        self.server.routes = self.routes
        self.server.verifier = verifier
        self.server.cors_origins = default_cors_origins() if cors_origins is None else cors_origins
