"""What every local HTTP server (the API adapter, the Cognito front, the partners' emulators) shares: a
``ThreadingHTTPServer`` bound to a local address, served from a daemon thread from ``start`` to ``stop``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Generic, Self, TypeVar

HOST = "127.0.0.1"

S = TypeVar("S", bound=ThreadingHTTPServer)


class LocalServer(Generic[S]):
    """A ``server_class`` bound to ``host:port`` (0: a free one) at construction, its ``handler`` answering
    each request in a daemon thread; served by the daemon thread ``name`` (polling for shutdown every
    ``poll_interval`` seconds) once started. Neither kind of thread keeps the process alive at its exit.
    A context manager too: started on entry, stopped on exit."""

    def __init__(self, server_class: type[S], handler: type[BaseHTTPRequestHandler], port: int, *, name: str,
                 host: str = HOST, poll_interval: float = 0.5) -> None:
        self.host = host
        self.server = server_class((host, port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(poll_interval,), name=name,
                                       daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        """Serve from now on (a server already started is left as it is)."""
        if self.thread.ident is None:
            self.thread.start()
        return self

    def stop(self) -> None:
        started = self.thread.ident is not None  # shutdown() would wait for a serve_forever that never began
        if started:
            self.server.shutdown()
        self.server.server_close()
        if started:
            self.thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
