"""The monthly index job (docs/index.md §9): EventBridge Scheduler ``cron(5 0 1 * ? *)`` in Asia/Ho_Chi_Minh.

Computes the month that just ended (the month before the schedule's ``time``, in Vietnam's time), or the
month the event names (``{"month": "2026-09"}``: a backfill or a re-run). It reads the month's counter
items (one per agency that had a dossier: O(units)) and the late rows, scores and ranks every unit, stores
the results (``INDEX#<month>``) and writes the HTML report and the open data to the ``reports`` bucket. A
re-run overwrites the same items and keys: idempotent.
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data.index_store import IndexRepository
from motcua.data.models import bind
from motcua.data.reports import ReportStore
from motcua.domain.calendar import VN_TZ
from motcua.domain.index import Month
from motcua.observability import service_logger
from motcua.service.index.job import IndexJob
from motcua.settings import IndexSettings, load

logger = service_logger()
config = load(IndexSettings)
bind(config.table_name)


def month_for(event: dict[str, Any], now: datetime | None = None) -> Month:
    """The month named in the event, else the month before the scheduled time (Vietnam time)."""
    named = event.get("month") if isinstance(event, dict) else None
    if named:
        return Month.parse(str(named))
    raw = event.get("time") if isinstance(event, dict) else None
    at = datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else (now or datetime.now(VN_TZ))
    return Month.of(at).previous


def handler(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    month = month_for(event or {})
    job = IndexJob(store=IndexRepository(), reports=ReportStore(config.reports_bucket))
    report = job.run(month).as_dict()
    logger.info("monthly index computed", extra={k: v for k, v in report.items() if k != "differences"})
    return report


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
