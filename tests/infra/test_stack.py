"""The synthesised template says what the declaration says: table, functions, roles, queues, API, alarms.

Given the stack synthesised once per session (``tests.infra.synthesise``), when we look at its template,
then every declared resource is there with the properties the design requires.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra import declaration as d
from infra.constructs import packaging
from infra.constructs.functions import BUCKET_ACTIONS, TABLE_ACTIONS
from infra.stack import StackDeclaration
from motcua.data import table as schema
from motcua.domain.access import ROLE_CLAIM
from tests.infra import EXTENDED, PLACEHOLDER, TIMEZONE, Synthesis, resources, synthesise

PROJECT = StackDeclaration()
VARIANTS = {"project": PROJECT, "extended": EXTENDED}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> tuple[StackDeclaration, Synthesis]:
    return VARIANTS[request.param], synthesise(request.param)


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return synthesise("project").require()


@pytest.fixture(scope="module")
def extended() -> dict[str, Any]:
    return synthesise("extended").require()


def function_by_handler(template: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    found = [
        (k, r) for k, r in resources(template, "AWS::Lambda::Function").items() if r["Properties"]["Handler"] == handler
    ]
    assert len(found) == 1, f"expected one function with handler {handler}, found {len(found)}"
    return found[0]


def role_statements(template: dict[str, Any], function_logical_id: str) -> list[dict[str, Any]]:
    """Every policy statement attached to the function's own role."""
    role_id = template["Resources"][function_logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    role = template["Resources"][role_id]["Properties"]
    for inline in role.get("Policies", []):
        statements += inline["PolicyDocument"]["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- the table ---------------------------------------------------------------------------------------


def test_the_table_has_the_data_layers_keys_indexes_and_ttl(project: dict[str, Any]) -> None:
    tables = resources(project, "AWS::DynamoDB::Table")
    assert len(tables) == 1
    (table,) = tables.values()
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": schema.PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": schema.SORT_KEY, "KeyType": "RANGE"},
    ]
    assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == {
        name: "S" for name in schema.key_attributes()
    }
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {i.name for i in schema.GLOBAL_INDEXES}
    for index in schema.GLOBAL_INDEXES:
        assert indexes[index.name]["KeySchema"] == [
            {"AttributeName": index.partition_key, "KeyType": "HASH"},
            {"AttributeName": index.sort_key, "KeyType": "RANGE"},
        ]
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": schema.TTL_ATTRIBUTE, "Enabled": True}


