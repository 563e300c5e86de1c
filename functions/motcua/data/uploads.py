"""Attachments live in S3; the API hands out presigned PUT URLs and never proxies file bytes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import lru_cache

import boto3
from botocore.config import Config

UPLOAD_URL_TTL = timedelta(minutes=15)


@lru_cache(maxsize=1)
def _s3():
    # Virtual-host addressing breaks on local endpoints (127.0.0.1); path style works in both places.
    return boto3.client("s3", config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))


def new_upload_key(file_name: str) -> str:
    return f"uploads/{uuid.uuid4().hex}/{file_name.replace(' ', '_')}"


def presign_put(bucket: str, key: str, content_type: str, now: datetime) -> tuple[str, datetime]:
    url = _s3().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
        ExpiresIn=int(UPLOAD_URL_TTL.total_seconds()),
    )
    return url, now + UPLOAD_URL_TTL
