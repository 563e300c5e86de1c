"""What the partners' local emulators (national portal, payment platform, VNPost) share: a request handler
that reads and answers JSON, as each partner's documented contract does (docs/integrations.md)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any


class JsonRequestHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return  # an emulator's state is its log; request lines would only repeat it

    def send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller stopped waiting (a timeout fault): a late answer is dropped, as on a real network

    def json_body(self) -> dict[str, Any]:
        """The request's JSON object; an empty one for a body that is not a JSON object."""
        length = int(self.headers.get("Content-Length") or 0)
        try:
            value = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
