"""`make run`: the whole stack on 127.0.0.1, from the one declaration, until Ctrl-C.

DynamoDB Local persists under ``.local/dynamodb`` (a restart loses nothing); moto starts empty and the
queues, buckets, identities and schedules are created again. The API listens on 127.0.0.1:3000
(``MOTCUA_API_PORT``), queue pollers and scheduled functions run on threads of this process. Every function
runs in execution environments of its own (worker processes, ``infra.local.workers``), several invocations at
once up to its local concurrency (``MOTCUA_LOCAL_CONCURRENCY``, default 4, capped by the declared reserved
concurrency), as Lambda runs them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from infra import declaration
from infra.local import load_handler, stop_execution_environments, use_execution_environments
from infra.local.cognito import DEFAULT_PORT as COGNITO_PORT
from infra.local.cognito import (
    LOCAL_PASSWORD,
    TARGET_PREFIX,
    CognitoFront,
    LocalAccounts,
    LocalPool,
    PoolVerifier,
    pre_token_trigger,
)
from infra.local.engines import REPO_ROOT, EngineError, port_is_free, start_engines
from infra.local.env import Endpoints, local_environment
from infra.local.examples import DEMO_AGENCY, DEMO_PROCEDURE, example_submission
from infra.local.http_adapter import DEFAULT_PORT, HttpAdapter, http_routes
from infra.local.national_portal import provision, start_national_portal
from infra.local.payment_platform import provision as provision_payment
from infra.local.payment_platform import start_payment_platform
from infra.local.pollers import queue_pollers
from infra.local.resources import client, create_all
from infra.local.scheduler import LocalScheduler
from infra.local.vnpost import provision as provision_postal
from infra.local.vnpost import start_vnpost
from infra.local.workers import CONCURRENCY_VARIABLE, LocalConcurrency

log = logging.getLogger("infra.local")

# Where `make run` keeps its state (data, logs, keys, reports); tests point it at a temporary directory.
LOCAL_DIR = Path(os.environ.get("MOTCUA_LOCAL_DIR") or REPO_ROOT / ".local")
DEMO_SUBJECT = "citizen-demo"
NATIONAL_PORTAL, PAYMENT_PLATFORM = "national portal", "payment platform"  # the emulators, as the banner names them

# The generated province `make run` loads in the background so the monthly report has something to show
# (docs/index.md). MOTCUA_DEMO_DOSSIERS=0 starts with the catalogue only. Re-runs load nothing twice.
DEMO_DOSSIERS = 1500
DEMO_MONTHS = 12
DEMO_END_MONTH = "2026-10"


def _int_env(variable: str, default: int) -> int:
    value = os.environ.get(variable)
    return int(value) if value else default


def ports() -> dict[str, int]:
    return {
        "api": _int_env("MOTCUA_API_PORT", DEFAULT_PORT),
        "dynamodb": _int_env("MOTCUA_DYNAMODB_PORT", 8000),
        "moto": _int_env("MOTCUA_MOTO_PORT", 5000),
        "cognito": _int_env("MOTCUA_COGNITO_PORT", COGNITO_PORT),
    }


def fixed_endpoints() -> Endpoints:
    """Where a running `make run` serves its engines (for `python -m infra.local fire|token|motcua`)."""
    p = ports()
    return Endpoints(dynamodb=f"http://127.0.0.1:{p['dynamodb']}", moto=f"http://127.0.0.1:{p['moto']}")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("botocore", "boto3", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def local_accounts(pool: LocalPool, endpoints: Endpoints) -> LocalAccounts:
    """The running stack's people, signed in through the declared pre token trigger in this process: the
    environment must point at the stack's engines."""
    return LocalAccounts(pool, client("cognito-idp", endpoints), pre_token_trigger())


def seed_catalogue() -> None:
    """`motcua seed` (idempotent); a stack without a catalogue still starts, with a warning."""
    try:
        from motcua import cli

        code = cli.main(["seed"])
    except SystemExit as exited:  # argparse's answer to an unknown command
        code = exited.code if isinstance(exited.code, int) else 1
    except Exception:
        log.warning("could not seed the catalogue", exc_info=True)
        return
    if code != 0:
        log.warning("`motcua seed` failed (exit %s): the catalogue may be empty or incomplete", code)


