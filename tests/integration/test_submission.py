"""Submission and tracking end to end: handler in-process, real DynamoDB Local underneath."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import boto3
import pytest

from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.domain.calendar import VN_TZ
from tests.integration.helpers import COMMUNE, all_pages, bearer, subject_of, submission, submit_headers


@pytest.fixture(autouse=True)
def catalogue(clean_table: str) -> None:
    seed_catalogue(clean_table)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """Freeze the service clock at a given Vietnam-local time."""

    from motcua.handlers import api  # imported once the stack's environment is in place

    def freeze(*parts: int) -> datetime:
        moment = datetime(*parts, tzinfo=VN_TZ)
        monkeypatch.setattr(api.service, "clock", lambda: moment)
        return moment

    return freeze


def test_online_submission_gets_a_receipt_code_and_a_provisional_appointment(api_client, at) -> None:
    # Given Monday 2 March 2026, 10:00 (a working day), When a citizen submits a 5-working-day procedure
    at(2026, 3, 2, 10, 0)
    response = api_client.post("/dossiers", json=submission("1.001266", agency_code=COMMUNE), headers=submit_headers())
    # Then: 201, the national code shape with the local date and sequence 0001, status 1 "Mới đăng ký"
    assert response.status == 201, response.text
    dossier = response.json()
    assert dossier["receipt_code"] == f"{COMMUNE}-260302-0001"
    assert dossier["status"] == {"code": 1, "name_vi": "Mới đăng ký"}
    # Received inside office hours on a working day: 5 working days after Monday 2/3 is Monday 9/3,
    # the deadline closes at 17:00 that day (the reception day itself does not count).
    assert dossier["appointment_at"] == "2026-03-09T17:00:00+07:00"
    assert dossier["appointment_is_provisional"] is True
    assert dossier["applicant"]["phone"] == "+84912345678"
    assert [e["action"] for e in dossier["history"]] == []  # the POST answer carries no history yet


def test_submission_at_the_weekend_counts_from_the_next_working_day(api_client, at) -> None:
    # Saturday 7/3/2026 22:00 → counts from Monday 9/3 07:30; 3 working days → Thursday 12/3 17:00.
    at(2026, 3, 7, 22, 0)
    response = api_client.post("/dossiers", json=submission("1.001612"), headers=submit_headers())
    assert response.status == 201, response.text
    assert response.json()["appointment_at"] == "2026-03-12T17:00:00+07:00"


def test_a_retry_with_the_same_key_returns_the_same_dossier_and_creates_nothing(api_client, local_stack) -> None:
    headers = submit_headers(key="retry-key-0001")
    first = api_client.post("/dossiers", json=submission(), headers=headers)
    second = api_client.post("/dossiers", json=submission(), headers=headers)
    assert first.status == second.status == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["receipt_code"] == second.json()["receipt_code"]
    table = boto3.resource("dynamodb").Table(local_stack.table_name)
    dossiers = [i for i in table.scan()["Items"] if i["sk"] == "DOSSIER"]
    assert len(dossiers) == 1


def test_the_same_key_with_another_body_is_a_conflict(api_client) -> None:
    headers = submit_headers(key="retry-key-0002")
    assert api_client.post("/dossiers", json=submission(), headers=headers).status == 201
    changed = submission(applicant={**submission()["applicant"], "full_name": "Trần Văn Bình"})
    response = api_client.post("/dossiers", json=changed, headers=headers)
    assert response.status == 409
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def _forget_idempotency_records(table_name: str) -> None:
    """What the TTL does once a record has expired: Powertools no longer remembers the key."""
    table = boto3.resource("dynamodb").Table(table_name)
    for item in table.scan()["Items"]:
        if item["pk"].startswith("IDEMPOTENCY#"):
            table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})


def test_an_expired_key_is_never_honoured_for_another_body(api_client, local_stack) -> None:
    headers = submit_headers(key="retry-key-0003")
    first = api_client.post("/dossiers", json=submission(), headers=headers)
    assert first.status == 201
    _forget_idempotency_records(local_stack.table_name)
    changed = submission(applicant={**submission()["applicant"], "full_name": "Trần Văn Bình"})
    response = api_client.post("/dossiers", json=changed, headers=headers)
    assert response.status == 409, response.text
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    # the same body after expiry is still the same submission: the first dossier, not a second one
    again = api_client.post("/dossiers", json=submission(), headers=headers)
    assert again.status == 201 and again.json()["id"] == first.json()["id"]


def test_keys_belong_to_one_citizen(api_client) -> None:
    # Two citizens who happen to pick the same key get two dossiers.
    a = api_client.post("/dossiers", json=submission(), headers=submit_headers("citizen-a", key="same-key-1234"))
    b = api_client.post("/dossiers", json=submission(), headers=submit_headers("citizen-b", key="same-key-1234"))
    assert a.status == b.status == 201
    assert a.json()["id"] != b.json()["id"]


def test_a_missing_idempotency_key_is_refused(api_client) -> None:
    response = api_client.post("/dossiers", json=submission(), headers=bearer())
    assert response.status == 400
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REQUIRED"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (
            {"applicant": {**submission()["applicant"], "national_id": "07920300123"}},
            422,
            "APPLICANT_NATIONAL_ID_INVALID",
        ),
        ({"applicant": {**submission()["applicant"], "phone": "+14155550100"}}, 422, "APPLICANT_PHONE_INVALID"),
        ({"applicant": {**submission()["applicant"], "email": "not-an-email"}}, 422, "APPLICANT_EMAIL_INVALID"),
        ({"procedure_code": "2.000986", "channel": "online"}, 422, "PROCEDURE_ONLINE_NOT_ACCEPTED"),
        ({"procedure_code": "1.004222", "channel": "post"}, 422, "PROCEDURE_CHANNEL_NOT_ACCEPTED"),
        ({"procedure_code": "9.999999"}, 404, "PROCEDURE_NOT_FOUND"),
        ({"agency_code": None}, 422, "AGENCY_REQUIRED"),
        ({"agency_code": "000.00.12.H36"}, 422, "AGENCY_NOT_COMPETENT"),
        ({"procedure_code": "2.001610", "agency_code": "000.00.13.H36"}, 422, "AGENCY_NOT_COMPETENT"),
        ({"channel": "pigeon"}, 422, "REQUEST_VALIDATION_FAILED"),
        ({"unexpected": 1}, 422, "REQUEST_VALIDATION_FAILED"),
    ],
)
def test_bad_submissions_get_their_own_stable_code(api_client, change, status, code) -> None:
    response = api_client.post("/dossiers", json=submission(**change), headers=submit_headers())
    assert response.status == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message_vi"] and body["message_en"]
    assert "079203001" not in response.text or code != "APPLICANT_NATIONAL_ID_INVALID"  # never echoes input


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ("x" * (300 * 1024), {"content-type": "application/json"}, 413, "REQUEST_BODY_TOO_LARGE"),
        ('{"procedure_code": "1.001193"}', {"content-type": "text/plain"}, 415, "REQUEST_CONTENT_TYPE_UNSUPPORTED"),
        (b'{"procedure_code": "\xff\xfe"}', {"content-type": "application/json"}, 400, "REQUEST_BODY_NOT_UTF8"),
        ("[" * 5000 + "]" * 5000, {"content-type": "application/json"}, 400, "REQUEST_BODY_TOO_DEEP"),
        ('{"procedure_code": ', {"content-type": "application/json"}, 400, "REQUEST_BODY_INVALID_JSON"),
    ],
)
def test_hostile_bodies_get_clear_errors_never_a_500(api_client, body, headers, status, code) -> None:
    response = api_client.post("/dossiers", body=body, headers={**submit_headers(), **headers})
    assert response.status == status, response.text
    assert response.json()["code"] == code


def test_without_a_token_submission_is_refused(api_client) -> None:
    response = api_client.post("/dossiers", json=submission(), headers={"idempotency-key": "k" * 12})
    assert response.status == 401
    assert response.json()["code"] == "AUTH_REQUIRED"


def test_the_dossier_shows_its_full_history_to_its_owner_only(api_client) -> None:
    created = api_client.post("/dossiers", json=submission(), headers=submit_headers("citizen-an")).json()
    mine = api_client.get(f"/dossiers/{created['id']}", headers=bearer("citizen-an"))
    assert mine.status == 200
    history = mine.json()["history"]
    assert [(e["action"], e["from_status"], e["to_status"]["code"]) for e in history] == [("submit", None, 1)]
    other = api_client.get(f"/dossiers/{created['id']}", headers=bearer("citizen-binh"))
    assert other.status == 403
    assert other.json()["code"] == "DOSSIER_ACCESS_DENIED"
    missing = api_client.get("/dossiers/0123456789abcdef", headers=bearer("citizen-an"))
    assert missing.status == 404 and missing.json()["code"] == "DOSSIER_NOT_FOUND"


def test_public_tracking_shows_status_and_appointment_but_no_personal_data(api_client) -> None:
    created = api_client.post("/dossiers", json=submission(), headers=submit_headers()).json()
    response = api_client.get(f"/track/{created['receipt_code']}")
    assert response.status == 200
    tracked = response.json()
    assert tracked["status"]["code"] == 1
    assert tracked["appointment_at"] == created["appointment_at"]
    for personal in ("Nguyễn Thị Hằng", "079203001234", "912345678", "hang.nguyen", "Trần Phú"):
        assert personal not in response.text
    assert api_client.get("/track/000.20.01.H36-260101-9999").json()["code"] == "DOSSIER_NOT_FOUND"


def test_concurrent_submissions_get_unique_gapless_sequences(at) -> None:
    # Threads call the service directly: Lambda runs one request per container, so real concurrency is
    # many containers on one table, which threads sharing nothing but the table reproduce (the in-process
    # API client serialises calls to one function, as a single container would).
    from motcua.domain.actors import Actor, Role
    from motcua.service.actions import service
    from schemas.api import DossierSubmission

    at(2026, 3, 2, 9, 0)
    body = DossierSubmission.model_validate(submission())

    def submit(i: int) -> str:
        citizen = Actor(subject=f"citizen-{i}", role=Role.CITIZEN)
        return service.submit(body, citizen, idempotency_key=f"k-{i}").receipt_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(submit, range(16)))
    sequences = sorted(int(re.sub(r".*-", "", code)) for code in codes)
    assert sequences == list(range(1, 17))  # unique and without gaps


def test_one_transaction_writes_dossier_event_receipt_and_counter(api_client, local_stack, at) -> None:
    at(2026, 3, 2, 9, 0)
    created = api_client.post("/dossiers", json=submission(), headers=submit_headers()).json()
    table = boto3.resource("dynamodb").Table(local_stack.table_name)
    items = {(i["pk"], i["sk"].split("#")[0]): i for i in table.scan()["Items"]}
    assert (f"DOSSIER#{created['id']}", "DOSSIER") in items
    assert (f"DOSSIER#{created['id']}", "EVENT") in items
    assert items[(f"RECEIPT#{created['receipt_code']}", "RECEIPT")]["dossier_id"] == created["id"]
    assert items[(f"SEQ#{COMMUNE}#260302", "SEQ")]["value"] == 1
    stored = json.loads(items[(f"DOSSIER#{created['id']}", "DOSSIER")]["doc"])
    assert stored["rule_version"] == "nd118-2025"


def test_catalogue_filters_search_without_diacritics_and_pages(api_client) -> None:
    communes = api_client.get("/procedures", query={"level": "commune", "limit": "100"}).json()["items"]
    assert communes and all(p["level"] == "commune" for p in communes)
    # "dang ky khai sinh" (no diacritics) finds the birth registration and the inter-agency birth bundle
    found = api_client.get("/procedures", query={"q": "dang ky khai sinh"}).json()["items"]
    assert [p["code"] for p in found] == ["1.001193", "2.000986"]
    by_agency = api_client.get("/procedures", query={"agency_code": "000.00.12.H36"}).json()["items"]
    assert by_agency and all(p["sector_group"] == "enterprise" for p in by_agency)
    seen, token = [], None
    while True:
        query = {"limit": "7", **({"next_token": token} if token else {})}
        page = api_client.get("/procedures", query=query).json()
        seen += [p["code"] for p in page["items"]]
        token = page.get("next_token")
        if not token:
            break
    assert len(seen) == 38 and seen == sorted(seen)


def test_agencies_answer_the_page_shape_and_page_by_code(api_client) -> None:
    whole = api_client.get("/agencies").json()
    assert whole["items"] and whole.get("next_token") is None  # one page: the list fits the default limit
    codes = [a["code"] for a in whole["items"]]
    assert codes == sorted(codes)
    assert [a["code"] for a in all_pages(api_client, "/agencies", limit="3")] == codes
    communes = all_pages(api_client, "/agencies", level="commune", limit="1")
    assert communes and all(a["level"] == "commune" for a in communes)
    refused = api_client.get("/agencies", query={"next_token": "NOT-AN-AGENCY"})
    assert (refused.status, refused.json()["code"]) == (400, "PAGE_TOKEN_INVALID")
    assert api_client.get("/procedures", query={"limit": "1000"}).status == 422
    assert api_client.get("/procedures", query={"next_token": "bogus"}).json()["code"] == "PAGE_TOKEN_INVALID"
    assert api_client.get("/procedures/1.001193").json()["name_vi"] == "Thủ tục đăng ký khai sinh"
    assert api_client.get("/procedures/9.999999").json()["code"] == "PROCEDURE_NOT_FOUND"


def test_json_answers_are_utf8_without_escapes(api_client) -> None:
    # Vietnamese letters come back as themselves (readable with curl), in a declared UTF-8 body.
    for response in (api_client.get("/procedures/1.001193"),  # a model
                     api_client.get("/procedures/9.999999")):  # the error mapper
        headers = {name.lower(): value for name, value in response.headers.items()}
        assert headers["content-type"] == "application/json; charset=utf-8"
        assert "\\u" not in response.text
    assert '"Thủ tục đăng ký khai sinh"' in api_client.get("/procedures/1.001193").text
    assert "Thủ tục" in api_client.get("/procedures", query={"q": "khai sinh"}).text


def test_the_public_catalogue_carries_no_seed_provenance(api_client) -> None:
    # The seed's review marks and crawl sources are for whoever maintains the catalogue, not the public.
    one = api_client.get("/procedures/1.001193").json()
    page = api_client.get("/procedures", query={"limit": "100"}).json()["items"]
    assert [p["code"] for p in (one, *page) if "provenance" in p] == []
    assert "repository_file" not in api_client.get("/procedures", query={"limit": "100"}).text


def test_calendar_preview_promises_what_submission_then_gives(api_client, at) -> None:
    # Friday 27/2/2026 17:30 (after closing), online, 3 working days: counts from Monday 2/3 07:30;
    # the reception day does not count → Tuesday, Wednesday, Thursday → Thursday 5/3 17:00.
    at(2026, 2, 27, 17, 30)
    preview = api_client.get("/calendar/preview", query={
        "procedure_code": "1.001612", "agency_code": COMMUNE, "submitted_at": "2026-02-27T17:30:00+07:00"})
    assert preview.status == 200, preview.text
    assert preview.json()["clock_starts_at"] == "2026-03-02T07:30:00+07:00"
    assert preview.json()["appointment_at"] == "2026-03-05T17:00:00+07:00"
    submitted = api_client.post("/dossiers", json=submission("1.001612"), headers=submit_headers()).json()
    assert submitted["appointment_at"] == preview.json()["appointment_at"]
    naive = api_client.get("/calendar/preview", query={"procedure_code": "1.001612", "agency_code": COMMUNE,
                                                       "submitted_at": "2026-02-27T16:30:00"})
    assert naive.status == 422


def test_a_citizen_lists_only_their_own_dossiers_and_exports_everything(api_client) -> None:
    mine = [api_client.post("/dossiers", json=submission(), headers=submit_headers("citizen-an")).json()
            for _ in range(3)]
    api_client.post("/dossiers", json=submission(), headers=submit_headers("citizen-binh"))
    first = api_client.get("/me/dossiers", query={"limit": "2"}, headers=bearer("citizen-an")).json()
    second = api_client.get("/me/dossiers", query={"limit": "2", "next_token": first["next_token"]},
                            headers=bearer("citizen-an")).json()
    listed = [d["id"] for d in first["items"] + second["items"]]
    assert sorted(listed) == sorted(d["id"] for d in mine) and second["next_token"] is None
    export = api_client.get("/me/export", headers=bearer("citizen-an"))
    assert export.status == 200
    body = export.json()
    assert body["subject"] == subject_of("citizen-an")
    assert sorted(d["id"] for d in body["dossiers"]) == sorted(d["id"] for d in mine)
    assert all(d["history"] and d["applicant"]["national_id"] == "079203001234" for d in body["dossiers"])
    # Notification settings and push devices are part of what is held (none saved here; see test_contacts).
    assert body["notification_settings"] is None and body["devices"] == []
    api_client.put("/me/notification-settings", json={"channels": ["email"]}, headers=bearer("citizen-an"))
    again = api_client.get("/me/export", headers=bearer("citizen-an")).json()
    assert again["notification_settings"]["channels"] == ["email"]
    official = bearer("officer-lan", "reception_officer", COMMUNE)
    assert api_client.get("/me/export", headers=official).json()["code"] == "ACCESS_DENIED"


def test_a_resubmission_after_a_lost_answer_finds_the_dossier_its_first_attempt_wrote(api_client, local_stack) -> None:
    # Powertools' record can be lost with the answer (storage failing right after the commit); the dossier id
    # derives from the citizen and their key, so running the submission again writes nothing new.
    from motcua.domain.actors import Actor, Role
    from motcua.service.actions import service
    from schemas.api import DossierSubmission

    actor = Actor(subject="citizen-lost", role=Role.CITIZEN)
    body = DossierSubmission.model_validate(submission())
    first = service.submit(body, actor, idempotency_key="lost-answer-key")
    again = service.submit(body, actor, idempotency_key="lost-answer-key")
    assert again.id == first.id and again.receipt_code == first.receipt_code
    table = boto3.resource("dynamodb").Table(local_stack.table_name)
    assert len([i for i in table.scan()["Items"] if i["sk"] == "DOSSIER"]) == 1
    other = service.submit(body, actor, idempotency_key="another-key")
    assert other.id != first.id
