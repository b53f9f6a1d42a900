"""Data-subject rights on SQLite and PostgreSQL: the export archive, erasure by the real worker
(no trace of the customer's email anywhere, revenue unchanged), legal holds, masking with an
audited reveal, and the access log."""

import io
import json
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select, text

from models import (
    AuditEntry,
    Customer,
    CustomerAccess,
    Notification,
    OutboxMessage,
    Requirement,
    Role,
    Transaction,
    User,
)
from tests.conftest import csrf_token, login
from tests.services import Process, wait_until
from web.extensions import db
from workflows.customers import imports, profiles
from workflows.platform import accounts, backup, outbox
from workflows.platform.clock import SystemClock
from workflows.privacy import erasure, scrub
from workflows.tracking import notifications

Headers = dict[str, str]
EMAIL = "ana.secret-7731@example.org"
PHONE = "+8613812348000"


@pytest.fixture
def auth(app: Flask, make_user: Any) -> Callable[..., tuple[User, Headers]]:
    def make(role: Role = Role.AGENT) -> tuple[User, Headers]:
        user = make_user(role)
        with app.app_context():
            issued = accounts.issue_token(
                db.session, db.session.get(User, user.id), "tests", clock=SystemClock()
            )
            db.session.commit()
            return user, {"Authorization": f"Bearer {issued.secret}"}

    return make


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def _customer_with_history(client: FlaskClient, headers: Headers) -> dict[str, Any]:
    """A customer with a copy of their email in every kind of place."""
    customer = _ok(
        client.post(
            "/api/v1/customers",
            json={
                "name": "Ana Secreta",
                "emails": [EMAIL],
                "phones": [PHONE],
                "notes": f"Prefers {EMAIL} over calls",
                "city": "Lisbon",
            },
            headers={**headers, "Idempotency-Key": "create-ana"},  # the cached reply holds it
        ),
        201,
    )
    url = f"/api/v1/customers/{customer['id']}"
    _ok(client.patch(url, json={"city": "Porto"}, headers={**headers, "If-Match": '"1"'}))
    _ok(
        client.post(
            f"{url}/communications",
            json={
                "channel": "email",
                "direction": "inbound",
                "occurred_at": "2026-01-05T09:00",
                "subject": "My account",
                "body": f"<p>Write to me at {EMAIL} or call {PHONE}</p>",
            },
            headers=headers,
        ),
        201,
    )
    for kind, amount in (("payment", "120.50"), ("refund", "20.00")):
        _ok(
            client.post(
                f"{url}/transactions",
                json={
                    "kind": kind,
                    "amount": amount,
                    "currency": "EUR",
                    "occurred_on": "2026-02-01",
                    "reference": f"order for {EMAIL}",
                },
                headers=headers,
            ),
            201,
        )
    _ok(
        client.post(
            "/api/v1/requirements",
            json={
                "customer_id": customer["id"],
                "title": f"Refund for {EMAIL}",
                "description": "Card ending 4242",
            },
            headers=headers,
        ),
        201,
    )
    return customer


def _text_columns_containing(app: Flask, needle: str) -> list[str]:
    """Every column of every table in the database (not just the models) that holds `needle`."""
    found = []
    with app.app_context():
        connection = db.session.connection()
        inspector = inspect(connection)
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                quoted_table = connection.dialect.identifier_preparer.quote(table)
                quoted = connection.dialect.identifier_preparer.quote(column["name"])
                hits = connection.execute(
                    text(
                        f"SELECT count(*) FROM {quoted_table} "  # noqa: S608 - names from the schema
                        f"WHERE lower(CAST({quoted} AS TEXT)) LIKE :needle"
                    ),
                    {"needle": f"%{needle.lower()}%"},
                ).scalar()
                if hits:
                    found.append(f"{table}.{column['name']}")
        db.session.rollback()
    return found


