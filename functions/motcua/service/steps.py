"""The internal procedure's side of a dossier change: the definition it follows, and the officers a rule
gives each step it enters (docs/domain.md §11.4).

The workflow (``motcua.domain.workflow.apply_action``) moves the steps; what it cannot know, the staff list
and its load, is read here before the change is written: ``StepDesk.staff`` (the agency's officials of the
step's role, ``motcua.data.contacts``, with their open steps, ``motcua.data.tasks``). The officers' task items
are written in the change's own transaction (``tasks.task_writes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from motcua.data import contacts, tasks
from motcua.data.repositories import CatalogueRepository
from motcua.domain import clock, sla
from motcua.domain.access import require_role
from motcua.domain.actors import OFFICIAL_ROLES, Actor
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.process import library, passage
from motcua.domain.process.model import ProcessDefinition
from motcua.domain.steps import AssignmentRule
from motcua.domain.workflow import follow_process
from schemas.api import TaskView


@dataclass
class StepDesk:
    catalogue: CatalogueRepository = field(default_factory=CatalogueRepository)
    # Whether dossiers of a procedure with no definition of its own follow the generated split of its limit
    # (docs/domain.md §11.3). Off by default: that split is Motcua's guess (UNSURE), and officers would be
    # assigned, timed and warned on it; a province turns it on once it accepts it.
    follow_generated: bool = False

    def definition_for(self, dossier: Dossier, at: datetime) -> ProcessDefinition | None:
        """The pinned definition, or (not received yet) the one in force now for the dossier's agency; None
        when the dossier follows none."""
        procedure = self.catalogue.procedure(dossier.procedure_code)
        if dossier.process is not None:
            return library.pinned(dossier.process, procedure)
        chosen = library.select(library.seeded(), procedure.code, dossier.agency_code, at)
        if chosen is None and self.follow_generated:  # the generated split, built only when followed
            chosen = library.default_definition(procedure)
        return chosen

    def check_officers(self, dossier: Dossier, lead: str, supporting: list[str]) -> None:
        """Officers an official names: the lead of the open step's agency and role, the supporting ones of
        its agency, all on its staff list (``data.contacts``)."""
        step = dossier.current_step
        if step is None:
            return  # the workflow refuses: no open step
        of_role = {o.subject for o in contacts.officials_of(step.agency_code, step.role.value)}
        agency = set(of_role)
        if supporting:
            for role in sorted({r.value for r in OFFICIAL_ROLES} - {step.role.value}):
                agency |= {o.subject for o in contacts.officials_of(step.agency_code, role)}
        if lead not in of_role or any(s not in agency for s in supporting):
            raise passage.StepOfficerInvalid({"lead": lead, "supporting": supporting, "agency_code": step.agency_code,
                                              "role": step.role.value})

    def staff(self, agency_code: str, role: str) -> list[passage.Candidate]:
        return [passage.Candidate(o.subject, tasks.open_steps(o.subject))
                for o in contacts.officials_of(agency_code, role)]

    def assign_entered(self, before: Dossier | None, changed: Dossier, events: list[HistoryEvent],
                       process: ProcessDefinition | None, now: datetime,
                       request_id: str | None) -> tuple[Dossier, list[HistoryEvent], tasks.TaskWrites]:
        """Officers for the step the change entered (by its rule), the hand-over row completed with its
        receiver, and the task items to write with the change."""
        step = changed.current_step
        known = len(before.steps) if before is not None else 0
        if process is not None and step is not None and step.seq > known and step.lead is None:
            definition_step = process.step(step.code)
            rule = passage.rule_for(definition_step) if definition_step is not None else AssignmentRule.LEAST_LOADED
            needs_staff = rule is not AssignmentRule.PREVIOUS_STEP or step.continues_seq is None
            candidates = self.staff(step.agency_code, step.role.value) if needs_staff else []
            turn = tasks.next_turn(step.agency_code, step.role.value) \
                if rule is AssignmentRule.ROUND_ROBIN and candidates else 0
            lead, used = passage.choose(step, changed.steps, rule, candidates, turn)
            if lead is not None:
                changed, event = passage.assign(changed, step.seq, lead, (), used, now, sla.SYSTEM_ACTOR,
                                                request_id)
                events = [*events, event]
            if step.seq > 1:
                passage.link_hand_over(events, changed.current_step or step)
        return changed, events, tasks.task_writes(before, changed)

    def follow(self, before: Dossier | None, changed: Dossier, events: list[HistoryEvent], actor: Actor,
               now: datetime, request_id: str | None) -> tuple[Dossier, list[HistoryEvent], tasks.TaskWrites]:
        """For a change the workflow made without the process (a counter dossier opened received)."""
        process = self.definition_for(changed, now)
        changed, events = follow_process(before, changed, events, process, actor, now, request_id)
        return self.assign_entered(before, changed, events, process, now, request_id)


def my_tasks(actor: Actor, now: datetime, limit: int, after: str | None) -> tuple[list[TaskView], str | None]:
    """The caller's open steps, the soonest due first, each with the working hours left on the one clock."""
    require_role(actor, *OFFICIAL_ROLES)
    found, token = tasks.tasks_of(actor.subject, limit=limit, after=after)
    views = []
    for t in found:
        left = (clock.working_hours_between(now, t.due_at, agency=t.agency_code).quantize(Decimal("0.01"))
                if t.due_at is not None else None)
        views.append(TaskView(
            dossier_id=t.dossier_id, receipt_code=t.receipt_code, procedure_code=t.procedure_code,
            procedure_name_vi=t.procedure_name_vi, seq=t.seq, step_code=t.step_code, step_name_vi=t.step_name_vi,
            unit=t.unit, agency_code=t.agency_code, role=t.role, entered_at=t.entered_at,  # type: ignore[arg-type]
            due_at=t.due_at, budget_hours=t.budget_hours, hours_left=str(left) if left is not None else None,
            overdue=t.due_at is not None and now > t.due_at))
    return views, token
