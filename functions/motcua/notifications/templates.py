"""Vietnamese texts: to citizens one template per status code (1–10), the apology, the SLA warning and the
SLA breach; to officials the SLA warning of every kind and the breach. Pure: no I/O, no clock.

Each template has a subject (e-mail, push title) and one short text, sent as the SMS, the push body and the
e-mail's lead paragraph. Texts name the dossier by its receipt code and procedure only: no personal data
beyond the greeting of the citizen's e-mail, which goes to the citizen's own address. Dates and times are
shown as ``dd/mm/yyyy HH:MM`` in Asia/Ho_Chi_Minh, whatever zone the event carries.

The wording is the project's (UNSURE: no legal text prescribes it); changing a text is changing this table.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from motcua.domain import sla
from motcua.domain.actors import Role
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
CITIZEN_SLA_WARNING_KINDS = frozenset({sla.LAST_DAY})

# Who else is told, the one statement of it (docs/domain.md §4.8): of every SLA warning kind and of the
# breach, the dossier's processing officer and the leaders of the agency handling it, each addressed by role.
# The notifier finds these people (``delivery.officials_of``); ``compose_for_official`` words their notices.
OFFICIAL_EVENTS = frozenset({sla.WARNING_EVENT, sla.BREACH_EVENT})
OFFICIAL_ADDRESSEES: dict[str, str] = {Role.PROCESSING_OFFICER.value: "cán bộ xử lý hồ sơ",
                                       Role.AGENCY_LEADER.value: "lãnh đạo cơ quan"}
# Internal-procedure step notices (docs/domain.md §11.4): to the step's officers, escalated to the leaders.
STEP_EVENTS = frozenset(sla.STEP_ALERT_EVENTS.values())
STEP_ADDRESSEES: dict[str, str] = {**OFFICIAL_ADDRESSEES, Role.RECEPTION_OFFICER.value: "cán bộ tiếp nhận hồ sơ"}
OFFICIAL_STEP = "official.step"
_STEP_STATE: dict[str, str] = {
    "dossier.step_warning": "sắp đến hạn: phải xong trước {due_at}. Đề nghị hoàn thành và chuyển bước tiếp theo.",
    "dossier.step_overdue": "đã quá hạn của bước lúc {due_at}. Đề nghị hoàn thành ngay.",
    "dossier.step_escalated": "đã quá hạn của bước từ {due_at} mà chưa hoàn thành. Đề nghị lãnh đạo chỉ đạo, "
                              "phân công lại nếu cần.",
}
OFFICIAL_SLA_WARNING = "official.sla_warning"
OFFICIAL_SLA_BREACHED = "official.sla_breached"
OFFICIAL_NEW_APPOINTMENT = "official.new_appointment"
# How much time is left, per warning kind (motcua.domain.sla); an unknown kind (a policy added later) says
# only the due time.
_TIME_LEFT: dict[str, str] = {
    sla.WARN_2WD: "còn 2 ngày làm việc",
    sla.WARN_1WD: "còn 1 ngày làm việc",
    sla.LAST_DAY: "hôm nay là ngày cuối cùng của thời hạn",
}
_NEW_APPOINTMENT: dict[str, dict[str, str]] = {
    sla.NEW_APPOINTMENT_WARN: {"headline": "còn 1 ngày làm việc đến ngày hẹn mới", "state": "còn 1 ngày làm việc đến",
                            "request": "Đề nghị hoàn thành để trả kết quả đúng ngày hẹn mới."},
    sla.NEW_APPOINTMENT_MISSED: {"headline": "đã quá ngày hẹn mới", "state": "chưa có kết quả khi đến",
                               "request": "Đề nghị lãnh đạo cơ quan chỉ đạo giải quyết ngay và thông tin cho "
                                          "công dân."},
}

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
    OFFICIAL_SLA_WARNING: Template(
        OFFICIAL_SLA_WARNING, "Cảnh báo hạn giải quyết hồ sơ {receipt_code}",
        _D + " phải giải quyết xong trước {due_at}{time_left}. Nếu không kịp, đề nghị ban hành văn bản xin lỗi và "
             "hẹn lại ngày trả kết quả chậm nhất 01 ngày làm việc trước hạn."),
    OFFICIAL_SLA_BREACHED: Template(
        OFFICIAL_SLA_BREACHED, "Hồ sơ {receipt_code} đã quá hạn giải quyết",
        _D + " đã quá hạn giải quyết lúc {due_at}.{apology_clause}"),
    # After the apology (motcua.domain.sla: new_appointment_1wd, new_appointment_missed): the promise in it.
    OFFICIAL_STEP: Template(
        OFFICIAL_STEP, "Hồ sơ {receipt_code}: bước {step_code} {headline}",
        _D + ", bước {step_code} ({unit}) {state}"),
    OFFICIAL_NEW_APPOINTMENT: Template(
        OFFICIAL_NEW_APPOINTMENT, "Hồ sơ {receipt_code}: {headline}",
        _D + " {state} ngày hẹn mới {due_at} đã hẹn lại với công dân trong văn bản xin lỗi. {request}"),
}

EMAIL_BODY = (
    "Kính gửi Ông/Bà {full_name},\n\n"
    "{text}\n\n"
    "Quý vị có thể tra cứu tình trạng hồ sơ bằng mã hồ sơ {receipt_code}.\n\n"
    "Thư này được gửi tự động từ hệ thống một cửa; vui lòng không trả lời thư này.\n"
)


OFFICIAL_EMAIL_BODY = (
    "Kính gửi {addressee},\n\n"
    "{text}\n\n"
    "Tra cứu và xử lý hồ sơ {receipt_code} trên hệ thống một cửa.\n\n"
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


def render(template_id: str, values: Mapping[str, str], *, full_name: str | None = None,
           addressee: str | None = None) -> Rendered:
    """A citizen's notice (greeted by ``full_name``) or an official's (greeted as ``addressee``)."""
    template = TEMPLATES[template_id]
    missing = fields(template_id) - set(values)
    if missing:
        raise TemplateValueMissing(f"{template_id} needs {sorted(missing)}")
    subject = template.subject.format_map(values)
    text = template.text.format_map(values)
    code = values.get("receipt_code", "")
    if addressee is not None:
        body = OFFICIAL_EMAIL_BODY.format(addressee=addressee, text=text, receipt_code=code)
    else:
        body = EMAIL_BODY.format(full_name=full_name or "", text=text, receipt_code=code)
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
    # The apology on the dossier, for officials' breach notice: its new appointment, and whether the system
    # drafted it (then the head of the agency still has to sign it).
    apology_new_appointment_at: datetime | None = None
    apology_drafted_by_system: bool = False


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
    elif event_type == sla.WARNING_EVENT:
        if data.get("kind") not in CITIZEN_SLA_WARNING_KINDS:
            return None
        template_id = SLA_WARNING
        values |= {"due_at": _when(data["due_at"])}
    elif event_type == sla.BREACH_EVENT:
        template_id = SLA_BREACHED
        values |= {"due_at": _when(data["due_at"])}
    else:
        return None
    return render(template_id, values, full_name=facts.full_name)


def compose_for_official(event_type: str, data: Mapping[str, Any], facts: DossierFacts, role: str) -> Rendered | None:
    """An official's notice: every SLA warning kind and the breach, to the dossier's processing
    officer and the handling agency's leaders; ``None`` for anything else."""
    if role not in OFFICIAL_ADDRESSEES or event_type not in OFFICIAL_EVENTS:
        return None
    values = {"receipt_code": facts.receipt_code, "procedure_name_vi": facts.procedure_name_vi,
              "due_at": _when(data["due_at"])}
    if event_type == sla.WARNING_EVENT and data.get("kind") in _NEW_APPOINTMENT:
        values |= _NEW_APPOINTMENT[str(data["kind"])]
        template_id = OFFICIAL_NEW_APPOINTMENT
    elif event_type == sla.WARNING_EVENT:
        left = _TIME_LEFT.get(str(data.get("kind")))
        values["time_left"] = f" ({left})" if left else ""
        template_id = OFFICIAL_SLA_WARNING
    elif event_type == sla.BREACH_EVENT:
        new = facts.apology_new_appointment_at
        if new is not None and facts.apology_drafted_by_system:
            values["apology_clause"] = (f" Văn bản xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04) đã được dự thảo với "
                                        f"ngày hẹn mới {format_datetime_vn(new)}; đề nghị lãnh đạo cơ quan ký ban "
                                        f"hành và gửi công dân.")
        elif new is not None:
            values["apology_clause"] = (f" Văn bản xin lỗi đã được ban hành, ngày hẹn mới "
                                        f"{format_datetime_vn(new)}.")
        else:
            values["apology_clause"] = " Đề nghị ban hành ngay văn bản xin lỗi và hẹn lại ngày trả kết quả."
        template_id = OFFICIAL_SLA_BREACHED
    return render(template_id, values, addressee=OFFICIAL_ADDRESSEES[role])


