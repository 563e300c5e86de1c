"""Each declared function's settings model is exactly its declared environment, and a function whose
environment is missing a variable, or holds a malformed one, fails its cold start naming it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from infra import declaration
from motcua import settings


def declared(function: declaration.Function) -> set[str]:
    return {*declaration.COMMON_ENVIRONMENT, *function.environment}


@pytest.mark.parametrize("function", declaration.FUNCTIONS, ids=lambda f: f.name)
def test_the_model_of_every_declared_function_has_exactly_its_declared_variables(function) -> None:
    model = settings.FUNCTION_SETTINGS[function.name]
    fields = {settings.variable(name) for name in model.model_fields}
    assert fields - declared(function) == set(), f"{model.__name__} reads variables {function.name} is not given"
    assert declared(function) - fields == set(), f"{function.name} is given variables {model.__name__} ignores"


def test_there_is_one_model_per_declared_function_and_none_for_an_undeclared_one() -> None:
    assert set(settings.FUNCTION_SETTINGS) == {f.name for f in declaration.FUNCTIONS}


def test_a_missing_or_malformed_variable_is_named_in_the_error() -> None:
    environ = {"TABLE_NAME": "motcua-main", "POWERTOOLS_SERVICE_NAME": "motcua",
               "POWERTOOLS_METRICS_NAMESPACE": "Motcua", "NOTIFICATIONS_QUEUE_URL": "x"}
    with pytest.raises(settings.SettingsError, match="NOTIFICATIONS_QUEUE_URL"):
        settings.load(settings.OutboxRelaySettings, environ)
    with pytest.raises(settings.SettingsError, match="REPORTS_BUCKET"):
        settings.load(settings.IndexSettings, {**environ, "REPORTS_BUCKET": ""})
    loaded = settings.load(settings.OutboxRelaySettings, {**environ, "NOTIFICATIONS_QUEUE_URL": "http://q/1/n",
                                                          "NATIONAL_SYNC_QUEUE_URL": "http://q/1/s.fifo"})
    assert loaded.notifications_queue_url == "http://q/1/n"


HANDLERS = [pytest.param(f, id=f.name) for f in declaration.FUNCTIONS]


def import_handler(function: declaration.Function, environ: dict[str, str]) -> subprocess.CompletedProcess:
    module = function.handler.rsplit(".", 1)[0]
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120,
                          env={**environ, "PYTHONPATH": os.pathsep.join(sys.path)})


# With its own declared environment alone, each handler imports: tests/unit/test_log_masking.py.
@pytest.mark.parametrize("function", HANDLERS)
def test_a_handler_without_its_environment_fails_its_cold_start_naming_the_variables(function) -> None:
    done = import_handler(function, {"AWS_DEFAULT_REGION": "ap-southeast-1"})
    assert done.returncode != 0
    model = settings.FUNCTION_SETTINGS[function.name].__name__  # its own model, not another function's
    assert f"SettingsError: {model}:" in done.stderr and "TABLE_NAME" in done.stderr, done.stderr[-2000:]
