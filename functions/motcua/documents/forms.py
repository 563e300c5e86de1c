"""The one-stop-shop forms, what they say (docs/domain.md §3.2): Form 01, the receipt and appointment slip
handed out at reception, and Form 04, the apology letter (§4.7). The control slip (Form 06) is in
``motcua.documents.control_slip``. ``motcua.documents.pdf`` draws them as PDF bytes (fpdf2, bundled DejaVu
Sans); this module imports no PDF library, so building a form's data costs no cold start.

Contents and wording follow the forms of Circular 01/2018/TT-VPCP and Circular 03/2025/TT-VPCP as far as we
know them: LIKELY for the list of fields, UNSURE for the exact sentences (see ``docs/documents.md``). The
wording is therefore data (:data:`APOLOGY_TEMPLATES`), chosen by effective date, not code.

Rendering is deterministic: the same input gives the same bytes (the PDF creation date and file identifier
come from the input's own timestamp), so hashes stored next to an S3 object stay meaningful and tests can
compare outputs. Every timestamp is printed in Asia/Ho_Chi_Minh whatever zone it arrives in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, Field, model_validator

from motcua.documents.layout import DocumentData, VnText
from motcua.domain.legal import RuleVersion, rule_version_at, rule_version_named

if TYPE_CHECKING:  # only the from_dossier() helpers need it; keeps rendering free of the catalogue imports
    from motcua.domain.catalogue import Fee
    from motcua.domain.dossier import Dossier

# --------------------------------------------------------------------------------------------------------
# Form 04 wording, effective-dated (docs/domain.md §1.1, §3.2). The title is LIKELY; the sentences are UNSURE: they
# follow the old form's published text and adapt it to the 2025 title (an extension *request*).


@dataclass(frozen=True)
class ApologyTemplate:
    rule_version: RuleVersion  # the legal basis the form belongs to: its circular and effective date
    form_number: str
    title: str
    # Placeholders: {agency}, {new_appointment}.
    extension_sentence: str

    @property
    def circular(self) -> str:
        return self.rule_version.circular

    @property
    def effective_from(self) -> date:
        return self.rule_version.effective_from


APOLOGY_TEMPLATES: tuple[ApologyTemplate, ...] = (
    ApologyTemplate(
        rule_version=rule_version_named("nd61-2018"),
        form_number="04",
        title="Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        extension_sentence=(
            "Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {agency} xin lỗi Ông/Bà và sẽ trả kết quả giải quyết "
            "hồ sơ cho Ông/Bà vào {new_appointment}."
        ),
    ),
    ApologyTemplate(
        rule_version=rule_version_named("nd118-2025"),
        form_number="04",
        title="Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
        extension_sentence=(
            "Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {agency} xin lỗi Ông/Bà và đề nghị gia hạn thời gian "
            "giải quyết hồ sơ; kết quả giải quyết hồ sơ sẽ được trả cho Ông/Bà vào {new_appointment}."
        ),
    ),
)


def apology_template_for(rule_version: str | None, received_at: datetime) -> ApologyTemplate:
    """The Form 04 in force for a dossier.

    A dossier is judged by the rules in force on the day it was received (docs/domain.md §1.1), so the dossier's
    stored ``rule_version`` decides; without one, the reception date does. Whether a letter issued after
    2025-07-01 for a dossier received before should use the new form is UNSURE (transitional provisions).
    A rule version newer than every template (e.g. the reported 2026 amendment) keeps the latest form.
    """
    version = rule_version_at(received_at) if rule_version is None else rule_version_named(rule_version)
    candidates = [t for t in APOLOGY_TEMPLATES if t.effective_from <= version.effective_from]
    if not candidates:
        raise ValueError(f"no apology form in force on {version.effective_from}")
    return max(candidates, key=lambda t: t.effective_from)


# --------------------------------------------------------------------------------------------------------
# Inputs and outputs


class ApologyLetter(DocumentData):
    """Form 04: the agency apologises for a late dossier and sets a new appointment (docs/domain.md §4.7)."""

    agency_name: VnText = Field(min_length=1, description="The agency that is late, e.g. 'Sở Tư pháp'")
    parent_agency_name: VnText | None = Field(default=None, description="Governing body printed above it")
    document_number: VnText | None = Field(default=None, description="'Số: ...' of the letter, if numbered")
    place: VnText = Field(min_length=1, description="Place name of the date line, e.g. 'Đà Lạt'")
    issued_at: AwareDatetime
    applicant_name: VnText = Field(min_length=1)
    procedure_name: VnText = Field(min_length=1)
    receipt_code: VnText = Field(min_length=1)
    received_at: AwareDatetime
    appointment_at: AwareDatetime = Field(description="The appointment on the receipt slip (Form 01)")
    reason: VnText = Field(min_length=1, description="Why the result is late (required by the form)")
    new_appointment_at: AwareDatetime
    signer_title: VnText = Field(min_length=1, description="Head of the agency, e.g. 'Giám đốc'")
    signer_name: VnText = Field(min_length=1)
    rule_version: str | None = Field(default=None, description="The dossier's rule version; decides the form")
    copies_to: tuple[VnText, ...] = ("Như trên", "Bộ phận Tiếp nhận và Trả kết quả", "Lưu: VT")

    @model_validator(mode="after")
    def _dates_in_order(self) -> ApologyLetter:
        if self.appointment_at < self.received_at:
            raise ValueError("appointment_at is before received_at")
        # The new date is granted once and must come after the old one (working-day rule: the service's).
        if self.new_appointment_at <= self.appointment_at:
            raise ValueError("new_appointment_at must be after appointment_at")
        return self

    @property
    def template(self) -> ApologyTemplate:
        return apology_template_for(self.rule_version, self.received_at)

    @classmethod
    def from_dossier(
        cls,
        dossier: Dossier,
        *,
        agency_name: str,
        place: str,
        signer_title: str,
        signer_name: str,
        parent_agency_name: str | None = None,
        document_number: str | None = None,
    ) -> ApologyLetter:
        """The letter of the apology the dossier holds (``Dossier.apology``, as the workflow issued it): the
        appointment apologised for is the one it replaced, not the dossier's appointment (already the new one)."""
        apology = dossier.apology
        if apology is None or dossier.received_at is None:
            raise ValueError("the dossier has no apology to put in a letter")
        return cls(
            agency_name=agency_name,
            parent_agency_name=parent_agency_name,
            document_number=document_number,
            place=place,
            issued_at=apology.issued_at,
            applicant_name=dossier.applicant.full_name,
            procedure_name=dossier.procedure_name_vi,
            receipt_code=dossier.receipt_code,
            received_at=dossier.received_at,
            appointment_at=apology.original_appointment_at,
            reason=apology.reason,
            new_appointment_at=apology.new_appointment_at,
            signer_title=signer_title,
            signer_name=signer_name,
            rule_version=dossier.rule_version,
        )


