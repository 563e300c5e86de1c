"""Every declared function, run from the artefact as Lambda runs it (see ``conftest.py``), does its job.

Given the synthesised code asset and the layer built from the lock, each in a clean interpreter with the
template's environment pointed at the local engines, when it is invoked with the events AWS sends, then
what it writes is there: a dossier readable through the API and tracked through its public function,
feedback filed and exported, an action applied from the queue, a sweep's breach and apology letter, notices
relayed and sent, the month's index, its reports and its public reading, a postal order created at the
carrier's emulator and its tracking back by callback and by the scheduled poll.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from infra import declaration as d
from infra.local.env import bucket_name
from infra.local.vnpost import CHECKSUM_HEADER, sign
from motcua.data import notifications as data_notifications
from motcua.data.repositories import DossierRepository
from tests.integration.helpers import COMMUNE, submission
from tests.integration.test_sla import MON_2_MARCH, quick_dossier
from tests.lambda_tier.conftest import Artefact, LambdaProcess
from tests.lambda_tier.events import http_event, jwt_claims, pre_token_event, scheduler_event, sqs_event

CITIZEN = jwt_claims("citizen-hang", "citizen")
DESK = ("officer-lan", "reception_officer", COMMUNE)
LEADER = jwt_claims("chairman-tuan", "agency_leader", COMMUNE)


@pytest.fixture(autouse=True)
def _stack(clean_table: str, clean_queues: None) -> None:
    from motcua.cli.catalogue_cmds import seed_catalogue

    seed_catalogue(clean_table)


@pytest.fixture(autouse=True)
def _signed_in(_stack: None, lambdas: dict[str, LambdaProcess]) -> None:
    """The people below signed in through the user pool: its trigger registered them (the API serves no
    subject it does not know)."""
    for claims in (CITIZEN, LEADER):
        answer = lambdas["sign-in"].invoke(pre_token_event(claims["sub"], claims["custom:role"],
                                                           claims.get("custom:agency_code")))
        assert answer["response"]["claimsOverrideDetails"]["claimsToAddOrOverride"] == {
            "custom:role": claims["custom:role"]}


def body(response: dict[str, Any]) -> Any:
    assert response["headers"]["Content-Type"].startswith("application/json"), response
    return json.loads(response["body"])


def submit(api: LambdaProcess) -> dict[str, Any]:
    event = http_event("POST", "/dossiers", claims=CITIZEN, body=submission(),
                       headers={"idempotency-key": uuid.uuid4().hex})
    response = api.invoke(event)
    assert response["statusCode"] == 201, response
    return body(response)


def receive_all(local_stack: Any, queue: str, count: int) -> list[dict[str, Any]]:
    sqs = local_stack.client("sqs")
    messages: list[dict[str, Any]] = []
    while len(messages) < count:
        got = sqs.receive_message(QueueUrl=local_stack.queue_url(queue), MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                  AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        assert got, f"{queue}: {len(messages)} of {count} messages arrived"
        messages += got
    return messages


@pytest.mark.parametrize("name", [f.name for f in d.FUNCTIONS])
def test_every_declared_function_starts_from_the_artefact_alone(
    name: str, lambdas: dict[str, LambdaProcess], artefact: Artefact
) -> None:
    init = lambdas[name].init
    assert init["module_file"].startswith(str(artefact.code_dir))
    assert init["sys_path"][:2] == [str(artefact.code_dir), str(artefact.layer_dir)]
    assert not [p for p in init["sys_path"] if "-packages" in p or ".venv" in p]
    assert init["outside"] == []  # nothing imported from the test process's environment
    assert init["gc_enabled"]


# What the api function's cold start leaves to the first request of the routes that use it (docs/benchmarks.md,
# cold start): each write's collaborators and each route group's own services. The tests below use those routes,
# so each is also shown to load on demand from the artefact.
API_LOADED_ON_FIRST_USE = (
    "motcua.domain.events",  # the outbox envelopes of a write
    "motcua.domain.index",  # index tracking
    "motcua.domain.sla",
    "motcua.domain.workflow",  # an action
    "motcua.service.citizen_store",
    "motcua.service.contacts",  # notification settings
    "motcua.service.desk_forms",  # Forms 01 and 06
    "motcua.service.index.tracking",
    "motcua.service.letters",
    "motcua.data.postal",  # the postal routes (the carrier mapping itself is read at cold start)
    "motcua.service.payments",  # the payment routes
    "motcua.service.postal",
    "motcua.service.steps",  # the internal procedure, the work list
)


# What the api-feedback function's cold start leaves to the first request that needs it: its writes' index
# tracking, the SLA timers and the events' models, the citizen's document store, the notification settings
# (the export) and the carrier's domain (the api's postal routes only).
FEEDBACK_LOADED_ON_FIRST_USE = (
    "motcua.domain.events",  # the outbox envelopes of a step
    "motcua.domain.feedback.timers",  # the SLA timers' keys of a write
    "motcua.domain.index",  # the legal limits (a view's deadlines), index tracking
    "motcua.domain.postal",
    "motcua.domain.sla",
    "motcua.service.citizen_store",  # /me/documents, a document's verification, an attachment's check
    "motcua.service.contacts",  # the export's notification settings
    "motcua.service.index.tracking",
    "schemas.postal",
)


@pytest.mark.parametrize(("name", "every_route_uses", "deferred"), [
    ("api", "motcua.service.dossier_reads", API_LOADED_ON_FIRST_USE),
    ("api-feedback", "motcua.service.feedback", FEEDBACK_LOADED_ON_FIRST_USE),
])
def test_the_cold_start_leaves_writes_and_route_groups_to_their_first_request(
    lambdas: dict[str, LambdaProcess], name: str, every_route_uses: str, deferred: tuple[str, ...],
) -> None:
    loaded = set(lambdas[name].init["loaded"])
    assert every_route_uses in loaded  # the scan sees the function's imports
    assert sorted(loaded.intersection(deferred)) == []


def test_the_api_creates_a_dossier_its_owner_reads_back_and_anyone_tracks(lambdas: dict[str, LambdaProcess]) -> None:
    api, public = lambdas["api"], lambdas["api-public"]
    health = public.invoke(http_event("GET", "/health", route="GET /health"))
    assert health["statusCode"] == 200, health

    created = submit(api)
    read = api.invoke(http_event("GET", f"/dossiers/{created['id']}", claims=CITIZEN))
    assert read["statusCode"] == 200, read
    assert body(read)["id"] == created["id"] and body(read)["receipt_code"] == created["receipt_code"]

    code = created["receipt_code"]
    tracked = public.invoke(http_event("GET", f"/track/{code}", route="GET /track/{receipt_code}",
                                       path_parameters={"receipt_code": code}))
    assert tracked["statusCode"] == 200, tracked
    assert body(tracked)["receipt_code"] == code

    # Without the authoriser's context (a misconfigured route), the catch-all refuses rather than guesses.
    anonymous = api.invoke(http_event("GET", f"/dossiers/{created['id']}"))
    assert anonymous["statusCode"] == 401, anonymous
    # A path no function serves reaches the catch-all's function: the standard error body, not a bare 404.
    unknown = api.invoke(http_event("GET", "/nowhere", claims=CITIZEN))
    assert unknown["statusCode"] == 404 and body(unknown)["code"] == "ROUTE_NOT_FOUND", unknown


def test_feedback_on_a_dossier_is_filed_read_back_and_exported(lambdas: dict[str, LambdaProcess]) -> None:
    dossier = submit(lambdas["api"])
    feedback = lambdas["api-feedback"]
    content = {"about": "dossier", "dossier_id": dossier["id"], "category": "procedure",
               "title": "Hồ sơ chưa được tiếp nhận", "content": "Đã nộp ba ngày mà chưa thấy tiếp nhận."}
    filed = feedback.invoke(http_event("POST", "/feedback", route="ANY /feedback", path_parameters={},
                                       claims=CITIZEN, body=content, headers={"idempotency-key": uuid.uuid4().hex}))
    assert filed["statusCode"] == 201, filed
    feedback_id = body(filed)["id"]

    read = feedback.invoke(http_event("GET", f"/feedback/{feedback_id}", route="ANY /feedback/{proxy+}",
                                      path_parameters={"proxy": feedback_id}, claims=CITIZEN))
    assert read["statusCode"] == 200 and body(read)["dossier_id"] == dossier["id"], read

    exported = body(feedback.invoke(http_event("GET", "/me/export", route="ANY /me/export", path_parameters={},
                                               claims=CITIZEN)))
    assert [d["id"] for d in exported["dossiers"]] == [dossier["id"]]
    assert [f["id"] for f in exported["feedback"]] == [feedback_id]


def test_the_sign_in_trigger_refuses_the_system_role_and_the_api_a_subject_never_signed_in(
    lambdas: dict[str, LambdaProcess],
) -> None:
    with pytest.raises(AssertionError, match="SignInRefused"):
        lambdas["sign-in"].invoke(pre_token_event("intruder", "system", source="TokenGeneration_RefreshTokens"))
    refused = lambdas["api"].invoke(http_event("GET", "/me/dossiers", claims=jwt_claims("intruder", "citizen")))
    assert refused["statusCode"] == 401 and body(refused)["code"] == "SUBJECT_UNKNOWN", refused


def test_an_action_from_the_fifo_queue_is_applied(lambdas: dict[str, LambdaProcess], local_stack: Any) -> None:
    dossier = submit(lambdas["api"])
    subject, role, agency = DESK
    message = {"source_system": "tthc-lamdong", "action_id": uuid.uuid4().hex, "dossier_id": dossier["id"],
               "action": "receive", "actor": {"subject": subject, "role": role, "agency_code": agency},
               "payload": {}}
    local_stack.client("sqs").send_message(
        QueueUrl=local_stack.queue_url("actions"), MessageBody=json.dumps(message),
        MessageGroupId=dossier["id"], MessageDeduplicationId=message["action_id"])
    messages = receive_all(local_stack, "actions", 1)
    assert messages[0]["Attributes"]["MessageGroupId"] == dossier["id"]  # the FIFO record's attributes

    result = lambdas["actions"].invoke(sqs_event(messages, local_stack.resources.queues["actions"].arn))
    assert result == {"batchItemFailures": []}
    after = body(lambdas["api"].invoke(http_event("GET", f"/dossiers/{dossier['id']}", claims=LEADER)))
    assert after["status"]["code"] == 2  # received

    # Its Form 01 is drawn after the commit, by the consumer of the reception's envelope (the notifier).
    key = DossierRepository().get(dossier["id"]).receipt_slip_key
    assert key is not None and key.startswith(f"dossiers/{dossier['id']}/form01-")
    relayed = lambdas["outbox-relay"].invoke(scheduler_event("outbox-relay"))
    assert relayed["sent"] == 2  # the submission's and the reception's envelopes
    notices = receive_all(local_stack, "notifications", 2)
    result = lambdas["notifier"].invoke(sqs_event(notices, local_stack.resources.queues["notifications"].arn))
    assert result == {"batchItemFailures": []}
    slip = local_stack.client("s3").get_object(Bucket=bucket_name("documents"), Key=key)
    assert slip["Body"].read(5) == b"%PDF-" and slip["Metadata"]["form"] == "01"  # fpdf2 from the layer


def test_the_sla_sweep_hands_out_its_shards_and_a_worker_records_the_breach_and_the_apology(
    lambdas: dict[str, LambdaProcess], local_stack: Any, api_client: Any
) -> None:
    dossier_id = quick_dossier(MON_2_MARCH)  # due Mon 9 Mar 2026 17:00: long overdue now

    dispatched = lambdas["sla"].invoke(scheduler_event("sla"))
    assert dispatched["shards"] == d.SLA_SHARDS
    messages = receive_all(local_stack, "sla-shards", d.SLA_SHARDS)
    assert sorted(json.loads(m["Body"])["shard"] for m in messages) == list(range(d.SLA_SHARDS))
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {f"shard-{n}" for n in range(d.SLA_SHARDS)}
    sqs = local_stack.client("sqs")
    for message in messages:  # batch size 1, as declared: one shard per invocation
        result = lambdas["sla-worker"].invoke(sqs_event([message], local_stack.resources.queues["sla-shards"].arn))
        assert result == {"batchItemFailures": []}
        sqs.delete_message(QueueUrl=local_stack.queue_url("sla-shards"), ReceiptHandle=message["ReceiptHandle"])
    actions = [e.action for e in DossierRepository().history(dossier_id)]
    assert actions.count("sla_breach") == 1 and actions.count("apologise") == 1, actions
    apology = DossierRepository().get(dossier_id).apology
    assert apology is not None and apology.letter_key.startswith(f"dossiers/{dossier_id}/form04-")

    # The letter is drafted by the sweep and rendered by the consumer of the apology's envelope (the notifier).
    lambdas["outbox-relay"].invoke(scheduler_event("outbox-relay"))
    notices = receive_all(local_stack, "notifications", 1)
    while not any(json.loads(m["Body"])["type"] == "dossier.apology_issued"
                  and json.loads(m["Body"])["data"]["dossier_id"] == dossier_id for m in notices):
        notices += receive_all(local_stack, "notifications", 1)
    apology_notice = [m for m in notices if json.loads(m["Body"])["type"] == "dossier.apology_issued"
                      and json.loads(m["Body"])["data"]["dossier_id"] == dossier_id]
    result = lambdas["notifier"].invoke(sqs_event(apology_notice, local_stack.resources.queues["notifications"].arn))
    assert result == {"batchItemFailures": []}
    letter = local_stack.client("s3").get_object(Bucket=bucket_name("documents"), Key=apology.letter_key)
    assert letter["Body"].read(5) == b"%PDF-"  # rendered by fpdf2 from the layer


def test_the_outbox_is_relayed_and_the_notifier_sends_each_notice(
    lambdas: dict[str, LambdaProcess], local_stack: Any
) -> None:
    dossier = submit(lambdas["api"])

    relayed = lambdas["outbox-relay"].invoke(scheduler_event("outbox-relay"))
    assert relayed == {"sent": 1, "skipped": 0, "failed": 0}  # the submission's notice
    messages = receive_all(local_stack, "notifications", 1)
    result = lambdas["notifier"].invoke(sqs_event(messages, local_stack.resources.queues["notifications"].arn))
    assert result == {"batchItemFailures": []}

    records = data_notifications.deliveries_of_dossier(dossier["id"], 10)
    assert sorted((r.channel, r.status) for r in records) == [("email", "sent"), ("sms", "sent")]


def test_the_monthly_index_scores_the_month_and_writes_its_reports(
    lambdas: dict[str, LambdaProcess], local_stack: Any, api_client: Any
) -> None:
    quick_dossier(MON_2_MARCH)

    # The schedule fires at 00:05 on 1 April, Vietnam time: the month that just ended is March.
    report = lambdas["index"].invoke(scheduler_event("index", at=datetime(2026, 3, 31, 17, 5, tzinfo=UTC)))
    assert report["month"] == "2026-03"
    assert report["units"] >= 1 and report["dossiers_received"] == 1
    s3 = local_stack.client("s3")
    for key in report["reports"].values():
        assert s3.head_object(Bucket=bucket_name("reports"), Key=key)["ContentLength"] > 0
    assert report["reports"]

    month = lambdas["api-index"].invoke(http_event("GET", "/indexes/2026-03", route="GET /indexes/{month}",
                                                   path_parameters={"month": "2026-03"}))
    assert month["statusCode"] == 200 and body(month)["month"] == "2026-03", month


def test_a_postal_order_goes_from_the_queue_to_the_carrier_and_its_tracking_comes_back(
    lambdas: dict[str, LambdaProcess], local_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    vnpost = local_stack.vnpost
    vnpost.reset()
    sent: list[bytes] = []
    monkeypatch.setattr(vnpost.server, "_post_callback", sent.append)
    api = lambdas["api"]
    dossier = submit(api)
    receiver = {"full_name": "Lê Thị Bưu", "phone": "0911222333", "address": "9 Hùng Vương, Huế"}
    asked = api.invoke(http_event("POST", f"/dossiers/{dossier['id']}/postal", claims=CITIZEN,
                                  body={"collection": True, "receiver": receiver}))
    assert asked["statusCode"] == 200, asked
    messages = receive_all(local_stack, "postal", 1)
    assert receiver["phone"] not in messages[0]["Body"]
    result = lambdas["postal"].invoke(sqs_event(messages, local_stack.resources.queues["postal"].arn))
    assert result == {"batchItemFailures": []}
    order = vnpost.state.summary()["orders"][f"{dossier['id']}-C"]

    vnpost.advance(order["ItemCode"], "20", "2026-12-09T08:00:00+07:00")
    step = json.loads(sent[0])
    signature = sign(vnpost.callback_key()["checksum_key"], json.dumps(step, ensure_ascii=False).encode())
    route = {"route": "POST /postal/{carrier}/callback", "path_parameters": {"carrier": "vnpost"}}
    answer = api.invoke(http_event("POST", "/postal/vnpost/callback", body=step,
                                   headers={CHECKSUM_HEADER.lower(): signature}, **route))
    assert answer["statusCode"] == 200 and body(answer)["outcome"] == "recorded", answer
    forged = api.invoke(http_event("POST", "/postal/vnpost/callback", body=dict(step, StatusCode="50"),
                                   headers={CHECKSUM_HEADER.lower(): signature}, **route))
    assert forged["statusCode"] == 401 and body(forged)["code"] == "POSTAL_CALLBACK_REJECTED"

    vnpost.set_faults(callback_fail=1)
    vnpost.advance(order["ItemCode"], "30", "2026-12-09T09:00:00+07:00")  # no callback: the poll fetches it
    polled = lambdas["postal"].invoke(scheduler_event("postal"))
    assert polled["polled"] == 1 and polled["steps"] == 1, polled
    orders = body(api.invoke(http_event("GET", f"/dossiers/{dossier['id']}/postal", claims=CITIZEN)))
    assert orders["collection"]["last_status"] == "30"
