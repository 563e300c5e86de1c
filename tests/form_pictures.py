"""The pictures of the forms in docs/documents.md, rendered from the samples the form tests open.

    make form-pictures     (i.e. .venv/bin/python -m tests.form_pictures)

pdfium (pypdfium2, a dev dependency) rasterises the first page at 110 dpi; nothing here runs in a test, so a
test run never rewrites the committed pictures.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2

from motcua.documents.pdf import render_control_slip, render_receipt_slip
from tests.unit.test_forms import sample_control_slip, sample_slip

DOCS = Path(__file__).resolve().parents[1] / "docs"


def write_picture(pdf: bytes, name: str) -> Path:
    page = pypdfium2.PdfDocument(pdf)[0]
    path = DOCS / name
    page.render(scale=110 / 72).to_pil().convert("L").save(path, optimize=True)
    return path


def main() -> None:
    print(write_picture(render_receipt_slip(sample_slip()).pdf, "form-01.png"))
    print(write_picture(render_control_slip(sample_control_slip()).pdf, "form-06.png"))


if __name__ == "__main__":
    main()
