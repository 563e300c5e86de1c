"""Cold start: each declared function's handler import from the artefact, against ``import boto3`` there.

Run: ``make bench``, or ``PYTHONPATH=.:functions .venv/bin/python benchmarks/cold_start.py [--runs 21]
[--layer build/layer/x86_64] [--code DIR] [--functions api,sla] [--importtime]``. The last line is key=value
pairs: ``worst_ratio=… api_ratio=… <function>_ratio=…``. Goal: every handler <= 1.5x (the bar is 2.5x for
the worst one).

What runs is what Lambda loads, nothing from ``.venv``: the code asset as synthesis stages it
(``infra.constructs.packaging.stage_code``: ``motcua`` and ``schemas``, compiled) and this machine's
dependency layer built from the lock (``make package``: ``build/layer/<arch>``, compiled). One sample is a
clean ``python3.11 -I -S -B -c 'import sys; sys.path[:0] = [code, layer]; import <module>'`` process (no
site-packages, no bytecode written, as on Lambda's read-only filesystem), and the figure is its CPU time
(user + system) from its start to the end of the import, as the process reports it (``getrusage``): what
Lambda's init pays. Wall time on a shared machine mostly measures the neighbours, and the interpreter's
teardown, which a process-wide figure (``wait4``) would count, never happens in a cold start and grows with
the heap (a handler's far more than boto3's). The environment is
the function's declared one (resources given local names) plus the variables Lambda's runtime sets, so
Powertools takes the paths it takes on Lambda (the tracer on).

Each handler sample is paired with an ``import boto3`` sample from the same paths, taken just before or just
after it (the order alternates), and the pairs of every function are interleaved run after run: a busier
minute on the machine weighs on both sides of the pairs it meets. A function's figure is the median of its
pairs' ratios. A layer without bytecode (an older build) is copied and compiled first, so the figure is what
ships.
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see benchmarks/_paths.py)

# isort: split

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

from infra import declaration as d
from infra.constructs import packaging
from infra.local import env as local_env

PYTHON = os.environ.get("MOTCUA_LAMBDA_PYTHON", "python3.11")
BASELINE = "boto3"
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)")


def handler_module(function: d.Function) -> str:
    return function.handler.rsplit(".", 1)[0]


def lambda_environment(function: d.Function, code: Path, layer: Path) -> dict[str, str]:
    """The declared variables (resources by their local names) and the runtime's own, as Lambda sets them."""
    nowhere = local_env.Endpoints(dynamodb="http://127.0.0.1:9", moto="http://127.0.0.1:9")
    declared = {**d.COMMON_ENVIRONMENT, **function.environment}
    name = f"Motcua-{function.name}"
    return {
        **{key: local_env.resolve(value, nowhere) for key, value in declared.items()},
        "AWS_ACCESS_KEY_ID": "cold", "AWS_SECRET_ACCESS_KEY": "cold", "AWS_SESSION_TOKEN": "cold",
        "AWS_REGION": local_env.REGION, "AWS_DEFAULT_REGION": local_env.REGION,
        "AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}", "AWS_LAMBDA_LOG_STREAM_NAME": "cold",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11", "_HANDLER": function.handler,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR", "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "LAMBDA_TASK_ROOT": str(code), "LAMBDA_RUNTIME_DIR": str(layer),
        "LANG": "en_US.UTF-8", "PATH": "/usr/local/bin:/usr/bin:/bin", "TZ": ":UTC",
    }  # fmt: skip


def command(module: str, code: Path, layer: Path, *flags: str) -> list[str]:
    # The last line printed: the CPU the process has used once the import is done (start-up included).
    source = (f"import sys; sys.path[:0] = [{str(code)!r}, {str(layer)!r}]; import {module}; import resource; "
              "used = resource.getrusage(resource.RUSAGE_SELF); print(used.ru_utime + used.ru_stime)")
    return [PYTHON, "-I", "-S", "-B", *flags, "-c", source]


def cpu_seconds(argv: list[str], environment: dict[str, str]) -> float:
    """CPU time (user + system) up to the end of the import; a failed import stops the benchmark with its error."""
    result = subprocess.run(argv, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[-2:])} failed ({result.returncode}):\n{result.stderr}")
    return float(result.stdout.split()[-1])


def resolve_layer(given: str | None) -> Path:
    """The layer's ``python/`` directory (``/opt/python`` on Lambda): the one given, or `make package`'s."""
    if given is None:
        built = packaging.built_layer_dir(packaging.machine_architecture())
        if built is None:
            raise SystemExit(f"no dependency layer for {packaging.machine_architecture()} built from the current "
                             "lock: run `make package`, or pass --layer DIR")
        return built / "python"
    path = Path(given).resolve()
    return path / "python" if (path / "python").is_dir() else path


