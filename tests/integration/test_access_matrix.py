"""Every role against every route and action, through the JWT authoriser (over the local user pool).

Zero cross-tenant reads: a citizen sees only their dossiers, an official only their agency's (and those
transferred to it), an inspector everything read-only; bad tokens never reach a handler.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from pathlib import Path

import jsonschema
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from infra.local.http_adapter import dispatch, http_routes
from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.domain.actors import Role
from motcua.domain.commands import ActionName
from motcua.domain.workflow import ROLES
from tests.integration.helpers import COMMUNE, announce, minted, subject_of, submission, verifier
from tests.integration.helpers import token as signed_in

OTHER = "000.20.02.H36"
PEOPLE = {
    "owner": ("citizen-owner", Role.CITIZEN, None),
    "other_citizen": ("citizen-other", Role.CITIZEN, None),
    "desk": ("desk-1", Role.RECEPTION_OFFICER, COMMUNE),
    "processor": ("proc-1", Role.PROCESSING_OFFICER, COMMUNE),
    "leader": ("lead-1", Role.AGENCY_LEADER, COMMUNE),
    "foreign_desk": ("desk-2", Role.RECEPTION_OFFICER, OTHER),
    "foreign_leader": ("lead-2", Role.AGENCY_LEADER, OTHER),
    "inspector": ("insp-1", Role.INSPECTOR, None),
}
ROUTES = http_routes()


def call(method: str, path: str, token: str | None = None, body: dict | None = None, query: dict | None = None):
    headers = [("content-type", "application/json"), ("idempotency-key", uuid.uuid4().hex)]
    if token:
        headers.append(("authorization", f"Bearer {token}"))
    raw = json.dumps(body).encode() if body is not None else None
    return dispatch(ROUTES, {"method": method, "path": path, "headers": headers, "body": raw, "query": query},
                    verifier=verifier())


def token(person: str) -> str:
    subject, role, agency = PEOPLE[person]
    return signed_in(subject, role, agency)


def _owner_claims() -> dict:
    return {"sub": subject_of("citizen-owner"), "custom:role": "citizen"}


def _other_key(claims: dict) -> str:
    key = RSAKey.generate_key(2048, parameters={"kid": "dummy"})  # moto's kid, another key
    now = int(time.time())
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, {"iat": now, "exp": now + 600, **claims}, key)


@pytest.fixture
def dossier_id(clean_table: str) -> str:
    seed_catalogue(clean_table)
    response = call("POST", "/dossiers", token("owner"), submission())
    assert response.status == 201, response.body
    return json.loads(response.body)["id"]


READERS = {"owner", "desk", "processor", "leader", "inspector"}


@pytest.mark.parametrize("person", list(PEOPLE))
def test_reads_of_a_dossier_by_every_role(dossier_id: str, person: str) -> None:
    for path in (f"/dossiers/{dossier_id}", f"/dossiers/{dossier_id}/history"):
        response = call("GET", path, token(person))
        expected = 200 if person in READERS else 403
        assert response.status == expected, (person, path, response.body)
        if expected == 403:
            assert json.loads(response.body)["code"] == "DOSSIER_ACCESS_DENIED"
            assert b"079203001234" not in response.body


# The forms the desk hands out (PDF): whoever may read the dossier, nobody else.
FORMS = ("receipt-slip", "control-slip")


@pytest.fixture
def received_id(dossier_id: str, local_stack, clean_queues: None) -> str:
    response = call("POST", f"/dossiers/{dossier_id}/actions/receive", token("desk"), {})
    assert response.status == 200, response.body
    announce(local_stack)  # Form 01 is drawn after the commit, from the reception's envelope
    return dossier_id


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_forms_of_a_dossier_by_every_role(received_id: str, person: str) -> None:
    for form in FORMS:
        response = call("GET", f"/dossiers/{received_id}/forms/{form}", token(person))
        expected = 200 if person in READERS else 403
        assert response.status == expected, (person, form, response.body[:200])
        if expected == 200:
            assert response.body.startswith(b"%PDF-")
        else:
            assert json.loads(response.body)["code"] == "DOSSIER_ACCESS_DENIED"
            _matches_documented("GET", f"/dossiers/{{dossier_id}}/forms/{form}", 403, response.body)


@pytest.mark.parametrize("action", list(ActionName))
def test_every_action_is_refused_to_every_role_not_entitled_to_it(dossier_id: str, action: ActionName) -> None:
    for person, (_, role, agency) in PEOPLE.items():
        response = call("POST", f"/dossiers/{dossier_id}/actions/{action.value}", token(person), {})
        entitled = role in ROLES[action] and (
            (role is Role.CITIZEN and person == "owner") or (role is not Role.CITIZEN and agency == COMMUNE))
        if entitled:
            # Entitled: whatever the answer (422 for a missing field, 409 for a status), never a 403.
            assert response.status != 403, (person, action, response.body)
        else:
            assert response.status in (403, 422), (person, action, response.body)
            if response.status == 403:
                assert json.loads(response.body)["code"] in ("ACTION_NOT_ALLOWED_FOR_ROLE", "ACTION_OUTSIDE_AGENCY")


# The internal-procedure step actions with a valid body, on a received dossier of a procedure with a definition
# (its first step open, nobody on the staff list: unassigned). Who gets through (docs/domain.md §11.4): the
# agency's leaders name and change the officers; the step's officers (none yet) or a leader complete it.
# The officer named is desk-1, by the pool's sub (read in the test: the pool is the session's).
STEP_BODIES = {
    ActionName.ASSIGN_STEP: {"lead": "desk-1"},
    ActionName.REASSIGN_STEP: {"lead": "desk-1", "reason": "Cân đối công việc"},
    ActionName.COMPLETE_STEP: {"step_action": "CHUYEN_XU_LY"},
}
STEP_PASSES = {"leader"}


def named_by_sub(body: dict) -> dict:
    return {**body, "lead": subject_of(body["lead"])} if "lead" in body else body


@pytest.mark.parametrize("action", list(STEP_BODIES), ids=str)
@pytest.mark.parametrize("person", list(PEOPLE))
def test_every_step_action_by_every_role(received_id: str, action: ActionName, person: str) -> None:
    # desk-1 on the staff list (saved settings): the officer the leader names must be of the step's agency and role.
    assert call("PUT", "/me/notification-settings", token("desk"), {}).status == 200
    body = named_by_sub(STEP_BODIES[action])
    response = call("POST", f"/dossiers/{received_id}/actions/{action.value}", token(person), body)
    if person in STEP_PASSES:
        assert response.status == 200, (person, action, response.body)
        return
    assert response.status == 403, (person, action, response.body)
    code = json.loads(response.body)["code"]
    # An official of the agency who may complete steps but is not this one's officer is refused on the step.
    assert code in ("ACTION_NOT_ALLOWED_FOR_ROLE", "ACTION_OUTSIDE_AGENCY", "STEP_NOT_ASSIGNED_TO_YOU"), code
    _matches_documented("POST", f"/dossiers/{{dossier_id}}/actions/{action.value}", 403, response.body)


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_task_list_by_every_role(received_id: str, person: str) -> None:
    response = call("GET", "/me/tasks", token(person))
    _, role, _ = PEOPLE[person]
    if role in (Role.CITIZEN, Role.INSPECTOR):
        assert response.status == 403, (person, response.body)
        _matches_documented("GET", "/me/tasks", 403, response.body)
    else:
        assert response.status == 200 and json.loads(response.body)["items"] == [], (person, response.body)


def test_refusals_come_before_body_validation_for_the_body_less_actions(dossier_id: str) -> None:
    # start_processing needs no body: the role check is what refuses the citizen.
    response = call("POST", f"/dossiers/{dossier_id}/actions/start_processing", token("other_citizen"), {})
    assert response.status == 403


def test_citizens_lists_never_show_another_citizens_dossier(dossier_id: str) -> None:
    other = json.loads(call("GET", "/me/dossiers", token("other_citizen")).body)
    assert other["items"] == []
    mine = json.loads(call("GET", "/me/dossiers", token("owner")).body)
    assert [d["id"] for d in mine["items"]] == [dossier_id]


def _tampered(original: str, **changes: str) -> str:
    header, payload, signature = original.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "bad_token",
    [
        pytest.param(lambda: minted(_owner_claims(), issued_at=time.time() - 10 * 3600), id="expired"),
        pytest.param(lambda: _other_key({**_owner_claims(), "iss": verifier().pool.issuer,
                                         "aud": verifier().pool.client_id, "token_use": "id"}), id="other-key"),
        pytest.param(lambda: _tampered(token("owner"), **{"custom:role": "inspector"}), id="altered-role"),
        pytest.param(lambda: minted({**_owner_claims(), "iss": "https://cognito-idp.ap-southeast-1.amazonaws.com/"
                                     "ap-southeast-1_other"}), id="wrong-issuer"),
        pytest.param(lambda: minted({**_owner_claims(), "aud": "another-app-client"}), id="wrong-audience"),
        pytest.param(lambda: minted({**_owner_claims(), "token_use": "refresh"}), id="wrong-token-use"),
        pytest.param(lambda: minted({**_owner_claims(), "token_use": "access", "aud": None}), id="access-no-client"),
        pytest.param(lambda: minted(_owner_claims(), ttl_s=2 * 3600), id="longer-than-the-pool-issues"),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
        pytest.param(lambda: None, id="missing"),
    ],
)
def test_bad_tokens_never_reach_a_handler(dossier_id: str, bad_token) -> None:
    response = call("GET", f"/dossiers/{dossier_id}", bad_token())
    assert response.status == 401
    assert b"079203001234" not in response.body


def test_a_validly_signed_token_claiming_the_system_role_reads_nothing(dossier_id: str) -> None:
    # The pool issues no such token (its trigger refuses the sign-in); one signed with its key anyway is refused.
    forged = minted({"sub": subject_of("citizen-owner"), "custom:role": "system"})
    for path in (f"/dossiers/{dossier_id}", f"/dossiers/{dossier_id}/history"):
        response = call("GET", path, forged)
        assert response.status == 403, response.body
        assert json.loads(response.body)["code"] == "ACCESS_DENIED"
        assert b"079203001234" not in response.body


def test_a_validly_signed_token_for_a_subject_never_issued_one_is_refused(dossier_id: str) -> None:
    # Signed with the pool's own key but never issued by it (the pool's trigger never saw the subject): as a
    # leaked key or a token minted outside the pool would be. (moto's key is public: locally, anyone can.)
    outsider = minted({"sub": str(uuid.uuid4()), "custom:role": "citizen"})
    for method, path, body in (("GET", "/me/dossiers", None), ("GET", "/me/notification-settings", None),
                               ("POST", "/dossiers", submission())):
        response = call(method, path, outsider, body)
        assert response.status == 401, (path, response.body)
        assert json.loads(response.body)["code"] == "SUBJECT_UNKNOWN"
        _matches_documented(method, path, 401, response.body)
    # Once the subject signs in (a token issued through the trigger), the same kind of token is served.
    signed_in("never-signed-in")
    known = minted({"sub": subject_of("never-signed-in"), "custom:role": "citizen"})
    assert call("GET", "/me/dossiers", known).status == 200


def test_public_routes_need_no_token(dossier_id: str) -> None:
    assert call("GET", "/procedures").status == 200
    assert call("GET", "/procedures/1.001193").status == 200
    receipt = json.loads(call("GET", f"/dossiers/{dossier_id}", token("owner")).body)["receipt_code"]
    tracked = call("GET", f"/track/{receipt}")
    assert tracked.status == 200 and b"079203001234" not in tracked.body

    # A carrier's callback needs no token either: it reaches the api, which refuses an unsigned one itself.
    callback = call("POST", "/postal/vnpost/callback", body={"OrderCode": f"{dossier_id}-R"})
    assert callback.status == 401 and json.loads(callback.body)["code"] == "POSTAL_CALLBACK_REJECTED"


# Postal orders (docs/integrations.md §3): the owner and the agency's desk ask and cancel; only the desk
# orders and retries; whoever may read the dossier sees its orders; nobody else learns anything.
POSTAL_ASKERS = {"owner", "desk", "leader"}
POSTAL_DESK = {"desk", "leader"}
RECEIVER = {"full_name": "Nguyễn Văn Bưu", "phone": "0912000111", "address": "1 Trần Hưng Đạo, Huế"}


@pytest.mark.parametrize("person", list(PEOPLE))
def test_postal_orders_by_every_role(dossier_id: str, person: str) -> None:
    base = f"/dossiers/{dossier_id}/postal"
    listed = call("GET", base, token(person))
    assert listed.status == (200 if person in READERS else 403), (person, listed.body)
    asked = call("POST", base, token(person), {"return_by_post": True, "receiver": RECEIVER})
    expected = 200 if person in POSTAL_ASKERS else 403
    assert asked.status == expected, (person, asked.body)
    if expected == 403:
        code = "DOSSIER_ACCESS_DENIED" if person not in READERS else "POSTAL_ACCESS_DENIED"
        assert json.loads(asked.body)["code"] == code
        assert RECEIVER["phone"].encode() not in asked.body
    ordered = call("POST", f"{base}/collection/order", token(person), {"receiver": RECEIVER})
    assert ordered.status == (200 if person in POSTAL_DESK else 403), (person, ordered.body)
    retried = call("POST", f"{base}/collection/retry", token(person))
    # the desk may send a queued order again (a lost message); everyone else is refused first
    assert retried.status == (200 if person in POSTAL_DESK else 403), (person, retried.body)
    cancelled = call("POST", f"{base}/collection/cancel", token(person))
    # the owner may cancel, but asked for no collection here (409); the desk cancels the one it ordered
    expected = 200 if person in POSTAL_DESK else 409 if person == "owner" else 403
    assert cancelled.status == expected, (person, cancelled.body)
    for response, path in ((listed, ""), (asked, ""), (ordered, "/{kind}/order")):
        if response.status == 403:
            _matches_documented("POST" if response is not listed else "GET", f"/dossiers/{{dossier_id}}/postal{path}",
                                403, response.body)


OPENAPI = json.loads((Path(__file__).parents[2] / "schemas" / "openapi.json").read_text(encoding="utf-8"))


def _matches_documented(method: str, path: str, status: int, body: bytes) -> None:
    documented = OPENAPI["paths"][path][method.lower()]["responses"][str(status)]
    schema = {**documented["content"]["application/json"]["schema"], "components": OPENAPI["components"]}
    jsonschema.Draft202012Validator(schema).validate(json.loads(body))


@pytest.mark.parametrize("bad_token", [None, "not.a.jwt"], ids=["missing", "garbage"])
def test_the_gateways_401_is_what_every_authorised_route_documents(clean_table: str, bad_token) -> None:
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security"):
                continue
            concrete = re.sub(r"{\w+}", "d" * 32, path)
            response = call(method.upper(), concrete, bad_token, {} if method in ("post", "put") else None)
            assert response.status == 401, (method, path, response.body)
            _matches_documented(method, path, 401, response.body)


def test_the_413_is_what_the_routes_document(clean_table: str) -> None:
    # The function's own limit (256 KiB), under the gateway's quota, answers in the error shape.
    too_big = call("POST", "/dossiers", token("owner"), {"x": "a" * 2_000_000})
    assert (too_big.status, json.loads(too_big.body)["code"]) == (413, "REQUEST_BODY_TOO_LARGE")
    _matches_documented("POST", "/dossiers", 413, too_big.body)


def test_no_route_is_a_documented_404_in_the_error_shape(clean_table: str) -> None:
    missing = call("GET", "/me/nothing-here", token("owner"))
    assert (missing.status, json.loads(missing.body)["code"]) == (404, "ROUTE_NOT_FOUND")
    _matches_documented("GET", "/me/dossiers", 404, missing.body)


def test_every_201_says_where_the_created_resource_is(dossier_id: str) -> None:
    # Location on each 201, as the document says; reading it back gives the resource just created.
    created = call("POST", "/dossiers", token("owner"), submission())
    assert created.header("location") == f"/dossiers/{json.loads(created.body)['id']}"
    assert json.loads(call("GET", created.header("location"), token("owner")).body)["id"] == json.loads(
        created.body)["id"]
    feedback = call("POST", "/feedback", token("owner"), {
        "about": "dossier", "dossier_id": dossier_id, "category": "procedure", "title": "Trễ hẹn",
        "content": "Cán bộ hẹn ngày trả kết quả nhưng không trả đúng hẹn."})
    assert feedback.status == 201, feedback.body
    assert feedback.header("location") == f"/feedback/{json.loads(feedback.body)['id']}"
    assert call("GET", feedback.header("location"), token("owner")).status == 200
    documented = [(path, method) for path, operations in OPENAPI["paths"].items()
                  for method, operation in operations.items() if "201" in operation["responses"]]
    assert documented and all(
        OPENAPI["paths"][p][m]["responses"]["201"]["headers"]["Location"] for p, m in documented)
