"""The base of the domain's validated models, and the one value type they share with every request.

The API's models (``schemas``) are built on the same base, so a record, an event or an action body is as
strict about unknown fields as a request: a typo is an error, not silently ignored.
"""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from motcua.domain.errors import DatetimeOutOfRange


class StrictModel(BaseModel):
    """Strict about unknown fields: a typo in a request is an error, not silently ignored.

    Every model of Motcua defers building its validator to its first use (``defer_build``): a Lambda cold
    start then builds only the models its request touches, not the ~130 its modules declare
    (docs/benchmarks.md, cold start).
    """

    model_config = ConfigDict(defer_build=True, extra="forbid", populate_by_name=True)


def _in_service_years(value: datetime) -> datetime:
    # Checked on the year as written: comparing with an aware bound would itself overflow at year 1 or 9999.
    if not 2000 <= value.year <= 2099:
        raise PydanticCustomError(DatetimeOutOfRange.code, DatetimeOutOfRange.message_en)
    return value


# Every date and time a client sends (query or body): with its offset, and within the years served.
ClientDatetime = Annotated[AwareDatetime, AfterValidator(_in_service_years),
                           Field(description="ISO 8601 with offset, years 2000-2099")]
