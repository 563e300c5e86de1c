"""The electronic result of a dossier as a PDF (issue 7), ready for the agency's signature (``signing.sign_pdf``).

Motcua does not hold the result's own layout (a birth certificate, a licence: each has its official form);
what it issues is the agency's notice of the result, naming the procedure, the dossier, the applicant, the
decision time and the result documents, with the signature area of the head of the agency. Wording UNSURE
(LIKELY content, no official form for it): data in :class:`ResultNotice`. Rendering is deterministic, with the
same machinery and bundled font as Forms 01 and 04 (``forms._Page``), so a stored hash stays meaningful.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from motcua.documents.forms import (
    _SIGN_BOX_H,
    _SIGN_COL_W,
    _TEXT_WIDTH,
    RenderedForm,
    VnText,
    _Form,
    _Page,
    format_date,
    format_datetime,
    format_place_date,
)

TITLE = "Kết quả giải quyết thủ tục hành chính"
LEGAL_NOTE = (
    "Văn bản điện tử này được ký số bởi cơ quan giải quyết thủ tục hành chính và có giá trị pháp lý như văn bản "
    "giấy (Luật Giao dịch điện tử năm 2023). Mọi thay đổi nội dung tệp sau khi ký sẽ làm chữ ký số mất hiệu lực."
)


class ResultNotice(_Form):
    agency_name: VnText = Field(min_length=1)
    parent_agency_name: VnText | None = None
    place: VnText = Field(min_length=1)
    decided_at: AwareDatetime
    received_at: AwareDatetime
    applicant_name: VnText = Field(min_length=1)
    procedure_code: VnText = Field(min_length=1)
    procedure_name: VnText = Field(min_length=1)
    receipt_code: VnText = Field(min_length=1)
    result_name: VnText = Field(min_length=1, description="The result the procedure gives, e.g. 'Giấy khai sinh'")
    result_files: tuple[VnText, ...] = ()
    document_id: VnText = Field(min_length=1, description="Its id in the citizen's store (for verification)")
    signer_title: VnText = Field(min_length=1)
    signer_name: VnText = Field(min_length=1)


def render_result_notice(notice: ResultNotice) -> RenderedForm:
    pdf = _Page(title=TITLE, created_at=notice.decided_at, author=notice.agency_name)
    left: list[tuple[str, float, bool]] = []
    if notice.parent_agency_name:
        left.append((notice.parent_agency_name.upper(), 10, False))
    left.append((notice.agency_name.upper(), 10, True))
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
