"""The monthly HTML report: self-contained, Vietnamese, phone-friendly, complete, and free of personal data."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from itertools import pairwise

import pytest

from motcua.domain.demo_data import generate, online_payment_codes
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.index import (
    Month,
    UnitIndex,
    catalogue_counters,
    compute_index,
    config_for,
    counters_for_month,
    facts_from_history,
    late_dossiers,
    load_default_procedures,
    load_default_tree,
    scrub,
)
from motcua.domain.index.units import Unit
from motcua.domain.report import render_report

MONTHS = [Month(2026, 8), Month(2026, 9), Month(2026, 10)]


def month_results(province: list[tuple[Dossier, list[HistoryEvent]]], month: Month) -> tuple[list[UnitIndex], list]:
    facts = [f for f in (facts_from_history(d, h, month.end) for d, h in province) if f]
    units = load_default_tree().units_for(month)
    catalogue = catalogue_counters(load_default_procedures(), units, month, online_payment_codes=online_payment_codes())
    results = compute_index(counters_for_month(facts, month), units, catalogue, config_for(month), month=month)
    return results, late_dossiers(facts, month)


@pytest.fixture(scope="module")
def province() -> list[tuple[Dossier, list[HistoryEvent]]]:
    return generate(months=3, dossiers=200, end_month=MONTHS[-1], seed=3)


@pytest.fixture(scope="module")
def report(province: list[tuple[Dossier, list[HistoryEvent]]]) -> tuple[str, list[UnitIndex], list]:
    history = {m: month_results(province, m)[0] for m in MONTHS[:-1]}
    results, late = month_results(province, MONTHS[-1])
    return render_report(MONTHS[-1], results, history=history, late=late), results, late


class _Balance(HTMLParser):
    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "circle", "rect", "line", "polyline", "path"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


def test_is_a_vietnamese_utf8_page_readable_on_a_phone(report: tuple[str, list, list]) -> None:
    html = report[0]
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="vi">' in html and '<meta charset="utf-8">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    parser = _Balance()
    parser.feed(html)
    assert parser.errors == [] and parser.stack == []


def test_is_self_contained(report: tuple[str, list, list]) -> None:
    html = report[0]
    assert re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE) is None
    assert "http://" not in html and "https://" not in html
    for forbidden in ("<script", "<link", "@import", "url(", "<img", "<iframe"):
        assert forbidden not in html.lower()


def test_shows_every_unit_rankings_and_targets(report: tuple[str, list, list]) -> None:
    html, results, _ = report
    for r in results:
        assert r.unit_name_vi in html
        assert f'id="unit-{r.unit_code}"' in html  # its indicator table
    assert html.count("<svg") >= 3  # two ranking charts and the trend chart (plus sparklines)
    assert "Sở, ban, ngành" in html and "Cấp xã" in html
    assert "Hài lòng ≥ 90%" in html and "Chỉ số ≥ 85" in html and "100% hồ sơ đúng hạn" in html
    for indicator in ("2.1", "3.3", "4.1", "5.4"):
        assert f"<td>{indicator}</td>" in html
    assert "Không có dữ liệu" in html  # 1.1/1.2/4.2b/4.5 say so


def test_trends_cover_the_last_12_months(report: tuple[str, list, list]) -> None:
    html = report[0]
    for label in ("11/25", "12/25", "01/26", "08/26", "09/26", "10/26"):
        assert f">{label}</text>" in html


def test_lists_the_late_dossiers_by_receipt_code(report: tuple[str, list, list]) -> None:
    html, _, late = report
    assert late, "the generated month has late dossiers"
    assert f"Hồ sơ quá hạn ({len(late)})" in html
    for dossier in late:
        assert dossier.receipt_code in html


def test_contains_no_personal_data(province: list[tuple[Dossier, list[HistoryEvent]]],
                                   report: tuple[str, list, list]) -> None:
    html = report[0]
    for dossier, _ in province:
        assert dossier.applicant.national_id not in html
        assert dossier.applicant.phone not in html
        assert dossier.applicant.full_name not in html
    assert re.search(r"(?<!\d)\d{9,}(?!\d)", html) is None  # no ID- or phone-like digit runs at all


def test_free_text_is_scrubbed_and_escaped() -> None:
    assert scrub("Gọi 0912 345 678 hoặc a.b@mail.vn, CCCD 068123456789") == "Gọi … hoặc …, CCCD …"
    unit = Unit(code="X", name_vi='<b>Xã "Thử"</b> & co', level="commune")
    results = compute_index({"X": {"received": 1, "early": 1}}, [unit], {}, config_for(MONTHS[-1]))
    html = render_report(MONTHS[-1], results)
    assert "&lt;b&gt;Xã &quot;Thử&quot;&lt;/b&gt; &amp; co" in html and "<b>Xã" not in html


def test_renders_without_history_or_late_dossiers(report: tuple[str, list, list]) -> None:
    _, results, _ = report
    html = render_report(MONTHS[-1], results)
    assert "Không có hồ sơ quá hạn trong tháng." in html and "Hồ sơ quá hạn (0)" in html


def _unit(code: str, name: str, level: str, total: str, band: str | None, received: int) -> UnitIndex:
    return UnitIndex(month="2026-10", unit_code=code, unit_name_vi=name, level=level, config_version="v",  # type: ignore[arg-type]
                     indicators=(), groups=(), total=Decimal(total), max_with_data=Decimal(100),
                     normalised_total=None, band_code=band, band_label_vi=band, dossiers_received=received)


def test_units_without_dossiers_show_no_score_nor_band() -> None:
    """A unit that received no dossier is unranked, and the units tables say so instead of a score and band."""
    results = [_unit("P", "Tỉnh thử", "province", "64.50", "Trung bình", 3),
               _unit("C1", "Xã Có Hồ Sơ", "commune", "70.25", "Khá", 3),
               _unit("C2", "Xã Trống", "commune", "78.00", "Yếu", 0)]
    html = render_report(Month(2026, 10), results)
    empty = html[html.index('id="unit-C2"'):]
    empty = empty[:empty.index("</summary>")]
    assert "không có hồ sơ" in empty and "78,00" not in empty and "Yếu" not in empty
    full = html[html.index('id="unit-C1"'):]
    assert "70,25" in full[:full.index("</summary>")]
    trend_row = html[html.rindex("<tr><td>Xã Trống</td>"):]
    trend_row = trend_row[:trend_row.index("</tr>")]
    assert "không có hồ sơ" in trend_row and "78,00" not in trend_row


def test_the_trend_charts_target_labels_do_not_overlap(report: tuple[str, list, list]) -> None:
    html = report[0]
    chart = html[html.index("<h2>Xu hướng 12 tháng</h2>"):]
    chart = chart[:chart.index("</svg>")]
    labels = re.findall(r'<text x="([\d.]+)" y="([\d.]+)" font-size="(\d+)"[^>]*fill="#cf222e">([^<]*)</text>', chart)
    assert len(labels) == 3
    ys = sorted(float(y) for _, y, _, _ in labels)
    size = max(int(s) for _, _, s, _ in labels)
    assert all(b - a >= size for a, b in pairwise(ys)), ys  # one line of text apart at least
    assert ys[0] >= size  # the top label is not cut off by the chart's edge


def test_names_the_unit_whose_step_made_a_dossier_late() -> None:
    # The demo's dossiers with internal-procedure step events (docs/domain.md §11.4): the 2.1 row says how many
    # late dossiers each unit's step made late, and the late list names each dossier's step.
    from tests.unit.test_index_explain import with_steps

    month = MONTHS[-1]
    results, late = month_results(with_steps(generate(months=1, dossiers=120, end_month=month, seed=5), 5), month)
    province = next(r for r in results if r.level == "province")
    by_unit = province.indicator("2.1").late_by_step_unit
    assert by_unit and sum(by_unit.values()) == sum(1 for d in late if d.late_step_unit)
    html = render_report(month, results, late=late)
    assert "Quá hạn tại bước của: " + ", ".join(f"{u} {n}" for u, n in by_unit.items()) in html
    named = next(d for d in late if d.late_step_unit)
    assert f"{named.late_step_unit} ({named.late_step_code})" in html
