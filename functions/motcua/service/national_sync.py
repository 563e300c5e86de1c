"""Delivering a dossier's status changes to the national portal (docs/integrations.md §1), once each.

One :class:`~motcua.domain.national_portal.SyncMessage` per status change arrives on the FIFO sync queue,
grouped by dossier. For each:

1. Already acknowledged (its (dossier, version) step has an acknowledgement): nothing to do. A duplicate
   delivery, or a redrive of a step that got through, is answered without calling the portal.
2. The dossier has no whole-dossier acknowledgement yet: ``DongBoHoSoMC`` with the dossier as it stands. The
   portal's acceptance is written with the ``sync_national_portal`` history event (``synced``: true) in one
   transaction: that acknowledgement is the sync record indicator 1.4 counts. A refusal writes the event
   with ``synced``: false once, and the message is parked (fix, redrive).
3. ``CapNhatTienDoHoSoMC`` with the step (who, when, unit, what, the step's due date); its acknowledgement is
   recorded per (dossier, version). A step older than one already acknowledged (it was parked, then redriven)
   is sent too, then the whole dossier again with ``isUpdating``, so the portal is left on the current status.

Dossiers filed on the portal come the other way (``intake``): a message on the ``national-intake`` queue
becomes a submission through the one submission path.

The portal not answering raises :class:`PortalUnavailable` (retried with backoff by the consumer, then the
DLQ); what it refuses raises :class:`PortalRefused` (parked at once). Nothing here logs a record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from motcua.data import national_portal as acks
from motcua.data.national_portal import AckWrite
from motcua.data.repositories import DossierNotFound
from motcua.domain import actions as ev
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Channel, Procedure
from motcua.domain.dossier import Dossier, HistoryEvent, StaleDossier
from motcua.domain.errors import MotcuaError
from motcua.domain.national_portal import (
    SYNC_DOSSIER,
    UPDATE_PROGRESS,
    NationalPortal,
    PortalAnswer,
    PortalFiledDossier,
    PortalMapping,
    PortalRefused,
    PortalService,
    PortalUnavailable,
    SyncMessage,
    dossier_record,
    progress_record,
    sync_record_details,
    verdict,
)
from motcua.service.dossier_reads import DossierReads
from motcua.service.index.tracking import IndexTracker
from schemas.api import ApplicantIn, DossierSubmission, DossierView

SYNC_ACTOR = Actor(subject="national-portal-sync", role=Role.SYSTEM)
# The whole-dossier acknowledgement and the refusal record: one each per dossier, before any version's step.
FIRST_KEY = "00000000#" + SYNC_DOSSIER
REFUSED_KEY = "00000000#refused"


class SyncMessageInvalid(MotcuaError):
    """Can never be delivered (malformed, or naming a dossier or step that does not exist): parked."""

    code = "SYNC_MESSAGE_INVALID"
    http_status = 422


Outcome = Literal["delivered", "duplicate"]


@dataclass(frozen=True)
class SyncResult:
    outcome: Outcome
    sent: tuple[str, ...] = ()  # the portal services called, in order

    def as_dict(self) -> dict[str, object]:
        return {"outcome": self.outcome, "sent": list(self.sent)}


def _now() -> datetime:
    return datetime.now(VN_TZ)


@dataclass
class NationalSync:
    portal: NationalPortal
    mapping: PortalMapping = field(default_factory=PortalMapping)
    # The dossier core's read side and the index's writes: the sync records an acknowledgement, it never takes
    # a dossier action (so the sync function does not import the write side: docs/benchmarks.md, cold start).
    dossiers: DossierReads = field(default_factory=DossierReads)
    index: IndexTracker = field(default_factory=IndexTracker)
    clock: Callable[[], datetime] = _now
    stale_retries: int = 3

    def deliver(self, body: str) -> SyncResult:
        try:
            message = SyncMessage.model_validate_json(body)
        except ValidationError as error:
            raise SyncMessageInvalid({"reason": type(error).__name__}) from None
        done = {a.step_key: a for a in acks.acks_of(message.dossier_id)}
        if message.step_key in done:
            return SyncResult("duplicate")
        try:
            dossier = self.dossiers.dossiers.get(message.dossier_id)
        except DossierNotFound:
            raise SyncMessageInvalid({"dossier_id": message.dossier_id, "reason": "no such dossier"}) from None
        event = next((e for e in self.dossiers.dossiers.history(dossier.id) if e.event_id == message.history_event_id),
                     None)
        if event is None:
            raise SyncMessageInvalid({"dossier_id": dossier.id, "reason": "no such history event"})
        unit = self._unit_name(dossier)
        code = acks.national_code(dossier.id)
        sent: list[str] = []
        if FIRST_KEY not in done:
            self._sync_whole(dossier, message, unit, done, code)
            sent.append(SYNC_DOSSIER)
        answer = self._call(UPDATE_PROGRESS, progress_record(dossier, event, message, unit, self.mapping, code),
                            dossier)
        sent.append(UPDATE_PROGRESS)
        acks.record_ack(dossier.id, message.step_key, UPDATE_PROGRESS, answer, self.clock(), message.to_status)
        latest = max((a.version for a in done.values() if a.service == UPDATE_PROGRESS), default=0)
        if message.version < latest:  # a late step: leave the portal on the dossier's current status
            current = self.dossiers.dossiers.get(dossier.id)
            self._call(SYNC_DOSSIER, dossier_record(current, self._procedure(current), unit, self.mapping, code),
                       current, updating=True)
            sent.append(SYNC_DOSSIER)
        return SyncResult("delivered", tuple(sent))

    # -- steps ----------------------------------------------------------------------------------------------
    def _sync_whole(self, dossier: Dossier, message: SyncMessage, unit: str, done: dict[str, acks.Ack],
                    code: str | None) -> None:
        record = dossier_record(dossier, self._procedure(dossier), unit, self.mapping, code)
        try:  # a dossier filed on the portal is there already: updated, not created
            answer = self._call(SYNC_DOSSIER, record, dossier, updating=code is not None)
        except PortalRefused as refused:
            if REFUSED_KEY not in done:
                self._record(dossier.id, REFUSED_KEY, SYNC_DOSSIER, PortalAnswer(**refused.details), synced=False,
                             version=message.version)
            raise
        self._record(dossier.id, FIRST_KEY, SYNC_DOSSIER, answer, synced=True, version=message.version)

    def _call(self, service: PortalService, record: dict, dossier: Dossier, *, updating: bool = False) -> PortalAnswer:
        answer = self.portal.send(service, [record], updating=updating)
        match verdict(answer, self.mapping):
            case "accepted":
                return answer
            case "refused":
                raise PortalRefused({"error_code": answer.error_code, "message": answer.message})
            case _:
                raise PortalUnavailable({"error_code": answer.error_code, "dossier_id": dossier.id})

    def _record(self, dossier_id: str, key: str, service: PortalService, answer: PortalAnswer, *, synced: bool,
                version: int) -> None:
        """The sync record: the ``sync_national_portal`` event, the index's writes and the acknowledgement, in
        the one transaction of a status-neutral change (retried against a dossier that moved meanwhile)."""
        details = sync_record_details(answer, service, version)
        details[ev.D_SYNCED] = synced
        repository = self.dossiers.dossiers
        for attempt in range(self.stale_retries + 1):
            dossier = repository.get(dossier_id)
            now = self.clock()
            event = HistoryEvent(dossier_id=dossier_id, occurred_at=now, action=ev.SYNC_NATIONAL_PORTAL,
                                 from_status=dossier.status, to_status=dossier.status, actor=SYNC_ACTOR,
                                 details=details)
            changed = dossier.model_copy(update={"version": dossier.version + 1, "updated_at": now})
            write = AckWrite(dossier_id, key, service, answer, now, int(dossier.status))
            try:
                index = self.index.for_change(dossier, changed, [event])
                repository.save_change(changed, [event], index=index, extra=[write])
                return
            except StaleDossier:
                if attempt == self.stale_retries:
                    raise

    # -- catalogue ------------------------------------------------------------------------------------------
    def _procedure(self, dossier: Dossier) -> Procedure | None:
        return self.dossiers.catalogue.procedures().get(dossier.procedure_code)

    def _unit_name(self, dossier: Dossier) -> str:
        agency = self.dossiers.catalogue.agencies().get(dossier.current_agency)
        return agency.name_vi if agency is not None else dossier.current_agency


# --- dossiers filed on the portal ---------------------------------------------------------------------------

def intake(body: str, mapping: PortalMapping) -> DossierView:
    """A dossier filed on the national portal, through the one submission path (``service.submission``): the
    citizen's portal account submits it online, once per portal code (the key), whoever hands it over how many
    times. Its portal code is recorded first, so the sync back to the portal names the portal's dossier."""
    try:
        filed = PortalFiledDossier.model_validate_json(body)
    except ValidationError as error:
        raise SyncMessageInvalid({"reason": type(error).__name__}) from None
    # The submission path (the dossier core's write side) is the intake's alone: the sync function, which
    # shares this module, never submits. The intake's handler imports it at its own start (cold start).
    from motcua.service.dossiers import submitted_dossier_id
    from motcua.service.submission import submit_dossier

    citizen = Actor(subject=filed.TaiKhoanNop, role=Role.CITIZEN)
    try:
        submission = DossierSubmission(
            procedure_code=filed.procedure_code(mapping), agency_code=filed.MaDonVi, channel=Channel.ONLINE,
            applicant=ApplicantIn(full_name=filed.ChuHoSo, national_id=filed.SoGiayTo, phone=filed.SoDienThoai,
                                  email=filed.Email, address=filed.DiaChi))
    except ValidationError as error:  # which fields, never their values (personal data)
        fields = ",".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        raise SyncMessageInvalid({"reason": f"invalid fields: {fields}"}) from None
    acks.put_national_code(submitted_dossier_id(citizen.subject, filed.idempotency_key), filed.MaHoSo)
    return submit_dossier(submission, citizen, filed.idempotency_key)