def compiled(layer: Path, scratch: Path) -> Path:
    """The layer itself when it ships bytecode; otherwise a compiled copy (what `make package` ships)."""
    if next(layer.rglob("*.cpython-311.pyc"), None) is not None:
        return layer
    print(f"{layer} has no bytecode: timing a compiled copy of it")
    copy = scratch / "python"
    shutil.copytree(layer, copy, symlinks=True)
    packaging.compile_bytecode(copy)
    return copy


def import_profile(module: str, code: Path, layer: Path, environment: dict[str, str], top: int = 12) -> str:
    """``-X importtime`` of one import, self time summed per top-level package (where the time goes)."""
    result = subprocess.run(command(module, code, layer, "-X", "importtime"), env=environment,
                            capture_output=True, text=True, check=True)
    by_package: dict[str, int] = defaultdict(int)
    for line in result.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            by_package[match.group(4).split(".")[0]] += int(match.group(1))
    total = sum(by_package.values())
    parts = [f"{name} {us / 1000:.0f}" for name, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]]
    return f"  self time by package (ms, of {total / 1000:.0f}): " + ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="pairs per function (default 21)")
    parser.add_argument("--layer", help="the dependency layer (its directory or its python/); default: "
                                        "make package's for this machine")
    parser.add_argument("--code", help="the code asset's directory; default: staged as synthesis stages it")
    parser.add_argument("--functions", help="comma-separated declared names (default: every one)")
    parser.add_argument("--importtime", action="store_true", help="also print where each import's time goes")
    args = parser.parse_args()

    functions = list(d.FUNCTIONS)
    if args.functions:
        wanted = args.functions.split(",")
        functions = [f for f in functions if f.name in wanted]
        if len(functions) != len(wanted):
            raise SystemExit(f"unknown function in {wanted}; declared: {[f.name for f in d.FUNCTIONS]}")

    with tempfile.TemporaryDirectory(prefix="motcua-cold-") as scratch:
        layer = compiled(resolve_layer(args.layer), Path(scratch))
        code = Path(args.code).resolve() if args.code else packaging.stage_code()
        environments = {f.name: lambda_environment(f, code, layer) for f in functions}
        version = subprocess.run([PYTHON, "-I", "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        print(f"code {code}\nlayer {layer}\npython {version} ({PYTHON}), {platform.machine()}, "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {args.runs} pairs per function")

        for function in functions:  # untimed: the page cache holds both sides before the first pair
            for module in (BASELINE, handler_module(function)):
                cpu_seconds(command(module, code, layer), environments[function.name])

        samples: dict[str, list[tuple[float, float]]] = {f.name: [] for f in functions}
        for run in range(args.runs):
            for function in functions[run % len(functions):] + functions[:run % len(functions)]:
                environment = environments[function.name]
                base_cmd = command(BASELINE, code, layer)
                handler_cmd = command(handler_module(function), code, layer)
                if run % 2:
                    handler_cpu = cpu_seconds(handler_cmd, environment)
                    base_cpu = cpu_seconds(base_cmd, environment)
                else:
                    base_cpu = cpu_seconds(base_cmd, environment)
                    handler_cpu = cpu_seconds(handler_cmd, environment)
                samples[function.name].append((handler_cpu, base_cpu))

    ratios: dict[str, float] = {}
    print(f"\n{'function':<14}{'handler ms':>11}{'boto3 ms':>10}{'ratio':>8}   ratio p25-p75   module")
    for function in functions:
        pairs = samples[function.name]
        each = sorted(h / b for h, b in pairs)
        quartiles = statistics.quantiles(each, n=4) if len(each) > 1 else [each[0]] * 3
        ratios[function.name] = statistics.median(each)
        print(f"{function.name:<14}{statistics.median(h for h, _ in pairs) * 1000:>11.0f}"
              f"{statistics.median(b for _, b in pairs) * 1000:>10.0f}{ratios[function.name]:>8.2f}"
              f"   {quartiles[0]:.2f}-{quartiles[2]:.2f}     {handler_module(function)}")
        if args.importtime:
            print(import_profile(handler_module(function), code, layer, environments[function.name]))

    worst = max(ratios.values())
    figures = [f"worst_ratio={worst:.2f}"] + [f"{name.replace('-', '_')}_ratio={ratio:.2f}"
                                              for name, ratio in ratios.items()]
    print(" ".join(figures))


if __name__ == "__main__":
    main()
