"""Who acts on a dossier. Roles come from verified token claims; the domain never trusts a client's say."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Role(StrEnum):
    CITIZEN = "citizen"
    RECEPTION_OFFICER = "reception_officer"
    PROCESSING_OFFICER = "processing_officer"
    AGENCY_LEADER = "agency_leader"
    INSPECTOR = "inspector"  # read-only, every agency of the province
    SYSTEM = "system"  # timers, back-office integrations acting under their own identity


OFFICIAL_ROLES = frozenset({Role.RECEPTION_OFFICER, Role.PROCESSING_OFFICER, Role.AGENCY_LEADER})
# The roles a person holds, the only ones a bearer token (a Cognito user's) may carry: `system` is for timers
# and back-office integrations, which act through IAM and the actions queue, never through the API's tokens.
PERSON_ROLES = frozenset(Role) - {Role.SYSTEM}


class Actor(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    subject: str  # the token's `sub`; for citizens, their VNeID/portal account
    role: Role
    agency_code: str | None = None  # officials' agency; none for citizens

    @property
    def is_official(self) -> bool:
        return self.role in OFFICIAL_ROLES
