"""Citizens' feedback (*phản ánh, kiến nghị*): its vocabulary, errors and state, here; the steps with their
legal limits on the ONE clock and who may see and take them, in ``steps``; their timers through the SLA
mechanism, in ``timers``. No I/O here.

A citizen files feedback about one of their dossiers, a procedure or an agency; it is classified (a
complaint about an official, a complaint about a procedure, a suggestion, a question: mapped to the
index's :class:`~motcua.domain.actions.FeedbackKind`) and assigned to the responsible agency. The agency
refuses it, asks for more information (once), answers it, and publishes the answer when it marked it public;
the citizen supplies the information asked for and rates the answer (satisfied or not).

Legal limits (docs/domain.md §7.4, LIKELY; the numbers are the index's configuration, effective-dated:
``IndexConfig.feedback_deadlines``, so the index and the handling can never disagree): refuse within 2
working days of reception, request more information within 5, handle (answer) within 15, publish the answer
within 2 working days of the answer. Every limit is ``clock.due_at(start, N)`` with the agency's calendar:
the reception day does not count, the limit ends at the close of office hours. The clock starts at the
instant the feedback was filed (the index's convention: the ``feedback_receive`` event's instant), not at the
next opening as for an online dossier (UNSURE in law; the index's rule wins so the two agree). Requesting
information does not stop the handling clock (the index does not pause it either; UNSURE in law).

Timers (``motcua.domain.sla``, the same points, keys and sweep as a dossier's): each step the agency still
owes runs its own deadline's timers (``sla.warning_points``; policy ``SlaConfig.feedback``): while nothing was
done, the refusal window and the handling deadline; after information was asked for, the handling deadline;
after a public answer, the publication deadline. Fired keys are ``<step>.<kind>@<due UTC>`` in
``Feedback.sla_fired``: exactly once per step and due date; a late step stays late.

Visibility: the author; the officials of the assigned agency; inspectors (read-only, except that they may
handle complaints about an official). A complaint about an official is visible only to the agency's leaders
and the inspectors, never to the official named (``official_subject``), even if that official is a leader.
"""


import uuid
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain.access import AccessDenied
from motcua.domain.actors import Actor
from motcua.domain.errors import Conflict, InvalidInput
from motcua.domain.redaction import Removed

# --------------------------------------------------------------------------------------------------------
# Vocabulary


class FeedbackCategory(StrEnum):
    """What the citizen says the feedback is (the classification of indicator 5.1)."""

    OFFICIAL_CONDUCT = "official_conduct"  # phản ánh về hành vi của cán bộ, công chức
    PROCEDURE = "procedure"  # phản ánh về quy định, việc giải quyết thủ tục hành chính
    SUGGESTION = "suggestion"  # kiến nghị
    QUESTION = "question"  # hỏi đáp

    @property
    def index_kind(self) -> ev.FeedbackKind:
        return INDEX_KINDS[self]


# Both kinds of complaint count against 5.4 (the index's COMPLAINT).
INDEX_KINDS: Mapping[FeedbackCategory, ev.FeedbackKind] = {
    FeedbackCategory.OFFICIAL_CONDUCT: ev.FeedbackKind.COMPLAINT,
    FeedbackCategory.PROCEDURE: ev.FeedbackKind.COMPLAINT,
    FeedbackCategory.SUGGESTION: ev.FeedbackKind.SUGGESTION,
    FeedbackCategory.QUESTION: ev.FeedbackKind.QUESTION,
}


class FeedbackAbout(StrEnum):
    DOSSIER = "dossier"
    PROCEDURE = "procedure"
    AGENCY = "agency"


class FeedbackStatus(StrEnum):
    RECEIVED = "received"
    INFO_REQUESTED = "info_requested"
    IN_PROGRESS = "in_progress"  # the citizen supplied the information asked for
    REFUSED = "refused"
    ANSWERED = "answered"
    PUBLISHED = "published"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({FeedbackStatus.RECEIVED, FeedbackStatus.INFO_REQUESTED, FeedbackStatus.IN_PROGRESS})


class FeedbackStep(StrEnum):
    """The steps with a legal limit."""

    REFUSE = "refuse"
    REQUEST_INFO = "request_info"
    HANDLE = "handle"
    PUBLISH = "publish"


class FeedbackAction(StrEnum):
    FILE = "file"
    REFUSE = "refuse"
    REQUEST_INFO = "request_info"
    PROVIDE_INFO = "provide_info"
    ANSWER = "answer"
    PUBLISH = "publish"
    RATE = "rate"


# The citizen's actions (the others are the agency's).
CITIZEN_ACTIONS = frozenset({FeedbackAction.PROVIDE_INFO, FeedbackAction.RATE})

READ_ACTION = "read_personal_data"

# --------------------------------------------------------------------------------------------------------
# Errors


class FeedbackAccessDenied(AccessDenied):
    code = "FEEDBACK_ACCESS_DENIED"
    message_vi = "Bạn không có quyền xem phản ánh, kiến nghị này."
    message_en = "You may not see this feedback."


