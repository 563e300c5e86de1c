"""Dossier use cases: the glue between the API/queue handlers, the pure domain and the repositories."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from motcua.data.citizen_store import StoredDocumentWrite
from motcua.data.rate_limits import RateCounters
from motcua.data.repositories import (
    AppliedKey,
    CatalogueRepository,
    DossierAlreadyExists,
    DossierRepository,
    TransactionPart,
)
from motcua.data.tasks import TaskWrites
from motcua.domain import limits
from motcua.domain.access import ensure_can_read, require_role
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Channel, Procedure
from motcua.domain.commands import (
    STEP_ACTIONS,
    ActionBody,
    ActionName,
    AssignStep,
    CompleteStep,
    ReceiveSupplement,
    Transfer,
)
from motcua.domain.dossier import (
    Applicant,
    AttachmentIn,
    Dossier,
    HistoryEvent,
    StaleDossier,
    appointment_if_submitted,
    open_dossier,
)
from motcua.domain.errors import IdempotencyKeyReused, InvalidInput, MotcuaError
from motcua.domain.receipt import receipt_code
from motcua.domain.status import DossierStatus, StatusView
from motcua.domain.workflow import StepPayloadInvalid, apply_action, status_action
from motcua.service.citizen_store import CitizenStore, ResultIssuer
from motcua.service.desk_forms import ControlSlips, ReceiptSlips
from motcua.service.index.tracking import IndexTracker
from motcua.service.letters import ApologyLetters
from motcua.service.steps import StepDesk
from motcua.settings import environment
from schemas.api import (
    AppointmentPreview,
    AuditEventView,
    DossierSubmission,
    DossierSummary,
    DossierView,
    HistoryEventView,
    PersonalDataExport,
    TrackingView,
)


class AgencyRequired(InvalidInput):
    code = "AGENCY_REQUIRED"
    http_status = 422
    message_vi = "Thủ tục cấp xã cần chọn xã, phường nơi nộp hồ sơ (agency_code)."
    message_en = "A commune-level procedure needs the commune (agency_code) to submit to."


class AgencyNotFound(InvalidInput):
    code = "AGENCY_NOT_FOUND"
    http_status = 422
    message_vi = "Không tìm thấy cơ quan."
    message_en = "Agency not found."


class AgencyNotCompetent(InvalidInput):
    code = "AGENCY_NOT_COMPETENT"
    http_status = 422
    message_vi = "Cơ quan đã chọn không có thẩm quyền giải quyết thủ tục này."
    message_en = "The chosen agency is not competent for this procedure."


# Audit-only history actions: they change nothing and the index ignores them.
REJECTED_ACTION = "action_rejected"
READ_ACTION = "read_personal_data"


SUBMISSION_NAMESPACE = uuid.UUID("6f1d2a7c-3b0e-5c8a-9d4f-2e6b8a1c0d3e")


# Who may submit a dossier: the citizen (online), the reception desk (at the counter, for the citizen).
SUBMITTERS = (Role.CITIZEN, Role.RECEPTION_OFFICER)


def require_submitter(actor: Actor) -> None:
    require_role(actor, *SUBMITTERS)


def submitted_dossier_id(subject: str, idempotency_key: str) -> str:
    """The id of the dossier a submitter's key creates: the same for every retry under the key."""
    return uuid.uuid5(SUBMISSION_NAMESPACE, f"{subject}\n{idempotency_key}").hex


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


