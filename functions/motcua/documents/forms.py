"""The one-stop-shop forms rendered as PDF bytes (fpdf2, bundled DejaVu Sans): Form 01, the receipt and
appointment slip, and Form 04, the apology letter (DOMAIN.md §3, §4).

Contents and wording follow the forms of Circular 01/2018/TT-VPCP and Circular 03/2025/TT-VPCP as far as we
know them: LIKELY for the list of fields, UNSURE for the exact sentences (see ``docs/documents.md``). The
wording is therefore data (:data:`APOLOGY_TEMPLATES`), chosen by effective date, not code.

Rendering is deterministic: the same input gives the same bytes (the PDF creation date and file identifier
come from the input's own timestamp), so hashes stored next to an S3 object stay meaningful and tests can
compare outputs. Every timestamp is printed in Asia/Ho_Chi_Minh whatever zone it arrives in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

from fpdf import FPDF, XPos, YPos
from fpdf.fonts import FontFace
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from motcua.domain.calendar import VN_TZ
from motcua.domain.legal import RULE_VERSIONS, rule_version_at

if TYPE_CHECKING:  # only the from_dossier() helpers need it; keeps rendering free of the catalogue imports
    from motcua.domain.dossier import Dossier

# --------------------------------------------------------------------------------------------------------
# Fonts: bundled with the package (never read from the build machine's /usr/share at run time).

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
FONT_FAMILY = "DejaVuSans"
FONT_FILES: dict[str, Path] = {"": ASSETS_DIR / "DejaVuSans.ttf", "B": ASSETS_DIR / "DejaVuSans-Bold.ttf"}

MOTTO_NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_SLOGAN = "Độc lập - Tự do - Hạnh phúc"
PRODUCER = "Motcua"

# Page geometry in mm. Decree 30/2020 margins (LIKELY): top/bottom 20-25, left 30-35, right 15-20.
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 30.0, 15.0, 20.0, 20.0
_TEXT_WIDTH = 210.0 - _MARGIN_LEFT - _MARGIN_RIGHT  # A4
_HEADER_LEFT_W = 70.0
_SIGN_COL_W = 80.0
_SIGN_BOX_H = 24.0  # room for the visible electronic signature (or a wet one on paper)


def _nfc(value: str) -> str:
    # Input may arrive decomposed (NFD: base letter + combining marks, common from macOS and some IMEs).
    # The font maps precomposed letters to single glyphs, and text search/extraction expects NFC.
    return unicodedata.normalize("NFC", value).strip()


# Stripped before any min_length check, so "   " is refused where text is required.
VnText = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_nfc)]


# --------------------------------------------------------------------------------------------------------
# Dates in the Vietnamese administrative style


def vn_local(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: documents print local time and need an aware datetime")
    return at.astimezone(VN_TZ)


def format_date(at: datetime) -> str:
    """``27/11/2026`` (dd/mm/yyyy, in Asia/Ho_Chi_Minh)."""
    return vn_local(at).strftime("%d/%m/%Y")


def format_time(at: datetime) -> str:
    """``16:30`` (24-hour HH:MM, in Asia/Ho_Chi_Minh)."""
    return vn_local(at).strftime("%H:%M")


def format_datetime(at: datetime) -> str:
    """``16:30 ngày 27/11/2026``."""
    return f"{format_time(at)} ngày {format_date(at)}"


def format_place_date(place: str, at: datetime) -> str:
    """``Đà Lạt, ngày 23 tháng 11 năm 2026``.

    Decree 30/2020/NĐ-CP (document formatting, LIKELY): a day below 10 and the months 1 and 2 take a
    leading zero (``ngày 05 tháng 02``; but ``tháng 3``), so a date cannot be altered by adding a digit.
    """
    local = vn_local(at)
    day = f"{local.day:02d}"
    month = f"{local.month:02d}" if local.month <= 2 else str(local.month)
    return f"{_nfc(place)}, ngày {day} tháng {month} năm {local.year}"


def describe_time_limit(value: str | Decimal, unit: str) -> str:
    """The procedure's legal time limit as printed on the slip (``05 ngày làm việc``, ``0,5 ngày làm việc``).

    ``unit`` takes the values of ``motcua.domain.clock.TimeUnit``.
    """
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"bad time limit value {value!r}") from exc
    if amount == amount.to_integral_value():
        number = f"{int(amount):02d}"
    else:
        number = f"{amount.normalize():f}".replace(".", ",")  # Vietnamese decimal comma
    texts = {
        "working_days": f"{number} ngày làm việc",
        "calendar_days": f"{number} ngày",
        "working_hours": f"{number} giờ làm việc",
        # DOMAIN §4: same-day procedures, received after 15:00 -> returned next working day (LIKELY).
        "same_working_day_15h_cutoff": "Trong ngày làm việc (hồ sơ nhận sau 15 giờ trả vào ngày làm việc tiếp theo)",
    }
    if unit not in texts:
        raise ValueError(f"unknown time limit unit {unit!r}")
    return texts[unit]


# --------------------------------------------------------------------------------------------------------
# Form 04 wording, effective-dated (DOMAIN §1, §3). The title is LIKELY; the sentences are UNSURE: they
# follow the old form's published text and adapt it to the 2025 title (an extension *request*).


@dataclass(frozen=True)
class ApologyTemplate:
    effective_from: date
    circular: str
    form_number: str
    title: str
    # Placeholders: {agency}, {new_appointment}.
    extension_sentence: str


APOLOGY_TEMPLATES: tuple[ApologyTemplate, ...] = (
    ApologyTemplate(
        effective_from=date(2018, 4, 23),
        circular="01/2018/TT-VPCP",
        form_number="04",
        title="Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        extension_sentence=(
            "Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {agency} xin lỗi Ông/Bà và sẽ trả kết quả giải quyết "
            "hồ sơ cho Ông/Bà vào {new_appointment}."
        ),
    ),
    ApologyTemplate(
        effective_from=date(2025, 7, 1),
        circular="03/2025/TT-VPCP",
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

    A dossier is judged by the rules in force on the day it was received (DOMAIN §1), so the dossier's
    stored ``rule_version`` decides; without one, the reception date does. Whether a letter issued after
    2025-07-01 for a dossier received before should use the new form is UNSURE (transitional provisions).
    A rule version newer than every template (e.g. the reported 2026 amendment) keeps the latest form.
    """
    if rule_version is None:
        in_force_from = rule_version_at(received_at).effective_from
    else:
        known = {v.id: v.effective_from for v in RULE_VERSIONS}
        if rule_version not in known:
            raise ValueError(f"unknown rule version {rule_version!r}; known: {sorted(known)}")
        in_force_from = known[rule_version]
    candidates = [t for t in APOLOGY_TEMPLATES if t.effective_from <= in_force_from]
    if not candidates:
        raise ValueError(f"no apology form in force on {in_force_from}")
    return max(candidates, key=lambda t: t.effective_from)


