"""The electronic result of a dossier as a PDF, ready for the agency's signature (``signing.sign_pdf``);
docs/documents.md §5.

Motcua does not hold the result's own layout (a birth certificate, a licence: each has its official form);
what it issues is the agency's notice of the result, naming the procedure, the dossier, the applicant, the
decision time and the result documents, with the signature area of the head of the agency. Wording UNSURE
(LIKELY content, no official form for it): data in :class:`ResultNotice`. Rendering is deterministic, with the
same machinery and bundled font as Forms 01 and 04 (``pdf.render_result_notice``), so a stored hash stays
meaningful.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from motcua.documents.layout import DocumentData, VnText

TITLE = "Kết quả giải quyết thủ tục hành chính"
LEGAL_NOTE = (
    "Văn bản điện tử này được ký số bởi cơ quan giải quyết thủ tục hành chính và có giá trị pháp lý như văn bản "
    "giấy (Luật Giao dịch điện tử năm 2023). Mọi thay đổi nội dung tệp sau khi ký sẽ làm chữ ký số mất hiệu lực."
)


class ResultNotice(DocumentData):
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
