"""The ``api-public`` function: what citizens read without an account, and liveness.

* ``GET /procedures``, ``GET /procedures/{code}``, ``GET /agencies``: the procedure catalogue.
* ``GET /calendar/preview``: the appointment a submission now would get.
* ``GET /track/{receipt_code}``: a dossier's status and appointment, by the code on its receipt (throttled on
  its own route, and limited per client by the service).
* ``GET /health``.

Its own function (``infra/declaration.py``): anonymous traffic has its own concurrency, and its role holds
no bucket, secret or push permission. The monthly index and published feedback answers, public too, are
served with their own groups (``index_api``, ``feedback_api``).
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from motcua.data.models import bind
from motcua.domain.catalogue import Channel, Level, ProcedureView
from motcua.domain.model import ClientDatetime
from motcua.handlers import http, http_errors
from motcua.handlers.params import ProcedureCode, ReceiptCode
from motcua.service.catalogue import list_agencies, search_procedures
from motcua.service.dossier_reads import reads  # the read side only: no public route writes a dossier
from motcua.settings import PublicApiSettings, load
from schemas.api import AgencyPage, AppointmentPreview, ProcedurePage, TrackingView

app = http.resolver()

config = load(PublicApiSettings)
bind(config.table_name)

_errors = http_errors.documented_responses


# --- the catalogue -----------------------------------------------------------------------------------------

@app.get("/procedures", tags=["catalogue"], operation_id="listProcedures", summary="Search the procedure catalogue",
         description="The public catalogue, by code: filter by agency, level or text (diacritics optional). "
                     "Public, no token.",
         responses=_errors(400, 422))
def get_procedures(
    agency_code: Annotated[str | None, Query(max_length=40, description="Agency code")] = None,
    level: Annotated[Level | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text, diacritics optional")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=40)] = None,
) -> ProcedurePage:
    items, token = search_procedures(reads.catalogue, agency=agency_code, level=level, text=q, limit=limit,
                                     next_token=next_token)
    return ProcedurePage(items=items, next_token=token)


@app.get("/procedures/<code>", tags=["catalogue"],
         operation_id="getProcedure", summary="One procedure",
         description="A procedure: legal time limits per channel, fees, documents to submit, competent agency. "
                     "Public.",
         responses=_errors(404))
def get_procedure(code: ProcedureCode) -> ProcedureView:
    return reads.catalogue.procedure(code)


@app.get("/agencies", tags=["catalogue"],
         operation_id="listAgencies", summary="Agencies and communes that receive dossiers",
         description="Every agency and commune a dossier can be submitted to, by code. Public.",
         responses=_errors(422))
def get_agencies(
    level: Annotated[Level | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
    next_token: Annotated[str | None, Query(max_length=40)] = None,
) -> AgencyPage:
    items, token = list_agencies(reads.catalogue, level, limit=limit, next_token=next_token)
    return AgencyPage(items=items, next_token=token)


@app.get("/calendar/preview", tags=["catalogue"],
         operation_id="previewAppointment", summary="The appointment a submission now would get",
         description="What a citizen would be promised on submitting at `submitted_at` (default now): when the "
                     "legal clock starts and the appointment, on the working-day calendar. Public.",
         responses=_errors(400, 404))
def get_calendar_preview(
    procedure_code: Annotated[str, Query(pattern=r"^\d\.\d{6}$", description="Procedure code")],
    submitted_at: Annotated[ClientDatetime | None, Query(description="ISO 8601 with offset; default now")] = None,
    agency_code: Annotated[str | None, Query(max_length=40,
                                             description="Commune, for commune-level procedures")] = None,
    channel: Annotated[Channel, Query()] = Channel.ONLINE,
) -> AppointmentPreview:
    return reads.preview(procedure_code, agency_code, channel, submitted_at)


# --- tracking and liveness ---------------------------------------------------------------------------------

@app.get("/track/<receipt_code>", tags=["tracking"],
         operation_id="trackDossier", summary="Public tracking: status and appointment only",
         description="By the receipt code on the slip, no token: status and appointment, never personal data. "
                     "Lookups are limited per client (429 with Retry-After).",
         responses=_errors(404, 429))
def get_tracking(receipt_code: ReceiptCode) -> TrackingView:
    return reads.track(receipt_code, client=app.current_event.request_context.http.source_ip)


class HealthView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    status: str = Field(examples=["ok"])


@app.get("/health", tags=["ops"], operation_id="getHealth", summary="Liveness",
         description="Answers 200 while the function runs; touches no storage.", responses=_errors())
def get_health() -> HealthView:
    return HealthView(status="ok")


handler = http.lambda_handler(app)

startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
