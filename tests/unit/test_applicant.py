from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.domain.applicant import (
    EmailInvalid,
    NationalIdInvalid,
    PhoneInvalid,
    normalise_email,
    normalise_national_id,
    normalise_phone,
)


@pytest.mark.parametrize("value", ["079203001234", " 001099012345 "])
def test_a_twelve_digit_national_id_is_accepted(value: str) -> None:
    assert normalise_national_id(value) == value.strip()


@pytest.mark.parametrize("value", ["", "12345678901", "1234567890123", "07920300123A", "079 203 001 234",
                                   "０７９２０３００１２３４"])
def test_anything_but_twelve_ascii_digits_is_refused_with_its_own_code(value: str) -> None:
    with pytest.raises(NationalIdInvalid) as raised:
        normalise_national_id(value)
    assert raised.value.code == "APPLICANT_NATIONAL_ID_INVALID"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0912345678", "+84912345678"),
        ("091 234 5678", "+84912345678"),
        ("+84 912-345-678", "+84912345678"),
        ("84352345678", "+84352345678"),
        ("02633822111", "+842633822111"),  # Đà Lạt landline: 0263 + 7 digits
    ],
)
def test_vietnamese_numbers_are_normalised_to_e164(value: str, expected: str) -> None:
    assert normalise_phone(value) == expected


@pytest.mark.parametrize("value", ["0112345678", "091234567", "09123456789", "+1 415 555 0100", "phone", "0612345678"])
def test_non_vietnamese_phone_numbers_are_refused(value: str) -> None:
    with pytest.raises(PhoneInvalid) as raised:
        normalise_phone(value)
    assert raised.value.code == "APPLICANT_PHONE_INVALID"


@given(st.from_regex(r"0[35789][0-9]{8}", fullmatch=True))
def test_every_mobile_number_round_trips(number: str) -> None:
    assert normalise_phone(number) == "+84" + number[1:]


def test_email_is_lower_cased_and_checked() -> None:
    assert normalise_email(" An.Nguyen@Example.VN ") == "an.nguyen@example.vn"
    for bad in ("no-at-sign", "a@b", "two@@example.vn", "space in@example.vn"):
        with pytest.raises(EmailInvalid):
            normalise_email(bad)
