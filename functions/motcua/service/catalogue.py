"""Catalogue queries: filter, search (diacritics-insensitive) and paginate the procedure list."""

from __future__ import annotations

import unicodedata

from motcua.data.repositories import CatalogueRepository
from motcua.domain.catalogue import Agency, Level, Procedure
from motcua.domain.errors import InvalidInput


class InvalidPageToken(InvalidInput):
    code = "PAGE_TOKEN_INVALID"
    message_vi = "Mã trang (next_token) không hợp lệ."
    message_en = "The page token (next_token) is invalid."


def fold(text: str) -> str:
    """Lower-case without diacritics, so "dang ky khai sinh" finds "Đăng ký khai sinh"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_procedures(
    repository: CatalogueRepository,
    *,
    agency: str | None = None,
    level: Level | None = None,
    text: str | None = None,
    limit: int = 20,
    next_token: str | None = None,
) -> tuple[list[Procedure], str | None]:
    """Procedures sorted by code; ``next_token`` is the last code of the previous page."""
    if next_token is not None and next_token not in repository.procedures():
        raise InvalidPageToken({"next_token": next_token})
    wanted = fold(text) if text else None
    matches = [
        p for code, p in sorted(repository.procedures().items())
        if (next_token is None or code > next_token)
        and (level is None or p.level is level)
        and (agency is None or p.competent_agency.agency_code == agency
             or (p.competent_agency.kind == "commune" and _is_commune(repository, agency)))
        and (wanted is None or wanted in fold(f"{p.code} {p.name_vi} {p.sector}"))
    ]
    page = matches[:limit]
    return page, (page[-1].code if len(matches) > limit else None)


def _is_commune(repository: CatalogueRepository, agency_code: str) -> bool:
    agency = repository.agencies().get(agency_code)
    return agency is not None and agency.kind == "commune"


def list_agencies(repository: CatalogueRepository, level: Level | None = None) -> list[Agency]:
    return [a for _, a in sorted(repository.agencies().items()) if level is None or a.level is level]