# --------------------------------------------------------------------------------------------------------
# Form 01, the receipt and appointment slip: Circular 01/2018/TT-VPCP and Circular 03/2025/TT-VPCP,
# Appendix I, Mẫu số 01 (same number and title in both; LIKELY for the fields, see docs/documents.md §1).

RECEIPT_SLIP_TITLE = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
DESK_NAME = "Bộ phận Tiếp nhận và Trả kết quả"


def describe_time_limit(value: str | Decimal, unit: str, same_day_cutoff: time) -> str:
    """The procedure's legal time limit as printed on the slip (``05 ngày làm việc``, ``0,5 ngày làm việc``).

    ``unit`` takes the values of ``motcua.domain.clock.TimeUnit``; a same-day procedure names the agency's
    own cut-off (``OfficeHours.same_day_cutoff``, docs/domain.md §5.5), never a fixed hour.
    """
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"bad time limit value {value!r}") from exc
    if amount == amount.to_integral_value():
        number = f"{int(amount):02d}"
    else:
        number = f"{amount.normalize():f}".replace(".", ",")  # Vietnamese decimal comma
    cutoff = f"{same_day_cutoff.hour} giờ" + (f" {same_day_cutoff.minute:02d}" if same_day_cutoff.minute else "")
    texts = {
        "working_days": f"{number} ngày làm việc",
        "calendar_days": f"{number} ngày",
        "working_hours": f"{number} giờ làm việc",
        "same_working_day_15h_cutoff": (
            f"Trong ngày làm việc (hồ sơ nhận sau {cutoff} trả vào ngày làm việc tiếp theo)"),
    }
    if unit not in texts:
        raise ValueError(f"unknown time limit unit {unit!r}")
    return texts[unit]


