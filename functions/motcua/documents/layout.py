"""What every printed document shares: the bundled font, the national motto, Vietnamese text and dates as
documents print them, the frozen base of a document's data, and the rendered output with its signature box.

``forms`` (Forms 01 and 04) and ``results`` (the result notice) describe what a document says in these terms;
``pdf`` draws them. Like them, this module imports no PDF library.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from motcua.domain.calendar import VN_TZ

# --------------------------------------------------------------------------------------------------------
# Fonts: bundled with the package (never read from the build machine's /usr/share at run time).

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
FONT_FAMILY = "DejaVuSans"
FONT_FILES: dict[str, Path] = {"": ASSETS_DIR / "DejaVuSans.ttf", "B": ASSETS_DIR / "DejaVuSans-Bold.ttf"}

MOTTO_NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_SLOGAN = "Độc lập - Tự do - Hạnh phúc"
PRODUCER = "Motcua"


def nfc(value: str) -> str:
    # Input may arrive decomposed (NFD: base letter + combining marks, common from macOS and some IMEs).
    # The font maps precomposed letters to single glyphs, and text search/extraction expects NFC.
    return unicodedata.normalize("NFC", value).strip()


# Stripped before any min_length check, so "   " is refused where text is required.
VnText = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(nfc)]


# --------------------------------------------------------------------------------------------------------
# Dates in the Vietnamese administrative style


def vn_local(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: documents print local time and need an aware datetime")
    return at.astimezone(VN_TZ)


def format_date(at: datetime) -> str:
    """``27/11/2026`` (dd/mm/yyyy, in Asia/Ho_Chi_Minh)."""
    return vn_local(at).strftime("%d/%m/%Y")


def format_time(at: datetime) -> str:
    """``16:30`` (24-hour HH:MM, in Asia/Ho_Chi_Minh)."""
    return vn_local(at).strftime("%H:%M")


def format_datetime(at: datetime) -> str:
    """``16:30 ngày 27/11/2026``."""
    return f"{format_time(at)} ngày {format_date(at)}"


def format_place_date(place: str, at: datetime) -> str:
    """``Đà Lạt, ngày 23 tháng 11 năm 2026``.

    Decree 30/2020/NĐ-CP (document formatting, LIKELY): a day below 10 and the months 1 and 2 take a
    leading zero (``ngày 05 tháng 02``; but ``tháng 3``), so a date cannot be altered by adding a digit.
    """
    local = vn_local(at)
    day = f"{local.day:02d}"
    month = f"{local.month:02d}" if local.month <= 2 else str(local.month)
    return f"{nfc(place)}, ngày {day} tháng {month} năm {local.year}"


# --------------------------------------------------------------------------------------------------------
# Inputs and outputs


class DocumentData(BaseModel):
    """The data a document is drawn from: frozen, and an unknown field is refused."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class SignatureBox(DocumentData):
    """Where a visible signature goes: page index (0-based) and a rectangle in PDF points, origin at the
    bottom-left corner of the page (the convention pyHanko's field specs use)."""

    page: int = Field(ge=0)
    x1: float
    y1: float
    x2: float
    y2: float

    def as_tuple(self) -> tuple[int, int, int, int]:
        return round(self.x1), round(self.y1), round(self.x2), round(self.y2)


@dataclass(frozen=True)
class RenderedForm:
    pdf: bytes
    title: str
    # The empty area above the signer's name, for signing.sign_pdf(visible_box=...).
    signature_box: SignatureBox
