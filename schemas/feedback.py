"""Request and response models of citizens' feedback (*phản ánh, kiến nghị*, docs/feedback.md)."""


from datetime import datetime
from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from motcua.domain.catalogue import AgencyCode, ProcedureCode
from motcua.domain.dossier import UploadKey
from motcua.domain.feedback import (
    FeedbackAbout,
    FeedbackCategory,
    FeedbackOfficialMissing,
    FeedbackStatus,
    FeedbackStep,
    FeedbackSubjectMissing,
)
from schemas.common import ApiModel, Page

Text = Field(min_length=3, max_length=2000)


class FeedbackIn(ApiModel):
    """``POST /feedback``. ``about`` names what the feedback is about, and the matching field is required:
    ``dossier_id`` (one of the citizen's own dossiers), ``procedure_code`` (plus ``agency_code`` for a
    commune-level procedure: which commune) or ``agency_code``. A complaint about an official names them."""

    about: FeedbackAbout
    category: FeedbackCategory
    dossier_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    procedure_code: ProcedureCode | None = None
    agency_code: AgencyCode | None = None
    title: str = Field(min_length=3, max_length=200, examples=["Hồ sơ trễ hẹn nhưng không được thông báo"])
    content: str = Field(min_length=10, max_length=5000)
    official_name: str | None = Field(default=None, min_length=2, max_length=200,
                                      description="The official the complaint is about (official_conduct)")
    official_subject: str | None = Field(default=None, min_length=1, max_length=128,
                                         description="Their account, when the app lets the citizen pick them")
    attachments: list[UploadKey] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _subject_given(self) -> "FeedbackIn":
        needed = {FeedbackAbout.DOSSIER: self.dossier_id, FeedbackAbout.PROCEDURE: self.procedure_code,
                  FeedbackAbout.AGENCY: self.agency_code}[self.about]
        if needed is None:
            raise PydanticCustomError(FeedbackSubjectMissing.code, "The field naming what it is about is missing")
        if self.category is FeedbackCategory.OFFICIAL_CONDUCT and not (self.official_name or self.official_subject):
            raise PydanticCustomError(FeedbackOfficialMissing.code, "A complaint about an official names them")
        return self


class FeedbackStepBody(ApiModel):
    note: str | None = Field(default=None, max_length=2000)
    expected_version: int | None = Field(default=None, ge=1,
                                         description="The version the client saw; another stored version gives 409")


class RefuseFeedback(FeedbackStepBody):
    """The agency refuses to handle the feedback (outside its remit, anonymous, a duplicate...), with its reason."""

    reason: str = Text


class RequestFeedbackInfo(FeedbackStepBody):
    """The agency asks the citizen for more information."""

    request: str = Field(min_length=3, max_length=2000, description="What the citizen should add")


class ProvideFeedbackInfo(FeedbackStepBody):
    """The citizen replies to the agency's request for information."""

    reply: str = Field(min_length=1, max_length=5000)
    attachments: list[UploadKey] = Field(default_factory=list, max_length=10)


class AnswerFeedback(FeedbackStepBody):
    """The agency answers the feedback (optionally to be published)."""

    answer: str = Field(min_length=10, max_length=10000)
    public: bool = Field(default=False, description="Publish the answer (without personal data) within 2 working days")


class PublishFeedback(FeedbackStepBody):
    """The agency publishes the question and its answer, without personal data."""

    question_summary: str = Field(min_length=10, max_length=2000,
                                  description="The question in the agency's words, without personal data")
    answer: str | None = Field(default=None, min_length=10, max_length=10000,
                               description="The published wording of the answer (default: the answer as sent)")


class RateFeedback(FeedbackStepBody):
    """The citizen says whether the answer satisfied them."""

    satisfied: bool
    comment: str | None = Field(default=None, max_length=2000)


class DeadlinesView(ApiModel):
    refuse_by: datetime
    request_info_by: datetime
    handle_by: datetime
    publish_by: datetime | None = None


class StepView(ApiModel):
    step: FeedbackStep
    at: datetime
    due_at: datetime
    timeliness: str = Field(description="early / on_time / late, by the one clock")


class FeedbackEventView(ApiModel):
    event_id: str
    occurred_at: datetime
    action: str
    from_status: FeedbackStatus | None = None
    to_status: FeedbackStatus
    actor_role: str
    actor_agency_code: str | None = None
    note: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class RemovedView(ApiModel):
    kind: str = Field(description="author_full_name, author_national_id, author_phone, author_email, author_address, "
                                  "national_id, phone, email or number")
    text: str = Field(description="The text removed from the published wording")


class FeedbackView(ApiModel):
    id: str
    version: int
    status: FeedbackStatus
    category: FeedbackCategory
    index_kind: str = Field(description="The index's classification (indicator 5.1)")
    about: FeedbackAbout
    agency_code: str
    dossier_id: str | None = None
    receipt_code: str | None = None
    procedure_code: str | None = None
    official_name: str | None = None
    title: str
    content: str
    attachments: list[str] = Field(default_factory=list)
    received_at: datetime
    deadlines: DeadlinesView
    on_time: bool = Field(description="Every step within its limit so far (indicator 5.2)")
    info_request: str | None = None
    info_reply: str | None = None
    refusal_reason: str | None = None
    answer: str | None = None
    answered_at: datetime | None = None
    answer_public: bool = False
    published_at: datetime | None = None
    # What the publish step made public, and what it removed first (the author's identity, IDs, phones, e-mails).
    published_question: str | None = None
    published_answer: str | None = None
    published_removed: list[RemovedView] = Field(default_factory=list)
    satisfied: bool | None = None
    rated_at: datetime | None = None
    steps: list[StepView] = Field(default_factory=list)
    history: list[FeedbackEventView] = Field(default_factory=list)


class FeedbackSummary(ApiModel):
    id: str
    status: FeedbackStatus
    category: FeedbackCategory
    about: FeedbackAbout
    agency_code: str
    title: str
    received_at: datetime
    handle_by: datetime


class PublicFeedbackView(ApiModel):
    """A published answer: no name, no account, no dossier, no contact; the author's identity values and every
    national-ID, phone and e-mail pattern removed when it was published (and the patterns once more here)."""

    id: str
    category: FeedbackCategory
    about: FeedbackAbout
    agency_code: str
    agency_name_vi: str | None = None
    procedure_code: str | None = None
    question: str
    answer: str
    received_on: str = Field(description="Date of reception (yyyy-mm-dd, Vietnam)")
    answered_at: datetime
    published_at: datetime


class FeedbackSummaryPage(Page[FeedbackSummary]):
    """A page of the feedback the caller may see, newest first."""


class PublicFeedbackPage(Page[PublicFeedbackView]):
    """A page of published answers, newest first."""
