"""Official forms as PDF (motcua.documents.forms): Form 01 receipt slip, Form 04 apology letter.

Checks read the PDF back with pypdf, so they prove the text survives font embedding (every diacritic maps
back to its letter), not merely that our code passed the right strings to fpdf2. Expected dates are worked
by hand from UTC inputs to Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from pypdf import PdfReader

import motcua
from motcua.documents.control_slip import ControlSlip
from motcua.documents.forms import ApologyLetter, ReceiptSlip, apology_template_for, describe_time_limit
from motcua.documents.layout import FONT_FILES, format_place_date
from motcua.documents.pdf import (
    render_apology_letter,
    render_control_slip,
    render_receipt_slip,
    render_signature_stamp,
)
from motcua.domain.catalogue import Channel
from motcua.domain.dossier import Apology, Applicant, Attachment, Dossier
from motcua.domain.handovers import handovers
from motcua.domain.status import DossierStatus

NEW_TITLE = "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"
OLD_TITLE = "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
CODE = "000.00.11.H36-261110-0007"
REASON = "Cần xác minh thông tin lý lịch tại Công an tỉnh nơi thường trú trước đây"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def text_of(pdf: bytes) -> str:
    """All pages' text, NFC, whitespace collapsed (line wraps and justified spacing are layout, not text)."""
    reader = PdfReader(io.BytesIO(pdf))
    raw = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw))


def letter(**overrides: Any) -> ApologyLetter:
    fields: dict[str, Any] = {
        "agency_name": "Sở Tư pháp",
        "parent_agency_name": "Ủy ban nhân dân tỉnh Lâm Đồng",
        "document_number": "15/XL-STP",
        "place": "Đà Lạt",
        # 01:30 on 23 Nov in Vietnam, still 22 Nov in UTC: the letter must say 23.
        "issued_at": utc(2026, 11, 22, 18, 30),
        "applicant_name": "Nguyễn Thị Hằng",
        "procedure_name": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "receipt_code": CODE,
        "received_at": utc(2026, 11, 10, 2, 15),  # 09:15 VN
        "appointment_at": utc(2026, 11, 24, 10, 0),  # 17:00 VN
        "reason": REASON,
        "new_appointment_at": utc(2026, 12, 1, 1, 30),  # 08:30 VN
        "signer_title": "Giám đốc",
        "signer_name": "Trần Văn Bình",
    }
    fields.update(overrides)
    return ApologyLetter(**fields)


# --------------------------------------------------------------------------------------------------------
# Form 04


@pytest.fixture(scope="module")
def letter_text() -> str:
    return text_of(render_apology_letter(letter()).pdf)


def test_apology_letter_keeps_every_diacritic(letter_text: str) -> None:
    # Given a letter rendered under Circular 03/2025, when its text is extracted, then Vietnamese survives.
    for expected in (
        NEW_TITLE,
        "Nguyễn Thị Hằng",
        "giải quyết",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN TỈNH LÂM ĐỒNG",
        "SỞ TƯ PHÁP",
        "Số: 15/XL-STP",
        "Kính gửi: Ông/Bà Nguyễn Thị Hằng",
        "xin lỗi Ông/Bà",
        "GIÁM ĐỐC",
        "Trần Văn Bình",
    ):
        assert expected in letter_text, expected
    assert OLD_TITLE not in letter_text


def test_apology_letter_carries_the_dossier_facts(letter_text: str) -> None:
    assert f"Mã hồ sơ: {CODE}" in letter_text
    assert f"lý do: {REASON}." in letter_text
    assert "Ngày 10/11/2026, Sở Tư pháp tiếp nhận hồ sơ" in letter_text


def test_apology_letter_dates_are_vietnam_local_time(letter_text: str) -> None:
    # issued 18:30 UTC on 22 Nov = 01:30 on 23 Nov in Vietnam
    assert "Đà Lạt, ngày 23 tháng 11 năm 2026" in letter_text
    assert "ngày 22 tháng 11" not in letter_text
    # original appointment 10:00 UTC = 17:00 VN; the new one 01:30 UTC = 08:30 VN
    assert "theo giấy hẹn: 17:00 ngày 24/11/2026" in letter_text
    assert "vào 08:30 ngày 01/12/2026" in letter_text
    assert "10:00" not in letter_text


