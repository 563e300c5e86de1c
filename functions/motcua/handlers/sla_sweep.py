"""The SLA sweep, every 5 minutes (EventBridge Scheduler): warnings, breaches and automatic apologies that
are due (``motcua.service.sla``). Stops with time to spare before the Lambda timeout; what is left stays due
in the index and the next run takes it (nothing is lost, nothing fires twice)."""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data.models import bind
from motcua.observability import service_logger
from motcua.service.sla import SlaSweeper
from motcua.settings import SlaSettings, load

logger = service_logger()
bind(load(SlaSettings).table_name)
sweeper = SlaSweeper()

# Leave this much of the invocation unused: one page of firings (with PDF rendering) fits in it.
SAFETY_MARGIN_MS = 20_000


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = sweeper.sweep(out_of_time=lambda: context.get_remaining_time_in_millis() < SAFETY_MARGIN_MS,
                           correlation_id=event.get("id"))
    summary = report.to_json()
    # A sweep that found nothing is not news every five minutes (nor every 10 s under `make run`).
    busy = summary.get("entries") or summary.get("errors") or not summary.get("complete", True)
    (logger.info if busy else logger.debug)("SLA sweep", extra={"sweep": summary})
    return summary


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
