"""In-app notifications through HTTP and the workflows on the real database: who hears of a
reassignment, a customer's reply, an SLA timer and an `@mention`, as their preferences say;
the bell's count, the page, marking read; mention suggestions under the read policy; the
outgoing mail banner. (Delivery of the email copies by a real worker: tests/e2e.)"""

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import (
    Communication,
    Customer,
    Direction,
    Notification,
    OutboxMessage,
    Requirement,
    Role,
    User,
)
from tests.integration.test_customer_pages import text_of
from tests.integration.test_requirement_pages import START, World, post
from web.extensions import db
from workflows.platform import accounts, mail_health
from workflows.platform.clock import ManualClock
from workflows.tracking import conversations, notification_preferences, requirements
from workflows.tracking.notification_preferences import Channels


@pytest.fixture
def world(app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    clock = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", clock)
    users = {
        "agent": make_user(Role.AGENT, name="Alma Agent", email="alma.agent@example.com"),
        "colleague": make_user(Role.AGENT, name="Carl Colleague", email="carl@example.com"),
        "outsider": make_user(Role.AGENT, name="Otto Outsider", email="otto@example.com"),
        "lead": make_user(Role.SUPERVISOR, name="Lena Lead", email="lena@example.com"),
        "admin": make_user(Role.ADMIN, name="Ada Admin", email="ada@example.com"),
    }
    return World(app, clock, users)


def notes_of(app: Flask, user: User) -> list[tuple[str, int | None, int | None]]:
    """(event, requirement, actor) of the user's notifications, oldest first."""
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(Notification.event, Notification.requirement_id, Notification.actor_id)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        ]


def emails_to(app: Flask, user: User) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage.subject).where(OutboxMessage.to_address == user.email)
            )
        )


def choose(app: Flask, user: User, **chosen: Channels) -> None:
    with app.app_context():
        notification_preferences.set_preferences(db.session, user.id, chosen)
        db.session.commit()


def reassign(world: World, requirement_id: int, to: str | None, by: str = "lead") -> Any:
    client = world.client(by)
    page = f"/requirements/{requirement_id}"
    version = world.get(requirement_id).version
    values = {
        "assignee_id": world.users[to].id if to else "",
        "team_id": world.team,
        "priority": "normal",
        "version": version,
    }
    return post(client, f"{page}/assignment", values, page)


def test_reassigning_notifies_the_new_assignee_and_the_old_one_only_if_they_asked(
    world: World,
) -> None:
    app, users = world.app, world.users
    req = world.open(assignee_id=users["agent"].id, by="lead")
    assert notes_of(app, users["agent"]) == [("assigned", req, users["lead"].id)]

    assert reassign(world, req, "colleague").status_code == 303
    assert notes_of(app, users["colleague"]) == [("assigned", req, users["lead"].id)]
    assert [n[0] for n in notes_of(app, users["agent"])] == ["assigned"]  # off by default

    choose(app, users["colleague"], reassigned_away=Channels(in_app=True, email=True))
    assert reassign(world, req, "agent").status_code == 303
    assert notes_of(app, users["colleague"])[-1] == ("reassigned_away", req, users["lead"].id)
    assert emails_to(app, users["colleague"]) == [f"Reassigned: #{req} “Printer on fire”"]
    assert [n[0] for n in notes_of(app, users["agent"])] == ["assigned", "assigned"]


def test_nobody_is_told_of_what_they_did_themselves(world: World) -> None:
    req = world.open(by="agent")
    with world.app.app_context():
        requirements.update_requirement(
            db.session,
            db.session.get(Requirement, req),
            {"assignee_id": world.users["agent"].id},
            expected_version=world.get(req).version,
            actor=db.session.get(User, world.users["agent"].id),
            clock=world.clock,
        )
        db.session.commit()
    assert notes_of(world.app, world.users["agent"]) == []


def test_preferences_off_means_no_notification_and_email_on_writes_one_email(
    world: World,
) -> None:
    app, users = world.app, world.users
    client = world.client("colleague")
    page = "/notifications/preferences"
    html = text_of(client.get(page))
    assert 'name="assigned.in_app" aria-label="Assigned to me in the app" checked' in html
    response = post(client, page, {"assigned.email": "on", "mentioned.in_app": "on"}, page)
    assert response.status_code == 303
    req = world.open(assignee_id=users["colleague"].id, by="lead")
    assert notes_of(app, users["colleague"]) == []  # in-app turned off
    assert emails_to(app, users["colleague"]) == [f"Assigned to you: #{req} “Printer on fire”"]
    with app.app_context():
        chosen = notification_preferences.preferences(db.session, users["colleague"].id)
    assert chosen["assigned"] == Channels(in_app=False, email=True)
    assert chosen["breached"] == Channels(in_app=False, email=False)  # unticked: off


