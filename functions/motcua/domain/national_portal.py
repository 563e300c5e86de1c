"""The national public service portal (*Cổng Dịch vụ công quốc gia*): the sync port, pure.

What Motcua sends, in the portal's words (docs/integrations.md §1, with a CONFIRMED / UNSURE mark per field):

* ``DongBoHoSoMC``: the whole dossier, once (the first message of a dossier, or again with ``isUpdating`` when
  a late step must not leave the portal on an older status);
* ``CapNhatTienDoHoSoMC``: one progress step per status change: who, when, which unit, what, the step's due
  date.

Everything the sources leave unsure (status codes, channel codes, answer codes, sector codes) is
:class:`PortalMapping`, configuration, not code. A :class:`SyncMessage` is what the outbox relay puts on the
sync queue for a status change: identifiers only, never personal data; the consumer reads the dossier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from motcua.domain import actions as ev
from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Procedure
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.errors import MotcuaError
from motcua.domain.events import StatusChangedEnvelope
from motcua.domain.status import DossierStatus

SYNC_DOSSIER: Final = "DongBoHoSoMC"
UPDATE_PROGRESS: Final = "CapNhatTienDoHoSoMC"
PortalService = Literal["DongBoHoSoMC", "CapNhatTienDoHoSoMC"]

DATE_FORMAT: Final = "%Y%m%d%H%M%S"  # the portal's dates: local time (Asia/Ho_Chi_Minh), no separators


class SyncMessage(BaseModel):
    """The sync queue's body: one status change of one dossier (FIFO group: the dossier; dedup: the version)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    dossier_id: str
    version: int = Field(ge=1)  # the dossier's version after the change
    history_event_id: str
    envelope_id: str
    occurred_at: datetime
    to_status: int = Field(ge=1, le=10)
    appointment_at: datetime | None = None

    @property
    def group_id(self) -> str:
        return self.dossier_id

    @property
    def step_key(self) -> str:
        """Per (dossier, version); the event id tells two status changes one action made apart."""
        return f"{self.version:08d}#{self.history_event_id}"

    @property
    def deduplication_id(self) -> str:
        return f"{self.dossier_id}#{self.step_key}"


def sync_message(envelope: StatusChangedEnvelope, version: int) -> SyncMessage:
    data = envelope.data
    return SyncMessage(dossier_id=data.dossier_id, version=version, history_event_id=data.history_event_id,
                       envelope_id=envelope.id, occurred_at=envelope.occurred_at, to_status=data.to_status.code,
                       appointment_at=data.appointment_at)


class PortalMapping(BaseModel):
    """What the sources leave UNSURE, as configuration (the ``national-portal-mapping`` setting, JSON)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    # TrangThaiHoSo / TrangThai: Motcua's codes are the portal's list (docs/domain.md §2, LIKELY), so identity
    # unless configured; OpenCPS keeps the same mapping as data (DossierStatusMapping.statusCodeDVCQG).
    status_codes: dict[int, str] = Field(default_factory=lambda: {int(s): str(int(s)) for s in DossierStatus})
    # HinhThuc: how the result is returned; OpenCPS sends 1 for the post, else 0.
    return_by_post_code: str = "1"
    return_otherwise_code: str = "0"
    # LoaiDoiTuong: 1 a person, 2 an organisation (CONFIRMED in OpenCPS); Motcua's applicants are persons.
    applicant_kind_code: str = "1"
    # MaLinhVuc by the catalogue's sector (the portal's sector codes are not in Motcua's catalogue).
    sector_codes: dict[str, str] = Field(default_factory=dict)
    # MaTTHC by Motcua's procedure code; identity unless configured (the catalogue's codes are national).
    procedure_codes: dict[str, str] = Field(default_factory=dict)
    # Answers: error_code values meaning accepted, and the ones meaning the session expired (log in again).
    accepted_codes: tuple[str, ...] = ("0", "00")
    session_expired_codes: tuple[str, ...] = ("401", "-401")
    # Answers the portal gives for a record it will never accept as sent (fix the data or the mapping, redrive).
    refused_codes: tuple[str, ...] = ("-1", "01", "02", "400")


class PortalAnswer(BaseModel):
    """What the portal said to one request (its ``error_code``, message and any reference it returned)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    error_code: str
    message: str | None = None
    reference: str | None = None


