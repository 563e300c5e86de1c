"""Citizens' feedback use cases (docs/feedback.md): filing, the agency's steps, the citizen's reply and rating, reads,
the public answers, and firing the step timers for the SLA sweep. Rules are the pure
``motcua.domain.feedback``; storage is ``motcua.data.feedback``.

A step on feedback about a dossier also appends its ``feedback_*`` event to the dossier's trail (status
unchanged, version + 1) with the monthly index's writes, in the same transaction as the feedback itself: the
index's 5.1-5.3 read exactly these. If an officer's action lands on the dossier in between, the step re-reads
the dossier and is written again (the feedback's own version still guards it). Feedback about a procedure or
an agency has no dossier trail: the step's counter ADDs for the responsible agency and its index row
(``motcua.service.index.tracking.plan_feedback_change``) go into the same transaction as the feedback, guarded by its
version, so each feedback counts exactly once.

Exactly once: filing derives the feedback's id from the citizen and their Idempotency-Key (a retry finds the
feedback its first attempt wrote); the API's entry points (``motcua.service.feedback_api``) each have their own
Powertools store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from motcua.data.feedback import DossierTrail, FeedbackAlreadyExists, FeedbackRepository
from motcua.data.repositories import CatalogueRepository, DossierRepository
from motcua.domain.access import DossierAccessDenied, require_role
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.dossier import HistoryEvent, StaleDossier
from motcua.domain.feedback import (
    Feedback,
    FeedbackAbout,
    FeedbackAction,
    FeedbackAgencyRequired,
    FeedbackEvent,
    StaleFeedback,
)
from motcua.domain.feedback import steps as feedback_steps
from motcua.domain.feedback.steps import StepInput
from motcua.domain.redaction import redact
from motcua.service.dossier_reads import AgencyNotFound, competent_agency, now_vn
from schemas.feedback import (
    AnswerFeedback,
    DeadlinesView,
    FeedbackEventView,
    FeedbackIn,
    FeedbackStepBody,
    FeedbackSummary,
    FeedbackView,
    ProvideFeedbackInfo,
    PublicFeedbackView,
    PublishFeedback,
    RateFeedback,
    RefuseFeedback,
    RemovedView,
    RequestFeedbackInfo,
    StepView,
)

if TYPE_CHECKING:
    from motcua.domain.feedback.timers import FeedbackFiring
    from motcua.service.citizen_store import CitizenStore
    from motcua.service.index.tracking import IndexTracker

STEP_BODIES: dict[FeedbackAction, type[FeedbackStepBody]] = {
    FeedbackAction.REFUSE: RefuseFeedback,
    FeedbackAction.REQUEST_INFO: RequestFeedbackInfo,
    FeedbackAction.PROVIDE_INFO: ProvideFeedbackInfo,
    FeedbackAction.ANSWER: AnswerFeedback,
    FeedbackAction.PUBLISH: PublishFeedback,
    FeedbackAction.RATE: RateFeedback,
}
_TRAIL_NAMESPACE = uuid.UUID("9e4b7a10-2c55-4f3e-8d61-5a0f3b7c9e22")
PUBLIC_TEXT_LIMIT = 10_000


def step_input(body: FeedbackStepBody) -> StepInput:
    """The pure step's input from an API body."""
    common: dict[str, Any] = {"note": body.note, "expected_version": body.expected_version}
    if isinstance(body, RefuseFeedback):
        return StepInput(text=body.reason, **common)
    if isinstance(body, RequestFeedbackInfo):
        return StepInput(text=body.request, **common)
    if isinstance(body, ProvideFeedbackInfo):
        return StepInput(text=body.reply, attachments=tuple(body.attachments), **common)
    if isinstance(body, AnswerFeedback):
        return StepInput(text=body.answer, public=body.public, **common)
    if isinstance(body, PublishFeedback):
        return StepInput(question_summary=body.question_summary, published_text=body.answer, **common)
    if isinstance(body, RateFeedback):
        return StepInput(satisfied=body.satisfied, text=body.comment, **common)
    raise TypeError(type(body).__name__)