def test_a_customer_reply_notifies_the_assignee(world: World) -> None:
    req = world.open(assignee_id=world.users["agent"].id, by="lead")
    with world.app.app_context():
        conversations.log_communication(
            db.session,
            db.session.get(Customer, world.customer),
            {
                "channel": "email",
                "direction": "inbound",
                "body": "Still broken",
                "requirement_id": req,
            },
            actor_id=None,
            clock=world.clock,
        )
        db.session.commit()
        inbound = db.session.scalar(
            select(func.count())
            .select_from(Communication)
            .where(Communication.direction == Direction.INBOUND)
        )
    assert inbound == 1
    assert notes_of(world.app, world.users["agent"])[-1] == ("customer_replied", req, None)


def test_sla_timers_notify_in_app_and_email_as_chosen(world: World) -> None:
    app, users = world.app, world.users
    world.policy({"normal": {"first_response": 600, "resolution": 3600}})
    choose(app, users["colleague"], breached=Channels(in_app=True, email=False))
    mine = world.open("Mine", assignee_id=users["agent"].id, by="lead")
    theirs = world.open("Theirs", assignee_id=users["colleague"].id, by="lead")
    world.clock.advance(timedelta(minutes=15))
    world.run_due_timers()
    assert ("at_risk", mine, None) in notes_of(app, users["agent"])
    assert ("breached", mine, None) in notes_of(app, users["agent"])
    assert ("breached", theirs, None) in notes_of(app, users["colleague"])
    assert any(s.startswith("Breached") for s in emails_to(app, users["agent"]))
    assert not any(s.startswith("Breached") for s in emails_to(app, users["colleague"]))


def test_a_mention_notifies_readers_only_and_never_the_writer(world: World) -> None:
    app, users = world.app, world.users
    req = world.open(assignee_id=users["agent"].id, by="lead")
    client = world.client("agent")
    page = f"/requirements/{req}"
    body = "Ask @carl and @LenaLead, not @otto; cc @alma.agent. Mail ana@carl.example"
    response = post(client, f"{page}/notes", {"body": body, "body_format": "markdown"}, page)
    assert response.status_code == 303
    agent_id = users["agent"].id
    assert notes_of(app, users["colleague"]) == [("mentioned", req, agent_id)]
    assert notes_of(app, users["lead"]) == [("mentioned", req, agent_id)]
    assert notes_of(app, users["outsider"]) == []  # another team's agent may not read it
    assert [n[0] for n in notes_of(app, users["agent"])] == ["assigned"]
    with app.app_context():
        detail = db.session.scalar(
            select(Notification.detail).where(Notification.user_id == users["lead"].id)
        )
    assert detail == body


def test_mention_suggestions_list_readers_by_name_or_handle(world: World) -> None:
    req = world.open(by="lead")
    client = world.client("agent")
    url = f"/requirements/{req}/mention-suggestions"
    assert client.get(f"{url}?q=ca").get_json() == [{"handle": "carl", "name": "Carl Colleague"}]
    assert client.get(f"{url}?q=lead").get_json() == [{"handle": "lena", "name": "Lena Lead"}]
    assert client.get(f"{url}?q=ot").get_json() == []  # Otto may not read it
    everyone = [p["name"] for p in client.get(url).get_json()]
    assert everyone == ["Ada Admin", "Alma Agent", "Carl Colleague", "Lena Lead"]
    assert client.get(f"{url}?q=%25").get_json() == []  # a wildcard is a character
    assert world.client("outsider").get(f"{url}?q=c").status_code == 404


def test_the_bell_counts_unread_and_the_page_marks_read(world: World) -> None:
    users = world.users
    first = world.open("First", assignee_id=users["agent"].id, by="lead")
    world.open("Second", assignee_id=users["agent"].id, by="lead")
    client = world.client("agent")
    assert client.get("/notifications/unread").get_json()["unread"] == 2
    html = text_of(client.get("/"))
    assert re.search(r'id="unread-count" aria-live="polite">2<', html)
    page = text_of(client.get("/notifications"))
    assert f"Lena Lead assigned #{first} “First” to you" in page
    ids = [int(i) for i in re.findall(r'<li class="unread" data-id="(\d+)"', page)]
    assert len(ids) == 2
    opened = post(client, f"/notifications/{ids[1]}/read", {"open": "1"}, "/notifications")
    assert opened.headers["Location"].endswith(f"/requirements/{first}")
    assert client.get("/notifications/unread").get_json()["unread"] == 1
    assert (
        post(world.client("colleague"), f"/notifications/{ids[0]}/read", {}, "/").status_code == 404
    )
    post(client, "/notifications/read-all", {}, "/notifications")
    assert client.get("/notifications/unread").get_json()["unread"] == 0
    assert 'id="unread-count" aria-live="polite" hidden' in text_of(client.get("/notifications"))


