"""The forms the one-stop desk hands out, from the stored dossier (docs/documents.md §1):

* Form 01, the receipt and appointment slip (Decree 61/2018/NĐ-CP art. 19, Decree 118/2025/NĐ-CP; Circular
  01/2018/TT-VPCP and Circular 03/2025/TT-VPCP, Appendix I, Mẫu số 01): rendered the moment the dossier is
  received (a counter submission, the desk's ``receive`` of an online or postal dossier, or a supplement
  completing a dossier the desk found incomplete), stored in the documents bucket before the change that links
  it (``Dossier.receipt_slip_key``), as Form 04 is (``motcua.service.letters``).

Like the letters, the slip's object is content-addressed: a change that loses a race leaves an unlinked
object behind, never a linked one overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from motcua.data.documents import document_key, get_pdf
from motcua.domain.actors import Actor
from motcua.domain.calendar import default_calendar
from motcua.domain.catalogue import Agency, Channel, Procedure
from motcua.domain.dossier import Dossier
from motcua.domain.errors import NotFound
from motcua.service.letters import Issuer, LetterSettings, Store, store_form


class ReceiptSlipNotIssued(NotFound):
    code = "RECEIPT_SLIP_NOT_ISSUED"
    message_vi = "Hồ sơ chưa được tiếp nhận nên chưa có Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
    message_en = "The dossier has not been received yet, so it has no receipt and appointment slip (Form 01)."


Fetch = Callable[[str], bytes]


def collect_at(dossier: Dossier, desk: str) -> str:
    """Where the result is returned, as the slip's line 6 says (UNSURE: the form leaves it to the desk;
    the citizen's later choice of a return method is recorded on the result)."""
    if dossier.channel is Channel.ONLINE:
        return f"Cổng Dịch vụ công (trực tuyến) hoặc {desk}"
    if dossier.channel is Channel.POST:
        return f"Qua dịch vụ bưu chính công ích hoặc tại {desk}"
    return desk


@dataclass
class ReceiptSlips:
    settings: LetterSettings = field(default_factory=LetterSettings)
    store: Store = field(default_factory=lambda: store_form("01"))
    fetch: Fetch = get_pdf

    def attach(self, before: Dossier | None, changed: Dossier, actor: Actor, procedure: Callable[[str], Procedure],
               agencies: Callable[[], Mapping[str, Agency]]) -> Dossier:
        """``changed`` with its Form 01 rendered and stored, if this change is the one that received it
        (``received_at`` set now; ``before`` is the dossier as read, None for a new one); else unchanged. The
        catalogue is read only then."""
        if changed.received_at is None or (before is not None and before.received_at is not None):
            return changed
        from motcua.documents import pdf  # fpdf2: only where a form is made (cold start, docs/benchmarks.md)
        from motcua.documents.forms import DESK_NAME, ReceiptSlip, describe_fee

        issuer = Issuer.of(changed.agency_code, agencies())
        slip = ReceiptSlip.from_dossier(
            changed, agency_name=issuer.name, place=self.settings.place_of(issuer.code),
            collect_at=collect_at(changed, f"{DESK_NAME} - {issuer.name}"),
            fee_status=describe_fee(procedure(changed.procedure_code).fee),
            # Officials are known by their account (the token carries no name); UNSURE until a directory does.
            officer_name=actor.subject,
            same_day_cutoff=default_calendar().office_hours(changed.agency_code).same_day_cutoff)
        rendered = pdf.render_receipt_slip(slip)
        key = document_key(changed.id, "form01", rendered.pdf)
        self.store(key, rendered.pdf)
        return changed.model_copy(update={"receipt_slip_key": key})

    def read(self, dossier: Dossier) -> bytes:
        if dossier.receipt_slip_key is None:
            raise ReceiptSlipNotIssued({"dossier_id": dossier.id})
        return self.fetch(dossier.receipt_slip_key)
