"""The pynamodb models' connection caches: each model its own.

pynamodb caches a model's connection in ``_connection``, looked up like any class attribute: a model without
its own would reuse its parent's (``Item``'s, same table name), whose table description lacks the model's
indexes, and its index queries would fail with "no index" whenever the parent happened to be used first
(it did, in one `make test` run out of several)."""

from __future__ import annotations

import importlib
import pkgutil

import motcua.data
from motcua.data.models import Item


def _all_models() -> list[type[Item]]:
    for module in pkgutil.iter_modules(motcua.data.__path__):
        importlib.import_module(f"motcua.data.{module.name}")
    found, todo = [], [Item]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def test_every_model_caches_its_own_connection() -> None:
    models = _all_models()
    assert len(models) > 15  # every module's models were found
    assert [m.__qualname__ for m in models if "_connection" not in vars(m)] == []


def test_the_idempotency_stores_follow_the_models_binding() -> None:
    """A store made before ``bind`` (the decorators make theirs at import) writes where the models now do."""
    from motcua.data.idempotency import persistence_store
    from motcua.data.models import bind

    before = Item.Meta.table_name
    store = persistence_store("test-binding")
    try:
        bind("motcua-elsewhere")
        assert store.table_name == "motcua-elsewhere"
    finally:
        bind(before)
    assert store.table_name == before


def test_the_transactions_attribute_maps_are_what_the_models_would_write() -> None:
    """The hot path writes dossiers, events, outbox envelopes, applied keys and index facts as attribute maps
    (``transactions.put_new``); they must be the items the pynamodb models serialise to."""
    from datetime import datetime, timedelta

    from motcua.data import transactions
    from motcua.data.repositories import AppliedKey, _AppliedItem, applied_attributes
    from motcua.domain.actors import Actor, Role
    from motcua.domain.calendar import VN_TZ
    from motcua.domain.catalogue import Channel
    from motcua.domain.dossier import Applicant, open_dossier
    from motcua.domain.outbox import envelopes_for
    from tests.unit.catalogue_fixtures import procedure

    now = datetime(2026, 11, 23, 9, 30, tzinfo=VN_TZ)
    chosen = procedure("1.001266")
    applicant = Applicant(full_name="Nguyễn Văn A", national_id="001099012345", phone="0912345678",
                          address="Hà Nội")
    timers = set()
    for role, channel in ((Role.CITIZEN, Channel.ONLINE), (Role.RECEPTION_OFFICER, Channel.COUNTER)):
        actor = Actor(subject="citizen-1", role=role, agency_code=None if role is Role.CITIZEN else "H00")
        dossier, event = open_dossier(
            dossier_id="d" * 32, receipt_code="000.00.00.H00-261123-0001", procedure=chosen,
            agency_code=chosen.competent_agency.agency_code or "H00", channel=channel,
            applicant=applicant, attachments=(), submitted_by=actor, owner="citizen-1", now=now,
            request_id="r-1", submission_digest="x")
        for version in (1, 3):
            changed = dossier.model_copy(update={"version": version, "updated_at": now + timedelta(hours=version)})
            model = transactions.dossier_item(changed)
            model.version = changed.version  # as stored: the model's save bumps it, serialize() does not
            assert transactions.dossier_attributes(changed) == model.serialize()
            timers.add("gsi4pk" in model.serialize())
    assert timers == {True, False} or timers == {True}  # the timers index keys were compared too
    assert transactions.event_attributes(event, 2) == transactions.event_item(event, 2).serialize()
    (envelope,) = envelopes_for(dossier, [event], "r-1")
    assert transactions.outbox_attributes(envelope) == transactions.outbox_item(envelope).serialize()
    for digest in ("abc", None):
        applied = AppliedKey(key="queue:x#1", action="receive", expires_at=1_800_000_000, digest=digest)
        model = _AppliedItem(f"DOSSIER#{dossier.id}", f"APPLIED#{applied.key}", action=applied.action,
                             dossier_version=dossier.version, expiration=applied.expires_at, digest=digest)
        assert applied_attributes(dossier, applied) == model.serialize()
