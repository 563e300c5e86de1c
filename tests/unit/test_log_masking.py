from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra import declaration
from infra.local.env import Endpoints, local_environment
from motcua.observability import MASK, mask_text, service_logger

ROOT = Path(__file__).resolve().parents[2]


def test_personal_data_is_erased_from_every_part_of_a_log_line() -> None:
    stream = io.StringIO()
    logger = service_logger(service="masking-test", stream=stream)
    applicant = {"national_id": "079203001234", "phone": "+84912345678", "email": "hang.nguyen@example.vn"}
    logger.info("submitted by 0912345678", extra={"applicant": applicant})
    try:
        raise ValueError("bad id 001099012345 for hang.nguyen@example.vn")
    except ValueError:
        logger.exception("failed")
    text = stream.getvalue()
    for secret in ("079203001234", "912345678", "hang.nguyen@example.vn", "001099012345"):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["applicant"]["national_id"] == MASK
    assert lines[0]["message"] == f"submitted by {MASK}"


def test_masking_keeps_what_is_not_personal() -> None:
    text = "receipt 000.20.01.H36-260302-0001 at 2026-03-02T09:00:00+07:00, 1772416800000 ms, version 12"
    assert mask_text(text) == text
    # A pool subject (a UUID) whose last group happens to be all digits is an identifier, not a CCCD.
    subject = "subject 4f1c2a9e-7b3d-4e8a-9c21-455012345678 signed in"
    assert mask_text(subject) == subject
    dossier = "dossier 88d785321636532e95b094a81707785b not signed"  # 12 digits in a row inside the id
    assert mask_text(dossier) == dossier
    assert mask_text("CCCD 455012345678, ref-455012345678, 0912345678abc") == f"CCCD {MASK}, ref-{MASK}, {MASK}abc"


# --- each declared handler, alone in a fresh process as on Lambda -------------------------------------------

SECRETS = ("079203001234", "0912345678", "hang.nguyen@example.vn")
_PROBE = """
import importlib, logging, sys
from aws_lambda_powertools import Logger
module = importlib.import_module(sys.argv[1])
# The HTTP functions share one logger (motcua.handlers.http), imported by each of their modules.
logger = getattr(module, "logger", None) or sys.modules["motcua.handlers.http"].logger
line = "citizen 079203001234 phone 0912345678 mail hang.nguyen@example.vn"
logger.info(line, extra={"applicant": {"national_id": "079203001234", "phone": "0912345678"}})
Logger(child=True).warning(line)  # what the modules a handler calls log through
try:
    raise ValueError(line)
except ValueError:
    logger.exception("failed")
print("probe-done", flush=True)
"""


@pytest.mark.parametrize("function", declaration.FUNCTIONS, ids=lambda f: f.name)
def test_every_declared_handler_masks_its_logs_in_a_fresh_process(function: declaration.Function) -> None:
    # Nothing configures a masking logger first here: the handler's module must do it itself.
    module = function.handler.rsplit(".", 1)[0]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "MOTCUA_"))},
           **local_environment(Endpoints(dynamodb="http://127.0.0.1:9", moto="http://127.0.0.1:9"), [function]),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "functions")])}
    done = subprocess.run([sys.executable, "-c", _PROBE, module], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "probe-done" in done.stdout, output[-2000:]
    assert output.count(MASK) >= 3, output[-2000:]
    for secret in SECRETS:
        assert secret not in output, (function.name, output[-2000:])
