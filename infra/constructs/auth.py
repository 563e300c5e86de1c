"""Cognito user pool: who may call the API. Roles are pool groups; an official's agency is a claim.

The API's JWT authoriser (``api.py``) verifies every token against this pool; the handler then reads
the role from ``cognito:groups`` and the agency from ``custom:agency`` (set only by administrators: the
app client cannot write it).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constructs import constants as c
from infra.constructs.nag import acknowledge
from infra.constructs.naming import construct_name
from motcua.domain.actors import Role

# Roles a person holds; `system` is for timers and back-office integrations, which use IAM, not tokens.
USER_ROLES: tuple[str, ...] = tuple(role.value for role in Role if role is not Role.SYSTEM)


PLUS_PLAN_REASON = (
    "Threat protection (advanced security) needs the PLUS feature plan, billed per monthly active user: "
    "disproportionate for a citizen-facing pool. Abuse is bounded by API stage throttling and Cognito's "
    "own sign-in rate limits; revisit if credential-stuffing shows up in the access logs."
)


class Auth(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=True,  # citizens register themselves; officials are created by admins
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
            ),
            custom_attributes={
                c.AGENCY_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is optional (TOTP) because citizens of every age and device sign in; requiring it would "
            "lock out those without an authenticator app. Officials' MFA enrolment is an operational "
            "policy (issue 5), enforced at onboarding.",
        )
        # COG8 (cdk-nag 3) asks for the PLUS plan, which is what carries threat protection.
        acknowledge(self.user_pool, "AwsSolutions-COG8", PLUS_PLAN_REASON)
        readable = (
            cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True, phone_number=True)
            .with_custom_attributes(c.AGENCY_ATTRIBUTE)
        )
        writable = cognito.ClientAttributes().with_standard_attributes(email=True, fullname=True, phone_number=True)
        self.client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,  # a browser / mobile client cannot keep a secret
            prevent_user_existence_errors=True,
            read_attributes=readable,
            write_attributes=writable,  # not custom:agency: a user must not move themselves to an agency
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )
        self.groups = {
            role: cognito.UserPoolGroup(
                self,
                f"{construct_name(role)}Group",
                user_pool=self.user_pool,
                group_name=role,
                description=f"Motcua role {role}",
            )
            for role in USER_ROLES
        }
