"""The ``api`` function: dossiers, uploads, officials' actions, the citizen's own dossiers and notification
settings, and every path no other function is routed (API Gateway's authorised catch-all, answered with
the standard 404). Behind API Gateway (HTTP API, JWT authoriser), routed by Powertools (``handlers.http``).

Handlers stay thin: parse (Powertools validation with the models of ``schemas.api``), call one service
function, return a model. Errors map to responses in ``http_errors``.
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

import inspect
from functools import cache
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from motcua.data import uploads
from motcua.data.models import bind
from motcua.domain.commands import PAYLOADS, ActionBody, ActionName
from motcua.domain.postal import CARRIER_NAME, CarrierMapping, OrderKind, PostalCarrier, PostalRequest
from motcua.handlers import http, http_errors
from motcua.handlers.common import action_operation_id, current_actor, current_claims, request_id
from motcua.handlers.forms_api import router as forms_router
from motcua.handlers.params import ActionKey, DossierId, SubmissionKey
from motcua.handlers.steps_api import router as steps_router
from motcua.service.actions import API_IDEMPOTENCY, act_from_api, service
from motcua.service.dossier_reads import audit_view, now_vn
from motcua.service.submission import SUBMIT_IDEMPOTENCY, submit_dossier
from motcua.settings import ApiSettings, load
from schemas.api import (
    AuditEventPage,
    DossierSubmission,
    DossierSummaryPage,
    DossierView,
    PaymentCallback,
    PaymentCallbackAnswer,
    PaymentLinkView,
    PaymentRequest,
    UploadRequest,
    UploadTicket,
)
from schemas.contacts import DeviceRegistration, DeviceView, NotificationSettingsIn, NotificationSettingsView
from schemas.postal import PostalCallbackAnswer, PostalOrderIn, PostalOrders, PostalOrderView, PostalRequestIn

if TYPE_CHECKING:
    from motcua.data.postal import OrderRecord
    from motcua.service.contacts import ContactService
    from motcua.service.payments import PaymentService
    from motcua.service.postal import PostalService

# The forms the desk hands out (Form 01, Form 06) as PDF; officials' internal-procedure steps (their work list).
app = http.resolver(forms_router, steps_router)

config = load(ApiSettings)
bind(config.table_name)

BEARER = http_errors.BEARER


_errors = http_errors.documented_responses


# A route group's own services are made on its first request, their modules imported then: the cold start
# loads the routes, their models and the read side, not every group's adapters (docs/benchmarks.md, cold start).
@cache
def contact_settings() -> ContactService:
    from motcua.service.contacts import ContactService

    return ContactService(clock=lambda: service.clock())  # the shared clock: tests freeze one


@cache
def payments() -> PaymentService:
    from motcua.data.payment_gateways import Gateways
    from motcua.service.payments import PaymentService

    return PaymentService(Gateways(config.payment_secret_prefix), service)


GatewayName = Annotated[str, Path(pattern=r"^[a-z0-9-]{2,32}$", description="The payment platform (`national`)")]
_postal_mapping = CarrierMapping.model_validate_json(config.postal_mapping)


def _no_carrier_here(carrier: str) -> PostalCarrier:
    raise KeyError(carrier)  # the api only queues: the carriers are called by the postal function


@cache
def postal() -> PostalService:
    from motcua.data import postal as store
    from motcua.service.postal import PostalService

    return PostalService(carriers=_no_carrier_here,
                         enqueue=lambda message: store.enqueue(config.postal_queue_url, message),
                         callback_key=store.CallbackKeys(config.postal_callback_secret_prefix),
                         mapping=_postal_mapping, dossiers=service)


CarrierName = Annotated[str, Path(pattern=CARRIER_NAME, description="The postal carrier (`vnpost`)")]
PostalKind = Annotated[OrderKind, Path(description="`collection` (at home) or `return` (the result by post)")]
InstallationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{8,128}$",
                                     description="The app installation's own id (stable until reinstalled)")]


# --- submission and the dossier ------------------------------------------------------------------------

@app.post("/uploads", tags=["dossiers"],
          operation_id="createUpload", summary="Presigned S3 POST form for one attachment (yours alone)",
          description="A form to upload one file straight to storage; the returned `key` is then named in a "
                      "submission's `attachments`. Nothing is created here until the file is posted (200, "
                      "not 201).",
          security=BEARER, responses=_errors(401, 403, 422))
def post_upload(request: UploadRequest) -> UploadTicket:
    actor = current_actor(app)
    key = uploads.new_upload_key(request.file_name)
    url, fields, expires_at = uploads.presign_post(config.uploads_bucket, key, request.content_type,
                                                   request.size_bytes, actor.subject, now_vn())
    return UploadTicket(key=key, url=url, fields=fields, expires_at=expires_at)


@app.post("/dossiers", tags=["dossiers"],
          operation_id="submitDossier", summary="Submit a dossier; returns its receipt code and appointment",
          description="Citizens (online) and reception officers (counter, post). A retry with the same "
                      "Idempotency-Key returns the same dossier, never a second one.",
          status_code=201, security=BEARER, responses=_errors(400, 401, 403, 404, 409, 413, 415, 422, 503, ok=201))
def post_dossier(
    submission: DossierSubmission,
    idempotency_key: SubmissionKey,
) -> Response[DossierView]:
    view = submit_dossier(submission, current_actor(app), idempotency_key, request_id(app), current_claims(app))
    return http_errors.created(f"/dossiers/{view.id}", view)


@app.get("/dossiers/<dossier_id>", tags=["dossiers"],
         operation_id="getDossier", summary="A dossier with its full status history",
         description="The owner, or officials of its agency (their reads are audited).",
         security=BEARER, responses=_errors(401, 403, 404))
def get_dossier(dossier_id: DossierId) -> DossierView:
    return service.view(dossier_id, current_actor(app), request_id(app))


@app.get("/dossiers/<dossier_id>/history", tags=["dossiers"],
         operation_id="getDossierHistory", summary="The dossier's audit trail",
         description="Every event, oldest first: who, role, agency, when, what, statuses before and after.",
         security=BEARER, responses=_errors(401, 403, 404))
def get_history(
    dossier_id: DossierId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    next_token: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z:.+#_-]{1,200}$")] = None,
) -> AuditEventPage:
    actor = current_actor(app)
    service.readable(dossier_id, actor, request_id(app))
    events, token = service.dossiers.history_page(dossier_id, limit=limit, after=next_token)
    return AuditEventPage(items=[audit_view(e) for e in events], next_token=token)


# --- online payment (docs/integrations.md §2) ------------------------------------------------------------

@app.post("/dossiers/<dossier_id>/payments", tags=["payments"], operation_id="requestPaymentLink",
          summary="The payment link of the dossier's financial obligation (status 6)",
          description="The dossier's applicant only. Idempotent: asking again answers the same open transaction "
                      "and link (one per obligation and platform) until the platform reports it failed.",
          security=BEARER, responses=_errors(401, 403, 404, 409, 422, 503))
def post_payment(dossier_id: DossierId, body: PaymentRequest) -> PaymentLinkView:
    t = payments().request_link(dossier_id, body.gateway, current_actor(app))
    return PaymentLinkView(transaction_id=t.transaction_id, gateway=t.gateway, amount_vnd=t.amount_vnd,
                           status=t.status, payment_url=t.payment_url, created_at=t.created_at)


@app.post("/payments/<gateway>/callback", tags=["payments"], operation_id="paymentCallback",
          summary="A payment platform's notification (public: verified by its checksum)",
          description="Checksum (HMAC-SHA256), amount and transaction verified; applied once per transaction (a "
                      "repeated notification gets the same answer). Refusals carry a stable code and are audited.",
          responses=_errors(401, 404, 409, 422, 503))
def post_payment_callback(gateway: GatewayName, body: PaymentCallback) -> Response[PaymentCallbackAnswer]:
    outcome = payments().callback(gateway, body.model_dump(), request_id(app))
    answer = PaymentCallbackAnswer.model_validate(outcome.body)
    return Response(outcome.status, http_errors.JSON_UTF8, answer, headers=outcome.headers)


# --- postal collection and return (docs/integrations.md §3) ----------------------------------------------

def _orders(records: list[OrderRecord]) -> PostalOrders:
    kinds = {r.kind: PostalOrderView.model_validate(r.as_view()) for r in records}
    return PostalOrders(collection=kinds.get("collection"), return_by_post=kinds.get("return"))


def _order(record: OrderRecord) -> PostalOrderView:
    return PostalOrderView.model_validate(record.as_view())


@app.post("/dossiers/<dossier_id>/postal", tags=["postal"], operation_id="requestPostal",
          summary="Ask for collection at home and/or the result by post",
          description="The dossier's applicant, or the desk for them. A collection is ordered from the carrier at "
                      "once (while the dossier waits to be received); a return when the desk orders it once the "
                      "result is ready. Asking again while an order is under way is refused (409).",
          security=BEARER, responses=_errors(400, 401, 403, 404, 409, 422))
def post_postal(dossier_id: DossierId, body: PostalRequestIn) -> PostalOrders:
    asked = PostalRequest(collection=body.collection, return_by_post=body.return_by_post, receiver=body.receiver)
    return _orders(postal().request(dossier_id, asked, current_actor(app), request_id(app)))


@app.get("/dossiers/<dossier_id>/postal", tags=["postal"], operation_id="listPostalOrders",
         summary="The dossier's postal orders and their tracking",
         description="Whoever may read the dossier; the receiver's details are not shown.",
         security=BEARER, responses=_errors(401, 403, 404))
def get_postal(dossier_id: DossierId) -> PostalOrders:
    return _orders(postal().orders(dossier_id, current_actor(app), request_id(app)))


@app.post("/dossiers/<dossier_id>/postal/<kind>/order", tags=["postal"], operation_id="createPostalOrder",
          summary="Action (desk): create the carrier order (receiver, dossier code, document list)",
          description="Reception officers and leaders of the dossier's agency: a return once the result is ready "
                      "(status 9), a collection while the dossier waits (1). Sent through the postal queue: "
                      "created at the carrier once, whatever the retries.",
          security=BEARER, responses=_errors(400, 401, 403, 404, 409, 422))
def post_postal_order(dossier_id: DossierId, kind: PostalKind, body: PostalOrderIn) -> PostalOrderView:
    return _order(postal().order(dossier_id, kind, current_actor(app), request_id(app), receiver=body.receiver))


@app.post("/dossiers/<dossier_id>/postal/<kind>/cancel", tags=["postal"], operation_id="cancelPostalOrder",
          summary="Action: cancel the carrier order (until the carrier has collected it)",
          description="The applicant or the desk. The carrier refuses once it has the parcel; the order then "
                      "goes on.", security=BEARER, responses=_errors(401, 403, 404, 409))
def post_postal_cancel(dossier_id: DossierId, kind: PostalKind) -> PostalOrderView:
    return _order(postal().cancel(dossier_id, kind, current_actor(app), request_id(app)))


@app.post("/dossiers/<dossier_id>/postal/<kind>/retry", tags=["postal"], operation_id="retryPostalOrder",
          summary="Action (desk): send a refused, failed or cancelled order to the carrier again",
          description="A new attempt under the same carrier order code (the carrier creates it once).",
          security=BEARER, responses=_errors(401, 403, 404, 409))
def post_postal_retry(dossier_id: DossierId, kind: PostalKind) -> PostalOrderView:
    return _order(postal().retry(dossier_id, kind, current_actor(app), request_id(app)))


@app.post("/postal/<carrier>/callback", tags=["postal"], operation_id="postalCallback",
          summary="A postal carrier's tracking step (public: verified by its checksum)",
          description="One step (`OrderCode`, `ItemCode`, `StatusCode`, `StatusTime`, `Sequence`), HMAC-SHA256 of "
                      "the raw body in the carrier's checksum header. Each step is applied once (duplicates and "
                      "late steps are answered, not applied again); a delivery of a return moves the dossier to "
                      "10 at the carrier's time. Refusals carry a stable code and are audited.",
          responses=_errors(401, 422, 503))
def post_postal_callback(carrier: CarrierName) -> PostalCallbackAnswer:
    event = app.current_event
    body = (event.decoded_body or "").encode()
    signature = event.headers.get(_postal_mapping.checksum_header.lower()) or event.headers.get(
        _postal_mapping.checksum_header)
    outcome = postal().callback(carrier, body, signature, request_id(app))
    return PostalCallbackAnswer(outcome=outcome)  # type: ignore[arg-type]


def _action_route(action: ActionName, body_model: type[ActionBody]) -> None:
    """``POST /dossiers/{id}/actions/<action>``: one route per action, so each documents its own body."""

    def take_action(dossier_id: str, body: ActionBody, idempotency_key: str) -> DossierView:
        return act_from_api(dossier_id, action, body, current_actor(app), idempotency_key, request_id(app))

    take_action.__name__ = f"post_{action.value}"
    take_action.__annotations__ = {
        "dossier_id": DossierId,
        "body": body_model,
        "idempotency_key": ActionKey,
        "return": DossierView,
    }
    app.post(f"/dossiers/<dossier_id>/actions/{action.value}", tags=["actions"], security=BEARER,
             operation_id=action_operation_id(action.value, "Dossier"),
             summary=f"Action: {action.value}", description=inspect.getdoc(body_model),
             responses=_errors(400, 401, 403, 404, 409))(take_action)


for _action, _model in PAYLOADS.items():
    _action_route(_action, _model)

@app.get("/me/dossiers", tags=["citizen"],
         operation_id="listMyDossiers", summary="My dossiers, newest first", security=BEARER,
         description="The signed-in citizen's dossiers, a page at a time.",
         responses=_errors(401, 403))
def get_my_dossiers(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=40)] = None,
) -> DossierSummaryPage:
    items, token = service.mine(current_actor(app), limit, next_token)
    return DossierSummaryPage(items=items, next_token=token)


# --- notification settings and push devices (citizens and officials) ----------------------------------------

@app.get("/me/notification-settings", tags=["notifications"],
         operation_id="getNotificationSettings", summary="My notification channels and devices",
         description="The channels chosen and the app installations registered for push.",
         security=BEARER, responses=_errors(401, 403))
def get_notification_settings() -> NotificationSettingsView:
    return contact_settings().view(current_actor(app))


@app.put("/me/notification-settings", tags=["notifications"],
         operation_id="updateNotificationSettings", security=BEARER, responses=_errors(401, 403),
         description="Replaces the chosen channels; returns the settings as stored.",
         summary="Choose my channels (officials: also my work e-mail and phone; role and agency from my token)")
def put_notification_settings(body: NotificationSettingsIn) -> NotificationSettingsView:
    return contact_settings().save(current_actor(app), body)


@app.put("/me/devices/<installation_id>", tags=["notifications"], operation_id="registerDevice", security=BEARER,
         summary="Register (or update) this app installation's push token", responses=_errors(401, 403, 409),
         description="Idempotent: the same installation id replaces its token.")
def put_device(installation_id: InstallationId, body: DeviceRegistration) -> DeviceView:
    return contact_settings().register_device(current_actor(app), installation_id, body)


@app.delete("/me/devices/<installation_id>", tags=["notifications"], operation_id="removeDevice", security=BEARER,
            summary="Stop push to this app installation (no error if it is not registered); returns my settings "
                    "and the devices left", responses=_errors(401, 403),
            description="Idempotent: removing an unknown installation is not an error.")
def delete_device(installation_id: InstallationId) -> NotificationSettingsView:
    actor = current_actor(app)
    contact_settings().remove_device(actor, installation_id)
    return contact_settings().view(actor)


handler = http.lambda_handler(app, SUBMIT_IDEMPOTENCY, API_IDEMPOTENCY)

startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
