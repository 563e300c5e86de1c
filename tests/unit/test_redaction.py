"""Publishing removes the author's identity values however they are written, and every ID, phone and e-mail."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from motcua.domain.redaction import redact

IDENTITY = (("full_name", "Nguyễn Thị Hằng"), ("national_id", "079203001234"), ("phone", "0912345678"),
            ("email", "hang.nguyen@example.vn"), ("address", "12 Trần Phú, phường Xuân Hương - Đà Lạt"))
SEPARATORS = st.text(alphabet=" .,-_/()", max_size=2)


def spaced(value: str, seps: list[str]) -> str:
    return "".join(c + seps[i % len(seps)] for i, c in enumerate(value)).rstrip(" .,-_/()")


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


@given(st.lists(SEPARATORS, min_size=1, max_size=12), st.sampled_from(["079203001234", "0912345678", "+84912345678",
                                                                         "001099012345", "0987654321"]))
def test_numbers_in_any_spacing_or_punctuation_are_removed(seps: list[str], number: str) -> None:
    text, removed = redact(f"Liên hệ {spaced(number, seps)} để biết thêm.", IDENTITY)
    assert digits(number)[-9:] not in digits(text), text
    assert removed and text.startswith("Liên hệ ") and text.endswith(" để biết thêm.")


@given(st.sampled_from(["NGUYỄN THỊ HẰNG", "nguyen-thi-hang", "Nguyễn  Thị, Hằng", "bà Hằng"]))
def test_the_authors_name_in_any_case_spacing_or_without_diacritics_is_removed(name: str) -> None:
    text, removed = redact(f"Công dân {name} hỏi về thời hạn.", IDENTITY)
    assert text == "Công dân " + ("bà …" if name == "bà Hằng" else "…") + " hỏi về thời hạn."
    assert [r.kind for r in removed] == ["author_full_name"]


def test_addresses_and_emails_are_removed_and_ordinary_words_stay() -> None:
    text, removed = redact("Ở 12 Trần Phú, phường Xuân Hương; thư HANG.NGUYEN @ example . vn hoặc a.b@c.org; "
                           "hàng hoá, 1.000 đồng, năm 2026.", IDENTITY)
    assert text == "Ở …, …; thư … hoặc …; hàng hoá, 1.000 đồng, năm 2026."
    assert [r.kind for r in removed] == ["author_address", "author_address", "author_email", "email"]
