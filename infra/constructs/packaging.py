"""The two Lambda assets, prepared so that `cdk synth` never downloads anything nor needs Docker.

- **Code**: ``functions/motcua`` and ``schemas`` copied side by side into a content-addressed directory
  (``build/code/<hash>/``), so the handler ``motcua.handlers.api.handler`` and ``import schemas`` both
  resolve from the asset root, exactly as on a laptop. Staging takes a second; an unchanged tree maps
  to the same directory and the same asset hash.
- **Dependencies**: one Lambda layer per architecture (``build/layer/<arch>/python/...``) pip-installed from
  manylinux wheels for the Lambda platform (glibc <= 2.26 for the python3.11 runtime): the runtime
  dependencies of ``pyproject.toml`` (never the dev extra), every version pinned by ``requirements.lock``.
  Building it needs the package registry, so it is a separate step (``make package``, i.e.
  ``python -m infra.constructs.packaging layer``), never part of synthesis; it is keyed on its inputs (the
  lock, the requirements, the platform), so an unchanged lock rebuilds nothing. Synthesis refuses a missing
  or stale layer, unless the context asks for the empty placeholder (``motcua:placeholderLayer``: template
  tests, never a deployment).

  Both assets ship bytecode compiled by Python 3.11 with unchecked-hash invalidation: Lambda's filesystem is
  read-only, so without it every cold start would compile every module again, and the asset's file times
  (normalised by the zip) would invalidate timestamp-checked ``.pyc`` files anyway.

  Why one pinned layer rather than the AWS-managed Powertools layer: the functions need pydantic,
  pynamodb, holidays, joserfc and fpdf2 besides Powertools, so a second layer would be needed anyway, and
  a single layer built from the lock file runs exactly the versions the tests ran.
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import fnmatch
import hashlib
import os
import platform
import py_compile
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

from infra.constructs import constants as c

LAYER_STAMP = ".stamp"  # inputs hash of the built layer; kept out of the layer asset
# Part of the layer's inputs: bump it when the way the layer is built changes (e.g. how it is compiled).
_LAYER_FORMAT = "pip-target+compileall-unchecked-hash/3"
_STALE_STAGING_S = 24 * 3600


def _excluded(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in c.CODE_EXCLUDES)


def _code_files(root: Path) -> Iterator[tuple[Path, Path]]:
    """(path inside the asset, source path) for every file of the code packages, in a stable order."""
    for package in c.CODE_PACKAGES:
        source_root = root / package
        if not source_root.is_dir():
            raise FileNotFoundError(f"code package {source_root} is missing")
        for dirpath, dirnames, filenames in os.walk(source_root):
            dirnames[:] = sorted(d for d in dirnames if not _excluded(d))
            for filename in sorted(filenames):
                if not _excluded(filename):
                    source = Path(dirpath) / filename
                    yield Path(package.name) / source.relative_to(source_root), source


def stage_code(root: Path = c.REPO_ROOT, staging_root: Path = c.STAGED_CODE_DIR) -> Path:
    """Copy the code packages into ``staging_root/<content hash>/`` (once) and return that directory.

    Content-addressed, and renamed into place atomically, so concurrent synths (pytest-xdist, the CLI)
    never see a half-written directory.
    """
    files = list(_code_files(root))
    digest = hashlib.sha256()
    for inside, source in files:
        digest.update(inside.as_posix().encode())
        digest.update(b"\0")
        digest.update(source.read_bytes())
        digest.update(b"\0")
    target = staging_root / digest.hexdigest()[:20]
    if target.is_dir():
        return target
    staging_root.mkdir(parents=True, exist_ok=True)
    scratch = staging_root / f".tmp-{os.getpid()}-{uuid.uuid4().hex}"
    for inside, source in files:
        (scratch / inside).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, scratch / inside)
    compile_bytecode(scratch)
    try:
        scratch.rename(target)
    except OSError:  # another process staged the same content first
        shutil.rmtree(scratch, ignore_errors=True)
    _prune_stale(staging_root, keep=target)
    return target


def _prune_stale(staging_root: Path, keep: Path) -> None:
    cutoff = time.time() - _STALE_STAGING_S
    for entry in staging_root.iterdir():
        if entry != keep and entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)


class LayerNotBuilt(RuntimeError):
    """Synthesis for deployment without a dependency layer built from the current lock."""


def compile_bytecode(root: Path) -> None:
    """Compile every module under ``root`` for Lambda's Python, to ``.pyc`` that is never checked against
    its source (the asset is immutable)."""
    if sys.version_info[:2] != tuple(int(part) for part in c.LAYER_PYTHON_VERSION.split(".")):
        raise RuntimeError(f"bytecode for Lambda's Python {c.LAYER_PYTHON_VERSION} needs that interpreter")
    compiled = compileall.compile_dir(
        root, quiet=1, workers=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    if not compiled:
        raise RuntimeError(f"compileall failed under {root}")


def runtime_dependencies(root: Path = c.REPO_ROOT) -> list[str]:
    with (root / "pyproject.toml").open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def machine_architecture() -> str:
    """This machine's architecture in Lambda's words (``arm64``, ``x86_64``)."""
    machine = platform.machine().lower()
    return {"aarch64": "arm64", "arm64": "arm64", "x86_64": "x86_64", "amd64": "x86_64"}[machine]


def package_architectures() -> tuple[str, ...]:
    """What `make package` builds: the deployed architecture, and this machine's for the artefact tests."""
    return tuple(dict.fromkeys((c.LAMBDA_ARCHITECTURE, machine_architecture())))


