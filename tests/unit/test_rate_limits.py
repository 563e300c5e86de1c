"""Fixed-window rate limits (motcua.domain.limits): windows, the limit itself, the retry hint."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.domain.calendar import VN_TZ
from motcua.domain.limits import RateLimit, RateLimited, tracking

HOURLY = RateLimit("x", limit=3, window=timedelta(hours=1))


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(VN_TZ)))
def test_a_window_starts_on_the_hour_and_holds_the_instant(now: datetime) -> None:
    start = HOURLY.window_start(now)
    assert start <= now < start + HOURLY.window
    assert start.minute == start.second == start.microsecond == 0  # Vietnam is UTC+7: whole hours align


def test_the_limit_is_allowed_and_one_more_is_refused_with_the_wait() -> None:
    now = datetime(2026, 12, 7, 9, 45, 30, tzinfo=VN_TZ)
    for hits in (1, 2, 3):
        HOURLY.check(hits, now)
    with pytest.raises(RateLimited) as refused:
        HOURLY.check(4, now)
    assert refused.value.http_status == 429
    assert refused.value.details == {"limit": 3, "window_s": 3600, "retry_after_s": 14 * 60 + 30}
    assert refused.value.message_vi and refused.value.message_en


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        HOURLY.window_start(datetime(2026, 12, 7, 9, 0))


def test_tracking_counts_per_hour() -> None:
    assert tracking(60) == RateLimit("track", 60, timedelta(hours=1))
