"""Logging that never carries personal data: every line is masked before it is written.

Handlers log through ``service_logger()``. Its formatter is Powertools' own, with a last step that erases
national ID numbers, Vietnamese phone numbers and email addresses wherever they appear in the line
(messages, extra keys, exception text), so a careless ``logger.info(dossier)`` still leaks nothing.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import PowertoolsLogRecord

MASK = "*****"
_PATTERNS = (
    re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])"),  # CCCD: 12 digits
    re.compile(r"(?<![0-9])(?:\+?84|0)(?:[35789][0-9]{8}|2[0-9]{9})(?![0-9])"),  # VN mobile / landline
    re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),  # email
)
_HEX = frozenset("0123456789abcdefABCDEF-")
# A digit run inside a long hex token (a dossier id of 32 hex, a UUID, a hash) is part of an identifier: a
# 32-hex id holds 12 digits in a row about once in 40 ids, and masking it would garble the id in the logs.
_IDENTIFIER_MIN = 24


def _inside_identifier(text: str, start: int, end: int) -> bool:
    while start > 0 and text[start - 1] in _HEX:
        start -= 1
    while end < len(text) and text[end] in _HEX:
        end += 1
    token = text[start:end]
    return len(token) >= _IDENTIFIER_MIN and any(c.isalpha() for c in token)


def personal_data_in(text: str) -> list[str]:
    """Every national ID, phone number or e-mail address in ``text`` (what :func:`mask_text` erases)."""
    return [m.group(0) for pattern in _PATTERNS for m in pattern.finditer(text)
            if not _inside_identifier(text, m.start(), m.end())]


def mask_text(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(0) if _inside_identifier(m.string, m.start(), m.end()) else MASK,
                           text)
    return text


def mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(v) for v in value)
    return value


_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class MaskingFilter(logging.Filter):
    """Masks the record itself, so every handler (Powertools', a test's, a forwarder's) sees it masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_value(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text("".join(traceback.format_exception(*record.exc_info)))
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, mask_value(value))
        return True


class MaskingFormatter(LambdaPowertoolsFormatter):
    """The last step of Powertools' JSON line (exception fields it builds from ``exc_info`` included)."""

    def serialize(self, log: dict[str, Any] | PowertoolsLogRecord) -> str:
        return mask_text(super().serialize(log))


def service_logger(**kwargs: Any) -> Logger:
    logger = Logger(logger_formatter=MaskingFormatter(), **kwargs)
    logger.addFilter(MaskingFilter())
    return logger
