"""Who may do what. Pure rules over an ``Actor``; the handlers only supply the actor from token claims."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from motcua.domain.actors import OFFICIAL_ROLES, PERSON_ROLES, Actor, Role
from motcua.domain.errors import MotcuaError

# Claim names as a Cognito user pool issues them (custom attributes are prefixed "custom:"); the local
# stack's token issuer uses the same names, so handlers read one shape everywhere.
ROLE_CLAIM = "custom:role"
AGENCY_CLAIM = "custom:agency_code"
# The national ID number (số định danh cá nhân) of a citizen who signed in with their electronic identity
# (VNeID, level 2: Decree 69/2024/NĐ-CP), mapped by the user pool from the identity provider's token. Only
# that federation writes it (docs/mobile.md, "VNeID"); an e-mail sign-up has none.
NATIONAL_ID_CLAIM = "custom:national_id"
# How long the user pool's ID and access tokens live (infra/constructs/auth.py); the local issuer and its
# verifier hold tokens to the same, so a token accepted locally is one Cognito could have issued.
TOKEN_LIFETIME_S = 3600


class AuthenticationRequired(MotcuaError):
    code = "AUTH_REQUIRED"
    http_status = 401
    message_vi = "Cần đăng nhập để thực hiện thao tác này."
    message_en = "Authentication is required."


class AccessDenied(MotcuaError):
    code = "ACCESS_DENIED"
    http_status = 403
    message_vi = "Bạn không có quyền thực hiện thao tác này."
    message_en = "You are not allowed to do this."


def actor_from_claims(claims: Mapping[str, Any] | None) -> Actor:
    """The person a verified token names. A role no person holds (``system``, or anything unknown) is refused:
    a token is never a way to act as the system."""
    if not claims or not claims.get("sub"):
        raise AuthenticationRequired()
    try:
        role = Role(str(claims.get(ROLE_CLAIM, Role.CITIZEN)))
        if role not in PERSON_ROLES:
            raise ValueError(role)
        return Actor(subject=str(claims["sub"]), role=role, agency_code=claims.get(AGENCY_CLAIM) or None)
    except (ValueError, ValidationError):
        raise AccessDenied({"reason": "unknown role"}) from None


def verified_national_id(claims: Mapping[str, Any] | None) -> str | None:
    """The national ID a verified token carries (the identity provider's, mapped by the pool), or None."""
    value = str((claims or {}).get(NATIONAL_ID_CLAIM) or "").strip()
    return value or None


class SignInRefused(MotcuaError):
    """Raised from Cognito's pre token generation trigger: Cognito then refuses the sign-in, no token is issued."""

    code = "SIGN_IN_REFUSED"
    http_status = 403
    message_vi = "Tài khoản này không được đăng nhập: vai trò không hợp lệ."
    message_en = "This account may not sign in: its role is not valid."


def token_claims(user_attributes: Mapping[str, str]) -> dict[str, str]:
    """The role claim a token issued to this user carries (Cognito's pre token generation trigger).

    Cognito's custom attributes take any string, so the pool cannot restrict ``custom:role`` to the person
    roles itself: this is where it is. No role is a citizen who signed up, said explicitly; a person role is
    issued as it is; anything else (``system``, a typo) refuses the sign-in rather than issue a token the API
    would misread or refuse on every request.
    """
    if not user_attributes.get("sub"):
        raise SignInRefused({"reason": "no subject"})
    value = user_attributes.get(ROLE_CLAIM)
    if value is None:
        return {ROLE_CLAIM: Role.CITIZEN.value}
    try:
        role = Role(value)
    except ValueError:
        raise SignInRefused({"reason": "unknown role"}) from None
    if role not in PERSON_ROLES:
        raise SignInRefused({"reason": "unknown role"})
    return {ROLE_CLAIM: role.value}


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise AccessDenied({"role": actor.role.value, "allowed_roles": [r.value for r in roles]})


class DossierAccessDenied(AccessDenied):
    code = "DOSSIER_ACCESS_DENIED"
    message_vi = "Bạn không có quyền xem hồ sơ này."
    message_en = "You may not see this dossier."


def ensure_can_read(actor: Actor, owner: str, agency_codes: str | frozenset[str]) -> None:
    """Citizens see their own dossiers; officials their agency's (and those transferred to it);
    inspectors and the system see all."""
    agencies = frozenset({agency_codes}) if isinstance(agency_codes, str) else agency_codes
    if actor.role is Role.CITIZEN and actor.subject == owner:
        return
    if actor.is_official and actor.agency_code in agencies:
        return
    if actor.role in (Role.INSPECTOR, Role.SYSTEM):
        return
    raise DossierAccessDenied({"role": actor.role.value})


class AccountInvalid(MotcuaError):
    code = "ACCOUNT_INVALID"
    http_status = 400
    message_vi = "Tài khoản không hợp lệ: vai trò hoặc cơ quan không phù hợp."
    message_en = "The account is not valid: its role or agency does not fit."


def account_attributes(role: Role | str, agency_code: str | None) -> dict[str, str | None]:
    """The custom attributes an administrator gives a person's account (``motcua users add``); ``None``
    removes one. Only a person role, an official always of an agency, a citizen of none: what the pre token
    generation trigger (``token_claims``) and the access rules then read."""
    try:
        held = Role(role)
    except ValueError:
        raise AccountInvalid({"reason": "unknown role"}) from None
    if held not in PERSON_ROLES:
        raise AccountInvalid({"reason": "no person holds this role"})
    if held in OFFICIAL_ROLES and not agency_code:
        raise AccountInvalid({"reason": "an official belongs to an agency"})
    if held is Role.CITIZEN and agency_code:
        raise AccountInvalid({"reason": "a citizen belongs to no agency"})
    return {ROLE_CLAIM: held.value, AGENCY_CLAIM: agency_code or None}
