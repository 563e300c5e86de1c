"""The forms the desk hands out, through the API on the local stack (docs/documents.md §1): Form 01 issued
on reception (drawn after the commit, from the reception's envelope: outbox -> relay -> notifications queue
-> notifier) and read back by its owner and the agency's officials; checked by opening the PDF (pypdf)."""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
from datetime import datetime

import pytest
from pypdf import PdfReader

from motcua.domain.calendar import VN_TZ
from tests.integration.helpers import COMMUNE, announce, bearer, subject_of, submission, submit_headers
from tests.integration.test_notifications import receive_messages, relay, run_notifier, visible_again

DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)


@pytest.fixture(autouse=True)
def _catalogue(catalogue: None, clean_queues: None) -> None:
    """The seeded catalogue and empty queues (the notifications queue carries the receptions) for every test."""


@pytest.fixture
def drawn(monkeypatch) -> list[str]:
    """The receipt codes of the Form 01 PDFs drawn in this test (the real renderer, counted)."""
    from motcua.documents import pdf

    codes: list[str] = []
    render = pdf.render_receipt_slip

    def counted(slip):  # type: ignore[no-untyped-def]
        codes.append(slip.receipt_code)
        return render(slip)

    monkeypatch.setattr(pdf, "render_receipt_slip", counted)
    return codes


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", " ".join(p.extract_text() for p in reader.pages)))


def squeezed(text: str) -> str:
    """The text without any whitespace: the forms wrap a long cell (an officer's pool ``sub``) anywhere."""
    return re.sub(r"\s+", "", text)


def printed(expected: str, text: str) -> bool:
    return squeezed(expected) in squeezed(text)


def act(api_client, dossier_id: str, name: str, who, body: dict | None = None):
    headers = {**bearer(*who), "idempotency-key": uuid.uuid4().hex}
    response = api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {}, headers=headers)
    assert response.status == 200, response.text
    return response.json()


def slip(api_client, dossier_id: str, headers: dict):
    return api_client.get(f"/dossiers/{dossier_id}/forms/receipt-slip", headers=headers)


def test_an_online_dossier_gets_its_receipt_slip_when_the_desk_receives_it(api_client, local_stack, at,
                                                                           drawn) -> None:
    at(datetime(2026, 3, 2, 9, 30, tzinfo=VN_TZ))
    dossier = api_client.post("/dossiers", json=submission(), headers=submit_headers("citizen-hang")).json()
    announce(local_stack)  # the submission's envelope: nothing received, nothing drawn
    before = slip(api_client, dossier["id"], bearer("citizen-hang"))
    assert before.status == 404 and before.json()["code"] == "RECEIPT_SLIP_NOT_ISSUED"

    at(datetime(2026, 3, 3, 8, 15, tzinfo=VN_TZ))
    received = act(api_client, dossier["id"], "receive", DESK)
    # Committed; the slip is drawn once the reception's envelope is handled. Until then: a stable 404.
    pending = slip(api_client, dossier["id"], bearer("citizen-hang"))
    assert pending.status == 404 and pending.json()["code"] == "RECEIPT_SLIP_PENDING", pending.text
    at(datetime(2026, 3, 3, 8, 16, tzinfo=VN_TZ))  # drawn a minute later: the slip still says 08:15
    announce(local_stack)
    assert drawn == [dossier["receipt_code"]]
    response = slip(api_client, dossier["id"], bearer("citizen-hang"))
    assert response.status == 200, response.text
    assert response.header("content-type") == "application/pdf"
    text = text_of(response.body)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert dossier["receipt_code"] in text and "Nguyễn Thị Hằng" in text
    assert "12 Trần Phú, phường Xuân Hương - Đà Lạt" in text
    assert "Thời gian nhận hồ sơ: 08:15 ngày 03/03/2026" in text
    appointment = datetime.fromisoformat(received["appointment_at"]).astimezone(VN_TZ)
    assert f"Thời gian trả kết quả giải quyết hồ sơ: {appointment:%H:%M ngày %d/%m/%Y}" in text
    assert printed(subject_of("officer-lan"), text)  # the receiving officer's account
    # The same stored slip for the agency's officials; later actions leave it as issued, nothing drawn again.
    act(api_client, dossier["id"], "start_processing", PROCESSOR)
    announce(local_stack)
    assert slip(api_client, dossier["id"], bearer(*PROCESSOR)).body == response.body
    assert drawn == [dossier["receipt_code"]]


def test_a_counter_dossier_has_its_slip_once_its_submission_is_announced(api_client, local_stack, at,
                                                                        drawn) -> None:
    at(datetime(2026, 3, 2, 14, 0, tzinfo=VN_TZ))
    body = submission(channel="counter")
    response = api_client.post("/dossiers", json=body, headers={**bearer(*DESK), "idempotency-key": uuid.uuid4().hex})
    assert response.status == 201, response.text
    dossier = response.json()
    announce(local_stack)
    text = text_of(slip(api_client, dossier["id"], bearer(*DESK)).body)
    assert dossier["receipt_code"] in text and "Thời gian nhận hồ sơ: 14:00 ngày 02/03/2026" in text
    assert printed(subject_of(DESK[0]), text) and drawn == [dossier["receipt_code"]]


