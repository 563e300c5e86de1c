"""The actor a bearer token may claim: a person's role, never the system's (timers and integrations act under
their own identity, never through the API's tokens)."""

from __future__ import annotations

import pytest

from motcua.domain.access import AccessDenied, actor_from_claims
from motcua.domain.actors import PERSON_ROLES, Role


@pytest.mark.parametrize("role", ["system", "SYSTEM", " system", "root", ""])
def test_a_token_claiming_a_role_no_person_holds_is_refused(role: str) -> None:
    with pytest.raises(AccessDenied) as raised:
        actor_from_claims({"sub": "someone", "custom:role": role})
    assert raised.value.http_status == 403


@pytest.mark.parametrize("role", sorted(PERSON_ROLES))
def test_every_person_role_is_accepted(role: Role) -> None:
    assert actor_from_claims({"sub": "someone", "custom:role": role.value}).role is role


def test_no_role_claim_is_a_citizen_who_signed_up() -> None:
    assert actor_from_claims({"sub": "someone"}).role is Role.CITIZEN


def test_the_person_roles_are_every_role_but_the_system() -> None:
    assert set(Role) - PERSON_ROLES == {Role.SYSTEM}