@pytest.mark.parametrize(
    ("received_at", "title"),
    [
        (utc(2025, 6, 20, 3, 0), OLD_TITLE),
        (utc(2025, 6, 30, 16, 59), OLD_TITLE),  # 23:59 on 30 Jun in Vietnam: old rules
        (utc(2025, 6, 30, 17, 0), NEW_TITLE),  # 00:00 on 1 Jul in Vietnam: Circular 03/2025
        (utc(2026, 11, 10, 2, 15), NEW_TITLE),
    ],
)
def test_title_follows_the_rules_in_force_on_reception(received_at: datetime, title: str) -> None:
    later = received_at + timedelta(days=14)
    rendered = render_apology_letter(letter(received_at=received_at, appointment_at=later,
                                            new_appointment_at=later + timedelta(days=5)))
    text = text_of(rendered.pdf)
    assert title in text
    assert (NEW_TITLE if title == OLD_TITLE else OLD_TITLE) not in text


def test_the_dossiers_stored_rule_version_decides_the_title() -> None:
    # A dossier received under Decree 61/2018 keeps its form even if the letter is written in 2026.
    rendered = render_apology_letter(letter(rule_version="nd61-2018"))
    assert rendered.title == "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    assert OLD_TITLE in text_of(rendered.pdf)
    assert apology_template_for("nd118-2025", utc(2020, 1, 1)).circular == "03/2025/TT-VPCP"
    with pytest.raises(ValueError, match="unknown rule version"):
        apology_template_for("nd-2099", utc(2026, 1, 1))


def test_decomposed_input_is_printed_as_whole_letters() -> None:
    # "Nguyễn Thị Hằng" typed as base letters + combining marks (NFD) must not print as loose accents.
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
    assert nfd != "Nguyễn Thị Hằng"
    reader = PdfReader(io.BytesIO(render_apology_letter(letter(applicant_name=nfd)).pdf))
    raw = reader.pages[0].extract_text()
    assert "Nguyễn Thị Hằng" in raw  # precomposed as extracted, without our own normalisation


def test_rendering_is_deterministic() -> None:
    first = render_apology_letter(letter()).pdf
    assert render_apology_letter(letter()).pdf == first
    assert render_apology_letter(letter(issued_at=utc(2026, 11, 22, 18, 31))).pdf != first
    created = PdfReader(io.BytesIO(first)).metadata.creation_date
    assert created is not None and created.astimezone(UTC) == utc(2026, 11, 22, 18, 30)


@pytest.mark.parametrize(
    "overrides",
    [
        {"new_appointment_at": utc(2026, 11, 24, 10, 0)},  # not after the old appointment
        {"new_appointment_at": utc(2026, 11, 20, 10, 0)},
        {"issued_at": datetime(2026, 11, 23, 9, 0)},  # naive
        {"reason": "   "},
        {"appointment_at": utc(2026, 11, 1)},  # before reception
    ],
)
def test_invalid_letters_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        letter(**overrides)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 11, 23, 2), "Đà Lạt, ngày 23 tháng 11 năm 2026"),
        (utc(2026, 2, 5, 2), "Đà Lạt, ngày 05 tháng 02 năm 2026"),  # leading zeros: day < 10, months 1-2
        (utc(2026, 1, 31, 2), "Đà Lạt, ngày 31 tháng 01 năm 2026"),
        (utc(2026, 3, 9, 2), "Đà Lạt, ngày 09 tháng 3 năm 2026"),
        (utc(2026, 12, 31, 17, 30), "Đà Lạt, ngày 01 tháng 01 năm 2027"),  # 00:30 VN on New Year's Day
    ],
)
def test_place_and_date_line(at: datetime, expected: str) -> None:
    assert format_place_date("Đà Lạt", at) == expected


def test_signature_box_sits_above_the_signers_name() -> None:
    rendered = render_apology_letter(letter())
    box = rendered.signature_box
    page = PdfReader(io.BytesIO(rendered.pdf)).pages[box.page]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert 0 < box.x1 < box.x2 <= width and 0 < box.y1 < box.y2 <= height
    assert box.y2 - box.y1 > 50  # room for a visible signature (about 24 mm)

    positions: dict[str, float] = {}

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            positions.setdefault(text.strip(), tm[5] * cm[3] + cm[5])

    page.extract_text(visitor_text=visit)
    name_y = next(y for t, y in positions.items() if "Trần Văn Bình" in t)
    title_y = next(y for t, y in positions.items() if "GIÁM ĐỐC" in t)
    assert name_y < box.y1 and box.y2 < title_y  # title, empty box, name: top to bottom


