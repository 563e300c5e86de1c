"""Cognito user pool: who may call the API. A person's role and agency are custom attributes.

Its settings (attributes, password policy, the client's flows and attributes) are declared as data in
``infra.declaration.USER_POOL``, which the local stack also reads to create the same pool in moto.

The API's JWT authoriser (``api.py``) verifies every token against this pool; the handler then builds the
actor from the ID token's claims, named in ``motcua.domain.access`` (``custom:role``, ``custom:agency_code``).
Only administrators set them: the app client may read but not write either, so a citizen who signs up
(no role attribute: a citizen) cannot promote themselves or join an agency. The declared Cognito triggers
(``infra.declaration.CognitoTrigger``) are wired here: the pre token generation trigger refuses a sign-in
whose role attribute no person holds and registers the subject the API will serve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy, SecretValue
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import declaration as d
from infra.constructs.constants import CTX_VNEID
from infra.constructs.nag import acknowledge

POOL = d.USER_POOL
_STANDARD = {"email": "email", "email_verified": "email_verified", "name": "fullname",
             "phone_number": "phone_number"}  # Cognito's attribute name -> CDK's keyword
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
            self_sign_up_enabled=POOL.self_sign_up,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
            ),
            custom_attributes={
                a.name: cognito.StringAttribute(min_len=a.min_len, max_len=a.max_len, mutable=a.mutable)
                for a in POOL.custom_attributes
            },
            password_policy=cognito.PasswordPolicy(
                min_length=POOL.password_policy.min_length,
                require_lowercase=POOL.password_policy.require_lowercase,
                require_uppercase=POOL.password_policy.require_uppercase,
                require_digits=POOL.password_policy.require_digits,
                require_symbols=POOL.password_policy.require_symbols,
                temp_password_validity=Duration.days(POOL.password_policy.temp_password_validity_days),
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
        self.readable = (
            cognito.ClientAttributes()
            .with_standard_attributes(**{_STANDARD[a]: True for a in POOL.readable_standard})
            .with_custom_attributes(*(a.name for a in POOL.custom_attributes))
        )
        writable = cognito.ClientAttributes().with_standard_attributes(
            **{_STANDARD[a]: True for a in POOL.writable_standard})
        self.client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(**{flow: True for flow in POOL.auth_flows}),
            # The pool's own accounts only: a federated provider has its own client (``federate``).
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            # No custom attribute: role and agency are set by administrators, the national ID by a provider.
            write_attributes=writable,
            **self._client_options(),
        )
        # The app clients whose tokens the API accepts (its JWT authoriser's audiences).
        self.clients: list[cognito.UserPoolClient] = [self.client]

    def _client_options(self) -> dict[str, Any]:
        return {
            "generate_secret": False,  # a browser / mobile client cannot keep a secret
            "prevent_user_existence_errors": True,
            "read_attributes": self.readable,
            "id_token_validity": Duration.seconds(POOL.token_lifetime_s),
            "access_token_validity": Duration.seconds(POOL.token_lifetime_s),
            "refresh_token_validity": Duration.days(POOL.refresh_token_days),
            "enable_token_revocation": True,
        }

    def federate(self, provider: d.FederatedProvider, config: Mapping[str, Any]) -> cognito.UserPoolClient:
        """``provider`` as an OpenID Connect identity provider of the pool, with the hosted sign-in domain and
        an app client of its own (config: context ``motcua:vneid``, ``infra/constructs/constants.py``).

        Cognito writes the mapped attributes at every federated sign-in, which needs the client to be allowed
        to write them; so only this client may, and it has no password flow and no
        ``aws.cognito.signin.user.admin`` scope: its tokens cannot change the user's attributes. The national
        ID in a token is thus always the provider's (docs/mobile.md, "VNeID").
        """
        required = ("issuer", "clientId", "clientSecretName", "domainPrefix", "callbackUrls")
        if missing := [key for key in required if not config.get(key)]:
            raise ValueError(f"{CTX_VNEID}: {', '.join(missing)} missing (all of {', '.join(required)} are needed)")
        declared = dict(provider.attribute_mapping)
        renamed = dict(config.get("claims") or {})
        if unknown := set(renamed) - set(declared):
            raise ValueError(f"{CTX_VNEID}: claims for {sorted(unknown)}, not mapped attributes {sorted(declared)}")
        claims = {**declared, **renamed}  # pool attribute -> the provider's claim
        # CDK takes a custom mapping's keys as the pool's attribute names, prefix included.
        custom = {attribute: cognito.ProviderAttribute.other(claim)
                  for attribute, claim in claims.items() if attribute.startswith("custom:")}
        standard = {_STANDARD[attribute]: cognito.ProviderAttribute.other(claim)
                    for attribute, claim in claims.items() if not attribute.startswith("custom:")}
        idp = cognito.UserPoolIdentityProviderOidc(
            self, provider.name,
            user_pool=self.user_pool,
            name=provider.name,
            issuer_url=str(config["issuer"]),
            client_id=str(config["clientId"]),
            # A dynamic reference, resolved by CloudFormation: the secret is never in the template.
            client_secret=SecretValue.secrets_manager(str(config["clientSecretName"])).unsafe_unwrap(),
            scopes=list(provider.scopes),
            attribute_request_method=cognito.OidcAttributeRequestMethod.GET,
            attribute_mapping=cognito.AttributeMapping(custom=custom, **standard),
        )
        self.user_pool.add_domain("SignInDomain", cognito_domain=cognito.CognitoDomainOptions(
            domain_prefix=str(config["domainPrefix"])))
        mapped = (cognito.ClientAttributes()
                  .with_standard_attributes(**{_STANDARD[a]: True for a in claims if not a.startswith("custom:")})
                  .with_custom_attributes(*(a.removeprefix("custom:") for a in custom)))
        callbacks = config["callbackUrls"]
        client = self.user_pool.add_client(
            f"{provider.name}Client",
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.custom(idp.provider_name)],
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),  # with PKCE, as a mobile app does
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.PROFILE, cognito.OAuthScope.EMAIL],
                callback_urls=[callbacks] if isinstance(callbacks, str) else [str(u) for u in callbacks],
            ),
            write_attributes=mapped,
            **self._client_options(),
        )
        # With no flow given, Cognito would allow SRP and custom sign-in: a pool account's password could then
        # sign in on this client and its token write the national ID. Refresh only.
        cfn_client = client.node.default_child
        assert isinstance(cfn_client, cognito.CfnUserPoolClient)
        cfn_client.explicit_auth_flows = ["ALLOW_REFRESH_TOKEN_AUTH"]
        client.node.add_dependency(idp)
        self.clients.append(client)
        return client

    def wire_triggers(self, declared: Sequence[d.Function], functions: Mapping[str, lambda_.IFunction]) -> None:
        """Each declared Cognito trigger on this pool (CDK lets only this pool's ARN invoke the function)."""
        for spec in declared:
            for trigger in spec.triggers:
                if isinstance(trigger, d.CognitoTrigger):
                    if spec.timeout_s > d.COGNITO_TRIGGER_TIMEOUT_S:
                        raise ValueError(f"function {spec.name!r}: a Cognito trigger must answer within "
                                         f"{d.COGNITO_TRIGGER_TIMEOUT_S} s, its timeout is {spec.timeout_s} s")
                    self.user_pool.add_trigger(TRIGGER_OPERATIONS[trigger.operation], functions[spec.name])