def load_demo_province(*, dossiers: int, months: int = DEMO_MONTHS,
                       end_month: str = DEMO_END_MONTH) -> tuple[Path, dict[str, Any]]:
    """`motcua demo-data` into the running stack's engines (its ``load_demo``), then the last month's HTML
    report copied under .local/reports so a browser opens it straight from disk. Returns the report's path
    and the load's summary."""
    from motcua.cli.demo_cmds import load_demo
    from motcua.data.reports import ReportStore

    summary = load_demo(os.environ["TABLE_NAME"], months=months, dossiers=dossiers, end_month=end_month,
                        reports_bucket=os.environ["REPORTS_BUCKET"])
    target = LOCAL_DIR / "reports" / f"{end_month}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    key = f"index/{end_month}/report.html"
    target.write_text(ReportStore(os.environ["REPORTS_BUCKET"]).get(key), encoding="utf-8")
    return target, summary


def _load_demo_in_background(dossiers: int) -> None:
    """The demo province loads while the API already serves: start-up is not held up by it."""

    def load() -> None:
        try:
            target, summary = load_demo_province(dossiers=dossiers)
        except Exception:
            log.warning("could not load the demo province: the report shows none", exc_info=True)
            return
        print(f"\nDemo province loaded ({summary['loaded']} new of {summary['dossiers']} dossiers, "
              f"{summary['feedback_loaded']} new feedback, {DEMO_MONTHS} months): monthly report {target}"
              f"  (JSON: GET /indexes/{DEMO_END_MONTH})", flush=True)

    print(f"Loading a demo province ({dossiers} dossiers; MOTCUA_DEMO_DOSSIERS=0 skips it) in the background…",
          flush=True)
    threading.Thread(target=load, name="demo-province", daemon=True).start()


def example_commands(url: str, token: str, payment_url: str | None = None) -> str:
    """The example requests printed at start-up (and shown in the README): keep them working. With the payment
    platform emulator's URL, a fourth: paying the submitted dossier online."""
    body = json.dumps(example_submission(), ensure_ascii=False)
    return f"""\
  export MOTCUA_TOKEN='{token}'

  # 1. The catalogue, commune level (public)
  curl -s '{url}/procedures?level=commune'

  # 2. Submit a dossier for procedure {DEMO_PROCEDURE} (a citizen's token; the Idempotency-Key makes retries safe)
  curl -s -X POST '{url}/dossiers' \\
    -H "Authorization: Bearer $MOTCUA_TOKEN" -H "Idempotency-Key: demo-$(date +%s)" \\
    -H 'Content-Type: application/json' \\
    -d '{body}' | tee /dev/stderr | python3 -c 'import json,sys; print(json.load(sys.stdin)["receipt_code"])' \\
    > /tmp/motcua-receipt

  # 3. Track it by its receipt code (public, no personal data)
  curl -s "{url}/track/$(cat /tmp/motcua-receipt)"
{payment_commands(url, payment_url) if payment_url else ""}"""


def payment_commands(url: str, payment_url: str) -> str:
    """Paying the dossier of step 2 online through the national payment platform's emulator (printed at start-up
    after ``example_commands``; tests/integration/test_make_run.py runs them)."""
    auth = 'Authorization: Bearer $MOTCUA_OFFICIAL'
    json_type = "-H 'Content-Type: application/json'"
    return f"""
  # 4. Pay it online (docs/integrations.md §2) through the national payment platform's emulator on {payment_url}:
  #    an agency leader asks for the fee (status 6), the citizen gets the payment link, the emulator pays and
  #    calls the API back with its signed notification (the dossier moves on to processing, status 4)
  export MOTCUA_OFFICIAL=$(.venv/bin/python -m infra.local token --subject leader-demo --role agency_leader \\
    --agency {DEMO_AGENCY})
  export MOTCUA_DOSSIER=$(curl -s '{url}/me/dossiers' -H "Authorization: Bearer $MOTCUA_TOKEN" \\
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  for action in receive start_processing; do
    curl -s -X POST "{url}/dossiers/$MOTCUA_DOSSIER/actions/$action" -H "{auth}" \\
      -H "Idempotency-Key: $action-$MOTCUA_DOSSIER" {json_type} -d '{{}}' > /dev/null
  done
  curl -s -X POST "{url}/dossiers/$MOTCUA_DOSSIER/actions/request_payment" -H "{auth}" \\
    -H "Idempotency-Key: fee-$MOTCUA_DOSSIER" {json_type} -d '{{"amount_vnd": 50000, "description": "Lệ phí"}}'
  curl -s -X POST "{url}/dossiers/$MOTCUA_DOSSIER/payments" -H "Authorization: Bearer $MOTCUA_TOKEN" \\
    {json_type} -d '{{}}' | tee /dev/stderr \\
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["transaction_id"])' > /tmp/motcua-payment
  curl -s -X POST '{payment_url}/_emulator/pay' {json_type} \\
    -d "{{\\"MaThamChieu\\": \\"$(cat /tmp/motcua-payment)\\"}}"
  curl -s "{url}/track/$(cat /tmp/motcua-receipt)"
"""


