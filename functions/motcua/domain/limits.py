"""Per-client rate limits: how many requests one client may make to a route in a fixed window.

Pure rules; the data layer keeps the counters (``motcua.data.rate_limits``). Public tracking needs one
because receipt codes are sequential per agency and day (``motcua.domain.receipt``): without a limit, one
client could list every dossier's status. API Gateway's route throttle bounds all clients together; this
bounds each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from motcua.domain.errors import MotcuaError


class RateLimited(MotcuaError):
    code = "RATE_LIMITED"
    http_status = 429
    message_vi = "Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau."
    message_en = "Too many lookups in a short time. Please try again later."


@dataclass(frozen=True)
class RateLimit:
    name: str
    limit: int  # requests allowed per window and client
    window: timedelta

    def window_start(self, now: datetime) -> datetime:
        if now.tzinfo is None:
            raise ValueError("rate limit windows need an aware datetime")
        seconds = int(self.window.total_seconds())
        epoch = int(now.timestamp())
        return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)

    def check(self, hits: int, now: datetime) -> None:
        """``hits``: this client's requests in the current window, this one included."""
        if hits > self.limit:
            retry_after = self.window_start(now) + self.window - now
            raise RateLimited({"limit": self.limit, "window_s": int(self.window.total_seconds()),
                               "retry_after_s": max(1, int(retry_after.total_seconds()))})


def tracking(per_hour: int) -> RateLimit:
    """Public tracking: a citizen checks a few dossiers a few times; listing codes needs thousands."""
    return RateLimit("track", limit=per_hour, window=timedelta(hours=1))
