"""The AWS SDK's failures, named here so that the layers above the data layer catch them without importing the
SDK (only ``motcua.data`` imports boto3, botocore and pynamodb: ``docs/architecture.md``)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

# A call to an AWS service failed: refused (ClientError) or not made (BotoCoreError: endpoint, credentials).
AWS_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError)
# The table did not answer, through pynamodb or through a plain client.
STORAGE_ERRORS: tuple[type[Exception], ...] = (PynamoDBException, *AWS_ERRORS)