def _cognito_call(front: str, operation: str, request: dict[str, Any]) -> str:
    return (f"curl -s {front} -H 'Content-Type: application/x-amz-json-1.1' \\\n"
            f"    -H 'X-Amz-Target: {TARGET_PREFIX}{operation}' \\\n"
            f"    -d '{json.dumps(request, ensure_ascii=False)}'")


def sign_in_commands(front: str, pool: LocalPool, email: str = "hang.nguyen@example.vn") -> str:
    """The Cognito calls a mobile SDK makes, against the local Cognito (printed at start-up, docs/mobile.md)."""
    client_id = pool.client_id
    sign_up = _cognito_call(front, "SignUp", {"ClientId": client_id, "Username": email, "Password": LOCAL_PASSWORD,
                                              "UserAttributes": [{"Name": "email", "Value": email}]})
    confirm = _cognito_call(front, "ConfirmSignUp", {"ClientId": client_id, "Username": email,
                                                      "ConfirmationCode": "123456"})
    sign_in = _cognito_call(front, "InitiateAuth", {
        "ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": LOCAL_PASSWORD}})
    return f"""\
  # Sign up as a citizen, confirm (no e-mail is sent locally: any code is accepted), sign in
  {sign_up}
  {confirm}
  export MOTCUA_TOKEN=$({sign_in} \\
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["AuthenticationResult"]["IdToken"])')

  # An official's account, with role and agency (administrators only)
  .venv/bin/python -m infra.local motcua users add --email desk@example.vn --role reception_officer \\
    --agency {DEMO_AGENCY} --password '{LOCAL_PASSWORD}'
"""


def concurrency_line(concurrency: LocalConcurrency) -> str:
    """What the start-up says of the local concurrency (``infra.local.workers``)."""
    own = ", ".join(f"{name} {n}" for name, n in sorted((concurrency.per_function or {}).items()))
    return (f"  every function in its own execution environments (processes), up to {concurrency.default} "
            f"invocations at once{f' ({own})' if own else ''}, capped by its declared reserved concurrency "
            f"({CONCURRENCY_VARIABLE})")


def banner(url: str, endpoints: Endpoints, token: str | None, front: str | None = None,
           pool: LocalPool | None = None, concurrency: LocalConcurrency | None = None,
           emulators: dict[str, str] | None = None) -> str:
    lines = [
        "",
        f"Motcua is running: API on {url}",
        f"  DynamoDB Local {endpoints.dynamodb} (data in {LOCAL_DIR / 'dynamodb'}), moto {endpoints.moto}",
        f"  logs in {LOCAL_DIR / 'logs'}; Ctrl-C stops everything",
    ]
    if emulators:
        lines.append("  Partners' emulators (docs/integrations.md; state at /_emulator/state, faults at "
                     "POST /_emulator/faults): " + ", ".join(f"{name} {where}" for name, where in emulators.items()))
    if concurrency is not None:
        lines.append(concurrency_line(concurrency))
    if front and pool:
        lines += [f"  Cognito on {front} (user pool {pool.pool_id}, app client {pool.client_id}; "
                  f"JWKS {front}/{pool.pool_id}/.well-known/jwks.json)", "",
                  "Sign in as the app does (the ID token is the bearer token; docs/mobile.md):", "",
                  sign_in_commands(front, pool)]
    lines.append("")
    if token:
        lines += ["Try it (the token is the demo citizen's, valid 1 hour; more: python -m infra.local token --help):",
                  ""]
        lines.append(example_commands(url, token, (emulators or {}).get(PAYMENT_PLATFORM)))
    return "\n".join(lines)


