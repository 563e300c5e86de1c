"""Vietnamese texts sent to citizens: one template per status code (1–10), the apology, the SLA warning and
the SLA breach. Pure: no I/O, no clock.

Each template has a subject (e-mail) and one short text, sent as the SMS and as the e-mail's lead
paragraph. Texts name the dossier by its receipt code and procedure only: no personal data beyond the
greeting of the e-mail, which goes to the citizen's own address. Dates and times are shown as
``dd/mm/yyyy HH:MM`` in Asia/Ho_Chi_Minh, whatever zone the event carries.

The wording is the project's (UNSURE: no legal text prescribes it); changing a text is changing this table.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from motcua.domain.calendar import VN_TZ
from motcua.domain.status import DossierStatus


@dataclass(frozen=True)
class Template:
    id: str
    subject: str
    text: str


def status_template_id(code: int) -> str:
    return f"status.{int(DossierStatus(code)):02d}"


APOLOGY = "apology"
SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"

# Which SLA warnings reach the citizen (UNSURE, a policy choice): only the last day's. The earlier ones
# (two and one working days before) are the agency's cue to decide on an apology; sending all three
# would tell the citizen the same thing three times.
CITIZEN_SLA_WARNING_KINDS = frozenset({"last_day"})

_D = "Hồ sơ {receipt_code} ({procedure_name_vi})"

_STATUS_TEXTS: dict[DossierStatus, str] = {
    DossierStatus.SUBMITTED: _D + " đã được đăng ký và đang chờ cơ quan tiếp nhận. "
                                  "Ngày hẹn trả kết quả dự kiến: {appointment_at}.",
    DossierStatus.RECEIVED: _D + " đã được tiếp nhận. Ngày hẹn trả kết quả: {appointment_at}.",
    DossierStatus.REFUSED: _D + " không được tiếp nhận. Lý do được nêu trong Phiếu từ chối tiếp nhận "
                                "giải quyết hồ sơ.",
    DossierStatus.PROCESSING: _D + " đang được giải quyết. Ngày hẹn trả kết quả: {appointment_at}.",
    DossierStatus.SUPPLEMENT_REQUESTED: _D + " cần bổ sung, hoàn thiện giấy tờ theo Phiếu yêu cầu bổ sung. "
                                             "Thời gian chờ bổ sung không tính vào thời hạn giải quyết.",
    DossierStatus.AWAITING_PAYMENT: _D + ": đề nghị quý vị thực hiện nghĩa vụ tài chính{payment_clause} "
                                         "để được trả kết quả.",
    DossierStatus.WITHDRAWAL_REQUESTED: "Yêu cầu rút hồ sơ {receipt_code} ({procedure_name_vi}) đã được ghi nhận.",
    DossierStatus.STOPPED: _D + " đã dừng giải quyết.{stop_clause}",
    DossierStatus.DECIDED: _D + " đã có kết quả giải quyết. Ngày hẹn trả kết quả: {appointment_at}.",
    DossierStatus.RETURNED: _D + " đã được trả kết quả. Cảm ơn quý vị; mời quý vị đánh giá mức độ hài lòng.",
}

TEMPLATES: dict[str, Template] = {
    **{
        status_template_id(status): Template(status_template_id(status),
                                             "Hồ sơ {receipt_code}: " + status.name_vi, text)
        for status, text in _STATUS_TEXTS.items()
    },
    APOLOGY: Template(APOLOGY, "Hồ sơ {receipt_code}: thư xin lỗi và hẹn lại ngày trả kết quả",
                      "Cơ quan giải quyết xin lỗi vì hồ sơ {receipt_code} ({procedure_name_vi}) chậm so với ngày "
                      "hẹn {original_appointment_at}. Lý do: {reason}. Ngày hẹn mới: {new_appointment_at}."),
    SLA_WARNING: Template(SLA_WARNING, "Hồ sơ {receipt_code}: sắp đến hạn giải quyết",
                          _D + " sắp đến hạn giải quyết ({due_at}). Nếu có thay đổi, cơ quan sẽ thông báo "
                               "đến quý vị."),
    SLA_BREACHED: Template(SLA_BREACHED, "Hồ sơ {receipt_code}: quá hạn giải quyết",
                           _D + " đã quá hạn giải quyết ({due_at}). Cơ quan sẽ gửi văn bản xin lỗi và hẹn lại "
                                "ngày trả kết quả."),
}

EMAIL_BODY = (
    "Kính gửi Ông/Bà {full_name},\n\n"
    "{text}\n\n"
    "Quý vị có thể tra cứu tình trạng hồ sơ bằng mã hồ sơ {receipt_code}.\n\n"
    "Thư này được gửi tự động từ hệ thống một cửa; vui lòng không trả lời thư này.\n"
)


class TemplateValueMissing(KeyError):
    """A template names a value the caller did not supply (a bug: caught by the unit tests)."""


def format_datetime_vn(at: datetime) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam's time zone; a naive datetime is refused, never guessed."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a naive datetime has no place in a citizen's notice")
    return at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def format_vnd(amount: int) -> str:
    """50000 -> ``50.000 đồng`` (Vietnamese digit grouping)."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def fields(template_id: str) -> set[str]:
    """The values a template needs."""
    template = TEMPLATES[template_id]
    formatter = string.Formatter()
    return {name for part in (template.subject, template.text) for _, name, _, _ in formatter.parse(part) if name}


