"""Form 06, the processing control slip (*Phiếu kiểm soát quá trình giải quyết hồ sơ*): what it says.

Circular 03/2025/TT-VPCP, Appendix I, Mẫu số 06; before it, Circular 01/2018/TT-VPCP, Appendix, Mẫu số 05
(same title: the 2025 circular inserted the stop notice as 05 and renumbered the slip). The form number follows
the dossier's rule version (docs/domain.md §1.1), as Form 04's title does. The slip's rows are the dossier's
hand-overs (``motcua.domain.handovers``): from which unit to which, when, the giver and the receiver, and the
step's verdict *trước hạn / đúng hạn / quá hạn*. LIKELY for the columns; the layout is UNSURE.

``motcua.documents.pdf.render_control_slip`` draws it; like ``forms``, this module imports no PDF library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from motcua.documents.layout import DocumentData, VnText
from motcua.domain.clock import Timeliness
from motcua.domain.dossier import Dossier
from motcua.domain.handovers import HandOver, Source
from motcua.domain.legal import rule_version_at, rule_version_named

CONTROL_SLIP_TITLE = "Phiếu kiểm soát quá trình giải quyết hồ sơ"
VERDICTS_VI: dict[Timeliness, str] = {
    Timeliness.EARLY: "Trước hạn",
    Timeliness.ON_TIME: "Đúng hạn",
    Timeliness.LATE: "Quá hạn",
}
SOURCES_VI: dict[Source, str] = {
    "steps": "Theo các bước của quy trình nội bộ",
    "status_history": "Theo lịch sử chuyển trạng thái hồ sơ (hồ sơ không theo quy trình nội bộ)",
}


def control_slip_number(rule_version: str | None, received_at: datetime | None) -> str:
    """``05`` under Circular 01/2018/TT-VPCP, ``06`` from Circular 03/2025/TT-VPCP."""
    if rule_version is not None:
        version = rule_version_named(rule_version)
    elif received_at is not None:
        version = rule_version_at(received_at)
    else:
        return "06"
    return "05" if version.id == "nd61-2018" else "06"


class SlipRow(DocumentData):
    at: AwareDatetime
    from_unit: VnText = Field(min_length=1)
    giver: VnText | None = None
    to_unit: VnText | None = None
    receiver: VnText | None = None
    verdict: Literal["early", "on_time", "late"] | None = None
    step: VnText | None = None


class ControlSlip(DocumentData):
    agency_name: VnText = Field(min_length=1)
    unit_name: VnText = Field(min_length=1)
    place: VnText = Field(min_length=1)
    form_number: Literal["05", "06"]
    receipt_code: VnText = Field(min_length=1)
    applicant_name: VnText = Field(min_length=1)
    procedure_name: VnText = Field(min_length=1)
    received_at: AwareDatetime | None
    appointment_at: AwareDatetime
    handling_agencies: tuple[VnText, ...] = ()  # the liên thông agencies it went through
    rows: tuple[SlipRow, ...] = ()
    source: Source
    as_of: AwareDatetime = Field(description="The last fact the slip shows: its date line and the PDF's date")

    @classmethod
    def from_handovers(cls, dossier: Dossier, rows: Iterable[HandOver], *, agency_name: str, unit_name: str,
                       place: str, name_of: Callable[[str | None], str | None]) -> ControlSlip:
        """``name_of`` prints an agency code as its name (None stays None)."""
        listed = list(rows)

        def unit(text: str | None, agency: str | None) -> str | None:
            if text is None:
                return None
            where = name_of(agency)
            return f"{text} - {where}" if where and where != agency_name else text

        slip_rows = tuple(SlipRow(at=r.at, from_unit=unit(r.from_unit, r.from_agency) or r.from_unit, giver=r.giver,
                                  to_unit=unit(r.to_unit, r.to_agency), receiver=r.receiver,
                                  verdict=r.verdict.value if r.verdict else None, step=r.step) for r in listed)
        others = tuple(n for n in (name_of(a) for a in dossier.involved_agencies) if n)
        return cls(agency_name=agency_name, unit_name=unit_name, place=place,
                   form_number=control_slip_number(dossier.rule_version, dossier.received_at),  # type: ignore[arg-type]
                   receipt_code=dossier.receipt_code, applicant_name=dossier.applicant.full_name,
                   procedure_name=dossier.procedure_name_vi, received_at=dossier.received_at,
                   appointment_at=dossier.appointment_at, handling_agencies=others, rows=slip_rows,
                   source=listed[0].source if listed else "status_history",
                   as_of=max([dossier.submitted_at, *(r.at for r in listed)]))
