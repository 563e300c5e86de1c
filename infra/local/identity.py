"""The local stack's identity provider: what Cognito and API Gateway's JWT authoriser do in the cloud.

It keeps one RSA signing key (``.local/identity/signing-key.json`` for ``make run``; a temporary one in
tests), issues tokens with the claims a Cognito user pool issues for Motcua's users (``sub``,
``custom:role``, ``custom:agency_code``), and verifies every bearer token the HTTP adapter receives
(signature, issuer, audience, expiry) with joserfc before a handler sees its claims, exactly where the
cloud's authoriser sits. Given the declared pre token generation trigger (``infra.local.cognito``), it
invokes it before signing, as the user pool does: the trigger registers the subject the API then serves.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from motcua.domain.access import AGENCY_CLAIM, ROLE_CLAIM, TOKEN_LIFETIME_S
from motcua.domain.actors import PERSON_ROLES, Role

ISSUER = "motcua-local"
AUDIENCE = "motcua-api"
ALGORITHM = "RS256"


class TokenRejected(Exception):
    """Why a bearer token was not accepted (the adapter answers 401)."""


class IdentityKeyUnreadable(Exception):
    """The signing key file exists but is no private RSA key: never replaced silently, never skipped."""


@dataclass
class LocalIdentity:
    key: RSAKey
    # The declared Cognito pre token generation trigger (``infra.local.cognito.pre_token_trigger``).
    pre_token: Callable[[dict[str, Any]], Any] | None = None

    @classmethod
    def generate(cls, pre_token: Callable[[dict[str, Any]], Any] | None = None) -> LocalIdentity:
        return cls(RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex[:16]}), pre_token)

    @classmethod
    def load_or_create(cls, directory: Path,
                       pre_token: Callable[[dict[str, Any]], Any] | None = None) -> LocalIdentity:
        """The key survives restarts of ``make run``, so tokens printed yesterday still work."""
        path = directory / "signing-key.json"
        if path.exists():
            try:
                key = RSAKey.import_key(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, TypeError, KeyError, AttributeError, JoseError) as error:
                raise IdentityKeyUnreadable(f"{path}: not an RSA key ({type(error).__name__})") from None
            if not key.is_private:
                raise IdentityKeyUnreadable(f"{path}: a public key cannot sign tokens")
            return cls(key, pre_token)
        identity = cls.generate(pre_token)
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(identity.key.as_dict(private=True)), encoding="utf-8")
        path.chmod(0o600)
        return identity

    def issue(self, subject: str, role: Role | str, agency_code: str | None = None, *,
              ttl_s: int = TOKEN_LIFETIME_S, now: float | None = None, issuer: str = ISSUER) -> str:
        if not 0 < ttl_s <= TOKEN_LIFETIME_S:
            raise ValueError(f"tokens live at most {TOKEN_LIFETIME_S} s, as the user pool's")
        if Role(role) not in PERSON_ROLES:  # as the user pool: its role attribute holds person roles only
            raise ValueError(f"no person holds the role {role!r}")
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {"iss": issuer, "aud": AUDIENCE, "sub": subject, "iat": issued,
                                  "exp": issued + ttl_s, ROLE_CLAIM: str(Role(role))}
        if agency_code:
            claims[AGENCY_CLAIM] = agency_code
        if self.pre_token is not None:
            from infra.local.cognito import claims_after

            attributes = {ROLE_CLAIM: str(Role(role)), **({AGENCY_CLAIM: agency_code} if agency_code else {})}
            claims = claims_after(self.pre_token, subject, claims, attributes)
        header = {"alg": ALGORITHM, "kid": self.key.kid}
        return jwt.encode(header, claims, self.key)

    def verify(self, token: str, *, now: float | None = None) -> dict[str, Any]:
        try:
            decoded = jwt.decode(token, self.key, algorithms=[ALGORITHM])
            jwt.JWTClaimsRegistry(
                now=int(now) if now is not None else None,
                iss={"essential": True, "value": ISSUER},
                aud={"essential": True, "value": AUDIENCE},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
            ).validate(decoded.claims)
            lifetime = int(decoded.claims["exp"]) - int(decoded.claims["iat"])
            if not 0 < lifetime <= TOKEN_LIFETIME_S:
                raise ValueError("token lifetime")
        except (JoseError, ValueError, TypeError) as error:
            raise TokenRejected(type(error).__name__) from None
        return dict(decoded.claims)