def layer_dir_for(architecture: str, layer_root: Path = c.LAYER_DIR) -> Path:
    if architecture not in c.LAYER_PIP_PLATFORMS:
        raise ValueError(f"no wheel platforms declared for architecture {architecture!r}")
    return layer_root / architecture


def layer_inputs_hash(architecture: str = c.LAMBDA_ARCHITECTURE, root: Path = c.REPO_ROOT) -> str:
    """What a layer is built from: its platforms, the interpreter, the requirements and the lock."""
    digest = hashlib.sha256()
    for part in (_LAYER_FORMAT, *c.LAYER_PIP_PLATFORMS[architecture], c.LAYER_PYTHON_VERSION,
                 *runtime_dependencies(root)):  # fmt: skip
        digest.update(part.encode() + b"\0")
    digest.update((root / c.REQUIREMENTS_LOCK).read_bytes())
    return digest.hexdigest()


def layer_pip_command(
    target: Path, architecture: str = c.LAMBDA_ARCHITECTURE, root: Path = c.REPO_ROOT
) -> list[str]:
    """pip install of the runtime dependencies as wheels for the Lambda platform, pinned by the lock."""
    platforms = [arg for name in c.LAYER_PIP_PLATFORMS[architecture] for arg in ("--platform", name)]
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(target), *platforms, "--implementation", "cp",
        "--python-version", c.LAYER_PYTHON_VERSION, "--only-binary=:all:",
        "--constraint", str(root / c.REQUIREMENTS_LOCK),
        *runtime_dependencies(root),
    ]  # fmt: skip


def built_layer_dir(
    architecture: str = c.LAMBDA_ARCHITECTURE, layer_root: Path = c.LAYER_DIR, root: Path = c.REPO_ROOT
) -> Path | None:
    """The dependency layer built from the current lock for ``architecture``, or None (never built, or
    built from another lock: `make package` has to run)."""
    layer_dir = layer_dir_for(architecture, layer_root)
    stamp = layer_dir / LAYER_STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == layer_inputs_hash(architecture, root):
        return layer_dir
    return None


def placeholder_layer_dir(placeholder_dir: Path = c.PLACEHOLDER_LAYER_DIR) -> Path:
    """An almost empty layer: lets template tests synthesise without the registry. Never deployable."""
    readme = placeholder_dir / "python" / "MOTCUA_PLACEHOLDER_LAYER.txt"
    if not readme.is_file():
        readme.parent.mkdir(parents=True, exist_ok=True)
        readme.write_text(
            "Placeholder: the dependency layer was not built. Run `make package` before deploying.\n",
            encoding="utf-8",
        )
    return placeholder_dir


def build_layer(
    architecture: str = c.LAMBDA_ARCHITECTURE,
    root: Path = c.REPO_ROOT,
    layer_root: Path = c.LAYER_DIR,
    *,
    force: bool = False,
) -> Path:
    """pip-install the runtime dependencies as manylinux wheels for Lambda into ``<layer>/python``, compile
    them, and stamp the layer with its inputs. Concurrent callers (pytest-xdist workers) build it once."""
    layer_dir = layer_dir_for(architecture, layer_root)
    layer_root.mkdir(parents=True, exist_ok=True)
    with (layer_root / f".{architecture}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and built_layer_dir(architecture, layer_root, root) is not None:
            print(f"layer up to date: {layer_dir}")
            return layer_dir
        print(f"==> dependency layer for {architecture} (python{c.LAYER_PYTHON_VERSION}) from {c.REQUIREMENTS_LOCK}")
        scratch = layer_dir.with_name(layer_dir.name + ".tmp")
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        subprocess.run(layer_pip_command(scratch / "python", architecture, root), check=True)  # noqa: S603
        # Console scripts: their shebang names this machine's interpreter, and /opt/python/bin is on no PATH.
        shutil.rmtree(scratch / "python" / "bin", ignore_errors=True)
        compile_bytecode(scratch / "python")
        (scratch / LAYER_STAMP).write_text(layer_inputs_hash(architecture, root) + "\n", encoding="utf-8")
        shutil.rmtree(layer_dir, ignore_errors=True)
        scratch.rename(layer_dir)
    print(f"layer built: {layer_dir}")
    return layer_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.constructs.packaging", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    layer = commands.add_parser("layer", help="build the dependency layers into build/layer/<arch> (needs PyPI)")
    layer.add_argument("--force", action="store_true", help="rebuild even if the inputs did not change")
    layer.add_argument(
        "--architecture", action="append", choices=sorted(c.LAYER_PIP_PLATFORMS),
        help="only this one (repeatable); default: the deployed architecture and this machine's",
    )  # fmt: skip
    commands.add_parser("code", help="stage the code asset and print its directory")
    args = parser.parse_args(argv)
    if args.command == "layer":
        for architecture in args.architecture or package_architectures():
            build_layer(architecture, force=args.force)
    else:
        print(stage_code())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
