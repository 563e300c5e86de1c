"""The subjects the system knows: every person a token was issued to (``motcua.service.sign_in``).

=====================  ==============================  =================================================
item                   pk                              sk
=====================  ==============================  =================================================
known subject          ``SUBJECT#<subject>``           ``SUBJECT``
=====================  ==============================  =================================================

Written by Cognito's pre token generation trigger each time a token is issued (sign-in and refresh), so a
subject presenting a validly signed token has one, unless the token was not issued through the pool. It
holds no personal data: the subject, the role and agency its last token carried, when it was first and last
issued one.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.expressions.update import Action

from motcua.data.models import Item
from motcua.data.transactions import StorageUnavailable

SUBJECT_SK = "SUBJECT"


def _pk(subject: str) -> str:
    return f"SUBJECT#{subject}"


class _SubjectItem(Item):
    class Meta(Item.Meta):  # follows ``models.bind`` like the models in ``models``
        pass

    role = UnicodeAttribute()
    agency_code = UnicodeAttribute(null=True)
    first_issued_at = UnicodeAttribute()
    last_issued_at = UnicodeAttribute()


def register(subject: str, role: str, agency_code: str | None, at: datetime) -> None:
    """One UpdateItem: the subject exists from now on; its first issue time is kept."""
    item = _SubjectItem(_pk(subject), SUBJECT_SK)
    actions: list[Action] = [
        _SubjectItem.role.set(role),
        _SubjectItem.last_issued_at.set(at.isoformat()),
        _SubjectItem.first_issued_at.set(_SubjectItem.first_issued_at | at.isoformat()),
        _SubjectItem.agency_code.set(agency_code) if agency_code else _SubjectItem.agency_code.remove(),
    ]
    try:
        item.update(actions=actions)
    except PynamoDBException as error:
        raise StorageUnavailable({"reason": str(getattr(error, "cause_response_code", "") or "")}) from error


def is_known(subject: str) -> bool:
    """One strongly consistent GetItem of the key alone: a token issued a moment ago is already known."""
    try:
        _SubjectItem.get(_pk(subject), SUBJECT_SK, consistent_read=True, attributes_to_get=[_SubjectItem.pk.attr_name])
        return True
    except DoesNotExist:
        return False
    except PynamoDBException as error:
        raise StorageUnavailable({"reason": str(getattr(error, "cause_response_code", "") or "")}) from error
