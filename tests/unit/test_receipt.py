from __future__ import annotations

from datetime import UTC, datetime

import pytest

from motcua.domain.errors import CalendarError
from motcua.domain.receipt import RECEIPT_CODE, receipt_code


def test_receipt_code_has_the_national_shape_with_the_local_date() -> None:
    # 2022-10-19 20:00 UTC is already 20/10/2022 03:00 in Vietnam: the code carries the local day.
    at = datetime(2022, 10, 19, 20, 0, tzinfo=UTC)
    assert receipt_code("000.00.25.H36", at, 1) == "000.00.25.H36-221020-0001"
    assert RECEIPT_CODE.fullmatch("000.00.25.H36-221020-0001")


def test_sequences_beyond_four_digits_keep_growing() -> None:
    assert receipt_code("000.20.01.H36", datetime(2026, 3, 2, 9, tzinfo=UTC), 12345).endswith("-260302-12345")


def test_naive_datetimes_and_zero_sequences_are_refused() -> None:
    with pytest.raises(CalendarError):
        receipt_code("000.20.01.H36", datetime(2026, 3, 2, 9), 1)
    with pytest.raises(ValueError):
        receipt_code("000.20.01.H36", datetime(2026, 3, 2, 9, tzinfo=UTC), 0)
    assert not RECEIPT_CODE.fullmatch("not-a-code")
