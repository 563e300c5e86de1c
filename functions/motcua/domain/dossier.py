"""The dossier aggregate (*hồ sơ*): pure state and the rules that change it. No I/O here.

Every change produces a new ``Dossier`` (version + 1) and one append-only ``HistoryEvent``; the data
layer writes both in one transaction, guarded by the stored version (optimistic locking).
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from motcua.domain import clock
from motcua.domain.actors import Actor
from motcua.domain.catalogue import Channel, Procedure
from motcua.domain.citizen_store import AttachmentSourceInvalid
from motcua.domain.errors import Conflict, InvalidInput
from motcua.domain.legal import rule_version_at
from motcua.domain.model import StrictModel
from motcua.domain.status import DossierStatus, PauseReason
from motcua.domain.steps import ProcessPin, StepInstance, current_step


class ProcedureChannelNotAccepted(InvalidInput):
    code = "PROCEDURE_CHANNEL_NOT_ACCEPTED"
    http_status = 422
    message_vi = "Thủ tục này không nhận hồ sơ qua kênh đã chọn."
    message_en = "This procedure does not accept dossiers through the chosen channel."


class ProcedureOnlineNotAccepted(ProcedureChannelNotAccepted):
    code = "PROCEDURE_ONLINE_NOT_ACCEPTED"
    message_vi = "Thủ tục này không cho phép nộp hồ sơ trực tuyến."
    message_en = "This procedure does not accept online submission."


class StaleDossier(Conflict):
    code = "DOSSIER_VERSION_CONFLICT"
    message_vi = "Hồ sơ đã được người khác cập nhật. Vui lòng tải lại và thử lại."
    message_en = "The dossier was changed by someone else. Reload it and try again."


class Applicant(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    full_name: str
    national_id: str
    phone: str
    email: str | None = None
    address: str


AttachmentSource = Literal["uploaded", "digitised_at_desk", "reused"]


class Attachment(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    key: str
    document_name: str
    # Where the paper came from: uploaded by the citizen, scanned at the desk, or reused from the
    # citizen's document store (``document_id``, checked: theirs and still valid). The index counts these.
    source: AttachmentSource = "uploaded"
    document_id: str | None = None


UploadKey = Annotated[str, Field(pattern=r"^uploads/[0-9a-f]{32}/[A-Za-z0-9._-]{1,120}$",
                                 description="A key returned by POST /uploads")]

StoredDocumentId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$",
                                        description="A document of the citizen's store (GET /me/documents)")]


def _one_source(value: Any) -> Any:
    if isinstance(value, dict) and (value.get("key") is None) == (value.get("document_id") is None):
        raise PydanticCustomError(AttachmentSourceInvalid.code, "Give exactly one of key and document_id")
    return value


class AttachmentIn(StrictModel):
    """An uploaded file (``key`` from POST /uploads) or a document already in the citizen's store
    (``document_id``): exactly one of the two. A stored document must be the citizen's own and still valid."""

    key: UploadKey | None = None
    document_id: StoredDocumentId | None = None
    document_name: str = Field(min_length=1, max_length=300, examples=["Giấy chứng sinh"])
    # What the citizen may tell about an uploaded paper; kept with it in their document store.
    issuer: str | None = Field(default=None, max_length=300, description="Who issued the paper (uploads only)")
    issued_on: date | None = Field(default=None, description="When it was issued (uploads only)")
    valid_until: date | None = Field(default=None, description="Last day it is valid (uploads only)")

    _source = model_validator(mode="before")(_one_source)


class AttachmentInput(Protocol):
    """What an attachment carries (:class:`AttachmentIn`), once the service resolved a reused
    document to its stored object's key."""

    @property
    def key(self) -> str | None: ...

    @property
    def document_name(self) -> str: ...

    @property
    def document_id(self) -> str | None: ...


class AttachmentUnresolved(InvalidInput):
    code = "ATTACHMENT_UNRESOLVED"
    http_status = 422
    message_vi = "Tệp đính kèm cần khóa tải lên hoặc mã giấy tờ trong kho dữ liệu."
    message_en = "An attachment needs an upload key or a stored document id."