def test_the_table_is_on_demand_streamed_recoverable_encrypted_and_kept(project: dict[str, Any]) -> None:
    (table,) = resources(project, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    # SSE enabled with no key given: the AWS-managed KMS key (aws/dynamodb), not the AWS-owned default.
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["SSESpecification"].get("SSEType", "KMS") == "KMS"
    assert "KMSMasterKeyId" not in props["SSESpecification"]
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_the_table_matches_what_the_local_runner_creates(project: dict[str, Any]) -> None:
    # Given the CreateTable request the local stack uses, the deployed table has the same shape.
    local = schema.create_table_request("any")
    (table,) = resources(project, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["KeySchema"] == local["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(local["AttributeDefinitions"], key=str)
    assert sorted(props["GlobalSecondaryIndexes"], key=str) == sorted(local["GlobalSecondaryIndexes"], key=str)


# --- functions and their roles -----------------------------------------------------------------------


def test_one_function_per_declared_function(variant: tuple[StackDeclaration, Synthesis]) -> None:
    declared, synthesis = variant
    template = synthesis.require()
    functions = resources(template, "AWS::Lambda::Function")
    assert sorted(f["Properties"]["Handler"] for f in functions.values()) == sorted(
        f.handler for f in declared.functions
    )
    for spec in declared.functions:
        _, function = function_by_handler(template, spec.handler)
        props = function["Properties"]
        assert props["Runtime"] in {"python3.11", "python3.12"}
        assert props["Architectures"] == ["arm64"]
        assert props["MemorySize"] == spec.memory_mb
        assert props["Timeout"] == spec.timeout_s
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert len(props["Layers"]) == 1
        assert props["LoggingConfig"]["LogFormat"] == "JSON"


def test_functions_get_the_declared_environment_resolved_to_real_names(project: dict[str, Any]) -> None:
    spec = d.function("api")
    _, function = function_by_handler(project, spec.handler)
    variables = function["Properties"]["Environment"]["Variables"]
    expected_keys = set(d.COMMON_ENVIRONMENT) | set(spec.environment)
    assert set(variables) == expected_keys
    (table_id,) = resources(project, "AWS::DynamoDB::Table")
    assert variables["TABLE_NAME"] == {"Ref": table_id}
    for key, value in {**d.COMMON_ENVIRONMENT, **spec.environment}.items():
        if isinstance(value, str):
            assert variables[key] == value
        elif value.kind == "bucket":
            assert variables[key]["Ref"] in resources(project, "AWS::S3::Bucket")


def test_every_reference_kind_resolves(extended: dict[str, Any]) -> None:
    _, notifier = function_by_handler(extended, "motcua.handlers.x_notifier.handler")
    variables = notifier["Properties"]["Environment"]["Variables"]
    assert variables["SENDER"] == "x-alerts@motcua.example"  # named after cdk.json's main sender
    assert variables["PUSH_TOPIC_ARN"]["Ref"] in resources(extended, "AWS::SNS::Topic")
    # A setting absent from the context is read from SSM when CloudFormation deploys.
    parameter = extended["Parameters"][variables["PORTAL_URL"]["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == "/motcua/settings/x_portal_url"
    _, consumer = function_by_handler(extended, "motcua.handlers.x_consumer.handler")
    queue_url = consumer["Properties"]["Environment"]["Variables"]["EVENTS_QUEUE_URL"]
    assert queue_url["Ref"] in resources(extended, "AWS::SQS::Queue")


def test_push_applications_are_configuration_and_only_their_users_touch_endpoints(project: dict[str, Any]) -> None:
    # No context in cdk.json: each platform application's ARN comes from SSM at deploy time, into the API's and
    # the notifier's environment (CloudFormation cannot create a platform application).
    for name in ("api", "notifier"):
        _, function = function_by_handler(project, d.function(name).handler)
        variables = function["Properties"]["Environment"]["Variables"]
        for platform in d.PUSH_PLATFORMS:
            parameter = project["Parameters"][variables[f"PUSH_{platform.upper()}_APPLICATION_ARN"]["Ref"]]
            assert parameter["Default"] == f"/motcua/push/{platform}"
    actions = {
        name: {a for s in role_statements(project, function_by_handler(project, d.function(name).handler)[0])
               for a in as_list(s["Action"]) if a.startswith("sns:")}
        for name in ("api", "notifier", "sla")
    }
    assert actions["api"] == {"sns:CreatePlatformEndpoint", "sns:GetEndpointAttributes", "sns:SetEndpointAttributes",
                              "sns:DeleteEndpoint"}
    assert actions["notifier"] == {"sns:Publish", "sns:DeleteEndpoint"}
    assert actions["sla"] == set()
    logical_id, _ = function_by_handler(project, d.function("api").handler)
    (create,) = [s for s in role_statements(project, logical_id)
                 if "sns:CreatePlatformEndpoint" in as_list(s["Action"])]
    assert all("Ref" in r for r in as_list(create["Resource"]))  # only on the configured applications


def test_each_function_has_its_own_role_without_managed_policies(
    variant: tuple[StackDeclaration, Synthesis],
) -> None:
    declared, synthesis = variant
    template = synthesis.require()
    roles = [
        function_by_handler(template, f.handler)[1]["Properties"]["Role"]["Fn::GetAtt"][0] for f in declared.functions
    ]
    assert len(set(roles)) == len(roles)
    for role_id in roles:
        role = template["Resources"][role_id]["Properties"]
        assert "ManagedPolicyArns" not in role
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_roles_are_least_privilege(variant: tuple[StackDeclaration, Synthesis]) -> None:
    declared, synthesis = variant
    template = synthesis.require()
    allowed_table_actions = {a for group in TABLE_ACTIONS.values() for a in group}
    for spec in declared.functions:
        logical_id, _ = function_by_handler(template, spec.handler)
        statements = role_statements(template, logical_id)
        actions = [a for s in statements for a in as_list(s["Action"])]
        assert all(s["Effect"] == "Allow" for s in statements)
        assert not [a for a in actions if "*" in a and a != "xray:*"], f"{spec.name}: wildcard action"
        assert "dynamodb:Scan" not in actions
        assert {a for a in actions if a.startswith("dynamodb:")} <= allowed_table_actions
        # Resource "*" only where AWS offers nothing narrower: X-Ray, and SMS for declared senders.
        for statement in statements:
            if "*" in as_list(statement["Resource"]):
                assert set(as_list(statement["Action"])) <= {
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "sns:Publish",
                }, statement
        has_sms = any(p.kind == "sms" for p in spec.permissions)
        assert ("sns:Publish" in actions) == has_sms


def test_table_access_follows_the_declared_permission(extended: dict[str, Any]) -> None:
    # Given x-monthly declared table "read" only, when we read its role, then it cannot write.
    logical_id, _ = function_by_handler(extended, "motcua.handlers.x_monthly.handler")
    actions = {a for s in role_statements(extended, logical_id) for a in as_list(s["Action"])}
    assert set(TABLE_ACTIONS["read"]) <= actions
    assert not (set(TABLE_ACTIONS["write"]) - set(TABLE_ACTIONS["read"])) & actions
    assert set(BUCKET_ACTIONS["write"]) <= actions
    assert not set(BUCKET_ACTIONS["read"]) & actions
    # And read_write writes only to the table, not to its indexes.
    logical_id, _ = function_by_handler(extended, "motcua.handlers.x_sweep.handler")
    for statement in role_statements(extended, logical_id):
        if "dynamodb:PutItem" in as_list(statement["Action"]):
            assert "/index/" not in json.dumps(statement["Resource"])


def test_email_is_limited_to_the_declared_sender(extended: dict[str, Any]) -> None:
    logical_id, _ = function_by_handler(extended, "motcua.handlers.x_notifier.handler")
    (email,) = [s for s in role_statements(extended, logical_id) if "ses:SendEmail" in as_list(s["Action"])]
    assert email["Condition"] == {"StringEquals": {"ses:FromAddress": "x-alerts@motcua.example"}}
    assert "identity/x-alerts@motcua.example" in json.dumps(email["Resource"])
    assert "identity/motcua.example" in json.dumps(email["Resource"])


# --- queues --------------------------------------------------------------------------------------------


def test_every_declared_queue_has_a_dlq_with_the_declared_redrive(
    variant: tuple[StackDeclaration, Synthesis],
) -> None:
    declared, synthesis = variant
    template = synthesis.require()
    queues = resources(template, "AWS::SQS::Queue")
    with_redrive = {k: q for k, q in queues.items() if "RedrivePolicy" in q["Properties"]}
    assert len(with_redrive) == len(declared.queues)
    by_visibility = sorted(with_redrive.values(), key=lambda q: q["Properties"]["VisibilityTimeout"])
    for spec, queue in zip(sorted(declared.queues, key=lambda q: q.visibility_timeout_s), by_visibility, strict=True):
        props = queue["Properties"]
        assert props["VisibilityTimeout"] == spec.visibility_timeout_s
        assert props["MessageRetentionPeriod"] == spec.retention_days * 86400
        assert props["RedrivePolicy"]["maxReceiveCount"] == spec.max_receive_count
        dlq = queues[props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]]["Properties"]
        assert props.get("FifoQueue", False) is spec.fifo
        assert dlq.get("FifoQueue", False) is spec.fifo  # a FIFO queue's DLQ must be FIFO too
        assert dlq["MessageRetentionPeriod"] == 14 * 86400
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_queues_refuse_plain_http(project: dict[str, Any]) -> None:
    for policy in resources(project, "AWS::SQS::QueuePolicy").values():
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_queue_consumers_report_batch_item_failures(extended: dict[str, Any]) -> None:
    mappings = resources(extended, "AWS::Lambda::EventSourceMapping")
    triggers = [(f, t) for f in EXTENDED.functions for t in f.triggers if isinstance(t, d.QueueTrigger)]
    assert len(mappings) == len(triggers)
    for spec, trigger in triggers:
        logical_id, _ = function_by_handler(extended, spec.handler)
        (mapping,) = [
            m["Properties"] for m in mappings.values() if m["Properties"]["FunctionName"] == {"Ref": logical_id}
        ]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == trigger.batch_size
        assert mapping.get("MaximumBatchingWindowInSeconds", 0) == trigger.max_batching_window_s


def test_the_sla_sweep_fans_its_shards_out_to_a_worker_each() -> None:
    # Given the prod stage (reservations on), when we read the sweep, its queue and its worker: the sweep may
    # only send to the FIFO shards queue; the worker takes one shard per invocation, as many at once as
    # there are shards, reports partial failures, and the queue outlives six of its timeouts, with a DLQ,
    # alarms on that DLQ's depth and on the oldest message.
    template = synthesise("prod").require()
    worker_id, worker = function_by_handler(template, d.function("sla-worker").handler)
    (mapping,) = [m["Properties"] for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
                  if m["Properties"]["FunctionName"] == {"Ref": worker_id}]
    assert mapping["BatchSize"] == 1 and mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": d.SLA_SHARDS}
    assert worker["Properties"]["ReservedConcurrentExecutions"] == d.SLA_SHARDS
    queue_id = mapping["EventSourceArn"]["Fn::GetAtt"][0]
    queue = template["Resources"][queue_id]["Properties"]
    assert queue["FifoQueue"] is True
    assert queue["VisibilityTimeout"] >= 6 * worker["Properties"]["Timeout"]
    dlq_id = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == d.queue("sla-shards").max_receive_count
    alarmed = {json.dumps(a["Properties"].get("Dimensions")) for a in resources(template, "AWS::CloudWatch::Alarm")
               .values() if a["Properties"].get("Namespace") == "AWS/SQS"}
    for watched in (queue_id, dlq_id):
        assert any(watched in dimensions for dimensions in alarmed), watched
    sweep_id, sweep = function_by_handler(template, d.function("sla").handler)
    actions = {a for s in role_statements(template, sweep_id) for a in as_list(s["Action"])}
    assert "sqs:SendMessage" in actions
    assert not {a for a in actions if a.split(":")[0] in ("dynamodb", "s3")}  # it reads and writes nothing else
    assert "SLA_SHARDS_QUEUE_URL" in sweep["Properties"]["Environment"]["Variables"]
    worker_actions = {a for s in role_statements(template, worker_id) for a in as_list(s["Action"])}
    assert not {a for a in worker_actions if a.startswith("s3:")}  # the Form 04 is rendered by the notifier


# --- the API and auth ------------------------------------------------------------------------------------


def test_the_http_api_verifies_cognito_jwts(project: dict[str, Any]) -> None:
    template = Template.from_json(project)
    template.resource_count_is("AWS::ApiGatewayV2::Api", 1)
    template.has_resource_properties("AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
    (pool_id,) = resources(project, "AWS::Cognito::UserPool")
    (client_id,) = resources(project, "AWS::Cognito::UserPoolClient")
    (authorizer,) = resources(project, "AWS::ApiGatewayV2::Authorizer").values()
    props = authorizer["Properties"]
    assert props["AuthorizerType"] == "JWT"
    assert props["IdentitySource"] == ["$request.header.Authorization"]
    assert props["JwtConfiguration"]["Audience"] == [{"Ref": client_id}]
    assert pool_id in json.dumps(props["JwtConfiguration"]["Issuer"])


def test_routes_follow_the_declared_http_triggers(variant: tuple[StackDeclaration, Synthesis]) -> None:
    declared, synthesis = variant
    template = synthesis.require()
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"] for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    triggers = [t for f in declared.functions for t in f.triggers if isinstance(t, d.HttpTrigger)]
    assert set(routes) == {f"{t.method} {t.path}" for t in triggers}
    assert "ANY /{proxy+}" in routes
    for trigger in triggers:
        route = routes[f"{trigger.method} {trigger.path}"]
        if trigger.authorised:
            assert route["AuthorizationType"] == "JWT"
            assert "AuthorizerId" in route
        else:
            assert route["AuthorizationType"] == "NONE"


def test_the_stage_logs_access_and_throttles(project: dict[str, Any]) -> None:
    (stage,) = resources(project, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    assert props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0] in resources(project, "AWS::Logs::LogGroup")
    access_log = json.loads(props["AccessLogSettings"]["Format"])
    assert {"requestId", "status", "routeKey"} <= set(access_log)
    # The route key, never the raw path or query: citizens type national IDs and phones into tracking and search.
    assert not {v for v in access_log.values() if v in ("$context.path", "$context.requestOverride.path")}, access_log
    assert not any("path" in v.lower() or "querystring" in v.lower() for v in access_log.values()), access_log
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0


def test_the_user_pool_issues_the_claims_the_handlers_read_and_only_admins_set_them(
    project: dict[str, Any],
) -> None:
    from motcua.domain.access import AGENCY_CLAIM, ROLE_CLAIM

    (pool,) = resources(project, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert pool["DeletionPolicy"] == "Retain"
    custom = {f"custom:{s['Name']}" for s in pool["Properties"]["Schema"]}
    assert {ROLE_CLAIM, AGENCY_CLAIM} <= custom
    (client,) = resources(project, "AWS::Cognito::UserPoolClient").values()
    assert client["Properties"]["GenerateSecret"] is False
    assert {ROLE_CLAIM, AGENCY_CLAIM} <= set(client["Properties"]["ReadAttributes"])
    assert not [a for a in client["Properties"]["WriteAttributes"] if a.startswith("custom:")]


def test_without_the_vneid_context_the_pool_federates_no_provider(project: dict[str, Any]) -> None:
    assert resources(project, "AWS::Cognito::UserPoolIdentityProvider") == {}
    assert resources(project, "AWS::Cognito::UserPoolDomain") == {}
    (client,) = resources(project, "AWS::Cognito::UserPoolClient").values()
    assert client["Properties"]["SupportedIdentityProviders"] == ["COGNITO"]


def test_with_the_vneid_context_the_pool_federates_it_and_only_its_client_writes_the_national_id() -> None:
    from motcua.domain.access import NATIONAL_ID_CLAIM
    from tests.infra import VNEID_CONTEXT

    template = synthesise("vneid").require()
    (provider,) = resources(template, "AWS::Cognito::UserPoolIdentityProvider").values()
    props = provider["Properties"]
    assert (props["ProviderName"], props["ProviderType"]) == ("VNeID", "OIDC")
    details = props["ProviderDetails"]
    assert details["oidc_issuer"] == VNEID_CONTEXT["issuer"] and details["client_id"] == VNEID_CONTEXT["clientId"]
    # The secret stays in Secrets Manager: the template holds a dynamic reference to it, never the value.
    assert json.dumps(details["client_secret"]).startswith(
        f'"{{{{resolve:secretsmanager:{VNEID_CONTEXT["clientSecretName"]}:SecretString:::}}}}"')
    assert set(details["authorize_scopes"].split()) == {"openid", "profile", "email"}
    # The declared mapping, the national ID's claim renamed by the context.
    assert props["AttributeMapping"] == {NATIONAL_ID_CLAIM: "identity_number", "name": "name", "email": "email"}
    (domain,) = resources(template, "AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["Domain"] == VNEID_CONTEXT["domainPrefix"]

    clients = {k: r["Properties"] for k, r in resources(template, "AWS::Cognito::UserPoolClient").items()}
    (web,) = [c for c in clients.values() if c["SupportedIdentityProviders"] == ["COGNITO"]]
    (vneid,) = [c for c in clients.values() if c is not web]
    assert NATIONAL_ID_CLAIM not in web["WriteAttributes"]
    assert vneid["SupportedIdentityProviders"] == [{"Ref": next(iter(
        resources(template, "AWS::Cognito::UserPoolIdentityProvider")))}]
    assert NATIONAL_ID_CLAIM in vneid["WriteAttributes"]  # Cognito writes mapped attributes through it...
    # ...and no token of it may change them: no password flow, no aws.cognito.signin.user.admin scope.
    assert vneid["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    assert set(vneid["AllowedOAuthScopes"]) == {"openid", "profile", "email"}
    assert vneid["AllowedOAuthFlows"] == ["code"] and vneid["CallbackURLs"] == VNEID_CONTEXT["callbackUrls"]
    # The API accepts both clients' tokens.
    (authorizer,) = resources(template, "AWS::ApiGatewayV2::Authorizer").values()
    assert len(authorizer["Properties"]["JwtConfiguration"]["Audience"]) == 2


def test_an_incomplete_vneid_context_is_refused(tmp_path: Path) -> None:
    from infra.app import build_app
    from tests.infra import VNEID_CONTEXT

    partial = {k: v for k, v in VNEID_CONTEXT.items() if k != "clientSecretName"}
    with pytest.raises(Exception, match="clientSecretName missing"):
        build_app(tmp_path, context={**PLACEHOLDER, "motcua:vneid": json.dumps(partial)}, nag=False)


# --- schedules ------------------------------------------------------------------------------------------


def test_schedules_fire_in_the_declared_time_zone(variant: tuple[StackDeclaration, Synthesis]) -> None:
    declared, synthesis = variant
    template = synthesis.require()
    schedules = [s["Properties"] for s in resources(template, "AWS::Scheduler::Schedule").values()]
    triggers = [(f, t) for f in declared.functions for t in f.triggers if isinstance(t, d.ScheduleTrigger)]
    assert len(schedules) == len(triggers)
    for spec, trigger in triggers:
        logical_id, _ = function_by_handler(template, spec.handler)
        (props,) = [
            s
            for s in schedules
            if s["Target"]["Arn"] == {"Fn::GetAtt": [logical_id, "Arn"]}
            and s["ScheduleExpression"] == trigger.expression
        ]
        assert props["ScheduleExpressionTimezone"] == trigger.timezone
        assert props["State"] == "ENABLED"
        assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert "Arn" in props["Target"]["DeadLetterConfig"]
        assert props["Target"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        # The invoke role may invoke that one function and nothing else.
        role_id = props["Target"]["RoleArn"]["Fn::GetAtt"][0]
        invoke = [
            s
            for p in resources(template, "AWS::IAM::Policy").values()
            if {"Ref": role_id} in p["Properties"]["Roles"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]
            if "lambda:InvokeFunction" in as_list(s["Action"])
        ]
        assert [s["Resource"] for s in invoke] == [{"Fn::GetAtt": [logical_id, "Arn"]}]


def test_the_monthly_cron_runs_in_vietnam_time(extended: dict[str, Any]) -> None:
    monthly = [
        s["Properties"]
        for s in resources(extended, "AWS::Scheduler::Schedule").values()
        if s["Properties"]["ScheduleExpression"] == "cron(5 0 1 * ? *)"
    ]
    assert monthly  # at least the extended declaration's own
    assert all(m["ScheduleExpressionTimezone"] == TIMEZONE == "Asia/Ho_Chi_Minh" for m in monthly)


# --- monitoring ------------------------------------------------------------------------------------------


def test_alarms_on_dlq_depth_api_5xx_and_function_errors(variant: tuple[StackDeclaration, Synthesis]) -> None:
    declared, synthesis = variant
    template = synthesis.require()
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    (topic_id,) = [
        k
        for k, t in resources(template, "AWS::SNS::Topic").items()
        if "KmsMasterKeyId" in t["Properties"] and "Fn::GetAtt" in t["Properties"]["KmsMasterKeyId"]
    ]
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    depth = [a for a in alarms if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"]
    has_schedules = any(isinstance(t, d.ScheduleTrigger) for f in declared.functions for t in f.triggers)
    assert len(depth) == len(declared.queues) + (1 if has_schedules else 0)
    assert all(a["Threshold"] == 1 and a["Namespace"] == "AWS/SQS" for a in depth)
    (api_5xx,) = [a for a in alarms if a.get("MetricName") == "5xx"]
    assert api_5xx["Namespace"] == "AWS/ApiGateway"
    assert api_5xx["Statistic"] == "Sum"
    errors = [a for a in alarms if a.get("MetricName") == "Errors"]
    assert len(errors) == len(declared.functions)


# --- assets and outputs ------------------------------------------------------------------------------------


def test_the_code_asset_holds_motcua_and_schemas_only(project: dict[str, Any]) -> None:
    synthesis = synthesise("project")
    _, function = function_by_handler(project, d.function("api").handler)
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    manifest = json.loads((synthesis.outdir / f"{synthesis.stack.stack_name}.assets.json").read_text())
    asset_dir = synthesis.outdir / manifest["files"][asset_hash]["source"]["path"]
    assert sorted(p.name for p in asset_dir.iterdir()) == ["motcua", "schemas"]
    assert (asset_dir / "motcua" / "handlers" / "__init__.py").is_file()
    assert (asset_dir / "schemas" / "__init__.py").is_file()
    # Every declared handler's module is in the asset (a typo would otherwise surface only in the cloud),
    # with its bytecode beside it (Lambda's read-only filesystem would otherwise compile it at each cold start).
    for spec in d.FUNCTIONS:
        module = Path(*spec.handler.rpartition(".")[0].split("."))
        assert (asset_dir / module).with_suffix(".py").is_file(), spec.handler
        assert (asset_dir / module.parent / "__pycache__" / f"{module.name}.cpython-311.pyc").is_file(), spec.handler


def test_outputs_name_what_clients_and_end_to_end_tests_need(project: dict[str, Any]) -> None:
    outputs = set(project["Outputs"])
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId", "TableName", "AlarmTopicArn"} <= outputs
    assert {"UploadsBucketName", "ActionsQueueUrl", "ActionsDlqQueueUrl"} <= outputs


# --- mistakes in the declaration fail synthesis, with the reason --------------------------------------------


def _with_function(function: d.Function, queues: tuple[d.Queue, ...] = ()) -> StackDeclaration:
    return replace(PROJECT, functions=(*PROJECT.functions, function), queues=(*PROJECT.queues, *queues))


BROKEN = {
    "undeclared queue": (
        _with_function(
            d.Function("x", "motcua.x.handler", "x", (), (d.Permission("queue", "missing", "send"),)),
        ),
        "queue 'missing' is not declared",
    ),
    "visibility shorter than the timeout": (
        _with_function(
            d.Function("slow", "motcua.x.handler", "x", (d.QueueTrigger("quick"),), (), timeout_s=120),
            queues=(d.Queue("quick", visibility_timeout_s=700),),
        ),
        "visibility timeout 700s is shorter than 6x function 'slow' timeout 120s (720s)",
    ),
    "batching window on a FIFO queue": (
        _with_function(
            d.Function("f", "motcua.x.handler", "x", (d.QueueTrigger("actions", max_batching_window_s=5),), ()),
        ),
        "is FIFO",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_declaration_mistakes_fail_synthesis_with_the_reason(case: str, tmp_path: Path) -> None:
    from infra.app import build_app

    declaration, message = BROKEN[case]
    with pytest.raises(Exception, match=re.escape(message)):
        build_app(tmp_path, context=PLACEHOLDER, declaration=declaration, nag=False)


def test_synthesis_without_the_built_layer_is_refused_with_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.app import build_app

    # As on a fresh clone, where `make package` never ran (a local build would otherwise leave nothing to refuse).
    monkeypatch.setattr(packaging, "built_layer_dir", lambda *args, **kwargs: None)
    refusal = r"dependency layer for arm64 is not built .*run `make package` first"
    with pytest.raises(packaging.LayerNotBuilt, match=refusal):
        build_app(tmp_path, nag=False)


# --- packaging: the code asset and the layer, without jsii --------------------------------------------------


def _tree(root: Path) -> Path:
    for path, text in {
        "functions/motcua/__init__.py": "",
        "functions/motcua/handlers/api.py": "def handler(event, context): ...\n",
        "functions/motcua/__pycache__/api.cpython-311.pyc": "bytecode",
        "schemas/__init__.py": "",
        "tests/test_x.py": "not shipped",
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def test_code_staging_is_content_addressed_and_compiled(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    first = packaging.stage_code(root, tmp_path / "staged")
    assert packaging.stage_code(root, tmp_path / "staged") == first  # unchanged tree, same directory
    assert sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file()) == [
        "motcua/__init__.py",
        "motcua/__pycache__/__init__.cpython-311.pyc",
        "motcua/handlers/__pycache__/api.cpython-311.pyc",
        "motcua/handlers/api.py",
        "schemas/__init__.py",
        "schemas/__pycache__/__init__.cpython-311.pyc",
    ]
    # Lambda's filesystem is read-only: bytecode never checked against its source, else it is recompiled
    # in memory at every cold start (flags 0b01: hash-based, unchecked; PEP 552).
    pyc = (first / "motcua/handlers/__pycache__/api.cpython-311.pyc").read_bytes()
    assert int.from_bytes(pyc[4:8], "little") == 0b01
    (root / "functions/motcua/handlers/api.py").write_text("def handler(event, context): return 1\n")
    second = packaging.stage_code(root, tmp_path / "staged")
    assert second != first
    assert "return 1" in (second / "motcua/handlers/api.py").read_text()


def test_the_layer_installs_only_the_runtime_requirements_pinned_by_the_lock(tmp_path: Path) -> None:
    (tmp_path / "requirements.lock").write_text("pillow==12.2.0\n    # via fpdf2\npydantic==2.14.3\npytest==8.4\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pydantic>=2", "fpdf2"]\n'
        '[project.optional-dependencies]\ndev = ["pytest"]\n'
    )
    for architecture, machine in (("arm64", "aarch64"), ("x86_64", "x86_64")):
        command = packaging.layer_pip_command(tmp_path / "out", architecture, tmp_path)
        assert command[command.index("--python-version") + 1] == "3.11"
        assert command[command.index("--constraint") + 1] == str(tmp_path / "requirements.lock")
        assert "--only-binary=:all:" in command
        platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
        assert platforms and all(p.endswith(f"_{machine}") for p in platforms)
        assert not [p for p in platforms if p.startswith("manylinux_2_") and int(p.split("_")[2]) > 26]
        requirements = command[command.index(str(tmp_path / "requirements.lock")) + 1 :]
        assert requirements == ["pydantic>=2", "fpdf2"]  # never the dev extra


def test_a_layer_built_from_another_lock_is_not_the_built_layer(tmp_path: Path) -> None:
    (tmp_path / "requirements.lock").write_text("pydantic==2.14.3\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["pydantic>=2"]\n')
    layer = packaging.layer_dir_for("x86_64", tmp_path / "layer")
    (layer / "python").mkdir(parents=True)
    (layer / packaging.LAYER_STAMP).write_text(packaging.layer_inputs_hash("x86_64", tmp_path) + "\n")
    assert packaging.built_layer_dir("x86_64", tmp_path / "layer", tmp_path) == layer
    assert packaging.built_layer_dir("arm64", tmp_path / "layer", tmp_path) is None  # another platform
    (tmp_path / "requirements.lock").write_text("pydantic==2.14.4\n")
    assert packaging.built_layer_dir("x86_64", tmp_path / "layer", tmp_path) is None


def test_runtime_requirements_take_from_powertools_only_the_extras_the_functions_import() -> None:
    (powertools,) = [r for r in packaging.runtime_dependencies() if r.startswith("aws-lambda-powertools")]
    assert powertools.startswith("aws-lambda-powertools[tracer]")
    assert not [r for r in packaging.runtime_dependencies() if r.startswith("werkzeug")]


def test_the_placeholder_layer_is_marked_as_one(tmp_path: Path) -> None:
    assert packaging.built_layer_dir("arm64", tmp_path / "layer") is None
    placeholder = packaging.placeholder_layer_dir(tmp_path / "placeholder")
    assert [p.name for p in (placeholder / "python").iterdir()] == ["MOTCUA_PLACEHOLDER_LAYER.txt"]


def test_uploads_no_dossier_took_expire(project: dict[str, Any]) -> None:
    """The upload form tags an object ``unattached`` (motcua.data.uploads); attaching it re-tags it."""
    (spec,) = [b for b in d.BUCKETS if b.name == "uploads"]
    assert spec.expire_tagged is not None
    tag, value, days = spec.expire_tagged
    rules = [rule for bucket in resources(project, "AWS::S3::Bucket").values()
             for rule in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
             if rule.get("TagFilters")]
    assert [(r["TagFilters"], r["ExpirationInDays"], r["Status"]) for r in rules] == [
        ([{"Key": tag, "Value": value}], days, "Enabled")]


def test_the_user_pool_issues_every_token_through_the_declared_pre_token_trigger(project: dict[str, Any]) -> None:
    # Custom attributes have no list of values: the trigger is what keeps `custom:role` to the person roles.
    (spec,) = [f for f in d.FUNCTIONS for t in f.triggers if isinstance(t, d.CognitoTrigger)]
    function_id, function = function_by_handler(project, spec.handler)
    assert function["Properties"]["Timeout"] <= 5  # Cognito waits 5 s for a trigger, then fails the sign-in
    (pool,) = resources(project, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["LambdaConfig"] == {"PreTokenGeneration": {"Fn::GetAtt": [function_id, "Arn"]}}
    (pool_id,) = resources(project, "AWS::Cognito::UserPool")
    invokers = [p["Properties"] for p in resources(project, "AWS::Lambda::Permission").values()
                if p["Properties"]["Principal"] == "cognito-idp.amazonaws.com"]
    assert [p["FunctionName"] for p in invokers] == [{"Fn::GetAtt": [function_id, "Arn"]}]
    assert pool_id in json.dumps(invokers[0]["SourceArn"])  # this pool only, not any pool of any account
    (client,) = resources(project, "AWS::Cognito::UserPoolClient").values()
    assert ROLE_CLAIM not in client["Properties"]["WriteAttributes"]
