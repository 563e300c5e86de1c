"""The artefact, run as Lambda runs it: the synthesised code asset and the layer built from the lock.

Per declared function, one clean ``python3.11 -I -S -B`` process (``bootstrap.py``) whose ``sys.path`` is only
the code asset (from the synthesised assembly) and this machine's dependency layer (``make package`` builds
it; built here once, and only when the lock changed), with the environment the synthesised template gives
that function: literal values as deployed, resource references resolved to the local engines'
(``tests/conftest.py``'s ``local_stack``), the runtime's own variables (``AWS_LAMBDA_*``, ``LAMBDA_TASK_ROOT``,
``TZ=:UTC``, X-Ray's). Nothing from the test process's ``.venv`` is reachable, nor the interpreter's own
site-packages (``-S``: their ``.pth`` files would otherwise run at start-up); ``-B`` writes no bytecode, as
on Lambda's read-only filesystem, so only the ``.pyc`` the artefact ships is used. A process is started once per
module and serves several invocations, as a warm execution environment does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from infra import declaration as d
from infra.constructs import packaging
from tests.pii_guard import scan

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
PYTHON = os.environ.get("MOTCUA_LAMBDA_PYTHON", "python3.11")
START_TIMEOUT_S = 120  # a cold start on a loaded 2-core machine, with nothing compiled would be far less
TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


@dataclass(frozen=True)
class Artefact:
    code_dir: Path
    layer_dir: Path  # the layer's python/ directory: /opt/python on Lambda
    functions: dict[str, dict[str, Any]]  # declared name -> the template's AWS::Lambda::Function Properties


@pytest.fixture(scope="session")
def artefact() -> Artefact:
    from tests.infra import synthesise

    layer = packaging.build_layer(packaging.machine_architecture())  # a no-op when the lock has not changed
    synthesis = synthesise("project")
    template = synthesis.require()
    by_handler = {
        r["Properties"]["Handler"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    }
    functions = {spec.name: by_handler[spec.handler] for spec in d.FUNCTIONS}
    (manifest_path,) = synthesis.outdir.glob("*.assets.json")
    manifest = json.loads(manifest_path.read_text())
    code_keys = {props["Code"]["S3Key"] for props in functions.values()}
    assert len(code_keys) == 1, f"the functions should share one code asset, found {code_keys}"
    code_dir = synthesis.outdir / manifest["files"][code_keys.pop().removesuffix(".zip")]["source"]["path"]
    return Artefact(code_dir=code_dir, layer_dir=layer / "python", functions=functions)


def lambda_environment(name: str, artefact: Artefact, local_env: dict[str, str]) -> dict[str, str]:
    """The function's variables as the template declares them, pointed at the local engines."""
    props = artefact.functions[name]
    env: dict[str, str] = {}
    for key, value in props.get("Environment", {}).get("Variables", {}).items():
        if isinstance(value, str):
            env[key] = value  # as deployed
        else:  # a CloudFormation reference to a resource: its local counterpart
            assert key in local_env, f"{name}: the template sets {key} from {value}, the local stack has no {key}"
            env[key] = local_env[key]
    endpoints = {k: v for k, v in local_env.items() if k.startswith("AWS_ENDPOINT_URL_")}
    function_name = f"Motcua-{name}"
    return {
        **env,
        **endpoints,
        # Any service without its own local endpoint goes to moto too, never to a real account.
        "AWS_ENDPOINT_URL": local_env["AWS_ENDPOINT_URL_SQS"],
        "AWS_ACCESS_KEY_ID": local_env["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": local_env["AWS_SECRET_ACCESS_KEY"],
        "AWS_SESSION_TOKEN": "local",
        "AWS_REGION": local_env["AWS_REGION"],
        "AWS_DEFAULT_REGION": local_env["AWS_REGION"],
        # What the python3.11 runtime sets in every execution environment.
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]local",
        "AWS_LAMBDA_LOG_FORMAT": props.get("LoggingConfig", {}).get("LogFormat", "Text"),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
        "_AWS_XRAY_DAEMON_PORT": "2000",
        "_HANDLER": props["Handler"],
        "LAMBDA_TASK_ROOT": str(artefact.code_dir),
        "LAMBDA_RUNTIME_DIR": str(artefact.layer_dir),
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "TZ": ":UTC",
    }


@dataclass
class LambdaProcess:
    """One execution environment: initialised once, then invoked as many times as needed."""

    name: str
    timeout_ms: int
    process: subprocess.Popen[str]
    log: Path  # the handler's stdout and stderr (Powertools' JSON lines)
    init: dict[str, Any] = field(default_factory=dict)

    def log_tail(self, size: int = 6000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-size:]

    def invoke(self, event: dict[str, Any]) -> Any:
        """The handler's result, or an AssertionError with the error the runtime would report."""
        request = {"event": event, "request_id": str(uuid.uuid4()), "timeout_ms": self.timeout_ms,
                   "trace_id": TRACE_ID}
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"{self.name}: the process died during the invocation; its log:\n{self.log_tail()}"
        answer = json.loads(line)
        assert "result" in answer, (
            f"{self.name} failed: {answer['errorType']}: {answer['errorMessage']}\n"
            + "".join(answer["stackTrace"]) + f"\nits log:\n{self.log_tail()}"
        )
        return answer["result"]


def start(name: str, artefact: Artefact, local_env: dict[str, str], log: Path) -> LambdaProcess:
    props = artefact.functions[name]
    with log.open("w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            [PYTHON, "-I", "-S", "-B", str(BOOTSTRAP), str(artefact.code_dir), str(artefact.layer_dir),
             props["Handler"]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            encoding="utf-8",
            env=lambda_environment(name, artefact, local_env),
            cwd=artefact.code_dir,  # the runtime's working directory is /var/task
        )
    assert process.stdout is not None
    init = json.loads(process.stdout.readline() or '{"ready": false, "errorMessage": "no answer"}')
    started = LambdaProcess(name=name, timeout_ms=int(props.get("Timeout", 3)) * 1000, process=process, log=log,
                            init=init)
    if not init.get("ready"):
        stop(started)
        raise AssertionError(
            f"{name} ({props['Handler']}) does not start from the artefact: {init.get('errorType')}: "
            f"{init.get('errorMessage')}\n" + "".join(init.get("stackTrace", []))
        )
    return started


def stop(started: LambdaProcess) -> None:
    if started.process.stdin is not None:
        started.process.stdin.close()
    try:
        started.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        started.process.kill()
        started.process.wait()


def personal_data_in(log: str) -> list[str]:
    """What tests/pii_guard.py would find in the handlers' logs, ARNs aside: the 12-digit account ID in the
    ``function_arn`` Powertools adds to every line is no one's personal data."""
    return scan(re.sub(r"arn:aws[\w-]*:[^\"\s]*", "arn", log))


@pytest.fixture(scope="module")
def lambdas(
    artefact: Artefact, local_stack: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, LambdaProcess]]:
    """Declared function name -> its execution environment, started on first use, stopped with the module;
    then the logs they wrote must hold no personal data (as tests/pii_guard.py requires of every log)."""
    started: dict[str, LambdaProcess] = {}
    logs = tmp_path_factory.mktemp("lambda-logs")

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, name: str) -> LambdaProcess:
            started[name] = start(name, artefact, local_stack.env, logs / f"{name}.log")
            return started[name]

    try:
        yield Lazy()
    finally:
        for process in started.values():
            stop(process)
    found = {name: [h[:3] + "…" for h in hits] for name, p in started.items()
             if (hits := personal_data_in(p.log_tail(10**9)))}
    assert not found, f"personal data in the handlers' logs: {found}"
