"""Integration tests run against the local stack, each with an empty table and empty queues."""

from __future__ import annotations

from datetime import datetime

import pytest


@pytest.fixture(autouse=True)
def _clean_stack(local_stack: object, clean_table: str, clean_queues: None) -> None:
    """Requesting the fixtures is the whole point: engines up, table and queues emptied first."""


@pytest.fixture
def catalogue(clean_table: str) -> None:
    """The seeded procedure catalogue and agency tree (modules that need it use it for every test)."""
    from motcua.cli.catalogue_cmds import seed_catalogue

    seed_catalogue(clean_table)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """Freeze the API's service clock at an instant (submissions and actions happen then)."""
    from motcua.service.actions import service

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(service, "clock", lambda: moment)

    return freeze