# --------------------------------------------------------------------------------------------------------
# Inputs and outputs


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApologyLetter(_Form):
    """Form 04: the agency apologises for a late dossier and sets a new appointment (DOMAIN §3, §4)."""

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


class SlipDocument(_Form):
    """One line of the slip's document list."""

    name: VnText = Field(min_length=1)
    form: VnText = Field(default="Bản chính", description="Bản chính / Bản sao / Bản sao chứng thực / Bản điện tử")
    copies: int = Field(default=1, ge=1)


class ReceiptSlip(_Form):
    """Form 01: receipt of a complete dossier and the appointment to return the result (DOMAIN §3)."""

    agency_name: VnText = Field(min_length=1)
    unit_name: VnText = Field(default="Bộ phận Tiếp nhận và Trả kết quả", description="The desk that received it")
    place: VnText = Field(min_length=1)
    slip_number: VnText | None = None
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
    fee_status: VnText = Field(min_length=1, description="e.g. 'Đã nộp 50.000 đồng', 'Miễn phí', 'Chưa nộp'")
    tracking_book: VnText | None = Field(default=None, description="'Quyển số ..., số thứ tự ...' (Form 07)")
    tracking_url: str | None = Field(default=None, description="Where the citizen follows the dossier")
    officer_name: VnText = Field(min_length=1, description="The officer who received the dossier")

    @model_validator(mode="after")
    def _dates_in_order(self) -> ReceiptSlip:
        if self.appointment_at < self.received_at:
            raise ValueError("appointment_at is before received_at")
        return self

    @classmethod
    def from_dossier(
        cls,
        dossier: Dossier,
        *,
        agency_name: str,
        place: str,
        collect_at: str,
        fee_status: str,
        officer_name: str,
        documents: tuple[SlipDocument, ...] | None = None,
        tracking_book: str | None = None,
        tracking_url: str | None = None,
        slip_number: str | None = None,
    ) -> ReceiptSlip:
        if dossier.received_at is None:
            raise ValueError("Form 01 is issued on reception: the dossier has not been received")
        applicant = dossier.applicant
        if documents is None:
            documents = tuple(SlipDocument(name=a.document_name, form="Bản điện tử") for a in dossier.attachments)
        return cls(
            agency_name=agency_name,
            place=place,
            slip_number=slip_number,
            receipt_code=dossier.receipt_code,
            applicant_name=applicant.full_name,
            applicant_address=applicant.address,
            applicant_phone=applicant.phone,
            applicant_email=applicant.email,
            procedure_name=dossier.procedure_name_vi,
            documents=documents,
            time_limit=describe_time_limit(dossier.time_limit["value"], dossier.time_limit["unit"]),
            received_at=dossier.received_at,
            appointment_at=dossier.appointment_at,
            collect_at=collect_at,
            fee_status=fee_status,
            tracking_book=tracking_book,
            tracking_url=tracking_url,
            officer_name=officer_name,
        )