class _Stopper:
    """Runs the stop callbacks in reverse order of start, once, whatever ends the run."""

    def __init__(self) -> None:
        self._callbacks: list[tuple[str, Callable[[], Any]]] = []

    def push(self, name: str, callback: Callable[[], Any]) -> None:
        self._callbacks.append((name, callback))

    def stop_all(self) -> None:
        while self._callbacks:
            name, callback = self._callbacks.pop()
            try:
                callback()
            except Exception:
                log.warning("stopping %s failed", name, exc_info=True)


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(*, engines_only: bool = False, in_memory: bool = False) -> int:
    configure_logging()
    # SIGTERM (a supervisor, `kill`) ends the run like Ctrl-C, through the finally below. SIGINT is set
    # explicitly too: a shell starting us in the background would otherwise leave it ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise_keyboard_interrupt)
    try:
        concurrency = LocalConcurrency.from_environment()
    except ValueError as error:
        log.error("%s", error)
        return 1
    p = ports()
    busy = [f"{name} port {port}" for name, port in p.items() if not port_is_free(port)]
    if busy:
        log.error("%s in use (another `make run`?); set MOTCUA_API_PORT / _DYNAMODB_PORT / _MOTO_PORT", busy)
        return 1
    stopper = _Stopper()
    try:
        engines = start_engines(
            data_dir=None if in_memory else LOCAL_DIR / "dynamodb",
            dynamodb_port=p["dynamodb"],
            moto_port=p["moto"],
            log_dir=LOCAL_DIR / "logs",
        )
        stopper.push("engines", engines.stop)
        endpoints = Endpoints(dynamodb=engines.dynamodb_endpoint, moto=engines.moto_endpoint)
        # Before any handler module is imported: they read their configuration at import, as on a cold start.
        os.environ.update(local_environment(endpoints))
        # Electronic results are signed with the local test CA's certificates, one per agency,
        # created on first use under .local/pki (git-ignored; no legal value). Tests use a temporary one.
        os.environ.setdefault("MOTCUA_PKI_DIR", str(LOCAL_DIR / "pki"))
        resources = create_all(endpoints)
        # The national portal's emulator (docs/integrations.md §1), its connection in moto's Secrets Manager.
        portal = start_national_portal(_int_env("MOTCUA_NATIONAL_PORTAL_PORT", 0))
        stopper.push("national portal emulator", portal.stop)
        provision(portal, endpoints)
        # The national payment platform's emulator (docs/integrations.md §2): its callbacks reach the API.
        payments = start_payment_platform(_int_env("MOTCUA_PAYMENT_PLATFORM_PORT", 0))
        stopper.push("payment platform emulator", payments.stop)
        provision_payment(payments, endpoints, callback_url=f"http://127.0.0.1:{p['api']}/payments/national/callback")
        # VNPost's emulator (docs/integrations.md §3): orders from the postal function, tracking callbacks to the API.
        vnpost = start_vnpost(_int_env("MOTCUA_VNPOST_PORT", 0))
        stopper.push("VNPost emulator", vnpost.stop)
        provision_postal(vnpost, endpoints, callback_url=f"http://127.0.0.1:{p['api']}/postal/vnpost/callback")
        seed_catalogue()

        if engines_only:
            print(f"\nEngines running: DynamoDB Local {endpoints.dynamodb}, moto {endpoints.moto}. Ctrl-C stops.")
            print("Environment for your own tools:")
            for key, value in sorted(local_environment(endpoints).items()):
                print(f"  export {key}={value}")
            _wait_forever()
            return 0

        assert resources.user_pool is not None
        # From here on every function (the pre token trigger included) runs in environments of its own, which
        # inherit the environment set above.
        use_execution_environments(concurrency)
        stopper.push("execution environments", stop_execution_environments)
        pool = resources.user_pool
        accounts = local_accounts(pool, endpoints)
        front = CognitoFront(pool, accounts.cognito, accounts.trigger, p["cognito"]).start()
        stopper.push("Cognito", front.stop)
        token = accounts.token(DEMO_SUBJECT)

        routes = http_routes()
        sqs = client("sqs", endpoints)
        pollers = queue_pollers(sqs, {name: (q.url, q.arn) for name, q in resources.queues.items()})
        for function in declaration.FUNCTIONS:
            try:
                load_handler(function.handler)  # import now: a broken handler shows at start, not later
            except Exception:
                log.exception("%s: handler %s does not import", function.name, function.handler)

        adapter = HttpAdapter(routes, p["api"], verifier=PoolVerifier(pool)).start()
        stopper.push("API", adapter.stop)
        for poller in pollers:
            stopper.push(f"poller {poller.trigger.queue}", poller.start().stop)
        scheduler = LocalScheduler().start()
        stopper.push("scheduler", scheduler.stop)

        emulators = {NATIONAL_PORTAL: portal.url, PAYMENT_PLATFORM: payments.url,
                     "VNPost": f"{vnpost.url} (POST /_emulator/advance moves an order on)"}
        print(banner(adapter.url, endpoints, token, front.url, pool, concurrency, emulators), flush=True)
        demo_dossiers = _int_env("MOTCUA_DEMO_DOSSIERS", DEMO_DOSSIERS)
        if demo_dossiers > 0:
            _load_demo_in_background(demo_dossiers)
        _wait_forever()
    except KeyboardInterrupt:
        pass
    except EngineError as error:
        log.error("%s", error)
        return 1
    finally:
        with contextlib.suppress(KeyboardInterrupt):
            print("\nStopping…", file=sys.stderr, flush=True)
            stopper.stop_all()
    return 0


def _wait_forever() -> None:
    # An Event wait wakes for signals on the main thread (KeyboardInterrupt), unlike a thread join.
    forever = threading.Event()
    while not forever.wait(3600):
        pass
