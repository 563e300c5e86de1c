"""The CDK app: `python infra/app.py` from the repo root (what cdk.json runs), or `build_app()` in tests.

cdk-nag's AwsSolutionsChecks run on every synthesis: an unacknowledged finding fails it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# Run as a script, Python puts infra/ first on sys.path, where infra/constructs would shadow the
# `constructs` library: drop it, and add the repo root (infra, schemas) and functions/ (motcua) instead.
_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "infra"]
for _path in (_ROOT / "functions", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from aws_cdk import App, Tags, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.constructs import constants as c  # noqa: E402
from infra.constructs import packaging, stages  # noqa: E402
from infra.stack import MotcuaStack, StackDeclaration  # noqa: E402


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context (feature flags, motcua:*), so a direct run or a test synthesises like the CLI."""
    with c.CDK_JSON.open(encoding="utf-8") as handle:
        return dict(json.load(handle).get("context", {}))


def build_app(
    outdir: str | os.PathLike[str] | None = None,
    *,
    context: dict[str, Any] | None = None,
    declaration: StackDeclaration | None = None,
    nag: bool = True,
) -> tuple[App, MotcuaStack]:
    # The CLI sets CDK_OUTDIR (and passes cdk.json's context again, with `-c` values taking precedence).
    target = outdir or os.environ.get("CDK_OUTDIR") or c.DEFAULT_OUTDIR
    app = App(outdir=str(target), context={**cdk_json_context(), **(context or {})})
    stage = stages.stage(app.node.try_get_context(c.CTX_STAGE))
    stack = MotcuaStack(
        app,
        stages.stack_name(c.STACK_ID, stage.name),
        stage=stage,
        declaration=declaration,
        termination_protection=stage.termination_protection,
    )
    Tags.of(app).add(*c.PROJECT_TAG)
    Tags.of(app).add("stage", stage.name)
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stack


def main() -> None:
    try:
        app, _ = build_app()
    except packaging.LayerNotBuilt as error:  # what to do, not a traceback
        raise SystemExit(f"motcua: {error}") from None
    app.synth()


if __name__ == "__main__":
    main()
