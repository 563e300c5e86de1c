from __future__ import annotations

import io
import json

from motcua.observability import MASK, mask_text, service_logger


def test_personal_data_is_erased_from_every_part_of_a_log_line() -> None:
    stream = io.StringIO()
    logger = service_logger(service="masking-test", stream=stream)
    applicant = {"national_id": "079203001234", "phone": "+84912345678", "email": "hang.nguyen@example.vn"}
    logger.info("submitted by 0912345678", extra={"applicant": applicant})
    try:
        raise ValueError("bad id 001099012345 for hang.nguyen@example.vn")
    except ValueError:
        logger.exception("failed")
    text = stream.getvalue()
    for secret in ("079203001234", "912345678", "hang.nguyen@example.vn", "001099012345"):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["applicant"]["national_id"] == MASK
    assert lines[0]["message"] == f"submitted by {MASK}"


def test_masking_keeps_what_is_not_personal() -> None:
    text = "receipt 000.20.01.H36-260302-0001 at 2026-03-02T09:00:00+07:00, 1772416800000 ms, version 12"
    assert mask_text(text) == text
