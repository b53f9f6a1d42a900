"""Editing, linking, deleting and restoring a logged communication from the customer page: an
empty body refused at its field, linking only to a requirement the editor may act on, a stale
form refused, delete and restore audited."""

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import AuditEntry, Communication, Customer
from tests.conftest import csrf_token
from tests.integration.teams_world import World, build
from web.clocks import current_clock
from web.extensions import db
from workflows.tracking import conversations


@pytest.fixture
def world(app: Flask, make_user: Any) -> World:
    return build(app, make_user)


@pytest.fixture
def note(world: World) -> int:
    with world.app.app_context():
        communication = conversations.log_communication(
            db.session,
            db.session.get(Customer, world.customer_id),
            {"channel": "call", "body": "Asked about the invoice"},
            actor_id=world.users["agent"].id,
            clock=current_clock(),
        )
        db.session.commit()
        return communication.id


def _row(world: World, ident: int) -> Communication:
    with world.app.app_context():
        row = db.session.get(Communication, ident)
        db.session.expunge(row)
        return row


def _post(world: World, who: str, path: str, **data: Any) -> Any:
    client = world.page(who)
    return client.post(path, data={"csrf_token": csrf_token(client, "/customers"), **data})


def test_edit_and_link_to_a_requirement_from_the_timeline(world: World, note: int) -> None:
    page = world.page("agent").get(f"/customers/{world.customer_id}").get_data(as_text=True)
    assert f'href="/customers/communications/{note}/edit"' in page
    form = world.page("agent").get(f"/customers/communications/{note}/edit").get_data(as_text=True)
    assert f'<option value="{world.requirement_a}"' in form
    assert f'<option value="{world.requirement_b}"' not in form  # team B's: not readable
    response = _post(
        world,
        "agent",
        f"/customers/communications/{note}/edit",
        subject="Invoice",
        body="Asked about the March invoice",
        requirement_id=str(world.requirement_a),
        version="1",
    )
    assert response.status_code == 302
    row = _row(world, note)
    assert (row.subject, row.body_text, row.requirement_id) == (
        "Invoice",
        "Asked about the March invoice",
        world.requirement_a,
    )
    search = world.page("agent").get("/search/suggest", query_string={"q": "march invoice"})
    hits = {g["kind"]: g["hits"] for g in search.get_json()["groups"]}["requirements"]
    assert [h["url"] for h in hits] == [f"/requirements/{world.requirement_a}"]


def test_an_empty_body_is_refused_at_its_field_and_nothing_changes(world: World, note: int) -> None:
    with world.app.app_context():
        db.session.get(Communication, note).channel = "note"
        db.session.commit()
    response = _post(
        world,
        "agent",
        f"/customers/communications/{note}/edit",
        subject="",
        body="   ",
        requirement_id="",
        version=str(_row(world, note).version),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="edit-body" name="body" rows="6" aria-invalid="true"' in html
    assert "Write what was said." in html
    assert _row(world, note).body_text == "Asked about the invoice"


def test_a_quick_log_with_an_empty_note_is_refused_at_its_field(world: World) -> None:
    response = _post(
        world, "agent", f"/customers/{world.customer_id}/communications", channel="note", body=" "
    )
    assert response.status_code == 422
    assert "Write what was said." in response.get_data(as_text=True)


def test_linking_to_a_requirement_one_may_not_act_on_is_refused(world: World, note: int) -> None:
    response = _post(
        world,
        "agent",
        f"/customers/communications/{note}/edit",
        subject="",
        body="Asked about the invoice",
        requirement_id=str(world.requirement_b),
        version="1",
    )
    assert response.status_code == 403
    assert _row(world, note).requirement_id is None


def test_a_stale_form_is_refused(world: World, note: int) -> None:
    path = f"/customers/communications/{note}/edit"
    first = _post(world, "agent", path, subject="One", body="x", requirement_id="", version="1")
    assert first.status_code == 302
    second = _post(world, "agent", path, subject="Two", body="y", requirement_id="", version="1")
    assert second.status_code == 409
    assert _row(world, note).subject == "One"


def test_supervisors_delete_and_restore_with_an_audit_trail(world: World, note: int) -> None:
    path = f"/customers/communications/{note}"
    assert _post(world, "agent", f"{path}/delete", version="1").status_code == 403
    deleted = _post(world, "supervisor", f"{path}/delete", version="1")
    assert deleted.status_code == 302
    assert _row(world, note).deleted_at is not None
    page = world.page("supervisor").get(deleted.headers["Location"]).get_data(as_text=True)
    assert f'action="{path}/restore"' in page
    assert "Asked about the invoice" not in page
    assert _post(world, "supervisor", f"{path}/restore").status_code == 302
    assert _row(world, note).deleted_at is None
    with world.app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "communication", AuditEntry.entity_id == note)
            .order_by(AuditEntry.id)
        ).all()
    assert actions == ["create", "delete", "restore"]
