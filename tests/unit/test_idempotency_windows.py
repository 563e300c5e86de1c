"""How long idempotency keys are remembered, against what the infrastructure keeps (the function code cannot
import infra/, so this test is where the two meet)."""

from __future__ import annotations

from infra import declaration
from motcua.data.idempotency import REDRIVE_WINDOW_S


def test_a_redriven_message_is_still_remembered_however_late_its_dlq_gives_it_back() -> None:
    assert REDRIVE_WINDOW_S >= declaration.SQS_MAX_RETENTION_DAYS * 86400
    assert all(q.dead_letter().retention_days * 86400 <= REDRIVE_WINDOW_S for q in declaration.QUEUES)
