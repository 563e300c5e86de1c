"""The HTTP API: one route per declared HttpTrigger, JWT-verified against the Cognito user pool.

Routes are the declared method and path (the authorised catch-all is ``ANY /{proxy+}``; public routes are
declared one by one and win as the more specific match); the Powertools resolver inside the function owns
validation and 404/405. CORS preflights are answered by API Gateway itself (no authoriser on OPTIONS).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import declaration as d
from infra.constructs import constants as c
from infra.constructs.nag import acknowledge
from infra.constructs.naming import construct_name

# JSON access log; `sub` identifies the caller without logging the token or personal data. The route key
# (`GET /track/{receipt_code}`), never the raw path or query: what citizens type into tracking and search
# (national IDs, phones, names) is in them, and API Gateway has no way to mask a value in this format.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "method": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "latencyMs": "$context.responseLatency",
        "integrationLatencyMs": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
        "sub": "$context.authorizer.claims.sub",
    },
    separators=(",", ":"),
)

PUBLIC_ROUTE_REASON = (
    "Declared public (HttpTrigger authorised=False) in infra/declaration.py: tracking by receipt code, the "
    "procedure catalogue, health, which citizens read without an account. The handler exposes no personal "
    "data on these routes, and the stage throttles them like every route."
)


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """IAccessLogSettings is a jsii interface, not a struct: Python implements it with a class."""

    def __init__(self, destination: apigwv2.IAccessLogDestination, log_format: apigw.AccessLogFormat) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        declared: Sequence[d.Function],
        functions: Mapping[str, lambda_.IFunction],
        user_pool: cognito.IUserPool,
        user_pool_clients: Sequence[cognito.IUserPoolClient],
        allowed_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description="Motcua: catalogue, dossiers, tracking, officials' actions",
            create_default_stage=False,  # created below, with access logs and throttling
            cors_preflight=apigwv2.CorsPreflightOptions(
                allow_origins=list(allowed_origins),
                allow_methods=[apigwv2.CorsHttpMethod.ANY],
                allow_headers=list(c.CORS_ALLOWED_HEADERS),
                max_age=Duration.seconds(c.CORS_MAX_AGE_S),
            ),
        )
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays[c.LOG_RETENTION])
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=c.API_THROTTLE_RATE, burst_limit=c.API_THROTTLE_BURST),
            access_log_settings=_AccessLogSettings(
                apigwv2.LogGroupLogDestination(self.access_logs),
                apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
            ),
        )
        self.authorizer = authorizers.HttpUserPoolAuthorizer(
            "CognitoAuthorizer", user_pool, user_pool_clients=list(user_pool_clients)
        )
        self.routes: list[apigwv2.HttpRoute] = []
        throttled: dict[str, tuple[tuple[int, int], apigwv2.HttpRoute]] = {}
        for spec in declared:
            triggers = [t for t in spec.triggers if isinstance(t, d.HttpTrigger)]
            if not triggers:
                continue
            integration = integrations.HttpLambdaIntegration(
                f"{construct_name(spec.name)}Integration", functions[spec.name]
            )
            for trigger in triggers:
                for route in self.http_api.add_routes(
                    path=trigger.path,
                    methods=[apigwv2.HttpMethod(getattr(trigger, "method", "ANY").upper())],
                    integration=integration,
                    authorizer=self.authorizer if trigger.authorised else apigwv2.HttpNoneAuthorizer(),
                ):
                    self.routes.append(route)
                    if not trigger.authorised:
                        acknowledge(route, "AwsSolutions-APIG4", PUBLIC_ROUTE_REASON)
                    if trigger.throttle is not None:
                        throttled[f"{trigger.method.upper()} {trigger.path}"] = (trigger.throttle, route)
        self._throttle_routes(throttled)

    def _throttle_routes(self, throttled: Mapping[str, tuple[tuple[int, int], apigwv2.HttpRoute]]) -> None:
        """Per-route limits, set on the stage (the HTTP API L2 stage has only the stage-wide one)."""
        if not throttled:
            return
        stage = self.stage.node.default_child
        assert isinstance(stage, apigwv2.CfnStage)
        stage.route_settings = {
            key: {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
            for key, ((rate, burst), _) in sorted(throttled.items())
        }
        # The stage can only name a route that already exists.
        for _, route in throttled.values():
            stage.node.add_dependency(route)

    @property
    def url(self) -> str:
        return self.stage.url
