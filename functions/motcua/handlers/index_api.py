"""The ``api-index`` function: the monthly index and the citizen's evaluation (docs/index.md).

* ``POST /dossiers/{id}/evaluation``: the citizen owner (app) or a reception officer of the dossier's agency
  (counter kiosk) answers the survey of a returned dossier, once.
* ``GET /indexes/{month}`` and ``GET /indexes/{month}/{unit}``: **public**, like the national portal's
  index: aggregates only (rankings, every indicator's numerator, denominator, points and status).
* ``GET /indexes/{month}/{unit}/{indicator}/dossiers``: the receipt codes behind a figure, for the unit's
  leaders (or a parent unit's) and inspectors: receipt codes are how officials find dossiers, not something
  to publish next to a figure that names "late" dossiers.
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from functools import cache
from typing import TYPE_CHECKING, Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from motcua.data.models import bind
from motcua.domain.evaluation import Evaluation, EvaluationInput
from motcua.domain.index import Month
from motcua.handlers import http, http_errors
from motcua.handlers.common import current_actor, request_id
from motcua.handlers.params import DossierId
from motcua.service.dossier_reads import reads  # the read side: no route here takes a dossier action
from motcua.service.evaluations import EvaluationService
from motcua.settings import IndexApiSettings, load
from schemas.index import IndexDossiers, IndexMonth, UnitIndexView

if TYPE_CHECKING:
    from motcua.service.index.queries import IndexQueries

router = APIGatewayHttpRouter()

config = load(IndexApiSettings)
bind(config.table_name)

BEARER = http_errors.BEARER
_errors = http_errors.documented_responses  # every route: its own errors plus the ones any route can give

# The dossier core's clock and repository (service.dossier_reads): a test freezing one freezes both.
evaluations = EvaluationService(dossiers=reads.dossiers, clock=lambda: reads.clock())


@cache
def queries() -> IndexQueries:
    """Made on the first index read: it loads the seeded unit tree and catalogue, which no other route needs
    (imported here too: the evaluation routes do without its month summaries and open-data columns)."""
    from motcua.service.index.queries import IndexQueries

    return IndexQueries()


MonthParam = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="Calendar month, Asia/Ho_Chi_Minh",
                                 examples=["2026-09"])]
UnitParam = Annotated[str, Path(max_length=40, description="Unit code (agency, commune or the province)")]


@router.post("/dossiers/<dossier_id>/evaluation", tags=["evaluation"],
             operation_id="evaluateDossier", status_code=201, security=BEARER,
             summary="Rate a returned dossier (once): 9 criteria and the satisfaction question",
             description="The owner (in the app) or a reception officer of its agency (at the counter kiosk), once "
                         "the result is returned.",
             responses=_errors(400, 401, 403, 404, 409, ok=201))
def post_evaluation(dossier_id: DossierId, answer: EvaluationInput) -> Response[Evaluation]:
    evaluation = evaluations.submit(dossier_id, answer, current_actor(router), request_id(router))
    return http_errors.created(f"/dossiers/{dossier_id}/evaluation", evaluation)


@router.get("/dossiers/<dossier_id>/evaluation", tags=["evaluation"], operation_id="getDossierEvaluation",
            security=BEARER, summary="A dossier's evaluation", responses=_errors(401, 403, 404),
            description="Whoever may read the dossier (its owner, its agency's officials, inspectors); 404 until "
                        "it is evaluated.")
def get_evaluation(dossier_id: DossierId) -> Evaluation:
    reads.readable(dossier_id, current_actor(router), request_id(router))
    return evaluations.of(dossier_id)


@router.get("/indexes/<month>", tags=["index"],
            operation_id="getMonthIndex", summary="The month's index: rankings within each level (public)",
            description="The province's monthly service index: every unit's total and rank. Public, aggregates "
                        "only.",
            responses=_errors(400, 404))
def get_index_month(month: MonthParam) -> IndexMonth:
    return queries().month(Month.parse(month))


@router.get("/indexes/<month>/<unit>", tags=["index"], operation_id="getUnitIndex", responses=_errors(400, 404),
            summary="One unit's index: every indicator with numerator, denominator, points, status (public)",
            description="Public, aggregates only.")
def get_index_unit(month: MonthParam, unit: UnitParam) -> UnitIndexView:
    return queries().unit(Month.parse(month), unit)


@router.get("/indexes/<month>/<unit>/<indicator>/dossiers", tags=["index"],
            operation_id="listIndexDossiers", security=BEARER,
            summary="The receipt codes behind one figure (leaders of the unit or above, inspectors)",
            description="The dossiers (and feedback) counted in one indicator's numerator or denominator.",
            responses=_errors(400, 401, 403, 404))
def get_index_dossiers(
    month: MonthParam,
    unit: UnitParam,
    indicator: Annotated[str, Path(max_length=8, description="Indicator id, e.g. 2.1")],
    role: Annotated[Literal["numerator", "denominator"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    next_token: Annotated[str | None, Query(max_length=200)] = None,
) -> IndexDossiers:
    return queries().dossiers(Month.parse(month), unit, indicator, current_actor(router), role=role, limit=limit,
                            next_token=next_token)


app = http.resolver(router)
handler = http.lambda_handler(app)

startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
