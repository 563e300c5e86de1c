"""The monthly index report: one self-contained HTML page (inline CSS, inline SVG, no script, no network).

Interface for the wiring (which writes the string to S3 as ``text/html; charset=utf-8``)::

    render_report(month, results, *, history={}, late=(), targets=DEFAULT_TARGETS, generated_at=None) -> str

* ``results``: the month's :class:`~motcua.domain.index.compute.UnitIndex` list (every unit);
* ``history``: earlier months' results (the stored JSON of the previous 11 months, when there is any), for
  the 12-month trends; missing months show as gaps, never as zeros;
* ``late``: :func:`~motcua.domain.index.contribution.late_dossiers` of the month: receipt codes and reasons
  only (no names, IDs or phone numbers ever reach this page);
* ``targets``: the provinces' targets (docs/domain.md §9), drawn as reference lines.

Readable on a phone: ``<meta name=viewport>``, fluid SVG (``viewBox``, ``width=100%``), tables that scroll
sideways inside their box, collapsible per-unit tables (``<details>``: no JavaScript needed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from html import escape

from pydantic import BaseModel, ConfigDict

from motcua.domain.calendar import VN_TZ
from motcua.domain.index.compute import IndicatorResult, UnitIndex, rank
from motcua.domain.index.contribution import LateDossier
from motcua.domain.index.month import Month


class Target(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    label_vi: str
    value: Decimal  # a percentage (0-100) or, for the index total, points out of 100
    source: str


class Targets(BaseModel):
    """The seeds' provinces' targets (docs/domain.md §9), as reference lines on the charts."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    on_time: Target = Target(label_vi="100% hồ sơ đúng hạn", value=Decimal(100), source="docs/domain.md §9")
    satisfaction: Target = Target(label_vi="Hài lòng ≥ 90%", value=Decimal(90),
                                  source="Lâm Đồng, Nghị quyết 14-NQ/TU")
    electronic_results: Target = Target(label_vi="100% kết quả số hóa", value=Decimal(100), source="docs/domain.md §9")
    reuse: Target = Target(label_vi="≥ 80% không phải nộp lại giấy tờ đã cung cấp", value=Decimal(80),
                           source="docs/domain.md §9")
    index_total: Target = Target(label_vi="Chỉ số ≥ 85 (mục tiêu đến 2030)", value=Decimal(85),
                                 source="docs/domain.md §9 (PAR Index ≥ 85%)")


DEFAULT_TARGETS = Targets()

_LEVEL_TITLES = {"province": "Cấp tỉnh", "agency": "Sở, ban, ngành", "commune": "Cấp xã"}
_STATUS_VI = {"scored": "Đã chấm", "not_applicable": "Không áp dụng", "no_data": "Không có dữ liệu"}
_FULL_MARKS_VI = {"no_feedback": "Không có phản ánh: đạt điểm tối đa",
                  "not_applicable_at_level": "Không phát sinh: giữ điểm tối đa (cấp xã)"}
