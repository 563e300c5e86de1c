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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra import declaration
from infra.local.pollers import queue_pollers
from infra.local.scheduler import fire
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


@contextmanager
def after_commit(local_stack) -> Iterator[None]:
    """What runs after a commit, as deployed, while the journey runs: the outbox relay on its schedule (every
    half second here) and the notifier polling its queue, which draws a reception's Form 01."""
    pollers = queue_pollers(local_stack.client("sqs"),
                            {"notifications": (local_stack.queue_url("notifications"),
                                               local_stack.resources.queues["notifications"].arn)},
                            functions=[declaration.function("notifier")])
    stop = threading.Event()

    def relay() -> None:
        while not stop.wait(0.5):
            fire("outbox-relay")

    relaying = threading.Thread(target=relay, name="journey-outbox-relay", daemon=True)
    for poller in pollers:
        poller.start()
    relaying.start()
    try:
        yield
    finally:
        stop.set()
        relaying.join(10)
        for poller in pollers:
            poller.stop()


def token(*who: str) -> str:
    return bearer(*who)["authorization"].removeprefix("Bearer ")


def test_the_generated_client_type_checks_and_the_citizen_journey_matches_the_document(
        live_api: str, clean_table: str, clean_queues: None, local_stack) -> None:
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
    with after_commit(local_stack):
        out = run("node", JOURNEY, env=env)
    assert "every one as documented" in out, out