def test_a_redelivered_reception_draws_its_slip_once(api_client, local_stack, at, drawn) -> None:
    from motcua.service.actions import service

    at(datetime(2026, 3, 2, 9, 30, tzinfo=VN_TZ))
    dossier = api_client.post("/dossiers", json=submission(), headers=submit_headers("citizen-hang")).json()
    announce(local_stack)
    at(datetime(2026, 3, 3, 8, 15, tzinfo=VN_TZ))
    act(api_client, dossier["id"], "receive", DESK)
    assert relay()["sent"] == 1
    messages = receive_messages(local_stack, "notifications", 1)
    visible_again(local_stack, messages)  # as after a visibility timeout: SQS hands the same message out again
    duplicate = receive_messages(local_stack, "notifications", 1)
    assert duplicate[0]["Body"] == messages[0]["Body"]
    assert run_notifier(local_stack, duplicate) == {"batchItemFailures": []}
    issued = slip(api_client, dossier["id"], bearer("citizen-hang")).body
    assert run_notifier(local_stack, messages) == {"batchItemFailures": []}
    assert drawn == [dossier["receipt_code"]]
    assert slip(api_client, dossier["id"], bearer("citizen-hang")).body == issued
    # Two notifiers racing past the existence check: S3's conditional write keeps the first slip.
    key = service.dossiers.get(dossier["id"]).receipt_slip_key
    assert service.slips.store(key, b"%PDF-1.4 another") is False
    assert slip(api_client, dossier["id"], bearer("citizen-hang")).body == issued




def test_the_control_slip_on_demand_and_stored_with_the_returned_result(api_client, at) -> None:
    from motcua.data import documents
    from motcua.service.actions import service

    at(datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ))
    dossier = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-hang")).json()
    steps = [("receive", DESK, {}, 3), ("start_processing", PROCESSOR, {}, 4),
             ("decide", PROCESSOR, {}, 5)]
    for name, who, body, day in steps:
        at(datetime(2026, 3, day, 10, 0, tzinfo=VN_TZ))
        act(api_client, dossier["id"], name, who, body)
    drawn = api_client.get(f"/dossiers/{dossier['id']}/forms/control-slip", headers=bearer("citizen-hang"))
    assert drawn.status == 200 and drawn.header("content-type") == "application/pdf"
    text = text_of(drawn.body)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text and dossier["receipt_code"] in text
    assert printed(f"Bộ phận Tiếp nhận và Trả kết quả ({subject_of(DESK[0])})", text)
    assert printed(f"Bộ phận chuyên môn ({subject_of(PROCESSOR[0])})", text)
    assert "10:00 ngày 04/03/2026" in text and "Trước hạn" in text

    at(datetime(2026, 3, 6, 10, 0, tzinfo=VN_TZ))
    act(api_client, dossier["id"], "return_result", DESK, {"method": "counter"})
    stored = service.dossiers.get(dossier["id"]).result.control_slip_key
    assert stored is not None and stored.startswith(f"dossiers/{dossier['id']}/form06-")
    returned = api_client.get(f"/dossiers/{dossier['id']}/forms/control-slip", headers=bearer(*PROCESSOR))
    assert returned.body == documents.get_pdf(stored)
    # Its last row: the desk handed the result to the applicant at the return.
    assert "10:00 ngày 06/03/2026" in text_of(returned.body) and "Tổ chức, cá nhân nộp hồ sơ" in text_of(returned.body)


def test_a_dossier_with_steps_has_one_control_slip_row_per_step(api_client, at) -> None:
    # Procedure 1.001193 at the commune follows its seeded internal procedure (docs/domain.md §11.4): the rows
    # are its steps, with each step's unit, officers and verdict; THAM_DINH (1 h, due 09:10) is done late.
    from tests.integration.test_notifications import save_settings

    leader = ("chairman-tuan", "agency_leader", COMMUNE)
    for who in (DESK, PROCESSOR, leader):  # the staff list steps are assigned from
        save_settings(api_client, who)
    moments = iter(datetime(2026, 3, 2, h, m, tzinfo=VN_TZ) for h, m in ((8, 0), (8, 0), (8, 10), (15, 20),
                                                                          (15, 30), (15, 40)))
    at(next(moments))
    dossier = api_client.post("/dossiers", json=submission("1.001193"), headers=submit_headers("citizen-hang")).json()
    for name, who, body in (("receive", DESK, {}), ("complete_step", DESK, {"step_action": "CHUYEN_XU_LY"}),
                            ("complete_step", PROCESSOR, {"step_action": "TRINH"}),
                            ("complete_step", leader, {"step_action": "KY_DUYET", "payload": {}}),
                            ("complete_step", DESK, {"step_action": "TRA", "payload": {"method": "counter"}})):
        at(next(moments))
        act(api_client, dossier["id"], name, who, body)
    text = text_of(api_client.get(f"/dossiers/{dossier['id']}/forms/control-slip", headers=bearer(*leader)).body)
    assert "Theo các bước của quy trình nội bộ" in text
    assert printed(f"Bộ phận Một cửa UBND xã ({subject_of(DESK[0])})", text)
    assert printed(f"Công chức tư pháp - hộ tịch ({subject_of(PROCESSOR[0])})", text)
    assert printed(f"Chủ tịch hoặc Phó Chủ tịch UBND xã ({subject_of(leader[0])})", text)
    assert text.count("Quá hạn") == 2  # THAM_DINH's row, and the legend
    assert "15:20 ngày 02/03/2026" in text
