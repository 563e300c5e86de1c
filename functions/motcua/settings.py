"""Environment of a function, validated once at cold start (a missing table name fails loudly there)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(min_length=3)
    uploads_bucket: str | None = None
    actions_queue_url: str | None = None
    max_body_bytes: int = 256 * 1024
    # Public tracking lookups per client address and hour (motcua.domain.limits).
    track_lookups_per_hour: int = Field(default=60, ge=1)


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", ""),
        uploads_bucket=env.get("UPLOADS_BUCKET"),
        actions_queue_url=env.get("ACTIONS_QUEUE_URL"),
        **({"track_lookups_per_hour": env["TRACK_LOOKUPS_PER_HOUR"]} if env.get("TRACK_LOOKUPS_PER_HOUR") else {}),
    )
