"""Parameters shared by the routers: path ids, each bounded to the ids the service issues, and the
Idempotency-Key header.

An id is a DynamoDB key, and a key over its size limit (2048 bytes) is refused by the table as a storage
error: bounding the parameter answers a malformed id with a 422 before it reaches a key.
"""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from motcua.domain.receipt import RECEIPT_CODE
from motcua.handlers import http_errors

# 32 hex digits as submitted; the demo province's are "demo" + 16 (``domain.demo_data``).
DossierId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{8,64}$", description="The dossier's id")]
# The document's patterns are ECMA-262 regular expressions (what a client validates with): no Python group names.
_RECEIPT_PATTERN = "^" + re.sub(r"\(\?P<\w+>", "(", RECEIPT_CODE.pattern) + "$"
ReceiptCode = Annotated[str, Path(pattern=_RECEIPT_PATTERN, max_length=64,
                                  description="The receipt code on Form 01", examples=["000.20.01.H36-260302-0001"])]
ProcedureCode = Annotated[str, Path(pattern=r"^\d\.\d{6}$", description="Procedure code", examples=["1.001193"])]


def _idempotency_key(description: str) -> Header:
    """The Idempotency-Key header, the same bounds on every route that takes one (the use case requires it)."""
    return Header(alias=http_errors.IDEMPOTENCY_HEADER, min_length=8, max_length=128, description=description)


# Required: a request without one is answered 400 IDEMPOTENCY_KEY_REQUIRED (``http_errors``), not 422.
SubmissionKey = Annotated[str, _idempotency_key("One unique key per submission; a retry with the same key "
                                                "returns the same dossier")]
ActionKey = Annotated[str, _idempotency_key("One unique key per action request")]
RequestKey = Annotated[str, _idempotency_key("One unique key per request; a retry returns the same")]