@dataclass
class FeedbackService:
    feedback: FeedbackRepository = field(default_factory=FeedbackRepository)
    dossiers: DossierRepository = field(default_factory=DossierRepository)
    catalogue: CatalogueRepository = field(default_factory=CatalogueRepository)
    clock: Callable[[], datetime] = now_vn
    trail_attempts: int = 4

    # What only the writes use is made on its first use: a read's cold start imports neither.
    @cached_property
    def index(self) -> IndexTracker:
        """The monthly index's writes (``motcua.domain.index``, its store)."""
        from motcua.service.index.tracking import IndexTracker

        return IndexTracker()

    @cached_property
    def uploads(self) -> CitizenStore:
        """Checks the uploads a filing or a step attaches."""
        from motcua.service.citizen_store import CitizenStore

        return CitizenStore()

    # -- writes -------------------------------------------------------------------------------------------
    def file(self, body: FeedbackIn, actor: Actor, request_id: str | None = None,
             idempotency_key: str | None = None) -> Feedback:
        require_role(actor, Role.CITIZEN)
        self.uploads.verify_uploads(body.attachments, actor.subject)  # the author's own uploads, as declared
        now = self.clock()
        dossier_id = receipt = procedure_code = None
        if body.about is FeedbackAbout.DOSSIER:
            assert body.dossier_id is not None  # the schema requires it
            dossier = self.dossiers.get(body.dossier_id)
            if dossier.owner != actor.subject:  # only about one's own dossier
                raise DossierAccessDenied({"role": actor.role.value})
            agency, dossier_id, receipt, procedure_code = (dossier.agency_code, dossier.id, dossier.receipt_code,
                                                           dossier.procedure_code)
        elif body.about is FeedbackAbout.PROCEDURE:
            assert body.procedure_code is not None
            procedure = self.catalogue.procedure(body.procedure_code)
            agency = competent_agency(self.catalogue, procedure, body.agency_code)
            procedure_code = procedure.code
        else:
            assert body.agency_code is not None
            if body.agency_code not in self.catalogue.agencies():
                raise AgencyNotFound({"agency_code": body.agency_code})
            agency = body.agency_code
        fb, event = feedback_steps.file_feedback(
            feedback_id=feedback_steps.feedback_id_for(actor.subject, idempotency_key), owner=actor,
            category=body.category,
            about=body.about, agency_code=agency, title=body.title, content=body.content, now=now,
            dossier_id=dossier_id, receipt_code=receipt, procedure_code=procedure_code,
            official_name=body.official_name, official_subject=body.official_subject,
            attachments=tuple(body.attachments), request_id=request_id)
        try:
            return self._save(None, fb, event, request_id)
        except FeedbackAlreadyExists:
            return self.feedback.get(fb.id)  # a retry whose first attempt was written

    def act(self, feedback_id: str, action: FeedbackAction, body: FeedbackStepBody, actor: Actor,
            request_id: str | None = None) -> Feedback:
        """One step on the stored feedback, guarded by the version read here (a concurrent step: 409)."""
        fb = self.feedback.get(feedback_id)
        given = step_input(body)
        self.uploads.verify_uploads(given.attachments, actor.subject)
        if action is FeedbackAction.PUBLISH:
            given = replace(given, identity=self.author_identity(fb.owner))
        changed, event = feedback_steps.apply_feedback_action(fb, action, given, actor, self.clock(), request_id)
        return self._save(fb, changed, event, request_id)

    def author_identity(self, owner: str) -> tuple[tuple[str, str], ...]:
        """What the author gave as applicant on their dossiers (newest first): removed from what is published."""
        dossiers, _ = self.dossiers.owned_by(owner, limit=50)
        values = {(name, str(value)) for d in dossiers for name, value in d.applicant.model_dump().items() if value}
        return tuple(sorted(values))

    def _save(self, before: Feedback | None, fb: Feedback, event: FeedbackEvent, request_id: str | None) -> Feedback:
        """``before``: the record as read (None when filing); ``fb``: as it will be written."""
        envelopes = [feedback_steps.status_envelope(fb, event, request_id)]
        spec = feedback_steps.index_event_details(fb, event)
        if fb.dossier_id is None:  # about a procedure or an agency: the index's writes ride on the feedback's
            from motcua.service.index.tracking import plan_feedback_change

            planned = plan_feedback_change(before, fb, event.occurred_at, context=self.index.context)
            return self.feedback.save(fb, [event], envelopes, index=planned)
        if spec is None:
            return self.feedback.save(fb, [event], envelopes)
        action, details = spec
        for _ in range(self.trail_attempts):
            dossier = self.dossiers.get(fb.dossier_id)
            trail_event = HistoryEvent(
                event_id=uuid.uuid5(_TRAIL_NAMESPACE, event.event_id).hex, dossier_id=dossier.id,
                occurred_at=event.occurred_at, action=action, from_status=dossier.status, to_status=dossier.status,
                actor=event.actor, details=details, request_id=request_id)
            changed = dossier.model_copy(update={"version": dossier.version + 1, "updated_at": event.occurred_at})
            index = self.index.for_change(dossier, changed, [trail_event])
            try:
                return self.feedback.save(fb, [event], envelopes, DossierTrail(dossier, changed, [trail_event], index))
            except StaleDossier:
                continue  # an officer's action on the dossier landed in between: read it again
        raise StaleDossier({"dossier_id": fb.dossier_id, "attempts": self.trail_attempts})

    # -- reads --------------------------------------------------------------------------------------------
    def readable(self, feedback_id: str, actor: Actor, request_id: str | None = None) -> Feedback:
        fb = self.feedback.get(feedback_id)
        feedback_steps.ensure_can_read(fb, actor)
        if actor.role is not Role.CITIZEN:  # officials' and inspectors' reads are on the trail
            self.feedback.append_event(feedback_steps.read_event(fb, actor, self.clock(), request_id))
        return fb

    def view(self, feedback_id: str, actor: Actor, request_id: str | None = None) -> FeedbackView:
        fb = self.readable(feedback_id, actor, request_id)
        return feedback_view(fb, self.feedback.history(fb.id), self.clock())

    def listing(self, actor: Actor, agency: str | None, limit: int,
                after: str | None) -> tuple[list[FeedbackSummary], str | None]:
        """Citizens: their own. Officials: their agency's, without what they may not see (a complaint about an
        official is for the leaders, never for the official named). Inspectors: the agency they name."""
        if actor.role is Role.CITIZEN:
            found, token = self.feedback.of_owner(actor.subject, limit=limit, after=after)
        elif actor.role is Role.INSPECTOR:
            if agency is None:
                raise FeedbackAgencyRequired()
            found, token = self.feedback.of_agency(agency, limit=limit, after=after)
        else:
            require_role(actor, Role.RECEPTION_OFFICER, Role.PROCESSING_OFFICER, Role.AGENCY_LEADER)
            if actor.agency_code is None:
                raise FeedbackAgencyRequired()
            found, token = self.feedback.of_agency(actor.agency_code, limit=limit, after=after)
        return [summary(fb) for fb in found if feedback_steps.can_read(fb, actor)], token

    def public(self, limit: int, after: str | None) -> tuple[list[PublicFeedbackView], str | None]:
        found, token = self.feedback.published(limit=limit, after=after)
        agencies = self.catalogue.agencies()
        names = {code: agency.name_vi for code, agency in agencies.items()}
        return [public_view(fb, names.get(fb.agency_code)) for fb in found], token

    def export(self, actor: Actor) -> list[dict]:
        now = self.clock()
        return [feedback_view(fb, self.feedback.history(fb.id), now).model_dump(mode="json")
                for fb in self.feedback.all_of_owner(actor.subject)]

    # -- the SLA sweep ------------------------------------------------------------------------------------
    def fire_one(self, fb: Feedback, now: datetime, correlation_id: str | None = None,
                 attempts: int = 3) -> tuple[FeedbackFiring | None, int]:
        """Fire the feedback's due step timer (if any) on the stored record. Returns the firing and the number
        of version conflicts met (each re-read consistently)."""
        from motcua.domain.feedback import timers as feedback_timers

        conflicts = 0
        for _ in range(attempts):
            firing = feedback_timers.fire(fb, now, correlation_id=correlation_id)
            if firing is None:
                return None, conflicts
            try:
                self.feedback.save(firing.feedback, [firing.event], [firing.envelope])
                return firing, conflicts
            except StaleFeedback:
                conflicts += 1
                fb = self.feedback.get(fb.id)
        raise StaleFeedback({"feedback_id": fb.id, "attempts": attempts})


