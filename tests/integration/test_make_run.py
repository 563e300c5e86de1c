"""`make run` itself (``python -m infra.local run``), as a newcomer meets it: the engines, the seeded
catalogue, the API with the printed token, the demo province loaded in the background with its monthly
report on disk, and a clean stop on Ctrl-C (SIGINT) that leaves no port taken.

Its own state directory (``MOTCUA_LOCAL_DIR``) and free ports, so a developer's running stack and data are
never touched.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from infra.local.engines import REPO_ROOT, free_port, port_is_free

DEMO_DOSSIERS = 40


def _lines(stream, sink: queue.Queue[str]) -> None:
    for line in stream:
        sink.put(line)


def _wait_for(sink: queue.Queue[str], pattern: str, timeout_s: float, seen: list[str]) -> re.Match[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = sink.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if match := re.search(pattern, line):
            return match
    raise AssertionError(f"`{pattern}` not printed within {timeout_s} s; output:\n" + "".join(seen[-40:]))


def _get(url: str, token: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:  # a function's first invocation is a cold start in a new environment: slow on a loaded machine
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _cognito(front: str, printed: str) -> dict:
    """A printed curl line's call (``-H 'X-Amz-Target: ...'`` and ``-d '...'`` on the lines `make run` prints)."""
    request = json.loads(re.search(r"-d '(.+)'", printed).group(1))
    operation = {"Password": "SignUp", "ConfirmationCode": "ConfirmSignUp", "AuthFlow": "InitiateAuth"}
    (target,) = [op for key, op in operation.items() if key in request]
    sent = urllib.request.Request(front, data=json.dumps(request).encode(), method="POST", headers={
        "content-type": "application/x-amz-json-1.1", "x-amz-target": f"AWSCognitoIdentityProviderService.{target}"})
    with urllib.request.urlopen(sent, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def _block(seen: list[str], start: str, end: str | None) -> list[str]:
    """The printed lines from the one starting with ``start`` up to the one starting with ``end`` (or a blank)."""
    lines = [line.rstrip("\n") for line in seen]
    first = next(i for i, line in enumerate(lines) if line.strip().startswith(start))
    block = []
    for line in lines[first:]:
        if block and ((end and line.strip().startswith(end)) or (not end and not line.strip())):
            break
        block.append(line)
    return block


def _run_printed(seen: list[str], *blocks: tuple[str, str | None], env: dict[str, str], tmp_path: Path) -> str:
    """The printed commands of these blocks, in a shell, as a newcomer pastes them (their /tmp files in
    ``tmp_path``); returns what they printed."""
    script = "\n".join(line for start, end in blocks for line in _block(seen, start, end))
    script = "set -euo pipefail\n" + script.replace("/tmp/motcua-", f"{tmp_path}/motcua-")
    done = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, (script, done.stdout, done.stderr)
    return done.stdout + done.stderr


def test_make_run_serves_the_catalogue_loads_the_demo_province_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {"MOTCUA_API_PORT": free_port(), "MOTCUA_DYNAMODB_PORT": free_port(), "MOTCUA_MOTO_PORT": free_port(),
             "MOTCUA_COGNITO_PORT": free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "MOTCUA_LOCAL_DIR": str(tmp_path),
           "MOTCUA_DEMO_DOSSIERS": str(DEMO_DOSSIERS), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "infra.local", "run", "--in-memory"], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sink: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, sink), daemon=True).start()
    seen: list[str] = []
    try:
        url = _wait_for(sink, r"API on (http://127\.0\.0\.1:\d+)", 180, seen).group(1)
        cognito = _wait_for(sink, r"Cognito on (http://127\.0\.0\.1:\d+) \(user pool \S+, app client (\w+);", 10, seen)
        token = _wait_for(sink, r"export MOTCUA_TOKEN='([^']+)'", 10, seen).group(1)
        sign_up_and_in = [line.strip() for line in seen if "-d '{\"ClientId\"" in line]

        status, page = _get(f"{url}/procedures?limit=100")
        assert status == 200 and len(page["items"]) == 38  # the seeded catalogue
        status, mine = _get(f"{url}/me/dossiers", token)  # the printed token is accepted
        assert status == 200 and mine["items"] == []
        # The printed sign-up, confirmation and sign-in, as a mobile SDK makes them: that citizen's ID token too.
        assert len(sign_up_and_in) == 3 and cognito.group(2) in sign_up_and_in[0]
        answers = [_cognito(cognito.group(1), line) for line in sign_up_and_in]
        status, mine = _get(f"{url}/me/dossiers", answers[2]["AuthenticationResult"]["IdToken"])
        assert status == 200 and mine["items"] == []

        # The printed payment (step 4) of the dossier the printed submission (step 2) files, run as printed.
        _wait_for(sink, r"/_emulator/pay'", 10, seen)
        _wait_for(sink, r"/track/", 10, seen)  # the block's last line
        (payment_url,) = {m.group(1) for line in seen
                          if (m := re.search(r"payment platform (http://127\.0\.0\.1:\d+)", line))}
        answers_out = _run_printed(seen, ("# 2.", "# 3."), ("# 4.", None), env={**env, "MOTCUA_TOKEN": token},
                                   tmp_path=tmp_path)
        status, mine = _get(f"{url}/me/dossiers", token)
        assert status == 200 and len(mine["items"]) == 1, mine
        status, dossier = _get(f"{url}/dossiers/{mine['items'][0]['id']}", token)
        assert status == 200 and dossier["status"]["code"] == 4, (dossier, answers_out)  # paid, processing again
        assert [(e["action"], e["actor_role"]) for e in dossier["history"] if e["action"] == "record_payment"] \
            == [("record_payment", "system")], dossier  # recorded once, by the platform's notification
        status, platform = _get(f"{payment_url}/_emulator/state")
        assert [(c["status"], c["body"]["MaLoi"]) for c in platform["callbacks"]] == [(200, "00")], platform

        report = Path(_wait_for(sink, r"monthly report (\S+\.html)", 240, seen).group(1))
        assert report.parent == tmp_path / "reports"
        html = report.read_text(encoding="utf-8")
        assert html.lstrip().lower().startswith("<!doctype html") and "2026" in html
        status, index = _get(f"{url}/indexes/2026-10")
        assert status == 200
        assert index["rankings"]["agency"] and index["province"]["dossiers_received"] > 0
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0
    assert all(port_is_free(port) for port in ports.values()), "make run left a port taken after Ctrl-C"
