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


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", ""),
        uploads_bucket=env.get("UPLOADS_BUCKET"),
        actions_queue_url=env.get("ACTIONS_QUEUE_URL"),
    )
