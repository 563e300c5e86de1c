"""The local Cognito: moto's user pool, created from the declaration, and what moto does not do around it.

moto (server mode, like the other services) serves the user pool API the app calls (SignUp, ConfirmSignUp,
InitiateAuth with USER_PASSWORD_AUTH or SRP, refresh) and the administrators' (AdminCreateUser,
AdminSetUserPassword, ...), issues Cognito-shaped ID and access tokens (issuer
``https://cognito-idp.<region>.amazonaws.com/<pool id>``, ``aud`` or ``client_id``, ``token_use``, one hour)
and publishes the pool's JWKS at ``<endpoint>/<pool id>/.well-known/jwks.json``. ``ensure_pool`` creates the
pool and its app client from ``infra.declaration.USER_POOL``, as ``infra/constructs/auth.py`` deploys them;
``PoolVerifier`` checks a bearer token against that JWKS as API Gateway's JWT authoriser does.

What moto (5.x) does not do, ``CognitoFront`` does. It is the local Cognito endpoint apps and scripts call
(``make run`` prints it); it forwards every request to moto and then:

- invokes the declared pre token generation trigger (``infra.declaration.CognitoTrigger``) on every answer
  that carries tokens (sign-in, a challenge answered, refresh), as Cognito does. moto stores a pool's
  ``LambdaConfig`` but never invokes it, and the functions run in this process, not in a Lambda service
  moto could call. The trigger's refusal is Cognito's ``UserLambdaValidationException`` and no token; its
  ``claimsOverrideDetails`` are applied to the ID token, signed again with the pool's key;
- refuses what the app client may not write (``SignUp``/``UpdateUserAttributes`` with ``custom:role``):
  moto lets any client write any attribute, so a citizen could otherwise make themselves an official;
- refuses an auth flow the client does not allow: moto accepts every flow for every client.

moto signs every pool's tokens with one key shipped inside moto (``kid`` ``dummy``): publicly known, so
locally anybody can sign a token the JWKS accepts. The subject registry (``SUBJECT_UNKNOWN``) is what still
refuses a token for a subject the trigger never saw; tests sign such tokens with ``pool_key()``.
"""

from __future__ import annotations

import base64
import functools
import gzip
import importlib.resources
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from infra import declaration
from infra.local import REGION, invoker_for
from infra.local.servers import LocalServer
from motcua.domain.access import TOKEN_LIFETIME_S

log = logging.getLogger("infra.local")

POOL_NAME = f"{declaration.SERVICE}-users"
CLIENT_NAME = f"{declaration.SERVICE}-app"
DEFAULT_PORT = 9229  # where cognito-local and the SDKs' examples put a local Cognito
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
# The answers that carry tokens, where Cognito runs the pre token generation trigger.
TOKEN_ANSWERS = {"InitiateAuth", "RespondToAuthChallenge", "AdminInitiateAuth", "AdminRespondToAuthChallenge"}
_FLOW_NAMES = {"user_srp": "USER_SRP_AUTH", "user_password": "USER_PASSWORD_AUTH"}
ALGORITHM = "RS256"

Trigger = Callable[[dict[str, Any]], Any]


class TokenRejected(Exception):
    """Why a bearer token was not accepted (the adapter answers 401)."""


