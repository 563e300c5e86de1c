"""A pytest plugin: every line the suite logs or prints is scanned for personal data.

It reads what pytest captured for each test (stdout, stderr, log records) and fails the session if a
national ID number, a Vietnamese phone number or an email address appears anywhere: the logs of a
government system must never carry them (the logging layer masks personal data on every line).
"""

from __future__ import annotations

import pytest

from motcua.observability import personal_data_in

_found: list[tuple[str, str, str]] = []


def scan(text: str) -> list[str]:
    return personal_data_in(text)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        return  # a failing assertion may quote a response on purpose; the failure is reported anyway
    for section, content in report.sections:
        for hit in scan(content):
            _found.append((report.nodeid, section, hit[:3] + "…"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"personal data found in captured logs/output ({len(_found)} places):", red=True)
            for nodeid, section, hit in _found[:20]:
                reporter.write_line(f"  {nodeid} [{section}]: {hit}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