_COLOURS = ("#1f6feb", "#2da44e", "#bf8700", "#cf222e")

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;color:#1f2328;
background:#f6f8fa}
main{max-width:980px;margin:0 auto;padding:12px}
h1{font-size:1.45rem;margin:.4em 0}h2{font-size:1.2rem;margin:1.4em 0 .5em;border-bottom:2px solid #d0d7de}
h3{font-size:1.05rem;margin:1em 0 .3em}
section,.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px;margin:10px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px}
.card{margin:0}.card b{display:block;font-size:1.5rem}.muted{color:#59636e;font-size:.9em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;min-width:520px;font-size:.92em}
th,td{border-bottom:1px solid #d8dee4;padding:4px 6px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.no_data td{color:#59636e}tr.not_applicable td{color:#59636e;font-style:italic}
details{border:1px solid #d0d7de;border-radius:6px;margin:6px 0;background:#fff}
summary{cursor:pointer;padding:8px;font-weight:600}
details>div{padding:0 8px 8px}
svg{width:100%;height:auto;display:block}
.legend span{display:inline-block;margin-right:12px}.sw{display:inline-block;width:12px;height:4px;
vertical-align:middle;margin-right:4px}
.band{padding:1px 6px;border-radius:10px;background:#ddf4ff;font-size:.85em;white-space:nowrap}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _fmt(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:,.{places}f}".replace(",", " ").replace(".", ",")


def _pct(value: Decimal | None) -> str:
    return "–" if value is None else _fmt(value * 100, 1) + "%"


def _short_month(m: Month) -> str:
    return f"{m.month:02d}/{m.year % 100:02d}"


def _ratio(result: UnitIndex | None, indicator_id: str) -> Decimal | None:
    if result is None:
        return None
    try:
        r = result.indicator(indicator_id)
    except KeyError:
        return None
    return r.ratio if r.status == "scored" else None


def _percent(result: UnitIndex | None, indicator_id: str) -> Decimal | None:
    ratio = _ratio(result, indicator_id)
    return None if ratio is None else ratio * 100


# ---- charts ------------------------------------------------------------------------------------------------


def bar_chart(rows: Sequence[tuple[str, Decimal, str | None]], *, maximum: Decimal = Decimal(100),
              reference: Target | None = None, title: str) -> str:
    """Horizontal bars, one row per unit: label above, bar below with its value; a dashed reference line."""
    width, left, right, row_h = 640, 8, 120, 40
    inner = width - left - right
    height = row_h * len(rows) + 30
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
             f'><title>{_e(title)}</title>']
    for i, (label, value, note) in enumerate(rows):
        y = 6 + i * row_h
        w = float(max(Decimal(0), min(value, maximum)) / maximum) * inner if maximum else 0.0
        parts.append(f'<text x="{left}" y="{y + 12}" font-size="13" fill="#1f2328">{_e(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 17}" width="{inner}" height="14" fill="#eaeef2" rx="3"/>')
        parts.append(f'<rect x="{left}" y="{y + 17}" width="{w:.1f}" height="14" fill="#1f6feb" rx="3"/>')
        parts.append(f'<text x="{left + inner + 6}" y="{y + 29}" font-size="13" fill="#1f2328">'
                     f'<tspan font-weight="600">{_e(_fmt(value))}</tspan>'
                     f'{" " + _e(note) if note else ""}</text>')
    if reference is not None and maximum:
        x = left + float(reference.value / maximum) * inner
        parts.append(f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{height - 22}" stroke="#cf222e" '
                     f'stroke-width="1.5" stroke-dasharray="5 4"/>')
        parts.append(f'<text x="{min(x, width - 200):.1f}" y="{height - 8}" font-size="11" fill="#cf222e">'
                     f'{_e(reference.label_vi)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(months: Sequence[Month], series: Sequence[tuple[str, Sequence[Decimal | None]]], *,
               references: Sequence[Target] = (), title: str, maximum: Decimal = Decimal(100)) -> str:
    """Lines over months (0..maximum); ``None`` breaks a line (no data that month)."""
    width, height, left, right, top, bottom = 640, 260, 36, 10, 10, 40
    iw, ih = width - left - right, height - top - bottom
    n = max(len(months) - 1, 1)

    def xy(i: int, v: Decimal) -> tuple[float, float]:
        return left + iw * i / n, top + ih * (1 - float(min(max(v, Decimal(0)), maximum) / maximum))

    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
             f'><title>{_e(title)}</title>']
    for tick in (0, 25, 50, 75, 100):
        _, y = xy(0, maximum * tick / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#eaeef2"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#59636e">'
                     f'{tick}</text>')
    for i, m in enumerate(months):
        x, _ = xy(i, Decimal(0))
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="10" text-anchor="middle" '
                     f'fill="#59636e">{_e(_short_month(m))}</text>')
    # Target labels sit just above their line, pushed down one text line at a time where targets are close
    # (100 %, 90 %, 85 % would otherwise overprint each other at the top right).
    font = 11
    floor = float(font)
    for ref, y in sorted(((ref, xy(0, ref.value)[1]) for ref in references), key=lambda item: item[1]):
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#cf222e" '
                     f'stroke-dasharray="5 4"/>')
        label_y = max(y - 4, floor)
        floor = label_y + font + 1
        parts.append(f'<text x="{width - right - 4}" y="{label_y:.1f}" font-size="{font}" text-anchor="end" '
                     f'fill="#cf222e">{_e(ref.label_vi)}</text>')
    for (label, values), colour in zip(series, _COLOURS, strict=False):
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x, y = xy(i, v)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>{_e(label)} '
                         f'{_e(_short_month(months[i]))}: {_e(_fmt(v, 1))}</title></circle>')
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(seg)}"/>')
    parts.append("</svg>")
    legend = "".join(f'<span><i class="sw" style="background:{c}"></i>{_e(label)}</span>'
                     for (label, _), c in zip(series, _COLOURS, strict=False))
    return "".join(parts) + f'<div class="legend muted">{legend}</div>'


