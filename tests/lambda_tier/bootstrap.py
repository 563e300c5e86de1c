"""What Lambda's Python runtime does, in a clean ``python3.11 -I -S -B`` process: nothing but this file runs here.

    python3.11 -I -S -B bootstrap.py <code dir> <layer python dir> <module.attribute>

``sys.path`` becomes the code asset, the layer's ``python/`` and the standard library, as in
``/var/task`` + ``/opt/python`` (no site-packages: the interpreter's own are dropped). The handler is
imported once (the cold start); then each line on stdin is one invocation (a warm execution environment):
``{"event": ..., "request_id": ..., "timeout_ms": ...}``, answered by one line on the protocol stream:
``{"result": ...}`` or ``{"errorType", "errorMessage", "stackTrace"}``, as the runtime reports them.
The handler's own stdout (Powertools' JSON logs) goes to stderr, so it never mixes with the answers.

Standard library only: it must not depend on anything the test process has.
"""

import gc
import importlib
import json
import os
import sys
import time
import traceback

CODE_DIR, LAYER_DIR, HANDLER = sys.argv[1:4]
_STDLIB = [p for p in sys.path if p and "-packages" not in p]
sys.path[:] = [CODE_DIR, LAYER_DIR, *_STDLIB]

protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)  # print() and logging to stdout land in stderr


class LambdaContext:
    """The context object the runtime passes (the attributes awslambdaric's ``LambdaContext`` has)."""

    def __init__(self, request_id: str, timeout_ms: int) -> None:
        name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_name = name
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = (
            f"arn:aws:lambda:{os.environ['AWS_REGION']}:000000000000:function:{name}"
        )
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", f"/aws/lambda/{name}")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(error: BaseException, error_type: str | None = None) -> dict:
    return {
        "errorType": error_type or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def _send(message: dict) -> None:
    protocol.write(json.dumps(message, default=str) + "\n")
    protocol.flush()


def _outside(roots: list[str]) -> list[str]:
    """Modules loaded from anywhere but the asset, the layer and the standard library (whose directory
    holds the interpreter's site-packages: those count as outside)."""
    prefixes = [os.path.join(root, "") for root in roots]
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if (path := getattr(module, "__file__", None))
        and path != __file__
        and ("-packages" in path or not any(path.startswith(prefix) for prefix in prefixes))
    )


started = time.process_time()
try:
    module_name, _, attribute = HANDLER.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
except Exception as error:  # the runtime's Runtime.ImportModuleError / Runtime.HandlerNotFound
    _send({"ready": False, **_error(error, "Runtime.ImportModuleError")})
    raise SystemExit(1) from None
_send({
    "ready": True,
    "init_cpu_ms": round((time.process_time() - started) * 1000, 1),
    "sys_path": sys.path,
    "outside": _outside([CODE_DIR, LAYER_DIR, *_STDLIB]),
    "module_file": sys.modules[module_name].__file__,
    "gc_enabled": gc.isenabled(),  # a handler may pause the collector while it loads, never leave it off
    "loaded": sorted(name for name in sys.modules if name.split(".")[0] in ("motcua", "schemas")),  # at init
})

for line in sys.stdin:
    request = json.loads(line)
    os.environ["_X_AMZN_TRACE_ID"] = request["trace_id"]
    context = LambdaContext(request["request_id"], request["timeout_ms"])
    try:
        result = handler(request["event"], context)
    except Exception as error:
        _send(_error(error))
    else:
        _send({"result": result})
