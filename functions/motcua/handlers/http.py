"""What every HTTP function shares: its resolver and its Lambda entry point.

The API is several functions, one per group of routes (``infra/declaration.py`` routes each path to one),
so that a cold start imports only its own group's services: ``api`` (dossiers, actions, the citizen's
settings), ``feedback_api``, ``index_api`` and ``public_api``. Each module builds its resolver with
:func:`resolver` and its ``handler`` with :func:`lambda_handler`, so every function answers alike: the one
error body, the raw-request guard, the logger's correlation id, the tracer.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.handlers import http_errors
from motcua.handlers.guards import check_raw_request
from motcua.observability import service_logger
from schemas.common import ErrorBody

logger = service_logger()
# Only botocore is patched: every AWS call (pynamodb's included, which go through botocore) is a subsegment,
# without importing and wrapping every other library X-Ray knows (httplib, sqlite3, ...) at each cold start.
tracer = Tracer(patch_modules=("botocore",))

LambdaHandler = Callable[[dict, LambdaContext], dict]


def resolver(*routers: APIGatewayHttpRouter) -> APIGatewayHttpResolver:
    """A function's resolver, with ``routers`` included; a route that is not in it is the standard 404."""
    # A response that fails its own model is our bug: a 500, never a client-facing 422.
    app = APIGatewayHttpResolver(enable_validation=True, response_validation_error_http_code=500,
                                 serializer=http_errors.serialize)
    http_errors.register(app)
    for router in routers:
        app.include_router(router)
    return app


def lambda_handler(app: APIGatewayHttpResolver, *idempotency: IdempotencyConfig) -> LambdaHandler:
    """The function's entry point: the raw request checked, then resolved. ``idempotency``: the configs its
    routes use, whose in-progress records expire with the invocation."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @tracer.capture_lambda_handler(capture_response=False)  # responses carry personal data: not in traces
    def handler(event: dict, context: LambdaContext) -> dict:
        for config in idempotency:
            config.register_lambda_context(context)
        rejected = check_raw_request(event)
        if rejected is not None:
            return {"statusCode": rejected.http_status, "headers": {"Content-Type": http_errors.JSON_UTF8},
                    "body": ErrorBody(**rejected.to_body()).model_dump_json(), "isBase64Encoded": False}
        return app.resolve(event, context)

    return handler
