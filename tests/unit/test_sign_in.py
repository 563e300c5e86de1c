"""Cognito's pre token generation trigger (version 1): which role a token issued to a user carries.

The events are the shape Cognito documents ("Pre token generation Lambda trigger", event version 1): the
user's attributes as strings under ``request.userAttributes``, ``response.claimsOverrideDetails`` null.
Raising from the trigger makes Cognito refuse the sign-in, so a role no person holds is never issued.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from motcua.domain.access import AGENCY_CLAIM, ROLE_CLAIM, SignInRefused, token_claims
from motcua.domain.actors import PERSON_ROLES, Role

TRIGGER_SOURCES = ("TokenGeneration_HostedAuth", "TokenGeneration_Authentication",
                   "TokenGeneration_NewPasswordChallenge", "TokenGeneration_AuthenticateDevice",
                   "TokenGeneration_RefreshTokens")


def cognito_event(attributes: dict[str, str], source: str = "TokenGeneration_HostedAuth") -> dict[str, Any]:
    return {
        "version": "1",
        "triggerSource": source,
        "region": "ap-southeast-1",
        "userPoolId": "ap-southeast-1_Motcua1",
        "userName": attributes.get("sub", "someone"),
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "4bq2lcc8e0l0motcua0client"},
        "request": {
            "userAttributes": {"cognito:user_status": "CONFIRMED", "email_verified": "true",
                               "email": "someone@example.vn", **attributes},
            "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
        },
        "response": {"claimsOverrideDetails": None},
    }


@pytest.mark.parametrize("role", sorted(PERSON_ROLES))
def test_a_person_role_is_issued_as_it_is(role: Role) -> None:
    attributes = {"sub": "u-1", ROLE_CLAIM: role.value, AGENCY_CLAIM: "000.20.01.H36"}
    assert token_claims(attributes)[ROLE_CLAIM] == role.value


def test_a_user_without_a_role_is_issued_the_citizens_role_explicitly() -> None:
    assert token_claims({"sub": "u-1"}) == {ROLE_CLAIM: Role.CITIZEN.value}


@pytest.mark.parametrize("role", ["system", "SYSTEM", " system", "root", "admin", "citizen ", ""])
def test_a_role_no_person_holds_refuses_the_sign_in(role: str) -> None:
    with pytest.raises(SignInRefused):
        token_claims({"sub": "u-1", ROLE_CLAIM: role})


def test_a_user_without_a_subject_refuses_the_sign_in() -> None:
    with pytest.raises(SignInRefused):
        token_claims({ROLE_CLAIM: "citizen"})


# --- the service, on Cognito's event ------------------------------------------------------------------


class Registry:
    def __init__(self) -> None:
        self.registered: list[tuple[str, str, str | None]] = []

    def register(self, subject: str, role: str, agency_code: str | None) -> None:
        self.registered.append((subject, role, agency_code))


@pytest.mark.parametrize("source", TRIGGER_SOURCES)
def test_the_trigger_overrides_the_role_claim_and_registers_the_subject(source: str) -> None:
    from motcua.service.sign_in import pre_token_generation

    registry = Registry()
    event = cognito_event({"sub": "officer-lan", ROLE_CLAIM: "reception_officer", AGENCY_CLAIM: "000.20.01.H36"},
                          source)
    answered = pre_token_generation(copy.deepcopy(event), registry.register)
    details = answered["response"]["claimsOverrideDetails"]
    assert details["claimsToAddOrOverride"] == {ROLE_CLAIM: "reception_officer"}
    assert registry.registered == [("officer-lan", "reception_officer", "000.20.01.H36")]
    assert answered["request"] == event["request"]  # what Cognito sent is handed back unchanged


def test_the_trigger_refuses_a_system_role_and_registers_nothing() -> None:
    from motcua.service.sign_in import pre_token_generation

    registry = Registry()
    with pytest.raises(SignInRefused):
        pre_token_generation(cognito_event({"sub": "intruder", ROLE_CLAIM: "system"}), registry.register)
    assert registry.registered == []


# --- the API's side: a token is served only for a subject the system knows --------------------------------


def test_a_validly_claimed_subject_the_system_never_saw_is_refused_with_401() -> None:
    from motcua.service.sign_in import SubjectUnknown, actor_for

    with pytest.raises(SubjectUnknown) as raised:
        actor_for({"sub": "never-seen", ROLE_CLAIM: "citizen"}, known=lambda subject: False)
    assert raised.value.http_status == 401 and raised.value.code == "SUBJECT_UNKNOWN"
    assert actor_for({"sub": "hang", ROLE_CLAIM: "citizen"}, known=lambda subject: subject == "hang").subject == "hang"


def test_a_known_subject_is_looked_up_once_per_container_for_a_while_an_unknown_one_every_time() -> None:
    from motcua.service.sign_in import KnownSubjects

    asked: list[str] = []
    registered = {"hang"}
    clock = [0.0]

    def lookup(subject: str) -> bool:
        asked.append(subject)
        return subject in registered

    known = KnownSubjects(lookup, known_for_s=60, monotonic=lambda: clock[0])
    assert known("hang") and known("hang")
    assert not known("lan") and not known("lan")
    registered.add("lan")
    assert known("lan")  # signed in since: served at once
    assert asked == ["hang", "lan", "lan", "lan"]
    clock[0] = 61.0
    assert known("hang")
    assert asked[-1] == "hang"
