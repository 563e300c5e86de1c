"""An action on a dossier sent by a back-office system as an SQS message on the actions queue; its name and
``payload`` are the workflow's (``motcua.domain.commands``), the same as the HTTP API's action bodies.
"""

from pydantic import Field

from motcua.domain.actors import Actor
from motcua.domain.commands import ActionName
from schemas.common import ApiModel


class ActionMessage(ApiModel):
    """An action sent by a back-office system on the actions queue (FIFO, grouped by dossier id).

    ``source_system`` + ``action_id`` identify it for idempotency: a redelivered message changes the dossier
    once. The queue is reachable only by IAM-authorised systems, which vouch for ``actor``.
    """

    source_system: str = Field(min_length=2, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    action_id: str = Field(min_length=4, max_length=128)
    dossier_id: str = Field(min_length=8, max_length=64)
    action: ActionName
    actor: Actor
    payload: dict = Field(default_factory=dict)
