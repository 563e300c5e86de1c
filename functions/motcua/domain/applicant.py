"""Checks on applicant data that have legal formats: national ID (CCCD) and Vietnamese phone numbers; and
that a citizen signed in with their electronic identity submits under their own national ID."""

from __future__ import annotations

import re

from motcua.domain.actors import Actor, Role
from motcua.domain.errors import InvalidInput, MotcuaError


class NationalIdInvalid(InvalidInput):
    code = "APPLICANT_NATIONAL_ID_INVALID"
    http_status = 422
    message_vi = "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số."
    message_en = "The national ID number (CCCD) must be exactly 12 digits."


class PhoneInvalid(InvalidInput):
    code = "APPLICANT_PHONE_INVALID"
    http_status = 422
    message_vi = "Số điện thoại không phải số điện thoại Việt Nam hợp lệ."
    message_en = "The phone number is not a valid Vietnamese phone number."


class EmailInvalid(InvalidInput):
    code = "APPLICANT_EMAIL_INVALID"
    http_status = 422
    message_vi = "Địa chỉ thư điện tử không hợp lệ."
    message_en = "The email address is invalid."


_NATIONAL_ID = re.compile(r"\d{12}", re.ASCII)  # ASCII: full-width digits are not an ID
# Mobile: 03x 05x 07x 08x 09x + 7 digits (10 digits in all); landline: 02 + area code, 11 digits in all.
_PHONE = re.compile(r"(?:0|\+?84)((?:3|5|7|8|9)\d{8}|2\d{9})", re.ASCII)
_SEPARATORS = re.compile(r"[\s.\-()]")
# Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is SES's job.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")


def normalise_national_id(value: str) -> str:
    value = value.strip()
    if not _NATIONAL_ID.fullmatch(value):
        raise NationalIdInvalid({"field": "national_id"})
    return value


def normalise_phone(value: str) -> str:
    """Return the number in E.164 (``+84...``) so one person has one phone key."""
    match = _PHONE.fullmatch(_SEPARATORS.sub("", value))
    if not match:
        raise PhoneInvalid({"field": "phone"})
    return "+84" + match.group(1)


def normalise_email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise EmailInvalid({"field": "email"})
    return value.lower()


class NationalIdNotYours(MotcuaError):
    code = "APPLICANT_NATIONAL_ID_NOT_YOURS"
    http_status = 403
    message_vi = ("Số định danh cá nhân của người nộp hồ sơ không phải số của tài khoản định danh điện tử (VNeID) "
                  "đang đăng nhập.")
    message_en = "The applicant's national ID number is not the one of the electronic identity (VNeID) signed in."


def require_own_national_id(actor: Actor, given: str, verified: str | None) -> None:
    """A citizen whose sign-in vouches for a national ID (VNeID, level 2: Decree 69/2024/NĐ-CP) submits as
    that person: an applicant's ID that differs is refused, never silently replaced, so the app learns that
    its form and the signed-in person disagree. No verified ID (an e-mail account) leaves the form's say;
    officials at the counter submit for the person in front of them."""
    if actor.role is Role.CITIZEN and verified is not None and given.strip() != verified:
        raise NationalIdNotYours({"field": "applicant.national_id"})
