"""The two Lambda assets, prepared so that `cdk synth` never downloads anything nor needs Docker.

- **Code**: ``functions/motcua`` and ``schemas`` copied side by side into a content-addressed directory
  (``build/code/<hash>/``), so the handler ``motcua.handlers.api.handler`` and ``import schemas`` both
  resolve from the asset root, exactly as on a laptop. Staging takes milliseconds; an unchanged tree maps
  to the same directory and the same asset hash.
- **Dependencies**: one Lambda layer (``build/layer/python/...``) pip-installed from manylinux wheels for
  the Lambda platform (arm64, glibc <= 2.26 for the python3.11 runtime), pinned by ``requirements.lock``
  except for the few ``LAYER_OVERRIDES`` the lock pins without such a wheel. Building it needs the package
  registry, so it is a separate step (``python -m infra.constructs.packaging layer``, for `make package`),
  never part of synthesis. When it has not been built, synthesis uses an empty placeholder layer and says
  so loudly; deployments pass ``-c motcua:requireLayer=true`` to refuse the placeholder.

  Why one pinned layer rather than the AWS-managed Powertools layer: the functions need pydantic,
  pynamodb, holidays, joserfc and fpdf2 besides Powertools, so a second layer would be needed anyway, and
  a single layer built from the lock file runs exactly the versions the tests ran.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import os
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


def runtime_dependencies(root: Path = c.REPO_ROOT) -> list[str]:
    with (root / "pyproject.toml").open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def layer_inputs_hash(root: Path = c.REPO_ROOT) -> str:
    """What the layer is built from: platforms, interpreter, requirements, overrides and the lock."""
    digest = hashlib.sha256()
    overrides = [f"{name}={spec}" for name, spec in sorted(c.LAYER_OVERRIDES.items())]
    for part in (*c.LAYER_PIP_PLATFORMS, c.LAYER_PYTHON_VERSION, *runtime_dependencies(root), *overrides):
        digest.update(part.encode() + b"\0")
    digest.update((root / c.REQUIREMENTS_LOCK).read_bytes())
    return digest.hexdigest()


def layer_constraints(root: Path = c.REPO_ROOT) -> str:
    """The lock as pip constraints, minus the packages the layer overrides (``LAYER_OVERRIDES``)."""
    kept = []
    for line in (root / c.REQUIREMENTS_LOCK).read_text(encoding="utf-8").splitlines():
        if "==" in line and line.split("==", 1)[0].strip().lower() in c.LAYER_OVERRIDES:
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def layer_pip_command(target: Path, constraints: Path, root: Path = c.REPO_ROOT) -> list[str]:
    """pip install of the runtime dependencies as wheels for the Lambda platform, pinned by the lock."""
    platforms = [arg for platform in c.LAYER_PIP_PLATFORMS for arg in ("--platform", platform)]
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(target), *platforms, "--implementation", "cp",
        "--python-version", c.LAYER_PYTHON_VERSION, "--only-binary=:all:",
        "--constraint", str(constraints),
        *runtime_dependencies(root), *c.LAYER_OVERRIDES.values(),
    ]  # fmt: skip


def built_layer_dir(layer_dir: Path = c.LAYER_DIR) -> Path | None:
    """The built dependency layer, or None when `make package` has not run."""
    python_dir = layer_dir / "python"
    if python_dir.is_dir() and any(python_dir.iterdir()):
        return layer_dir
    return None


def placeholder_layer_dir(placeholder_dir: Path = c.PLACEHOLDER_LAYER_DIR) -> Path:
    """An almost empty layer: lets synthesis and template tests run without the registry."""
    readme = placeholder_dir / "python" / "MOTCUA_PLACEHOLDER_LAYER.txt"
    if not readme.is_file():
        readme.parent.mkdir(parents=True, exist_ok=True)
        readme.write_text(
            "Placeholder: the dependency layer was not built. Run "
            "`python -m infra.constructs.packaging layer` (make package) before deploying.\n",
            encoding="utf-8",
        )
    return placeholder_dir


def build_layer(root: Path = c.REPO_ROOT, layer_dir: Path = c.LAYER_DIR, *, force: bool = False) -> Path:
    """pip-install the runtime dependencies as manylinux wheels for Lambda into ``layer_dir/python``."""
    inputs = layer_inputs_hash(root)
    stamp = layer_dir / LAYER_STAMP
    if not force and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == inputs:
        print(f"layer up to date: {layer_dir}")
        return layer_dir
    scratch = layer_dir.with_name(layer_dir.name + ".tmp")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    constraints = scratch / "constraints.txt"
    constraints.write_text(layer_constraints(root), encoding="utf-8")
    for name, spec in sorted(c.LAYER_OVERRIDES.items()):
        print(f"layer: {spec!r} instead of the lock's {name} (the lock's has no wheel for the Lambda platform)")
    command = layer_pip_command(scratch / "python", constraints, root)
    subprocess.run(command, check=True)  # noqa: S603 - fixed argv, no shell
    for cache in (scratch / "python").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    constraints.unlink()
    (scratch / LAYER_STAMP).write_text(inputs + "\n", encoding="utf-8")
    shutil.rmtree(layer_dir, ignore_errors=True)
    scratch.rename(layer_dir)
    print(f"layer built: {layer_dir}")
    return layer_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.constructs.packaging", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    layer = commands.add_parser("layer", help="build the dependency layer into build/layer (needs PyPI)")
    layer.add_argument("--force", action="store_true", help="rebuild even if the inputs did not change")
    commands.add_parser("code", help="stage the code asset and print its directory")
    args = parser.parse_args(argv)
    if args.command == "layer":
        build_layer(force=args.force)
    else:
        print(stage_code())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
