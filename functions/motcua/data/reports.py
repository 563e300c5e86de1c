"""The ``reports`` bucket: the monthly index's HTML report and open data (docs/index.md §9). Keys per month::

    index/<yyyy-mm>/report.html      the report (self-contained: inline CSS and SVG)
    index/<yyyy-mm>/index.json       open data: every unit's indicators, groups, total, rank
    index/<yyyy-mm>/indicators.csv   open data: one row per unit and indicator

A re-run overwrites the same keys (idempotent). Nothing here carries personal data: the service builds the
bodies from aggregates (the report lists late dossiers by receipt code only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
CSV = "text/csv; charset=utf-8"


@lru_cache(maxsize=1)
def _s3() -> Any:
    # Path-style addressing works against local endpoints (127.0.0.1) and in AWS.
    return boto3.client("s3", config=Config(s3={"addressing_style": "path"}))


def month_prefix(month: str) -> str:
    return f"index/{month}/"


@dataclass(frozen=True)
class ReportStore:
    bucket: str

    def put(self, key: str, body: str, content_type: str) -> str:
        _s3().put_object(Bucket=self.bucket, Key=key, Body=body.encode("utf-8"), ContentType=content_type,
                         CacheControl="no-cache")
        return key

    def get(self, key: str) -> str:
        return str(_s3().get_object(Bucket=self.bucket, Key=key)["Body"].read().decode("utf-8"))

    def keys(self, month: str) -> list[str]:
        response = _s3().list_objects_v2(Bucket=self.bucket, Prefix=month_prefix(month))
        return sorted(o["Key"] for o in response.get("Contents", []))