class SignInRefused(Exception):
    """What Cognito answers instead of tokens: (its error type, its message)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message


@dataclass(frozen=True)
class LocalPool:
    pool_id: str
    client_id: str
    endpoint: str  # moto's

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"


def pool_request(spec: declaration.UserPool = declaration.USER_POOL) -> dict[str, Any]:
    """CreateUserPool's parameters for the declared pool (what CloudFormation sends for auth.py's)."""
    policy = spec.password_policy
    return {
        "PoolName": POOL_NAME,
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": not spec.self_sign_up},
        "Policies": {"PasswordPolicy": {
            "MinimumLength": policy.min_length, "RequireLowercase": policy.require_lowercase,
            "RequireUppercase": policy.require_uppercase, "RequireNumbers": policy.require_digits,
            "RequireSymbols": policy.require_symbols,
            "TemporaryPasswordValidityDays": policy.temp_password_validity_days}},
        "Schema": [
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
            *({"Name": a.name, "AttributeDataType": "String", "Mutable": a.mutable,
               "StringAttributeConstraints": {"MinLength": str(a.min_len), "MaxLength": str(a.max_len)}}
              for a in spec.custom_attributes),
        ],
    }


def client_request(pool_id: str, spec: declaration.UserPool = declaration.USER_POOL) -> dict[str, Any]:
    return {
        "UserPoolId": pool_id,
        "ClientName": CLIENT_NAME,
        "GenerateSecret": False,
        "ExplicitAuthFlows": [f"ALLOW_{_FLOW_NAMES[f]}" for f in spec.auth_flows] + ["ALLOW_REFRESH_TOKEN_AUTH"],
        "ReadAttributes": list(spec.readable),
        "WriteAttributes": list(spec.writable_standard),
        "PreventUserExistenceErrors": "ENABLED",
        "IdTokenValidity": spec.token_lifetime_s,
        "AccessTokenValidity": spec.token_lifetime_s,
        "RefreshTokenValidity": spec.refresh_token_days,
        "TokenValidityUnits": {"IdToken": "seconds", "AccessToken": "seconds", "RefreshToken": "days"},
        "EnableTokenRevocation": True,
    }


def ensure_pool(cognito: Any, endpoint: str, spec: declaration.UserPool = declaration.USER_POOL) -> LocalPool:
    """The declared pool and app client in moto, created unless they exist (idempotent)."""
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next((p["Id"] for p in pools if p["Name"] == POOL_NAME), None)
    if pool_id is None:
        pool_id = cognito.create_user_pool(**pool_request(spec))["UserPool"]["Id"]
        log.info("user pool %s created", pool_id)
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next((c["ClientId"] for c in clients if c["ClientName"] == CLIENT_NAME), None)
    if client_id is None:
        client_id = cognito.create_user_pool_client(**client_request(pool_id, spec))["UserPoolClient"]["ClientId"]
    return LocalPool(pool_id=pool_id, client_id=client_id, endpoint=endpoint.rstrip("/"))


@functools.cache
def pool_key() -> RSAKey:
    """The private key moto signs every pool's tokens with (shipped in moto, so publicly known)."""
    raw = (importlib.resources.files("moto") / "cognitoidp/resources/jwks-private.json.gz").read_bytes()
    return RSAKey.import_key(json.loads(gzip.decompress(raw)))


def unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if not isinstance(claims, dict):
        raise ValueError("not a JWT")
    return claims


@dataclass
class PoolVerifier:
    """API Gateway's JWT authoriser over the local pool: signature (the pool's JWKS), issuer, audience (``aud``
    of an ID token, ``client_id`` of an access token: the app client's id), ``token_use``, expiry."""

    pool: LocalPool
    _keys: KeySet | None = field(default=None, repr=False)

    def keys(self) -> KeySet:
        if self._keys is None:
            with urllib.request.urlopen(self.pool.jwks_url, timeout=10) as answer:  # noqa: S310 - moto's URL
                self._keys = KeySet.import_key_set(json.loads(answer.read()))
        return self._keys

    def verify(self, token: str, *, now: float | None = None) -> dict[str, Any]:
        try:
            decoded = jwt.decode(token, self.keys(), algorithms=[ALGORITHM])
            claims = dict(decoded.claims)
            jwt.JWTClaimsRegistry(
                now=int(now) if now is not None else None,
                iss={"essential": True, "value": self.pool.issuer},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                token_use={"essential": True, "values": ["id", "access"]},
            ).validate(claims)
            # An ID token names the app client in ``aud``, an access token in ``client_id``.
            audience = claims.get("aud") if claims.get("token_use") in ("id",) else claims.get("client_id")
            if audience != self.pool.client_id:
                raise ValueError("audience")
            if not 0 < int(claims["exp"]) - int(claims["iat"]) <= TOKEN_LIFETIME_S:
                raise ValueError("token lifetime")
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise TokenRejected(type(error).__name__) from None
        return claims


def pre_token_trigger(functions: tuple[declaration.Function, ...] = declaration.FUNCTIONS) -> Trigger | None:
    """The declared pre token generation trigger's invoker (its handler imported on first use), or None."""
    for function in functions:
        if any(isinstance(t, declaration.CognitoTrigger) and t.operation == "pre_token_generation"
               for t in function.triggers):
            return invoker_for(function)
    return None


def pre_token_event(pool: LocalPool, username: str, attributes: Mapping[str, str],
                    source: str = "TokenGeneration_Authentication") -> dict[str, Any]:
    """The version 1 event Cognito documents for the trigger."""
    return {
        "version": "1",
        "triggerSource": source,
        "region": REGION,
        "userPoolId": pool.pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": pool.client_id},
        "request": {
            "userAttributes": {"cognito:user_status": "CONFIRMED", **attributes},
            "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
        },
        "response": {"claimsOverrideDetails": None},
    }


