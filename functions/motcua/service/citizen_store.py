"""The citizen's document store (docs/documents.md §5): what a submission reuses and records, the signed
electronic result issued on a decision, ``GET /me/documents`` and ``GET /documents/{id}/verify``.

* **Submission** (``DossierService.submit``): an attachment with ``document_id`` is resolved to the stored
  document (the citizen's own, still valid: ``check_reusable``) and recorded on the dossier as
  ``source="reused"``; every upload a citizen attaches is hashed and recorded in their store, in the
  dossier's own transaction. A reception officer's upload at the counter is ``digitised_at_desk``.
* **Decision** with ``electronic=True`` (``DossierService.act``): the result notice is rendered, signed with
  the deciding agency's certificate (``motcua.data.signing_keys``), stored in the ``documents`` bucket, recorded
  in the citizen's store and linked from the dossier (``Result.document_id``), and ``sync_citizen_data_store``
  is on the dossier's trail (indicator 4.4), all in the decision's own transaction (the object first).
* **Verification**: the stored bytes against the recorded SHA-256, and for a signed result the PAdES
  signature against the configured trust roots (``verification.verify``): any changed byte fails it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from motcua.data import citizen_store as blobs
from motcua.data.citizen_store import StoredDocumentRepository, StoredDocumentWrite
from motcua.data.signing_keys import agency_signer, signing_configured, trust_roots
from motcua.domain import actions as ev
from motcua.domain.access import require_role
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Agency, Procedure
from motcua.domain.citizen_store import (
    StoredDocument,
    StoredDocumentNotFound,
    check_reusable,
    check_upload,
    result_document_id,
    submitted_document_id,
)
from motcua.domain.dossier import Attachment, AttachmentIn, AttachmentSource, Dossier, HistoryEvent
from motcua.service.letters import UNSIGNED_NAME, LetterSettings
from schemas.documents import StoredDocumentView, VerificationView

log = logging.getLogger("motcua.documents")

DEFAULT_RESULT_NAME = "Kết quả giải quyết thủ tục hành chính"


def _now() -> datetime:
    return datetime.now(VN_TZ)


@dataclass
class CitizenStore:
    documents: StoredDocumentRepository = field(default_factory=StoredDocumentRepository)
    clock: Callable[[], datetime] = _now

    # -- submission ---------------------------------------------------------------------------------------
    def resolve(self, attachments: Sequence[AttachmentIn], owner: str, now: datetime,
                upload_source: AttachmentSource = "uploaded") -> list[Attachment]:
        """The dossier's attachments: stored documents checked and resolved to their objects, uploads as given."""
        out = []
        for x in attachments:
            if x.document_id is not None:
                stored = self.documents.get(x.document_id)
                check_reusable(stored, owner, now)
                out.append(Attachment(key=stored.key, document_name=x.document_name, source="reused",
                                      document_id=stored.id))
            else:
                assert x.key is not None  # AttachmentIn guarantees one of the two
                out.append(Attachment(key=x.key, document_name=x.document_name, source=upload_source))
        return out

    def record_uploads(self, dossier_id: str, owner: str, given: Sequence[AttachmentIn], attachments: list[Attachment],
                       now: datetime) -> tuple[list[Attachment], list[StoredDocumentWrite]]:
        """Every upload becomes a record of the citizen's store (hashed from the object itself); the attachments
        come back linked to their records (``document_id``)."""
        linked, writes = [], []
        for x, attachment in zip(given, attachments, strict=True):
            if attachment.source == "reused":
                linked.append(attachment)
                continue
            facts = self.verified_upload(attachment.key, owner)
            record = StoredDocument(
                id=submitted_document_id(dossier_id, attachment.key), owner=owner, kind="submitted",
                origin="digitised_at_desk" if attachment.source == "digitised_at_desk" else "uploaded",
                document_type=attachment.document_name, issuer_name=x.issuer, issued_on=x.issued_on,
                valid_until=x.valid_until, sha256=facts.sha256, size_bytes=facts.size_bytes,
                content_type=facts.content_type, bucket="uploads", key=attachment.key, dossier_id=dossier_id,
                stored_at=now)
            writes.append(StoredDocumentWrite(record))
            linked.append(attachment.model_copy(update={"document_id": record.id}))
        return linked, writes

    def verified_upload(self, key: str, caller: str) -> blobs.ObjectFacts:
        """The facts of an upload ``caller`` may attach (their own, as declared), marked attached."""
        facts = blobs.upload_facts(key)
        check_upload(key, caller, uploader=facts.metadata.get("uploader"),
                     declared_size=facts.metadata.get("declared-size"), declared_type=facts.content_type,
                     size=facts.size_bytes, head=facts.head)
        blobs.mark_attached(key)
        return facts

    def verify_uploads(self, keys: Sequence[str], caller: str) -> None:
        """Uploads attached without a store record (a desk's scan, a supplement): checked all the same."""
        for key in keys:
            self.verified_upload(key, caller)

    # -- reads --------------------------------------------------------------------------------------------
    def mine(self, actor: Actor, limit: int, after: str | None) -> tuple[list[StoredDocumentView], str | None]:
        require_role(actor, Role.CITIZEN)
        found, token = self.documents.owned_by(actor.subject, limit=limit, after=after)
        now = self.clock()
        return [self.view(d, now) for d in found], token

    def view(self, document: StoredDocument, now: datetime, *, with_url: bool = True) -> StoredDocumentView:
        url = None
        if with_url:
            url, _ = blobs.presign_get(document.bucket, document.key, now)
        return StoredDocumentView(
            id=document.id, kind=document.kind, origin=document.origin, document_type=document.document_type,
            issuer=document.issuer, issuer_name=document.issuer_name, issued_on=document.issued_on,
            valid_until=document.valid_until, expired=document.expired_on(now.astimezone(VN_TZ).date()),
            sha256=document.sha256, size_bytes=document.size_bytes, content_type=document.content_type,
            signed=document.signed, dossier_id=document.dossier_id, receipt_code=document.receipt_code,
            stored_at=document.stored_at, download_url=url)

    def export(self, actor: Actor) -> list[dict]:
        now = self.clock()
        return [self.view(d, now, with_url=False).model_dump(mode="json")
                for d in self.documents.all_of(actor.subject)]

    def verify(self, document_id: str) -> VerificationView:
        """Public. Only a signed result is answered; any other id, stored or not, gets the same 404 (no hint that
        a citizen's paper exists). A result's id is one-way derived from its dossier's (itself unguessable), so
        it is known only from the paper or to those who may read the dossier."""
        document = self.documents.get(document_id)
        if not document.publicly_verifiable:
            raise StoredDocumentNotFound({"document_id": document_id})
        now = self.clock()
        data = blobs.get_bytes(document.bucket, document.key)
        integrity = data is not None and hashlib.sha256(data).hexdigest() == document.sha256
        problems = [] if integrity else ["the stored file is missing" if data is None
                                         else "the stored file does not match the SHA-256 recorded when it was stored"]
        base = {"document_id": document.id, "document_type": document.document_type, "integrity": integrity,
                "checked_at": now}
        if not document.signed:
            return VerificationView(**base, valid=integrity, signed=False, problems=problems)
        roots = trust_roots()
        if data is None or not roots:
            problems += [] if roots else ["no trust roots configured: the signature cannot be checked"]
            return VerificationView(**base, valid=False, signed=True, signature_valid=False, problems=problems)
        from motcua.documents import verification  # pyHanko: only where a signature is checked (cold start)

        result = verification.verify(data, roots, at=now)
        return VerificationView(
            **base, valid=integrity and result.valid, signed=result.signed, signature_valid=result.valid,
            signature_intact=result.intact, signer_trusted=result.trusted,
            covers_whole_document=result.covers_whole_document, signer=result.signer,
            signer_agency_code=result.signer_agency_code, signed_at=result.signed_at, timestamped=result.timestamped,
            problems=[*problems, *result.problems])