def test_the_mail_banner_shows_admins_the_reason_until_the_server_is_back(world: World) -> None:
    app = world.app
    with app.app_context():
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as refused:
            error = refused
        mail_health.record_unreachable(
            db.session, host="smtp.example.com", port=25, error=error, clock=world.clock
        )
        db.session.commit()
    world.open(assignee_id=world.users["colleague"].id, by="lead")
    choose(app, world.users["agent"], assigned=Channels(in_app=True, email=True))
    world.open(assignee_id=world.users["agent"].id, by="lead")  # one email waiting
    admin = world.client("admin")
    banner = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text_of(admin.get("/customers"))))
    assert (
        "The mail server at smtp.example.com:25 refused the connection — 1 message waiting "
        "since 09:00 UTC (failing since 2099-01-05 09:00 UTC)"
    ) in banner
    assert 'id="mail-banner"' not in text_of(world.client("lead").get("/customers"))
    with app.app_context():
        mail_health.record_reachable(db.session)
        db.session.commit()
    assert 'id="mail-banner"' not in text_of(admin.get("/customers"))


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ConnectionRefusedError(111, "refused"), "refused"),
        (TimeoutError("timed out"), "timeout"),
        (OSError(113, "No route to host"), "unreachable"),
        (ValueError("odd"), "other"),
    ],
)
def test_connection_errors_get_a_reason(error: BaseException, reason: str) -> None:
    from workflows.platform.smtp import SmtpUnavailable

    try:
        try:
            raise error
        except BaseException as exc:
            raise SmtpUnavailable(str(exc)) from exc
    except SmtpUnavailable as wrapped:
        assert mail_health.reason_of(wrapped) == reason


def test_the_api_lists_marks_read_and_sets_preferences(world: World) -> None:
    users = world.users
    first = world.open("First", assignee_id=users["agent"].id, by="lead")
    world.open("Second", assignee_id=users["agent"].id, by="lead")
    world.open("Theirs", assignee_id=users["colleague"].id, by="lead")
    with world.app.app_context():
        secret = accounts.issue_token(
            db.session, db.session.get(User, users["agent"].id), "t", clock=world.clock
        ).secret
        db.session.commit()
    api = world.app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    body = api.get("/api/v1/notifications?limit=1", headers=headers).get_json()
    assert [n["title"] for n in body["items"]] == ["Second"]
    assert body["unread"] == 2 and body["more"] is True
    older = f"/api/v1/notifications?before_id={body['items'][0]['id']}"
    (oldest,) = api.get(older, headers=headers).get_json()["items"]
    assert oldest["requirement_id"] == first and oldest["event"] == "assigned"

    theirs = world.app.test_client()
    with world.app.app_context():
        other_id = db.session.scalar(
            select(Notification.id).where(Notification.user_id == users["colleague"].id)
        )
    read = api.post(
        "/api/v1/notifications/read", json={"ids": [oldest["id"], other_id]}, headers=headers
    )
    assert read.get_json() == {"marked": 1, "unread": 1}  # someone else's id: ignored
    assert notes_of(theirs.application, users["colleague"])  # still there, unread
    assert api.post("/api/v1/notifications/read-all", headers=headers).get_json() == {
        "marked": 1,
        "unread": 0,
    }

    refused = api.put(
        "/api/v1/notifications/preferences",
        json={"assigned": {"in_app": False, "email": True}, "birthday": {}},
        headers=headers,
    )
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert "birthday" in refused.get_json()["errors"]
    saved = api.put(
        "/api/v1/notifications/preferences",
        json={"assigned": {"in_app": False, "email": True}},
        headers=headers,
    ).get_json()
    assert saved["assigned"] == {"in_app": False, "email": True}
    assert saved["mentioned"] == {"in_app": True, "email": False}
    assert (
        api.post("/api/v1/notifications/read", json={"ids": []}, headers=headers).status_code == 422
    )
