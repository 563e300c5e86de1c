"""The ``api-feedback`` function: citizens' feedback, the citizen's document store and what is held about
them (docs/feedback.md, docs/documents.md §5).

* ``POST /feedback``: a citizen files feedback (Idempotency-Key: a retry returns the same feedback).
* ``GET /feedback``: citizens their own; officials their agency's (a complaint about an official only for the
  leaders, never for the official named); inspectors the agency they name.
* ``GET /feedback/public``: **public**, the published answers, without personal data.
* ``GET /feedback/{id}``: the feedback, its deadlines and its trail (officials' reads are audited).
* ``POST /feedback/{id}/actions/{refuse|request_info|provide_info|answer|publish|rate}``: one step.
* ``GET /me/documents``: the citizen's document store (presigned download links).
* ``GET /documents/{id}/verify``: **public**, integrity and signature of a stored document, no personal data.
* ``GET /me/export``: everything held about the caller: dossiers, documents, feedback, notification settings.
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

import inspect
from functools import cache
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from motcua.data.models import bind
from motcua.domain.feedback import FeedbackAction
from motcua.handlers import http, http_errors
from motcua.handlers.common import action_operation_id, current_actor, request_id
from motcua.handlers.params import RequestKey
from motcua.service.dossier_reads import reads  # the read side: no route here writes a dossier
from motcua.service.feedback_api import FILE_IDEMPOTENCY, STEP_IDEMPOTENCY, file_feedback, take_feedback_step
from motcua.service.feedback_api import service as feedback
from motcua.settings import FeedbackApiSettings, load
from schemas.api import PersonalDataExport
from schemas.documents import StoredDocumentPage, VerificationView
from schemas.feedback import FeedbackIn, FeedbackStepBody, FeedbackSummaryPage, FeedbackView, PublicFeedbackPage

router = APIGatewayHttpRouter()

config = load(FeedbackApiSettings)
bind(config.table_name)

BEARER = http_errors.BEARER
_errors = http_errors.documented_responses  # every route: its success, its own errors, the ones any route gives

if TYPE_CHECKING:
    from motcua.service.citizen_store import CitizenStore
    from motcua.service.contacts import ContactService


# Made on their first request (each imports its module then), as the api's route groups' services; the
# dossier core's clock (service.dossier_reads): a test freezing it freezes these too.
@cache
def store() -> CitizenStore:
    from motcua.service.citizen_store import CitizenStore

    return CitizenStore(clock=lambda: reads.clock())


@cache
def contact_settings() -> ContactService:
    from motcua.service.contacts import ContactService

    return ContactService(clock=lambda: reads.clock())

FeedbackId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The feedback's id")]
DocumentId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A stored document's id")]


@router.post("/feedback", tags=["feedback"], operation_id="fileFeedback", status_code=201, security=BEARER,
             summary="File feedback (phản ánh, kiến nghị) about a dossier, a procedure or an agency",
             description="Citizens, about their dossier, a procedure or an agency; the agency answers within the legal "
                         "time limit. A retry with the same Idempotency-Key returns the same feedback.",
             responses=_errors(400, 401, 403, 404, 409, ok=201))
def post_feedback(body: FeedbackIn, idempotency_key: RequestKey) -> Response[FeedbackView]:
    view = file_feedback(body, current_actor(router), idempotency_key, request_id(router))
    return http_errors.created(f"/feedback/{view.id}", view)


@router.get("/feedback", tags=["feedback"],
            operation_id="listFeedback", security=BEARER, summary="Feedback I may see, newest first",
            description="Citizens see their own; officials their agency's (a complaint about an official only "
                        "by the leaders); inspectors the agency they name.",
            responses=_errors(400, 401, 403))
def get_feedback_list(
    agency_code: Annotated[str | None, Query(pattern=r"^[0-9A-Z.]{3,40}$",
                                             description="Inspectors: which agency")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=120)] = None,
) -> FeedbackSummaryPage:
    items, token = feedback.listing(current_actor(router), agency_code, limit, next_token)
    return FeedbackSummaryPage(items=items, next_token=token)


@router.get("/feedback/public", tags=["feedback"],
            operation_id="listPublicFeedback", summary="Published answers (no personal data)",
            description="The answers agencies published, without personal data. Public, no token.",
            responses=_errors(400))
def get_public_feedback(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=120)] = None,
) -> PublicFeedbackPage:
    items, token = feedback.public(limit, next_token)
    return PublicFeedbackPage(items=items, next_token=token)


@router.get("/feedback/<feedback_id>", tags=["feedback"], operation_id="getFeedback", security=BEARER,
            summary="One feedback: deadlines, steps and its audit trail", responses=_errors(401, 403, 404),
            description="Its author, or officials who may see it (their reads are audited).")
def get_feedback(feedback_id: FeedbackId) -> FeedbackView:
    return feedback.view(feedback_id, current_actor(router), request_id(router))


def _step_route(action: FeedbackAction, body_model: type[FeedbackStepBody]) -> None:
    """``POST /feedback/{id}/actions/<action>``: one route per step, so each documents its own body."""

    def take_step(feedback_id: str, body: FeedbackStepBody, idempotency_key: str) -> FeedbackView:
        return take_feedback_step(feedback_id, action, body, current_actor(router), idempotency_key, request_id(router))

    take_step.__name__ = f"post_feedback_{action.value}"
    take_step.__annotations__ = {"feedback_id": FeedbackId, "body": body_model, "idempotency_key": RequestKey,
                                 "return": FeedbackView}
    router.post(f"/feedback/<feedback_id>/actions/{action.value}", tags=["feedback"], security=BEARER,
                operation_id=action_operation_id(action.value, "Feedback"),
                summary=f"Feedback step: {action.value}", description=inspect.getdoc(body_model),
                responses=_errors(400, 401, 403, 404, 409))(take_step)


def _register_steps() -> None:
    from motcua.service.feedback import STEP_BODIES

    for action, model in STEP_BODIES.items():
        _step_route(action, model)


_register_steps()


@router.get("/me/documents", tags=["citizen"], operation_id="listMyDocuments", security=BEARER,
            summary="My document store: papers I submitted and results issued to me, newest first",
            description="Each with a short-lived download link; a stored paper can be reused in a submission.",
            responses=_errors(401, 403))
def get_my_documents(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=120)] = None,
) -> StoredDocumentPage:
    items, token = store().mine(current_actor(router), limit, next_token)
    return StoredDocumentPage(items=items, next_token=token)


@router.get("/documents/<document_id>/verify", tags=["documents"], operation_id="verifyDocument",
            summary="Check a stored document: integrity, signature, signer and signing time (public)",
            description="For the code printed on a result an agency signed; no personal data. Public, no token.",
            responses=_errors(404))
def get_document_verification(document_id: DocumentId) -> VerificationView:
    return store().verify(document_id)


@router.get("/me/export", tags=["citizen"],
            operation_id="exportMyData", summary="Everything held about me (download)", security=BEARER,
            description="The citizen's right of access: dossiers with their trails, stored documents, feedback, "
                        "notification settings and devices.",
            responses=_errors(401, 403))
def get_my_export() -> PersonalDataExport:
    actor = current_actor(router)
    # The citizen's document store and their feedback are part of what is held about them.
    return reads.export(actor).model_copy(update={"documents": store().export(actor),
                                                    "feedback": feedback.export(actor),
                                                    **contact_settings().export(actor)})


app = http.resolver(router)
handler = http.lambda_handler(app, FILE_IDEMPOTENCY, STEP_IDEMPOTENCY)

startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