def after_trigger(pool: LocalPool, cognito: Any, trigger: Trigger | None, result: dict[str, Any],
                  source: str = "TokenGeneration_Authentication") -> dict[str, Any]:
    """An ``AuthenticationResult`` as Cognito returns it once the trigger has run: the ID token's claims as
    its answer leaves them, signed with the pool's key. Raises ``SignInRefused`` if the trigger fails."""
    if trigger is None or "IdToken" not in result:
        return result
    claims = unverified_claims(result["IdToken"])
    username = str(claims["cognito:username"])
    user = cognito.admin_get_user(UserPoolId=pool.pool_id, Username=username)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    try:
        answer = trigger(pre_token_event(pool, username, attributes, source))
    except Exception as error:
        raise SignInRefused("UserLambdaValidationException",
                            f"PreTokenGeneration failed with error {type(error).__name__}.") from None
    details = ((answer or {}).get("response") or {}).get("claimsOverrideDetails") or {}
    overridden = {**claims, **(details.get("claimsToAddOrOverride") or {})}
    suppressed = set(details.get("claimsToSuppress") or ())
    final = {k: v for k, v in overridden.items() if k not in suppressed}
    id_token = jwt.encode({"alg": ALGORITHM, "kid": pool_key().kid}, final, pool_key())
    return {**result, "IdToken": id_token}


