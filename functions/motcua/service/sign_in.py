"""Who is signed in: the role a token is issued with, and the subjects the system knows.

Cognito's pre token generation trigger (``pre_token_generation``) runs each time the pool issues tokens
(sign-in, new password, refresh). It decides the token's role claim (``motcua.domain.access.token_claims``:
a role no person holds refuses the sign-in) and registers the subject (``motcua.data.subjects``). Locally,
moto's user pool invokes no trigger: the local Cognito front (``infra.local.cognito``) invokes this declared
one around every token moto issues.

The API then serves a token only for a subject registered that way (``actor_for``): a validly signed token
for a subject no token was ever issued to (a key that leaked, a token minted outside the pool) is refused.
The check costs one GetItem per container and subject; a known subject is remembered for
``KNOWN_FOR_S`` (a registration is never withdrawn while a token lives, so nothing is served that should
not be). An unknown one is asked again each time, so a subject who has just signed in is served at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PreTokenGenerationTriggerEvent

from motcua.domain.access import AGENCY_CLAIM, ROLE_CLAIM, AuthenticationRequired, actor_from_claims, token_claims
from motcua.domain.actors import Actor
from motcua.domain.calendar import VN_TZ

Register = Callable[[str, str, str | None], None]

KNOWN_FOR_S = 300.0
_MAX_REMEMBERED = 10_000  # subjects per container; beyond, the oldest are forgotten (asked again)


class SubjectUnknown(AuthenticationRequired):
    code = "SUBJECT_UNKNOWN"
    message_vi = "Tài khoản chưa được đăng ký với hệ thống. Vui lòng đăng nhập lại."
    message_en = "This account is not known to the system. Please sign in again."


def pre_token_generation(event: dict[str, Any], register: Register) -> dict[str, Any]:
    """Cognito's version 1 event, answered: the role claim overridden, the subject registered first (a
    refused sign-in registers nothing; a registration that fails fails the sign-in, so no token is issued
    for a subject the API would refuse)."""
    trigger = PreTokenGenerationTriggerEvent(event)
    attributes = trigger.request.user_attributes
    claims = token_claims(attributes)
    register(attributes["sub"], claims[ROLE_CLAIM], attributes.get(AGENCY_CLAIM) or None)
    trigger.response.claims_override_details.claims_to_add_or_override = claims
    return trigger.raw_event


def register_in(store: Callable[[str, str, str | None, datetime], None],
                clock: Callable[[], datetime] = lambda: datetime.now(VN_TZ)) -> Register:
    return lambda subject, role, agency_code: store(subject, role, agency_code, clock())


class KnownSubjects:
    """``is_known`` with the positive answers remembered per container (see the module's docstring)."""

    def __init__(self, lookup: Callable[[str], bool], known_for_s: float = KNOWN_FOR_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lookup = lookup
        self._known_for_s = known_for_s
        self._monotonic = monotonic
        self._known: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, subject: str) -> bool:
        now = self._monotonic()
        with self._lock:
            seen = self._known.get(subject)
        if seen is not None and now - seen < self._known_for_s:
            return True
        if not self._lookup(subject):
            return False
        with self._lock:
            if len(self._known) >= _MAX_REMEMBERED:
                self._known.pop(next(iter(self._known)))
            self._known[subject] = now
        return True


def actor_for(claims: Mapping[str, Any] | None, known: Callable[[str], bool]) -> Actor:
    """The actor a verified token names, if the system knows its subject (``SubjectUnknown``, 401: signing
    in again registers it)."""
    actor = actor_from_claims(claims)
    if not known(actor.subject):
        raise SubjectUnknown()
    return actor


def _is_registered(subject: str) -> bool:
    from motcua.data import subjects

    return subjects.is_known(subject)


known_subjects = KnownSubjects(_is_registered)


def known_actor(claims: Mapping[str, Any] | None) -> Actor:
    """``actor_for`` against the table's registry, remembered per container: what the API's routes call."""
    return actor_for(claims, known_subjects)