@dataclass(frozen=True)
class Rendered:
    template_id: str
    subject: str
    text: str  # the SMS
    email_body: str


def render(template_id: str, values: Mapping[str, str], *, full_name: str) -> Rendered:
    template = TEMPLATES[template_id]
    missing = fields(template_id) - set(values)
    if missing:
        raise TemplateValueMissing(f"{template_id} needs {sorted(missing)}")
    subject = template.subject.format_map(values)
    text = template.text.format_map(values)
    body = EMAIL_BODY.format(full_name=full_name, text=text, receipt_code=values.get("receipt_code", ""))
    return Rendered(template_id=template_id, subject=subject, text=text, email_body=body)


@dataclass(frozen=True)
class DossierFacts:
    """What the texts need from the stored dossier (the event carries identifiers and statuses only)."""

    receipt_code: str
    procedure_name_vi: str
    full_name: str
    appointment_at: datetime
    payment_amount_vnd: int | None = None
    stop_reason: str | None = None


def _when(value: Any) -> str:
    return format_datetime_vn(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))


def compose(event_type: str, data: Mapping[str, Any], facts: DossierFacts) -> Rendered | None:
    """The notice for one event, or ``None`` when the event is not one citizens are told about."""
    values = {"receipt_code": facts.receipt_code, "procedure_name_vi": facts.procedure_name_vi}
    if event_type == "dossier.status_changed":
        template_id = status_template_id(int(data["to_status"]["code"]))
        values |= {
            # The appointment as the event saw it; the dossier's when an old event lacks it.
            "appointment_at": _when(data.get("appointment_at") or facts.appointment_at),
            "payment_clause": (f" (số tiền: {format_vnd(facts.payment_amount_vnd)})"
                               if facts.payment_amount_vnd else ""),
            "stop_clause": f" Lý do: {facts.stop_reason}." if facts.stop_reason else "",
        }
    elif event_type == "dossier.apology_issued":
        template_id = APOLOGY
        values |= {"original_appointment_at": _when(data["original_appointment_at"]),
                   "new_appointment_at": _when(data["new_appointment_at"]), "reason": str(data["reason"])}
    elif event_type == "dossier.sla_warning":
        if data.get("kind") not in CITIZEN_SLA_WARNING_KINDS:
            return None
        template_id = SLA_WARNING
        values |= {"due_at": _when(data["due_at"])}
    elif event_type == "dossier.sla_breached":
        template_id = SLA_BREACHED
        values |= {"due_at": _when(data["due_at"])}
    else:
        return None
    return render(template_id, values, full_name=facts.full_name)
