"""What a dossier change announces: the envelopes written to the outbox in the same transaction."""

from __future__ import annotations

from motcua.domain import actions as ev
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.events import (
    ApologyIssued,
    ApologyIssuedEnvelope,
    EventEnvelope,
    StatusChanged,
    StatusChangedEnvelope,
)
from motcua.domain.status import DossierStatus, StatusView


def _status(code: int | None) -> StatusView | None:
    if code is None:
        return None
    status = DossierStatus(code)
    return StatusView(code=int(status), name_vi=status.name_vi)


def envelopes_for(dossier: Dossier, events: list[HistoryEvent],
                  correlation_id: str | None = None) -> list[EventEnvelope]:
    """One ``dossier.status_changed`` per event that moved the status (or opened the dossier), and one
    ``dossier.apology_issued`` per apology."""
    out: list[EventEnvelope] = []
    for event in events:
        if event.from_status != event.to_status:
            out.append(StatusChangedEnvelope(
                type="dossier.status_changed", correlation_id=correlation_id, occurred_at=event.occurred_at,
                data=StatusChanged(
                    dossier_id=dossier.id, receipt_code=dossier.receipt_code, procedure_code=dossier.procedure_code,
                    procedure_name_vi=dossier.procedure_name_vi, agency_code=dossier.agency_code,
                    action=event.action, from_status=_status(event.from_status),
                    to_status=_status(event.to_status), appointment_at=dossier.appointment_at,  # type: ignore[arg-type]
                    history_event_id=event.event_id, dossier_version=dossier.version,
                )))
        if event.action == ev.APOLOGISE and dossier.apology is not None:
            apology = dossier.apology
            out.append(ApologyIssuedEnvelope(
                type="dossier.apology_issued", correlation_id=correlation_id, occurred_at=event.occurred_at,
                data=ApologyIssued(dossier_id=dossier.id, receipt_code=dossier.receipt_code,
                                   agency_code=dossier.agency_code, reason=apology.reason,
                                   original_appointment_at=apology.original_appointment_at,
                                   new_appointment_at=apology.new_appointment_at, letter_key=apology.letter_key)))
    return out
