"""Faults: storage going away under load. The scenarios run in their own processes (they restart engines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_scenario(module: str, **env: str) -> dict:
    full_env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'functions'}", **env}
    result = subprocess.run([sys.executable, "-m", module], cwd=ROOT, env=full_env, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_storage_outage_loses_no_accepted_submission_and_half_does_nothing() -> None:
    outcome = run_scenario("tests.faults.outage_scenario")
    results = outcome["results"]
    accepted = [r["body"] for r in results if r["status"] == 201]
    refused = [r for r in results if r["status"] != 201]
    assert accepted, "some submissions must have gone through"
    assert refused, "the outage must have refused some submissions (else it did not happen)"
    # Every failure was a clear, retryable answer: storage unavailable (503) or still in progress (409).
    for r in refused:
        assert (r["status"], r["body"]["code"]) in {(503, "STORAGE_UNAVAILABLE"), (409, "IDEMPOTENCY_IN_PROGRESS")}, r
    # Every accepted submission is there after the restart, whole: dossier, receipt item, first event.
    for body in accepted:
        assert outcome["dossiers"].get(body["id"]) == body["receipt_code"]
        assert outcome["receipts"][body["receipt_code"]] == body["id"]
        assert body["id"] in outcome["with_events"]
    # Nothing half-done: every stored dossier has its receipt and its event, and the receipt counters
    # match the dossiers (no gap, no double use).
    for dossier_id, code in outcome["dossiers"].items():
        assert outcome["receipts"][code] == dossier_id and dossier_id in outcome["with_events"]
    assert sum(outcome["counters"].values()) == len(outcome["dossiers"])
