"""Effective-dated legal basis (docs/domain.md §1): a dossier is judged by the rules in force on the day it was
received, and stores which version that was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from motcua.domain.calendar import VN_TZ


@dataclass(frozen=True)
class RuleVersion:
    id: str
    effective_from: date
    decree: str
    circular: str


RULE_VERSIONS: tuple[RuleVersion, ...] = (
    RuleVersion("nd61-2018", date(2018, 4, 23), "61/2018/NĐ-CP (amended by 107/2021/NĐ-CP)", "01/2018/TT-VPCP"),
    # A 2026 amendment is reported (UNSURE): add it here with its effective date when confirmed.
    RuleVersion("nd118-2025", date(2025, 7, 1), "118/2025/NĐ-CP (amended by 367/2025)", "03/2025/TT-VPCP"),
)


def rule_version_at(at: datetime) -> RuleVersion:
    day = at.astimezone(VN_TZ).date()
    in_force = [v for v in RULE_VERSIONS if v.effective_from <= day]
    if not in_force:
        raise ValueError(f"no legal basis recorded for {day}")
    return in_force[-1]


def rule_version_named(version_id: str) -> RuleVersion:
    """The rule version a dossier stored (``Dossier.rule_version``)."""
    for version in RULE_VERSIONS:
        if version.id == version_id:
            return version
    raise ValueError(f"unknown rule version {version_id!r}; known: {sorted(v.id for v in RULE_VERSIONS)}")
