"""Cognito user pool: who may call the API. A person's role and agency are custom attributes.

The API's JWT authoriser (``api.py``) verifies every token against this pool; the handler then builds the
actor from the ID token's claims, named in ``motcua.domain.access`` (``custom:role``, ``custom:agency_code``).
Only administrators set them: the app client may read but not write either, so a citizen who signs up
(no role attribute: a citizen) cannot promote themselves or join an agency. The declared Cognito triggers
(``infra.declaration.CognitoTrigger``) are wired here: the pre token generation trigger refuses a sign-in
whose role attribute no person holds and registers the subject the API will serve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import declaration as d
from infra.constructs.nag import acknowledge
from motcua.domain import access


def _attribute(claim: str) -> str:
    if not claim.startswith("custom:"):
        raise ValueError(f"claim {claim!r} is not a Cognito custom attribute")
    return claim.removeprefix("custom:")


# The claim names the handlers read, so the pool and the code cannot drift apart.
ROLE_ATTRIBUTE = _attribute(access.ROLE_CLAIM)
AGENCY_ATTRIBUTE = _attribute(access.AGENCY_CLAIM)
# The declared trigger kinds, as Cognito names them. Custom attributes take any string: the pre token
# generation trigger is what keeps the role claim to the person roles (motcua.domain.access.token_claims).
TRIGGER_OPERATIONS = {"pre_token_generation": cognito.UserPoolOperation.PRE_TOKEN_GENERATION}


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
                # Constraints of a custom attribute can never change once the pool exists: leave room.
                ROLE_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
                AGENCY_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
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
            "policy, enforced at onboarding.",
        )
        # COG8 (cdk-nag 3) asks for the PLUS plan, which is what carries threat protection.
        acknowledge(self.user_pool, "AwsSolutions-COG8", PLUS_PLAN_REASON)
        readable = (
            cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True, phone_number=True)
            .with_custom_attributes(ROLE_ATTRIBUTE, AGENCY_ATTRIBUTE)
        )
        writable = cognito.ClientAttributes().with_standard_attributes(email=True, fullname=True, phone_number=True)
        self.client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,  # a browser / mobile client cannot keep a secret
            prevent_user_existence_errors=True,
            read_attributes=readable,
            write_attributes=writable,  # no custom attribute: role and agency are set by administrators
            id_token_validity=Duration.seconds(access.TOKEN_LIFETIME_S),
            access_token_validity=Duration.seconds(access.TOKEN_LIFETIME_S),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )

    def wire_triggers(self, declared: Sequence[d.Function], functions: Mapping[str, lambda_.IFunction]) -> None:
        """Each declared Cognito trigger on this pool (CDK lets only this pool's ARN invoke the function)."""
        for spec in declared:
            for trigger in spec.triggers:
                if isinstance(trigger, d.CognitoTrigger):
                    if spec.timeout_s > d.COGNITO_TRIGGER_TIMEOUT_S:
                        raise ValueError(f"function {spec.name!r}: a Cognito trigger must answer within "
                                         f"{d.COGNITO_TRIGGER_TIMEOUT_S} s, its timeout is {spec.timeout_s} s")
                    self.user_pool.add_trigger(TRIGGER_OPERATIONS[trigger.operation], functions[spec.name])
