"""HTTP -> API Gateway HTTP API (payload format 2.0) event -> handler -> HTTP response, on 127.0.0.1.

``build_http_event`` builds the event Lambda would get; ``invoke_http`` calls a handler with it and reads
the answer the way API Gateway does (including the 2.0 shortcut: a result without ``statusCode`` is a
200 JSON body). The HTTP server and the in-process test client both use these two functions, so tests
exercise exactly what ``make run`` serves.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from json import dumps as _json_dumps
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from infra import declaration
from infra.local import ACCOUNT_ID, Invoker, invoker_for

log = logging.getLogger("motcua.local")

HOST = "127.0.0.1"
DEFAULT_PORT = 3000
ROUTE_KEY = "$default"
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


def _header_pairs(headers: HeadersIn | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def _jwt_claims(authorization: str | None) -> dict[str, Any] | None:
    """The claims of a bearer JWT, *unverified*: locally there is no identity provider to check against.

    Deployed, API Gateway's JWT authorizer verifies the token and passes the claims the same way.
    """
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    parts = authorization.split(" ", 1)[1].strip().split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(payload, dict):
        return None
    # API Gateway hands claims over as strings; arrays become "[a b]".
    return {
        k: (
            f"[{' '.join(map(str, v))}]"
            if isinstance(v, list)
            else v
            if isinstance(v, str)
            else json.dumps(v)
        )
        for k, v in payload.items()
    }


def build_http_event(
    method: str,
    path: str,
    headers: HeadersIn | None = None,
    body: bytes | str | None = None,
    query: QueryIn = None,
    *,
    source_ip: str = HOST,
    route_key: str = ROUTE_KEY,
    path_parameters: Mapping[str, str] | None = None,
    request_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload 2.0 event for one request.

    ``path`` may carry a query string (``/procedures?level=commune``); ``query`` given as a mapping is
    encoded into ``rawQueryString``. Headers are lower-cased, repeated ones joined with commas; cookies
    move from the ``cookie`` header to ``cookies``. The ``$default`` route has no ``pathParameters``; pass
    them for a templated route.
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
    for name, value in _header_pairs(headers):
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
    claims = _jwt_claims(merged.get("authorization"))
    if claims is not None:
        scope = claims.get("scope")
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": claims, "scopes": scope.split() if isinstance(scope, str) else None}
        }

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


def _internal_error() -> HttpResponse:
    return HttpResponse(
        500, {"content-type": "application/json"}, body=b'{"message":"Internal Server Error"}'
    )


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


def invoke_http(invoker: Invoker, event: dict[str, Any]) -> HttpResponse:
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


CATCH_ALL = "/{proxy+}"


@dataclass
class Route:
    """One function's HttpTrigger. The catch-all ``/{proxy+}`` is served as the ``$default`` route (routeKey
    ``$default``, no path parameters), as the stack wires it; any other path template becomes
    ``ANY <template>`` with its ``pathParameters``."""

    invoker: Invoker
    template: str = CATCH_ALL
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pattern = ""
        for literal, name, greedy in re.findall(r"([^{]*)(?:\{(\w+)(\+?)\})?", self.template):
            pattern += re.escape(literal)
            if name:
                pattern += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        self._pattern = re.compile(pattern)

    @property
    def is_default(self) -> bool:
        return self.template == CATCH_ALL

    @property
    def route_key(self) -> str:
        return ROUTE_KEY if self.is_default else f"ANY {self.template}"

    def match(self, path: str) -> dict[str, str] | None:
        if self.is_default:
            return {}
        found = self._pattern.fullmatch(path)
        return None if found is None else found.groupdict()


def http_routes(functions: Iterable[declaration.Function] | None = None) -> list[Route]:
    """A route per declared HttpTrigger, most specific first (the ``$default`` catch-all last)."""
    routes = [
        Route(invoker_for(function), trigger.path)
        for function in (declaration.FUNCTIONS if functions is None else functions)
        for trigger in function.triggers
        if isinstance(trigger, declaration.HttpTrigger)
    ]
    return sorted(routes, key=lambda r: (r.is_default, -len(r.template)))


def http_invoker(functions: Iterable[declaration.Function] | None = None) -> Invoker:
    """The invoker of the function behind the ``$default`` route (the API)."""
    return next(r.invoker for r in http_routes(functions) if r.is_default)


def dispatch(routes: list[Route], event_args: dict[str, Any]) -> HttpResponse:
    """Pick the route for a request, build its event and invoke; no route answers 404 as API Gateway does."""
    path = urlsplit(event_args["path"]).path or "/"
    for route in routes:
        params = route.match(path)
        if params is not None:
            event = build_http_event(**event_args, route_key=route.route_key, path_parameters=params or None)
            return invoke_http(route.invoker, event)
    return HttpResponse(404, {"content-type": "application/json"}, body=b'{"message":"Not Found"}')


class _RequestHandler(BaseHTTPRequestHandler):
    server: _AdapterServer
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        started = time.monotonic()
        response = self._response()
        self.send_response(response.status)
        headers = {k.lower(): v for k, v in response.headers.items()}
        headers.pop("content-length", None)
        headers.pop("transfer-encoding", None)
        headers.setdefault("apigw-requestid", self._request_id)
        for name, value in headers.items():
            self.send_header(name, value)
        for cookie in response.cookies:
            self.send_header("set-cookie", cookie)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        log.info(
            "%s %s -> %d (%.0f ms)",
            self.command,
            self.path,
            response.status,
            (time.monotonic() - started) * 1000,
        )

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
            return None
        return self.rfile.read(length) if length else b""

    def _response(self) -> HttpResponse:
        self._request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            return HttpResponse(400, {"content-type": "application/json"}, body=b'{"message":"Bad Request"}')
        if body is None:
            self.close_connection = True  # the unread body would be taken for the next request
            return HttpResponse(
                413, {"content-type": "application/json"}, body=b'{"message":"Request Entity Too Large"}'
            )
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
        )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class _AdapterServer(ThreadingHTTPServer):
    daemon_threads = True
    routes: list[Route]


class HttpAdapter:
    """Serves the declared HTTP routes on 127.0.0.1:port from a background thread."""

    def __init__(self, routes: list[Route] | Invoker, port: int = DEFAULT_PORT) -> None:
        self.routes = [Route(routes)] if isinstance(routes, Invoker) else routes
        self._server = _AdapterServer((HOST, port), _RequestHandler)
        self._server.routes = self.routes
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-adapter", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> HttpAdapter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class ApiClient:
    """Calls the API in-process through the same routing, event builder and response reading as the
    HTTP adapter, without a socket: what tests and in-process benchmarks use."""

    def __init__(
        self, routes: list[Route] | Invoker | None = None, host: str = f"{HOST}:{DEFAULT_PORT}"
    ) -> None:
        if routes is None:
            routes = http_routes()
        self.routes = [Route(routes)] if isinstance(routes, Invoker) else routes
        self.host = host

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        body: bytes | str | None = None,
        headers: HeadersIn | None = None,
        query: QueryIn = None,
    ) -> HttpResponse:
        pairs = _header_pairs(headers)
        names = {name.lower() for name, _ in pairs}
        if json is not None:
            body = _json_dumps(json, ensure_ascii=False)
            if "content-type" not in names:
                pairs.append(("content-type", "application/json"))
        if "host" not in names:
            pairs.append(("host", self.host))
        if "user-agent" not in names:
            pairs.append(("user-agent", "motcua-api-client"))
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if raw:
            pairs.append(("content-length", str(len(raw))))
        args: dict[str, Any] = {"method": method, "path": path, "headers": pairs, "body": raw, "query": query}
        return dispatch(self.routes, args)

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("DELETE", path, **kwargs)
