"""Construct ids from declared names: `sla-sweep` -> `SlaSweep` (stable, so logical ids stay stable)."""

from __future__ import annotations

import re


def construct_name(declared: str) -> str:
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", declared) if p]
    if not parts:
        raise ValueError(f"cannot derive a construct id from {declared!r}")
    return "".join(p[:1].upper() + p[1:] for p in parts)