def attachment_from(x: AttachmentInput, source: AttachmentSource = "uploaded") -> Attachment:
    """An attachment from the API's: a reused stored document (``document_id``, its key already resolved by the
    service) or an upload of ``source``."""
    if x.key is None:
        raise AttachmentUnresolved({"document_name": x.document_name})
    if x.document_id is not None:
        return Attachment(key=x.key, document_name=x.document_name, source="reused", document_id=x.document_id)
    return Attachment(key=x.key, document_name=x.document_name, source=source)


class PauseRecord(BaseModel):
    """A stretch when the legal clock stood still (supplement awaited, financial obligation)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    start: datetime
    end: datetime | None = None
    reason: PauseReason

    def to_clock(self) -> clock.Pause:
        return clock.Pause(start=self.start, end=self.end)


class ControlSlipRow(BaseModel):
    """One hand-over on the processing control slip (Form 06)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    from_unit: str
    to_unit: str
    at: datetime
    giver: str
    step_result: Literal["early", "on_time", "late"]  # trước hạn / đúng hạn / quá hạn, by the one clock
    note: str | None = None


class Payment(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    amount_vnd: int
    description: str
    requested_at: datetime
    paid_at: datetime | None = None
    online: bool | None = None
    reference: str | None = None


class Result(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    documents: tuple[str, ...]
    electronic: bool
    decided_at: datetime
    return_method: Literal["counter", "post", "electronic"] | None = None
    document_id: str | None = None  # the signed electronic result in the citizen's store
    control_slip_key: str | None = None  # Form 06 as it stood when the result was returned (docs/documents.md §1)


class Apology(BaseModel):
    """Form 04: the apology with the reason and the new appointment (granted once)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    issued_at: datetime
    reason: str
    original_appointment_at: datetime
    new_appointment_at: datetime
    issued_by: str  # subject, or "system" when drafted automatically on breach
    letter_key: str | None = None  # the rendered PDF in S3


class HistoryEvent(BaseModel):
    """One append-only row of the dossier's trail: who did what, when, from which status to which."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    dossier_id: str
    occurred_at: datetime
    action: str
    from_status: DossierStatus | None
    to_status: DossierStatus
    actor: Actor
    note: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None


class Dossier(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str
    receipt_code: str
    procedure_code: str
    procedure_name_vi: str
    agency_code: str
    channel: Channel
    status: DossierStatus
    applicant: Applicant
    attachments: tuple[Attachment, ...] = ()
    owner: str  # the citizen's subject; their dossiers are theirs alone
    submitted_at: datetime
    received_at: datetime | None = None
    # Form 01, the receipt and appointment slip issued on reception (docs/documents.md §1): its PDF's key,
    # recorded by the receiving change, the PDF drawn after the commit.
    receipt_slip_key: str | None = None
    # Promised to the citizen (appointment slip); provisional until reception for online/post dossiers.
    appointment_at: datetime
    # The legal deadline: moves with pauses; the clock recomputes it on every status change.
    due_at: datetime
    time_limit: dict[str, str]  # the procedure's limit as judged on reception (effective-dated)
    pauses: tuple[PauseRecord, ...] = ()
    rule_version: str
    version: int = 0
    updated_at: datetime
    # Processing (docs/domain.md §3.1). The receiving agency stays ``agency_code``; the dossier
    # moves between handling agencies on transfers (liên thông), each of which may then see it.
    handling_agency_code: str | None = None
    involved_agencies: tuple[str, ...] = ()
    # The processing officer of the agency now handling the dossier (their subject): set by the workflow when
    # one acts on it, cleared on a transfer. SLA notices go to them and to the agency's leaders.
    processing_officer: str | None = None
    control_slip: tuple[ControlSlipRow, ...] = ()
    supplement_requests: int = 0
    payment: Payment | None = None
    result: Result | None = None
    finished_at: datetime | None = None  # decided (9), or stopped/refused: the end of processing
    returned_at: datetime | None = None
    stop_reason: str | None = None
    apology: Apology | None = None
    overdue_since: datetime | None = None  # set once by the SLA breach timer
    # SLA timers already fired, as "<kind>@<due_at ISO>" keys (motcua.domain.sla): exactly once per due date.
    sla_fired: tuple[str, ...] = ()
    # SHA-256 of the submission as received: a resubmission under the same idempotency key (the dossier id
    # derives from it) is the same one only if its body is too, however long after.
    submission_digest: str | None = None
    # The internal procedure (docs/domain.md §11.4): the definition pinned at reception, and every step
    # entered since, in order; the last one is open until the dossier leaves it.
    process: ProcessPin | None = None
    steps: tuple[StepInstance, ...] = ()

    @property
    def current_step(self) -> StepInstance | None:
        return current_step(self.steps)

    @property
    def legal_time_limit(self) -> clock.TimeLimit:
        return clock.TimeLimit(value=Decimal(self.time_limit["value"]), unit=clock.TimeUnit(self.time_limit["unit"]))

    @property
    def current_agency(self) -> str:
        return self.handling_agency_code or self.agency_code

    @property
    def agencies(self) -> frozenset[str]:
        """Every agency that may see this dossier: the receiving one and every one it was sent to."""
        return frozenset({self.agency_code, *self.involved_agencies})

    @property
    def open_pause(self) -> PauseRecord | None:
        return next((p for p in self.pauses if p.end is None), None)

    @property
    def appointment_is_provisional(self) -> bool:
        return self.received_at is None


def appointment_if_submitted(procedure: Procedure, channel: Channel, submitted_at: datetime,
                             agency_code: str) -> tuple[datetime, datetime]:
    """When the clock would start and the appointment the citizen would get (the app shows it before
    submission; ``open_dossier`` promises the same). At the counter the clock starts at once; otherwise at
    the next working moment."""
    if channel is Channel.COUNTER:
        starts_at = submitted_at
    else:
        starts_at = clock.effective_reception(submitted_at, online=True, agency=agency_code)
    return starts_at, clock.deadline_for(procedure.time_limit.to_domain(), starts_at, agency=agency_code)


def open_dossier(
    *,
    dossier_id: str,
    receipt_code: str,
    procedure: Procedure,
    agency_code: str,
    channel: Channel,
    applicant: Applicant,
    attachments: tuple[Attachment, ...],
    submitted_by: Actor,
    owner: str,
    now: datetime,
    request_id: str | None = None,
    submission_digest: str | None = None,
) -> tuple[Dossier, HistoryEvent]:
    """A new dossier. At the counter it is received on the spot (status 2, clock starts now); online or by
    post it is *submitted* (status 1) and its appointment is provisional: computed as if received at the
    next working moment (docs/domain.md §4.3: an online dossier outside office hours counts from the next working
    day), and recomputed on reception."""
    if not procedure.accepts(channel):
        error = ProcedureOnlineNotAccepted if channel is Channel.ONLINE else ProcedureChannelNotAccepted
        raise error({"procedure_code": procedure.code, "channel": channel.value,
                     "accepted_channels": [c.value for c in procedure.channels]})
    at_counter = channel is Channel.COUNTER
    _, deadline = appointment_if_submitted(procedure, channel, now, agency_code)
    limit = procedure.time_limit.to_domain()
    status = DossierStatus.RECEIVED if at_counter else DossierStatus.SUBMITTED
    dossier = Dossier(
        id=dossier_id,
        receipt_code=receipt_code,
        procedure_code=procedure.code,
        procedure_name_vi=procedure.name_vi,
        agency_code=agency_code,
        channel=channel,
        status=status,
        applicant=applicant,
        attachments=attachments,
        owner=owner,
        submitted_at=now,
        received_at=now if at_counter else None,
        appointment_at=deadline,
        due_at=deadline,
        time_limit={"value": str(limit.value), "unit": limit.unit.value},
        rule_version=rule_version_at(now).id,
        version=1,
        updated_at=now,
        submission_digest=submission_digest,
    )
    details: dict[str, Any] = {"channel": channel.value, "receipt_code": receipt_code}
    # The index's digitisation and reuse counters (4.2, 4.3) read these, from the dossier's own records.
    reused = [a.document_id for a in attachments if a.source == "reused"]
    if reused:
        details |= {"reused_documents": len(reused), "reused_document_ids": reused}
    if any(a.source == "digitised_at_desk" for a in attachments):
        details["digitised"] = True
    event = HistoryEvent(
        dossier_id=dossier_id,
        occurred_at=now,
        action="receive_at_counter" if at_counter else "submit",
        from_status=None,
        to_status=status,
        actor=submitted_by,
        details=details,
        request_id=request_id,
    )
    return dossier, event
