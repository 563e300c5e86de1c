"""Citizens' notices: a template for every status and event, Vietnamese text, Vietnam time."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from motcua.domain.status import DossierStatus
from motcua.notifications import templates as t
from motcua.notifications.delivery import mask_address

FACTS = t.DossierFacts(receipt_code="000.20.01.H36-260302-0007", procedure_name_vi="Đăng ký khai sinh",
                       full_name="Nguyễn Thị Hằng", appointment_at=datetime(2026, 3, 10, 10, 0, tzinfo=UTC))


def status_changed(code: int, appointment_at: object = "2026-03-10T10:00:00+00:00") -> dict:
    return {"to_status": {"code": code, "name_vi": DossierStatus(code).name_vi}, "appointment_at": appointment_at}


def test_every_status_code_has_its_own_template() -> None:
    ids = {t.status_template_id(status) for status in DossierStatus}
    assert ids <= set(t.TEMPLATES)
    assert len(ids) == 10
    texts = [t.TEMPLATES[i].text for i in ids]
    assert len(set(texts)) == 10  # no status borrows another's text
    assert {t.APOLOGY, t.SLA_WARNING, t.SLA_BREACHED} <= set(t.TEMPLATES)


@pytest.mark.parametrize("code", [int(s) for s in DossierStatus])
def test_each_status_renders_with_the_dossier_and_its_status_name(code: int) -> None:
    rendered = t.compose("dossier.status_changed", status_changed(code), FACTS)
    assert rendered is not None and rendered.template_id == f"status.{code:02d}"
    assert FACTS.receipt_code in rendered.text and "Đăng ký khai sinh" in rendered.text
    assert DossierStatus(code).name_vi in rendered.subject
    for part in (rendered.subject, rendered.text, rendered.email_body):
        assert "{" not in part and "}" not in part  # every placeholder filled
    assert "Kính gửi Ông/Bà Nguyễn Thị Hằng," in rendered.email_body
    assert rendered.text in rendered.email_body


def test_texts_are_vietnamese_with_diacritics_in_composed_form() -> None:
    for template in t.TEMPLATES.values():
        for part in (template.subject, template.text):
            assert any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", part)), template.id
            assert unicodedata.normalize("NFC", part) == part, template.id  # precomposed: one code point
    received = t.compose("dossier.status_changed", status_changed(2), FACTS)
    assert received is not None
    assert received.text == ("Hồ sơ 000.20.01.H36-260302-0007 (Đăng ký khai sinh) đã được tiếp nhận. "
                             "Ngày hẹn trả kết quả: 10/03/2026 17:00.")


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 3, 10, 10, 0, tzinfo=UTC), "10/03/2026 17:00"),
        (datetime(2026, 3, 9, 18, 30, tzinfo=UTC), "10/03/2026 01:30"),  # the next day in Vietnam
        (datetime(2026, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))), "01/01/2027 11:59"),
        (datetime(2026, 3, 10, 17, 0, tzinfo=timezone(timedelta(hours=7))), "10/03/2026 17:00"),
    ],
)
def test_dates_are_shown_in_vietnam_time(moment: datetime, shown: str) -> None:
    assert t.format_datetime_vn(moment) == shown
    rendered = t.compose("dossier.status_changed", status_changed(4, moment.isoformat()), FACTS)
    assert rendered is not None and shown in rendered.text


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        t.format_datetime_vn(datetime(2026, 3, 10, 10, 0))


def test_payment_amount_and_stop_reason_come_from_the_dossier() -> None:
    facts = t.DossierFacts(**{**FACTS.__dict__, "payment_amount_vnd": 1250000, "stop_reason": "Công dân rút hồ sơ"})
    payment = t.compose("dossier.status_changed", status_changed(6), facts)
    stopped = t.compose("dossier.status_changed", status_changed(8), facts)
    assert payment is not None and "1.250.000 đồng" in payment.text
    assert stopped is not None and stopped.text.endswith("Lý do: Công dân rút hồ sơ.")
    unpaid = t.compose("dossier.status_changed", status_changed(6), FACTS)
    assert unpaid is not None and "số tiền" not in unpaid.text and "  " not in unpaid.text


def test_apology_carries_both_appointments_and_the_reason() -> None:
    rendered = t.compose("dossier.apology_issued", {
        "reason": "Chờ ý kiến cơ quan phối hợp", "original_appointment_at": "2026-03-10T10:00:00+00:00",
        "new_appointment_at": datetime(2026, 3, 17, 10, 0, tzinfo=UTC)}, FACTS)
    assert rendered is not None and rendered.template_id == t.APOLOGY
    assert "10/03/2026 17:00" in rendered.text and "17/03/2026 17:00" in rendered.text
    assert "xin lỗi" in rendered.text and "Chờ ý kiến cơ quan phối hợp" in rendered.text


def test_sla_breach_is_sent_and_only_the_last_day_warning_reaches_the_citizen() -> None:
    due = {"due_at": "2026-03-10T10:00:00+00:00"}
    breached = t.compose("dossier.sla_breached", {**due, "kind": "breach"}, FACTS)
    last_day = t.compose("dossier.sla_warning", {**due, "kind": "last_day"}, FACTS)
    assert breached is not None and breached.template_id == t.SLA_BREACHED and "quá hạn" in breached.text
    assert last_day is not None and last_day.template_id == t.SLA_WARNING and "10/03/2026 17:00" in last_day.text
    assert t.compose("dossier.sla_warning", {**due, "kind": "warn_2wd"}, FACTS) is None
    assert t.compose("feedback.status_changed", {}, FACTS) is None


def test_a_template_missing_a_value_fails_loudly() -> None:
    with pytest.raises(t.TemplateValueMissing, match="appointment_at"):
        t.render(t.status_template_id(2), {"receipt_code": "X", "procedure_name_vi": "Y"}, full_name="Z")


def test_sms_texts_stay_within_two_unicode_segments_for_an_ordinary_procedure_name() -> None:
    # UCS-2 SMS: 67 characters per segment once concatenated; three segments cost three times one.
    for code in DossierStatus:
        rendered = t.compose("dossier.status_changed", status_changed(int(code)), FACTS)
        assert rendered is not None and len(rendered.text) <= 3 * 67, code


def test_recipients_are_masked_in_records() -> None:
    assert mask_address("email", "hang.nguyen@example.vn") == "h***@example.vn"
    assert mask_address("sms", "+84912345678") == "+8491*****78"


# --- officials, push, channel choice ----------------------------------------------------------------

DUE = "2026-03-09T10:00:00+00:00"  # Mon 9 Mar 17:00 in Vietnam


@pytest.mark.parametrize(("kind", "left"), [("warn_2wd", "(còn 2 ngày làm việc)"),
                                           ("warn_1wd", "(còn 1 ngày làm việc)"),
                                           ("last_day", "(hôm nay là ngày cuối cùng của thời hạn)")])
def test_officials_are_warned_of_every_kind_with_what_is_due_and_when(kind: str, left: str) -> None:
    for role, greeting in (("processing_officer", "Kính gửi cán bộ xử lý hồ sơ,"),
                           ("agency_leader", "Kính gửi lãnh đạo cơ quan,")):
        rendered = t.compose_for_official("dossier.sla_warning", {"kind": kind, "due_at": DUE}, FACTS, role)
        assert rendered is not None and rendered.template_id == t.OFFICIAL_SLA_WARNING
        assert rendered.subject == "Cảnh báo hạn giải quyết hồ sơ 000.20.01.H36-260302-0007"
        assert rendered.text == ("Hồ sơ 000.20.01.H36-260302-0007 (Đăng ký khai sinh) phải giải quyết xong trước "
                                 f"09/03/2026 17:00 {left}. Nếu không kịp, đề nghị ban hành văn bản xin lỗi và hẹn "
                                 "lại ngày trả kết quả chậm nhất 01 ngày làm việc trước hạn.")
        assert rendered.email_body.startswith(greeting) and rendered.text in rendered.email_body
        assert "Nguyễn Thị Hằng" not in rendered.email_body  # officials' notices name no citizen
    unknown = t.compose_for_official("dossier.sla_warning", {"kind": "warn_5wd", "due_at": DUE}, FACTS,
                                     "agency_leader")
    assert unknown is not None and "trước 09/03/2026 17:00. Nếu" in unknown.text


def test_the_breach_tells_officials_whether_the_apology_still_has_to_be_signed() -> None:
    new = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    data = {"kind": "breach", "due_at": DUE}
    drafted = t.DossierFacts(**{**FACTS.__dict__, "apology_new_appointment_at": new,
                                "apology_drafted_by_system": True})
    signed = t.DossierFacts(**{**FACTS.__dict__, "apology_new_appointment_at": new})
    by_system = t.compose_for_official("dossier.sla_breached", data, drafted, "agency_leader")
    by_officer = t.compose_for_official("dossier.sla_breached", data, signed, "agency_leader")
    none_yet = t.compose_for_official("dossier.sla_breached", data, FACTS, "processing_officer")
    assert by_system is not None and by_officer is not None and none_yet is not None
    assert by_system.template_id == t.OFFICIAL_SLA_BREACHED
    assert "đã quá hạn giải quyết lúc 09/03/2026 17:00." in by_system.text
    assert "(Mẫu 04) đã được dự thảo với ngày hẹn mới 16/03/2026 17:00" in by_system.text
    assert "ký ban hành" in by_system.text
    assert by_officer.text.endswith("Văn bản xin lỗi đã được ban hành, ngày hẹn mới 16/03/2026 17:00.")
    assert none_yet.text.endswith("Đề nghị ban hành ngay văn bản xin lỗi và hẹn lại ngày trả kết quả.")


def test_the_new_appointment_timers_remind_officials_of_the_promise_and_never_the_citizen() -> None:
    promised = "2026-03-16T10:00:00+00:00"  # Mon 16 Mar 17:00 in Vietnam
    soon = t.compose_for_official("dossier.sla_warning", {"kind": "new_appointment_1wd", "due_at": promised},
                                  FACTS, "processing_officer")
    missed = t.compose_for_official("dossier.sla_warning", {"kind": "new_appointment_missed", "due_at": promised},
                                    FACTS, "agency_leader")
    assert soon is not None and missed is not None
    assert soon.template_id == missed.template_id == t.OFFICIAL_NEW_APPOINTMENT
    assert soon.text == ("Hồ sơ 000.20.01.H36-260302-0007 (Đăng ký khai sinh) còn 1 ngày làm việc đến ngày hẹn mới "
                         "16/03/2026 17:00 đã hẹn lại với công dân trong văn bản xin lỗi. Đề nghị hoàn thành để trả "
                         "kết quả đúng ngày hẹn mới.")
    assert missed.subject == "Hồ sơ 000.20.01.H36-260302-0007: đã quá ngày hẹn mới"
    assert "chưa có kết quả khi đến ngày hẹn mới 16/03/2026 17:00" in missed.text
    for kind in ("new_appointment_1wd", "new_appointment_missed"):
        assert t.compose("dossier.sla_warning", {"kind": kind, "due_at": promised}, FACTS) is None


def test_officials_are_told_only_of_sla_notices_and_only_the_two_roles() -> None:
    data = {"kind": "last_day", "due_at": DUE}
    assert t.compose_for_official("dossier.status_changed", status_changed(2), FACTS, "agency_leader") is None
    assert t.compose_for_official("dossier.apology_issued", data, FACTS, "agency_leader") is None
    assert t.compose_for_official("dossier.sla_warning", data, FACTS, "reception_officer") is None
    assert t.compose_for_official("dossier.sla_warning", data, FACTS, "citizen") is None


def test_a_push_carries_one_payload_per_platform() -> None:
    import json

    rendered = t.compose("dossier.status_changed", status_changed(2), FACTS)
    assert rendered is not None
    message = json.loads(t.push_message(rendered, {"dossier_id": "d1", "receipt_code": FACTS.receipt_code}))
    assert set(message) == {"default", "GCM", "APNS", "APNS_SANDBOX"} and message["default"] == rendered.text
    fcm = json.loads(message["GCM"])["fcmV1Message"]["message"]
    assert fcm["notification"] == {"title": rendered.subject, "body": rendered.text}
    assert fcm["data"] == {"dossier_id": "d1", "receipt_code": FACTS.receipt_code}
    apns = json.loads(message["APNS"])
    assert apns["aps"]["alert"] == {"title": rendered.subject, "body": rendered.text} and apns["dossier_id"] == "d1"
    assert message["APNS_SANDBOX"] == message["APNS"]


def test_chosen_channels_narrow_what_the_recipient_has() -> None:
    from motcua.data.contacts import Device
    from motcua.notifications.delivery import Recipient, targets_for

    now = datetime(2026, 3, 2, tzinfo=UTC)
    phone = Device(subject="c", installation_id="inst-0001", platform="fcm",
                   endpoint_arn="arn:aws:sns:x:1:endpoint/GCM/a/1",
                   token_sha256="h", role="citizen", agency_code=None, registered_at=now, updated_at=now)
    everything = Recipient(subject="c", audience="citizen", email="a@example.vn", phone="+84912345678",
                           devices=(phone,))
    assert [x.channel for x in targets_for(everything)] == ["email", "sms", "push"]
    chosen = Recipient(**{**everything.__dict__, "chosen": ("push", "sms")})
    assert [(x.channel, x.device) for x in targets_for(chosen)] == [("sms", ""), ("push", "inst-0001")]
    no_email = Recipient(subject="c", audience="citizen", phone="+84912345678", chosen=("email",))
    assert targets_for(no_email) == []  # chose e-mail but gave none on the dossier: nothing to send
    assert mask_address("push", phone.endpoint_arn, phone.installation_id) == "device:inst***"
