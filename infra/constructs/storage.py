"""S3 buckets from the declaration, private and TLS-only, with server access logs to one log bucket.

A bucket declared with ``object_lock`` (signed documents) gets S3 Object Lock in governance mode with the
stage's retention. S3 then requires a checksum on every PutObject, which boto3 sends by default (1.36+).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import declaration as d
from infra.constructs.naming import construct_name

ACCESS_LOG_RETENTION = Duration.days(365)
NONCURRENT_VERSION_RETENTION = Duration.days(30)


class Storage(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        declared: Sequence[d.Bucket],
        allowed_origins: Sequence[str],
        *,
        lock_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.buckets: dict[str, s3.Bucket] = {}
        if not declared:
            return
        # Server access logs need SSE-S3 on the target bucket (SSE-KMS targets are not supported). cdk-nag
        # recognises it as a log target, so it needs no access log of its own.
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=ACCESS_LOG_RETENTION)],
            removal_policy=RemovalPolicy.RETAIN,
        )
        for spec in declared:
            name = construct_name(spec.name)
            self.buckets[spec.name] = s3.Bucket(
                self,
                name,
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                # Citizens' documents: an overwrite or delete stays recoverable for a while.
                versioned=True,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=f"{spec.name}/",
                # Browsers PUT and GET through presigned URLs, so the web origins need CORS.
                cors=[
                    s3.CorsRule(
                        allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.PUT, s3.HttpMethods.GET,
                                         s3.HttpMethods.HEAD],
                        allowed_origins=list(allowed_origins),
                        allowed_headers=["*"],
                        exposed_headers=["ETag"],
                        max_age=3600,
                    )
                ],
                lifecycle_rules=[
                    s3.LifecycleRule(
                        abort_incomplete_multipart_upload_after=Duration.days(1),
                        noncurrent_version_expiration=NONCURRENT_VERSION_RETENTION,
                    ),
                    *([s3.LifecycleRule(id="expire-tagged", expiration=Duration.days(spec.expire_tagged[2]),
                                        tag_filters={spec.expire_tagged[0]: spec.expire_tagged[1]})]
                      if spec.expire_tagged else []),
                ],
                # What an agency signed stays as signed: locked versions cannot be overwritten or deleted
                # before the retention ends, except by a principal granted s3:BypassGovernanceRetention.
                object_lock_enabled=True if spec.object_lock else None,
                object_lock_default_retention=(
                    s3.ObjectLockRetention.governance(Duration.days(lock_days)) if spec.object_lock else None
                ),
                removal_policy=RemovalPolicy.RETAIN,
            )