Verdict = Literal["accepted", "session_expired", "refused", "unavailable"]


def verdict(answer: PortalAnswer, mapping: PortalMapping) -> Verdict:
    """An unknown answer is treated as the portal being unwell (retried), never as accepted."""
    if answer.error_code in mapping.accepted_codes:
        return "accepted"
    if answer.error_code in mapping.session_expired_codes:
        return "session_expired"
    if answer.error_code in mapping.refused_codes:
        return "refused"
    return "unavailable"


class PortalUnavailable(MotcuaError):
    """No answer, a timeout, a 5xx or an unknown answer: the message is retried with backoff."""

    code = "NATIONAL_PORTAL_UNAVAILABLE"
    http_status = 503
    message_vi = "Cổng Dịch vụ công quốc gia tạm thời không phản hồi."
    message_en = "The national public service portal is not answering."


class PortalRefused(MotcuaError):
    """The portal refused the record itself: retrying the same bytes cannot help; parked for an operator."""

    code = "NATIONAL_PORTAL_REFUSED"
    http_status = 422
    message_vi = "Cổng Dịch vụ công quốc gia từ chối dữ liệu hồ sơ."
    message_en = "The national public service portal refused the dossier's record."


class NationalPortal(Protocol):
    """The port: one adapter per deployment (``motcua.data.national_portal``), the emulator locally."""

    def send(self, service: PortalService, records: Sequence[Mapping[str, Any]], *,
             updating: bool = False) -> PortalAnswer: ...


def portal_date(at: datetime | None) -> str:
    return at.astimezone(VN_TZ).strftime(DATE_FORMAT) if at is not None else ""


def _status_code(status: DossierStatus | int, mapping: PortalMapping) -> str:
    return mapping.status_codes.get(int(status), str(int(status)))


def dossier_record(dossier: Dossier, procedure: Procedure | None, unit_name: str,
                   mapping: PortalMapping, national_code: str | None = None) -> dict[str, Any]:
    """``DongBoHoSoMC``'s record of the dossier as it stands (field names as OpenCPS sends them).
    ``national_code``: the portal's own code of a dossier filed there, else the receipt code is the dossier's."""
    sector = procedure.sector if procedure is not None else ""
    returned_by_post = dossier.result is not None and dossier.result.return_method == "post"
    return {
        "MaHoSo": national_code or dossier.receipt_code,
        "MaTTHC": mapping.procedure_codes.get(dossier.procedure_code, dossier.procedure_code),
        "TenTTHC": dossier.procedure_name_vi,
        "MaLinhVuc": mapping.sector_codes.get(sector, ""),
        "TenLinhVuc": sector,
        "ChuHoSo": dossier.applicant.full_name,
        "LoaiDoiTuong": mapping.applicant_kind_code,
        "MaDoiTuong": "",
        "ThongTinKhac": "",
        "Email": dossier.applicant.email or "",
        "Fax": "",
        "SoDienThoai": dossier.applicant.phone,
        "TrichYeuHoSo": dossier.procedure_name_vi,
        "NgayTiepNhan": portal_date(dossier.received_at or dossier.submitted_at),
        "NgayHenTra": portal_date(dossier.appointment_at),
        "TrangThaiHoSo": _status_code(dossier.status, mapping),
        "NgayTra": portal_date(dossier.returned_at),
        "ThongTinTra": "",
        "HinhThuc": mapping.return_by_post_code if returned_by_post else mapping.return_otherwise_code,
        "NgayKetThucXuLy": portal_date(dossier.finished_at),
        "DonViXuLy": unit_name,
        "GhiChu": "",
        "TaiLieuNop": [{"TenTepDinhKem": a.document_name} for a in dossier.attachments],
        "DanhSachLePhi": [],
        "DanhSachTepDinhKemKhac": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [],
    }


