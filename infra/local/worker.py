"""One local execution environment: a process that imports one function's handler once and then serves one
event at a time, as a Lambda execution environment does (``infra.local.workers`` starts and feeds them).

Started as ``python -m infra.local.worker FD`` with one end of a socket pair inherited as ``FD``. Every
message is a JSON document (Lambda, too, hands the runtime its event as JSON and marshals the result back):

1. the parent sends ``{"function": {name, handler, memory_mb, timeout_s}, "sys_path": [...], "log_level": N}``;
   the worker imports the handler (its cold start) and answers ``{"ready": true}`` or ``{"error": ...}``;
2. then, per invocation, the parent sends the event and the worker answers ``{"result": ...}`` or
   ``{"error": {"type", "message", "traceback"}}``; the environment is kept after a handler's exception, as
   Lambda keeps it.

The worker ends when the parent closes its end (or dies: the socket reads end of file). It ignores SIGINT:
Ctrl-C stops ``make run``, which then closes every environment.
"""

from __future__ import annotations

import decimal
import json
import logging
import signal
import socket
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any


def _marshal(value: Any) -> bytes:
    """The result as the Lambda Python runtime marshals it: JSON, a Decimal as a number, anything else fails."""

    def default(o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        raise TypeError(f"Unable to marshal response: {type(o).__name__} is not JSON serializable")

    return json.dumps(value, default=default, ensure_ascii=False).encode("utf-8")


def _error(error: BaseException) -> bytes:
    return json.dumps({"error": {"type": type(error).__name__, "message": str(error),
                                 "traceback": "".join(traceback.format_exception(error))}}).encode("utf-8")


def serve(connection: Connection) -> int:
    init = json.loads(connection.recv_bytes())
    for entry in reversed(init.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    logging.basicConfig(level=init.get("log_level", logging.INFO),
                        format="%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("botocore", "boto3", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    from infra import declaration
    from infra.local import load_handler, make_context

    spec = init["function"]
    function = declaration.Function(name=spec["name"], handler=spec["handler"], description="", triggers=(),
                                    permissions=(), memory_mb=spec["memory_mb"], timeout_s=spec["timeout_s"])
    try:
        handler = load_handler(function.handler)  # the cold start: once per environment
    except BaseException as error:  # an import failing in any way is the environment's failure to start
        connection.send_bytes(_error(error))
        return 1
    connection.send_bytes(b'{"ready": true}')
    while True:
        try:
            event = json.loads(connection.recv_bytes())
        except (EOFError, OSError):
            return 0  # the parent closed this environment (or went away)
        try:
            answer = b'{"result": ' + _marshal(handler(event, make_context(function))) + b"}"
        except Exception as error:
            answer = _error(error)
        try:
            connection.send_bytes(answer)
        except OSError:
            return 0


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=int(argv[1]))
    return serve(Connection(sock.detach()))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
