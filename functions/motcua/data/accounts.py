"""People's accounts in the Cognito user pool: what an administrator sets (``motcua users add``).

Citizens sign up themselves; officials' accounts, with their role and agency (custom attributes, decided by
``motcua.domain.access.account_attributes``), are created here. Locally the pool is moto's
(``AWS_ENDPOINT_URL_COGNITO_IDP``), created by the local stack from ``infra.declaration.USER_POOL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError


@dataclass(frozen=True)
class Account:
    username: str
    subject: str  # the pool's ``sub``: what tokens and the API name the person by
    created: bool  # False: an existing account, its attributes updated


def _client() -> Any:
    return boto3.client("cognito-idp")


def put_account(pool_id: str, email: str, attributes: Mapping[str, str | None], *,
                password: str | None = None, client: Any = None) -> Account:
    """Create the account (e-mail verified), or update an existing one's attributes (``None`` removes one).
    With ``password`` it is set permanent; without, Cognito e-mails a temporary one (new accounts only)."""
    cognito = client or _client()
    given = [{"Name": k, "Value": v} for k, v in attributes.items() if v is not None]
    removed = [k for k, v in attributes.items() if v is None]
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id, Username=email, DesiredDeliveryMediums=["EMAIL"],
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}, *given],
            **({"MessageAction": "SUPPRESS"} if password else {}))
        created = True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "UsernameExistsException":
            raise
        created = False
        if given:
            cognito.admin_update_user_attributes(UserPoolId=pool_id, Username=email, UserAttributes=given)
        present = {a["Name"] for a in cognito.admin_get_user(UserPoolId=pool_id, Username=email)["UserAttributes"]}
        if gone := [name for name in removed if name in present]:
            cognito.admin_delete_user_attributes(UserPoolId=pool_id, Username=email, UserAttributeNames=gone)
    if password:
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=email)
    subject = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    return Account(username=str(user["Username"]), subject=str(subject), created=created)
