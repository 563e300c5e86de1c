"""Signed electronic results (motcua.documents.signing): sign, verify, tamper, foreign CA.

One local CA per module (EC P-256: milliseconds). Time is injected: certificates are issued on T0 and
documents verified at AT, so the tests do not depend on the day they run.
"""

from __future__ import annotations

import binascii
import io
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from motcua.documents.forms import ApologyLetter
from motcua.documents.layout import RenderedForm
from motcua.documents.local_ca import LocalCA, LocalFileAgencySigner, create_local_ca, issue_agency_certificate
from motcua.documents.pdf import render_apology_letter
from motcua.documents.signing import AgencySigner, PemAgencySigner, sign_pdf
from motcua.documents.verification import verify

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # certificates issued
SIGNED_AT = datetime(2026, 11, 23, 3, 5, tzinfo=UTC)
AT = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # verification time
AGENCY_CODE = "000.00.11.H36"
AGENCY_NAME = "Sở Tư pháp tỉnh Lâm Đồng"


@dataclass(frozen=True)
class Pki:
    ca: LocalCA
    signer: LocalFileAgencySigner
    rendered: RenderedForm
    signed: bytes  # visible signature over the rendered letter


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = create_local_ca(directory, now=T0)
    issue_agency_certificate(ca, AGENCY_CODE, AGENCY_NAME, now=T0)
    signer = LocalFileAgencySigner(directory, AGENCY_CODE)
    rendered = render_apology_letter(ApologyLetter(
        agency_name="Sở Tư pháp", place="Đà Lạt", issued_at=SIGNED_AT, applicant_name="Nguyễn Thị Hằng",
        procedure_name="Cấp Phiếu lý lịch tư pháp", receipt_code="000.00.11.H36-261110-0007",
        received_at=datetime(2026, 11, 10, 2, 15, tzinfo=UTC), appointment_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
        reason="Cần xác minh thêm", new_appointment_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
        signer_title="Giám đốc", signer_name="Trần Văn Bình",
    ))
    signed = sign_pdf(rendered.pdf, signer, signed_at=SIGNED_AT, visible_box=rendered.signature_box)
    return Pki(ca=ca, signer=signer, rendered=rendered, signed=signed)


def _byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    found = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert len(found) == 1
    a, b, c, d = (int(v) for v in found[0])
    return a, b, c, d


def _flip(pdf: bytes, position: int) -> bytes:
    data = bytearray(pdf)
    data[position] ^= 0x01
    return bytes(data)


# --------------------------------------------------------------------------------------------------------
# Signing and the happy path


def test_signed_document_verifies(pki: Pki) -> None:
    result = verify(pki.signed, [pki.ca.certificate_pem], at=AT)
    assert result.valid, result.problems
    assert (result.signed, result.intact, result.trusted, result.covers_whole_document) == (True, True, True, True)
    assert result.signer == AGENCY_NAME
    assert result.signer_agency_code == AGENCY_CODE
    assert result.signed_at == SIGNED_AT  # the injected time, not the wall clock
    assert result.signature_count == 1
    assert result.modification == "none"