def _revenue(app: Flask) -> dict[str, Decimal]:
    with app.app_context():
        rows = db.session.execute(
            select(Transaction.currency, Transaction.kind, func.sum(Transaction.amount)).group_by(
                Transaction.currency, Transaction.kind
            )
        ).all()
        return {f"{c}:{k}": Decimal(s) for c, k, s in rows}


def test_export_holds_every_section_and_is_logged(
    app: Flask, client: FlaskClient, auth: Callable[..., tuple[User, Headers]]
) -> None:
    _, agent_headers = auth(Role.AGENT)
    supervisor, headers = auth(Role.SUPERVISOR)
    customer = _customer_with_history(client, agent_headers)
    url = f"/api/v1/customers/{customer['id']}/export"
    assert client.get(url, headers=agent_headers).status_code == 403
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["customer_id"] == customer["id"]
    sections = manifest["sections"]
    assert {"profile", "consents", "communications", "transactions", "requirements"} <= set(
        sections
    )
    profile = json.loads(archive.read("profile.json"))
    assert profile[0]["emails"] == [{"email": EMAIL, "is_primary": True}]
    assert profile[0]["phones"][0]["e164"] == PHONE
    communications = json.loads(archive.read("communications.json"))
    assert EMAIL in communications[0]["body_text"] and communications[0]["attachments"] == []
    transactions = json.loads(archive.read("transactions.json"))
    assert sorted(t["amount"] for t in transactions) == ["120.5000", "20.0000"]
    requirements = json.loads(archive.read("requirements.json"))
    assert requirements[0]["events"], "a requirement's events are exported with it"
    with app.app_context():
        logged = db.session.scalars(select(CustomerAccess).where(CustomerAccess.action == "export"))
        assert [(e.user_id, e.customer_id, e.via) for e in logged] == [
            (supervisor.id, customer["id"], "api")
        ]