class FeedbackActionNotAllowed(AccessDenied):
    code = "FEEDBACK_ACTION_NOT_ALLOWED"
    message_vi = "Bạn không được thực hiện bước này đối với phản ánh, kiến nghị."
    message_en = "You may not take this step on this feedback."


class FeedbackStepNotAllowed(Conflict):
    code = "FEEDBACK_STEP_NOT_ALLOWED"
    message_vi = "Phản ánh, kiến nghị đang ở trạng thái không cho phép bước này."
    message_en = "The feedback is in a state that does not allow this step."


class FeedbackInfoAlreadyRequested(Conflict):
    code = "FEEDBACK_INFO_ALREADY_REQUESTED"
    message_vi = "Chỉ được yêu cầu bổ sung thông tin một lần."
    message_en = "More information may be requested once."


class FeedbackAnswerNotPublic(Conflict):
    code = "FEEDBACK_ANSWER_NOT_PUBLIC"
    message_vi = "Câu trả lời không được đánh dấu công khai."
    message_en = "The answer was not marked public."


class FeedbackAlreadyRated(Conflict):
    code = "FEEDBACK_ALREADY_RATED"
    message_vi = "Phản ánh, kiến nghị này đã được đánh giá."
    message_en = "This feedback was already rated."


class FeedbackSubjectMissing(InvalidInput):
    """Raised by the API schema under this code: ``about`` names a field that is missing."""

    code = "FEEDBACK_SUBJECT_MISSING"
    http_status = 422
    message_vi = "Thiếu thông tin phản ánh về hồ sơ, thủ tục hay cơ quan nào (dossier_id, procedure_code, agency_code)."
    message_en = "Say what the feedback is about: dossier_id, procedure_code or agency_code, as `about` names."


class FeedbackOfficialMissing(InvalidInput):
    code = "FEEDBACK_OFFICIAL_MISSING"
    http_status = 422
    message_vi = "Phản ánh về cán bộ, công chức cần nêu tên người bị phản ánh."
    message_en = "A complaint about an official must name the official."


class FeedbackAgencyRequired(InvalidInput):
    code = "FEEDBACK_AGENCY_REQUIRED"
    http_status = 422
    message_vi = "Cần chọn cơ quan (agency) để xem danh sách phản ánh, kiến nghị."
    message_en = "Choose the agency (agency) whose feedback to list."


class StaleFeedback(Conflict):
    code = "FEEDBACK_VERSION_CONFLICT"
    message_vi = "Phản ánh, kiến nghị đã được người khác cập nhật. Vui lòng tải lại và thử lại."
    message_en = "The feedback was changed by someone else. Reload it and try again."


# --------------------------------------------------------------------------------------------------------
# State


class FeedbackEvent(BaseModel):
    """One append-only row of the feedback's own trail (who did what, when, from which status to which)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    feedback_id: str
    occurred_at: datetime
    action: str
    from_status: FeedbackStatus | None
    to_status: FeedbackStatus
    actor: Actor
    note: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None


class StepRecord(BaseModel):
    """A step taken, judged against its legal limit by the one clock."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    step: FeedbackStep
    at: datetime
    due_at: datetime
    timeliness: clock.Timeliness


class Answer(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    text: str
    answered_at: datetime
    answered_by: str
    public: bool = False
    # Set on publication: the agency's own wording, without personal data (``redaction.redact``), and what
    # the publish step removed from it (shown to the official who published).
    question_summary: str | None = None
    published_text: str | None = None
    published_at: datetime | None = None
    removed: tuple[Removed, ...] = ()


class Rating(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    satisfied: bool
    comment: str | None = None
    rated_at: datetime


class Feedback(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str
    owner: str  # the citizen's subject
    category: FeedbackCategory
    about: FeedbackAbout
    agency_code: str  # the responsible agency (a dossier's: the agency that received it, as the index counts)
    dossier_id: str | None = None
    receipt_code: str | None = None
    procedure_code: str | None = None
    official_name: str | None = None  # as the citizen wrote it
    official_subject: str | None = None  # the official's account, when the app let the citizen pick it
    title: str
    content: str
    attachments: tuple[str, ...] = ()
    status: FeedbackStatus
    received_at: datetime
    info_request: str | None = None
    info_requested_at: datetime | None = None
    info_reply: str | None = None
    info_reply_attachments: tuple[str, ...] = ()
    refusal_reason: str | None = None
    answer: Answer | None = None
    rating: Rating | None = None
    steps: tuple[StepRecord, ...] = ()
    sla_fired: tuple[str, ...] = ()
    version: int = 1
    updated_at: datetime

    @property
    def index_kind(self) -> ev.FeedbackKind:
        return self.category.index_kind

    @property
    def is_about_an_official(self) -> bool:
        return self.category is FeedbackCategory.OFFICIAL_CONDUCT
