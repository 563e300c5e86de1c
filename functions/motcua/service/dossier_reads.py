"""Reading dossiers, and what a submission would be promised: the dossier core's read side.

Its own module so that the HTTP groups that only read (the public catalogue, preview and tracking; feedback;
the index and evaluations) reach the repositories without importing the write side, ``service.dossiers``
(workflow, the internal procedure, forms, letters, the document store: docs/benchmarks.md, cold start).
``DossierService`` holds a :class:`DossierReads` and answers its reads through it.

``reads`` is the process's one: ``motcua.service.actions.service`` is built on it, so every HTTP group in a
process (the local runner holds them all) reads the same repositories on the same clock, and a test that
freezes the service's clock freezes each group's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from motcua.data.rate_limits import RateCounters
from motcua.data.repositories import CatalogueRepository, DossierRepository
from motcua.domain import limits
from motcua.domain.access import ensure_can_read, require_role
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Channel, Procedure
from motcua.domain.dossier import Dossier, HistoryEvent, appointment_if_submitted
from motcua.domain.errors import InvalidInput
from motcua.domain.status import DossierStatus, StatusView
from motcua.settings import environment
from schemas.api import (
    AppointmentPreview,
    AuditEventView,
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


# Audit-only history action: a read changes nothing and the index ignores it.
READ_ACTION = "read_personal_data"


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


def competent_agency(catalogue: CatalogueRepository, procedure: Procedure, requested: str | None) -> str:
    """The agency a dossier of ``procedure`` goes to: the department's own, or the commune asked for."""
    competent = procedure.competent_agency
    if competent.kind == "department":
        if requested not in (None, competent.agency_code):
            raise AgencyNotCompetent({"procedure_code": procedure.code, "agency_code": requested,
                                      "competent_agency_code": competent.agency_code})
        assert competent.agency_code is not None  # the catalogue model guarantees it for departments
        return competent.agency_code
    if requested is None:
        raise AgencyRequired({"procedure_code": procedure.code})
    agency = catalogue.agencies().get(requested)
    if agency is None or agency.kind != "commune":
        raise AgencyNotCompetent({"procedure_code": procedure.code, "agency_code": requested})
    return requested


@dataclass
class DossierReads:
    catalogue: CatalogueRepository = field(default_factory=CatalogueRepository)
    dossiers: DossierRepository = field(default_factory=DossierRepository)
    clock: Callable[[], datetime] = now_vn
    rate_counters: RateCounters = field(default_factory=RateCounters)

    def competent_agency(self, procedure: Procedure, requested: str | None) -> str:
        return competent_agency(self.catalogue, procedure, requested)

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


reads = DossierReads()
