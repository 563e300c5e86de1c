"""The one-stop-shop forms, what they say: Form 04, the apology letter (docs/domain.md §3.2, §4.7).
``motcua.documents.pdf`` draws them as PDF bytes (fpdf2, bundled DejaVu Sans); this module
imports no PDF library, so building a letter's data costs no cold start.

Contents and wording follow the forms of Circular 01/2018/TT-VPCP and Circular 03/2025/TT-VPCP as far as we
know them: LIKELY for the list of fields, UNSURE for the exact sentences (see ``docs/documents.md``). The
wording is therefore data (:data:`APOLOGY_TEMPLATES`), chosen by effective date, not code.

Rendering is deterministic: the same input gives the same bytes (the PDF creation date and file identifier
come from the input's own timestamp), so hashes stored next to an S3 object stay meaningful and tests can
compare outputs. Every timestamp is printed in Asia/Ho_Chi_Minh whatever zone it arrives in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, Field, model_validator

from motcua.documents.layout import DocumentData, VnText
from motcua.domain.legal import RuleVersion, rule_version_at, rule_version_named

if TYPE_CHECKING:  # only the from_dossier() helpers need it; keeps rendering free of the catalogue imports
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
