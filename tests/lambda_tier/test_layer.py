"""The layer `make package` builds holds every runtime requirement, at the lock's versions, compiled.

Given this machine's layer (the one the handlers run against in this tier; the deployed architecture's is
built by the same code from the same lock), when we read its installed distributions, then each runtime
requirement of pyproject is there, every version is the one requirements.lock pins (what the other tiers
tested), nothing of the dev extra is, and every module ships its bytecode.
"""

from __future__ import annotations

import importlib.metadata
import re

from infra.constructs import constants as c
from infra.constructs import packaging
from tests.lambda_tier.conftest import Artefact


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (c.REPO_ROOT / c.REQUIREMENTS_LOCK).read_text(), re.MULTILINE)
    return {canonical(name): version for name, version in pins}


def test_the_layer_holds_the_runtime_requirements_at_the_locks_versions(artefact: Artefact) -> None:
    installed = {canonical(dist.metadata["Name"]): dist.version
                 for dist in importlib.metadata.distributions(path=[str(artefact.layer_dir)])}
    pins = locked()
    for requirement in packaging.runtime_dependencies():
        assert canonical(re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0]) in installed, requirement
    assert {name: version for name, version in installed.items() if pins.get(name) != version} == {}
    for dev_only in ("moto", "pytest", "aws-cdk-lib", "werkzeug"):
        assert dev_only not in installed


def test_every_module_of_the_layer_ships_its_bytecode(artefact: Artefact) -> None:
    missing = [p for p in artefact.layer_dir.rglob("*.py")
               if not (p.parent / "__pycache__" / f"{p.stem}.cpython-311.pyc").is_file()]
    assert missing == []