@dataclass
class DossierService:
    catalogue: CatalogueRepository = field(default_factory=CatalogueRepository)
    dossiers: DossierRepository = field(default_factory=DossierRepository)
    clock: Callable[[], datetime] = now_vn
    stale_retries: int = 2
    letters: ApologyLetters = field(default_factory=ApologyLetters)  # Form 04 (docs/domain.md §4.7)
    slips: ReceiptSlips = field(default_factory=ReceiptSlips)  # Form 01, on reception (docs/documents.md §1)
    control_slips: ControlSlips = field(default_factory=ControlSlips)  # Form 06, at return and on demand
    index: IndexTracker = field(default_factory=IndexTracker)  # the monthly index's writes
    store: CitizenStore = field(default_factory=CitizenStore)  # the citizen's document store
    results: ResultIssuer = field(default_factory=ResultIssuer)  # signed electronic results
    rate_counters: RateCounters = field(default_factory=RateCounters)
    steps: StepDesk = field(default_factory=StepDesk)  # the internal procedure (docs/domain.md §11.4)

    def competent_agency(self, procedure: Procedure, requested: str | None) -> str:
        competent = procedure.competent_agency
        if competent.kind == "department":
            if requested not in (None, competent.agency_code):
                raise AgencyNotCompetent({"procedure_code": procedure.code, "agency_code": requested,
                                          "competent_agency_code": competent.agency_code})
            assert competent.agency_code is not None  # the catalogue model guarantees it for departments
            return competent.agency_code
        if requested is None:
            raise AgencyRequired({"procedure_code": procedure.code})
        agency = self.catalogue.agencies().get(requested)
        if agency is None or agency.kind != "commune":
            raise AgencyNotCompetent({"procedure_code": procedure.code, "agency_code": requested})
        return requested

    def submit(self, submission: DossierSubmission, actor: Actor, request_id: str | None = None,
               idempotency_key: str | None = None) -> Dossier:
        require_submitter(actor)
        procedure = self.catalogue.procedure(submission.procedure_code)
        agency_code = self.competent_agency(procedure, submission.agency_code)
        now = self.clock()
        # Derived from the caller's idempotency key when there is one: a retry after a lost answer finds the
        # dossier its first attempt wrote instead of creating a second one (a guard under Powertools').
        dossier_id = submitted_dossier_id(actor.subject, idempotency_key) if idempotency_key else uuid.uuid4().hex
        applicant = Applicant(**submission.applicant.model_dump())
        # Stored documents reused (the citizen's own, still valid), uploads recorded in their store.
        at_desk = actor.role is Role.RECEPTION_OFFICER and submission.channel is Channel.COUNTER
        resolved = self.store.resolve(submission.attachments, actor.subject, now,
                                      "digitised_at_desk" if at_desk else "uploaded")
        records: list[StoredDocumentWrite] = []
        if actor.role is Role.CITIZEN:
            resolved, records = self.store.record_uploads(dossier_id, actor.subject, submission.attachments, resolved,
                                                          now)
        else:
            self.store.verify_uploads([a.key for a in resolved if a.source != "reused"], actor.subject)
        attachments = tuple(resolved)
        digest = hashlib.sha256(submission.model_dump_json().encode()).hexdigest()

        def build(sequence: int) -> tuple[Dossier, HistoryEvent]:
            dossier, event = open_dossier(
                dossier_id=dossier_id,
                receipt_code=receipt_code(agency_code, now, sequence),
                procedure=procedure,
                agency_code=agency_code,
                channel=submission.channel,
                applicant=applicant,
                attachments=attachments,
                submitted_by=actor,
                owner=actor.subject,
                now=now,
                request_id=request_id,
                submission_digest=digest,
            )
            # At the counter the dossier is received as it is opened: its Form 01 now (the code is known).
            return self.slips.attach(None, dossier, actor, lambda _: procedure, self.catalogue.agencies), event

        def then(dossier: Dossier, event: HistoryEvent) -> tuple[Dossier, list[HistoryEvent], TaskWrites]:
            # Received at the counter: the internal procedure starts with the dossier (docs/domain.md §11.4).
            changed, events, writes = self.steps.follow(None, dossier, [event], actor, now, request_id)
            return changed, events[1:], writes

        try:
            return self.dossiers.create(agency_code, now, build, index=self.index.for_new, extra=records,
                                        then=then)
        except DossierAlreadyExists:
            existing = self.dossiers.get(dossier_id)
            if existing.submission_digest != digest:  # the key's first body, not this one
                raise IdempotencyKeyReused({"dossier_id": dossier_id}) from None
            return existing

    def act(self, dossier_id: str, action: ActionName, body: ActionBody, actor: Actor,
            request_id: str | None = None, applied: AppliedKey | None = None) -> Dossier:
        """Take one action on the stored dossier; written with its history and outbox in one transaction,
        guarded by the version read here (a concurrent change makes this a 409, never a lost update).
        ``applied``: the caller's idempotency key, committed with the change (``motcua.service.actions``)."""
        if isinstance(body, Transfer) and body.to_agency_code not in self.catalogue.agencies():
            raise AgencyNotFound({"agency_code": body.to_agency_code})
        for attempt in range(self.stale_retries + 1):
            try:
                return self._act_once(dossier_id, action, body, actor, request_id, applied)
            except StaleDossier:
                # Someone else's write (an SLA timer, another desk) landed between our read and our write. A
                # client that named the version it saw gets the 409; otherwise the action is decided again
                # against the new record, so a benign race never loses a queued back-office action.
                if body.expected_version is not None or attempt == self.stale_retries:
                    raise
        raise AssertionError("unreachable")

    def _act_once(self, dossier_id: str, action: ActionName, body: ActionBody, actor: Actor,
                  request_id: str | None, applied: AppliedKey | None) -> Dossier:
        dossier = self.dossiers.get(dossier_id)
        now = self.clock()
        if isinstance(body, ReceiveSupplement) and any(x.document_id for x in body.attachments):
            body = self._with_stored_documents(body, dossier, now)  # reused from the store, checked
        if isinstance(body, CompleteStep) and body.payload.get("attachments"):
            # Supplemented papers are checked as the citizen's own (uploads, stored documents) on their route.
            raise StepPayloadInvalid({"reason": "attachments come with receive_supplement, not complete_step"})
        if isinstance(body, AssignStep):
            self.steps.check_officers(dossier, body.lead, body.supporting)
        process = self.steps.definition_for(dossier, now)
        changed, events = apply_action(dossier, action, body, actor, now, request_id, process=process)
        changed, events, task_items = self.steps.assign_entered(dossier, changed, events, process, now, request_id)
        # A completed step whose status change is a decision is that decision (docs/domain.md §11.4).
        taken = status_action(dossier.status, changed.status) if action in STEP_ACTIONS else action
        if isinstance(body, ReceiveSupplement):  # uploads: the caller's own, as declared
            self.store.verify_uploads([x.key for x in body.attachments if x.key and not x.document_id], actor.subject)
        extra: list[TransactionPart] = [task_items]
        # Received by this change (receive, or a supplement completing a dossier found incomplete): Form 01.
        changed = self.slips.attach(dossier, changed, actor, self.catalogue.procedure, self.catalogue.agencies)
        if action is ActionName.APOLOGISE:  # the letter is rendered and stored first; this change links it
            changed = self.letters.attach(changed, self.catalogue.agencies())
        elif taken is ActionName.DECIDE:  # the signed electronic result, stored first, linked here
            changed, added, stored = self.results.issue(
                changed, events, self.catalogue.procedure(dossier.procedure_code), self.catalogue.agencies(),
                self._owner_is_citizen(dossier), now)
            events = [*events, *added]
            extra.extend(stored)
        elif taken is ActionName.RETURN_RESULT:  # Form 06 with the result, its last row this return
            changed = self.control_slips.attach(changed, [*self.dossiers.history(dossier.id), *events],
                                                self.catalogue.agencies())
        return self.dossiers.save_change(changed, events, correlation_id=request_id,
                                         index=self.index.for_change(dossier, changed, events), applied=applied,
                                         extra=extra)

    def _with_stored_documents(self, body: ReceiveSupplement, dossier: Dossier, now: datetime) -> ReceiveSupplement:
        resolved = self.store.resolve(body.attachments, dossier.owner, now)
        # Built without validation on purpose: a stored document's key is not an upload key.
        attachments = [AttachmentIn.model_construct(key=a.key, document_name=a.document_name, document_id=a.document_id)
                       for a in resolved]
        return body.model_copy(update={"attachments": attachments})

    def _owner_is_citizen(self, dossier: Dossier) -> bool:
        history = self.dossiers.history(dossier.id)
        return bool(history) and history[0].actor.role is Role.CITIZEN and history[0].actor.subject == dossier.owner

    def record_rejection(self, dossier_id: str, action: str, error: MotcuaError, actor: Actor,
                         request_id: str | None) -> None:
        """A queued action that conflicts with the stored record is refused and the refusal kept on the
        dossier's audit trail (status unchanged)."""
        dossier = self.dossiers.get(dossier_id)
        self.dossiers.append_history(HistoryEvent(
            dossier_id=dossier.id, occurred_at=self.clock(), action=REJECTED_ACTION, from_status=dossier.status,
            to_status=dossier.status, actor=actor, note=error.message_vi,
            details={"action": action, "code": error.code, "reason": error.message_en, **error.details},
            request_id=request_id))

    def audit_read(self, dossier: Dossier, actor: Actor, request_id: str | None) -> None:
        """Officials' reads of personal data are on the trail too (who, role, agency, when)."""
        if actor.role is Role.CITIZEN:
            return
        self.dossiers.append_history(HistoryEvent(
            dossier_id=dossier.id, occurred_at=self.clock(), action=READ_ACTION, from_status=dossier.status,
            to_status=dossier.status, actor=actor, details={"agency_code": actor.agency_code},
            request_id=request_id))

    def mine(self, actor: Actor, limit: int, after: str | None) -> tuple[list[DossierSummary], str | None]:
        require_role(actor, Role.CITIZEN)
        dossiers, token = self.dossiers.owned_by(actor.subject, limit=limit, after=after)
        return [DossierSummary(
            id=d.id, receipt_code=d.receipt_code, procedure_code=d.procedure_code,
            procedure_name_vi=d.procedure_name_vi, status=status_view(d.status), submitted_at=d.submitted_at,
            appointment_at=d.appointment_at, appointment_is_provisional=d.appointment_is_provisional,
        ) for d in dossiers], token

    def export(self, actor: Actor) -> PersonalDataExport:
        """All of a citizen's dossiers with their full trails (other sources add their own parts)."""
        require_role(actor, Role.CITIZEN)
        views, after = [], None
        while True:
            page, after = self.dossiers.owned_by(actor.subject, limit=100, after=after)
            views += [dossier_view(d, self.dossiers.history(d.id)) for d in page]
            if after is None:
                return PersonalDataExport(subject=actor.subject, generated_at=self.clock(), dossiers=views)

    def preview(self, procedure_code: str, agency_code: str | None, channel: Channel,
                submitted_at: datetime | None) -> AppointmentPreview:
        procedure = self.catalogue.procedure(procedure_code)
        agency = self.competent_agency(procedure, agency_code)
        at = submitted_at or self.clock()
        starts_at, appointment = appointment_if_submitted(procedure, channel, at, agency)
        return AppointmentPreview(procedure_code=procedure.code, agency_code=agency, channel=channel,
                                  submitted_at=at, clock_starts_at=starts_at, appointment_at=appointment,
                                  time_limit=procedure.time_limit)

    def readable(self, dossier_id: str, actor: Actor, request_id: str | None = None) -> Dossier:
        dossier = self.dossiers.get(dossier_id)
        ensure_can_read(actor, dossier.owner, dossier.agencies)
        self.audit_read(dossier, actor, request_id)
        return dossier

    def control_slip(self, dossier_id: str, actor: Actor, request_id: str | None = None) -> tuple[Dossier, bytes]:
        """Form 06 for whoever may read the dossier: stored with a returned result, else drawn now."""
        dossier = self.readable(dossier_id, actor, request_id)
        return dossier, self.control_slips.read(dossier, self.dossiers.history(dossier_id), self.catalogue.agencies())

    def view(self, dossier_id: str, actor: Actor, request_id: str | None = None) -> DossierView:
        dossier = self.readable(dossier_id, actor, request_id)
        return dossier_view(dossier, self.dossiers.history(dossier_id))

    def track(self, code: str, client: str | None = None) -> TrackingView:
        """Public tracking; ``client`` (the caller's address) is held to the per-client lookup limit."""
        if client is not None:
            policy = limits.tracking(environment().track_lookups_per_hour)
            now = self.clock()
            start = policy.window_start(now)
            policy.check(self.rate_counters.hit(policy.name, client, start, policy.window), now)
        dossier = self.dossiers.get_by_receipt(code)
        return TrackingView(
            receipt_code=dossier.receipt_code,
            procedure_code=dossier.procedure_code,
            procedure_name_vi=dossier.procedure_name_vi,
            status=status_view(dossier.status),
            submitted_at=dossier.submitted_at,
            appointment_at=dossier.appointment_at,
            appointment_is_provisional=dossier.appointment_is_provisional,
            updated_at=dossier.updated_at,
        )