STEP_NAMES_VI: Final = {
    ev.SUBMIT: "Nộp hồ sơ", ev.RECEIVE_AT_COUNTER: "Tiếp nhận hồ sơ tại Bộ phận Một cửa",
    ev.RECEIVE: "Tiếp nhận hồ sơ", ev.REFUSE: "Từ chối tiếp nhận hồ sơ", ev.START_PROCESSING: "Chuyển xử lý",
    ev.TRANSFER: "Chuyển hồ sơ", ev.REQUEST_SUPPLEMENT: "Yêu cầu bổ sung hồ sơ",
    ev.RECEIVE_SUPPLEMENT: "Tiếp nhận hồ sơ bổ sung", ev.REQUEST_PAYMENT: "Yêu cầu thực hiện nghĩa vụ tài chính",
    ev.RESUME_PROCESSING: "Tiếp tục xử lý", ev.DECIDE: "Có kết quả giải quyết", ev.RETURN_RESULT: "Trả kết quả",
    ev.REQUEST_WITHDRAWAL: "Công dân yêu cầu rút hồ sơ", ev.STOP: "Dừng xử lý",
}

ROLE_TITLES_VI: Final = {
    "citizen": "Công dân", "reception_officer": "Cán bộ tiếp nhận", "processing_officer": "Cán bộ xử lý",
    "agency_leader": "Lãnh đạo cơ quan", "system": "Hệ thống",
}


def progress_record(dossier: Dossier, event: HistoryEvent, message: SyncMessage, unit_name: str,
                    mapping: PortalMapping, national_code: str | None = None) -> dict[str, Any]:
    """``CapNhatTienDoHoSoMC``'s record of one step: who (the account), when, which unit, what, due when."""
    step = STEP_NAMES_VI.get(event.action, event.action)
    return {
        "MaHoSo": national_code or dossier.receipt_code,
        "NguoiXuLy": event.actor.subject,
        "ChucDanh": ROLE_TITLES_VI.get(event.actor.role.value, ""),
        "ThoiDiemXuLy": portal_date(event.occurred_at),
        "PhongBanXuLy": unit_name,
        "NoiDungXuLy": step,
        "TrangThai": _status_code(event.to_status, mapping),
        "NgayBatDau": portal_date(event.occurred_at),
        "NgayKetThucTheoQuyDinh": portal_date(message.appointment_at),
    }


class PortalFiledDossier(BaseModel):
    """A dossier a citizen filed on the national portal, as the integration platform hands it over (a message
    on the ``national-intake`` queue). Field names in the portal's style; UNSURE (docs/integrations.md §1):
    no public source shows the portal's outbound shape."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    MaHoSo: str = Field(min_length=1, max_length=100)  # the portal's code of the dossier
    MaTTHC: str = Field(min_length=1, max_length=20)
    MaDonVi: str | None = Field(default=None, max_length=50)  # the receiving unit (a commune's procedures)
    TaiKhoanNop: str = Field(min_length=1, max_length=200)  # the citizen's portal (VNeID) account
    ChuHoSo: str = Field(min_length=1, max_length=200)
    SoGiayTo: str  # the applicant's national ID number
    SoDienThoai: str
    Email: str | None = None
    DiaChi: str = Field(min_length=1, max_length=500)

    def procedure_code(self, mapping: PortalMapping) -> str:
        """Motcua's code for the portal's MaTTHC (the reverse of ``procedure_codes``)."""
        reverse = {national: own for own, national in mapping.procedure_codes.items()}
        return reverse.get(self.MaTTHC, self.MaTTHC)

    @property
    def idempotency_key(self) -> str:
        """One dossier per portal code, whoever hands it over how many times."""
        return f"national-portal:{self.MaHoSo}"


def sync_record_details(answer: PortalAnswer, service: PortalService, version: int) -> dict[str, Any]:
    """The details of the ``sync_national_portal`` history event the portal's acknowledgement writes
    (indicator 1.4 reads ``synced``)."""
    return {ev.D_SYNCED: True, "service": service, "version": version, "error_code": answer.error_code,
            "reference": answer.reference}
