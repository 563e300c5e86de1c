"""The citizen's document store and signed electronic results, end to end on DynamoDB Local and moto S3.

Uploads go to moto's uploads bucket as a browser would (after POST /uploads); the clock is driven; the local
test CA lives in a temporary directory (``MOTCUA_PKI_DIR``), never under .local/.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from motcua.data.index_store import IndexRepository
from motcua.data.repositories import DossierRepository
from motcua.domain.calendar import VN_TZ
from tests.integration.helpers import COMMUNE, bearer, post_file, submission, submit_headers, ticket, upload

HANG, BINH = "citizen-hang", "citizen-binh"
DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
PROCEDURE = "1.001193"  # birth registration at the commune


pytestmark = pytest.mark.usefixtures("catalogue")


def vn(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN_TZ)


@pytest.fixture
def pki(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    monkeypatch.setenv("MOTCUA_PKI_DIR", str(directory))
    return directory


def s3():
    return boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])


def submit(api_client, who: str, attachments: list[dict], **overrides):
    return api_client.post("/dossiers", json=submission(PROCEDURE, attachments=attachments, **overrides),
                           headers=submit_headers(who))


def act(api_client, dossier_id: str, name: str, who, body: dict | None = None):
    headers = {**bearer(*who), "idempotency-key": uuid.uuid4().hex}
    return api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {}, headers=headers)


def my_documents(api_client, who: str) -> list[dict]:
    response = api_client.get("/me/documents", headers=bearer(who))
    assert response.status == 200, response.text
    return list(response.json()["items"])


def stored_paper(api_client, at, valid_until: str | None = "2026-03-10") -> tuple[str, bytes]:
    """Hằng submits a dossier with one paper on Mon 2 Mar; returns its id in her store and its bytes."""
    at(vn(3, 2))
    content = b"%PDF-1.4 giay chung sinh " + uuid.uuid4().bytes
    response = submit(api_client, HANG, [{"key": upload(api_client, content), "document_name": "Giấy chứng sinh",
                                          "issuer": "Bệnh viện Đa khoa Lâm Đồng", "issued_on": "2026-02-20",
                                          "valid_until": valid_until}])
    assert response.status == 201, response.text
    (document,) = my_documents(api_client, HANG)
    return document["id"], content


# --- the store and reuse ------------------------------------------------------------------------------------

def test_a_submitted_paper_is_kept_and_reused_by_a_later_submission(api_client, at) -> None:
    document_id, content = stored_paper(api_client, at)
    (document,) = my_documents(api_client, HANG)
    assert document["sha256"] == hashlib.sha256(content).hexdigest() and document["size_bytes"] == len(content)
    assert (document["kind"], document["origin"], document["document_type"]) == ("submitted", "uploaded",
                                                                                 "Giấy chứng sinh")
    assert (document["issuer_name"], document["issued_on"], document["valid_until"]) == (
        "Bệnh viện Đa khoa Lâm Đồng", "2026-02-20", "2026-03-10")
    assert document["download_url"] and not document["expired"]
    first = DossierRepository().get(document["dossier_id"])
    assert [(a.source, a.document_id) for a in first.attachments] == [("uploaded", document_id)]

    # A second dossier names the stored paper instead of uploading it again.
    at(vn(3, 9))
    response = submit(api_client, HANG, [{"document_id": document_id, "document_name": "Giấy chứng sinh"}])
    assert response.status == 201, response.text
    (attachment,) = response.json()["attachments"]
    assert attachment == {"key": first.attachments[0].key, "document_name": "Giấy chứng sinh", "source": "reused",
                          "document_id": document_id}
    second_id = response.json()["id"]
    (submitted,) = [e for e in DossierRepository().history(second_id) if e.action == "submit"]
    assert submitted.details["reused_documents"] == 1 and submitted.details["reused_document_ids"] == [document_id]
    # The index counts the record, not a number a client sends: the desk's receive says 5, nothing changes.
    assert act(api_client, second_id, "receive", DESK, {"reused_documents": 5}).status == 200
    (received,) = [e for e in DossierRepository().history(second_id) if e.action == "receive"]
    assert "reused_documents" not in received.details
    facts = json.loads(IndexRepository().facts(second_id).facts_json)  # type: ignore[union-attr]
    assert facts["reused_documents"] == 1
    # Nothing new was stored for a reused paper.
    assert [d["id"] for d in my_documents(api_client, HANG)] == [document_id]


def test_an_expired_paper_is_refused(api_client, at) -> None:
    document_id, _ = stored_paper(api_client, at, valid_until="2026-03-10")
    reuse = [{"document_id": document_id, "document_name": "Giấy chứng sinh"}]
    at(vn(3, 10, 16))  # its last valid day
    assert submit(api_client, HANG, reuse).status == 201
    at(vn(3, 11, 8))
    refused = submit(api_client, HANG, reuse)
    assert refused.status == 422
    assert refused.json()["code"] == "STORED_DOCUMENT_EXPIRED" and refused.json()["details"]["valid_until"] == \
        "2026-03-10"
    assert my_documents(api_client, HANG)[0]["expired"] is True


def test_someone_elses_paper_is_refused(api_client, at) -> None:
    document_id, _ = stored_paper(api_client, at, valid_until=None)
    at(vn(3, 3))
    foreign = submit(api_client, BINH, [{"document_id": document_id, "document_name": "Giấy chứng sinh"}])
    assert foreign.status == 403 and foreign.json()["code"] == "STORED_DOCUMENT_FOREIGN"
    assert foreign.json()["details"] == {"document_id": document_id}  # nothing about Hằng's paper
    unknown = submit(api_client, BINH, [{"document_id": uuid.uuid4().hex, "document_name": "Giấy chứng sinh"}])
    assert unknown.status == 404 and unknown.json()["code"] == "STORED_DOCUMENT_NOT_FOUND"
    key = upload(api_client, b"%PDF-x", BINH)
    both = submit(api_client, BINH, [{"document_id": document_id, "key": key, "document_name": "x"}])
    assert both.status == 422 and both.json()["code"] == "ATTACHMENT_SOURCE_INVALID"
    assert my_documents(api_client, BINH) == []


def test_an_upload_belongs_to_its_uploader(api_client, at) -> None:
    at(vn(3, 2))
    content = b"%PDF-1.4 giay khai sinh cua Hang " + uuid.uuid4().bytes
    key = upload(api_client, content, HANG)
    stolen = submit(api_client, BINH, [{"key": key, "document_name": "Giấy chứng sinh"}])
    assert stolen.status == 403, stolen.text
    assert stolen.json()["code"] == "UPLOAD_NOT_OWNED" and stolen.json()["details"] == {"key": key}
    assert my_documents(api_client, BINH) == []  # nothing of Hằng's is Bình's to download
    # an official at another desk cannot attach it either; its uploader can
    desk = api_client.post("/dossiers", json=submission(PROCEDURE, channel="counter",
                                                        attachments=[{"key": key, "document_name": "x"}]),
                           headers={**bearer(*DESK), "idempotency-key": uuid.uuid4().hex})
    assert desk.status == 403 and desk.json()["code"] == "UPLOAD_NOT_OWNED"
    assert submit(api_client, HANG, [{"key": key, "document_name": "Giấy chứng sinh"}]).status == 201
    # an object put under the uploads prefix without a ticket is no one's
    loose = f"uploads/{uuid.uuid4().hex}/loose.pdf"
    s3().put_object(Bucket=os.environ["UPLOADS_BUCKET"], Key=loose, Body=b"%PDF-1.4", ContentType="application/pdf")
    assert submit(api_client, HANG, [{"key": loose, "document_name": "x"}]).json()["code"] == "UPLOAD_NOT_OWNED"


def test_a_supplement_cannot_attach_someone_elses_upload(api_client, at) -> None:
    at(vn(3, 3))
    dossier_id = submit(api_client, HANG, []).json()["id"]
    for name, who, body in (("receive", DESK, {}), ("start_processing", PROCESSOR, {}),
                            ("request_supplement", PROCESSOR, {"documents": ["Bản sao"], "reason": "Thiếu"})):
        assert act(api_client, dossier_id, name, who, body).status == 200, name
    foreign = upload(api_client, b"%PDF-1.4 cua Binh", BINH)
    response = act(api_client, dossier_id, "receive_supplement", DESK,
                   {"attachments": [{"key": foreign, "document_name": "Bản sao"}]})
    assert response.status == 403 and response.json()["code"] == "UPLOAD_NOT_OWNED"
    own = upload(api_client, b"%PDF-1.4 quet tai quay", DESK)
    response = act(api_client, dossier_id, "receive_supplement", DESK,
                   {"attachments": [{"key": own, "document_name": "Bản sao"}]})
    assert response.status == 200, response.text


def test_the_ticket_limits_the_size_and_the_attachment_is_checked_against_it(api_client, at) -> None:
    at(vn(3, 2))
    small = ticket(api_client, HANG, 10)
    assert small["method"] == "POST"
    policy = json.loads(base64.b64decode(small["fields"]["policy"]))
    assert ["content-length-range", 1, 10] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    # S3 refuses the larger file itself; the local S3 does not, so the attachment is checked too
    key = post_file(small, b"%PDF-1.4 " + b"0" * 2000)
    larger = submit(api_client, HANG, [{"key": key, "document_name": "Tờ khai"}])
    assert larger.status == 422 and larger.json()["code"] == "UPLOAD_NOT_AS_DECLARED"
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    key = post_file(ticket(api_client, HANG, len(png)), png)  # declared a PDF
    other_type = submit(api_client, HANG, [{"key": key, "document_name": "Tờ khai"}])
    assert other_type.status == 422 and other_type.json()["code"] == "UPLOAD_NOT_AS_DECLARED"
    assert my_documents(api_client, HANG) == []


def test_an_attached_upload_is_marked_so_the_lifecycle_rule_keeps_it(api_client, at) -> None:
    at(vn(3, 2))
    given = ticket(api_client, HANG, 12)
    assert "<Value>unattached</Value>" in given["fields"]["tagging"]  # what the expiry rule matches
    key = post_file(given, b"%PDF-1.4 abc")
    assert submit(api_client, HANG, [{"key": key, "document_name": "Tờ khai"}]).status == 201
    tags = s3().get_object_tagging(Bucket=os.environ["UPLOADS_BUCKET"], Key=key)["TagSet"]
    assert {"Key": "motcua-upload", "Value": "attached"} in tags


def test_an_upload_key_without_a_file_is_refused(api_client, at) -> None:
    at(vn(3, 2))
    response = submit(api_client, HANG, [{"key": f"uploads/{uuid.uuid4().hex}/ghost.pdf", "document_name": "Tờ khai"}])
    assert response.status == 422 and response.json()["code"] == "ATTACHMENT_NOT_UPLOADED"
    assert my_documents(api_client, HANG) == []


def test_a_supplement_can_reuse_a_stored_paper(api_client, at) -> None:
    document_id, _ = stored_paper(api_client, at, valid_until=None)
    at(vn(3, 3))
    dossier_id = submit(api_client, HANG, []).json()["id"]
    for name, who, body in (("receive", DESK, {}), ("start_processing", PROCESSOR, {}),
                            ("request_supplement", PROCESSOR, {"documents": ["Giấy chứng sinh"], "reason": "Thiếu"})):
        assert act(api_client, dossier_id, name, who, body).status == 200, name
    at(vn(3, 4))
    response = act(api_client, dossier_id, "receive_supplement", DESK,
                   {"attachments": [{"document_id": document_id, "document_name": "Giấy chứng sinh"}]})
    assert response.status == 200, response.text
    assert [a["source"] for a in response.json()["attachments"]] == ["reused"]
    (event,) = [e for e in DossierRepository().history(dossier_id) if e.action == "receive_supplement"]
    assert event.details["reused_documents"] == 1


# --- signed electronic results --------------------------------------------------------------------------------

def decided_electronically(api_client, at) -> tuple[str, str]:
    at(vn(3, 2))
    dossier_id = submit(api_client, HANG, []).json()["id"]
    at(vn(3, 3))
    assert act(api_client, dossier_id, "receive", DESK).status == 200
    assert act(api_client, dossier_id, "start_processing", PROCESSOR).status == 200
    at(vn(3, 4, 10, 30))
    decided = act(api_client, dossier_id, "decide", PROCESSOR,
                  {"electronic": True, "result_documents": [f"results/{uuid.uuid4().hex}/giay-khai-sinh.pdf"]})
    assert decided.status == 200, decided.text
    result = DossierRepository().get(dossier_id).result
    assert result is not None and result.document_id is not None
    return dossier_id, result.document_id


def test_an_electronic_result_is_signed_stored_and_verifiable(api_client, at, pki) -> None:
    dossier_id, document_id = decided_electronically(api_client, at)
    (document,) = my_documents(api_client, HANG)
    assert (document["id"], document["kind"], document["origin"], document["signed"]) == (
        document_id, "result", "electronic_result", True)
    assert (document["issuer"], document["issued_on"], document["dossier_id"]) == (COMMUNE, "2026-03-04", dossier_id)
    assert (pki / "agencies" / f"{COMMUNE}.cert.pem").exists()  # the local CA issued the agency's certificate

    at(vn(3, 5))
    report = api_client.get(f"/documents/{document_id}/verify")  # public: no token
    assert report.status == 200, report.text
    body = report.json()
    assert body["valid"] and body["integrity"] and body["signature_valid"] and body["signer_trusted"]
    assert body["covers_whole_document"] and body["problems"] == []
    assert body["signer_agency_code"] == COMMUNE and "Xuân Hương" in body["signer"]
    assert body["signed_at"] == "2026-03-04T10:30:00+07:00"
    assert "citizen" not in json.dumps(body) and "Hằng" not in json.dumps(body, ensure_ascii=False)
    # On the dossier's trail: issued electronically and synced to the citizen's store (indicators 4.1, 4.4).
    # (the internal procedure's step events, docs/domain.md §11.4, come between: left out here)
    actions = [e.action for e in DossierRepository().history(dossier_id) if not e.action.startswith("step_")]
    assert actions[-3:] == ["decide", "issue_electronic_result", "sync_citizen_data_store"]
    facts = json.loads(IndexRepository().facts(dossier_id).facts_json)  # type: ignore[union-attr]
    assert facts["result_electronic"] and facts["result_synced_citizen"]
    # The personal data export lists it.
    exported = api_client.get("/me/export", headers=bearer(HANG)).json()
    assert [d["id"] for d in exported["documents"]] == [document_id]


def test_any_changed_byte_breaks_the_verification(api_client, at, pki) -> None:
    _, document_id = decided_electronically(api_client, at)
    record = json.loads(boto3.client("dynamodb").get_item(
        TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": f"CDOC#{document_id}"}, "sk": {"S": "CDOC"}},
        ConsistentRead=True)["Item"]["doc"]["S"])
    bucket, key = os.environ["DOCUMENTS_BUCKET"], record["key"]
    signed = s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    # Content-addressed: a racing decision's object could never overwrite the linked one.
    assert key.endswith(f"-{hashlib.sha256(signed).hexdigest()[:16]}.pdf") and record["sha256"] == \
        hashlib.sha256(signed).hexdigest()
    at(vn(3, 5))
    # Positions across the file: the header, the content, the signature dictionary and its contents, the end.
    contents = signed.index(b"/Contents <") + len(b"/Contents <") + 40
    positions = sorted({0, 9, len(signed) // 5, len(signed) // 2, contents, len(signed) - 40, len(signed) - 1})
    tampered = [bytes(signed[:p]) + bytes([signed[p] ^ 0x01]) + bytes(signed[p + 1:]) for p in positions]
    tampered.append(signed + b"\n% appended\n")
    for variant in tampered:
        s3().put_object(Bucket=bucket, Key=key, Body=variant, ContentType="application/pdf")
        body = api_client.get(f"/documents/{document_id}/verify").json()
        assert body["valid"] is False and body["integrity"] is False, body
    # Restored byte for byte: valid again (the test can tell the two apart).
    s3().put_object(Bucket=bucket, Key=key, Body=signed, ContentType="application/pdf")
    assert api_client.get(f"/documents/{document_id}/verify").json()["valid"] is True


def test_a_resigned_forgery_with_a_matching_hash_is_still_caught_by_the_signature(api_client, at, pki) -> None:
    """Integrity alone compares with the hash we stored; the signature is checked on its own too: a file whose
    bytes were changed AND whose stored hash was updated (someone with write access to both) still fails."""
    _, document_id = decided_electronically(api_client, at)
    from motcua.data.citizen_store import StoredDocumentRepository

    repository = StoredDocumentRepository()
    record = repository.get(document_id)
    signed = s3().get_object(Bucket=os.environ["DOCUMENTS_BUCKET"], Key=record.key)["Body"].read()
    forged = signed.replace(b"/Type /Catalog", b"/Type  /Catalog", 1)
    assert forged != signed
    s3().put_object(Bucket=os.environ["DOCUMENTS_BUCKET"], Key=record.key, Body=forged)
    repository.put(record.model_copy(update={"sha256": hashlib.sha256(forged).hexdigest()}))
    at(vn(3, 5))
    body = api_client.get(f"/documents/{document_id}/verify").json()
    assert body["integrity"] is True and body["signature_valid"] is False and body["valid"] is False


def test_without_signing_keys_the_decision_still_stands(api_client, at, monkeypatch) -> None:
    monkeypatch.delenv("MOTCUA_PKI_DIR", raising=False)
    monkeypatch.setenv("SIGNING_SECRET_PREFIX", "")
    at(vn(3, 2))
    dossier_id = submit(api_client, HANG, []).json()["id"]
    for name, who, body in (("receive", DESK, {}), ("start_processing", PROCESSOR, {}),
                            ("decide", PROCESSOR, {"electronic": True})):
        assert act(api_client, dossier_id, name, who, body).status == 200, name
    dossier = DossierRepository().get(dossier_id)
    assert dossier.result is not None and dossier.result.document_id is None
    assert "sync_citizen_data_store" not in [e.action for e in DossierRepository().history(dossier_id)]


def test_public_verification_answers_only_for_results_an_agency_signed(api_client, at) -> None:
    """The verification code printed on a signed result is public: a bank or a school checks the paper with it.
    A citizen's own papers are not public: their id answers exactly as an id that does not exist (no hint of
    what she submitted, nor that it exists)."""
    document_id, _ = stored_paper(api_client, at)
    never = uuid.uuid4().hex
    unknown = api_client.get(f"/documents/{never}/verify")
    submitted = api_client.get(f"/documents/{document_id}/verify")
    assert unknown.status == 404 and submitted.status == 404, submitted.text
    assert submitted.json() == {**unknown.json(), "details": {"document_id": document_id}}
    assert unknown.json()["details"] == {"document_id": never}
    assert "Giấy chứng sinh" not in submitted.text
    # Its owner still sees it in her store.
    assert [d["id"] for d in my_documents(api_client, HANG)] == [document_id]