def describe_fee(fee: Fee) -> str:
    """The slip's fee line from the catalogue (UNSURE: the form leaves the line to the desk)."""
    if fee.text:
        return fee.text
    if fee.set_by_province:
        return "Theo mức do Hội đồng nhân dân tỉnh quy định"
    if fee.amounts_vnd:
        return "; ".join(f"{name}: {amount:,} đồng".replace(",", ".") for name, amount in fee.amounts_vnd.items())
    return "Không thu phí, lệ phí"


class SlipDocument(DocumentData):
    """One line of the slip's document list."""

    name: VnText = Field(min_length=1)
    form: VnText = Field(default="Bản chính", description="Bản chính / Bản sao / Bản sao chứng thực / Bản điện tử")
    copies: int = Field(default=1, ge=1)


class ReceiptSlip(DocumentData):
    """Form 01: receipt of a complete dossier and the appointment to return the result. The dossier code is
    printed and drawn as a QR code, so the desk and the citizen can look it up by scanning (``/track``)."""

    agency_name: VnText = Field(min_length=1)
    unit_name: VnText = Field(default=DESK_NAME, description="The desk that received it")
    place: VnText = Field(min_length=1)
    receipt_code: VnText = Field(min_length=1)
    applicant_name: VnText = Field(min_length=1)
    applicant_address: VnText
    applicant_phone: VnText
    applicant_email: VnText | None = None
    procedure_name: VnText = Field(min_length=1)
    documents: tuple[SlipDocument, ...] = ()
    dossier_sets: int = Field(default=1, ge=1, description="Number of sets (bộ) of the dossier")
    time_limit: VnText = Field(min_length=1, description="As printed, see describe_time_limit()")
    received_at: AwareDatetime
    appointment_at: AwareDatetime
    collect_at: VnText = Field(min_length=1, description="Where (or how) the result is returned")
    fee_status: VnText = Field(min_length=1)
    officer_name: VnText = Field(min_length=1, description="The officer who received the dossier")

    @model_validator(mode="after")
    def _dates_in_order(self) -> ReceiptSlip:
        if self.appointment_at < self.received_at:
            raise ValueError("appointment_at is before received_at")
        return self

    @classmethod
    def from_dossier(cls, dossier: Dossier, *, agency_name: str, place: str, collect_at: str, fee_status: str,
                     officer_name: str, same_day_cutoff: time) -> ReceiptSlip:
        if dossier.received_at is None:
            raise ValueError("Form 01 is issued on reception: the dossier has not been received")
        applicant = dossier.applicant
        forms = {"digitised_at_desk": "Bản điện tử (số hóa tại Bộ phận Một cửa)", "reused": "Bản điện tử (tái sử dụng)"}
        documents = tuple(SlipDocument(name=a.document_name, form=forms.get(a.source, "Bản điện tử"))
                          for a in dossier.attachments)
        return cls(
            agency_name=agency_name,
            place=place,
            receipt_code=dossier.receipt_code,
            applicant_name=applicant.full_name,
            applicant_address=applicant.address,
            applicant_phone=applicant.phone,
            applicant_email=applicant.email,
            procedure_name=dossier.procedure_name_vi,
            documents=documents,
            time_limit=describe_time_limit(dossier.time_limit["value"], dossier.time_limit["unit"], same_day_cutoff),
            received_at=dossier.received_at,
            appointment_at=dossier.appointment_at,
            collect_at=collect_at,
            fee_status=fee_status,
            officer_name=officer_name,
        )
