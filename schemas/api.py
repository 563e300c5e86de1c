"""Request and response models of the HTTP API (and of the equivalent queue messages).

Validation errors that have a legal format carry their own stable code (see ``motcua.domain.applicant``):
the field validators re-raise them as ``PydanticCustomError`` whose type *is* that code, so the API's
single error mapper can answer with it.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from motcua.domain.applicant import normalise_email, normalise_national_id, normalise_phone
from motcua.domain.catalogue import Agency, AgencyCode, Channel, ProcedureCode, ProcedureView, TimeLimitView
from motcua.domain.citizen_store import MAX_UPLOAD_BYTES
from motcua.domain.dossier import AttachmentIn
from motcua.domain.errors import MotcuaError
from motcua.domain.status import StatusView
from schemas.common import ApiModel, Page


def _coded(normalise: Callable[[str], str]) -> Callable[[str], str]:
    def validate(value: str) -> str:
        try:
            return normalise(value)
        except MotcuaError as error:
            raise PydanticCustomError(error.code, error.message_en) from None

    return validate


NationalId = Annotated[str, Field(min_length=1, max_length=32, examples=["079203001234"]),
                       AfterValidator(_coded(normalise_national_id))]
Phone = Annotated[str, Field(min_length=1, max_length=32, examples=["0912345678"]),
                  AfterValidator(_coded(normalise_phone))]
Email = Annotated[str, Field(min_length=3, max_length=254, examples=["an.nguyen@example.vn"]),
                  AfterValidator(_coded(normalise_email))]


class ApplicantIn(ApiModel):
    full_name: str = Field(min_length=1, max_length=200, examples=["Nguyễn Văn An"])
    national_id: NationalId
    phone: Phone
    email: Email | None = None
    address: str = Field(min_length=1, max_length=500, examples=["12 Trần Phú, phường Xuân Hương - Đà Lạt"])


class AttachmentView(ApiModel):
    key: str
    document_name: str
    source: Literal["uploaded", "digitised_at_desk", "reused"] = "uploaded"
    document_id: str | None = None


class DossierSubmission(ApiModel):
    procedure_code: ProcedureCode
    agency_code: AgencyCode | None = Field(
        default=None,
        description="Required for commune-level procedures (which commune); optional otherwise",
    )
    channel: Channel = Channel.ONLINE
    applicant: ApplicantIn
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=50)


class ApplicantView(ApiModel):
    full_name: str
    national_id: str
    phone: str
    email: str | None = None
    address: str


class HistoryEventView(ApiModel):
    event_id: str
    occurred_at: datetime
    action: str
    from_status: StatusView | None = None
    to_status: StatusView
    actor_role: str
    note: str | None = None


class AuditEventView(ApiModel):
    """One row of the audit trail (append-only): who, role, agency, when, what, before/after, request id."""

    event_id: str
    occurred_at: datetime
    action: str
    from_status: StatusView | None = None
    to_status: StatusView
    actor_subject: str
    actor_role: str
    actor_agency_code: str | None = None
    note: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None


class DossierView(ApiModel):
    id: str
    receipt_code: str = Field(examples=["000.20.01.H36-261123-0001"])
    procedure_code: str
    procedure_name_vi: str
    agency_code: str
    channel: Channel
    status: StatusView
    applicant: ApplicantView
    attachments: list[AttachmentView]
    submitted_at: datetime
    received_at: datetime | None = None
    appointment_at: datetime
    appointment_is_provisional: bool = Field(
        description="True until the desk receives the dossier; the clock starts at reception")
    due_at: datetime
    rule_version: str
    version: int
    handling_agency_code: str | None = None
    supplement_requests: int = 0
    finished_at: datetime | None = None
    returned_at: datetime | None = None
    apology: dict[str, Any] | None = Field(default=None, description="Form 04: reason and new appointment")
    history: list[HistoryEventView] = Field(default_factory=list)


class TrackingView(ApiModel):
    """Public, no login: status and appointment only, never personal data."""

    receipt_code: str
    procedure_code: str
    procedure_name_vi: str
    status: StatusView
    submitted_at: datetime
    appointment_at: datetime
    appointment_is_provisional: bool
    updated_at: datetime


class UploadRequest(ApiModel):
    file_name: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._ -]+$",
                           examples=["giay-chung-sinh.pdf"])
    content_type: str = Field(pattern=r"^(application/pdf|image/jpeg|image/png)$")
    size_bytes: int = Field(gt=0, le=MAX_UPLOAD_BYTES, description=f"At most {MAX_UPLOAD_BYTES // 2**20} MiB per file")


class UploadTicket(ApiModel):
    """An HTML-form upload to S3: POST ``url`` as multipart/form-data with every one of ``fields``, then the
    file as ``file``. Only the caller may attach it, and only as declared (type, at most ``size_bytes``)."""

    key: str
    url: str
    method: Literal["POST"] = "POST"
    fields: dict[str, str] = Field(description="Form fields to send as given (the signed policy)")
    expires_at: datetime


class AppointmentPreview(ApiModel):
    """What a citizen would be promised if they submitted at ``submitted_at`` (shown before submitting)."""

    procedure_code: str
    agency_code: str
    channel: Channel
    submitted_at: datetime
    clock_starts_at: datetime = Field(description="Reception: the next working moment for online/post dossiers")
    appointment_at: datetime
    time_limit: TimeLimitView


class DossierSummary(ApiModel):
    id: str
    receipt_code: str
    procedure_code: str
    procedure_name_vi: str
    status: StatusView
    submitted_at: datetime
    appointment_at: datetime
    appointment_is_provisional: bool


class ProcedurePage(Page[ProcedureView]):
    """A page of the procedure catalogue."""


class AgencyPage(Page[Agency]):
    """The agencies and communes that receive dossiers (one page: the list is short)."""


class DossierSummaryPage(Page[DossierSummary]):
    """A page of my dossiers, newest first."""


class AuditEventPage(Page[AuditEventView]):
    """A page of a dossier's audit trail, oldest first."""


