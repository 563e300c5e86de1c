"""Cognito's pre token generation trigger (event version 1): the role a token carries, the subject known.

An exception here is Cognito's way to refuse a sign-in: a role no person holds, or a registry that cannot
be written, and no token is issued (``motcua.service.sign_in``).
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data import subjects
from motcua.data.models import bind
from motcua.domain.access import SignInRefused
from motcua.observability import service_logger
from motcua.service.sign_in import pre_token_generation, register_in
from motcua.settings import SignInSettings, load

logger = service_logger()
bind(load(SignInSettings).table_name)
register = register_in(subjects.register)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return pre_token_generation(event, register)
    except SignInRefused as refused:
        logger.warning("sign-in refused", extra={"trigger_source": event.get("triggerSource"), **refused.details})
        raise


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
