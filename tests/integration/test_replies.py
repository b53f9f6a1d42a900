"""Replies and notes from the requirement page, on the real database: each reply is one outbox
row (key `reply:<communication id>`, fixed Message-ID) and an outbound email on the customer's
timeline that meets the response clock when queued; every message to the customer carries the
thread (References, In-Reply-To, signed Reply-To), reminders too; "send and …" is one
transaction; notes are never sent; the page shows the thread in order with delivery status.

The app's clock is a ManualClock in 2099 (the World of test_requirement_pages), so timers
planned here never fall due for the session's clock process."""

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models import (
    Communication,
    CommunicationChannel,
    Direction,
    Metric,
    OutboxMessage,
    OutboxStatus,
    SlaClock,
    SlaStatus,
)
from tests.conftest import csrf_token
from tests.integration.test_customer_pages import field_error, text_of
from tests.integration.test_requirement_pages import World, world  # noqa: F401
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import mail_threads
from workflows.tracking import conversations


@pytest.fixture
def ana(world: World) -> World:  # noqa: F811
    """The world's requirements are about a customer with an email address."""
    with world.app.app_context():
        customer = profiles.create_customer(
            db.session,
            {"name": "Ana Lima", "emails": "ana@example.com"},
            actor_id=None,
            clock=world.clock,
        )
        db.session.commit()
        world.customer = customer.id
    return world


def post(w: World, who: str, path: str, values: dict[str, Any]) -> Any:
    client = w.client(who)
    page = re.sub(r"/(replies|notes)$", "", path)
    return client.post(path, data={"csrf_token": csrf_token(client, page), **values})


def rows(app: Flask, model: Any) -> list[Any]:
    with app.app_context():
        found = list(db.session.scalars(select(model).order_by(model.id)))
        for row in found:
            db.session.expunge(row)
        return found


def working(w: World, title: str = "Printer on fire", **kw: Any) -> int:
    rid = w.open(title, assignee_id=w.users["agent"].id, **kw)
    w.fire(rid, "assign")
    return rid


def test_a_reply_is_one_outbox_row_and_one_email_on_the_timeline(ana: World) -> None:
    rid = working(ana)
    response = post(
        ana,
        "agent",
        f"/requirements/{rid}/replies",
        {"body": "Hello **Ana**\n\n<script>x()</script>", "cc": "boss@example.com", "then": ""},
    )
    assert response.status_code == 303

    (message,) = rows(ana.app, OutboxMessage)
    (email,) = rows(ana.app, Communication)
    assert message.idempotency_key == f"reply:{email.id}"
    assert (message.to_address, message.subject) == ("ana@example.com", f"[#{rid}] Printer on fire")
    assert "<strong>Ana</strong>" in message.body_html and "<script>" not in message.body_html
    assert message.body_text.startswith("Hello **Ana**")
    assert (email.channel, email.direction) == (CommunicationChannel.EMAIL, Direction.OUTBOUND)
    assert (email.requirement_id, email.customer_id) == (rid, ana.customer)
    assert (email.message_id, email.outbox_id) == (message.message_id, message.id)
    assert email.participants == ["ana@example.com", "boss@example.com"]

    headers = message.headers
    assert headers["Cc"] == "boss@example.com"
    root = mail_threads.thread_message_id(f"r{rid}", "example.com")
    assert headers["References"] == root == headers["In-Reply-To"]
    secret = ana.app.config["SECRET_KEY"]
    assert mail_threads.thread_of(headers["Reply-To"], secret) == f"r{rid}"
    assert headers["Reply-To"].endswith("@example.com")


def test_the_next_reply_references_the_earlier_ones(ana: World) -> None:
    rid = working(ana)
    for body in ("First answer", "Second answer", "Third answer"):
        assert post(ana, "agent", f"/requirements/{rid}/replies", {"body": body}).status_code == 303
    first, second, third = rows(ana.app, OutboxMessage)
    root = mail_threads.thread_message_id(f"r{rid}", "example.com")
    assert third.headers["In-Reply-To"] == second.message_id
    assert third.headers["References"].split() == [root, first.message_id, second.message_id]
    assert len({first.message_id, second.message_id, third.message_id}) == 3