def refused_write(pool_spec: declaration.UserPool, target: str, body: Mapping[str, Any]) -> SignInRefused | None:
    """What Cognito refuses and moto lets through: an attribute the app client may not write, a flow it
    does not allow."""
    attributes = body.get("UserAttributes") if target in ("SignUp", "UpdateUserAttributes") else None
    if attributes:
        forbidden = sorted(a.get("Name", "") for a in attributes
                           if a.get("Name") not in pool_spec.writable_standard)
        if forbidden:
            return SignInRefused("NotAuthorizedException",
                                 f"A client attempted to write unauthorized attribute {forbidden[0]}")
    if target == "InitiateAuth":
        allowed = {_FLOW_NAMES[f] for f in pool_spec.auth_flows} | {"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}
        if body.get("AuthFlow") not in allowed:
            return SignInRefused("InvalidParameterException",
                                 f"{body.get('AuthFlow')} flow not enabled for this client")
    return None


class _FrontHandler(BaseHTTPRequestHandler):
    server: _FrontServer
    protocol_version = "HTTP/1.1"

    def _forward(self, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(self.server.pool.endpoint + self.path, data=body,  # noqa: S310 - moto
                                         headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - moto's URL
                return answer.status, dict(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers.items()), error.read()

    def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(name, value)
        # A browser-based app calls Cognito from its own origin, as it may call the real endpoint.
        self.send_header("access-control-allow-origin", "*")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, refused: SignInRefused) -> None:
        body = json.dumps({"__type": refused.error_type, "message": refused.message}).encode()
        self._send(400, {"content-type": "application/x-amz-json-1.1"}, body)

    def do_OPTIONS(self) -> None:
        self._send(204, {"access-control-allow-methods": "POST, GET",
                         "access-control-allow-headers": "content-type, x-amz-target, x-amz-user-agent"}, b"")

    def do_GET(self) -> None:  # the pool's JWKS and OpenID configuration
        self._send(*self._forward(None))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        target = self.headers.get("x-amz-target", "").removeprefix(TARGET_PREFIX)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        if (refused := refused_write(self.server.spec, target, request)) is not None:
            self._error(refused)
            return
        status, headers, answer = self._forward(body)
        if status == 200 and target in TOKEN_ANSWERS:
            result = json.loads(answer)
            if "AuthenticationResult" in result:
                source = ("TokenGeneration_RefreshTokens" if request.get("AuthFlow", "").startswith("REFRESH")
                          else "TokenGeneration_Authentication")
                try:
                    result["AuthenticationResult"] = after_trigger(
                        self.server.pool, self.server.cognito, self.server.trigger, result["AuthenticationResult"],
                        source)
                except SignInRefused as refused_sign_in:
                    log.info("sign-in refused by the pre token generation trigger: %s", refused_sign_in)
                    self._error(refused_sign_in)
                    return
                answer = json.dumps(result).encode()
        self._send(status, headers, answer)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class _FrontServer(ThreadingHTTPServer):
    pool: LocalPool
    spec: declaration.UserPool
    cognito: Any
    trigger: Trigger | None


class CognitoFront(LocalServer[_FrontServer]):
    """The local Cognito endpoint on 127.0.0.1:port: moto's user pool API, plus what moto does not do."""

    def __init__(self, pool: LocalPool, cognito: Any, trigger: Trigger | None, port: int = DEFAULT_PORT,
                 spec: declaration.UserPool = declaration.USER_POOL) -> None:
        super().__init__(_FrontServer, _FrontHandler, port, name="cognito-front", poll_interval=0.1)
        self.server.pool, self.server.spec = pool, spec
        self.server.cognito, self.server.trigger = cognito, trigger


def mapped_attributes(provider: declaration.FederatedProvider, claims: Mapping[str, Any]) -> dict[str, str | None]:
    """The pool attributes a federated sign-in writes: each mapped attribute from its claim (absent: removed)."""
    return {attribute: str(claims[claim]) if claims.get(claim) not in (None, "") else None
            for attribute, claim in provider.attribute_mapping}


LOCAL_PASSWORD = "Motcua-local-2026!"  # noqa: S105 - meets the declared policy; local accounts only
LOCAL_EMAIL_DOMAIN = "motcua.test"


class LocalAccounts:
    """People in the local pool, signed in as the app signs in (USER_PASSWORD_AUTH, then the trigger, as
    ``CognitoFront`` applies it): the demo citizen of `make run`, the tests' and benchmarks' people.

    A person is named (``citizen-an``); their e-mail is ``<name>@motcua.test`` and their subject the pool's
    ``sub`` (``subject(name)``). Accounts are created once per pool and updated when the role or agency asked
    for changes; every ``token`` is a sign-in, so the trigger registers the subject again (a test's table is
    emptied between tests).
    """

    def __init__(self, pool: LocalPool, cognito: Any, trigger: Trigger | None) -> None:
        self.pool, self.cognito, self.trigger = pool, cognito, trigger
        self._accounts: dict[str, tuple[str, str | None, str]] = {}  # name -> (role, agency, sub)
        self._lock = threading.Lock()

    def email(self, name: str) -> str:
        return f"{name}@{LOCAL_EMAIL_DOMAIN}"

    def ensure(self, name: str, role: str = "citizen", agency_code: str | None = None) -> str:
        """The account exists with this role and agency; returns its subject."""
        from motcua.data.accounts import put_account
        from motcua.domain.access import account_attributes

        wanted = (str(role), agency_code or None)
        with self._lock:
            known = self._accounts.get(name)
            if known is None or known[:2] != wanted:
                account = put_account(self.pool.pool_id, self.email(name), account_attributes(*wanted),
                                      password=LOCAL_PASSWORD, client=self.cognito)
                self._accounts[name] = (*wanted, account.subject)
            return self._accounts[name][2]

    def subject(self, name: str) -> str:
        """The person's ``sub`` (their account created as a citizen's if it does not exist yet)."""
        with self._lock:
            known = self._accounts.get(name)
        return known[2] if known else self.ensure(name)

    def sign_in(self, name: str, source: str = "TokenGeneration_Authentication") -> dict[str, Any]:
        """The ``AuthenticationResult`` of a sign-in with the account's password."""
        answer = self.cognito.initiate_auth(
            ClientId=self.pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": self.email(name), "PASSWORD": LOCAL_PASSWORD})
        return after_trigger(self.pool, self.cognito, self.trigger, answer["AuthenticationResult"], source)

    def federated_sign_in(self, provider: declaration.FederatedProvider, oidc_token: str, keys: KeySet, *,
                          issuer: str, client_id: str) -> dict[str, Any]:
        """What Cognito does when a citizen comes back from the provider (moto has no federation): the
        provider's ID token verified (its keys, issuer, audience: the pool's client at the provider, expiry),
        the declared attributes mapped from its claims onto the pool user ``<provider>_<sub>`` (created at the
        first sign-in, updated at every one), then the pool's tokens, through the trigger."""
        from motcua.data.accounts import put_account

        try:
            claims = dict(jwt.decode(oidc_token, keys, algorithms=[ALGORITHM]).claims)
            jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer}, aud={"essential": True, "value": client_id},
                                  sub={"essential": True}, exp={"essential": True}).validate(claims)
        except (JoseError, ValueError, TypeError) as error:
            raise SignInRefused("NotAuthorizedException", f"{provider.name}: {type(error).__name__}") from None
        name = f"{provider.name}_{claims['sub']}"
        # The local account's e-mail is its user name (<name>@motcua.test), so the mapped e-mail is left out.
        attributes = {k: v for k, v in mapped_attributes(provider, claims).items() if k != "email"}
        with self._lock:
            account = put_account(self.pool.pool_id, self.email(name), attributes, password=LOCAL_PASSWORD,
                                  client=self.cognito)
            self._accounts[name] = ("citizen", None, account.subject)
        return self.sign_in(name, "TokenGeneration_HostedAuth")

    def token(self, name: str, role: str = "citizen", agency_code: str | None = None) -> str:
        """An ID token for the person, as the app would send it (``Authorization: Bearer``)."""
        self.ensure(name, role, agency_code)
        return str(self.sign_in(name)["IdToken"])

