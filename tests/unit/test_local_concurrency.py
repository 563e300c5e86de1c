"""How many execution environments the local runtime gives a function (``infra.local.workers``)."""

from __future__ import annotations

import pytest

from infra import declaration
from infra.local.workers import DEFAULT_CONCURRENCY, LocalConcurrency


def _function(name: str, reserved: int | None) -> declaration.Function:
    return declaration.Function(name=name, handler="m.h", description="", triggers=(), permissions=(),
                                reserved_concurrency=reserved)


def test_a_number_sets_every_function_and_name_number_one_function() -> None:
    concurrency = LocalConcurrency.parse("3, api=8 ,actions=2")
    assert concurrency.of(_function("api", None)) == 8
    assert concurrency.of(_function("actions", None)) == 2
    assert concurrency.of(_function("notifier", None)) == 3
    assert LocalConcurrency.parse("").of(_function("x", None)) == DEFAULT_CONCURRENCY
    assert LocalConcurrency.parse("api=6").of(_function("other", None)) == DEFAULT_CONCURRENCY


def test_the_declared_reserved_concurrency_caps_it() -> None:
    concurrency = LocalConcurrency.parse("8")
    assert concurrency.of(_function("capped", 2)) == 2
    assert concurrency.of(_function("roomy", 50)) == 8
    # The declaration's own: a sweep reserved at 1 never overlaps itself locally either.
    for function in declaration.FUNCTIONS:
        if function.reserved_concurrency == 1:
            assert concurrency.of(function) == 1, function.name


@pytest.mark.parametrize("text", ["0", "api=0", "four", "api=x", "-1"])
def test_a_wrong_setting_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="MOTCUA_LOCAL_CONCURRENCY"):
        LocalConcurrency.parse(text)
