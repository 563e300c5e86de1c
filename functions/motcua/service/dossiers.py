"""Dossier use cases: the glue between the API/queue handlers, the pure domain and the repositories."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from motcua.data.repositories import CatalogueRepository, DossierRepository
from motcua.domain.access import ensure_can_read
from motcua.domain.actors import Actor
from motcua.domain.calendar import VN_TZ
from motcua.domain.dossier import (
    Applicant,
    Attachment,
    Dossier,
    HistoryEvent,
    appointment_if_submitted,
    open_dossier,
)
from motcua.domain.errors import InvalidInput
from motcua.domain.receipt import receipt_code
from motcua.domain.status import DossierStatus
from schemas.api import AppointmentPreview, DossierSubmission, DossierView, HistoryEventView, TrackingView
from schemas.catalogue import Channel, Procedure
from schemas.common import StatusView


class AgencyRequired(InvalidInput):
    code = "AGENCY_REQUIRED"
    http_status = 422
    message_vi = "Thủ tục cấp xã cần chọn xã, phường nơi nộp hồ sơ (agency_code)."
    message_en = "A commune-level procedure needs the commune (agency_code) to submit to."


class AgencyNotCompetent(InvalidInput):
    code = "AGENCY_NOT_COMPETENT"
    http_status = 422
    message_vi = "Cơ quan đã chọn không có thẩm quyền giải quyết thủ tục này."
    message_en = "The chosen agency is not competent for this procedure."


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


@dataclass
class DossierService:
    catalogue: CatalogueRepository = field(default_factory=CatalogueRepository)
    dossiers: DossierRepository = field(default_factory=DossierRepository)
    clock: Callable[[], datetime] = now_vn

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

    def submit(self, submission: DossierSubmission, actor: Actor, request_id: str | None = None) -> Dossier:
        procedure = self.catalogue.procedure(submission.procedure_code)
        agency_code = self.competent_agency(procedure, submission.agency_code)
        now = self.clock()
        dossier_id = uuid.uuid4().hex
        applicant = Applicant(**submission.applicant.model_dump())
        attachments = tuple(Attachment(**a.model_dump()) for a in submission.attachments)

        def build(sequence: int) -> tuple[Dossier, HistoryEvent]:
            return open_dossier(
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
            )

        return self.dossiers.create(agency_code, now, build)

    def preview(self, procedure_code: str, agency_code: str | None, channel: Channel,
                submitted_at: datetime | None) -> AppointmentPreview:
        procedure = self.catalogue.procedure(procedure_code)
        agency = self.competent_agency(procedure, agency_code)
        at = submitted_at or self.clock()
        starts_at, appointment = appointment_if_submitted(procedure, channel, at, agency)
        return AppointmentPreview(procedure_code=procedure.code, agency_code=agency, channel=channel,
                                  submitted_at=at, clock_starts_at=starts_at, appointment_at=appointment,
                                  time_limit=procedure.time_limit)

    def view(self, dossier_id: str, actor: Actor) -> DossierView:
        dossier = self.dossiers.get(dossier_id)
        ensure_can_read(actor, dossier.owner, dossier.agency_code)
        return dossier_view(dossier, self.dossiers.history(dossier_id))

    def track(self, code: str) -> TrackingView:
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
        history=[
            HistoryEventView(event_id=e.event_id, occurred_at=e.occurred_at, action=e.action,
                             from_status=status_view(e.from_status) if e.from_status else None,
                             to_status=status_view(e.to_status),
                             actor_role=e.actor.role.value, note=e.note)
            for e in (history or [])
        ],
    )
