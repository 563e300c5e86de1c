"""Create the declared resources on the local engines. Every step is idempotent.

``make run`` persists DynamoDB under ``.local/`` while moto starts empty each time, so a restart must
find the table and skip it, and re-create queues, buckets, identities, schedules and the user pool without
failing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3.session
from botocore.exceptions import ClientError

from infra import declaration
from infra.declaration import Function, Queue, ScheduleTrigger
from infra.local import ACCOUNT_ID, REGION, function_arn
from infra.local.cognito import LocalPool, ensure_pool
from infra.local.env import (
    PUSH_PLATFORM_NAMES,
    Endpoints,
    bucket_name,
    declared_refs,
    push_application_arn,
    push_application_name,
    queue_name,
    sender_address,
    table_name,
    topic_arn,
)
from motcua.data.table import TTL_ATTRIBUTE, create_table_request

log = logging.getLogger("infra.local")
_session = boto3.session.Session()
_session_lock = threading.Lock()

SCHEDULE_GROUP = "default"
SCHEDULER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/{declaration.SERVICE}-scheduler"


@dataclass
class QueueUrls:
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


@dataclass
class LocalResources:
    table_name: str
    queues: dict[str, QueueUrls] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    senders: list[str] = field(default_factory=list)
    topics: dict[str, str] = field(default_factory=dict)
    push_applications: dict[str, str] = field(default_factory=dict)  # platform -> ARN
    schedules: list[str] = field(default_factory=list)
    user_pool: LocalPool | None = None


def client(service: str, endpoints: Endpoints) -> Any:
    endpoint = endpoints.dynamodb if service == "dynamodb" else endpoints.moto
    # boto3 sessions are not safe to create clients from on several threads; clients themselves are.
    with _session_lock:
        return _session.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - dummy credential for the local engines
        )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def create_table(dynamodb: Any, name: str) -> None:
    try:
        dynamodb.create_table(**create_table_request(name))
        log.info("table %s created", name)
    except ClientError as exc:
        if _error_code(exc) != "ResourceInUseException":
            raise
        log.info("table %s exists", name)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
        )


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> str:
    try:
        url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except ClientError as exc:
        # Same name, different attributes (the declaration changed): converge instead of failing.
        if _error_code(exc) not in ("QueueAlreadyExists", "QueueNameExists"):
            raise
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        settable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
        sqs.set_queue_attributes(QueueUrl=url, Attributes=settable)
    return url


def _arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def create_queue(sqs: Any, queue: Queue) -> QueueUrls:
    """The queue and its DLQ, with the redrive policy that moves a message after ``max_receive_count``."""
    fifo: dict[str, str] = {"FifoQueue": "true"} if queue.fifo else {}
    dlq = queue.dead_letter()
    dlq_url = _ensure_queue(sqs, queue_name(dlq.name, dlq.fifo),
                            {**fifo, "MessageRetentionPeriod": str(dlq.retention_days * 86400)})
    dlq_arn = _arn(sqs, dlq_url)
    url = _ensure_queue(
        sqs,
        queue_name(queue.name, queue.fifo),
        {
            **fifo,
            "VisibilityTimeout": str(queue.visibility_timeout_s),
            "MessageRetentionPeriod": str(queue.retention_days * 86400),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}),
        },
    )
    log.info("queue %s (DLQ after %d receives)", url, queue.max_receive_count)
    return QueueUrls(url=url, arn=_arn(sqs, url), dlq_url=dlq_url, dlq_arn=dlq_arn)


def create_bucket(s3: Any, name: str) -> None:
    try:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    except ClientError as exc:
        if _error_code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    # Presigned PUTs from a browser on another local port need CORS, as the deployed bucket does.
    s3.put_bucket_cors(
        Bucket=name,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedMethods": ["GET", "PUT", "HEAD"],
                    "AllowedOrigins": ["*"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                }
            ]
        },
    )


def verify_senders(ses: Any, addresses: Iterable[str]) -> list[str]:
    """SES rejects mail from unverified identities, as in AWS; moto verifies at once."""
    verified = []
    for address in addresses:
        ses.verify_email_identity(EmailAddress=address)
        ses.verify_domain_identity(Domain=address.rsplit("@", 1)[-1])  # as the stack verifies the domain
        verified.append(address)
    return verified


def schedule_name(function: Function, index: int) -> str:
    return f"{declaration.SERVICE}-{function.name}" + (f"-{index}" if index else "")


def create_schedules(scheduler: Any, functions: Iterable[Function]) -> list[str]:
    """Store the schedules in moto, so the Scheduler API answers as in AWS (moto never fires them)."""
    names = []
    for function in functions:
        triggers = [t for t in function.triggers if isinstance(t, ScheduleTrigger)]
        for index, trigger in enumerate(triggers):
            name = schedule_name(function, index)
            request = {
                "Name": name,
                "GroupName": SCHEDULE_GROUP,
                "ScheduleExpression": trigger.expression,
                "ScheduleExpressionTimezone": trigger.timezone,
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {"Arn": function_arn(function.name), "RoleArn": SCHEDULER_ROLE_ARN},
            }
            try:
                scheduler.create_schedule(**request)
            except ClientError as exc:
                if _error_code(exc) != "ConflictException":
                    raise
                scheduler.update_schedule(**request)
            names.append(name)
    return names


def create_all(
    endpoints: Endpoints,
    *,
    table: str | None = None,
    queues: Iterable[Queue] | None = None,
    functions: Iterable[Function] | None = None,
) -> LocalResources:
    """Everything the declaration (or the given subset) names, on the engines at ``endpoints``."""
    functions = list(declaration.FUNCTIONS if functions is None else functions)
    queues = list(declaration.QUEUES if queues is None else queues)
    resources = LocalResources(table_name=table or table_name())
    # DynamoDB Local's first CreateTable takes seconds (a cold JVM): overlap it with the moto work.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="create-table") as pool:
        table_done = pool.submit(create_table, client("dynamodb", endpoints), resources.table_name)
        _create_moto_resources(endpoints, resources, queues, functions)
        table_done.result()
    return resources


def _create_moto_resources(
    endpoints: Endpoints, resources: LocalResources, queues: list[Queue], functions: list[Function]
) -> None:

    sqs = client("sqs", endpoints)
    for queue in queues:
        resources.queues[queue.name] = create_queue(sqs, queue)

    s3 = client("s3", endpoints)
    for bucket in declaration.BUCKETS:
        resources.buckets[bucket.name] = bucket_name(bucket.name)
        create_bucket(s3, resources.buckets[bucket.name])

    refs = declared_refs(functions)
    senders = {sender_address("main")} | {sender_address(r.name) for r in refs if r.kind == "sender"}
    resources.senders = verify_senders(client("ses", endpoints), sorted(senders))

    sns = client("sns", endpoints)
    for ref in refs:
        if ref.kind == "topic":
            resources.topics[ref.name] = sns.create_topic(Name=topic_arn(ref.name).rsplit(":", 1)[1])["TopicArn"]

    for ref in refs:
        if ref.kind == "push_app":
            resources.push_applications[ref.name] = create_push_application(sns, ref.name)

    resources.schedules = create_schedules(client("scheduler", endpoints), functions)
    resources.user_pool = ensure_pool(client("cognito-idp", endpoints), endpoints.moto)


def put_secret(secretsmanager: Any, name: str, value: dict[str, Any]) -> str:
    """Create the secret, or give it this value if it exists (a restart hands over new credentials)."""
    body = json.dumps(value)
    try:
        return str(secretsmanager.create_secret(Name=name, SecretString=body)["ARN"])
    except ClientError as exc:
        if _error_code(exc) != "ResourceExistsException":
            raise
    return str(secretsmanager.put_secret_value(SecretId=name, SecretString=body)["ARN"])


def create_push_application(sns: Any, platform: str) -> str:
    """The SNS platform application operators create by hand in AWS (FCM/APNs credentials); moto accepts any.
    Creating it again is harmless (same name, same ARN)."""
    arn: str = sns.create_platform_application(
        Name=push_application_name(platform), Platform=PUSH_PLATFORM_NAMES[platform],
        Attributes={"PlatformCredential": "local", "PlatformPrincipal": "local"})["PlatformApplicationArn"]
    if arn != push_application_arn(platform):  # the environment announced this ARN before it existed
        raise RuntimeError(f"moto named the {platform} platform application {arn}, "
                           f"not {push_application_arn(platform)}")
    return arn
