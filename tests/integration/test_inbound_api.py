"""POST /api/v1/inbound/email (an admin's token or a body signature) and attachment downloads
(page and API, agents and up)."""

import hashlib
import hmac
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Attachment, Communication, Customer, Requirement, Role, User
from tests.chinese_mail import GBK_ONLY, SIMPLIFIED, TRADITIONAL, chinese_message
from tests.conftest import login
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts

SECRET = "inbound-test-secret"

RAW = (
    "From: Ana Lima <ana@example.com>\nTo: support@example.com\nSubject: Receipt\n"
    'Message-ID: <api-1@example.com>\nContent-Type: multipart/mixed; boundary="m"\n\n'
    "--m\nContent-Type: text/plain\n\nHere it is.\n"
    '--m\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="r.pdf"\n'
    "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQ=\n--m--\n"
).replace("\n", "\r\n")


@pytest.fixture
def api(app: Flask, make_app: Any, make_user: Any) -> dict[str, Any]:
    signed_app = make_app(INBOUND_HTTP_SECRET=SECRET, INBOUND_MAX_BYTES=4096)
    users = {role: make_user(role) for role in (Role.AGENT, Role.ADMIN)}
    with signed_app.app_context():
        tokens = {
            role: accounts.issue_token(
                db.session, db.session.get(User, user.id), "t", clock=current_clock()
            ).secret
            for role, user in users.items()
        }
        db.session.commit()
    return {"app": signed_app, "client": signed_app.test_client(), "tokens": tokens, **users}


def post(api: dict[str, Any], body: bytes, headers: dict[str, str]) -> Any:
    return api["client"].post(
        "/api/v1/inbound/email",
        data=body,
        headers={"Content-Type": "message/rfc822", **headers},
    )


def bearer(api: dict[str, Any], role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {api['tokens'][role]}"}


def signature(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Rapport-Signature": f"sha256={digest}"}


def test_an_admin_token_delivers_a_message_once(api: dict[str, Any]) -> None:
    first = post(api, RAW.encode(), bearer(api, Role.ADMIN))
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert (body["kind"], body["matched_by"], body["duplicate"]) == (
        "message",
        "new_customer",
        False,
    )
    again = post(api, RAW.encode(), bearer(api, Role.ADMIN))
    assert again.status_code == 200
    assert (
        again.get_json()["duplicate"]
        and again.get_json()["inbound_email_id"] == body["inbound_email_id"]
    )


def test_a_signed_body_needs_no_token_and_a_bad_signature_is_refused(
    api: dict[str, Any],
) -> None:
    good = post(api, RAW.encode(), signature(RAW.encode()))
    assert good.status_code == 201
    bad = post(api, RAW.encode(), signature(RAW.encode(), "wrong"))
    assert bad.status_code == 401
    assert bad.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "query", "status"),
    [
        (b"", "", 422),
        (RAW.encode(), "?recipient=someone@example.com", 422),
        (RAW.encode() + b"x" * 5000, "", 413),
    ],
)
def test_bad_messages_get_a_clear_problem(
    api: dict[str, Any], body: bytes, query: str, status: int
) -> None:
    response = api["client"].post(
        f"/api/v1/inbound/email{query}",
        data=body,
        headers={"Content-Type": "message/rfc822", **bearer(api, Role.ADMIN)},
    )
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_an_agent_token_or_no_credentials_may_not_deliver(api: dict[str, Any]) -> None:
    assert post(api, RAW.encode(), bearer(api, Role.AGENT)).status_code == 403
    assert post(api, RAW.encode(), {}).status_code == 401


def test_the_endpoint_is_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/inbound/email"]["post"]
    assert "message/rfc822" in operation["requestBody"]["content"]
    assert "/api/v1/attachments/{attachment_id}" in spec["paths"]


def test_attachments_download_for_agents_by_page_and_api(api: dict[str, Any]) -> None:
    delivered = post(api, RAW.encode(), bearer(api, Role.ADMIN)).get_json()
    with api["app"].app_context():
        attachment_id = db.session.scalar(
            select(Attachment.id).where(
                Attachment.communication_id == delivered["communication_id"]
            )
        )
    path = f"/api/v1/attachments/{attachment_id}"
    response = api["client"].get(path, headers=bearer(api, Role.AGENT))
    assert (response.status_code, response.data) == (200, b"%PDF-1.4")
    assert response.headers["Content-Disposition"] == "attachment; filename=r.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert api["client"].get(path).status_code == 401
    missing = api["client"].get("/api/v1/attachments/999999", headers=bearer(api, Role.AGENT))
    assert missing.status_code == 404
    page_client = api["app"].test_client()
    assert page_client.get(f"/attachments/{attachment_id}").status_code == 302  # to sign-in
    login(page_client, api[Role.AGENT].email)
    page = page_client.get(f"/attachments/{attachment_id}")
    assert (page.status_code, page.data) == (200, b"%PDF-1.4")
    timeline = page_client.get(f"/customers/{delivered['customer_id']}").get_data(as_text=True)
    assert f'href="/attachments/{attachment_id}">r.pdf</a>' in timeline
    assert "Here it is." in timeline


@pytest.mark.parametrize(
    ("label", "codec", "text"),
    [
        ("GB2312", "gb2312", SIMPLIFIED),
        ("GB2312", "gbk", GBK_ONLY),  # GBK text labelled GB2312, as many clients send it
        ("GBK", "gbk", GBK_ONLY),
        ("GB18030", "gb18030", GBK_ONLY),
        ("Big5", "big5", TRADITIONAL),
    ],
)
def test_chinese_mail_is_read_into_the_new_customer_and_the_communication(
    api: dict[str, Any], label: str, codec: str, text: dict[str, str]
) -> None:
    raw = chinese_message(label, codec, text, sender="kehu@example.cn")
    response = post(api, raw, bearer(api, Role.ADMIN))
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    assert receipt["matched_by"] == "new_customer"
    with api["app"].app_context():
        customer = db.session.get(Customer, receipt["customer_id"])
        communication = db.session.get(Communication, receipt["communication_id"])
        requirement = db.session.get(Requirement, communication.requirement_id)
        assert customer.name == text["name"]
        assert communication.subject == requirement.title == text["subject"]
        assert communication.body_text.splitlines() == text["body"].splitlines()
