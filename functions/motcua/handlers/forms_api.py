"""Routes of the forms the desk hands out (docs/documents.md §1), included by ``motcua.handlers.api``.

* ``GET /dossiers/{id}/forms/receipt-slip``: Form 01 as issued on reception (PDF), for the dossier's owner and
  the officials who may read the dossier (its agencies, inspectors), as ``GET /dossiers/{id}``; officials'
  reads are on the trail.
* ``GET /dossiers/{id}/forms/control-slip``: Form 06, one row per hand-over, for the same readers: the slip
  stored with a returned result, else drawn from the history as it stands.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from motcua.handlers import http_errors
from motcua.handlers.common import current_actor, request_id
from motcua.handlers.params import DossierId
from motcua.service.actions import service

router = APIGatewayHttpRouter()
BEARER = http_errors.BEARER
PDF = "application/pdf"


def _pdf_responses(*statuses: int) -> dict:
    """A PDF on success (binary: API Gateway gets it base64-encoded), the error shape otherwise."""
    documented = http_errors.documented_responses(*statuses)
    documented[200] = {"description": "The form as PDF",
                       "content": {PDF: {"schema": {"type": "string", "format": "binary"}}}}
    return documented


# The routes have no return annotation on purpose: Powertools validates an annotated return and serialises it
# as JSON; an unannotated route's non-JSON Response (the PDF) passes through as it is.
def _pdf(body: bytes, name: str) -> Response:
    return Response(200, PDF, body, headers={"Content-Disposition": f'inline; filename="{name}"',
                                             "Cache-Control": "private, no-store"})


@router.get("/dossiers/<dossier_id>/forms/receipt-slip", tags=["dossiers"], operation_id="getReceiptSlip",
            security=BEARER, summary="Form 01: the receipt and appointment slip issued on reception (PDF)",
            description="The owner, or officials who may read the dossier (their reads are audited).",
            responses=_pdf_responses(401, 403, 404))
def get_receipt_slip(dossier_id: DossierId):  # no return annotation: see _pdf
    dossier = service.readable(dossier_id, current_actor(router), request_id(router))
    return _pdf(service.slips.read(dossier), f"mau-01-{dossier.receipt_code}.pdf")


@router.get("/dossiers/<dossier_id>/forms/control-slip", tags=["dossiers"], operation_id="getControlSlip",
            security=BEARER, summary="Form 06: the processing control slip, one row per hand-over (PDF)",
            description="The same readers: the slip stored with a returned result, else drawn from the history "
                        "as it stands.",
            responses=_pdf_responses(401, 403, 404))
def get_control_slip(dossier_id: DossierId):  # no return annotation: see _pdf
    dossier, body = service.control_slip(dossier_id, current_actor(router), request_id(router))
    return _pdf(body, f"mau-06-{dossier.receipt_code}.pdf")
