"""Events in the shapes AWS documents, written out here rather than taken from the local runner (which is
what this tier checks against reality):

- API Gateway HTTP API, payload format 2.0, with a JWT authoriser's context ("Working with AWS Lambda proxy
  integrations for HTTP APIs"; claims arrive as strings, arrays as ``"[a b]"``);
- SQS, as the event source mapping delivers ReceiveMessage results ("Using Lambda with Amazon SQS");
- EventBridge Scheduler's default notification, for a target without ``Input`` (the stack sets none);
- Cognito's pre token generation trigger, event version 1 ("Pre token generation Lambda trigger").
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

ACCOUNT = "123456789012"
REGION = "ap-southeast-1"
API_ID = "a1b2c3d4e5"
USER_POOL = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Motcua1"
CLIENT_ID = "4bq2lcc8e0l0motcua0client"


def jwt_claims(subject: str, role: str, agency_code: str | None = None) -> dict[str, str]:
    """A Cognito ID token's claims as the HTTP API's JWT authoriser passes them: every value a string."""
    now = int(time.time())
    claims = {
        "sub": subject,
        "iss": USER_POOL,
        "aud": CLIENT_ID,
        "token_use": "id",
        "cognito:username": subject,
        "auth_time": str(now),
        "iat": str(now),
        "exp": str(now + 3600),
        "custom:role": role,
    }
    if agency_code:
        claims["custom:agency_code"] = agency_code
    return claims


def pre_token_event(subject: str, role: str | None, agency_code: str | None = None,
                    source: str = "TokenGeneration_HostedAuth") -> dict[str, Any]:
    """What the user pool sends before it issues a user's tokens: their attributes, all strings."""
    attributes = {"sub": subject, "cognito:user_status": "CONFIRMED", "email_verified": "true",
                  "email": "someone@example.vn"}
    if role is not None:
        attributes["custom:role"] = role
    if agency_code:
        attributes["custom:agency_code"] = agency_code
    return {
        "version": "1",
        "triggerSource": source,
        "region": REGION,
        "userPoolId": USER_POOL.rsplit("/", 1)[1],
        "userName": subject,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": CLIENT_ID},
        "request": {
            "userAttributes": attributes,
            "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
        },
        "response": {"claimsOverrideDetails": None},
    }


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    claims: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``route``: the matched route (``GET /health``); default the authorised catch-all ``ANY /{proxy+}``."""
    route_key = route or "ANY /{proxy+}"
    if path_parameters is None and route is None:
        path_parameters = {"proxy": path.lstrip("/")}
    now = datetime.now(UTC)
    domain = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
    all_headers = {
        "accept": "application/json",
        "content-length": "0",
        "host": domain,
        "user-agent": "motcua-lambda-tier",
        "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        **(headers or {}),
    }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": all_headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "domainName": domain,
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "motcua-lambda-tier",
            },
            "requestId": uuid.uuid4().hex[:16] + "=",
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        text = json.dumps(body, ensure_ascii=False)
        event["body"] = text
        all_headers["content-type"] = "application/json"
        all_headers["content-length"] = str(len(text.encode()))
    return event


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The batch Lambda's event source mapping builds from ReceiveMessage (attribute names "All")."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes", {})),
                "messageAttributes": {
                    name: {
                        "stringValue": a.get("StringValue"),
                        "binaryValue": a.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": a["DataType"],
                    }
                    for name, a in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


def scheduler_event(schedule: str, at: datetime | None = None) -> dict[str, Any]:
    """EventBridge Scheduler's default notification (no ``Input`` on the target)."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/motcua/{schedule}"],
        "detail": "{}",
    }