def sparkline(values: Sequence[Decimal | None], *, maximum: Decimal = Decimal(100), label: str = "") -> str:
    width, height = 120, 28
    n = max(len(values) - 1, 1)
    points = [(2 + (width - 4) * i / n, height - 2 - (height - 4) * float(min(v, maximum) / maximum))
              for i, v in enumerate(values) if v is not None]
    if not points:
        return '<span class="muted">–</span>'
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    return (f'<svg viewBox="0 0 {width} {height}" style="max-width:{width}px" role="img" '
            f'aria-label="{_e(label)}"><polyline fill="none" stroke="#1f6feb" '
            f'stroke-width="1.5" points="{path}"/><circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2" '
            f'fill="#1f6feb"/></svg>')


# ---- sections ----------------------------------------------------------------------------------------------


def _summary(province: UnitIndex | None, targets: Targets, late_count: int) -> str:
    if province is None:
        return ""
    sat = _ratio(province, "5.4")
    cards = [
        ("Chỉ số tổng hợp", _fmt(province.total), f"/100 · {province.band_label_vi or '–'}"),
        ("Hồ sơ tiếp nhận", str(province.dossiers_received), "trong tháng"),
        ("Đúng hạn (2.1)", _pct(_ratio(province, "2.1")), f"mục tiêu {_fmt(targets.on_time.value, 0)}%"),
        ("Nộp trực tuyến (3.3)", _pct(_ratio(province, "3.3")), "đủ điểm từ 50%"),
        ("Hài lòng (5.4)", _pct(sat), f"mục tiêu {_fmt(targets.satisfaction.value, 0)}%"),
        ("Khảo sát hài lòng (S.1)", _pct(_ratio(province, "S.1")), "Rất hài lòng + Hài lòng"),
        ("Hồ sơ quá hạn", str(late_count), "xem danh sách bên dưới"),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card"><span class="muted">{_e(t)}</span><b>{_e(v)}</b><span class="muted">{_e(s)}</span>'
        f"</div>" for t, v, s in cards) + "</div>"


def _rankings(results: Sequence[UnitIndex], targets: Targets) -> str:
    out = []
    for level in ("agency", "commune"):
        ranked = rank(results, level)  # type: ignore[arg-type]
        if not ranked:
            continue
        rows = [(f"{r.rank}. {r.unit_name_vi}", r.total, r.band_label_vi) for r in ranked if r.rank is not None]
        unranked = [r for r in ranked if r.rank is None]
        out.append(f"<h3>{_e(_LEVEL_TITLES[level])}</h3>")
        if rows:
            out.append(bar_chart(rows, reference=targets.index_total,
                                 title=f"Xếp hạng {_LEVEL_TITLES[level]}"))
        if unranked:
            names = ", ".join(_e(r.unit_name_vi) for r in unranked)
            out.append(f'<p class="muted">Không xếp hạng (không tiếp nhận hồ sơ trong tháng): {names}</p>')
    return "".join(out)


