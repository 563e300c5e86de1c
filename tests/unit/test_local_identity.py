"""The local stand-in for Cognito and the JWT authoriser: tokens live no longer than the user pool's, and a
signing key that cannot be read stops the stack instead of letting unsigned tokens through."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from joserfc import jwt

from infra.local import runner
from infra.local.identity import ALGORITHM, AUDIENCE, ISSUER, IdentityKeyUnreadable, LocalIdentity, TokenRejected
from motcua.domain.access import TOKEN_LIFETIME_S
from motcua.domain.actors import Role

IDENTITY = LocalIdentity.generate()


def _signed(**claims) -> str:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "citizen-an", "iat": now, "exp": now + 600,
            "custom:role": "citizen"}
    merged = {k: v for k, v in {**base, **claims}.items() if v is not None}
    return jwt.encode({"alg": ALGORITHM, "kid": IDENTITY.key.kid}, merged, IDENTITY.key)


def test_a_token_living_longer_than_the_user_pools_is_refused() -> None:
    now = int(time.time())
    for claims in ({"exp": now + 10 * 365 * 24 * 3600},  # the ten-year token
                   {"iat": now - 3 * 3600, "exp": now + 3600},  # issued for four hours
                   {"iat": None},  # no issue time: its lifetime cannot be told
                   {"iat": now + 3600, "exp": now + 3700}):  # issued in the future
        with pytest.raises(TokenRejected):
            IDENTITY.verify(_signed(**claims))
    assert IDENTITY.verify(_signed(exp=now + TOKEN_LIFETIME_S))["sub"] == "citizen-an"


def test_the_issuer_never_issues_a_longer_lived_token() -> None:
    with pytest.raises(ValueError):
        IDENTITY.issue("citizen-an", Role.CITIZEN, ttl_s=TOKEN_LIFETIME_S + 1)
    assert IDENTITY.verify(IDENTITY.issue("citizen-an", Role.CITIZEN))["sub"] == "citizen-an"


@pytest.mark.parametrize("content", ["", "{not json", "{}", '{"kty": "oct", "k": "c2VjcmV0"}', "[]"])
def test_an_unreadable_signing_key_is_an_error_never_a_new_key(tmp_path: Path, content: str) -> None:
    (tmp_path / "signing-key.json").write_text(content, encoding="utf-8")
    with pytest.raises(IdentityKeyUnreadable):
        LocalIdentity.load_or_create(tmp_path)
    assert (tmp_path / "signing-key.json").read_text(encoding="utf-8") == content  # left for a human to see


def test_a_public_key_alone_cannot_sign(tmp_path: Path) -> None:
    (tmp_path / "signing-key.json").write_text(json.dumps(IDENTITY.key.as_dict(private=False)), encoding="utf-8")
    with pytest.raises(IdentityKeyUnreadable):
        LocalIdentity.load_or_create(tmp_path)


def test_make_run_stops_on_an_unreadable_key_instead_of_accepting_unverified_tokens(tmp_path, monkeypatch) -> None:
    (tmp_path / "identity").mkdir()
    (tmp_path / "identity" / "signing-key.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(runner, "LOCAL_DIR", tmp_path)
    with pytest.raises(SystemExit) as stopped:
        runner.verifier_and_demo_token()
    assert "signing-key.json" in str(stopped.value)
