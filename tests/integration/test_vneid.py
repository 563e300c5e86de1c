"""A citizen signed in with VNeID (federated into the user pool) submits under their own national ID.

The provider's ID token is signed here with a key of our own (joserfc), as VNeID would sign it; the pool's
federation is emulated by the local Cognito (``LocalAccounts.federated_sign_in``: moto has none) from the
declared attribute mapping, the same one the stack configures (tests/infra). The API then reads the national
ID from the pool's verified token, not from the body (docs/mobile.md, "VNeID").
"""

from __future__ import annotations

import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from infra.declaration import VNEID
from infra.local.cognito import SignInRefused, unverified_claims
from motcua.domain.access import NATIONAL_ID_CLAIM
from tests.api_client import ApiClient
from tests.integration.helpers import accounts, bearer, submission, verifier

ISSUER = "https://sso.vneid.example"  # the provider's issuer (the deployment's context: motcua:vneid)
CLIENT_ID = "motcua-at-vneid"  # the pool's client id at the provider
KEY = RSAKey.generate_key(2048, parameters={"kid": "vneid-1", "alg": "RS256"})
NATIONAL_ID = "079203001234"  # the example applicant's (infra/local/examples.py)
SOMEONE_ELSE = "001099012345"


def oidc_token(key: RSAKey = KEY, **overrides: object) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": uuid.uuid4().hex, "iat": now, "exp": now + 300,
              "national_id": NATIONAL_ID, "name": "Nguyễn Thị Hằng", **overrides}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def vneid_sign_in(token: str) -> str:
    result = accounts().federated_sign_in(VNEID, token, KeySet([KEY]), issuer=ISSUER, client_id=CLIENT_ID)
    return str(result["IdToken"])


@pytest.fixture
def api(catalogue) -> ApiClient:
    return ApiClient(verifier=verifier())  # through the JWT authoriser, as deployed


def submit(api: ApiClient, id_token: str, national_id: str):
    body = submission()
    body["applicant"] = {**body["applicant"], "national_id": national_id}
    return api.post("/dossiers", json=body,
                    headers={"authorization": f"Bearer {id_token}", "idempotency-key": uuid.uuid4().hex})


def test_the_providers_national_id_and_name_are_mapped_into_the_pools_token() -> None:
    claims = verifier().verify(vneid_sign_in(oidc_token()))
    assert claims[NATIONAL_ID_CLAIM] == NATIONAL_ID
    assert claims["name"] == "Nguyễn Thị Hằng"
    assert claims["custom:role"] == "citizen"


def test_a_vneid_citizen_submits_under_their_own_national_id(api: ApiClient) -> None:
    response = submit(api, vneid_sign_in(oidc_token()), NATIONAL_ID)
    assert response.status == 201, response.text
    assert response.json()["applicant"]["national_id"] == NATIONAL_ID


def test_a_vneid_citizen_cannot_submit_under_someone_elses_national_id(api: ApiClient) -> None:
    response = submit(api, vneid_sign_in(oidc_token()), SOMEONE_ELSE)
    assert response.status == 403, response.text
    body = response.json()
    assert body["code"] == "APPLICANT_NATIONAL_ID_NOT_YOURS"
    assert "VNeID" in body["message_vi"] and "VNeID" in body["message_en"]
    assert SOMEONE_ELSE not in response.text and NATIONAL_ID not in response.text


def test_the_next_vneid_sign_in_writes_the_mapped_attributes_again() -> None:
    subject = uuid.uuid4().hex
    vneid_sign_in(oidc_token(sub=subject, national_id=SOMEONE_ELSE))
    again = unverified_claims(vneid_sign_in(oidc_token(sub=subject)))
    assert again[NATIONAL_ID_CLAIM] == NATIONAL_ID  # the provider's say, at every sign-in


def test_an_e_mail_account_carries_no_national_id_and_submits_the_forms(api: ApiClient) -> None:
    headers = bearer("citizen-email-only")
    assert NATIONAL_ID_CLAIM not in unverified_claims(headers["authorization"].removeprefix("Bearer "))
    response = submit(api, headers["authorization"].removeprefix("Bearer "), SOMEONE_ELSE)
    assert response.status == 201, response.text


@pytest.mark.parametrize("token", [
    pytest.param(lambda: oidc_token(RSAKey.generate_key(2048, parameters={"kid": "vneid-1"})), id="other-key"),
    pytest.param(lambda: oidc_token(aud="another-client"), id="other-audience"),
    pytest.param(lambda: oidc_token(iss="https://sso.elsewhere.example"), id="other-issuer"),
    pytest.param(lambda: oidc_token(exp=int(time.time()) - 60), id="expired"),
])
def test_a_provider_token_that_does_not_verify_signs_no_one_in(token) -> None:
    with pytest.raises(SignInRefused):
        vneid_sign_in(token())
