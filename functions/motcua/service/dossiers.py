"""Dossier use cases: the glue between the API/queue handlers, the pure domain and the repositories."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from motcua.data.rate_limits import RateCounters
from motcua.data.repositories import (
    AppliedKey,
    CatalogueRepository,
    DossierAlreadyExists,
    DossierRepository,
    TransactionPart,
)
from motcua.domain.access import require_role
from motcua.domain.actors import Actor, Role
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
    open_dossier,
)
from motcua.domain.errors import IdempotencyKeyReused, MotcuaError
from motcua.domain.receipt import receipt_code
from motcua.service.dossier_reads import (  # noqa: F401  (the read side's names, where they were)
    READ_ACTION,
    AgencyNotCompetent,
    AgencyNotFound,
    AgencyRequired,
    DossierReads,
    audit_view,
    dossier_view,
    now_vn,
    status_view,
)
from schemas.api import (
    AppointmentPreview,
    DossierSubmission,
    DossierSummary,
    DossierView,
    PersonalDataExport,
    TrackingView,
)

if TYPE_CHECKING:
    from motcua.data.citizen_store import StoredDocumentWrite
    from motcua.data.tasks import TaskWrites
    from motcua.service.citizen_store import CitizenStore, ResultIssuer
    from motcua.service.desk_forms import ControlSlips, ReceiptSlips
    from motcua.service.index.tracking import IndexTracker
    from motcua.service.letters import ApologyLetters
    from motcua.service.steps import StepDesk

# Audit-only history action: a refused queued action changes nothing and the index ignores it.
REJECTED_ACTION = "action_rejected"


SUBMISSION_NAMESPACE = uuid.UUID("6f1d2a7c-3b0e-5c8a-9d4f-2e6b8a1c0d3e")


# Who may submit a dossier: the citizen (online), the reception desk (at the counter, for the citizen).
SUBMITTERS = (Role.CITIZEN, Role.RECEPTION_OFFICER)


def require_submitter(actor: Actor) -> None:
    require_role(actor, *SUBMITTERS)


def submitted_dossier_id(subject: str, idempotency_key: str) -> str:
    """The id of the dossier a submitter's key creates: the same for every retry under the key."""
    return uuid.uuid5(SUBMISSION_NAMESPACE, f"{subject}\n{idempotency_key}").hex


@dataclass
class DossierService:
    """The dossier's use cases. Its repositories and clock are its ``reads``' (``service.dossier_reads``), and
    it answers the reads through them: the groups that only read share them without importing this.

    What only the writes use (the forms, the letters, the document store, the internal procedure, the index)
    is made on its first use, its modules imported then: a cold start loads the read side and the routes, and
    a route's first request what that route needs (docs/benchmarks.md, cold start)."""

    reads: DossierReads = field(default_factory=DossierReads)
    stale_retries: int = 2

    @cached_property
    def letters(self) -> ApologyLetters:
        """Form 04 (docs/domain.md §4.7)."""
        from motcua.service.letters import ApologyLetters

        return ApologyLetters()

    @cached_property
    def slips(self) -> ReceiptSlips:
        """Form 01, drafted on reception (docs/documents.md §1)."""
        from motcua.service.desk_forms import ReceiptSlips

        return ReceiptSlips()

    @cached_property
    def control_slips(self) -> ControlSlips:
        """Form 06, at return and on demand."""
        from motcua.service.desk_forms import ControlSlips

        return ControlSlips()

    @cached_property
    def store(self) -> CitizenStore:
        """The citizen's document store."""
        from motcua.service.citizen_store import CitizenStore

        return CitizenStore()

    @cached_property
    def results(self) -> ResultIssuer:
        """Signed electronic results."""
        from motcua.service.citizen_store import ResultIssuer

        return ResultIssuer()

    @cached_property
    def steps(self) -> StepDesk:
        """The internal procedure (docs/domain.md §11.4)."""
        from motcua.service.steps import StepDesk

        return StepDesk()

    @cached_property
    def index(self) -> IndexTracker:
        """The monthly index's writes (``motcua.domain.index``, its store)."""
        from motcua.service.index.tracking import IndexTracker

        return IndexTracker()

    @property
    def catalogue(self) -> CatalogueRepository:
        return self.reads.catalogue

    @property
    def dossiers(self) -> DossierRepository:
        return self.reads.dossiers

    @property
    def rate_counters(self) -> RateCounters:
        return self.reads.rate_counters

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.reads.clock

    @clock.setter
    def clock(self, value: Callable[[], datetime]) -> None:  # the reads' clock: one per service, both sides
        self.reads.clock = value

    def competent_agency(self, procedure: Procedure, requested: str | None) -> str:
        return self.reads.competent_agency(procedure, requested)

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
            # At the counter the dossier is received as it is opened: its Form 01's key now, drawn after the commit.
            return self.slips.draft(None, dossier), event

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
        from motcua.domain.workflow import StepPayloadInvalid, apply_action, status_action  # the writes only

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
        # Received by this change (receive, or a supplement completing a dossier found incomplete): Form 01's
        # key; the slip is drawn after the commit, from the reception's envelope (service/desk_forms.py).
        changed = self.slips.draft(dossier, changed)
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

    def control_slip(self, dossier_id: str, actor: Actor, request_id: str | None = None) -> tuple[Dossier, bytes]:
        """Form 06 for whoever may read the dossier: stored with a returned result, else drawn now."""
        dossier = self.readable(dossier_id, actor, request_id)
        return dossier, self.control_slips.read(dossier, self.dossiers.history(dossier_id), self.catalogue.agencies())

    # The reads, answered by ``reads`` (service.dossier_reads).
    def audit_read(self, dossier: Dossier, actor: Actor, request_id: str | None) -> None:
        self.reads.audit_read(dossier, actor, request_id)

    def mine(self, actor: Actor, limit: int, after: str | None) -> tuple[list[DossierSummary], str | None]:
        return self.reads.mine(actor, limit, after)

    def export(self, actor: Actor) -> PersonalDataExport:
        return self.reads.export(actor)

    def preview(self, procedure_code: str, agency_code: str | None, channel: Channel,
                submitted_at: datetime | None) -> AppointmentPreview:
        return self.reads.preview(procedure_code, agency_code, channel, submitted_at)

    def readable(self, dossier_id: str, actor: Actor, request_id: str | None = None) -> Dossier:
        return self.reads.readable(dossier_id, actor, request_id)

    def view(self, dossier_id: str, actor: Actor, request_id: str | None = None) -> DossierView:
        return self.reads.view(dossier_id, actor, request_id)

    def track(self, code: str, client: str | None = None) -> TrackingView:
        return self.reads.track(code, client)
