"""Request and response models of the postal collection and return routes (docs/integrations.md §3).

Their own module, imported only by the api function's postal routes: the other HTTP functions' cold start
does not load the carrier's domain (``motcua.domain.postal``) through ``schemas.api``.
"""

from datetime import datetime
from typing import Literal

from motcua.domain.postal import Receiver
from schemas.common import ApiModel


class PostalRequestIn(ApiModel):
    """Collection of the dossier at home and/or its result by post, and who the carrier meets (the receiver's
    details are kept on the order, never shown in a listing or a log line)."""

    collection: bool = False
    return_by_post: bool = False
    receiver: Receiver


class PostalOrderIn(ApiModel):
    """The desk creates the carrier order; ``receiver`` when the citizen gave (or corrected) the details at the
    desk, else the details the citizen asked with."""

    receiver: Receiver | None = None


class PostalOrderView(ApiModel):
    """One carrier order of the dossier: what the carrier reported last (its status code and item code)."""

    kind: Literal["collection", "return"]
    carrier: str
    state: Literal["requested", "queued", "created", "cancel_requested", "cancelled", "refused", "delivered",
                   "failed"]
    attempt: int
    requested_at: datetime
    item_code: str | None = None
    last_status: str | None = None
    delivered_at: datetime | None = None
    refused_code: str | None = None


class PostalOrders(ApiModel):
    """The dossier's postal orders, one per kind at most (absent: never asked for)."""

    collection: PostalOrderView | None = None
    return_by_post: PostalOrderView | None = None


class PostalCallbackAnswer(ApiModel):
    """The acknowledgement of a carrier's tracking step (``code`` ``00``: received; UNSURE what the carrier
    reads) and what Motcua did with it."""

    code: str = "00"
    outcome: Literal["recorded", "delivered", "duplicate"]
