"""The national portal's mapping (docs/integrations.md §1), pure: field names, status codes from
configuration, the portal's dates, answers classified, the sync message without personal data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from motcua.domain import actions as ev
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.dossier import Applicant, Dossier, HistoryEvent
from motcua.domain.events import StatusChanged, StatusChangedEnvelope
from motcua.domain.national_portal import (
    PortalAnswer,
    PortalMapping,
    SyncMessage,
    dossier_record,
    portal_date,
    progress_record,
    sync_message,
    verdict,
)
from motcua.domain.status import DossierStatus, StatusView

AT = datetime(2026, 3, 2, 8, 30, tzinfo=VN_TZ)
APPLICANT = Applicant(full_name="Nguyễn Thị Hằng", national_id="001190012345", phone="+84912345678",
                      email="hang@example.vn", address="Huế")


def dossier(status: DossierStatus = DossierStatus.PROCESSING, **changes: object) -> Dossier:
    fields: dict[str, object] = dict(
        id="d1", receipt_code="000.20.01.H36-260302-0001", procedure_code="1.001266",
        procedure_name_vi="Đăng ký khai sinh", agency_code="000.20.01.H36", channel="online", status=status,
        applicant=APPLICANT, owner="citizen-hang", submitted_at=AT, received_at=AT, appointment_at=AT,
        due_at=AT, time_limit={}, rule_version="r1", version=3, updated_at=AT)
    fields.update(changes)
    return Dossier.model_validate(fields)


def test_dates_are_local_time_without_separators() -> None:
    assert portal_date(datetime(2026, 3, 2, 1, 30, 5, tzinfo=UTC)) == "20260302083005"
    assert portal_date(None) == ""


def test_the_whole_dossier_in_the_portals_field_names_with_configured_codes() -> None:
    mapping = PortalMapping(status_codes={4: "DXL"}, procedure_codes={"1.001266": "2.000986"},
                            sector_codes={"Hộ tịch": "G09-TP03"})
    record = dossier_record(dossier(), None, "UBND phường", mapping)
    assert record["MaHoSo"] == "000.20.01.H36-260302-0001"
    assert record["MaTTHC"] == "2.000986" and record["TrangThaiHoSo"] == "DXL"
    assert record["NgayTiepNhan"] == record["NgayHenTra"] == "20260302083000"
    assert record["DonViXuLy"] == "UBND phường" and record["LoaiDoiTuong"] == "1" and record["HinhThuc"] == "0"
    assert set(record) >= {"ChuHoSo", "SoDienThoai", "Email", "TaiLieuNop", "DanhSachGiayToKetQua"}


def test_default_status_codes_are_motcuas_own() -> None:
    record = dossier_record(dossier(DossierStatus.SUPPLEMENT_REQUESTED), None, "u", PortalMapping())
    assert record["TrangThaiHoSo"] == "5"


def test_a_step_says_who_when_which_unit_what_and_its_due_date() -> None:
    event = HistoryEvent(dossier_id="d1", occurred_at=AT, action=ev.REQUEST_SUPPLEMENT,
                         from_status=DossierStatus.PROCESSING, to_status=DossierStatus.SUPPLEMENT_REQUESTED,
                         actor=Actor(subject="officer-lan", role=Role.PROCESSING_OFFICER, agency_code="x"))
    message = SyncMessage(dossier_id="d1", version=4, history_event_id=event.event_id, envelope_id="e",
                          occurred_at=AT, to_status=5, appointment_at=datetime(2026, 3, 9, 17, tzinfo=VN_TZ))
    step = progress_record(dossier(), event, message, "Phòng Tư pháp", PortalMapping())
    assert step == {"MaHoSo": "000.20.01.H36-260302-0001", "NguoiXuLy": "officer-lan", "ChucDanh": "Cán bộ xử lý",
                    "ThoiDiemXuLy": "20260302083000", "PhongBanXuLy": "Phòng Tư pháp",
                    "NoiDungXuLy": "Yêu cầu bổ sung hồ sơ", "TrangThai": "5", "NgayBatDau": "20260302083000",
                    "NgayKetThucTheoQuyDinh": "20260309170000"}


@pytest.mark.parametrize(("code", "expected"), [("00", "accepted"), ("0", "accepted"), ("401", "session_expired"),
                                                 ("02", "refused"), ("", "unavailable"), ("99", "unavailable")])
def test_answers_unknown_codes_are_retried_never_taken_as_accepted(code: str, expected: str) -> None:
    assert verdict(PortalAnswer(error_code=code), PortalMapping()) == expected


def test_the_queue_message_carries_ids_and_statuses_keyed_per_dossier_and_version() -> None:
    envelope = StatusChangedEnvelope(type="dossier.status_changed", occurred_at=AT, data=StatusChanged(
        dossier_id="d1", receipt_code="R", procedure_code="1.001266", procedure_name_vi="x", agency_code="a",
        action=ev.RECEIVE, from_status=None, to_status=StatusView(code=2, name_vi="Được tiếp nhận"),
        appointment_at=AT, history_event_id="h1", dossier_version=2))
    message = sync_message(envelope, 2)
    assert message.group_id == "d1" and message.deduplication_id == "d1#00000002#h1"
    body = message.model_dump_json()
    assert APPLICANT.full_name not in body and APPLICANT.phone not in body
