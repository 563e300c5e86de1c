"""The official forms drawn as PDF (fpdf2): Form 01 (receipt and appointment slip, with the dossier code's QR
code), Form 04 (apology letter), Form 06 (control slip), the result notice and the visible mark of an
electronic signature. What each document says is in ``forms``, ``control_slip`` and ``results``.

fpdf2 brings fontTools, lxml and pillow: only the code that makes a document imports this module, where it makes
it, so the functions that never draw one start without them (cold start, docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from fpdf import FPDF, XPos, YPos
from fpdf.fonts import FontFace

from motcua.documents.control_slip import CONTROL_SLIP_TITLE, SOURCES_VI, VERDICTS_VI, ControlSlip
from motcua.documents.forms import RECEIPT_SLIP_TITLE, ApologyLetter, ReceiptSlip
from motcua.documents.layout import (
    FONT_FAMILY,
    FONT_FILES,
    MOTTO_NATION,
    MOTTO_SLOGAN,
    PRODUCER,
    RenderedForm,
    SignatureBox,
    format_date,
    format_datetime,
    format_place_date,
    nfc,
)
from motcua.documents.results import LEGAL_NOTE, TITLE, ResultNotice
from motcua.domain.clock import Timeliness

# Page geometry in mm. Decree 30/2020 margins (LIKELY): top/bottom 20-25, left 30-35, right 15-20.
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 30.0, 15.0, 20.0, 20.0
_TEXT_WIDTH = 210.0 - _MARGIN_LEFT - _MARGIN_RIGHT  # A4
_HEADER_LEFT_W = 70.0
_SIGN_COL_W = 80.0
_SIGN_BOX_H = 24.0  # room for the visible electronic signature (or a wet one on paper)


class Page(FPDF):
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

    def qr_code(self, text: str, x: float, y: float, size: float) -> None:
        """``text`` as a QR code (segno, error correction M), its dark modules drawn as filled squares: vector,
        sharp at any print size, and no image library in the PDF."""
        import segno

        code = segno.make(text, error="m")
        rows = [list(row) for row in code.matrix_iter(border=0)]
        module = size / len(rows)
        self.set_fill_color(0, 0, 0)
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):  # one rectangle per run of dark modules on a row: fewer drawing operators
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                self.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")

    def table_of(self, widths: tuple[float, ...], heading: tuple[str, ...], rows: Sequence[tuple[str, ...]],
                 align: tuple[str, ...], size: float = 10) -> None:
        self.font(size)
        with self.table(col_widths=widths, width=_TEXT_WIDTH, align="L", line_height=size * 0.55, text_align=align,
                        headings_style=FontFace(family=FONT_FAMILY, emphasis="BOLD")) as table:
            table.row(heading)
            for row in rows:
                table.row(row)
        self.ln(2)


def issuer_lines(parent_agency_name: str | None, agency_name: str) -> list[tuple[str, float, bool]]:
    """The header's left column (Decree 30/2020 layout): the governing body, then the issuing agency in bold."""
    lines = [(parent_agency_name.upper(), 10.0, False)] if parent_agency_name else []
    return [*lines, (agency_name.upper(), 10.0, True)]


def render_apology_letter(letter: ApologyLetter) -> RenderedForm:
    """Form 04 as PDF bytes, with the signature area of the head of the agency."""
    template = letter.template
    title = template.title
    pdf = Page(title=title, created_at=letter.issued_at, author=letter.agency_name)

    left = issuer_lines(letter.parent_agency_name, letter.agency_name)
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


_QR_SIZE = 26.0  # mm: a phone reads a version-2 code at this size from a printed A4 or A5 page


