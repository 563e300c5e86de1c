"""Configuration of the monthly index: indicator maxima and thresholds, counting rules, rating bands.

Everything docs/domain.md §7 marks LIKELY or UNSURE is data here, not a constant in the scoring code. The default
(:data:`DEFAULT_INDEX_CONFIG`) is Decision 766/QĐ-TTg as the national portal shows it (LIKELY); the rating
bands are UNSURE. Configurations are effective-dated: :func:`config_for` picks the one in force on the
first day of a month, so a re-run of an old month uses that month's rules.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from motcua.domain.index.month import Month

IndicatorKind = Literal["ratio", "threshold", "satisfaction", "info"]
Level = Literal["province", "agency", "commune"]


class IndicatorSpec(BaseModel):
    """One indicator: how many points, scored how, from which data."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str
    group: str
    name_vi: str
    name_en: str
    max_points: Decimal
    kind: IndicatorKind
    threshold: Decimal | None = None  # ratio at which a thresholded indicator reaches full marks
    source: str  # a data source name; see IndexConfig.unavailable_sources
    full_marks_without_feedback: bool = False  # 5.2, 5.3: full marks when the unit had no feedback at all
    certainty: Literal["CONFIRMED", "LIKELY", "UNSURE"] = "LIKELY"


class GroupSpec(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str
    name_vi: str
    name_en: str
    max_points: Decimal
    in_total: bool = True  # the survey group is informational, outside the 100 points


class Band(BaseModel):
    """A rating band: a total at or above ``min_total`` (and below the next band) gets this label."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    code: str
    label_vi: str
    min_total: Decimal


class FeedbackDeadlines(BaseModel):
    """Working days allowed for each feedback step (docs/domain.md §7.4, for indicator 5.2; LIKELY)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    refuse: int = 2  # from reception of the feedback
    request_info: int = 5  # from reception
    handle: int = 15  # from reception
    publish: int = 2  # from the handling


class IndexConfig(BaseModel):
    """The index's scoring and counting rules in force from ``effective_from``."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    version: str
    effective_from: date
    groups: tuple[GroupSpec, ...]
    indicators: tuple[IndicatorSpec, ...]
    # UNSURE (docs/domain.md §7.7: configurable, none hard-coded): an assumption, to be replaced by the official bands.
    bands: tuple[Band, ...]
    band_basis: Literal["total", "normalised"] = "total"
    # docs/domain.md §7.6: a zero denominator is "not applicable"; at commune level the unit keeps full marks for it.
    not_applicable_full_marks_levels: frozenset[Level] = frozenset({"commune"})
    # Data sources Motcua does not record: indicators reading them say "no data", never full marks.
    unavailable_sources: frozenset[str] = frozenset()
    # ---- counting rules (used by facts and contributions; change them only with a new version) ----
    # docs/domain.md §4.2 (LIKELY): a second supplement request makes the dossier late.
    late_on_second_supplement: bool = True
    # docs/domain.md §4.4 (UNSURE): time waiting for a financial obligation pauses the clock (default on).
    pause_for_financial_obligation: bool = True
    # Which date decides early/on time/late: the legal due date from the clock (reception + limit + pauses,
    # which equals the appointment slip unless the clock was paused) or the recorded appointment. UNSURE.
    deadline_basis: Literal["legal_due", "appointment"] = "legal_due"
    # An online submission arrives as electronic files, so it counts as digitised (4.2). UNSURE.
    online_counts_as_digitised: bool = True
    # 3.3's denominator: dossiers of procedures that offer online submission (UNSURE), or all dossiers.
    online_share_of: Literal["online_procedures", "all"] = "online_procedures"
    feedback_deadlines: FeedbackDeadlines = Field(default_factory=FeedbackDeadlines)

    def indicator(self, indicator_id: str) -> IndicatorSpec:
        for spec in self.indicators:
            if spec.id == indicator_id:
                return spec
        raise KeyError(indicator_id)

    def band_for(self, value: Decimal) -> Band | None:
        for band in sorted(self.bands, key=lambda b: b.min_total, reverse=True):
            if value >= band.min_total:
                return band
        return None


# Decision 766/QĐ-TTg (2022) as the national portal shows it (docs/domain.md §7.1, LIKELY). Sum of maxima: 100.
_DEFAULT = {
    "version": "qd766-2022-motcua-1",
    "effective_from": "2022-01-01",
    "groups": [
        {"id": "1", "name_vi": "Công khai, minh bạch", "name_en": "Publicity, transparency", "max_points": "18"},
        {"id": "2", "name_vi": "Tiến độ giải quyết", "name_en": "Progress", "max_points": "20"},
        {"id": "3", "name_vi": "Dịch vụ công trực tuyến", "name_en": "Online service", "max_points": "12"},
        {"id": "3b", "name_vi": "Thanh toán trực tuyến", "name_en": "Online payment", "max_points": "10"},
        {"id": "4", "name_vi": "Số hóa hồ sơ", "name_en": "Digitisation", "max_points": "22"},
        {"id": "5", "name_vi": "Mức độ hài lòng", "name_en": "Satisfaction", "max_points": "18"},
        {"id": "survey", "name_vi": "Khảo sát trên ứng dụng (tham khảo)", "name_en": "App survey (informational)",
         "max_points": "0", "in_total": False},
    ],
    "indicators": [
        {"id": "1.1", "group": "1", "name_vi": "Công bố, công khai TTHC đúng hạn",
         "name_en": "Procedures published on time", "max_points": "6", "kind": "ratio",
         "source": "publication_timeliness"},
        {"id": "1.2", "group": "1", "name_vi": "Cập nhật, công khai TTHC đúng hạn",
         "name_en": "Procedures updated and publicised on time", "max_points": "4", "kind": "ratio",
         "source": "publication_timeliness"},
        {"id": "1.3", "group": "1", "name_vi": "Công khai đầy đủ nội dung TTHC",
         "name_en": "Complete procedure content", "max_points": "2", "kind": "ratio", "source": "catalogue",
         "certainty": "UNSURE"},
        {"id": "1.4", "group": "1", "name_vi": "Hồ sơ đồng bộ lên Cổng DVC quốc gia",
         "name_en": "Dossiers synchronised to the national portal", "max_points": "6", "kind": "ratio",
         "source": "dossiers"},
        {"id": "2.1", "group": "2", "name_vi": "Hồ sơ xử lý trước hạn, đúng hạn",
         "name_en": "Dossiers processed early or on time", "max_points": "20", "kind": "ratio",
         "source": "dossiers"},
        {"id": "2.2", "group": "2", "name_vi": "Thời gian xử lý trung bình (ngày làm việc)",
         "name_en": "Average processing time (working days)", "max_points": "0", "kind": "info",
         "source": "dossiers"},
        {"id": "3.1", "group": "3", "name_vi": "TTHC cung cấp dịch vụ công trực tuyến",
         "name_en": "Procedures offering online service", "max_points": "2", "kind": "threshold",
         "threshold": "0.8", "source": "catalogue"},
        {"id": "3.2", "group": "3", "name_vi": "DVC trực tuyến có phát sinh hồ sơ",
         "name_en": "Online services that received dossiers", "max_points": "4", "kind": "ratio",
         "source": "dossiers"},
        {"id": "3.3", "group": "3", "name_vi": "Hồ sơ nộp trực tuyến", "name_en": "Dossiers submitted online",
         "max_points": "6", "kind": "threshold", "threshold": "0.5", "source": "dossiers"},
        {"id": "3b.1", "group": "3b", "name_vi": "TTHC có phí, lệ phí tích hợp thanh toán trực tuyến",
         "name_en": "Procedures with fees integrated for online payment", "max_points": "2",
         "kind": "threshold", "threshold": "0.8", "source": "payment_integration"},
        {"id": "3b.2", "group": "3b", "name_vi": "TTHC có phát sinh thanh toán trực tuyến",
         "name_en": "Procedures actually paid online", "max_points": "2", "kind": "ratio",
         "source": "payment_integration"},
        {"id": "3b.3", "group": "3b", "name_vi": "Hồ sơ thanh toán trực tuyến", "name_en": "Dossiers paid online",
         "max_points": "6", "kind": "ratio", "source": "dossiers"},
        {"id": "4.1", "group": "4", "name_vi": "Cấp kết quả điện tử", "name_en": "Results issued electronically",
         "max_points": "6", "kind": "ratio", "source": "dossiers"},
        {"id": "4.2a", "group": "4", "name_vi": "Hồ sơ được số hóa", "name_en": "Dossiers digitised",
         "max_points": "4", "kind": "threshold", "threshold": "0.8", "source": "dossiers"},
        {"id": "4.2b", "group": "4", "name_vi": "Chứng thực bản sao điện tử", "name_en": "Certified electronic copies",
         "max_points": "2", "kind": "ratio", "source": "certified_copies"},
        {"id": "4.3", "group": "4", "name_vi": "Tái sử dụng dữ liệu đã số hóa", "name_en": "Reuse of digitised data",
         "max_points": "2", "kind": "threshold", "threshold": "0.8", "source": "dossiers", "certainty": "UNSURE"},
        {"id": "4.4", "group": "4", "name_vi": "Kết quả đồng bộ vào kho dữ liệu của công dân",
         "name_en": "Results synced to the citizen's data store", "max_points": "4", "kind": "ratio",
         "source": "dossiers"},
        {"id": "4.5a", "group": "4", "name_vi": "Hồ sơ khai thác CSDL quốc gia về dân cư",
         "name_en": "Dossiers using the population database", "max_points": "2", "kind": "ratio",
         "source": "population_db"},
        {"id": "4.5b", "group": "4", "name_vi": "TTHC khai thác CSDL quốc gia về dân cư",
         "name_en": "Procedures using the population database", "max_points": "2", "kind": "ratio",
         "source": "population_db"},
        {"id": "5.1", "group": "5", "name_vi": "Phân loại phản ánh, kiến nghị", "name_en": "Feedback classification",
         "max_points": "0", "kind": "info", "source": "feedback"},
        {"id": "5.2", "group": "5", "name_vi": "Xử lý phản ánh, kiến nghị đúng hạn",
         "name_en": "Feedback handled on time", "max_points": "6", "kind": "ratio", "source": "feedback",
         "full_marks_without_feedback": True},
        {"id": "5.3", "group": "5", "name_vi": "Hài lòng với việc xử lý phản ánh, kiến nghị",
         "name_en": "Satisfaction with feedback handling", "max_points": "6", "kind": "ratio", "source": "feedback",
         "full_marks_without_feedback": True},
        {"id": "5.4", "group": "5", "name_vi": "Mức độ hài lòng trong giải quyết TTHC",
         "name_en": "Satisfaction with procedures", "max_points": "6", "kind": "satisfaction", "threshold": "0.9",
         "source": "dossiers"},
        {"id": "S.1", "group": "survey", "name_vi": "Tỷ lệ đánh giá Rất hài lòng / Hài lòng trên ứng dụng",
         "name_en": "Satisfied answers to the app survey", "max_points": "0", "kind": "info",
         "source": "evaluations", "certainty": "UNSURE"},
    ],
    # UNSURE: the bands most often quoted for the PAR/766 indexes; replace with the official ones when known.
    "bands": [
        {"code": "good", "label_vi": "Tốt", "min_total": "80"},
        {"code": "fair", "label_vi": "Khá", "min_total": "65"},
        {"code": "average", "label_vi": "Trung bình", "min_total": "50"},
        {"code": "weak", "label_vi": "Yếu", "min_total": "0"},
    ],
    # Motcua records none of these (docs/domain.md §7.6): publication timeliness (1.1, 1.2), certified electronic copies
    # (4.2b), population-database look-ups (4.5), the payment platform's integration list (3b.1, 3b.2; a
    # deployment that knows it passes the list to catalogue_counters and removes the source from here).
    "unavailable_sources": ["publication_timeliness", "certified_copies", "population_db"],
}

DEFAULT_INDEX_CONFIG = IndexConfig.model_validate(_DEFAULT)

# Effective-dated versions, oldest first. Add a new version (with its effective date) instead of editing one
# that past months were computed with.
INDEX_CONFIGS: tuple[IndexConfig, ...] = (DEFAULT_INDEX_CONFIG,)


def config_for(month: Month, configs: tuple[IndexConfig, ...] = INDEX_CONFIGS) -> IndexConfig:
    """The configuration in force on the first day of ``month``."""
    first = month.start.date()
    in_force = [c for c in configs if c.effective_from <= first]
    if not in_force:
        raise ValueError(f"no index configuration in force in {month}")
    return max(in_force, key=lambda c: c.effective_from)


def check_config(config: IndexConfig) -> None:
    """Sanity checks a new configuration must pass (a test runs them on the default)."""
    ids = [s.id for s in config.indicators]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate indicator ids")
    groups = {g.id: g for g in config.groups}
    for spec in config.indicators:
        if spec.group not in groups:
            raise ValueError(f"{spec.id}: unknown group {spec.group}")
        if spec.kind in ("threshold", "satisfaction") and not spec.threshold:
            raise ValueError(f"{spec.id}: a thresholded indicator needs a threshold")
    for g in config.groups:
        total = sum((s.max_points for s in config.indicators if s.group == g.id), Decimal(0))
        if total != g.max_points:
            raise ValueError(f"group {g.id}: indicators sum to {total}, not {g.max_points}")
    total = sum((g.max_points for g in config.groups if g.in_total), Decimal(0))
    if total != 100:
        raise ValueError(f"groups sum to {total}, not 100")