class PersonalDataExport(ApiModel):
    """Everything Motcua holds about one citizen (their right to access their data)."""

    subject: str
    generated_at: datetime
    dossiers: list[DossierView]
    documents: list[dict[str, Any]] = Field(default_factory=list)
    feedback: list[dict[str, Any]] = Field(default_factory=list)
    # Notifications: the channels chosen and the devices registered for push (as stored, token hashed).
    notification_settings: dict[str, Any] | None = None
    devices: list[dict[str, Any]] = Field(default_factory=list)


class TaskView(ApiModel):
    """One open internal-procedure step of the caller (docs/domain.md §11.4), as their work list shows it."""

    dossier_id: str
    receipt_code: str
    procedure_code: str
    procedure_name_vi: str
    seq: int = Field(description="The step's order on the dossier (pass as step_seq to assign or complete it)")
    step_code: str
    step_name_vi: str
    unit: str
    agency_code: str
    role: Literal["lead", "supporting"]
    entered_at: datetime
    due_at: datetime | None = Field(default=None,
                                    description="The step's due time on the working-day clock; null: no budget")
    budget_hours: str | None = Field(default=None, description="The step's budget in working hours (decimal text)")
    hours_left: str | None = Field(default=None,
                                   description="Working hours left until due_at now (decimal text), 0 when overdue")
    overdue: bool


class TaskPage(Page[TaskView]):
    """A page of my open internal-procedure steps, the soonest due first."""


# --- online payment (docs/integrations.md §2) ------------------------------------------------------------

class PaymentRequest(ApiModel):
    """Which payment platform the citizen pays through (the national payment platform unless named)."""

    gateway: str = Field(default="national", pattern=r"^[a-z0-9-]{2,32}$")


class PaymentLinkView(ApiModel):
    """The open transaction of the dossier's financial obligation: the page to pay on. Asking again gives the
    same transaction and link until the platform reports it failed."""

    transaction_id: str
    gateway: str
    amount_vnd: int
    status: Literal["pending", "paid", "failed"]
    payment_url: str
    created_at: datetime


class PaymentCallback(ApiModel):
    """A payment platform's notification, its fields as the platform names them (docs/integrations.md §2);
    verified by its checksum (``MaXacThuc``), never trusted otherwise."""

    model_config = ConfigDict(extra="allow")


class PaymentCallbackAnswer(ApiModel):
    """The platform's acknowledgement (its own fields, signed); on a refusal also ``code`` and the messages."""

    model_config = ConfigDict(extra="allow")

    code: str | None = None
    message_vi: str | None = None
    message_en: str | None = None