def _trends(month: Month, results: Sequence[UnitIndex], history: Mapping[Month, Sequence[UnitIndex]],
            targets: Targets) -> str:
    months = [month.back(n) for n in range(11, -1, -1)]
    by_month: dict[Month, dict[str, UnitIndex]] = {m: {r.unit_code: r for r in rs} for m, rs in history.items()}
    by_month[month] = {r.unit_code: r for r in results}
    province = next((r for r in results if r.level == "province"), None)
    out = []
    if province is not None:
        row = [by_month.get(m, {}).get(province.unit_code) for m in months]
        series = [
            ("Chỉ số tổng hợp (điểm)", [r.total if r else None for r in row]),
            ("Đúng hạn (%)", [_percent(r, "2.1") for r in row]),
            ("Hài lòng 5.4 (%)", [_percent(r, "5.4") for r in row]),
            ("Kết quả điện tử 4.1 (%)", [_percent(r, "4.1") for r in row]),
        ]
        out.append(line_chart(months, series, references=(targets.on_time, targets.satisfaction,
                                                          targets.index_total),
                              title=f"Xu hướng 12 tháng: {province.unit_name_vi}"))
    rows = []
    for r in results:
        values = [by_month.get(m, {}).get(r.unit_code) for m in months]
        totals = [v.total if v else None for v in values]
        rows.append(f"<tr><td>{_e(r.unit_name_vi)}</td><td>{sparkline(totals, label=r.unit_name_vi)}</td>"
                    f'<td class="n">{_score(r)}</td></tr>')
    out.append('<div class="scroll"><table><thead><tr><th>Đơn vị</th><th>12 tháng</th>'
               f'<th class="n">Tháng {_e(_short_month(month))}</th></tr></thead><tbody>{"".join(rows)}</tbody>'
               "</table></div>")
    return "".join(out)


def _score(r: UnitIndex, *, band: bool = False) -> str:
    """A unit's total (and band), or "không có hồ sơ" for a unit that received no dossier: it is left
    unranked, and its figures would be mostly "not applicable" marks, not a score."""
    if not r.rankable:
        return '<span class="muted">không có hồ sơ</span>'
    out = _e(_fmt(r.total))
    return f'{out} điểm <span class="band">{_e(r.band_label_vi or "–")}</span>' if band else out


def _indicator_row(i: IndicatorResult) -> str:
    note = _FULL_MARKS_VI.get(i.full_marks_reason or "", "")
    if i.id == "2.2" and i.value is not None:
        note = f"Trung bình {_fmt(i.value)} ngày làm việc"
    if i.id == "2.1" and i.late_by_step_unit:  # which unit's step made the late dossiers late
        note = "Quá hạn tại bước của: " + ", ".join(f"{unit} {n}" for unit, n in i.late_by_step_unit.items())
    if i.certainty == "UNSURE":
        note = (note + " · " if note else "") + "cách tính chưa chắc chắn"
    num = "–" if i.numerator is None else _fmt(i.numerator, 0 if i.numerator == i.numerator.to_integral() else 2)
    den = "–" if i.denominator is None else _fmt(i.denominator, 0)
    return (f'<tr class="{_e(i.status)}"><td>{_e(i.id)}</td><td>{_e(i.name_vi)}</td><td class="n">{num}</td>'
            f'<td class="n">{den}</td><td class="n">{_pct(i.ratio)}</td>'
            f'<td class="n">{_e(_fmt(i.points))}/{_e(_fmt(i.max_points, 0))}</td>'
            f"<td>{_e(_STATUS_VI[i.status])}</td><td>{_e(note)}</td></tr>")


def _unit_tables(results: Sequence[UnitIndex]) -> str:
    out = []
    for r in results:
        groups = " · ".join(f"{_e(g.id)}: {_e(_fmt(g.points))}/{_e(_fmt(g.max_points, 0))}"
                            for g in r.groups if g.in_total)
        body = "".join(_indicator_row(i) for i in r.indicators)
        out.append(
            f'<details id="unit-{_e(r.unit_code)}"><summary>{_e(r.unit_name_vi)} — {_score(r, band=True)}'
            "</summary><div>"
            f'<p class="muted">Mã đơn vị {_e(r.unit_code)} · {_e(_LEVEL_TITLES[r.level])} · hồ sơ tiếp nhận: '
            f"{r.dossiers_received} · điểm tối đa có dữ liệu: {_e(_fmt(r.max_with_data))} · {groups}</p>"
            '<div class="scroll"><table><thead><tr><th>Chỉ tiêu</th><th>Tên</th><th class="n">Tử số</th>'
            '<th class="n">Mẫu số</th><th class="n">Tỷ lệ</th><th class="n">Điểm</th><th>Trạng thái</th>'
            f"<th>Ghi chú</th></tr></thead><tbody>{body}</tbody></table></div></div></details>")
    return "".join(out)


