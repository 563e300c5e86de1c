"""The monthly index (Decision 766/QĐ-TTg, docs/domain.md §7): pure functions, no database.

How the wiring uses it (see each module's docstring for details):

1. **Incremental, per event** (same transaction as the event, or from the table's stream)::

       new = apply_event(old, dossier, event)               # old: the stored facts, None before the first
       for (unit, month), counters in contribution_delta(old, new, at=event.occurred_at).items():
           ADD counters to the (unit, month) aggregate          # atomic counters; idempotent per event id
       store new as the dossier's facts

2. **Full recompute of a month** (``motcua index --month YYYY-MM --recompute``)::

       facts = [facts_from_history(d, history_of(d), month.end) for d in dossiers_touching(month)]
       feedback = [index_facts(fb, as_of=month.end) for fb in feedback_not_about_a_dossier]  # procedure/agency
       counters = counters_for_month((f for f in facts if f), month, feedback=(f for f in feedback if f))
                                                              # == the incremental aggregates, exactly

   Feedback about a procedure or an agency has no dossier trail: each of its steps ADDs
   ``standalone_delta(old, new, at=step instant)`` in the transaction that writes the feedback
   (``motcua.domain.feedback.steps.index_facts`` gives its facts).

3. **Scoring** (the monthly job reads O(units) aggregates)::

       units = tree.units_for(month)
       results = compute_index(counters, units, catalogue_counters(procedures, units, month),
                               config_for(month), month=month)
       rank(results, "commune")

The HistoryEvent vocabulary (action names, ``details`` keys) is :mod:`motcua.domain.actions`.
"""

from motcua.domain.actions import FeedbackKind, FeedbackOutcome, Satisfaction
from motcua.domain.index.compute import (
    GroupResult,
    IndicatorResult,
    RankedUnit,
    UnitIndex,
    compute_index,
    rank,
    round2,
)
from motcua.domain.index.config import (
    DEFAULT_INDEX_CONFIG,
    INDEX_CONFIGS,
    Band,
    FeedbackDeadlines,
    GroupSpec,
    IndexConfig,
    IndicatorSpec,
    check_config,
    config_for,
)
from motcua.domain.index.contribution import (
    INDICATOR_COUNTERS,
    LateDossier,
    add_into,
    contribution,
    contribution_delta,
    counters_for_month,
    feedback_counters,
    late_dossiers,
    months_of,
    role_in,
    role_of,
    scrub,
    standalone_contribution,
    standalone_delta,
    standalone_months,
)
from motcua.domain.index.facts import (
    DossierFacts,
    FactsContext,
    FeedbackFacts,
    StandaloneFeedbackFacts,
    apply_event,
    default_context,
    dossier_timeliness,
    facts_from_history,
)
from motcua.domain.index.month import InvalidMonth, Month
from motcua.domain.index.units import (
    CatalogueCounters,
    ProcedureTraits,
    Unit,
    UnitTree,
    catalogue_counters,
    load_default_procedures,
    load_default_tree,
    traits_by_code,
)

__all__ = [
    "DEFAULT_INDEX_CONFIG",
    "INDEX_CONFIGS",
    "INDICATOR_COUNTERS",
    "Band",
    "CatalogueCounters",
    "DossierFacts",
    "FactsContext",
    "FeedbackDeadlines",
    "FeedbackFacts",
    "FeedbackKind",
    "FeedbackOutcome",
    "GroupResult",
    "GroupSpec",
    "IndexConfig",
    "IndicatorResult",
    "IndicatorSpec",
    "InvalidMonth",
    "LateDossier",
    "Month",
    "ProcedureTraits",
    "RankedUnit",
    "Satisfaction",
    "StandaloneFeedbackFacts",
    "Unit",
    "UnitIndex",
    "UnitTree",
    "add_into",
    "apply_event",
    "catalogue_counters",
    "check_config",
    "compute_index",
    "config_for",
    "contribution",
    "contribution_delta",
    "counters_for_month",
    "default_context",
    "dossier_timeliness",
    "facts_from_history",
    "feedback_counters",
    "late_dossiers",
    "load_default_procedures",
    "load_default_tree",
    "months_of",
    "rank",
    "role_in",
    "role_of",
    "round2",
    "scrub",
    "standalone_contribution",
    "standalone_delta",
    "standalone_months",
    "traits_by_code",
]
