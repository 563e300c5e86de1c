"""Attachments live in S3; the API hands out presigned POST forms and never proxies file bytes.

The form's policy pins the key, the declared content type, a size range up to the declared size, the
uploader (a digest of their subject, as object metadata) and the ``unattached`` tag that the bucket's
lifecycle rule expires; attaching the upload to a dossier re-tags it ``attached`` (``citizen_store``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import lru_cache

import boto3
from botocore.config import Config

from motcua.domain.citizen_store import UPLOAD_STATE_TAG, uploader_id

UPLOAD_URL_TTL = timedelta(minutes=15)


@lru_cache(maxsize=1)
def _s3():
    # Virtual-host addressing breaks on local endpoints (127.0.0.1); path style works in both places.
    return boto3.client("s3", config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))


def new_upload_key(file_name: str) -> str:
    return f"uploads/{uuid.uuid4().hex}/{file_name.replace(' ', '_')}"


def _tagging(state: str) -> str:
    return f"<Tagging><TagSet><Tag><Key>{UPLOAD_STATE_TAG}</Key><Value>{state}</Value></Tag></TagSet></Tagging>"


def presign_post(bucket: str, key: str, content_type: str, size_bytes: int, uploader: str,
                 now: datetime) -> tuple[str, dict[str, str], datetime]:
    """A form S3 accepts only for this key, type and uploader, and at most ``size_bytes`` long."""
    fields = {"Content-Type": content_type, "x-amz-meta-uploader": uploader_id(uploader),
              "x-amz-meta-declared-size": str(size_bytes), "tagging": _tagging("unattached")}
    conditions: list = [{name: value} for name, value in fields.items()]
    conditions.append(["content-length-range", 1, size_bytes])
    post = _s3().generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions,
                                         ExpiresIn=int(UPLOAD_URL_TTL.total_seconds()))
    return post["url"], dict(post["fields"]), now + UPLOAD_URL_TTL