def test_erasure_leaves_no_trace_of_the_email_and_keeps_revenue(
    app: Flask,
    client: FlaskClient,
    auth: Callable[..., tuple[User, Headers]],
    worker: Process,
    tmp_path: Path,
) -> None:
    agent, agent_headers = auth(Role.AGENT)
    admin, admin_headers = auth(Role.ADMIN)
    customer = _customer_with_history(client, agent_headers)
    with app.app_context():  # a colleague was told of the requirement, its title copied
        requirement = db.session.scalar(
            select(Requirement).where(Requirement.customer_id == customer["id"])
        )
        told = notifications.notify(
            db.session,
            "mentioned",
            [db.session.get(User, admin.id)],
            requirement,
            clock=SystemClock(),
            actor=db.session.get(User, agent.id),
            detail="Ana Secreta wants her card refunded",
            email=False,
        )
        assert told and told[0].title.startswith("Refund for")
        requirement_id = requirement.id
        db.session.commit()
    other = _ok(
        client.post(
            "/api/v1/customers",
            json={"name": "Bea", "notes": f"Referred by {EMAIL}\nlikes tea"},
            headers=agent_headers,
        ),
        201,
    )
    with app.app_context():
        outbox.enqueue_email(
            db.session,
            idempotency_key="test:erase",
            cause="test",
            to_address=EMAIL,
            subject="Hello Ana",
            body_text="Dear Ana",
            clock=SystemClock(),
            attachments=[
                {"sha256": "0" * 64, "filename": "Ana Secreta.pdf", "content_type": "a/b"}
            ],
        )
        imports.create_job(
            db.session,
            filename="people.csv",
            content=f"name,email\nAna Secreta,{EMAIL}\nCid,cid@example.com\n",
            created_by_id=admin.id,
            clock=SystemClock(),
        )
        db.session.commit()
    assert _text_columns_containing(app, EMAIL)  # the scan does find it before
    revenue = _revenue(app)

    response = client.post(f"/api/v1/customers/{customer['id']}/erasure", headers=admin_headers)
    job = _ok(response, 202)

    def finished() -> dict[str, Any] | None:
        state = client.get(response.headers["Location"], headers=admin_headers).get_json()
        return state if state["status"] in ("done", "refused") else None

    state = wait_until(finished, timeout=60, interval=0.2)
    assert state["status"] == "done", state
    assert state["steps_done"] == state["steps_total"] == job["steps_total"]
    certificate = state["certificate"]
    assert certificate["customer_id"] == customer["id"]
    assert certificate["contact_points"] == {"emails": 1, "phones": 1}
    assert certificate["steps"]["profile"]["customer_emails"] == 1
    assert EMAIL not in json.dumps(certificate)

    for needle in (EMAIL, PHONE, "ana.secret"):
        assert _text_columns_containing(app, needle) == [], needle
    assert _revenue(app) == revenue
    erased = client.get(f"/api/v1/customers/{customer['id']}", headers=agent_headers).get_json()
    assert erased["name"] == f"Erased customer {customer['id']}"
    assert erased["emails"] == [] and erased["lifetime_value"] == {"EUR": "100.50"}
    search = client.get(
        "/api/v1/customers", query_string={"q": "secret-7731"}, headers=agent_headers
    )
    assert _ok(search)["items"] == []
    bea = client.get(f"/api/v1/customers/{other['id']}", headers=agent_headers).get_json()
    assert bea["notes"] == "[erased]\nlikes tea"
    with app.app_context():
        assert erasure.compact_after_erasures(db.session, clock=SystemClock()) == 1
        assert erasure.compact_after_erasures(db.session, clock=SystemClock()) == 0
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            hits = db.session.execute(
                text("SELECT count(*) FROM customer_search_fts WHERE document MATCH :q"),
                {"q": '"secret-7731"'},
            ).scalar()
            assert hits == 0
            # A backup taken now holds no trace either (freed pages are zeroed).
            target = tmp_path / "after.sqlite3"
            backup.create_backup(db.engine, target, clock=SystemClock())
            assert EMAIL.encode() not in target.read_bytes()
        logged = db.session.scalars(
            select(CustomerAccess.action).where(CustomerAccess.customer_id == customer["id"])
        ).all()
        assert "erase" in logged
        files = db.session.scalar(
            select(OutboxMessage.attachments).where(OutboxMessage.idempotency_key == "test:erase")
        )
        assert files is None  # the file names went with the address
        told_now = db.session.scalars(
            select(Notification).where(Notification.requirement_id == requirement_id)
        ).all()
        assert [(n.title, n.detail) for n in told_now] == [("[erased]", None)]


def test_a_legal_hold_refuses_erasure_until_lifted_and_is_audited(
    app: Flask, client: FlaskClient, auth: Callable[..., tuple[User, Headers]]
) -> None:
    _, agent_headers = auth(Role.AGENT)
    supervisor, supervisor_headers = auth(Role.SUPERVISOR)
    _, admin_headers = auth(Role.ADMIN)
    customer = _ok(
        client.post("/api/v1/customers", json={"name": "Cy"}, headers=agent_headers), 201
    )
    hold_url = f"/api/v1/customers/{customer['id']}/legal-hold"
    assert client.put(hold_url, json={"reason": "x"}, headers=agent_headers).status_code == 403
    assert client.put(hold_url, json={}, headers=supervisor_headers).status_code == 422
    held = _ok(
        client.put(hold_url, json={"reason": "Litigation 2026-17"}, headers=supervisor_headers)
    )
    assert held["legal_hold_reason"] == "Litigation 2026-17"
    erase_url = f"/api/v1/customers/{customer['id']}/erasure"
    refused = client.post(erase_url, headers=admin_headers)
    assert refused.status_code == 409
    assert "legal hold" in refused.get_json()["detail"]
    assert client.post(erase_url, headers=supervisor_headers).status_code == 403
    _ok(client.delete(hold_url, headers=supervisor_headers))
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "legal_hold").order_by(AuditEntry.id)
        ).all()
        assert [(e.actor_id, e.entity_id) for e in entries] == [
            (supervisor.id, customer["id"]),
            (supervisor.id, customer["id"]),
        ]
        assert entries[0].changes["legal_hold_reason"] == [None, "Litigation 2026-17"]