class SignatureBox(_Form):
    """Where a visible signature goes: page index (0-based) and a rectangle in PDF points, origin at the
    bottom-left corner of the page (the convention pyHanko's field specs use)."""

    page: int = Field(ge=0)
    x1: float
    y1: float
    x2: float
    y2: float

    def as_tuple(self) -> tuple[int, int, int, int]:
        return round(self.x1), round(self.y1), round(self.x2), round(self.y2)


@dataclass(frozen=True)
class RenderedForm:
    pdf: bytes
    title: str
    # The empty area above the signer's name, for signing.sign_pdf(visible_box=...).
    signature_box: SignatureBox


# --------------------------------------------------------------------------------------------------------
# Rendering


class _Page(FPDF):
    """An A4 administrative document with the bundled font loaded."""

    def __init__(self, *, title: str, created_at: datetime, author: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        for style, path in FONT_FILES.items():
            self.add_font(FONT_FAMILY, style, str(path))
        self.set_margins(_MARGIN_LEFT, _MARGIN_TOP, _MARGIN_RIGHT)
        self.set_auto_page_break(auto=True, margin=_MARGIN_BOTTOM)
        # Deterministic bytes: fpdf2 derives /CreationDate and the /ID hash from this date.
        self.set_creation_date(created_at)
        self.set_producer(PRODUCER)
        self.set_creator(PRODUCER)
        self.set_title(title)
        self.set_author(author)
        self.set_lang("vi-VN")
        self.add_page()

    def font(self, size: float, *, bold: bool = False) -> None:
        self.set_font(FONT_FAMILY, "B" if bold else "", size)

    def lines_at(self, x: float, y: float, width: float, items: Sequence[tuple[str, float, bool]]) -> float:
        """Centred lines in a column; returns the y below them."""
        self.set_xy(x, y)
        for text, size, bold in items:
            self.font(size, bold=bold)
            self.set_x(x)
            self.multi_cell(width, size * 0.5, text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        return self.get_y()

    def rule_under(self, x: float, width: float, length: float) -> None:
        y = self.get_y() + 0.8
        self.line(x + (width - length) / 2, y, x + (width + length) / 2, y)
        self.set_y(y + 1.5)

    def national_header(self, left: Sequence[tuple[str, float, bool]], place_date: str, number: str | None) -> None:
        """Agency on the left, the national motto on the right (Decree 30/2020 layout, LIKELY)."""
        top = self.get_y()
        left_x = self.l_margin
        y_left = self.lines_at(left_x, top, _HEADER_LEFT_W, left)
        self.set_y(y_left)
        self.rule_under(left_x, _HEADER_LEFT_W, 25)
        if number:
            self.font(10)
            self.set_x(left_x)
            self.multi_cell(_HEADER_LEFT_W, 5, f"Số: {number}", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        y_left = self.get_y()

        right_x = left_x + _HEADER_LEFT_W
        right_w = _TEXT_WIDTH - _HEADER_LEFT_W
        self.lines_at(right_x, top, right_w, [(MOTTO_NATION, 10, True), (MOTTO_SLOGAN, 11, True)])
        self.font(11, bold=True)
        self.rule_under(right_x, right_w, self.get_string_width(MOTTO_SLOGAN))
        self.font(10)
        self.set_x(right_x)
        self.multi_cell(right_w, 5, place_date, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_xy(self.l_margin, max(y_left, self.get_y()) + 6)

    def title_block(self, lines: list[tuple[str, float]]) -> None:
        for text, size in lines:
            self.font(size, bold=True)
            self.multi_cell(0, size * 0.55, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)

    def paragraph(self, text: str, *, size: float = 11, bold: bool = False, align: str = "J") -> None:
        self.font(size, bold=bold)
        self.multi_cell(0, 6, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def box_in_points(self, x: float, y: float, w: float, h: float) -> SignatureBox:
        k, page_h = self.k, self.h  # points per mm; page height in mm
        return SignatureBox(page=self.page - 1, x1=x * k, y1=(page_h - y - h) * k, x2=(x + w) * k, y2=(page_h - y) * k)

    def ensure_room(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def render_apology_letter(letter: ApologyLetter) -> RenderedForm:
    """Form 04 as PDF bytes, with the signature area of the head of the agency."""
    template = letter.template
    title = template.title
    pdf = _Page(title=title, created_at=letter.issued_at, author=letter.agency_name)

    left: list[tuple[str, float, bool]] = []
    if letter.parent_agency_name:
        left.append((letter.parent_agency_name.upper(), 10, False))
    left.append((letter.agency_name.upper(), 10, True))
    pdf.national_header(left, format_place_date(letter.place, letter.issued_at), letter.document_number)
    pdf.title_block([(title.upper(), 13)])

    pdf.paragraph(f"Kính gửi: Ông/Bà {letter.applicant_name}.", size=12, align="C")
    pdf.paragraph(
        f"Ngày {format_date(letter.received_at)}, {letter.agency_name} tiếp nhận hồ sơ của Ông/Bà đề nghị giải "
        f"quyết thủ tục hành chính: {letter.procedure_name}."
    )
    pdf.paragraph(f"Mã hồ sơ: {letter.receipt_code}.")
    pdf.paragraph(f"Thời hạn trả kết quả giải quyết hồ sơ theo giấy hẹn: {format_datetime(letter.appointment_at)}.")
    pdf.paragraph(
        f"Tuy nhiên đến nay, {letter.agency_name} chưa trả kết quả giải quyết hồ sơ cho Ông/Bà đúng hẹn vì "
        f"lý do: {letter.reason.rstrip('.')}."
    )
    pdf.paragraph(
        template.extension_sentence.format(
            agency=letter.agency_name, new_appointment=format_datetime(letter.new_appointment_at)
        )
    )
    pdf.paragraph("Mong nhận được sự thông cảm của Ông/Bà vì sự chậm trễ này. Trân trọng./.")

    # Signature block (right) and copies (left), side by side.
    pdf.ensure_room(_SIGN_BOX_H + 25)
    top = pdf.get_y() + 2
    pdf.set_xy(pdf.l_margin, top)
    pdf.font(9, bold=True)
    pdf.cell(0, 5, "Nơi nhận:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(9)
    for index, recipient in enumerate(letter.copies_to, start=1):
        end = "." if index == len(letter.copies_to) else ";"
        pdf.multi_cell(_TEXT_WIDTH - _SIGN_COL_W - 5, 4.5, f"- {recipient}{end}", align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    sign_x = pdf.l_margin + _TEXT_WIDTH - _SIGN_COL_W
    y = pdf.lines_at(sign_x, top, _SIGN_COL_W, [(letter.signer_title.upper(), 11, True)])
    box = pdf.box_in_points(sign_x, y + 1, _SIGN_COL_W, _SIGN_BOX_H)
    pdf.lines_at(sign_x, y + 2 + _SIGN_BOX_H, _SIGN_COL_W, [(letter.signer_name, 11, True)])
    return RenderedForm(pdf=pdf.output_bytes(), title=title, signature_box=box)


def render_receipt_slip(slip: ReceiptSlip) -> RenderedForm:
    """Form 01 as PDF bytes. The dossier code is printed large (fpdf2 cannot draw a QR code without an
    extra package; the code is short enough to type into the tracking page)."""
    title = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    pdf = _Page(title=title, created_at=slip.received_at, author=slip.agency_name)

    left = [(slip.agency_name.upper(), 10, False), (slip.unit_name.upper(), 10, True)]
    pdf.national_header(left, format_place_date(slip.place, slip.received_at), slip.slip_number)
    pdf.title_block([(title.upper(), 13)])
    pdf.font(11)
    pdf.cell(0, 6, "Mã hồ sơ:", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(18, bold=True)
    pdf.cell(0, 10, slip.receipt_code, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    pdf.paragraph(f"{slip.unit_name} - {slip.agency_name} tiếp nhận hồ sơ của: {slip.applicant_name}")
    pdf.paragraph(f"Địa chỉ: {slip.applicant_address}")
    pdf.paragraph(f"Số điện thoại: {slip.applicant_phone}    Email: {slip.applicant_email or '—'}")
    pdf.paragraph(f"Nội dung yêu cầu giải quyết: {slip.procedure_name}")
    pdf.paragraph("1. Thành phần hồ sơ nộp gồm:")
    if slip.documents:
        pdf.font(10)
        with pdf.table(
            col_widths=(12, 93, 40, 20),
            width=_TEXT_WIDTH,
            line_height=5.5,
            text_align=("CENTER", "LEFT", "LEFT", "CENTER"),
            headings_style=FontFace(family=FONT_FAMILY, emphasis="BOLD"),
        ) as table:
            table.row(("TT", "Tên giấy tờ", "Hình thức", "Số lượng"))
            for number, document in enumerate(slip.documents, start=1):
                table.row((str(number), document.name, document.form, str(document.copies)))
        pdf.ln(2)
    else:
        pdf.paragraph("(không có giấy tờ kèm theo)")
    pdf.paragraph(f"2. Số lượng hồ sơ: {slip.dossier_sets:02d} bộ")
    pdf.paragraph(f"3. Thời gian giải quyết hồ sơ theo quy định: {slip.time_limit}")
    pdf.paragraph(f"4. Thời gian nhận hồ sơ: {format_datetime(slip.received_at)}")
    pdf.paragraph(f"5. Thời gian trả kết quả giải quyết hồ sơ: {format_datetime(slip.appointment_at)}", bold=True)
    pdf.paragraph(f"6. Đăng ký nhận kết quả tại: {slip.collect_at}")
    pdf.paragraph(f"7. Phí, lệ phí: {slip.fee_status}")
    if slip.tracking_book:
        pdf.paragraph(f"Vào Sổ theo dõi hồ sơ: {slip.tracking_book}")
    if slip.tracking_url:
        pdf.paragraph(f"Tra cứu tình trạng hồ sơ: {slip.tracking_url}")

    pdf.ensure_room(_SIGN_BOX_H + 15)
    top = pdf.get_y() + 2
    half = _TEXT_WIDTH / 2
    signing = [("NGƯỜI NỘP HỒ SƠ", 10, True), ("(Ký và ghi rõ họ tên)", 9, False)]
    y = pdf.lines_at(pdf.l_margin, top, half, signing)
    pdf.lines_at(pdf.l_margin, y + 2 + _SIGN_BOX_H, half, [(slip.applicant_name, 10, True)])
    receiving = [("NGƯỜI TIẾP NHẬN HỒ SƠ", 10, True), ("(Ký và ghi rõ họ tên)", 9, False)]
    y = pdf.lines_at(pdf.l_margin + half, top, half, receiving)
    box = pdf.box_in_points(pdf.l_margin + half, y + 1, half, _SIGN_BOX_H)
    pdf.lines_at(pdf.l_margin + half, y + 2 + _SIGN_BOX_H, half, [(slip.officer_name, 10, True)])
    return RenderedForm(pdf=pdf.output_bytes(), title=title, signature_box=box)


def render_signature_stamp(signer_name: str, signed_at: datetime, width_pt: float, height_pt: float) -> bytes:
    """A one-page PDF the size of a signature field, with the visible mark of an electronic signature in
    Vietnamese. pyHanko's own text stamps use a standard PDF font without Vietnamese letters (its TrueType
    path needs uharfbuzz, not installed), so ``signing`` imports this page as the field's appearance."""
    if width_pt <= 0 or height_pt <= 0:
        raise ValueError("signature box must have a positive size")
    signer = _nfc(signer_name)
    text = f"Ký bởi: {signer}\nNgày ký: {format_datetime(signed_at)}"
    pdf = FPDF(unit="pt", format=(width_pt, height_pt))
    for style, path in FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style, str(path))
    pdf.set_creation_date(signed_at)
    pdf.set_producer(PRODUCER)
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(4, 4, 4)
    pdf.add_page()
    pdf.set_draw_color(200, 30, 30)
    pdf.set_text_color(200, 30, 30)
    pdf.set_line_width(1)
    pdf.rect(1, 1, width_pt - 2, height_pt - 2)
    inner_w, inner_h = width_pt - 8, height_pt - 8
    size = 9.0
    while True:  # shrink until the text fits the box (long agency names)
        pdf.set_font(FONT_FAMILY, "", size)
        lines = cast(list[str], pdf.multi_cell(inner_w, size * 1.25, text, dry_run=True, output="LINES"))
        if len(lines) * size * 1.25 <= inner_h or size <= 4:
            break
        size -= 0.5
    block_h = len(lines) * size * 1.25
    pdf.set_xy(4, 4 + max(0.0, (inner_h - block_h) / 2))
    pdf.multi_cell(inner_w, size * 1.25, text, align="C")
    return bytes(pdf.output())
