"""Postal collection and return through the VNPost emulator with faults (docs/integrations.md §3): a dossier
collected at home and its result returned by post, on DynamoDB Local; nothing lost, nothing applied twice,
status 10 at the carrier's delivery time.

The postal queue is stood in for by a list the test drains as the consumer would (a failed operation goes
back to the queue); the callbacks reach ``PostalService.callback`` with the raw body and the checksum header
the emulator signed.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest

from infra.local.vnpost import VnpostEmulator, sign, start_vnpost
from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.data import postal as store
from motcua.data.postal import CarrierConnection, VnpostClient
from motcua.data.repositories import DossierRepository
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.errors import MotcuaError
from motcua.domain.postal import CallbackRejected, CarrierMapping, CarrierUnavailable, OrderMessage, PostalRequest
from motcua.domain.status import DossierStatus
from motcua.service.postal import PostalNotAllowed, PostalService
from tests.integration.helpers import COMMUNE, bearer, submission, submit_headers

DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
DESK_ACTOR = Actor(subject="officer-lan", role=Role.RECEPTION_OFFICER, agency_code=COMMUNE)
RECEIVER = {"full_name": "Nguyễn Thị Hằng", "phone": "0912345678", "address": "12 Lê Lợi, phường Xuân Hương"}


@pytest.fixture(autouse=True)
def catalogue(clean_table: str) -> None:
    seed_catalogue(clean_table)




@pytest.fixture
def vnpost(local_stack):
    emulator = start_vnpost()
    yield emulator
    emulator.stop()


def postal(emulator: VnpostEmulator, queue: list[OrderMessage]) -> PostalService:
    connection = CarrierConnection(**{**emulator.connection(), "read_timeout_s": 0.5})
    carrier = VnpostClient(connection, CarrierMapping())

    def carriers(name: str) -> VnpostClient:
        if name != "vnpost":
            raise KeyError(name)
        return carrier

    def callback_key(name: str) -> str:
        if name != "vnpost":
            raise CallbackRejected({"carrier": name})
        return emulator.callback_key()["checksum_key"]

    return PostalService(carriers=carriers, enqueue=queue.append, callback_key=callback_key)


def drain(service: PostalService, queue: list[OrderMessage], max_rounds: int = 10) -> list[str]:
    """The consumer: each message delivered; a carrier outage puts it back (SQS's retry), up to ``max_rounds``."""
    outcomes = []
    for _ in range(max_rounds):
        if not queue:
            break
        message = queue.pop(0)
        try:
            outcomes.append(service.deliver(message.model_dump_json()))
        except CarrierUnavailable:
            queue.append(message)
            outcomes.append("retry")
        # a message enqueued twice (the queue's at-least-once delivery) is harmless: see the test
    assert not queue, "a message is still undelivered"
    return outcomes


def act(api_client, dossier_id: str, name: str, who, body: dict | None = None) -> dict:
    headers = {**bearer(*who), "idempotency-key": uuid.uuid4().hex}
    response = api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {}, headers=headers)
    assert response.status == 200, response.text
    return response.json()


def callback(service: PostalService, emulator: VnpostEmulator, step: dict) -> str:
    body = json.dumps(step, ensure_ascii=False).encode()
    return service.callback("vnpost", body, sign(emulator.callback_key()["checksum_key"], body))