def sample_dossier(**overrides: Any) -> Dossier:
    fields: dict[str, Any] = {
        "id": "d-1",
        "receipt_code": CODE,
        "procedure_code": "1.001193",
        "procedure_name_vi": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "agency_code": "000.00.11.H36",
        "channel": Channel.COUNTER,
        "status": DossierStatus.PROCESSING,
        "applicant": Applicant(full_name="Nguyễn Thị Hằng", national_id="068190000123", phone="0912345678",
                               email=None, address="12 Trần Phú, Đà Lạt"),
        "attachments": (Attachment(key="k/1", document_name="Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"),),
        "owner": "citizen-1",
        "submitted_at": utc(2025, 6, 27, 2, 0),
        "received_at": utc(2025, 6, 27, 2, 0),
        "appointment_at": utc(2025, 7, 11, 10, 0),
        "due_at": utc(2025, 7, 11, 10, 0),
        "time_limit": {"value": "0.5", "unit": "working_days"},
        "rule_version": "nd61-2018",
        "version": 3,
        "updated_at": utc(2025, 7, 1, 2, 0),
    }
    fields.update(overrides)
    return Dossier(**fields)


def _apologised() -> Dossier:
    """As the workflow leaves a dossier after its apology: the new appointment promised, the old one kept."""
    original, new = utc(2025, 7, 11, 10, 0), utc(2025, 7, 18, 10)
    return sample_dossier(appointment_at=new, apology=Apology(issued_at=utc(2025, 7, 10, 2), reason=REASON,
                                                        original_appointment_at=original, new_appointment_at=new,
                                                        issued_by="officer-minh"))


def test_forms_built_from_a_dossier() -> None:
    dossier = _apologised()
    apology = ApologyLetter.from_dossier(dossier, agency_name="Sở Tư pháp", place="Đà Lạt", signer_title="Giám đốc",
                                         signer_name="Trần Văn Bình")
    # The letter apologises for the appointment on the receipt slip and promises the new one: never the new
    # appointment (already on the dossier) taken as the original.
    assert apology.appointment_at == utc(2025, 7, 11, 10, 0) and apology.new_appointment_at == utc(2025, 7, 18, 10)
    assert (apology.issued_at, apology.reason) == (utc(2025, 7, 10, 2), REASON)
    text = text_of(render_apology_letter(apology).pdf)
    assert OLD_TITLE in text  # received 27 Jun 2025: Decree 61/2018 rules, stored on the dossier
    assert "Nguyễn Thị Hằng" in text and CODE in text and "17:00 ngày 11/07/2025" in text
    assert "17:00 ngày 18/07/2025" in text
    with pytest.raises(ValueError, match="no apology"):
        ApologyLetter.from_dossier(sample_dossier(), agency_name="x", place="x", signer_title="x", signer_name="x")


# --------------------------------------------------------------------------------------------------------
# Form 01


def sample_slip(**overrides: Any) -> ReceiptSlip:
    dossier = sample_dossier(**overrides)
    return ReceiptSlip.from_dossier(dossier, agency_name="Sở Tư pháp", place="Đà Lạt",
                                    collect_at="Bộ phận Một cửa Sở Tư pháp", fee_status="Miễn phí",
                                    officer_name="Lê Thị Thu", same_day_cutoff=time(15, 0))


def test_receipt_slip_says_what_was_received_and_when_it_is_returned() -> None:
    text = text_of(render_receipt_slip(sample_slip()).pdf)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert CODE in text and "Nguyễn Thị Hằng" in text and "12 Trần Phú, Đà Lạt" in text
    assert "Nội dung yêu cầu giải quyết: Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam" in text
    assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp" in text
    assert "Thời gian giải quyết hồ sơ theo quy định: 0,5 ngày làm việc" in text
    # Received 09:00 on 27 Jun (VN); the appointment 17:00 on 11 Jul, both in Vietnam's time.
    assert "Thời gian nhận hồ sơ: 09:00 ngày 27/06/2025" in text
    assert "Thời gian trả kết quả giải quyết hồ sơ: 17:00 ngày 11/07/2025" in text
    assert "NGƯỜI NỘP HỒ SƠ" in text and "NGƯỜI TIẾP NHẬN HỒ SƠ" in text and "Lê Thị Thu" in text


def test_receipt_slip_is_refused_before_reception() -> None:
    with pytest.raises(ValueError, match="not been received"):
        sample_slip(received_at=None)


def test_a_same_day_limit_names_the_agencys_cut_off() -> None:
    assert describe_time_limit("1", "same_working_day_15h_cutoff", time(16, 30)) == (
        "Trong ngày làm việc (hồ sơ nhận sau 16 giờ 30 trả vào ngày làm việc tiếp theo)")
    assert describe_time_limit("5", "working_days", time(15)) == "05 ngày làm việc"


