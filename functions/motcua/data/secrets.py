"""Reading a Secrets Manager secret: the connectors' connections and the agencies' signing keys.

One client per endpoint, made on the first read (never at import). The SDK's errors pass through: each
reader decides what a missing or unreadable secret means for it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3

from motcua.settings import aws_endpoint_url


@lru_cache(maxsize=4)
def _client(endpoint: str | None) -> Any:
    return boto3.client("secretsmanager", endpoint_url=endpoint)


def secret_string(name: str) -> str:
    """The secret's current value (``SecretString``)."""
    return str(_client(aws_endpoint_url("secretsmanager")).get_secret_value(SecretId=name)["SecretString"])
