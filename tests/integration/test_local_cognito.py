"""The local Cognito: moto's user pool made from the declaration, signed into as the app does, through the
front that does what moto does not (the pre token generation trigger, the client's write attributes and flows).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra import declaration
from infra.local.cognito import LOCAL_PASSWORD, TARGET_PREFIX, CognitoFront, pre_token_trigger, unverified_claims
from infra.local.engines import free_port
from motcua import cli
from motcua.data import subjects
from tests.api_client import ApiClient
from tests.integration.helpers import accounts, verifier


@pytest.fixture(scope="module")
def front(local_stack) -> Iterator[str]:
    pool = accounts().pool
    server = CognitoFront(pool, local_stack.client("cognito-idp"), pre_token_trigger(), free_port()).start()
    try:
        yield server.url
    finally:
        server.stop()


def cognito(url: str, operation: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One call as an SDK makes it: unsigned JSON, the operation in X-Amz-Target."""
    sent = urllib.request.Request(url, data=json.dumps(request).encode(), method="POST", headers={
        "content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET_PREFIX + operation})
    try:
        with urllib.request.urlopen(sent, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def sign_up(url: str, email: str, attributes: list[dict[str, str]] | None = None) -> tuple[int, dict[str, Any]]:
    return cognito(url, "SignUp", {"ClientId": accounts().pool.client_id, "Username": email,
                                   "Password": LOCAL_PASSWORD,
                                   "UserAttributes": [{"Name": "email", "Value": email}, *(attributes or [])]})


def password_sign_in(url: str, email: str) -> tuple[int, dict[str, Any]]:
    return cognito(url, "InitiateAuth", {"ClientId": accounts().pool.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                         "AuthParameters": {"USERNAME": email, "PASSWORD": LOCAL_PASSWORD}})


def me(token: str) -> Any:
    return ApiClient(verifier=verifier()).get("/me/dossiers", headers={"authorization": f"Bearer {token}"})


def test_the_local_pool_is_the_declared_one(local_stack) -> None:
    idp = local_stack.client("cognito-idp")
    pool = accounts().pool
    described = idp.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]
    spec = declaration.USER_POOL
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == spec.password_policy.min_length
    custom = {a["Name"] for a in described["SchemaAttributes"] if a["Name"].startswith("custom:")}
    assert custom == {"custom:role", "custom:agency_code", "custom:national_id"}
    client = idp.describe_user_pool_client(UserPoolId=pool.pool_id, ClientId=pool.client_id)["UserPoolClient"]
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH",
                                                "ALLOW_REFRESH_TOKEN_AUTH"}
    assert not [a for a in client["WriteAttributes"] if a.startswith("custom:")]
    assert pool.issuer == f"https://cognito-idp.ap-southeast-1.amazonaws.com/{pool.pool_id}"


def test_a_citizen_signs_up_and_in_through_the_local_cognito_and_the_api_accepts_the_token(front: str) -> None:
    email = f"hang-{uuid.uuid4().hex[:8]}@example.vn"
    status, signed_up = sign_up(front, email)
    assert status == 200, signed_up
    assert password_sign_in(front, email)[1]["__type"] == "UserNotConfirmedException"
    assert cognito(front, "ConfirmSignUp", {"ClientId": accounts().pool.client_id, "Username": email,
                                            "ConfirmationCode": "123456"})[0] == 200
    status, answer = password_sign_in(front, email)
    assert status == 200, answer
    id_token = answer["AuthenticationResult"]["IdToken"]

    claims = verifier().verify(id_token)  # the pool's JWKS, issuer, audience, token use, expiry
    assert claims["sub"] == signed_up["UserSub"] and claims["token_use"] == "id"
    assert claims["custom:role"] == "citizen"  # the trigger's claim: no role attribute is a citizen
    assert subjects.is_known(claims["sub"])  # the trigger registered the subject at sign-in
    response = me(id_token)
    assert response.status == 200, response.text

    # A refresh runs the trigger too (a new ID token, the subject registered again).
    status, refreshed = cognito(front, "InitiateAuth", {
        "ClientId": accounts().pool.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH",
        "AuthParameters": {"REFRESH_TOKEN": answer["AuthenticationResult"]["RefreshToken"]}})
    assert status == 200, refreshed
    assert unverified_claims(refreshed["AuthenticationResult"]["IdToken"])["custom:role"] == "citizen"


def test_a_token_moto_issued_without_the_trigger_is_refused_as_an_unknown_subject(local_stack, front: str) -> None:
    email = f"an-{uuid.uuid4().hex[:8]}@example.vn"
    assert sign_up(front, email)[0] == 200
    idp = local_stack.client("cognito-idp")
    idp.admin_confirm_sign_up(UserPoolId=accounts().pool.pool_id, Username=email)
    # Straight to moto, around the front: a token no trigger saw, as one minted outside the pool would be.
    direct = idp.initiate_auth(ClientId=accounts().pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": email, "PASSWORD": LOCAL_PASSWORD})
    response = me(direct["AuthenticationResult"]["IdToken"])
    assert response.status == 401 and response.json()["code"] == "SUBJECT_UNKNOWN"
    through_front = password_sign_in(front, email)[1]["AuthenticationResult"]["IdToken"]
    assert me(through_front).status == 200


def test_a_citizen_cannot_sign_up_with_a_role_or_an_agency(local_stack, front: str) -> None:
    for attribute in ({"Name": "custom:role", "Value": "agency_leader"},
                      {"Name": "custom:agency_code", "Value": "000.20.01.H36"}):
        email = f"mallory-{uuid.uuid4().hex[:8]}@example.vn"
        status, answer = sign_up(front, email, [attribute])
        assert (status, answer["__type"]) == (400, "NotAuthorizedException"), answer
        users = local_stack.client("cognito-idp").list_users(UserPoolId=accounts().pool.pool_id,
                                                             Filter=f'email = "{email}"')["Users"]
        assert users == []


def test_an_auth_flow_the_client_does_not_allow_is_refused(front: str) -> None:
    status, answer = cognito(front, "InitiateAuth", {"ClientId": accounts().pool.client_id, "AuthFlow": "CUSTOM_AUTH",
                                                     "AuthParameters": {"USERNAME": "x@example.vn"}})
    assert (status, answer["__type"]) == (400, "InvalidParameterException")


def test_the_trigger_refuses_a_sign_in_whose_role_no_person_holds(local_stack, front: str) -> None:
    email = f"robot-{uuid.uuid4().hex[:8]}@example.vn"
    idp = local_stack.client("cognito-idp")
    pool_id = accounts().pool.pool_id
    idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS", UserAttributes=[
        {"Name": "email", "Value": email}, {"Name": "custom:role", "Value": "system"}])
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=LOCAL_PASSWORD, Permanent=True)
    status, answer = password_sign_in(front, email)
    assert (status, answer["__type"]) == (400, "UserLambdaValidationException")
    assert "AuthenticationResult" not in answer