def status_view(status: DossierStatus) -> StatusView:
    return StatusView(code=int(status), name_vi=status.name_vi)


def dossier_view(dossier: Dossier, history: list[HistoryEvent] | None = None) -> DossierView:
    return DossierView(
        id=dossier.id,
        receipt_code=dossier.receipt_code,
        procedure_code=dossier.procedure_code,
        procedure_name_vi=dossier.procedure_name_vi,
        agency_code=dossier.agency_code,
        channel=dossier.channel,
        status=status_view(dossier.status),
        applicant=dossier.applicant.model_dump(),  # type: ignore[arg-type]
        attachments=[a.model_dump() for a in dossier.attachments],  # type: ignore[misc]
        submitted_at=dossier.submitted_at,
        received_at=dossier.received_at,
        appointment_at=dossier.appointment_at,
        appointment_is_provisional=dossier.appointment_is_provisional,
        due_at=dossier.due_at,
        rule_version=dossier.rule_version,
        version=dossier.version,
        handling_agency_code=dossier.handling_agency_code,
        supplement_requests=dossier.supplement_requests,
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        apology=dossier.apology.model_dump(mode="json") if dossier.apology else None,
        history=[
            HistoryEventView(event_id=e.event_id, occurred_at=e.occurred_at, action=e.action,
                             from_status=status_view(e.from_status) if e.from_status else None,
                             to_status=status_view(e.to_status),
                             actor_role=e.actor.role.value, note=e.note)
            for e in (history or [])
        ],
    )


def audit_view(event: HistoryEvent) -> AuditEventView:
    return AuditEventView(
        event_id=event.event_id, occurred_at=event.occurred_at, action=event.action,
        from_status=status_view(event.from_status) if event.from_status else None,
        to_status=status_view(event.to_status), actor_subject=event.actor.subject,
        actor_role=event.actor.role.value, actor_agency_code=event.actor.agency_code, note=event.note,
        details=event.details, request_id=event.request_id,
    )
