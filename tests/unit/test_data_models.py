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