def render_receipt_slip(slip: ReceiptSlip) -> RenderedForm:
    """Form 01 as PDF bytes, with the dossier code in large type and as a QR code beside it."""
    title = RECEIPT_SLIP_TITLE
    pdf = Page(title=title, created_at=slip.received_at, author=slip.agency_name)
    # The agency, then its desk in bold (the form's header: "TÊN CƠ QUAN / BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ").
    left = [(slip.agency_name.upper(), 10.0, False), (slip.unit_name.upper(), 10.0, True)]
    pdf.national_header(left, format_place_date(slip.place, slip.received_at), None)
    pdf.title_block([(title.upper(), 13)])

    top = pdf.get_y()
    pdf.qr_code(slip.receipt_code, pdf.l_margin + _TEXT_WIDTH - _QR_SIZE, top, _QR_SIZE)
    text_w = _TEXT_WIDTH - _QR_SIZE - 4
    pdf.font(11)
    pdf.multi_cell(text_w, 6, "Mã hồ sơ:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(16, bold=True)
    pdf.multi_cell(text_w, 9, slip.receipt_code, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(9)
    pdf.multi_cell(text_w, 5, "(Quét mã QR hoặc nhập mã hồ sơ để tra cứu tình trạng giải quyết hồ sơ)",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + _QR_SIZE) + 3)

    pdf.paragraph(f"{slip.unit_name} - {slip.agency_name} tiếp nhận hồ sơ của: {slip.applicant_name}")
    pdf.paragraph(f"Địa chỉ: {slip.applicant_address}")
    pdf.paragraph(f"Số điện thoại: {slip.applicant_phone}    Email: {slip.applicant_email or '—'}")
    pdf.paragraph(f"Nội dung yêu cầu giải quyết: {slip.procedure_name}")
    pdf.paragraph("1. Thành phần hồ sơ nộp gồm:")
    if slip.documents:
        rows = [(str(n), d.name, d.form, str(d.copies)) for n, d in enumerate(slip.documents, start=1)]
        pdf.table_of((12, 88, 45, 20), ("TT", "Tên giấy tờ", "Hình thức", "Số lượng"), rows,
                     ("CENTER", "LEFT", "LEFT", "CENTER"))
    else:
        pdf.paragraph("(không có giấy tờ kèm theo)")
    pdf.paragraph(f"2. Số lượng hồ sơ: {slip.dossier_sets:02d} bộ")
    pdf.paragraph(f"3. Thời gian giải quyết hồ sơ theo quy định: {slip.time_limit}")
    pdf.paragraph(f"4. Thời gian nhận hồ sơ: {format_datetime(slip.received_at)}")
    pdf.paragraph(f"5. Thời gian trả kết quả giải quyết hồ sơ: {format_datetime(slip.appointment_at)}", bold=True)
    pdf.paragraph(f"6. Đăng ký nhận kết quả tại: {slip.collect_at}")
    pdf.paragraph(f"7. Phí, lệ phí: {slip.fee_status}")

    pdf.ensure_room(_SIGN_BOX_H + 15)
    top = pdf.get_y() + 2
    half = _TEXT_WIDTH / 2
    y = pdf.lines_at(pdf.l_margin, top, half, [("NGƯỜI NỘP HỒ SƠ", 10, True), ("(Ký và ghi rõ họ tên)", 9, False)])
    pdf.lines_at(pdf.l_margin, y + 2 + _SIGN_BOX_H, half, [(slip.applicant_name, 10, True)])
    y = pdf.lines_at(pdf.l_margin + half, top, half,
                     [("NGƯỜI TIẾP NHẬN HỒ SƠ", 10, True), ("(Ký và ghi rõ họ tên)", 9, False)])
    box = pdf.box_in_points(pdf.l_margin + half, y + 1, half, _SIGN_BOX_H)
    pdf.lines_at(pdf.l_margin + half, y + 2 + _SIGN_BOX_H, half, [(slip.officer_name, 10, True)])
    return RenderedForm(pdf=pdf.output_bytes(), title=title, signature_box=box)


def render_control_slip(slip: ControlSlip) -> RenderedForm:
    """Form 06 (05 before Circular 03/2025) as PDF bytes: the dossier, then one row per hand-over."""
    title = CONTROL_SLIP_TITLE
    pdf = Page(title=title, created_at=slip.as_of, author=slip.agency_name)
    left = [(slip.agency_name.upper(), 10.0, False), (slip.unit_name.upper(), 10.0, True)]
    pdf.national_header(left, format_place_date(slip.place, slip.as_of), None)
    pdf.title_block([(f"Mẫu số {slip.form_number}", 9), (title.upper(), 13)])
    pdf.paragraph(f"Mã hồ sơ: {slip.receipt_code}", bold=True)
    pdf.paragraph(f"Tổ chức, cá nhân nộp hồ sơ: {slip.applicant_name}")
    pdf.paragraph(f"Thủ tục hành chính: {slip.procedure_name}")
    received = format_datetime(slip.received_at) if slip.received_at else "chưa tiếp nhận"
    pdf.paragraph(f"Thời gian nhận hồ sơ: {received}. Hẹn trả kết quả: {format_datetime(slip.appointment_at)}")
    pdf.paragraph(f"Cơ quan (bộ phận) giải quyết hồ sơ: {slip.agency_name}")
    if slip.handling_agencies:
        pdf.paragraph(f"Cơ quan phối hợp giải quyết hồ sơ: {'; '.join(slip.handling_agencies)}")
    pdf.paragraph(SOURCES_VI[slip.source], size=9)

    def party(unit: str | None, person: str | None) -> str:
        if unit is None:
            return "—"
        return f"{unit}\n({person})" if person else unit

    rows = [(str(n), party(r.from_unit, r.giver), party(r.to_unit, r.receiver), format_datetime(r.at),
             VERDICTS_VI[Timeliness(r.verdict)] if r.verdict else "—")
            for n, r in enumerate(slip.rows, start=1)]
    if rows:
        pdf.table_of((9, 52, 52, 28, 24), ("TT", "Bên giao (người giao)", "Bên nhận (người nhận)",
                                            "Thời gian giao, nhận", "Kết quả"), rows,
                     ("CENTER", "LEFT", "LEFT", "CENTER", "CENTER"), size=9)
    else:
        pdf.paragraph("(chưa có lần giao, nhận hồ sơ)")
    pdf.paragraph("Kết quả: Trước hạn / Đúng hạn / Quá hạn, theo thời hạn của bước (hoặc của hồ sơ) "
                  "trên cùng một lịch ngày làm việc.", size=9)
    box = pdf.box_in_points(pdf.l_margin, pdf.get_y(), 1, 1)  # not signed: the rows are the record
    return RenderedForm(pdf=pdf.output_bytes(), title=title, signature_box=box)


def render_signature_stamp(signer_name: str, signed_at: datetime, width_pt: float, height_pt: float) -> bytes:
    """A one-page PDF the size of a signature field, with the visible mark of an electronic signature in
    Vietnamese. pyHanko's own text stamps use a standard PDF font without Vietnamese letters (its TrueType
    path needs uharfbuzz, not installed), so ``signing`` imports this page as the field's appearance."""
    if width_pt <= 0 or height_pt <= 0:
        raise ValueError("signature box must have a positive size")
    signer = nfc(signer_name)
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


def render_result_notice(notice: ResultNotice) -> RenderedForm:
    pdf = Page(title=TITLE, created_at=notice.decided_at, author=notice.agency_name)
    left = issuer_lines(notice.parent_agency_name, notice.agency_name)
    pdf.national_header(left, format_place_date(notice.place, notice.decided_at), notice.receipt_code)
    pdf.title_block([(TITLE.upper(), 13), (notice.result_name, 12)])

    pdf.paragraph(f"Thủ tục hành chính: {notice.procedure_name} (mã {notice.procedure_code}).")
    pdf.paragraph(f"Mã hồ sơ: {notice.receipt_code}. Ngày tiếp nhận: {format_date(notice.received_at)}.")
    pdf.paragraph(f"Người nộp hồ sơ: {notice.applicant_name}.")
    pdf.paragraph(f"{notice.agency_name} đã giải quyết xong hồ sơ lúc {format_datetime(notice.decided_at)}. "
                  f"Kết quả: {notice.result_name}.")
    if notice.result_files:
        pdf.paragraph("Tài liệu kết quả kèm theo:")
        for name in notice.result_files:
            pdf.paragraph(f"- {name}")
    pdf.paragraph(LEGAL_NOTE, size=10)
    pdf.paragraph(f"Mã văn bản trong kho dữ liệu điện tử: {notice.document_id}.", size=10)

    pdf.ensure_room(_SIGN_BOX_H + 25)
    top = pdf.get_y() + 2
    sign_x = pdf.l_margin + _TEXT_WIDTH - _SIGN_COL_W
    pdf.set_xy(pdf.l_margin, top)
    y = pdf.lines_at(sign_x, top, _SIGN_COL_W, [(notice.signer_title.upper(), 11, True)])
    box = pdf.box_in_points(sign_x, y + 1, _SIGN_COL_W, _SIGN_BOX_H)
    pdf.lines_at(sign_x, y + 2 + _SIGN_BOX_H, _SIGN_COL_W, [(notice.signer_name, 11, True)])
    return RenderedForm(pdf=pdf.output_bytes(), title=TITLE, signature_box=box)