def test_masked_agents_see_masks_until_they_reveal_and_reveals_are_logged(
    app: Flask,
    client: FlaskClient,
    auth: Callable[..., tuple[User, Headers]],
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MASKED_ROLES", ["agent"])
    agent, agent_headers = auth(Role.AGENT)
    _, supervisor_headers = auth(Role.SUPERVISOR)
    customer = _ok(
        client.post(
            "/api/v1/customers",
            json={"name": "Dee", "emails": ["alice@example.com"], "phones": ["+8613800138000"]},
            headers=agent_headers,
        ),
        201,
    )
    url = f"/api/v1/customers/{customer['id']}"
    masked = _ok(client.get(url, headers=agent_headers))
    assert masked["emails"] == ["a***@example.com"]
    assert masked["primary_email"] == "a***@example.com"
    assert masked["phones"] == ["+86 138****8000"]
    listed = _ok(client.get("/api/v1/customers", headers=agent_headers))
    assert listed["items"][0]["emails"] == ["a***@example.com"]
    assert _ok(client.get(url, headers=supervisor_headers))["emails"] == ["alice@example.com"]
    revealed = _ok(client.post(f"{url}/reveal", headers=agent_headers))
    assert revealed["emails"] == ["alice@example.com"]

    page_client = app.test_client()
    login(page_client, agent.email)
    page = page_client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    assert "a***@example.com" in page and "alice@example.com" not in page
    assert page_client.get(f"/customers/{customer['id']}/edit").status_code == 302  # reveal first
    assert page_client.get(f"/customers/{customer['id']}/history").status_code == 302
    token = csrf_token(page_client, f"/customers/{customer['id']}")
    response = page_client.post(f"/customers/{customer['id']}/reveal", data={"csrf_token": token})
    assert response.status_code == 302
    page = page_client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    assert "alice@example.com" in page and "+8613800138000" in page
    assert page_client.get(f"/customers/{customer['id']}/history").status_code == 200
    with app.app_context():
        reveals = db.session.execute(
            select(CustomerAccess.user_id, CustomerAccess.via).where(
                CustomerAccess.action == "reveal"
            )
        ).all()
        assert sorted(reveals) == [(agent.id, "api"), (agent.id, "page")]


def test_views_are_logged_and_only_admins_search_the_log(
    app: Flask, client: FlaskClient, auth: Callable[..., tuple[User, Headers]], make_user: Any
) -> None:
    agent, agent_headers = auth(Role.AGENT)
    _, admin_headers = auth(Role.ADMIN)
    customer = _ok(
        client.post("/api/v1/customers", json={"name": "Eve"}, headers=agent_headers), 201
    )
    _ok(client.get(f"/api/v1/customers/{customer['id']}", headers=agent_headers))
    _ok(client.get(f"/api/v1/customers/{customer['id']}/timeline", headers=agent_headers))
    page_client = app.test_client()
    login(page_client, agent.email)
    assert page_client.get(f"/customers/{customer['id']}").status_code == 200
    assert page_client.get("/customers/999999").status_code == 404  # not logged
    assert client.get("/api/v1/access-log", headers=agent_headers).status_code == 403
    entries = _ok(
        client.get(
            "/api/v1/access-log",
            query_string={"customer_id": customer["id"], "action": "view"},
            headers=admin_headers,
        )
    )
    assert sorted((e["user_id"], e["via"], e["detail"] or "") for e in entries) == [
        (agent.id, "api", ""),
        (agent.id, "api", "timeline"),
        (agent.id, "page", ""),
    ]
    assert client.get("/api/v1/access-log?action=nope", headers=admin_headers).status_code == 422
    admin_client = app.test_client()
    login(admin_client, make_user(Role.ADMIN).email)
    page = admin_client.get(f"/admin/access-log?customer_id={customer['id']}")
    assert page.status_code == 200 and page.get_data(as_text=True).count("<td>view</td>") == 3
    assert page_client.get("/admin/access-log").status_code == 403


def test_admin_erases_from_the_pages_after_typing_the_name(
    app: Flask, client: FlaskClient, make_user: Any, worker: Process
) -> None:
    agent = make_user(Role.AGENT)
    supervisor = make_user(Role.SUPERVISOR)
    admin = make_user(Role.ADMIN)
    login(client, admin.email)
    token = csrf_token(client, "/customers/new")
    with app.app_context():
        customer = profiles.create_customer(
            db.session,
            {"name": "Fay", "emails": ["fay@example.net"]},
            actor_id=None,
            clock=SystemClock(),
        )
        db.session.commit()
        customer_id = customer.id
    agent_client = app.test_client()
    login(agent_client, agent.email)
    assert agent_client.get(f"/customers/{customer_id}/erase").status_code == 403
    supervisor_client = app.test_client()
    login(supervisor_client, supervisor.email)
    page = supervisor_client.get(f"/customers/{customer_id}/erase").get_data(as_text=True)
    assert "Set a legal hold" in page and "Erase this customer" not in page  # admins only
    export = supervisor_client.post(
        f"/customers/{customer_id}/export",
        data={"csrf_token": csrf_token(supervisor_client, f"/customers/{customer_id}/erase")},
    )
    assert export.status_code == 200 and export.mimetype == "application/zip"

    wrong = client.post(
        f"/customers/{customer_id}/erase", data={"csrf_token": token, "confirm_name": "Fae"}
    )
    assert wrong.status_code == 422 and "exactly as shown" in wrong.get_data(as_text=True)
    started = client.post(
        f"/customers/{customer_id}/erase", data={"csrf_token": token, "confirm_name": "Fay"}
    )
    assert started.status_code == 302
    progress_url = started.headers["Location"]
    assert client.get(progress_url).status_code == 200

    def done() -> dict[str, Any] | None:
        state = client.get(f"{progress_url}/status.json").get_json()
        return state if state["status"] == "done" else None

    state = wait_until(done, timeout=60, interval=0.2)
    assert state["certificate"]["rows_changed"] >= 2
    certificate = client.get(f"{progress_url}/certificate.json")
    assert certificate.status_code == 200 and "fay@example.net" not in certificate.get_data(
        as_text=True
    )
    assert "Erased customer" in client.get(f"/customers/{customer_id}").get_data(as_text=True)


def test_a_hold_set_after_the_request_stops_the_job_and_a_chunked_scan_resumes(
    in_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = SystemClock()
    held = profiles.create_customer(db.session, {"name": "Hal"}, actor_id=None, clock=clock)
    job = erasure.request_erasure(db.session, held, actor_id=None, clock=clock)
    erasure.set_legal_hold(db.session, held, "audit", actor_id=None, clock=clock)
    assert erasure.step(db.session, job.id, clock=clock) is False
    assert (job.status, job.steps_done) == ("refused", 0)

    # Scanning a few rows per call still reaches every row (the cursor carries on).
    monkeypatch.setattr(scrub, "SCAN_ROWS", 2)
    for n in range(5):
        profiles.create_customer(
            db.session,
            {"name": f"P{n}", "notes": f"knows ivy{n % 2}@example.com"},
            actor_id=None,
            clock=clock,
        )
    ivy = profiles.create_customer(
        db.session, {"name": "Ivy", "emails": ["ivy1@example.com"]}, actor_id=None, clock=clock
    )
    job = erasure.request_erasure(db.session, ivy, actor_id=None, clock=clock)
    calls = 0
    while erasure.step(db.session, job.id, clock=clock):
        calls += 1
    assert job.status == "done" and calls > job.steps_total
    notes = db.session.scalars(select(Customer.notes).where(Customer.notes.is_not(None))).all()
    assert sorted(notes) == ["[erased]"] * 2 + ["knows ivy0@example.com"] * 3
    db.session.rollback()
