"""The smaller findings of issue 10, item 9: a rate limit on password changes, inactive
assignees, amounts finer than the currency, 415 for non-JSON bodies, one-line email subjects,
private files, and `bin/start` pointing at its own Redis before loading the demo."""

import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from models import Role, User
from tests.conftest import csrf_token, login
from tests.integration.test_customer_pages import make_customer
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts, outbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def api(app: Flask, make_user: Any) -> Any:
    user = make_user(Role.ADMIN)
    with app.app_context():
        secret = accounts.issue_token(
            db.session, db.session.get(User, user.id), "t", clock=current_clock()
        ).secret
        db.session.commit()
    client = app.test_client()

    def call(method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {secret}", **kw.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    return call


def test_wrong_current_passwords_are_rate_limited(app: Flask, make_user: Any) -> None:
    user = make_user()
    client = app.test_client()
    login(client, user.email)
    statuses = []
    for _ in range(6):
        data = {
            "password-current_password": "not it",
            "password-new_password": "a brand new secret",
            "password-confirm": "a brand new secret",
            "password-csrf_token": csrf_token(client, "/account"),
        }
        statuses.append(client.post("/account/password", data=data).status_code)
    assert statuses == [422] * 5 + [429]


def test_a_new_requirement_refuses_an_inactive_assignee(
    app: Flask, api: Any, make_user: Any
) -> None:
    gone = make_user(Role.AGENT)
    with app.app_context():
        db.session.get(User, gone.id).is_active = False
        db.session.commit()
    customer_id = make_customer(app)
    body = {"customer_id": customer_id, "title": "Invoice", "assignee_id": gone.id}
    response = api("POST", "/requirements", json=body)
    assert response.status_code == 422
    assert "assignee_id" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("amount", "currency", "status"),
    [("1200.5", "JPY", 422), ("12.505", "EUR", 422), ("12.50", "EUR", 201), ("1.234", "KWD", 201)],
)
def test_amounts_have_at_most_the_currencys_decimals(
    app: Flask, api: Any, amount: str, currency: str, status: int
) -> None:
    customer_id = make_customer(app)
    body = {"kind": "order", "amount": amount, "currency": currency}
    response = api("POST", f"/customers/{customer_id}/transactions", json=body)
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert "amount" in response.get_json()["errors"]


def test_a_body_that_is_not_json_is_415(api: Any) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = api(
            "POST", "/customers", data="name=Ana", headers={"Content-Type": content_type}
        )
        assert response.status_code == 415, content_type
        assert response.mimetype == "application/problem+json"


def test_a_newline_in_a_title_does_not_break_the_subject(in_app: Flask, api: Any) -> None:
    customer_id = make_customer(in_app)
    body = {"customer_id": customer_id, "title": "Printer\r\nBcc: all@example.com"}
    created = api("POST", "/requirements", json=body).get_json()
    assert created["title"] == "Printer Bcc: all@example.com"
    row = outbox.enqueue_email(
        db.session,
        idempotency_key="t:1",
        cause="test",
        to_address="ana@example.com",
        subject="Re: Printer\nBcc: all@example.com",
        body_text="hi",
        clock=current_clock(),
    )
    message = outbox.build_email(row, "Rapport <r@example.com>")
    assert message["Subject"] == "Re: Printer Bcc: all@example.com"
    assert message["Bcc"] is None


def test_database_and_instance_files_are_private(make_app: Any, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    app = make_app(INSTANCE_PATH=str(instance), DATABASE_URL=f"sqlite:///{instance}/r.sqlite3")
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.commit()
        db.session.remove()
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    for path in instance.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path.name


def test_bin_start_points_at_its_redis_before_loading_the_demo() -> None:
    script = (ROOT / "bin" / "start").read_text()
    assert script.index('export REDIS_URL="$redis_url"') < script.index("flask demo load")
    assert "umask 077" in (ROOT / "Procfile").read_text()


def test_remote_images_wait_for_a_click(app: Flask, api: Any, make_user: Any) -> None:
    customer_id = make_customer(app)
    body = {
        "channel": "email",
        "direction": "inbound",
        "body": '<p>Hello</p><img src="https://tracker.example/pixel.png" alt="logo">',
    }
    assert api("POST", f"/customers/{customer_id}/communications", json=body).status_code == 201
    client = app.test_client()
    login(client, make_user(Role.AGENT).email)
    page = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert ' src="https://tracker.example' not in page
    assert 'data-src="https://tracker.example/pixel.png"' in page
    assert "Show images (1)" in page


def test_an_ical_event_spanning_centuries_is_refused(app: Flask, api: Any) -> None:
    periods = [{"weekday": 0, "start": "09:00", "end": "17:00"}]
    calendar = api("POST", "/calendars", json={"name": "C", "time_zone": "UTC", "periods": periods})
    ical = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Forever\r\n"
        "DTSTART;VALUE=DATE:20000101\r\nDTEND;VALUE=DATE:23000101\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    path = f"/calendars/{calendar.get_json()['id']}/holidays/ical"
    response = api("POST", path, json={"ical": ical})
    assert response.status_code == 422
    assert "more than 5,000 holiday days" in str(response.get_json()["errors"])
    assert api("GET", f"/calendars/{calendar.get_json()['id']}").get_json()["holidays"] == []
