"""What every API route module reads from the request it serves: who is asking and the request's id.

Each HTTP function's routes live on its resolver (``api.app``, ``public_api.app``) or on a router it includes
(``feedback_api.router``, ``index_api.router``); a route passes its own, which sees the current event.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from motcua.domain.actors import Actor
from motcua.service.sign_in import known_actor

Routes = APIGatewayHttpResolver | APIGatewayHttpRouter


def current_actor(routes: Routes) -> Actor:
    """The caller, from the JWT authoriser's claims, checked against the registered subjects."""
    return known_actor(routes.current_event.request_context.authorizer.jwt_claim)


def current_claims(routes: Routes) -> dict[str, Any]:
    """The verified token's claims, as the JWT authoriser passed them (for a service that reads more than the
    actor, e.g. a VNeID sign-in's national ID)."""
    return dict(routes.current_event.request_context.authorizer.jwt_claim or {})


def request_id(routes: Routes) -> str:
    return routes.current_event.request_context.request_id


def action_operation_id(action: str, owner: str) -> str:
    """The operationId of an action route, verb first then the resource: ``receive`` on a dossier is
    ``receiveDossier``, ``request_supplement`` is ``requestDossierSupplement`` (what a generated client calls)."""
    verb, *rest = action.split("_")
    return verb + owner + "".join(word.capitalize() for word in rest)