def test_motcua_users_add_creates_an_official_who_signs_in_with_role_and_agency(local_stack, front: str,
                                                                               monkeypatch, capsys) -> None:
    monkeypatch.setenv("USER_POOL_ID", accounts().pool.pool_id)
    email = f"desk-{uuid.uuid4().hex[:8]}@xuanhuong.gov.vn"
    args = ["users", "add", "--email", email, "--role", "reception_officer", "--agency", "000.20.01.H36",
            "--password", LOCAL_PASSWORD]
    assert cli.main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["created"] is True and printed["custom:role"] == "reception_officer"

    status, answer = password_sign_in(front, email)
    assert status == 200, answer
    claims = verifier().verify(answer["AuthenticationResult"]["IdToken"])
    assert (claims["sub"], claims["custom:role"], claims["custom:agency_code"]) == (
        printed["subject"], "reception_officer", "000.20.01.H36")

    # Moved to the inspectorate: the agency goes, the next sign-in says so.
    assert cli.main(["users", "add", "--email", email, "--role", "inspector"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] is False
    claims = verifier().verify(password_sign_in(front, email)[1]["AuthenticationResult"]["IdToken"])
    assert claims["custom:role"] == "inspector" and "custom:agency_code" not in claims


@pytest.mark.parametrize("arguments", [["--role", "system"], ["--role", "processing_officer"],
                                       ["--role", "citizen", "--agency", "000.20.01.H36"], ["--role", "mayor"]])
def test_motcua_users_add_refuses_an_account_no_rule_allows(local_stack, monkeypatch, capsys, arguments) -> None:
    monkeypatch.setenv("USER_POOL_ID", accounts().pool.pool_id)
    email = f"x-{uuid.uuid4().hex[:8]}@example.vn"
    assert cli.main(["users", "add", "--email", email, *arguments]) == 2
    assert json.loads(capsys.readouterr().err)["code"] == "ACCOUNT_INVALID"
    assert local_stack.client("cognito-idp").list_users(UserPoolId=accounts().pool.pool_id,
                                                        Filter=f'email = "{email}"')["Users"] == []
