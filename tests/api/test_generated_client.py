"""The mobile app's view of the contract: a TypeScript client generated from ``schemas/openapi.json``
(openapi-typescript, called through openapi-fetch) type-checks in strict mode, and the citizen's journey made
with it against the local API gets only answers the document declares (docs/mobile.md, "Generated client").

The types are generated here, from the committed document, into build/ (never committed: the document is
what is drift-checked). tsc checks the journey and the generated file together and, only if they check,
writes the JavaScript that node runs. Node, the packages and their versions come from package-lock.json.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from motcua.cli.catalogue_cmds import seed_catalogue
from tests.integration.helpers import COMMUNE, bearer

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "node_modules" / ".bin"
CLIENT = ROOT / "clients" / "typescript"
BUILD = ROOT / "build" / "clients" / "typescript"
GENERATED = BUILD / "generated" / "openapi.ts"
JOURNEY = BUILD / "dist" / "clients" / "typescript" / "journey.mjs"


def run(*command: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(part) for part in command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, f"{command[0]} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def token(*who: str) -> str:
    return bearer(*who)["authorization"].removeprefix("Bearer ")


def test_the_generated_client_type_checks_and_the_citizen_journey_matches_the_document(
        live_api: str, clean_table: str) -> None:
    seed_catalogue(clean_table)
    # openapi-typescript's default types a property with a default as required, right for answers but
    # wrong for request bodies (the server fills it in): the app's generator is run the same way.
    run(BIN / "openapi-typescript", "schemas/openapi.json", "--default-non-nullable", "false", "-o", GENERATED)
    run(BIN / "tsc", "-p", CLIENT)
    env = {
        **os.environ,
        "MOTCUA_API_URL": live_api,
        "MOTCUA_OPENAPI": str(ROOT / "schemas" / "openapi.json"),
        "MOTCUA_AGENCY": COMMUNE,
        "MOTCUA_TOKEN_CITIZEN": token("citizen-app"),
        "MOTCUA_TOKEN_DESK": token("officer-lan", "reception_officer", COMMUNE),
        "MOTCUA_TOKEN_PROCESSOR": token("officer-minh", "processing_officer", COMMUNE),
    }
    out = run("node", JOURNEY, env=env)
    assert "every one as documented" in out, out
