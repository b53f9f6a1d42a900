"""Requirement search in the queues and `GET /api/v1/requirements?q=`: title, description and the
text of linked communications, through the database's own index (FTS5 trigram / pg_trgm),
ranked, highlighted, in every state unless one is chosen, and kept current by the writers."""

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import Communication, Customer, Requirement, Role, User
from tests.integration.test_customer_pages import text_of
from tests.integration.test_requirement_pages import START, World, row_ids
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import ManualClock
from workflows.tracking import conversations, requirements


@pytest.fixture
def world(app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    clock = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", clock)
    users = {
        "agent": make_user(Role.AGENT, name="Alma Agent"),
        "colleague": make_user(Role.AGENT, name="Carl Colleague"),
        "outsider": make_user(Role.AGENT, name="Otto Outsider"),
        "lead": make_user(Role.SUPERVISOR, name="Lena Lead"),
    }
    return World(app, clock, users)


def _message(world: World, requirement_id: int, body: str) -> None:
    with world.app.app_context():
        conversations.log_communication(
            db.session,
            db.session.get(Customer, world.customer),
            {
                "channel": "email",
                "direction": "inbound",
                "body": body,
                "requirement_id": requirement_id,
            },
            actor_id=None,
            clock=world.clock,
        )
        db.session.commit()


def _api(world: World, path: str, method: str = "GET", who: str = "agent", **kw: Any) -> Any:
    with world.app.app_context():
        user = db.session.get(User, world.users[who].id)
        secret = accounts.issue_token(db.session, user, "t", clock=world.clock).secret
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}", **kw.pop("headers", {})}
    return world.app.test_client().open(f"/api/v1{path}", method=method, headers=headers, **kw)


def test_search_finds_title_description_and_message_text_in_any_state(world: World) -> None:
    me = world.users["agent"].id
    in_title = world.open("Quasarite printer jammed", assignee_id=me)
    in_description = world.open("Paper tray", description="Smells of quasarite", assignee_id=me)
    in_message = world.open("Broken screen", assignee_id=me)
    _message(world, in_message, "The quasarite coating came off")
    closed = world.open("Old quasarite case", assignee_id=me)
    world.fire(closed, "assign", "resolve", note="Done")
    world.open("Unrelated", assignee_id=me)

    page = text_of(world.client("agent").get("/requirements?queue=mine&q=QUASARITE"))

    assert sorted(row_ids(page)) == sorted([in_title, in_description, in_message, closed])
    assert "<mark>quasarite</mark>" in page.lower()
    assert "coating came off" in page  # the snippet comes from the message

    only_new = text_of(world.client("agent").get("/requirements?queue=mine&q=quasarite&state=new"))
    assert sorted(row_ids(only_new)) == sorted([in_title, in_description, in_message])


def test_search_follows_edits_and_needs_every_word(world: World) -> None:
    me = world.users["agent"].id
    req = world.open("Printer", assignee_id=me)
    world.open("Printer zeppelin", assignee_id=me)
    with world.app.app_context():
        requirement = db.session.get(Requirement, req)
        requirements.update_requirement(
            db.session,
            requirement,
            {"title": "Printer of quasarite"},
            expected_version=requirement.version,
            actor=db.session.get(User, me),
            clock=world.clock,
        )
        db.session.commit()

    agent = world.client("agent")
    assert row_ids(text_of(agent.get("/requirements?queue=mine&q=quasarite"))) == [req]
    assert row_ids(text_of(agent.get("/requirements?queue=mine&q=printer+quasarite"))) == [req]
    assert row_ids(text_of(agent.get("/requirements?queue=mine&q=zeppelin+quasarite"))) == []


def test_api_search_is_ranked_highlighted_and_refuses_what_it_cannot_do(world: World) -> None:
    me = world.users["agent"].id
    found = world.open("Quasarite order", assignee_id=me)
    world.open("Other", assignee_id=me)

    body = _api(world, "/requirements?q=quasarite").get_json()
    assert [r["id"] for r in body] == [found]
    assert "<mark>Quasarite</mark>" in body[0]["highlight"]
    plain = _api(world, "/requirements").get_json()
    assert all(r["highlight"] is None for r in plain)

    short = _api(world, "/requirements?q=ab")
    assert short.status_code == 422
    assert "q" in short.get_json()["errors"]
    paged = _api(world, f"/requirements?q=quasarite&before_id={found}")
    assert paged.status_code == 422
    assert "before_id" in paged.get_json()["errors"]


def test_editing_or_deleting_a_message_updates_the_search(world: World) -> None:
    me = world.users["agent"].id
    req = world.open("Broken screen", assignee_id=me)
    _message(world, req, "Scratched by quasarite dust")
    with world.app.app_context():
        (message_id,) = db.session.scalars(
            select(Communication.id).where(Communication.requirement_id == req)
        ).all()
    agent = world.client("agent")
    assert row_ids(text_of(agent.get("/requirements?queue=mine&q=quasarite"))) == [req]

    edited = _api(world, f"/communications/{message_id}")
    etag = edited.headers["ETag"]
    assert (
        _api(
            world,
            f"/communications/{message_id}",
            method="PATCH",
            json={"body": "Scratched by zeppelin dust"},
            headers={"If-Match": etag},
        ).status_code
        == 200
    )
    assert row_ids(text_of(agent.get("/requirements?queue=mine&q=quasarite"))) == []
    assert row_ids(text_of(agent.get("/requirements?queue=mine&q=zeppelin"))) == [req]

    etag = _api(world, f"/communications/{message_id}").headers["ETag"]
    deleted = _api(
        world,
        f"/communications/{message_id}",
        method="DELETE",
        headers={"If-Match": etag},
        who="lead",
    )
    assert deleted.status_code == 204
    assert row_ids(text_of(agent.get("/requirements?queue=mine&q=zeppelin"))) == []