def _late_table(late: Sequence[LateDossier], names: Mapping[str, str]) -> str:
    if not late:
        return '<p class="muted">Không có hồ sơ quá hạn trong tháng.</p>'
    rows = []
    for d in late:
        deadline = d.deadline.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if d.deadline and d.deadline.year < 9999 \
            else "–"
        finished = d.finished_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if d.finished_at else "chưa xong"
        rows.append(f"<tr><td>{_e(d.receipt_code)}</td><td>{_e(names.get(d.agency_code, d.agency_code))}</td>"
                    f"<td>{_e(d.procedure_code)}</td><td>{_e(deadline)}</td><td>{_e(finished)}</td>"
                    f'<td class="n">{_e(_fmt(d.working_days_late, 1))}</td><td>{_e(d.reason_vi)}</td>'
                    f"<td>{_e(d.apology_reason or '')}</td>"
                    f"<td>{_e(f'{d.late_step_unit} ({d.late_step_code})' if d.late_step_unit else '')}</td></tr>")
    return ('<div class="scroll"><table><thead><tr><th>Mã hồ sơ</th><th>Đơn vị</th><th>Thủ tục</th><th>Hạn</th>'
            '<th>Kết thúc</th><th class="n">Ngày trễ</th><th>Lý do</th><th>Lý do trong thư xin lỗi</th>'
            "<th>Bước quá hạn (đơn vị)</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>")


def render_report(month: Month, results: Sequence[UnitIndex], *,
                  history: Mapping[Month, Sequence[UnitIndex]] | None = None, late: Sequence[LateDossier] = (),
                  targets: Targets = DEFAULT_TARGETS, generated_at: datetime | None = None) -> str:
    """The month's report as one HTML document (see the module docstring)."""
    province = next((r for r in results if r.level == "province"), None)
    names = {r.unit_code: r.unit_name_vi for r in results}
    no_data = sorted({i.id for r in results for i in r.indicators if i.status == "no_data"})
    stamp = (f" · lập lúc {_e(generated_at.astimezone(VN_TZ).strftime('%H:%M %d/%m/%Y'))}"
             if generated_at is not None else "")
    config = f" · cấu hình {_e(results[0].config_version)}" if results else ""
    title = f"Chỉ số phục vụ người dân, doanh nghiệp — tháng {month.month:02d}/{month.year}"
    return "".join([
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">{_e(province.unit_name_vi if province else "")} · Quyết định 766/QĐ-TTg (tính từ dữ liệu '
        f"hồ sơ của Motcua, múi giờ Asia/Ho_Chi_Minh){config}{stamp}</p>",
        _summary(province, targets, len(late)),
        "<h2>Xếp hạng</h2><section>", _rankings(results, targets), "</section>",
        "<h2>Xu hướng 12 tháng</h2><section>", _trends(month, results, history or {}, targets), "</section>",
        "<h2>Chỉ tiêu của từng đơn vị</h2>", _unit_tables(results),
        f"<h2>Hồ sơ quá hạn ({len(late)})</h2><section>", _late_table(late, names), "</section>",
        '<h2>Cách tính</h2><section class="muted"><p>Tỷ lệ: điểm = điểm tối đa × tỷ lệ; chỉ tiêu có ngưỡng: '
        "điểm = min(tối đa, tối đa × tỷ lệ / ngưỡng). 2.1 tính trên hồ sơ tiếp nhận trong tháng; hồ sơ chưa xong "
        "còn trong hạn tại thời điểm cuối tháng được tính đúng hạn; yêu cầu bổ sung lần thứ hai tính quá hạn. "
        "5.4: tỷ lệ hài lòng = 100% − (tỷ lệ quá hạn + tỷ lệ có phản ánh hoặc không hài lòng), đủ điểm từ 90%. "
        "Tổng điểm làm tròn 2 chữ số ở bước cuối.</p>",
        f"<p>Chỉ tiêu không có dữ liệu (0 điểm, không tính là đạt): {_e(', '.join(no_data) or 'không có')}. "
        "Ngưỡng xếp loại là cấu hình, chưa chắc chắn.</p></section>",
        "</main></body></html>",
    ])
