"""The example citizen's submission (a fictitious person): `make run` prints it, the tests and the load benchmark
send it, so the printed example is always one the API accepts. No imports: the load benchmark's locust workers
import it before gevent patches the network modules."""

from __future__ import annotations

from typing import Any

# An online-capable commune procedure and a commune that offers it, both in the seed catalogue.
DEMO_PROCEDURE = "1.001193"
DEMO_AGENCY = "000.20.01.H36"


def example_submission(procedure_code: str = DEMO_PROCEDURE, agency_code: str = DEMO_AGENCY) -> dict[str, Any]:
    return {
        "procedure_code": procedure_code,
        "agency_code": agency_code,
        "channel": "online",
        "applicant": {
            "full_name": "Nguyễn Thị Hằng",
            "national_id": "079203001234",
            "phone": "0912345678",
            "email": "hang.nguyen@example.vn",
            "address": "12 Trần Phú, phường Xuân Hương - Đà Lạt",
        },
        "attachments": [],
    }
