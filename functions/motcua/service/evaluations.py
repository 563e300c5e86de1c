"""The citizen's evaluation of a returned dossier (docs/domain.md §6): ``POST /dossiers/{id}/evaluation``.

Who answers: the citizen who owns the dossier (in the app), or a reception officer of the dossier's agency
entering the answer at the counter kiosk on the citizen's behalf (recorded as ``source="kiosk"``, the
officer on the trail). Scoring is the pure ``motcua.domain.evaluation``; it reads the **stored** dossier and
history. The evaluation, its status-neutral history event (10 -> 10), the dossier (version + 1) and the
index's writes are one transaction guarded by the version read: a late answer can never change the
status, and of two concurrent answers only one is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from motcua.data.index_store import IndexRepository
from motcua.data.repositories import DossierRepository
from motcua.domain.access import DossierAccessDenied, require_role
from motcua.domain.actors import Actor, Role
from motcua.domain.dossier import StaleDossier
from motcua.domain.evaluation import (
    Evaluation,
    EvaluationDuplicate,
    EvaluationInput,
    EvaluationNotFound,
    EvaluationSource,
    evaluate,
    evaluation_event,
)
from motcua.service.dossier_reads import now_vn
from motcua.service.index.tracking import IndexTracker


@dataclass
class EvaluationService:
    dossiers: DossierRepository = field(default_factory=DossierRepository)
    store: IndexRepository = field(default_factory=IndexRepository)
    clock: Callable[[], datetime] = now_vn

    def existing(self, dossier_id: str) -> Evaluation | None:
        raw = self.store.evaluation(dossier_id)
        return None if raw is None else Evaluation.model_validate_json(raw)

    def of(self, dossier_id: str) -> Evaluation:
        """The dossier's evaluation (the caller's read access is the dossier's, checked before)."""
        found = self.existing(dossier_id)
        if found is None:
            raise EvaluationNotFound({"dossier_id": dossier_id})
        return found

    def submit(self, dossier_id: str, answer: EvaluationInput, actor: Actor,
               request_id: str | None = None) -> Evaluation:
        require_role(actor, Role.CITIZEN, Role.RECEPTION_OFFICER)
        dossier = self.dossiers.get(dossier_id)
        if actor.role is Role.CITIZEN:
            if actor.subject != dossier.owner:
                raise DossierAccessDenied({"role": actor.role.value})
        else:  # the counter kiosk: an officer of the agency that holds the dossier, for the citizen
            if actor.agency_code not in dossier.agencies:
                raise DossierAccessDenied({"role": actor.role.value, "agency_code": actor.agency_code})
        history = self.dossiers.history(dossier_id)
        now = self.clock()
        # Who calls, never what the body says.
        source: EvaluationSource = "app" if actor.role is Role.CITIZEN else "kiosk"
        evaluation = evaluate(dossier, history, answer, now=now, source=source, existing=self.existing(dossier_id))
        event = evaluation_event(evaluation, dossier, actor, request_id=request_id)
        changed = dossier.model_copy(update={"version": dossier.version + 1, "updated_at": now})
        index = IndexTracker(store=self.store, dossiers=self.dossiers).for_change(dossier, changed, [event],
                                                                                   history=history)
        try:
            self.store.save_evaluation(changed, event, evaluation.model_dump_json(), index, request_id)
        except StaleDossier:
            # Someone answered first, or the dossier moved on: say which, from the stored record.
            stored = self.existing(dossier_id)
            if stored is not None:
                raise EvaluationDuplicate({"dossier_id": dossier_id,
                                           "evaluated_at": stored.evaluated_at.isoformat()}) from None
            raise
        return evaluation