def test_a_dossier_collected_and_returned_by_post_with_faults(api_client, vnpost) -> None:
    queue: list[OrderMessage] = []
    service = postal(vnpost, queue)
    received: list[tuple[bytes, str]] = []
    vnpost.server._post_callback = lambda body: received.append(  # type: ignore[method-assign]
        (body, sign(vnpost.callback_key()["checksum_key"], body)))

    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-hang"))
    assert response.status == 201, response.text
    dossier_id = response.json()["id"]
    owner = Actor(subject=DossierRepository().get(dossier_id).owner, role=Role.CITIZEN)

    # 1. collection at home and the result by post, asked at submission; collection is ordered at once
    vnpost.set_faults(error_5xx=1, slow=1, delay_s=1.5)  # the carrier down, then too slow: retried
    service.request(dossier_id, PostalRequest(collection=True, return_by_post=True, receiver=RECEIVER), owner)
    queue.append(queue[0])  # SQS delivers the same message twice
    outcomes = drain(service, queue)
    assert outcomes.count("created") == 1 and "retry" in outcomes and "stale" in outcomes
    state = vnpost.state.summary()
    assert sorted(state["orders"]) == [f"{dossier_id}-C"]  # one collection order, whatever the retries
    collection = store.get_order(dossier_id, "collection")
    assert collection is not None and collection.state == "created"
    vnpost.advance(collection.item_code, "20")
    vnpost.advance(collection.item_code, "50")
    for body, signature in received:
        service.callback("vnpost", body, signature)
    assert store.get_order(dossier_id, "collection").state == "delivered"
    assert DossierRepository().get(dossier_id).status is DossierStatus.SUBMITTED  # the desk still receives it

    # 2. the desk cannot order the return before the result
    with pytest.raises(PostalNotAllowed):
        service.order(dossier_id, "return", DESK_ACTOR)
    act(api_client, dossier_id, "receive", DESK)
    act(api_client, dossier_id, "start_processing", PROCESSOR)
    act(api_client, dossier_id, "decide", PROCESSOR,
        {"electronic": False, "result_documents": [f"results/{uuid.uuid4().hex}/giay-khai-sinh.pdf"]})

    # 3. the return: ordered, created through a 5xx, tracked with duplicated out-of-order callbacks
    received.clear()
    vnpost.set_faults(error_5xx=2)
    service.order(dossier_id, "return", DESK_ACTOR)
    assert drain(service, queue).count("created") == 1
    ret = store.get_order(dossier_id, "return")
    assert ret is not None and ret.item_code is not None
    assert "giay-khai-sinh.pdf" in vnpost.state.summary()["orders"][f"{dossier_id}-R"]["PackageContent"]
    vnpost.set_faults(duplicate_callbacks=True, out_of_order=True)
    vnpost.server._post_callback = lambda body: received.append(  # type: ignore[method-assign]
        (body, sign(vnpost.callback_key()["checksum_key"], body)))
    base = datetime(2026, 12, 8, 9, 0, tzinfo=VN_TZ)
    for i, code in enumerate(("20", "30", "40", "50")):
        vnpost.advance(ret.item_code, code, (base + timedelta(hours=i)).isoformat())
    vnpost.flush()  # newest first, each twice
    assert len(received) == 8
    forged = received[0][0].replace(b'"50"', b'"60"')
    with pytest.raises(CallbackRejected):
        service.callback("vnpost", forged, received[0][1])
    outcomes = [service.callback("vnpost", body, signature) for body, signature in received]
    assert outcomes.count("delivered") == 1 and outcomes.count("recorded") == 3 and outcomes.count("duplicate") == 4

    dossier = DossierRepository().get(dossier_id)
    assert dossier.status is DossierStatus.RETURNED
    assert dossier.returned_at == base + timedelta(hours=3)  # the carrier's delivery time
    assert dossier.result is not None and dossier.result.return_method == "post"
    history = DossierRepository().history(dossier_id)
    assert [e.action for e in history].count("return_result") == 1
    assert store.get_order(dossier_id, "return").last_status == "50"

    # polling afterwards changes nothing
    assert set(service.poll(dossier_id, "return")) == {"duplicate"}
    assert [e.action for e in DossierRepository().history(dossier_id)].count("return_result") == 1


def test_cancel_and_retry(api_client, vnpost) -> None:
    queue: list[OrderMessage] = []
    service = postal(vnpost, queue)
    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-hang"))
    dossier_id = response.json()["id"]
    owner = Actor(subject=DossierRepository().get(dossier_id).owner, role=Role.CITIZEN)
    service.request(dossier_id, PostalRequest(collection=True, receiver=RECEIVER), owner)
    drain(service, queue)
    service.cancel(dossier_id, "collection", owner)
    assert drain(service, queue) == ["cancelled"]
    assert vnpost.state.summary()["orders"][f"{dossier_id}-C"]["cancelled"] is True
    with pytest.raises(PostalNotAllowed):  # cancelled twice
        service.cancel(dossier_id, "collection", owner)
    service.retry(dossier_id, "collection", DESK_ACTOR)  # a new attempt, the same carrier order code
    assert drain(service, queue) == ["created"]
    assert store.get_order(dossier_id, "collection").attempt == 2
    with pytest.raises(MotcuaError):
        service.callback("vnpost", b"{}", "bad")
