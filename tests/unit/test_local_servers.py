"""The local HTTP servers' one lifecycle (``infra.local.servers.LocalServer``): bound at construction,
served by a daemon thread from start to stop, and a context manager."""

from __future__ import annotations

import socket
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from infra.local.servers import LocalServer


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        data = f"{threading.current_thread().daemon} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_given_a_server_when_used_as_a_context_manager_then_it_answers_inside_and_lets_go_of_its_port() -> None:
    server = LocalServer(ThreadingHTTPServer, _Echo, 0, name="test-echo", poll_interval=0.05)
    assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
    with server as running:
        assert running is server and server.thread.daemon and server.thread.name == "test-echo"
        assert server.start() is server  # starting a started server changes nothing
        with urllib.request.urlopen(server.url + "/ping", timeout=5) as answer:
            assert answer.read() == b"True /ping"  # each request in a daemon thread
    assert not server.thread.is_alive()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
        pass


def test_a_server_never_started_stops_at_once() -> None:
    server = LocalServer(ThreadingHTTPServer, _Echo, 0, name="test-idle")
    server.stop()
    assert server.server.socket.fileno() == -1