def test_the_qr_code_on_the_slip_is_the_dossier_code() -> None:
    # Read back from the rendered page (pdfium), module by module: the dark squares the viewer shows are the
    # QR symbol segno makes for the dossier code, so a phone scanning the slip reads that code.
    import pypdfium2
    import segno

    page = pypdfium2.PdfDocument(render_receipt_slip(sample_slip()).pdf)[0]
    scale = 4  # 288 dpi
    image = page.render(scale=scale).to_pil().convert("L")
    expected = [list(row) for row in segno.make(CODE, error="m").matrix_iter(border=0)]
    n = len(expected)
    # Find the symbol by its top-left finder pattern: the first place where a dark run of at least 60 px (a
    # finder's 7 modules, about 7 mm) repeats on 8 rows in a row. Text and the header's rules have no such run.
    pixels = image.load()
    width, height = image.size

    def long_run(y: int) -> tuple[int, int] | None:
        x = 0
        while x < width:
            if pixels[x, y] < 128:
                start = x
                while x < width and pixels[x, y] < 128:
                    x += 1
                if x - start >= 60:
                    return start, x - start
            x += 1
        return None

    rows = [(y, long_run(y)) for y in range(height // 2)]
    top = next(y for y, run in rows if run and all(rows[y + k][1] for k in range(8)))
    left, run = rows[top][1]  # type: ignore[misc]
    module = run / 7
    seen = [[pixels[int(left + (c + 0.5) * module), int(top + (r + 0.5) * module)] < 128 for c in range(n)]
            for r in range(n)]
    assert seen == expected


# --------------------------------------------------------------------------------------------------------
# Form 06


def sample_control_slip(rule_version: str = "nd118-2025") -> ControlSlip:
    from tests.unit.test_handovers import returned_late

    dossier, history = returned_late()
    dossier = dossier.model_copy(update={"rule_version": rule_version})
    names = {"000.00.11.H36": "Sở Tư pháp"}
    return ControlSlip.from_handovers(dossier, handovers(dossier, history), agency_name="Sở Tư pháp",
                                      unit_name="Bộ phận Tiếp nhận và Trả kết quả", place="Đà Lạt",
                                      name_of=lambda code: names.get(code or "", code))


def test_control_slip_has_a_row_per_hand_over_with_its_verdict() -> None:
    text = text_of(render_control_slip(sample_control_slip()).pdf)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text and "Mẫu số 06" in text
    assert CODE in text and "Nguyễn Thị Hằng" in text
    for header in ("Bên giao (người giao)", "Bên nhận (người nhận)", "Thời gian giao, nhận", "Kết quả"):
        assert header in text
    # The desk handed it to the specialists on time; the leader's decision came after the due date.
    assert "Bộ phận Tiếp nhận và Trả kết quả (desk-lan)" in text and "Bộ phận chuyên môn (proc-minh)" in text
    assert "Lãnh đạo cơ quan (lead-tuan)" in text
    assert text.count("Trước hạn") >= 2 and text.count("Quá hạn") >= 2
    assert "09:00 ngày 11/03/2026" in text
    assert "Theo lịch sử chuyển trạng thái hồ sơ" in text  # says where its rows come from


def test_the_control_slips_number_follows_the_dossiers_rules() -> None:
    # Circular 01/2018/TT-VPCP numbered the slip 05; Circular 03/2025/TT-VPCP, 06.
    assert "Mẫu số 05" in text_of(render_control_slip(sample_control_slip("nd61-2018")).pdf)


# --------------------------------------------------------------------------------------------------------
# Fonts and the signature stamp


def test_font_is_bundled_inside_the_package() -> None:
    package_dir = Path(motcua.__file__).parent
    for path in FONT_FILES.values():
        assert path.is_file() and package_dir in path.parents  # never /usr/share at run time
        assert 100_000 < path.stat().st_size < 1_000_000
    assert (package_dir / "assets" / "FONT-LICENSE.txt").is_file()
    fonts = {
        str(font["/BaseFont"])
        for font in PdfReader(io.BytesIO(render_apology_letter(letter()).pdf)).pages[0]["/Resources"]["/Font"].values()
    }
    assert fonts and all("DejaVuSans" in name for name in fonts)


def test_signature_stamp_is_vietnamese() -> None:
    pdf = render_signature_stamp("Sở Tư pháp tỉnh Lâm Đồng", utc(2026, 11, 23, 3, 5), 226, 68)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (226, 68)
    text = text_of(pdf)
    assert "Ký bởi: Sở Tư pháp tỉnh Lâm Đồng" in text
    assert "Ngày ký: 10:05 ngày 23/11/2026" in text
