"""Personal data removed from text before it is published (public feedback answers). Pure, no I/O.

Two passes over the text: first the author's own identity values (name, national ID, phone, e-mail, address)
in any spacing, punctuation, letter case or with the diacritics left out; then every national-ID, phone and
e-mail pattern, whoever's. What was removed is reported (kind and the text removed) so the official who
publishes sees it before anything is public.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict

MASK = "…"
_SEP = r"[\W_]*"  # any spacing or punctuation between two characters of a value
_WORD_SEP = r"[\W_]+"


class Removed(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: str  # author_name, author_national_id, ..., national_id, phone, email
    text: str


def _fold_char(c: str) -> str:
    # One character for one: positions in the folded text are positions in the original.
    base = unicodedata.normalize("NFD", c)[0].lower()
    return "d" if base == "đ" else base[0]


def fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def _digits_pattern(digits: str) -> str:
    return _SEP.join(re.escape(d) for d in digits) + r"(?!\d)"


def _words_pattern(value: str) -> str | None:
    words = [w for w in re.split(r"[\W_]+", fold(value)) if w]
    return r"(?<!\w)" + _WORD_SEP.join(re.escape(w) for w in words) + r"(?!\w)" if words else None


def _identity_patterns(kind: str, value: str) -> list[str]:
    digits = re.sub(r"\D", "", value)
    if kind == "phone" and digits:
        local = digits[2:] if digits.startswith("84") else digits.lstrip("0")
        return [r"(?<!\d)(?:(?:\+[\W_]*)?\(?84\)?[\W_]*|0[\W_]*)?" + _digits_pattern(local)]
    if kind == "national_id" and digits:
        return [r"(?<!\d)" + _digits_pattern(digits)]
    patterns = [_words_pattern(value)]
    if kind == "address":  # each part too: "12 Trần Phú", "phường Xuân Hương"
        patterns += [_words_pattern(part) for part in re.split(r"[,;\-–/]", value) if len(part.split()) >= 2]
    return [p for p in patterns if p]


_EMAIL = re.compile(r"[\w.+-]+[\s(\[]*(?:@|\bat\b)[\s)\]]*[\w-]+(?:[\s(\[]*(?:\.|\bdot\b)[\s)\]]*[\w-]+)+")
_NUMBER = re.compile(r"\+?\(?\d(?:[\s().,_\-/+]*\d){6,}\)?")


def _number_kind(fragment: str) -> str:
    digits = re.sub(r"\D", "", fragment)
    if (digits.startswith("84") and len(digits) in (11, 12)) or (digits.startswith("0") and len(digits) in (10, 11)):
        return "phone"
    return "national_id" if len(digits) in (9, 12) else "number"


def _constant(kind: str) -> Callable[[str], str]:
    return lambda _: kind


def redact(text: str, identity: Iterable[tuple[str, str]] = ()) -> tuple[str, list[Removed]]:
    """``text`` without the author's ``identity`` values (``(field, value)``: full_name, national_id, phone, email,
    address) and without any national-ID, phone or e-mail pattern; and what was removed, in order."""
    spans: list[tuple[int, int, str]] = []

    def take(pattern: re.Pattern[str], kind_of: Callable[[str], str], source: str,
             accept: Callable[[int], bool] = lambda _: True) -> None:
        for match in pattern.finditer(source):
            start, end = match.span()
            if end > start and accept(start) and not any(s < end and start < e for s, e, _ in spans):
                spans.append((start, end, kind_of(text[start:end])))

    folded = fold(text)
    given = dict(identity)
    # E-mail addresses first: a name inside one must not leave the rest of the address behind.
    for field in ("email", "national_id", "phone", "full_name", "address"):
        if given.get(field, "").strip():
            for pattern in _identity_patterns(field, given[field]):
                take(re.compile(pattern), _constant(f"author_{field}"), folded)
        if field == "email":
            take(_EMAIL, lambda _: "email", folded)
    names = given.get("full_name", "").split()
    if len(names) > 1:  # "bà Hằng": the given name alone, where it is written as a name (capitalised)
        take(re.compile(_words_pattern(names[-1]) or r"(?!)"), lambda _: "author_full_name", folded,
             accept=lambda start: text[start].isupper())
    take(_NUMBER, _number_kind, text)
    spans.sort()
    out, removed, at = [], [], 0
    for start, end, kind in spans:
        out += [text[at:start], MASK]
        removed.append(Removed(kind=kind, text=text[start:end]))
        at = end
    out.append(text[at:])
    return "".join(out), removed
