"""The HistoryEvent vocabulary: action names and ``details`` keys, the language of a dossier's history.

The workflow (``motcua.domain.workflow``, with the action bodies of ``motcua.domain.commands``) writes these
names; the index (``motcua.domain.index.facts``) and the evaluation read them. Import the constants instead
of spelling the strings, so both sides stay in step.

How the index reads an event (``motcua.domain.index.facts``):

* **Status facts come from ``to_status`` / ``from_status``, whatever the action is called**: reception
  (the first event reaching 2, 4, 5, 6, 9 or 10: normally the move to 2), supplement requested (to 5:
  counted, clock paused), supplement received (leaving 5: pause closed), waiting for fees (to 6: paused by
  default, UNSURE), decided (to 9), returned (to 10), stopped (to 8), refused (to 3), withdrawal requested
  (to 7). So a renamed action cannot silently break timeliness.
* **Everything else comes from the action name and its ``details``** (status-neutral events keep
  ``from_status == to_status``):

=============================  =================================================================================
action                          details read (all optional unless marked)
=============================  =================================================================================
``submit``                      ``appointment_at`` (ISO, provisional appointment)
``receive_at_counter``          ``appointment_at``, ``digitised`` (bool), ``reused_documents`` (int),
                                ``population_db`` (bool): a counter dossier is received on submission
``receive``                     same keys as ``receive_at_counter`` (online/post dossier received: 1 -> 2)
``refuse``                      none (1 -> 3)
``start_processing``            none (2 -> 4)
``transfer``                    ``from_unit``, ``to_unit`` (4 -> 4; informational)
``request_supplement``          none (-> 5; the second one makes the dossier late, docs/domain.md §4.2)
``receive_supplement``          ``appointment_at`` (re-issued appointment), ``reused_documents`` (5 -> 4)
``request_payment``             none (-> 6)
``resume_processing``           none (6 -> 4 once the fees are paid)
``record_payment``              ``amount_vnd`` (int); ``gateway`` and ``transaction_id``: the payment platform's
                                verified receipt (``motcua.domain.payment``), REQUIRED to count as paid online
                                (3b). ``online`` is what an official declared; the index does not count it
``digitise``                    ``reused_documents`` (int), ``population_db`` (bool): dossier digitised
``decide``                      none (-> 9)
``issue_electronic_result``     none: the result was issued as an electronic document
``return_result``               ``method``: "counter" / "post" / "electronic" ("electronic" = electronic result)
``request_withdrawal``          none (-> 7)
``stop``                        none (-> 8)
``apologise``                   ``reason`` (text, shown on the report's late list), ``new_appointment_at`` (ISO).
                                An apology does NOT move the index deadline: a late dossier stays late.
``sync_national_portal``        ``synced`` (bool, default true): the national portal's sync record for the dossier,
                                synchronised or not (indicator 1.4; a dossier without one is "no data" there)
``sync_citizen_data_store``     none: the result was stored in the citizen's data store (indicator 4.4)
``evaluate``                    ``satisfaction`` (REQUIRED, a :class:`Satisfaction` value), ``total`` (int 0-18)
``feedback_receive``            ``feedback_id`` (REQUIRED), ``kind`` (:class:`FeedbackKind`; "complaint" counts
                                against 5.4)
``feedback_respond``            ``feedback_id`` (REQUIRED), ``outcome`` (:class:`FeedbackOutcome`, REQUIRED),
                                ``public`` (bool, with "handled": the answer is to be published, so its
                                publication is owed within the publish limit, 5.2)
``step_enter``                  :class:`motcua.domain.events.StepEntered` (status-neutral): a step entered
``step_assign``                 :class:`motcua.domain.events.StepAssigned`: a step's officers named
``step_reassign``               :class:`motcua.domain.events.StepAssigned` with ``previous_lead``: an audited change
``step_complete``               :class:`motcua.domain.events.StepCompleted`: a hand-over (control slip row, verdict)
``step_alert``                  :class:`motcua.domain.events.StepTimerFired`: a step notice sent
``feedback_rate``               ``feedback_id`` (REQUIRED), ``satisfied`` (bool, REQUIRED)
=============================  =================================================================================

Unknown actions are ignored except for their status change, so the workflow can add actions freely.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

SUBMIT: Final = "submit"
RECEIVE_AT_COUNTER: Final = "receive_at_counter"
RECEIVE: Final = "receive"
REFUSE: Final = "refuse"
START_PROCESSING: Final = "start_processing"
TRANSFER: Final = "transfer"
REQUEST_SUPPLEMENT: Final = "request_supplement"
RECEIVE_SUPPLEMENT: Final = "receive_supplement"
REQUEST_PAYMENT: Final = "request_payment"
RECORD_PAYMENT: Final = "record_payment"
RESUME_PROCESSING: Final = "resume_processing"
DIGITISE: Final = "digitise"
DECIDE: Final = "decide"
ISSUE_ELECTRONIC_RESULT: Final = "issue_electronic_result"
RETURN_RESULT: Final = "return_result"
REQUEST_WITHDRAWAL: Final = "request_withdrawal"
STOP: Final = "stop"
APOLOGISE: Final = "apologise"
SYNC_NATIONAL_PORTAL: Final = "sync_national_portal"
SYNC_CITIZEN_DATA_STORE: Final = "sync_citizen_data_store"
EVALUATE: Final = "evaluate"
FEEDBACK_RECEIVE: Final = "feedback_receive"
FEEDBACK_RESPOND: Final = "feedback_respond"
FEEDBACK_RATE: Final = "feedback_rate"
# Internal-procedure steps (docs/domain.md §11.4); their details are the models of motcua.domain.events.
STEP_ENTER: Final = "step_enter"
STEP_ASSIGN: Final = "step_assign"
STEP_REASSIGN: Final = "step_reassign"
STEP_COMPLETE: Final = "step_complete"
STEP_ALERT: Final = "step_alert"

# details keys
D_APPOINTMENT_AT: Final = "appointment_at"
D_DIGITISED: Final = "digitised"
D_REUSED_DOCUMENTS: Final = "reused_documents"
D_POPULATION_DB: Final = "population_db"
D_ONLINE: Final = "online"
D_AMOUNT_VND: Final = "amount_vnd"
D_METHOD: Final = "method"
D_REASON: Final = "reason"
D_NEW_APPOINTMENT_AT: Final = "new_appointment_at"
D_SATISFACTION: Final = "satisfaction"
D_TOTAL: Final = "total"
D_FEEDBACK_ID: Final = "feedback_id"
D_KIND: Final = "kind"
D_OUTCOME: Final = "outcome"
D_SATISFIED: Final = "satisfied"
D_PUBLIC: Final = "public"
D_SYNCED: Final = "synced"
D_GATEWAY: Final = "gateway"
D_TRANSACTION_ID: Final = "transaction_id"

RETURN_METHOD_ELECTRONIC: Final = "electronic"


def paid_through_gateway(details: dict | None) -> bool:
    """A ``record_payment`` event written from a payment platform's verified callback (it names the gateway
    and the transaction): the one test of "paid online" every fold of the index uses (group 3b)."""
    if not details:
        return False
    gateway, transaction = details.get(D_GATEWAY), details.get(D_TRANSACTION_ID)
    return isinstance(gateway, str) and bool(gateway) and isinstance(transaction, str) and bool(transaction)


class Satisfaction(StrEnum):
    """The app's satisfaction question (docs/domain.md §6.3), one answer per dossier."""

    VERY_SATISFIED = "very_satisfied"  # Rất hài lòng
    SATISFIED = "satisfied"  # Hài lòng
    DISSATISFIED = "dissatisfied"  # Không hài lòng

    @property
    def label_vi(self) -> str:
        return SATISFACTION_LABELS_VI[self]


SATISFACTION_LABELS_VI: Final = {
    Satisfaction.VERY_SATISFIED: "Rất hài lòng",
    Satisfaction.SATISFIED: "Hài lòng",
    Satisfaction.DISSATISFIED: "Không hài lòng",
}


class FeedbackKind(StrEnum):
    """What a citizen's feedback (*phản ánh, kiến nghị*) is about; indicator 5.1 tracks the classification."""

    COMPLAINT = "complaint"  # about how the dossier was handled: counts against 5.4
    QUESTION = "question"
    SUGGESTION = "suggestion"
    UNCLASSIFIED = "unclassified"


class FeedbackOutcome(StrEnum):
    """Steps of handling feedback, each with its own deadline (docs/domain.md §7.4)."""

    REFUSED = "refused"  # ends the handling
    REQUEST_INFO = "request_info"
    HANDLED = "handled"  # ends the handling
    PUBLISHED = "published"  # publication of the answer, counted from the handling


TERMINAL_FEEDBACK_OUTCOMES: Final = frozenset({FeedbackOutcome.REFUSED, FeedbackOutcome.HANDLED})