# --------------------------------------------------------------------------------------------------------
# Views


def feedback_view(fb: Feedback, history: list[FeedbackEvent], now: datetime) -> FeedbackView:
    d = feedback_steps.deadlines(fb)
    answer = fb.answer
    return FeedbackView(
        id=fb.id, version=fb.version, status=fb.status, category=fb.category, index_kind=fb.index_kind.value,
        about=fb.about, agency_code=fb.agency_code, dossier_id=fb.dossier_id, receipt_code=fb.receipt_code,
        procedure_code=fb.procedure_code, official_name=fb.official_name, title=fb.title, content=fb.content,
        attachments=list(fb.attachments), received_at=fb.received_at,
        deadlines=DeadlinesView(refuse_by=d.refuse_by, request_info_by=d.request_info_by, handle_by=d.handle_by,
                                publish_by=d.publish_by),
        on_time=feedback_steps.on_time(fb, now), info_request=fb.info_request, info_reply=fb.info_reply,
        refusal_reason=fb.refusal_reason, answer=answer.text if answer else None,
        answered_at=answer.answered_at if answer else None, answer_public=bool(answer and answer.public),
        published_at=answer.published_at if answer else None,
        published_question=answer.question_summary if answer else None,
        published_answer=answer.published_text if answer and answer.published_at else None,
        published_removed=[RemovedView(kind=r.kind, text=r.text) for r in answer.removed] if answer else [],
        satisfied=fb.rating.satisfied if fb.rating else None, rated_at=fb.rating.rated_at if fb.rating else None,
        steps=[StepView(step=s.step, at=s.at, due_at=s.due_at, timeliness=s.timeliness.value) for s in fb.steps],
        history=[FeedbackEventView(event_id=e.event_id, occurred_at=e.occurred_at, action=e.action,
                                   from_status=e.from_status, to_status=e.to_status, actor_role=e.actor.role.value,
                                   actor_agency_code=e.actor.agency_code, note=e.note, details=e.details)
                 for e in history])


def summary(fb: Feedback) -> FeedbackSummary:
    return FeedbackSummary(id=fb.id, status=fb.status, category=fb.category, about=fb.about,
                           agency_code=fb.agency_code, title=fb.title, received_at=fb.received_at,
                           handle_by=feedback_steps.deadlines(fb).handle_by)


def public_view(fb: Feedback, agency_name: str | None) -> PublicFeedbackView:
    answer = fb.answer
    assert answer is not None and answer.published_at is not None and answer.question_summary is not None
    return PublicFeedbackView(
        id=fb.id, category=fb.category, about=fb.about, agency_code=fb.agency_code, agency_name_vi=agency_name,
        # Redacted when published; the patterns once more as a last guard.
        procedure_code=fb.procedure_code, question=redact(answer.question_summary)[0][:PUBLIC_TEXT_LIMIT],
        answer=redact(answer.published_text or answer.text)[0][:PUBLIC_TEXT_LIMIT],
        received_on=fb.received_at.astimezone(VN_TZ).date().isoformat(), answered_at=answer.answered_at,
        published_at=answer.published_at)