def compose_step_notice(event_type: str, data: Mapping[str, Any], facts: DossierFacts, role: str) -> Rendered | None:
    """A step notice to one of the step's officers or, escalated, to a leader; ``None`` for anything else."""
    if event_type not in STEP_EVENTS or role not in STEP_ADDRESSEES:
        return None
    due = _when(data["due_at"])
    headline = {"dossier.step_warning": "sắp đến hạn", "dossier.step_overdue": "quá hạn",
                "dossier.step_escalated": "quá hạn, báo lãnh đạo"}[event_type]
    values = {"receipt_code": facts.receipt_code, "procedure_name_vi": facts.procedure_name_vi,
              "step_code": str(data["step_code"]), "unit": str(data["unit"]), "headline": headline,
              "state": _STEP_STATE[event_type].format(due_at=due)}
    return render(OFFICIAL_STEP, values, addressee=STEP_ADDRESSEES[role])


def push_message(rendered: Rendered, data: Mapping[str, str]) -> str:
    """The SNS ``MessageStructure=json`` body for a platform endpoint: one payload per platform (FCM HTTP v1,
    APNs and its sandbox), ``default`` for any other. ``data`` lets the app open the dossier."""
    fcm = {"fcmV1Message": {"message": {"notification": {"title": rendered.subject, "body": rendered.text},
                                        "data": dict(data), "android": {"priority": "high"}}}}
    apns = {"aps": {"alert": {"title": rendered.subject, "body": rendered.text}, "sound": "default"}, **data}
    return json.dumps({"default": rendered.text, "GCM": json.dumps(fcm, ensure_ascii=False),
                       "APNS": json.dumps(apns, ensure_ascii=False),
                       "APNS_SANDBOX": json.dumps(apns, ensure_ascii=False)}, ensure_ascii=False)
