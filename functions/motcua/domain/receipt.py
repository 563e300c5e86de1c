"""Dossier receipt codes: ``<agency electronic identifier>-<yyMMdd>-<sequence>`` (docs/domain.md §3.3, LIKELY).

The sequence restarts per agency per day and is allocated by the data layer from an atomic counter; the
date is the submission's local date in Asia/Ho_Chi_Minh. Codes are unique forever because
(agency, day, sequence) is.
"""

from __future__ import annotations

import re
from datetime import datetime

from motcua.domain.calendar import VN_TZ
from motcua.domain.errors import CalendarError

RECEIPT_CODE = re.compile(r"(?P<agency>[0-9A-Z.]{3,40})-(?P<day>\d{6})-(?P<seq>\d{4,})")


def sequence_day(at: datetime) -> str:
    if at.tzinfo is None:
        raise CalendarError({"field": "at", "reason": "naive datetime"})
    return at.astimezone(VN_TZ).strftime("%y%m%d")


def receipt_code(agency_code: str, at: datetime, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("receipt sequences start at 1")
    return f"{agency_code}-{sequence_day(at)}-{sequence:04d}"
