"""Officials' work list of internal-procedure steps (docs/domain.md §11.4), included by ``motcua.handlers.api``.

* ``GET /me/tasks``: the caller's open steps (lead or supporting), the soonest due first, with the working
  hours left. Assigning, reassigning and completing a step are dossier actions
  (``POST /dossiers/{id}/actions/assign_step`` and the others, and the actions queue).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from motcua.handlers import http_errors
from motcua.handlers.common import current_actor
from motcua.service.actions import service
from schemas.api import TaskPage

router = APIGatewayHttpRouter()
_errors = http_errors.documented_responses


@router.get("/me/tasks", tags=["officials"], operation_id="listMyTasks",
            summary="My open internal-procedure steps, the soonest due first", security=http_errors.BEARER,
            description="Officials: the steps where I am the lead or a supporting officer, with the working "
                        "hours left on each.",
            responses=_errors(401, 403))
def get_my_tasks(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=200)] = None,
) -> TaskPage:
    from motcua.service.steps import my_tasks  # the internal procedure's modules: on this route's first call

    items, token = my_tasks(current_actor(router), service.clock(), limit, next_token)
    return TaskPage(items=items, next_token=token)
