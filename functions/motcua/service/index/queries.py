"""The API's reads of the index: a month, a unit, and the dossiers and feedback behind one figure."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from motcua.data.index_store import FEEDBACK_ROW_PREFIX, IndexRepository
from motcua.domain.access import AccessDenied
from motcua.domain.actors import Actor, Role
from motcua.domain.catalogue import Procedure
from motcua.domain.errors import InvalidInput, NotFound
from motcua.domain.index import Month, UnitTree, load_default_procedures, load_default_tree, role_of
from motcua.domain.index.contribution import late_step_named
from motcua.service.index.month import StoredSummary, StoredUnit, month_catalogue
from motcua.service.index.open_data import text
from motcua.service.index.tracking import FeedbackRowDoc, RowDoc
from schemas.index import (
    IndexDossier,
    IndexDossiers,
    IndexFeedback,
    IndexMonth,
    LateStepView,
    ReportLinks,
    UnitIndexView,
)


class IndexNotComputed(NotFound):
    code = "INDEX_NOT_COMPUTED"
    message_vi = "Chưa có chỉ số của tháng này."
    message_en = "The index of this month has not been computed."


class IndexUnitNotFound(NotFound):
    code = "INDEX_UNIT_NOT_FOUND"
    message_vi = "Không có đơn vị này trong chỉ số của tháng."
    message_en = "No such unit in this month's index."


class IndexIndicatorNotFound(NotFound):
    code = "INDEX_INDICATOR_NOT_FOUND"
    message_vi = "Không có chỉ tiêu này."
    message_en = "No such indicator."


class IndexDossiersDenied(AccessDenied):
    code = "INDEX_DOSSIERS_ACCESS_DENIED"
    message_vi = "Chỉ lãnh đạo đơn vị (hoặc cấp trên) và thanh tra xem được danh sách hồ sơ."
    message_en = "Only the unit's leaders (or its parent's) and inspectors may list its dossiers."


class IndexTokenInvalid(InvalidInput):
    code = "INDEX_NEXT_TOKEN_INVALID"
    message_vi = "Mã trang tiếp theo không hợp lệ."
    message_en = "Invalid next_token: pass the one the previous page returned."


_CATALOGUE_INDICATORS = frozenset({"1.3", "3.1", "3b.1"})


def _encode_token(agency: str, sk: str) -> str:
    """Where the next page starts (agency, row key), URL-safe."""
    return base64.urlsafe_b64encode(f"{agency}|{sk}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[str, str]:
    try:
        agency, sk = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split("|", 1)
    except (ValueError, UnicodeDecodeError):
        raise IndexTokenInvalid({"next_token": token[:40]}) from None
    return agency, sk


@dataclass
class IndexQueries:
    store: IndexRepository = field(default_factory=IndexRepository)
    tree: UnitTree = field(default_factory=load_default_tree)
    procedures: Sequence[Procedure] = field(default_factory=load_default_procedures)

    def month(self, month: Month) -> IndexMonth:
        raw = self.store.summary(str(month))
        if raw is None:
            raise IndexNotComputed({"month": str(month)})
        summary = StoredSummary.model_validate_json(raw)
        province_raw = self.store.unit_result(str(month), self.tree.root)
        return IndexMonth(
            month=summary.month, computed_at=summary.computed_at, source=summary.source,
            provisional=summary.provisional, config_version=summary.config_version, rankings=summary.rankings,  # type: ignore[arg-type]
            province=StoredUnit.model_validate_json(province_raw).result if province_raw else None,
            late_dossiers=summary.late_dossiers,
            reports=ReportLinks(**summary.reports) if summary.reports else None)

    def unit(self, month: Month, unit: str) -> UnitIndexView:
        raw = self.store.unit_result(str(month), unit)
        if raw is None:
            if self.store.summary(str(month)) is None:
                raise IndexNotComputed({"month": str(month)})
            raise IndexUnitNotFound({"month": str(month), "unit_code": unit})
        s = StoredUnit.model_validate_json(raw)
        return UnitIndexView(month=str(month), rank=s.rank, ranked_units=s.ranked_units, computed_at=s.computed_at,
                             source=s.source, result=s.result)

    def may_list(self, actor: Actor, unit: str) -> None:
        if actor.role in (Role.INSPECTOR, Role.SYSTEM):
            return
        if actor.role is Role.AGENCY_LEADER and actor.agency_code in self.tree.ancestry(unit):
            return
        raise IndexDossiersDenied({"role": actor.role.value, "unit_code": unit})

    def dossiers(self, month: Month, unit: str, indicator: str, actor: Actor, *,
                 role: Literal["numerator", "denominator"] | None = None, limit: int = 100,
                 next_token: str | None = None) -> IndexDossiers:
        self.may_list(actor, unit)
        view = self.unit(month, unit)
        try:
            figure = view.result.indicator(indicator)
        except KeyError:
            raise IndexIndicatorNotFound({"indicator_id": indicator}) from None
        base = {"month": str(month), "unit_code": unit, "indicator_id": indicator,
                "numerator": text(figure.numerator) or None, "denominator": text(figure.denominator) or None}
        if figure.status == "no_data" or indicator in _CATALOGUE_INDICATORS:
            return IndexDossiers(**base, basis="no_data" if figure.status == "no_data" else "catalogue", items=[])
        items: list[IndexDossier] = []
        feedback: list[IndexFeedback] = []  # 5.1-5.3: feedback about a procedure or an agency, by id
        token = None
        # The unit's catalogue: 3.2 and 3b.2 count only the procedures on its lists, as the figure does.
        units = [u for u in self.tree.units_for(month) if u.code == unit]
        catalogue = month_catalogue(self.store, self.procedures, units, month).get(unit)
        for agency, sk, doc in self._rows(month, unit, next_token):
            if sk.startswith(FEEDBACK_ROW_PREFIX):
                fb_row = FeedbackRowDoc.model_validate_json(doc)
                found = role_of(fb_row.counters, indicator, catalogue)
            else:
                row = RowDoc.model_validate_json(doc)
                found = role_of(row.counters, indicator, catalogue)
            if found is None or (role is not None and found != role):
                continue
            if len(items) + len(feedback) == limit:  # one page holds ``limit`` entries of both kinds
                token = _encode_token(agency, sk)
                break
            if sk.startswith(FEEDBACK_ROW_PREFIX):
                feedback.append(IndexFeedback(feedback_id=fb_row.feedback_id, about=fb_row.about,
                                              agency_code=fb_row.agency_code, procedure_code=fb_row.procedure_code,
                                              role=found))
            else:
                late = late_step_named(row.counters)  # the same counter 2.1's late_by_step_unit sums
                items.append(IndexDossier(receipt_code=row.receipt_code, agency_code=row.agency_code,
                                          procedure_code=row.procedure_code, role=found,
                                          late_step=LateStepView(unit=late[0], step_code=late[1]) if late else None))
        return IndexDossiers(**base, basis="dossiers", items=items, feedback=feedback, next_token=token)

    def _rows(self, month: Month, unit: str, next_token: str | None) -> Iterator[tuple[str, str, str]]:
        """(agency, sort key, row) for every agency whose dossiers count for ``unit``, in a stable order
        (``next_token`` = the first row not yet returned)."""
        agencies = sorted({code for code in (*self.tree.agencies, *self.store.aggregates(str(month)))
                           if unit in self.tree.ancestry(code)})
        start_agency, start_sk = _decode_token(next_token) if next_token else ("", "")
        for agency in agencies:
            if agency < start_agency:
                continue
            for sk, doc in self.store.row_items(str(month), agency):
                if agency == start_agency and sk < start_sk:
                    continue
                yield agency, sk, doc
