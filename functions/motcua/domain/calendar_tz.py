"""The calendar's timezone, in one place: every working-day computation is in Vietnam's local time."""

from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
