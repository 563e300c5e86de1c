"""The stack's operational guard rails: stages, concurrency, alarms, dashboard, retries, locks, throttles.

Given the stack synthesised for dev (the default), for prod, and with the extended declaration, when we read
its template, then each guard rail is there and follows the declaration (not a copy of its numbers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import declaration as d
from infra.constructs import stages
from infra.constructs.functions import VISIBILITY_TIMEOUT_FACTOR
from tests.infra import EXTENDED, PLACEHOLDER, resources, synthesise


def functions_by_handler(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    functions = resources(template, "AWS::Lambda::Function")
    return {r["Properties"]["Handler"]: (k, r["Properties"]) for k, r in functions.items()}


@pytest.fixture(scope="module")
def dev() -> dict[str, Any]:
    return synthesise("project").require()


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    return synthesise("prod").require()


@pytest.fixture(scope="module")
def extended() -> dict[str, Any]:
    return synthesise("extended").require()


# --- stages -------------------------------------------------------------------------------------------------


def test_the_stage_names_the_stack_and_only_prod_is_protected() -> None:
    dev_stack, prod_stack = synthesise("project").stack, synthesise("prod").stack
    assert dev_stack.stack_name == "Motcua-dev"
    assert prod_stack.stack_name == "Motcua-prod"
    assert dev_stack.termination_protection is False
    assert prod_stack.termination_protection is True


def test_an_unknown_stage_is_refused_with_the_choices(tmp_path: Path) -> None:
    from infra.app import build_app

    with pytest.raises(ValueError, match="unknown stage 'production': use one of dev, staging, prod"):
        build_app(tmp_path, context={**PLACEHOLDER, "motcua:stage": "production"}, nag=False)


# --- reserved concurrency -------------------------------------------------------------------------------------


def test_prod_reserves_the_declared_concurrency_and_pollers_stay_within_it(prod: dict[str, Any]) -> None:
    by_handler = functions_by_handler(prod)
    mappings = [m["Properties"] for m in resources(prod, "AWS::Lambda::EventSourceMapping").values()]
    for spec in d.FUNCTIONS:
        logical_id, props = by_handler[spec.handler]
        assert spec.reserved_concurrency is not None, f"{spec.name} declares no reserved concurrency"
        assert props["ReservedConcurrentExecutions"] == spec.reserved_concurrency
        for mapping in mappings:
            if mapping["FunctionName"] == {"Ref": logical_id}:
                assert mapping["ScalingConfig"]["MaximumConcurrency"] == spec.reserved_concurrency


def test_dev_reserves_nothing_a_new_account_could_refuse(dev: dict[str, Any]) -> None:
    for _, props in functions_by_handler(dev).values():
        assert "ReservedConcurrentExecutions" not in props


def test_reservations_are_configurable_per_function(tmp_path: Path) -> None:
    from infra.app import build_app

    app, stack = build_app(
        tmp_path, context={**PLACEHOLDER, "motcua:stage": "prod", "motcua:reservedConcurrency": '{"api": 7}'}, nag=False
    )
    template = app.synth().get_stack_by_name(stack.stack_name).template
    by_handler = functions_by_handler(template)
    assert by_handler[d.function("api").handler][1]["ReservedConcurrentExecutions"] == 7
    assert by_handler[d.function("notifier").handler][1]["ReservedConcurrentExecutions"] == (
        d.function("notifier").reserved_concurrency
    )
    with pytest.raises(Exception, match=r"no declared function \['nope'\]"):
        build_app(tmp_path / "x", context={**PLACEHOLDER, "motcua:reservedConcurrency": '{"nope": 1}'}, nag=False)


# --- queues: visibility against the consumer ------------------------------------------------------------------


def test_every_consumed_queue_outlasts_six_consumer_timeouts() -> None:
    for declared in (d.FUNCTIONS, EXTENDED.functions):
        queues = {q.name: q for q in (*d.QUEUES, *EXTENDED.queues)}
        for function in declared:
            for trigger in function.triggers:
                if isinstance(trigger, d.QueueTrigger):
                    needed = VISIBILITY_TIMEOUT_FACTOR * function.timeout_s + trigger.max_batching_window_s
                    assert queues[trigger.queue].visibility_timeout_s >= needed, (function.name, trigger.queue)


# --- alarms and the dashboard ---------------------------------------------------------------------------------


def _alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]


def _dimension(alarm: dict[str, Any], name: str) -> Any:
    return next((x["Value"] for x in alarm.get("Dimensions", []) if x["Name"] == name), None)


@pytest.mark.parametrize("variant", ["project", "extended"])
def test_each_function_alarms_on_throttles_and_on_running_near_its_timeout(variant: str) -> None:
    template = synthesise(variant).require()
    declared = EXTENDED.functions if variant == "extended" else d.FUNCTIONS
    by_handler = functions_by_handler(template)
    alarms = _alarms(template)
    for spec in declared:
        logical_id, _ = by_handler[spec.handler]
        mine = [a for a in alarms if _dimension(a, "FunctionName") == {"Ref": logical_id}]
        (throttles,) = [a for a in mine if a.get("MetricName") == "Throttles"]
        assert throttles["Threshold"] == 1 and throttles["Statistic"] == "Sum"
        (duration,) = [a for a in mine if a.get("MetricName") == "Duration"]
        assert duration["Statistic"] == "Maximum"
        assert 0.5 * spec.timeout_s * 1000 <= duration["Threshold"] < spec.timeout_s * 1000


@pytest.mark.parametrize("variant", ["project", "extended"])
def test_each_queue_alarms_on_its_oldest_message(variant: str) -> None:
    template = synthesise(variant).require()
    declared = EXTENDED.queues if variant == "extended" else d.QUEUES
    age = [a for a in _alarms(template) if a.get("MetricName") == "ApproximateAgeOfOldestMessage"]
    assert sorted(a["Threshold"] for a in age) == sorted(q.max_message_age_s for q in declared)
    queues = resources(template, "AWS::SQS::Queue")
    for alarm in age:
        queue_id = _dimension(alarm, "QueueName")["Fn::GetAtt"][0]
        assert "RedrivePolicy" in queues[queue_id]["Properties"]  # the working queue, not its DLQ


def test_the_table_alarms_on_throttling_and_system_errors(dev: dict[str, Any]) -> None:
    (table_id,) = resources(dev, "AWS::DynamoDB::Table")
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for alarm in _alarms(dev):
        for query in alarm.get("Metrics", []):
            stat = query.get("MetricStat")
            if stat and {"Name": "TableName", "Value": {"Ref": table_id}} in stat["Metric"]["Dimensions"]:
                by_metric.setdefault(stat["Metric"]["MetricName"], []).append(alarm)
    assert set(by_metric) == {"ThrottledRequests", "SystemErrors"}
    for alarm in (by_metric["ThrottledRequests"][0], by_metric["SystemErrors"][0]):
        assert alarm["Threshold"] == 1
        operations = {
            _dimension(q["MetricStat"]["Metric"], "Operation") for q in alarm["Metrics"] if "MetricStat" in q
        }
        assert {"GetItem", "Query", "PutItem", "UpdateItem", "TransactWriteItems"} <= operations


def test_one_dashboard_shows_the_alarms_every_function_and_every_queue(dev: dict[str, Any]) -> None:
    (dashboard,) = resources(dev, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "Motcua-dev"
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert '\\"type\\":\\"alarm\\"' in body
    for logical_id, _ in functions_by_handler(dev).values():
        assert logical_id in body, f"function {logical_id} is not on the dashboard"
    for logical_id in resources(dev, "AWS::SQS::Queue"):
        assert logical_id in body, f"queue {logical_id} is not on the dashboard"


# --- schedules --------------------------------------------------------------------------------------------------


def test_every_scheduler_target_retries_then_parks_in_an_alarmed_dlq(dev: dict[str, Any]) -> None:
    schedules = [s["Properties"] for s in resources(dev, "AWS::Scheduler::Schedule").values()]
    assert len(schedules) == sum(isinstance(t, d.ScheduleTrigger) for f in d.FUNCTIONS for t in f.triggers)
    dlqs = {s["Target"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] for s in schedules}
    assert len(dlqs) == 1
    (dlq_id,) = dlqs
    assert any(_dimension(a, "QueueName") == {"Fn::GetAtt": [dlq_id, "QueueName"]} for a in _alarms(dev))
    for schedule in schedules:
        policy = schedule["Target"]["RetryPolicy"]
        assert policy["MaximumRetryAttempts"] >= 1
        assert policy["MaximumEventAgeInSeconds"] >= 60


# --- signed documents under Object Lock --------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["project", "prod"])
def test_signed_documents_are_object_locked_in_governance_mode_for_the_stage(variant: str) -> None:
    template = synthesise(variant).require()
    stage = stages.STAGES["prod" if variant == "prod" else "dev"]
    locked = [b["Properties"] for b in resources(template, "AWS::S3::Bucket").values()
              if b["Properties"].get("ObjectLockEnabled")]
    assert len(locked) == sum(b.object_lock for b in d.BUCKETS) == 1
    (bucket,) = locked
    retention = bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention == {"Mode": "GOVERNANCE", "Days": stage.document_lock_days}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}


def test_the_lock_retention_is_configurable(tmp_path: Path) -> None:
    from infra.app import build_app

    app, stack = build_app(tmp_path, context={**PLACEHOLDER, "motcua:documentLockDays": "30"}, nag=False)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    (bucket,) = [b for b in resources(template, "AWS::S3::Bucket").values() if b["Properties"].get("ObjectLockEnabled")]
    assert bucket["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Days"] == 30


# --- the public tracking route --------------------------------------------------------------------------------------


def test_public_tracking_is_throttled_on_its_own_below_the_stage(dev: dict[str, Any]) -> None:
    (stage,) = resources(dev, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    throttled = {f"{t.method} {t.path}": t.throttle for f in d.FUNCTIONS for t in f.triggers
                 if isinstance(t, d.HttpTrigger) and t.throttle}
    assert "GET /track/{receipt_code}" in throttled
    # Anyone may verify a signed result, and checking a PAdES signature costs about half a second of CPU.
    assert "GET /documents/{document_id}/verify" in throttled
    assert set(props["RouteSettings"]) == set(throttled)
    for key, (rate, burst) in throttled.items():
        settings = props["RouteSettings"][key]
        assert settings == {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
        assert rate < props["DefaultRouteSettings"]["ThrottlingRateLimit"]
    # The stage names routes by key, so CloudFormation must create them first.
    routes = {r["Properties"]["RouteKey"]: k for k, r in resources(dev, "AWS::ApiGatewayV2::Route").items()}
    for key in throttled:
        assert routes[key] in stage["DependsOn"]
