"""Form 04, the apology letter: rendered from the dossier's apology and stored before the change that links it.

Both paths that issue an apology call :meth:`ApologyLetters.attach` between the pure ``apply_action`` and the
version-guarded write: the officer's ``POST /dossiers/{id}/actions/apologise`` (``DossierService.act``) and the
automatic draft on a breach (``SlaSweeper``). So the ``dossier.apology_issued`` envelope written in the same
transaction already carries ``letter_key`` and the notifier can send the letter itself.

What the letter needs and the dossier does not hold (UNSURE, configuration with defaults, see
:class:`LetterSettings`): the place on the date line and the head of the agency who signs. The issuing agency
is the one handling the dossier (``current_agency``): the one that is late.

The automatic draft is not rendered on the sweep's path (a PDF costs about as much CPU as a hundred firings):
:meth:`ApologyLetters.draft` records the letter's key in the firing's transaction and
:meth:`ApologyLetters.render_pending` renders and stores it when the ``dossier.apology_issued`` envelope is
handled (the notifier, before it sends the e-mail that carries the letter). The outbox delivers that envelope
at least once, so the letter is rendered whatever happens to the sweep after its write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from motcua.data.documents import document_key, draft_key, pdf_exists, put_pdf
from motcua.data.repositories import CatalogueRepository, DossierNotFound, DossierRepository
from motcua.domain.catalogue import Agency
from motcua.domain.dossier import Dossier

if TYPE_CHECKING:
    from motcua.documents.forms import ApologyLetter

# Heads of agency by kind (Form 04 is signed by the head of the agency, docs/domain.md §4.7). LIKELY titles.
DEFAULT_SIGNER_TITLES: Mapping[str, str] = {
    "commune": "Chủ tịch",  # Chairman of the commune People's Committee
    "province": "Chủ tịch",
    "department": "Giám đốc",  # Director of a department (Sở)
    "service_centre": "Giám đốc",
}
# A draft with no configured name leaves the signer's line to be filled by hand (dotted, as on paper forms).
UNSIGNED_NAME = "........................................"


@dataclass(frozen=True)
class LetterSettings:
    """UNSURE: the place printed on the date line (province or city of the agency) and the signers' names are
    not in the catalogue; defaults for the seeds' province, overridable per agency code."""

    default_place: str = "Lâm Đồng"
    places: Mapping[str, str] = field(default_factory=dict)
    signer_titles: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SIGNER_TITLES))
    signer_names: Mapping[str, str] = field(default_factory=dict)

    def place_of(self, agency_code: str) -> str:
        return self.places.get(agency_code, self.default_place)


Store = Callable[[str, bytes], None]


def store_form(form: str) -> Store:
    """Writes a rendered form to the documents bucket, its form number in the object's metadata."""
    def store(key: str, pdf: bytes) -> None:
        put_pdf(key, pdf, form=form)
    return store


_store_in_documents_bucket = store_form("04")


@dataclass(frozen=True)
class Issuer:
    """The agency a form is issued in the name of, as printed: its name, its governing body, its kind."""

    code: str
    name: str
    parent_name: str | None
    kind: str

    @classmethod
    def of(cls, code: str, agencies: Mapping[str, Agency]) -> Issuer:
        agency = agencies.get(code)
        parent = agencies.get(agency.parent) if agency is not None and agency.parent else None
        return cls(code=code, name=agency.name_vi if agency is not None else code,
                   parent_name=parent.name_vi if parent is not None else None,
                   kind=agency.kind if agency is not None else "department")


@dataclass
class ApologyLetters:
    settings: LetterSettings = field(default_factory=LetterSettings)
    store: Store = _store_in_documents_bucket

    def letter_for(self, dossier: Dossier, agencies: Mapping[str, Agency]) -> ApologyLetter:
        # The forms: only where a letter is made, not at every dossier route's import (cold start, docs/benchmarks.md).
        from motcua.documents.forms import ApologyLetter

        issuer = Issuer.of(dossier.current_agency, agencies)
        return ApologyLetter.from_dossier(
            dossier,
            agency_name=issuer.name,
            parent_agency_name=issuer.parent_name if issuer.kind == "department" else None,
            place=self.settings.place_of(issuer.code),
            signer_title=self.settings.signer_titles.get(issuer.kind, "Thủ trưởng cơ quan"),
            signer_name=self.settings.signer_names.get(issuer.code, UNSIGNED_NAME),
        )

    def attach(self, dossier: Dossier, agencies: Mapping[str, Agency]) -> Dossier:
        """Render the letter of the apology just issued on ``dossier``, store it, and return the dossier with
        ``apology.letter_key`` set (to be written by the caller in the same change)."""
        from motcua.documents import pdf  # fpdf2: only where a letter is made (cold start, docs/benchmarks.md)

        rendered = pdf.render_apology_letter(self.letter_for(dossier, agencies))
        key = document_key(dossier.id, "form04", rendered.pdf)
        self.store(key, rendered.pdf)
        assert dossier.apology is not None
        return dossier.model_copy(update={"apology": dossier.apology.model_copy(update={"letter_key": key})})

    def draft(self, dossier: Dossier) -> Dossier:
        """The dossier with ``apology.letter_key`` set to the key the letter of this apology will be rendered
        under (``render_pending``), without rendering it."""
        apology = dossier.apology
        assert apology is not None
        identity = f"{dossier.id}|{apology.issued_at.isoformat()}|{apology.new_appointment_at.isoformat()}"
        key = draft_key(dossier.id, "form04", identity)
        return dossier.model_copy(update={"apology": apology.model_copy(update={"letter_key": key})})

    def render_pending(self, dossier: Dossier, agencies: Mapping[str, Agency],
                       exists: Callable[[str], bool] = pdf_exists) -> bool:
        """Render and store the letter of the dossier's apology under its recorded key, unless it is stored
        already (a duplicate delivery, an officer's letter rendered at once); True if it was rendered now."""
        apology = dossier.apology
        if apology is None or apology.letter_key is None or exists(apology.letter_key):
            return False
        from motcua.documents import pdf  # fpdf2: only where a letter is made (cold start, docs/benchmarks.md)

        self.store(apology.letter_key, pdf.render_apology_letter(self.letter_for(dossier, agencies)).pdf)
        return True


@dataclass
class AnnouncedLetters:
    """The consumer of the apology's envelope that renders its letter when it was only drafted (the notifier
    calls it for every message, before the notices: the citizen's e-mail attaches the letter)."""

    letters: ApologyLetters = field(default_factory=ApologyLetters)
    dossiers: DossierRepository = field(default_factory=DossierRepository)
    catalogue: CatalogueRepository = field(default_factory=CatalogueRepository)

    def render(self, body: str) -> bool:
        """True if the message announced an apology whose letter was rendered now. Anything else (another
        event, a malformed message, an unknown dossier) is left to the notifier's own checks."""
        try:
            envelope = json.loads(body)
            data = envelope["data"] if envelope.get("type") == "dossier.apology_issued" else None
            if not isinstance(data, dict):
                return False
            key, dossier_id = data.get("letter_key"), data.get("dossier_id")
        except (ValueError, TypeError, AttributeError, KeyError):
            return False
        if not isinstance(key, str) or not isinstance(dossier_id, str):
            return False
        try:
            dossier = self.dossiers.get(dossier_id)
        except DossierNotFound:
            return False
        if dossier.apology is None or dossier.apology.letter_key != key:
            return False
        return self.letters.render_pending(dossier, self.catalogue.agencies())