def test_a_reply_meets_the_first_response_clock_when_it_is_queued(ana: World) -> None:
    ana.policy({"default": {"first_response": 3600}})
    rid = working(ana)
    ana.clock.advance(timedelta(minutes=5))
    post(ana, "agent", f"/requirements/{rid}/replies", {"body": "On it."})
    with ana.app.app_context():
        clock = db.session.scalar(
            select(SlaClock).where(
                SlaClock.requirement_id == rid, SlaClock.metric == Metric.FIRST_RESPONSE
            )
        )
        assert clock.status == SlaStatus.MET
        assert clock.met_at == ana.clock.now()
    (message,) = rows(ana.app, OutboxMessage)
    assert message.status == OutboxStatus.PENDING  # met when queued, not when sent


def test_send_and_wait_on_customer_moves_the_requirement(ana: World) -> None:
    rid = working(ana)
    response = post(
        ana,
        "agent",
        f"/requirements/{rid}/replies",
        {"body": "Which model?", "then": "ask_customer"},
    )
    assert response.status_code == 303
    assert ana.get(rid).state == "waiting_on_customer"
    assert len(rows(ana.app, OutboxMessage)) == 1


def test_a_refused_trigger_takes_the_reply_back(ana: World) -> None:
    rid = working(ana)
    version = ana.get(rid).version
    response = post(
        ana, "agent", f"/requirements/{rid}/replies", {"body": "All done.", "then": "resolve"}
    )
    assert response.status_code == 422
    assert (
        field_error(text_of(response), "reply-resolution") == "Resolving needs a resolution note."
    )
    assert 'id="reply-body"' in text_of(response) and "All done." in text_of(response)
    assert rows(ana.app, OutboxMessage) == [] and rows(ana.app, Communication) == []
    assert (ana.get(rid).state, ana.get(rid).version) == ("open", version)

    response = post(
        ana,
        "agent",
        f"/requirements/{rid}/replies",
        {"body": "All done.", "then": "resolve", "resolution_note": "Replaced the fuser"},
    )
    assert response.status_code == 303
    assert ana.get(rid).state == "resolved"
    assert len(rows(ana.app, OutboxMessage)) == 1


def test_a_trigger_not_allowed_now_is_refused_at_its_field(ana: World) -> None:
    rid = working(ana)
    response = post(ana, "agent", f"/requirements/{rid}/replies", {"body": "x", "then": "close"})
    assert response.status_code == 422
    assert field_error(text_of(response), "reply-then") == (
        "“close” is not possible from “open”. Allowed now: start, ask_customer, resolve, "
        "cancel, merge."
    )
    assert rows(ana.app, OutboxMessage) == []


def test_bad_recipients_and_an_empty_body_are_named(ana: World) -> None:
    rid = working(ana)
    response = post(
        ana,
        "agent",
        f"/requirements/{rid}/replies",
        {"body": " ", "to": "nobody", "cc": "a@b.c, x"},
    )
    assert response.status_code == 422
    page = text_of(response)
    assert field_error(page, "reply-body") == "Write the message."
    assert field_error(page, "reply-to").startswith("nobody:")
    assert field_error(page, "reply-cc").startswith("x:")
    assert rows(ana.app, Communication) == []


def test_only_someone_who_may_act_replies(ana: World) -> None:
    rid = working(ana)
    response = post(ana, "outsider", f"/requirements/{rid}/replies", {"body": "Hi"})
    # Another team's agent may not even read it (the read policy): 404, as if it did not exist.
    assert response.status_code == 404
    assert rows(ana.app, OutboxMessage) == []


def test_a_note_is_internal_and_never_sent(ana: World) -> None:
    ana.policy({"default": {"first_response": 3600}})
    rid = working(ana)
    response = post(ana, "colleague", f"/requirements/{rid}/notes", {"body": "Call him *first*"})
    assert response.status_code == 303
    (note,) = rows(ana.app, Communication)
    assert (note.channel, note.direction) == (CommunicationChannel.NOTE, Direction.INTERNAL)
    assert "<em>first</em>" in note.body_html
    assert rows(ana.app, OutboxMessage) == []
    with ana.app.app_context():
        statuses = db.session.scalars(select(SlaClock.status).where(SlaClock.requirement_id == rid))
        assert list(statuses) == [SlaStatus.RUNNING]  # a note answers nobody


