"""The monthly report opens in a real browser: Debian's headless Chromium (``make chromium``), driven by
playwright. A generated province is loaded and its months computed by the job; the HTML the job wrote to the
reports bucket renders offline, with no console error and no network request, shows every unit, and fits a
phone's width. Screenshots go to ``docs/report-screenshot.png`` and ``docs/report-screenshot-phone.png``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from motcua.data.index_store import IndexRepository
from motcua.data.reports import ReportStore
from motcua.domain.demo_data import generate, online_payment_codes
from motcua.domain.index import Month
from motcua.service.index.job import IndexJob
from motcua.service.index.loading import load_histories
from motcua.service.index.month import ONLINE_PAYMENT_SETTING

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).resolve().parents[2] / "docs"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OCTOBER = Month(2026, 10)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing: run `make chromium`")


@pytest.fixture
def report(local_stack, tmp_path: Path) -> tuple[Path, list[str]]:
    """Three generated months loaded and computed; October's report saved where the browser opens it."""
    store = IndexRepository()
    store.put_setting(ONLINE_PAYMENT_SETTING, json.dumps(sorted(online_payment_codes())))
    load_histories(generate(months=3, dossiers=150, end_month=OCTOBER, seed=2026), store=store)
    bucket = ReportStore(local_stack.env["REPORTS_BUCKET"])
    job = IndexJob(store=store, reports=bucket)
    for month in (OCTOBER.back(2), OCTOBER.back(1), OCTOBER):
        job.run(month)
    page = tmp_path / "report.html"
    page.write_text(bucket.get("index/2026-10/report.html"), encoding="utf-8")
    names = [r.unit_name_vi for r in job.stored_results(OCTOBER)]
    return page, names


@pytest.fixture
def browser_context(tmp_path: Path) -> Iterator:
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "chromium-profile"  # a new, empty user-data-dir for every run
    profile.mkdir()
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900}, locale="vi-VN")
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def open_report(context, path: Path, viewport: dict[str, int]) -> tuple:
    page = context.new_page()
    page.set_viewport_size(viewport)
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return page, problems, requests


def test_the_report_renders_offline_without_errors_on_a_desk_and_on_a_phone(report, browser_context) -> None:
    path, unit_names = report
    page, problems, requests = open_report(browser_context, path, {"width": 1280, "height": 900})
    assert problems == []
    assert requests == [path.as_uri()]  # self-contained: nothing else is fetched
    assert page.title().startswith("Chỉ số")
    text = page.inner_text("body")
    for name in unit_names:  # every unit of the month is on the page
        assert name in text, name
    # ranking charts draw one bar per ranked unit, and trends cover the three computed months
    assert page.locator("svg rect").count() >= len(unit_names) - 1
    assert page.locator("details").count() >= len(unit_names)
    page.screenshot(path=str(DOCS / "report-screenshot.png"), full_page=False)

    phone, problems, _ = open_report(browser_context, path, {"width": 390, "height": 844})
    assert problems == []
    # the page itself never scrolls sideways on a phone (wide tables scroll inside their own box)
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    phone.screenshot(path=str(DOCS / "report-screenshot-phone.png"), full_page=False)
