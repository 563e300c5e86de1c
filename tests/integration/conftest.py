"""Integration tests run against the local stack, each with an empty table and empty queues."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_stack(local_stack: object, clean_table: str, clean_queues: None) -> None:
    """Requesting the fixtures is the whole point: engines up, table and queues emptied first."""
