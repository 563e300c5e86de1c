"""Catalogue queries: filter, search (diacritics-insensitive) and paginate the procedure list."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import TypeVar

from motcua.data.repositories import CatalogueRepository
from motcua.domain.catalogue import Agency, Level, Procedure
from motcua.domain.errors import InvalidInput

T = TypeVar("T")


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
    wanted = fold(text) if text else None
    return _page(repository.procedures(), lambda p: (
        (level is None or p.level is level)
        and (agency is None or p.competent_agency.agency_code == agency
             or (p.competent_agency.kind == "commune" and _is_commune(repository, agency)))
        and (wanted is None or wanted in fold(f"{p.code} {p.name_vi} {p.sector}"))), limit, next_token)


def _is_commune(repository: CatalogueRepository, agency_code: str) -> bool:
    agency = repository.agencies().get(agency_code)
    return agency is not None and agency.kind == "commune"


def list_agencies(repository: CatalogueRepository, level: Level | None = None, *, limit: int = 500,
                  next_token: str | None = None) -> tuple[list[Agency], str | None]:
    """Agencies sorted by code; ``next_token`` is the last code of the previous page."""
    return _page(repository.agencies(), lambda a: level is None or a.level is level, limit, next_token)


def _page(by_code: Mapping[str, T], keep: Callable[[T], bool], limit: int,
          next_token: str | None) -> tuple[list[T], str | None]:
    """One page of ``by_code``'s entries that ``keep`` keeps, in code order, after the code ``next_token``."""
    if next_token is not None and next_token not in by_code:
        raise InvalidPageToken({"next_token": next_token})
    matches = [(code, item) for code, item in sorted(by_code.items())
               if (next_token is None or code > next_token) and keep(item)]
    page = matches[:limit]
    return [item for _, item in page], (page[-1][0] if len(matches) > limit else None)
