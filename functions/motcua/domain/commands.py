"""Officials' and citizens' actions on a dossier, as the workflow takes them: the name and the body of each.

The API takes them as the body of ``POST /dossiers/{id}/actions/{action}``, the actions queue as the
``payload`` of a message (``schemas.actions.ActionMessage``). Action names are the history vocabulary
(``motcua.domain.actions``), so what the workflow writes is what the index reads.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from motcua.domain import actions as ev
from motcua.domain.catalogue import AgencyCode
from motcua.domain.dossier import AttachmentIn
from motcua.domain.model import ClientDatetime, StrictModel

Reason = Annotated[str, Field(min_length=3, max_length=2000)]
ResultKey = Annotated[str, Field(pattern=r"^(uploads|results)/[0-9a-f]{32}/[A-Za-z0-9._-]{1,120}$")]


class ActionName(StrEnum):
    RECEIVE = ev.RECEIVE
    REFUSE = ev.REFUSE
    START_PROCESSING = ev.START_PROCESSING
    TRANSFER = ev.TRANSFER
    REQUEST_SUPPLEMENT = ev.REQUEST_SUPPLEMENT
    RECEIVE_SUPPLEMENT = ev.RECEIVE_SUPPLEMENT
    REQUEST_PAYMENT = ev.REQUEST_PAYMENT
    RECORD_PAYMENT = ev.RECORD_PAYMENT
    RESUME_PROCESSING = ev.RESUME_PROCESSING
    DECIDE = ev.DECIDE
    RETURN_RESULT = ev.RETURN_RESULT
    REQUEST_WITHDRAWAL = ev.REQUEST_WITHDRAWAL
    STOP = ev.STOP
    APOLOGISE = ev.APOLOGISE
    # Internal-procedure steps (docs/domain.md §11.4)
    ASSIGN_STEP = "assign_step"
    REASSIGN_STEP = "reassign_step"
    COMPLETE_STEP = "complete_step"


class ActionBody(StrictModel):
    note: str | None = Field(default=None, max_length=2000)
    expected_version: int | None = Field(
        default=None, ge=1, description="The version the client saw; a different stored version gives 409")


class Receive(ActionBody):
    """The reception desk receives the dossier: its clock starts and the appointment is fixed (Form 01)."""

    digitised: bool = Field(default=True, description="The desk digitised the paper documents")
    reused_documents: int = Field(default=0, ge=0, le=100, deprecated=True,
                                  description="Ignored: reused documents are counted from the dossier's records "
                                  "(attachments with document_id)")
    population_db: bool = Field(default=False, description="Identity checked against the population database")


class Refuse(ActionBody):
    """The desk refuses the dossier, with the reasons of Form 03."""

    reasons: list[Reason] = Field(min_length=1, max_length=20, description="Form 03: why it is refused")


class StartProcessing(ActionBody):
    """The handling unit starts processing a received dossier."""


class Transfer(ActionBody):
    """The dossier moves to another agency (liên thông) for its part of the handling."""

    to_agency_code: AgencyCode


class RequestSupplement(ActionBody):
    """The citizen is asked to add or correct documents (Form 02); the clock pauses until they do."""

    documents: list[Reason] = Field(min_length=1, max_length=50, description="Form 02: what to add or correct")
    reason: Reason
    legal_exception: Reason | None = Field(
        default=None, description="A second request is allowed only with the legal ground named here")


class ReceiveSupplement(ActionBody):
    """The desk receives the requested documents; the clock resumes."""

    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=50)
    reused_documents: int = Field(default=0, ge=0, le=100, deprecated=True,
                                  description="Ignored: counted from the attachments that name a stored document")


class RequestPayment(ActionBody):
    """The citizen is asked to pay a fee or charge; the clock pauses (by default) until it is paid."""

    amount_vnd: int = Field(gt=0, le=10_000_000_000)
    description: Reason


class RecordPayment(ActionBody):
    """A payment is recorded; the clock resumes."""

    amount_vnd: int = Field(gt=0, le=10_000_000_000)
    online: bool
    reference: str | None = Field(default=None, max_length=200)


class ResumeProcessing(ActionBody):
    """Processing resumes after a pause."""


class Decide(ActionBody):
    """The competent official decides and issues the result documents."""

    result_documents: list[ResultKey] = Field(default_factory=list, max_length=50)
    electronic: bool = Field(default=False, description="The result is also issued as an electronic document")


class ReturnResult(ActionBody):
    """The result is returned to the citizen (at the counter, by post or electronically)."""

    method: Literal["counter", "post", "electronic"]


class RequestWithdrawal(ActionBody):
    """The citizen withdraws the dossier before it is decided."""

    reason: Reason | None = None


class Stop(ActionBody):
    """Handling stops for a legal reason (the dossier cannot be decided)."""

    reason: Reason


class Apologise(ActionBody):
    """A late dossier: the agency apologises and sets a new appointment (Form 04)."""

    reason: Reason
    new_appointment_at: ClientDatetime


Subject = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@:-]+$",
                               description="An official's subject (the token's sub)")]
StepCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,31}$", examples=["TRINH_KY"])]


class AssignStep(ActionBody):
    """Name the open step's lead officer and supporting officers (a leader of the step's agency)."""

    step_seq: int | None = Field(default=None, ge=1, description="The open step the client saw; another gives 409")
    lead: Subject
    supporting: list[Subject] = Field(default_factory=list, max_length=10)


class ReassignStep(AssignStep):
    """Change the open step's officers: audited, the previous ones and the reason kept on the trail."""

    reason: Reason


class CompleteStep(ActionBody):
    """Finish the open step by one of its actions in the internal procedure. When the action changes the
    dossier's status it is that status's workflow action (receive a supplement, decide, return, stop, ...):
    its body goes in ``payload``."""

    step_seq: int | None = Field(default=None, ge=1, description="The open step the client saw; another gives 409")
    step_action: StepCode = Field(description="The action's code in the step's definition")
    payload: dict[str, object] = Field(
        default_factory=dict, description="The body of the workflow action the step's status change is, if any")


PAYLOADS: dict[ActionName, type[ActionBody]] = {
    ActionName.RECEIVE: Receive,
    ActionName.REFUSE: Refuse,
    ActionName.START_PROCESSING: StartProcessing,
    ActionName.TRANSFER: Transfer,
    ActionName.REQUEST_SUPPLEMENT: RequestSupplement,
    ActionName.RECEIVE_SUPPLEMENT: ReceiveSupplement,
    ActionName.REQUEST_PAYMENT: RequestPayment,
    ActionName.RECORD_PAYMENT: RecordPayment,
    ActionName.RESUME_PROCESSING: ResumeProcessing,
    ActionName.DECIDE: Decide,
    ActionName.RETURN_RESULT: ReturnResult,
    ActionName.REQUEST_WITHDRAWAL: RequestWithdrawal,
    ActionName.STOP: Stop,
    ActionName.APOLOGISE: Apologise,
    ActionName.ASSIGN_STEP: AssignStep,
    ActionName.REASSIGN_STEP: ReassignStep,
    ActionName.COMPLETE_STEP: CompleteStep,
}
STEP_ACTIONS = frozenset({ActionName.ASSIGN_STEP, ActionName.REASSIGN_STEP, ActionName.COMPLETE_STEP})
