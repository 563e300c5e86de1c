"""What Cognito does around a token locally: it invokes the declared pre token generation trigger.

The local identity provider (``infra.local.identity``) builds the event Cognito documents for the trigger
(version 1, ``TokenGeneration_Authentication``), invokes the declared function (``infra.declaration``,
``CognitoTrigger``) as Cognito would, and applies its answer (``claimsOverrideDetails``) to the claims it
signs. An exception from the trigger refuses the token, as Cognito refuses the sign-in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from infra import declaration
from infra.local import REGION, invoker_for

USER_POOL_ID = f"{REGION}_local"
CLIENT_ID = "motcua-local-client"

Trigger = Callable[[dict[str, Any]], Any]


def pre_token_trigger(functions: tuple[declaration.Function, ...] = declaration.FUNCTIONS) -> Trigger | None:
    """The declared pre token generation trigger's invoker (its handler imported on first use), or None."""
    for function in functions:
        if any(isinstance(t, declaration.CognitoTrigger) and t.operation == "pre_token_generation"
               for t in function.triggers):
            return invoker_for(function)
    return None


def pre_token_event(subject: str, attributes: Mapping[str, str]) -> dict[str, Any]:
    return {
        "version": "1",
        "triggerSource": "TokenGeneration_Authentication",
        "region": REGION,
        "userPoolId": USER_POOL_ID,
        "userName": subject,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": CLIENT_ID},
        "request": {
            "userAttributes": {"sub": subject, "cognito:user_status": "CONFIRMED", **attributes},
            "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
        },
        "response": {"claimsOverrideDetails": None},
    }


def claims_after(trigger: Trigger, subject: str, claims: dict[str, Any],
                 attributes: Mapping[str, str]) -> dict[str, Any]:
    """``claims`` as the trigger's answer leaves them (claims to add or override, claims to suppress)."""
    answer = trigger(pre_token_event(subject, attributes))
    details = ((answer or {}).get("response") or {}).get("claimsOverrideDetails") or {}
    overridden = {**claims, **(details.get("claimsToAddOrOverride") or {})}
    return {k: v for k, v in overridden.items() if k not in set(details.get("claimsToSuppress") or ())}
