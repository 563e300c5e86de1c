"""The forms the one-stop desk hands out, from the stored dossier (docs/documents.md §1):

* Form 01, the receipt and appointment slip (Decree 61/2018/NĐ-CP art. 19, Decree 118/2025/NĐ-CP; Circular
  01/2018/TT-VPCP and Circular 03/2025/TT-VPCP, Appendix I, Mẫu số 01): issued the moment the dossier is
  received (a counter submission, the desk's ``receive`` of an online or postal dossier, or a supplement
  completing a dossier the desk found incomplete). The change that receives it records the slip's key
  (``ReceiptSlips.draft``: named by the dossier and the reception instant, ``Dossier.receipt_slip_key``)
  without drawing it: a PDF costs more than the change's own DynamoDB work (docs/benchmarks.md, "actions").
  The slip is drawn after the commit by the consumer of the reception's ``dossier.status_changed`` envelope
  (``AnnouncedSlips``, called by the notifier before the notices, as the SLA sweep's Form 04 drafts are),
  from the dossier, the envelope's appointment and the reception's history event (the receiving officer).
  The outbox delivers that envelope at least once, so every drafted slip is drawn; it is stored only if its
  key is free, so a redelivery draws it once.
* Form 06, the processing control slip (Circular 03/2025/TT-VPCP, Mẫu số 06; Mẫu số 05 of Circular
  01/2018/TT-VPCP): one row per hand-over of the dossier's stored history (``motcua.domain.handovers``), drawn
  on demand and, when the result is returned, stored with the result (``Result.control_slip_key``) as the
  slip that went with it.

Form 06's object is content-addressed like the letters': a change that loses a race leaves an unlinked object
behind, never a linked one overwritten. Form 01's drafted key is written by the committed change only (one
reception, one key), so nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from motcua.data.documents import document_key, draft_key, find_pdf, get_pdf, pdf_exists, put_pdf_once
from motcua.data.repositories import CatalogueRepository, DossierNotFound, DossierRepository
from motcua.domain.calendar import default_calendar
from motcua.domain.catalogue import Agency, Channel, Procedure
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.errors import NotFound
from motcua.domain.events import StatusChangedEnvelope
from motcua.domain.handovers import handovers
from motcua.service.letters import Issuer, LetterSettings, Store, store_form

if TYPE_CHECKING:
    from motcua.documents.forms import ReceiptSlip


class ReceiptSlipNotIssued(NotFound):
    code = "RECEIPT_SLIP_NOT_ISSUED"
    message_vi = "Hồ sơ chưa được tiếp nhận nên chưa có Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
    message_en = "The dossier has not been received yet, so it has no receipt and appointment slip (Form 01)."


class ReceiptSlipPending(NotFound):
    code = "RECEIPT_SLIP_PENDING"
    message_vi = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả đang được lập; vui lòng thử lại sau ít giây."
    message_en = "The receipt and appointment slip (Form 01) is being issued; try again in a few seconds."


Fetch = Callable[[str], bytes]
Find = Callable[[str], "bytes | None"]
StoreOnce = Callable[[str, bytes], bool]


def _store_form01_once(key: str, pdf: bytes) -> bool:
    return put_pdf_once(key, pdf, form="01")


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
    store: StoreOnce = _store_form01_once
    find: Find = find_pdf
    exists: Callable[[str], bool] = pdf_exists

    def draft(self, before: Dossier | None, changed: Dossier) -> Dossier:
        """``changed`` with the key its Form 01 will be drawn under, if this change is the one that received it
        (``received_at`` set now; ``before`` is the dossier as read, None for a new one); else unchanged.
        Nothing is read or rendered here (``render_pending`` draws it after the commit)."""
        if changed.received_at is None or (before is not None and before.received_at is not None):
            return changed
        key = draft_key(changed.id, "form01", f"{changed.id}|{changed.received_at.isoformat()}")
        return changed.model_copy(update={"receipt_slip_key": key})

    def slip_for(self, dossier: Dossier, reception: HistoryEvent, appointment_at: datetime,
                 procedure: Procedure, agencies: Mapping[str, Agency]) -> ReceiptSlip:
        """The slip as the reception issued it: the dossier's facts, the appointment the reception gave, and
        the officer who received it (``reception.actor``)."""
        from motcua.documents.forms import DESK_NAME, ReceiptSlip, describe_fee

        issuer = Issuer.of(dossier.agency_code, agencies)
        return ReceiptSlip.from_dossier(
            dossier.model_copy(update={"appointment_at": appointment_at}), agency_name=issuer.name,
            place=self.settings.place_of(issuer.code),
            collect_at=collect_at(dossier, f"{DESK_NAME} - {issuer.name}"),
            fee_status=describe_fee(procedure.fee),
            # Officials are known by their account (the token carries no name); UNSURE until a directory does.
            officer_name=reception.actor.subject,
            same_day_cutoff=default_calendar().office_hours(dossier.agency_code).same_day_cutoff)

    def render_pending(self, dossier: Dossier, reception: HistoryEvent, appointment_at: datetime,
                       procedure: Procedure, agencies: Mapping[str, Agency]) -> bool:
        """Draw and store the dossier's drafted Form 01 unless it is stored already; True if stored now."""
        key = dossier.receipt_slip_key
        if key is None or self.exists(key):
            return False
        from motcua.documents import pdf  # fpdf2: only where a form is made (cold start, docs/benchmarks.md)

        return self.store(key, pdf.render_receipt_slip(
            self.slip_for(dossier, reception, appointment_at, procedure, agencies)).pdf)

    def read(self, dossier: Dossier) -> bytes:
        if dossier.receipt_slip_key is None:
            raise ReceiptSlipNotIssued({"dossier_id": dossier.id})
        body = self.find(dossier.receipt_slip_key)
        if body is None:  # received a moment ago: drawn once the reception's envelope is handled
            raise ReceiptSlipPending({"dossier_id": dossier.id})
        return body


@dataclass
class AnnouncedSlips:
    """The consumer of the reception's ``dossier.status_changed`` envelope that draws its Form 01 (the
    notifier calls it for every message, before the notices)."""

    slips: ReceiptSlips = field(default_factory=ReceiptSlips)
    dossiers: DossierRepository = field(default_factory=DossierRepository)
    catalogue: CatalogueRepository = field(default_factory=CatalogueRepository)

    def render(self, body: str) -> bool:
        """True if the message announced a reception whose slip was drawn and stored now. Any other message
        (another event, another status change, a malformed one, an unknown dossier) is left to the notifier's
        own checks; a stored slip is never drawn again."""
        try:
            envelope = StatusChangedEnvelope.model_validate_json(body)
        except ValidationError:
            return False
        if envelope.type != "dossier.status_changed":
            return False
        try:
            dossier = self.dossiers.get(envelope.data.dossier_id)
        except DossierNotFound:
            return False
        # The reception's own envelope: the event that set received_at (each event is announced at its instant).
        if dossier.receipt_slip_key is None or dossier.received_at != envelope.occurred_at:
            return False
        reception = next((e for e in self.dossiers.history(dossier.id)
                          if e.event_id == envelope.data.history_event_id), None)
        if reception is None:
            return False
        return self.slips.render_pending(dossier, reception, envelope.data.appointment_at,
                                         self.catalogue.procedure(dossier.procedure_code), self.catalogue.agencies())


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
