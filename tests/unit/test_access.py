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


@pytest.mark.parametrize(("role", "agency", "expected"), [
    ("reception_officer", "000.20.01.H36", {"custom:role": "reception_officer", "custom:agency_code": "000.20.01.H36"}),
    ("inspector", None, {"custom:role": "inspector", "custom:agency_code": None}),
    ("citizen", None, {"custom:role": "citizen", "custom:agency_code": None}),
])
def test_an_account_carries_a_person_role_and_an_officials_agency(role: str, agency: str | None,
                                                                  expected: dict) -> None:
    from motcua.domain.access import account_attributes

    assert account_attributes(role, agency) == expected


@pytest.mark.parametrize(("role", "agency"), [("system", None), ("mayor", None), ("agency_leader", None),
                                              ("agency_leader", ""), ("citizen", "000.20.01.H36")])
def test_no_account_is_given_a_role_or_agency_the_rules_refuse(role: str, agency: str | None) -> None:
    from motcua.domain.access import AccountInvalid, account_attributes

    with pytest.raises(AccountInvalid):
        account_attributes(role, agency)
