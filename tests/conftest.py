"""The test harness: the local stack for the session, a clean table per test, an in-process API client.

Only tests that request ``local_stack`` (directly, or through ``tests/integration/conftest.py``) start the
engines, so unit and infrastructure tests stay engine-free. Under pytest-xdist every worker starts its
own engines on free ports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infra import declaration
from infra.local.engines import Engines, start_engines
from infra.local.env import Endpoints, local_environment
from infra.local.national_portal import NationalPortalEmulator, provision, start_national_portal
from infra.local.payment_platform import PaymentPlatformEmulator, start_payment_platform
from infra.local.payment_platform import provision as provision_payment
from infra.local.resources import LocalResources, client, create_all, create_queue
from infra.local.vnpost import VnpostEmulator, start_vnpost
from infra.local.vnpost import provision as provision_postal
from tests.api_client import ApiClient

# Nothing in a test may reach a real AWS account, engines or not: dummy credentials and a fixed region
# from the start, overriding whatever the developer's shell has.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "ap-southeast-1",
        "AWS_REGION": "ap-southeast-1",
    }
)


@dataclass
class LocalStack:
    """What the session's engines serve: endpoints, the environment handlers see, created resources."""

    engines: Engines
    endpoints: Endpoints
    env: dict[str, str]
    resources: LocalResources
    national_portal: NationalPortalEmulator
    payment_platform: PaymentPlatformEmulator
    vnpost: VnpostEmulator

    @property
    def table_name(self) -> str:
        return self.resources.table_name

    def queue_url(self, name: str) -> str:
        """A declared queue's URL, or its DLQ's when ``name`` is ``dlq_name(queue)``."""
        if name in self.resources.queues:
            return self.resources.queues[name].url
        return next(q.dlq_url for n, q in self.resources.queues.items() if declaration.dlq_name(n) == name)

    def dlq_url(self, name: str) -> str:
        return self.resources.queues[name].dlq_url

    def client(self, service: str) -> Any:
        return client(service, self.endpoints)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `pytest -m "not stack"` runs everything that needs no engine.
    for item in items:
        if "local_stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.stack)


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    """DynamoDB Local (in memory) and moto server on free ports, the partners' emulators (national portal,
    payment platform, VNPost), the declared resources created, and the handlers' environment in ``os.environ``
    for the whole session."""
    engines = start_engines()
    portal = start_national_portal()
    payments = start_payment_platform()
    vnpost = start_vnpost()
    saved = dict(os.environ)
    try:
        endpoints = Endpoints(dynamodb=engines.dynamodb_endpoint, moto=engines.moto_endpoint)
        env = local_environment(endpoints)
        os.environ.update(env)
        resources = create_all(endpoints)
        provision(portal, endpoints)
        provision_payment(payments, endpoints)
        provision_postal(vnpost, endpoints)
        yield LocalStack(engines=engines, endpoints=endpoints, env=env, resources=resources, national_portal=portal,
                         payment_platform=payments, vnpost=vnpost)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        portal.stop()
        payments.stop()
        vnpost.stop()
        engines.stop()


def truncate_table(dynamodb: Any, table_name: str) -> int:
    """Delete every item (a scan of a test-sized table is milliseconds); returns how many."""
    deleted = 0
    kwargs: dict[str, Any] = {"TableName": table_name, "ProjectionExpression": "pk, sk"}
    while True:
        page = dynamodb.scan(**kwargs)
        keys = [{"pk": item["pk"], "sk": item["sk"]} for item in page.get("Items", [])]
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
            pending: dict[str, Any] = {table_name: requests}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        deleted += len(keys)
        if "LastEvaluatedKey" not in page:
            return deleted
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture
def clean_table(local_stack: LocalStack) -> str:
    """An empty main table for this test (tests never see each other's items); returns its name."""
    truncate_table(local_stack.client("dynamodb"), local_stack.table_name)
    return local_stack.table_name


_COUNTS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


@pytest.fixture
def clean_queues(local_stack: LocalStack) -> None:
    """Every declared queue and DLQ empty for this test.

    PurgeQueue is limited to once a minute (moto enforces it too) and cannot reach in-flight messages, so
    a queue pair holding anything is deleted and created again: same names, same URLs, same ARNs.
    """
    sqs = local_stack.client("sqs")
    for queue in declaration.QUEUES:
        urls = local_stack.resources.queues[queue.name]
        counts = [
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_COUNTS)["Attributes"]
            for url in (urls.url, urls.dlq_url)
        ]
        if any(int(value) for attributes in counts for value in attributes.values()):
            sqs.delete_queue(QueueUrl=urls.url)
            sqs.delete_queue(QueueUrl=urls.dlq_url)
            assert create_queue(sqs, queue) == urls


@pytest.fixture
def api_client(local_stack: LocalStack) -> ApiClient:
    """The API handler called in-process with the same events the HTTP adapter builds."""
    return ApiClient()
