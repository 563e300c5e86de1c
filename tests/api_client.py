"""The tests' in-process API client: the local HTTP adapter's routing, event builder and response reading
(``infra.local.http_adapter.dispatch``) without a socket. Also used by the in-process benchmarks."""

from __future__ import annotations

from json import dumps as json_dumps
from typing import Any

from infra.local import Invoker
from infra.local.http_adapter import (
    DEFAULT_PORT,
    HOST,
    HeadersIn,
    HttpResponse,
    QueryIn,
    Route,
    TokenVerifier,
    dispatch,
    header_pairs,
    http_routes,
)


class ApiClient:
    """Calls the API in-process through the same routing, event builder and response reading as the
    HTTP adapter, without a socket: what tests and in-process benchmarks use.

    Without a ``verifier`` a bearer token's claims reach the handler unverified (see ``dispatch``); pass
    one to exercise the authoriser as ``make run`` does.
    """

    def __init__(
        self,
        routes: list[Route] | Invoker | None = None,
        host: str = f"{HOST}:{DEFAULT_PORT}",
        *,
        verifier: TokenVerifier | None = None,
    ) -> None:
        if routes is None:
            routes = http_routes()
        self.routes = [Route(routes)] if isinstance(routes, Invoker) else routes
        self.host = host
        self.verifier = verifier

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        body: bytes | str | None = None,
        headers: HeadersIn | None = None,
        query: QueryIn = None,
        source_ip: str = HOST,
    ) -> HttpResponse:
        pairs = header_pairs(headers)
        names = {name.lower() for name, _ in pairs}
        if json is not None:
            body = json_dumps(json, ensure_ascii=False)
            if "content-type" not in names:
                pairs.append(("content-type", "application/json"))
        if "host" not in names:
            pairs.append(("host", self.host))
        if "user-agent" not in names:
            pairs.append(("user-agent", "motcua-api-client"))
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if raw:
            pairs.append(("content-length", str(len(raw))))
        args: dict[str, Any] = {"method": method, "path": path, "headers": pairs, "body": raw, "query": query,
                                "source_ip": source_ip}
        return dispatch(self.routes, args, self.verifier)

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
