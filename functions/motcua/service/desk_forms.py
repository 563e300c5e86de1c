"""The forms the one-stop desk hands out, from the stored dossier (docs/documents.md §1):

* Form 01, the receipt and appointment slip (Decree 61/2018/NĐ-CP art. 19, Decree 118/2025/NĐ-CP; Circular
  01/2018/TT-VPCP and Circular 03/2025/TT-VPCP, Appendix I, Mẫu số 01): rendered the moment the dossier is
  received (a counter submission, the desk's ``receive`` of an online or postal dossier, or a supplement
  completing a dossier the desk found incomplete), stored in the documents bucket before the change that links
  it (``Dossier.receipt_slip_key``), as Form 04 is (``motcua.service.letters``).
* Form 06, the processing control slip (Circular 03/2025/TT-VPCP, Mẫu số 06; Mẫu số 05 of Circular
  01/2018/TT-VPCP): one row per hand-over of the dossier's stored history (``motcua.domain.handovers``), drawn
  on demand and, when the result is returned, stored with the result (``Result.control_slip_key``) as the
  slip that went with it.

Like the letters, the slip's object is content-addressed: a change that loses a race leaves an unlinked
object behind, never a linked one overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from motcua.data.documents import document_key, get_pdf
from motcua.domain.actors import Actor
from motcua.domain.calendar import default_calendar
from motcua.domain.catalogue import Agency, Channel, Procedure
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.errors import NotFound
from motcua.domain.handovers import handovers
from motcua.service.letters import Issuer, LetterSettings, Store, store_form


class ReceiptSlipNotIssued(NotFound):
    code = "RECEIPT_SLIP_NOT_ISSUED"
    message_vi = "Hồ sơ chưa được tiếp nhận nên chưa có Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
    message_en = "The dossier has not been received yet, so it has no receipt and appointment slip (Form 01)."


Fetch = Callable[[str], bytes]


def collect_at(dossier: Dossier, desk: str) -> str:
    """Where the result is returned, as the slip's line 6 says (UNSURE: the form leaves it to the desk;
    the citizen's later choice of a return method is recorded on the result)."""
    if dossier.channel is Channel.ONLINE:
        return f"Cổng Dịch vụ công (trực tuyến) hoặc {desk}"
    if dossier.channel is Channel.POST:
        return f"Qua dịch vụ bưu chính công ích hoặc tại {desk}"
    return desk


@dataclass
class ReceiptSlips:
    settings: LetterSettings = field(default_factory=LetterSettings)
    store: Store = field(default_factory=lambda: store_form("01"))
    fetch: Fetch = get_pdf

    def attach(self, before: Dossier | None, changed: Dossier, actor: Actor, procedure: Callable[[str], Procedure],
               agencies: Callable[[], Mapping[str, Agency]]) -> Dossier:
        """``changed`` with its Form 01 rendered and stored, if this change is the one that received it
        (``received_at`` set now; ``before`` is the dossier as read, None for a new one); else unchanged. The
        catalogue is read only then."""
        if changed.received_at is None or (before is not None and before.received_at is not None):
            return changed
        from motcua.documents import pdf  # fpdf2: only where a form is made (cold start, docs/benchmarks.md)
        from motcua.documents.forms import DESK_NAME, ReceiptSlip, describe_fee

        issuer = Issuer.of(changed.agency_code, agencies())
        slip = ReceiptSlip.from_dossier(
            changed, agency_name=issuer.name, place=self.settings.place_of(issuer.code),
            collect_at=collect_at(changed, f"{DESK_NAME} - {issuer.name}"),
            fee_status=describe_fee(procedure(changed.procedure_code).fee),
            # Officials are known by their account (the token carries no name); UNSURE until a directory does.
            officer_name=actor.subject,
            same_day_cutoff=default_calendar().office_hours(changed.agency_code).same_day_cutoff)
        rendered = pdf.render_receipt_slip(slip)
        key = document_key(changed.id, "form01", rendered.pdf)
        self.store(key, rendered.pdf)
        return changed.model_copy(update={"receipt_slip_key": key})

    def read(self, dossier: Dossier) -> bytes:
        if dossier.receipt_slip_key is None:
            raise ReceiptSlipNotIssued({"dossier_id": dossier.id})
        return self.fetch(dossier.receipt_slip_key)


@dataclass
class ControlSlips:
    settings: LetterSettings = field(default_factory=LetterSettings)
    store: Store = field(default_factory=lambda: store_form("06"))
    fetch: Fetch = get_pdf

    def render(self, dossier: Dossier, history: Iterable[HistoryEvent], agencies: Mapping[str, Agency]) -> bytes:
        """Form 06 of the dossier as its history stands (deterministic: the same history, the same bytes)."""
        from motcua.documents import pdf  # fpdf2: only where a form is made (cold start, docs/benchmarks.md)
        from motcua.documents.control_slip import ControlSlip
        from motcua.documents.forms import DESK_NAME

        issuer = Issuer.of(dossier.agency_code, agencies)
        slip = ControlSlip.from_handovers(
            dossier, handovers(dossier, history), agency_name=issuer.name, unit_name=DESK_NAME,
            place=self.settings.place_of(issuer.code),
            name_of=lambda code: Issuer.of(code, agencies).name if code else None)
        return pdf.render_control_slip(slip).pdf

    def attach(self, changed: Dossier, history: Iterable[HistoryEvent], agencies: Mapping[str, Agency]) -> Dossier:
        """On return: the slip as the returning change leaves the history, stored, linked on the result."""
        assert changed.result is not None  # returned results were decided first (the workflow's rule)
        rendered = self.render(changed, history, agencies)
        key = document_key(changed.id, "form06", rendered)
        self.store(key, rendered)
        return changed.model_copy(update={"result": changed.result.model_copy(update={"control_slip_key": key})})

    def read(self, dossier: Dossier, history: Iterable[HistoryEvent], agencies: Mapping[str, Agency]) -> bytes:
        """The stored slip of a returned dossier, else the slip drawn now from its history."""
        if dossier.result is not None and dossier.result.control_slip_key is not None:
            return self.fetch(dossier.result.control_slip_key)
        return self.render(dossier, history, agencies)