@dataclass
class ResultIssuer:
    """The signed electronic result of a decision (see the module docstring)."""

    settings: LetterSettings = field(default_factory=LetterSettings)
    store: Callable[[str, bytes], None] = blobs.put_result

    def issue(self, dossier: Dossier, events: list[HistoryEvent], procedure: Procedure,
              agencies: Mapping[str, Agency], owner_is_citizen: bool,
              now: datetime) -> tuple[Dossier, list[HistoryEvent], list[StoredDocumentWrite]]:
        """``dossier``: just decided electronically (not yet written). Returns it linked to its signed result, the
        events to add, and the store record to write with it. Unchanged when signing is not configured."""
        if dossier.result is None or not dossier.result.electronic:
            return dossier, [], []
        if not signing_configured():
            log.warning("electronic result of dossier %s not signed: no signing keys configured", dossier.id)
            return dossier, [], []
        code = dossier.current_agency
        agency = agencies.get(code)
        name = agency.name_vi if agency is not None else code
        parent = agencies.get(agency.parent) if agency is not None and agency.parent else None
        kind = agency.kind if agency is not None else "department"
        signer = agency_signer(code, name)
        assert signer is not None  # configured
        document_id = result_document_id(dossier.id)
        result_name = procedure.result or DEFAULT_RESULT_NAME
        parent_name = parent.name_vi if parent is not None and kind == "department" else None
        # The result's form, PDF and signing libraries: only where a result is made (cold start, docs/benchmarks.md).
        from motcua.documents import pdf, signing
        from motcua.documents.results import ResultNotice

        notice = ResultNotice(
            agency_name=name, parent_agency_name=parent_name,
            place=self.settings.places.get(code, self.settings.default_place), decided_at=now,
            received_at=dossier.received_at or dossier.submitted_at, applicant_name=dossier.applicant.full_name,
            procedure_code=dossier.procedure_code, procedure_name=dossier.procedure_name_vi,
            receipt_code=dossier.receipt_code, result_name=result_name,
            result_files=tuple(k.rsplit("/", 1)[-1] for k in dossier.result.documents), document_id=document_id,
            signer_title=self.settings.signer_titles.get(kind, "Thủ trưởng cơ quan"),
            signer_name=self.settings.signer_names.get(code, UNSIGNED_NAME))
        rendered = pdf.render_result_notice(notice)
        signed = signing.sign_pdf(rendered.pdf, signer, signed_at=now, visible_box=rendered.signature_box)
        key = blobs.result_key(dossier.id, document_id, signed)
        self.store(key, signed)  # first: a change that loses a race leaves an unlinked object behind
        record = StoredDocument(
            id=document_id, owner=dossier.owner, kind="result", origin="electronic_result", document_type=result_name,
            issuer=code, issuer_name=name, issued_on=now.astimezone(VN_TZ).date(),
            sha256=hashlib.sha256(signed).hexdigest(), size_bytes=len(signed), bucket="documents", key=key,
            signed=True, dossier_id=dossier.id, receipt_code=dossier.receipt_code, stored_at=now)
        linked = dossier.model_copy(update={"result": dossier.result.model_copy(update={"document_id": document_id})})
        added: list[HistoryEvent] = []
        if owner_is_citizen:  # the citizen's store is keyed by their account: a counter dossier has none linked
            last = events[-1]
            added.append(HistoryEvent(
                dossier_id=dossier.id, occurred_at=now, action=ev.SYNC_CITIZEN_DATA_STORE, from_status=last.to_status,
                to_status=last.to_status, actor=last.actor, details={"document_id": document_id},
                request_id=last.request_id))
        return linked, added, [StoredDocumentWrite(record)]
