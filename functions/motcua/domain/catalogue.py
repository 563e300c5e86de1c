"""The procedure catalogue (*danh mục thủ tục hành chính*): the stored and the published shape.

Every field that the seed marks UNSURE keeps that mark in the stored record's ``provenance.marks`` so the
catalogue's maintainers see what still needs checking against the national catalogue; UNSURE values are
configurable defaults. The public answers (``ProcedureView``) carry none of it.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from motcua.domain.clock import TimeLimit, TimeUnit
from motcua.domain.model import StrictModel

ProcedureCode = Annotated[str, Field(pattern=r"^\d\.\d{6}$", examples=["1.001193"])]
AgencyCode = Annotated[str, Field(pattern=r"^[0-9A-Z.]{3,40}$", examples=["000.20.01.H36"])]


class Level(StrEnum):
    PROVINCE = "province"
    COMMUNE = "commune"
    CENTRAL = "central"


class Channel(StrEnum):
    """*KenhThucHien* (LIKELY): 1 at the desk, 2 online, 3 public postal service."""

    COUNTER = "counter"
    ONLINE = "online"
    POST = "post"


class TimeLimitView(StrictModel):
    value: Decimal = Field(description="Amount in `unit`; fractional for half days")
    unit: TimeUnit
    text: str | None = None
    status: Literal["CONFIRMED", "LIKELY", "UNSURE"] = "UNSURE"

    def to_domain(self) -> TimeLimit:
        return TimeLimit(value=self.value, unit=self.unit)


class Fee(StrictModel):
    amounts_vnd: dict[str, int] | None = Field(
        default=None, description="Named amounts in VND; null when set by the province (HĐND tỉnh)"
    )
    set_by_province: bool = Field(description="Amount decided by the provincial council, not in the catalogue")
    text: str | None = None


class OnlineService(StrictModel):
    allowed: bool = Field(description="The procedure accepts online submission")
    level: Literal["full", "partial"] | None = Field(
        default=None, description="Decree 42/2022: toàn trình (full) or một phần (partial); null when unknown"
    )


class CompetentAgency(StrictModel):
    kind: Literal["commune", "department"]
    agency_code: str | None = Field(
        default=None, description="The department's code; null for commune-level procedures (the citizen picks)"
    )
    as_listed: str | None = Field(default=None, description="'Cơ quan thực hiện' as the catalogue lists it")


class Provenance(StrictModel):
    marks: dict[str, str] = Field(default_factory=dict, description="CONFIRMED / LIKELY / UNSURE per field")
    sources: list[dict[str, str]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    confidence: str | None = None


class ProcedureView(StrictModel):
    """What the public catalogue answers: everything a citizen needs to choose and prepare a submission."""

    code: str = Field(pattern=r"^\d\.\d{6}$", examples=["1.001193"], description="National TTHC code")
    name_vi: str
    sector: str
    sector_group: str
    level: Level
    competent_agency: CompetentAgency
    time_limit: TimeLimitView
    fee: Fee
    documents: list[str]
    online: OnlineService
    channels: list[Channel]
    returns_by_post: bool
    result: str | None = None
    publishing_decision: str | None = None
    effective_from: date = Field(description="First day this version of the record applies (2025 reform)")

    def accepts(self, channel: Channel) -> bool:
        return channel in self.channels


class Procedure(ProcedureView):
    """The stored record: the public view and the seed's provenance (review marks, sources), which stays with
    the catalogue's maintainers. A route typed ``ProcedureView`` serialises only the public fields."""

    provenance: Provenance = Field(default_factory=Provenance)


class Agency(StrictModel):
    code: str
    name_vi: str
    level: Level
    kind: Literal["province", "service_centre", "department", "commune"]
    parent: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