def test_the_page_shows_the_thread_in_order_with_delivery_status(ana: World) -> None:
    rid = working(ana)
    with ana.app.app_context():
        customer = db.session.get(profiles.Customer, ana.customer)
        conversations.log_communication(
            db.session,
            customer,
            {
                "channel": "email",
                "direction": "inbound",
                "subject": "Printer",
                "body": "It is on fire",
                "requirement_id": rid,
            },
            actor_id=None,
            clock=ana.clock,
        )
        db.session.commit()
    ana.clock.advance(timedelta(minutes=1))
    post(ana, "agent", f"/requirements/{rid}/replies", {"body": "Sent one"})
    ana.clock.advance(timedelta(minutes=1))
    post(ana, "agent", f"/requirements/{rid}/notes", {"body": "He sounds upset"})
    ana.clock.advance(timedelta(minutes=1))
    post(ana, "agent", f"/requirements/{rid}/replies", {"body": "Failed one"})
    with ana.app.app_context():
        sent, failed = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        sent.status = OutboxStatus.SENT
        failed.status, failed.last_error = OutboxStatus.DEAD, "SMTPRecipientsRefused: 550 no"
        db.session.commit()

    page = text_of(ana.client("agent").get(f"/requirements/{rid}"))
    thread = page[page.index('id="thread"') :]
    order = [
        thread.index(text)
        for text in ("It is on fire", "Sent one", "He sounds upset", "Failed one")
    ]
    assert order == sorted(order)
    assert re.findall(r'data-delivery="(\w+)"', thread) == ["sent", "failed"]
    assert "SMTPRecipientsRefused: 550 no" in thread
    assert "Email from the customer" in thread and "Internal note" in thread


def test_customer_notices_join_the_thread(ana: World) -> None:
    rid = working(ana)
    post(
        ana,
        "agent",
        f"/requirements/{rid}/replies",
        {"body": "Which model?", "then": "ask_customer"},
    )
    asked = ana.clock.now()
    for days in (2, 5, 7, 10):  # two reminders, auto-resolve, then auto-close 3 days later
        ana.clock.advance(asked + timedelta(days=days, seconds=days) - ana.clock.now())
        ana.run_due_timers()
    reply, *notices = rows(ana.app, OutboxMessage)
    kinds = [n.cause.split(":")[1] for n in notices]
    assert kinds == ["customer_reminder_1", "customer_reminder_2", "auto_resolve", "auto_close"]
    root = mail_threads.thread_message_id(f"r{rid}", "example.com")
    for notice in notices:
        assert notice.to_address == "ana@example.com"
        assert notice.headers["References"].split() == [root, reply.message_id]
        assert notice.headers["In-Reply-To"] == reply.message_id
        assert notice.headers["Reply-To"] == reply.headers["Reply-To"]
        assert notice.headers["Auto-Submitted"] == "auto-generated"
    # An agent's reply is a person's message: answering it automatically is fine.
    assert not set(reply.headers) & {"Auto-Submitted", "Precedence", "X-Auto-Response-Suppress"}

    page = text_of(ana.client("agent").get(f"/requirements/{rid}"))
    thread = page[page.index('id="thread"') :]
    assert thread.count("Automatic notice") == 4
    assert re.findall(r'data-delivery="(\w+)"', thread) == ["queued"] * 5
    order = [thread.index(n.subject) for n in notices]
    assert thread.index("Which model?") < order[0] and order == sorted(order)


def test_a_message_id_is_stored_once(ana: World) -> None:
    rid = working(ana)
    post(ana, "agent", f"/requirements/{rid}/replies", {"body": "One"})
    with ana.app.app_context():
        (email,) = db.session.scalars(select(Communication))
        twin = Communication(
            customer_id=email.customer_id,
            channel=email.channel,
            direction=Direction.INBOUND,
            occurred_at=email.occurred_at,
            created_at=email.created_at,
            updated_at=email.updated_at,
            participants=[],
            message_id=email.message_id,
        )
        db.session.add(twin)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count(Communication.id))) == 1
