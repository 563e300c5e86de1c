"""SNS topics referenced by the declaration (``Ref("topic", name)``), created on first reference.

Encrypted with the AWS-managed ``aws/sns`` key: in-account publishers (the functions) need no key grant.
Publishing rights come from a function's declared ``sms`` permission (SNS Publish).
"""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.naming import construct_name


class Notifications(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.topics: dict[str, sns.Topic] = {}
        self._key: kms.IAlias | None = None

    def topic(self, name: str) -> sns.Topic:
        if name not in self.topics:
            if self._key is None:
                self._key = kms.Alias.from_alias_name(self, "SnsManagedKey", "alias/aws/sns")
            self.topics[name] = sns.Topic(self, f"{construct_name(name)}Topic", master_key=self._key, enforce_ssl=True)
        return self.topics[name]