def test_signature_is_pades_in_a_new_revision(pki: Pki) -> None:
    # Incremental: the rendered letter is untouched, the signature is appended after it.
    assert pki.signed.startswith(pki.rendered.pdf)
    sig = PdfFileReader(io.BytesIO(pki.signed)).embedded_signatures[0].sig_object
    assert sig["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig["/Name"] == AGENCY_NAME


def test_visible_field_is_placed_in_the_forms_signature_box(pki: Pki) -> None:
    reader = PdfReader(io.BytesIO(pki.signed))
    box = pki.rendered.signature_box
    widgets = [a.get_object() for a in reader.pages[box.page].get("/Annots", [])]
    sig_widgets = [w for w in widgets if w.get("/FT") == "/Sig"]
    assert len(sig_widgets) == 1
    rect = [float(v) for v in sig_widgets[0]["/Rect"]]
    assert rect == pytest.approx(list(box.as_tuple()), abs=1)
    assert "/AP" in sig_widgets[0]  # it has an appearance (the Vietnamese stamp)


def test_invisible_signature_verifies(pki: Pki) -> None:
    signed = sign_pdf(pki.rendered.pdf, pki.signer, signed_at=SIGNED_AT)
    assert verify(signed, [pki.ca.certificate_pem], at=AT).valid
    widgets = [a.get_object() for a in PdfReader(io.BytesIO(signed)).pages[0].get("/Annots", [])]
    rect = [float(v) for v in widgets[0]["/Rect"]]
    assert rect[2] - rect[0] == 0 and rect[3] - rect[1] == 0


def test_cloud_signer_from_pem_bytes(pki: Pki, tmp_path: Path) -> None:
    # The cloud path: PEM bytes (as read from Secrets Manager by a caller), no files.
    agency = issue_agency_certificate(pki.ca, "000.00.12.H36", "Sở Tài chính", now=T0)
    signer = PemAgencySigner(agency.certificate_pem, agency.private_key_path.read_bytes(),
                             chain_pem=pki.ca.certificate_pem)
    assert isinstance(signer, AgencySigner)
    result = verify(sign_pdf(pki.rendered.pdf, signer, signed_at=SIGNED_AT), [pki.ca.certificate_pem], at=AT)
    assert result.valid and result.signer == "Sở Tài chính"


# --------------------------------------------------------------------------------------------------------
# Tampering


def test_flipping_a_byte_of_the_letter_breaks_it(pki: Pki) -> None:
    # A byte in the middle of the original letter (a compressed content stream or font), inside the range
    # the signature hashes.
    position = len(pki.rendered.pdf) // 2
    result = verify(_flip(pki.signed, position), [pki.ca.certificate_pem], at=AT)
    assert not result.valid
    assert not result.intact


def test_flipping_any_byte_breaks_it(pki: Pki) -> None:
    # Spread over the whole file, plus the places a PDF signature cannot hash: its own /Contents (the CMS
    # object, its zero padding, the hex string's delimiters) and the /ByteRange numbers.
    signed = pki.signed
    _, gap_start, gap_end, _ = _byte_range(signed)
    positions = set(range(0, len(signed), max(1, len(signed) // 40)))
    positions |= {gap_start, gap_start + 1, gap_start + 40, gap_start + 300, gap_end - 3, gap_end - 1}
    positions |= {signed.index(b"/ByteRange") + 13, len(signed) - 10}
    still_valid = [p for p in sorted(positions)
                   if verify(_flip(signed, p), [pki.ca.certificate_pem], at=AT).valid]
    assert still_valid == []


def test_changing_the_case_of_one_hex_digit_in_the_signature_breaks_it(pki: Pki) -> None:
    # Same decoded bytes, different file: "any byte change" includes this one.
    signed = pki.signed
    _, gap_start, gap_end, _ = _byte_range(signed)
    contents = signed[gap_start:gap_end]
    offset = next(i for i, ch in enumerate(contents) if chr(ch) in "abcdefABCDEF")
    data = bytearray(signed)
    data[gap_start + offset] = ord(chr(data[gap_start + offset]).swapcase())
    assert not verify(bytes(data), [pki.ca.certificate_pem], at=AT).valid


def _container_hex_position(signed: bytes, target: str) -> int:
    """Where, in the file, the hex digit encoding one unsigned field of the CMS container lies."""
    _, gap_start, gap_end, _ = _byte_range(signed)
    raw = binascii.unhexlify(signed[gap_start + 1:gap_end - 1])
    signed_data = cms.ContentInfo.load(raw)["content"]
    signer_info = signed_data["signer_infos"][0]
    if target == "signer info version":  # INTEGER 1 -> last hex digit of its value byte
        dumped = signer_info.dump()
        offset, nibble = raw.index(dumped) + (len(dumped) - len(signer_info.contents)) + 2, 1
    elif target == "signed data version":
        offset, nibble = raw.index(signed_data.contents) + 2, 1  # the first field: INTEGER tag, length, value
    elif target == "signer infos tag":  # SET (0x31) -> SEQUENCE (0x30)
        offset, nibble = raw.index(signed_data["signer_infos"].dump()), 1
    else:  # the digest algorithm OID's last byte in SignedData.digestAlgorithms
        declared = signed_data["digest_algorithms"].dump()
        offset, nibble = raw.index(declared) + 14, 1
    return gap_start + 1 + 2 * offset + nibble


@pytest.mark.parametrize(
    "target", ["signer info version", "signed data version", "signer infos tag", "declared digest algorithm"]
)
def test_fields_the_signature_does_not_cover_are_still_checked(pki: Pki, target: str) -> None:
    # Found by flipping every hex digit of the container: the versions and the declared digest algorithms are
    # parsed leniently and covered by no signature, so a change there used to leave the signature "valid".
    # (The SET -> SEQUENCE tag change is refused by the parser today; kept so a lenient upgrade shows up.)
    position = _container_hex_position(pki.signed, target)
    data = bytearray(pki.signed)
    data[position] = ord("0") if data[position] != ord("0") else ord("2")
    result = verify(bytes(data), [pki.ca.certificate_pem], at=AT)
    assert not result.valid, target


def test_an_incremental_update_that_changes_the_content_breaks_it(pki: Pki) -> None:
    # The classic attack: leave the signed revision intact, append a revision that replaces the page.
    writer = IncrementalPdfFileWriter(io.BytesIO(pki.signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    forged = generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 700 Td (Ngay hen moi: 01/01/2030) Tj ET")
    page["/Contents"] = writer.add_object(forged)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    tampered = out.getvalue()
    assert tampered.startswith(pki.signed)  # the signed bytes are all still there

    result = verify(tampered, [pki.ca.certificate_pem], at=AT)
    assert result.intact  # the signed revision itself is unchanged...
    assert not result.covers_whole_document  # ...but something came after it
    assert result.modification not in (None, "none")
    assert not result.valid


def test_appended_garbage_breaks_it(pki: Pki) -> None:
    result = verify(pki.signed + b"\n% appended\n", [pki.ca.certificate_pem], at=AT)
    assert not result.valid


# --------------------------------------------------------------------------------------------------------
# Trust


def test_a_certificate_from_another_ca_is_not_trusted(pki: Pki, tmp_path: Path) -> None:
    other_ca = create_local_ca(tmp_path / "other", now=T0)
    issue_agency_certificate(other_ca, AGENCY_CODE, AGENCY_NAME, now=T0)  # same name, other issuer
    forged = sign_pdf(pki.rendered.pdf, LocalFileAgencySigner(tmp_path / "other", AGENCY_CODE), signed_at=SIGNED_AT)

    result = verify(forged, [pki.ca.certificate_pem], at=AT)
    assert result.intact  # a perfectly good signature...
    assert not result.trusted  # ...by a key our root never certified
    assert not result.valid
    assert verify(forged, [other_ca.certificate_pem], at=AT).valid  # the failure is trust, nothing else


def test_an_expired_certificate_is_not_trusted(pki: Pki) -> None:
    result = verify(pki.signed, [pki.ca.certificate_pem], at=T0 + timedelta(days=3 * 365))
    assert result.intact and not result.trusted and not result.valid


def test_unsigned_and_unreadable_inputs_are_reported_not_raised(pki: Pki) -> None:
    unsigned = verify(pki.rendered.pdf, [pki.ca.certificate_pem], at=AT)
    assert not unsigned.signed and not unsigned.valid
    garbage = verify(b"%PDF-1.7\nnot really", [pki.ca.certificate_pem], at=AT)
    assert not garbage.valid and garbage.problems
    with pytest.raises(ValueError, match="trust root"):
        verify(pki.signed, [], at=AT)


# --------------------------------------------------------------------------------------------------------
# The local CA


def test_local_ca_is_reused_and_keys_are_private(pki: Pki) -> None:
    again = create_local_ca(pki.ca.directory, now=T0 + timedelta(days=1))
    assert again.certificate == pki.ca.certificate  # restarting the stack keeps the CA
    key_file = pki.ca.directory / "agencies" / f"{AGENCY_CODE}.key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((pki.ca.directory / "ca.key.pem").stat().st_mode) == 0o600


def test_bad_inputs_to_the_ca_are_refused(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="agency electronic identifier"):
        issue_agency_certificate(pki.ca, "../../etc/passwd", "x", now=T0)
    a = issue_agency_certificate(pki.ca, "000.00.13.H36", "Sở Xây dựng", now=T0)
    b = issue_agency_certificate(pki.ca, "000.00.14.H36", "Sở Nông nghiệp và Môi trường", now=T0)
    with pytest.raises(ValueError, match="does not belong"):
        PemAgencySigner(a.certificate_pem, b.private_key_path.read_bytes())
