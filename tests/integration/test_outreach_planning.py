"""Outreach planning and execution in-process with a ManualClock: windows, holdout, stops,
caps across strategies, pause and resume, versions, and planning twice sending once."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import (
    Communication,
    DueStep,
    DueStepStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    OutboxMessage,
    Requirement,
    Role,
    Strategy,
    User,
)
from tests.conftest import login
from tests.outreach_helpers import email_steps, make_customers, make_strategy
from web.extensions import db
from workflows.customers import communications, profiles, transactions
from workflows.outreach import (
    activation,
    audiences,
    due_steps,
    execution,
    links,
    planning,
    stops,
    strategies,
)
from workflows.platform import accounts
from workflows.platform.clock import ManualClock, SystemClock
from workflows.platform.publishing import take_pending
from workflows.tracking import requirements

SETTINGS = execution.Settings(links=links.LinkSettings("test-secret", "https://crm.example.com"))


def _clock() -> ManualClock:
    # Far in the future: the session's real clock process never finds these rows due.
    return ManualClock(datetime(2099, 1, 5, 3, 0, tzinfo=UTC))  # a Monday, 03:00 UTC


def _transition(strategy: Strategy, trigger: str, clock: ManualClock) -> None:
    """The transition without its `outreach.enrol` publish: these tests enrol in-process on
    their own clock, and a live session worker must not enrol the same customers in real time."""
    strategies.transition(db.session, strategy, trigger, clock=clock)
    take_pending(db.session)


def _activate(strategy: Strategy, clock: ManualClock, seed: int = 1) -> dict[str, int]:
    _transition(strategy, "activate", clock)
    ids = activation.audience_ids(db.session, strategy, clock=clock)
    counts = planning.enrol(db.session, strategy, ids, clock=clock, rng=random.Random(seed))  # noqa: S311
    db.session.commit()
    return counts


def _tick(clock: ManualClock) -> dict[str, int]:
    ids = due_steps.claim_due(db.session, clock=clock)
    db.session.commit()
    outcome = due_steps.fire_batch(db.session, ids, clock=clock, settings=SETTINGS)
    db.session.commit()
    return outcome


def _emails() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_first_step_goes_out_inside_each_customers_window_once(in_app: Flask) -> None:
    clock = _clock()
    make_customers(db.session, clock, 3)
    strategy = make_strategy(db.session, clock)
    assert _activate(strategy, clock)["enrolled"] == 3
    # 03:00 UTC: 22:00 in New York, 04:00 in Berlin, 12:00 in Tokyo: only Tokyo is open.
    assert _tick(clock).get("sent") == 1
    assert [m.to_address for m in _emails()] == ["c2@example.com"]
    for hour in range(1, 24):
        clock.set(datetime(2099, 1, 5, 3, tzinfo=UTC) + timedelta(hours=hour))
        _tick(clock)
    sent = _emails()
    assert sorted(m.to_address for m in sent) == [f"c{n}@example.com" for n in range(3)]
    for message in sent:
        local = message.created_at.astimezone(
            __import__("zoneinfo").ZoneInfo(message_zone(message.to_address))
        )
        assert 9 <= local.hour < 17
        assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.headers["List-Unsubscribe"].startswith("<https://crm.example.com/u/")
        assert message.idempotency_key.startswith(f"outreach:{strategy.id}:")
    # Each is also an outbound communication on the customer's timeline.
    assert db.session.scalar(select(func.count()).select_from(Communication)) == 3


def message_zone(address: str) -> str:
    from tests.outreach_helpers import ZONES

    return ZONES[int(address[1]) % 3]


def test_planning_twice_and_firing_twice_send_once(in_app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    make_customers(db.session, clock, 3)
    strategy = make_strategy(
        db.session, clock, window={"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}
    )
    _activate(strategy, clock)
    again = planning.enrol(
        db.session,
        strategy,
        activation.audience_ids(db.session, strategy, clock=clock),
        clock=clock,
    )
    assert (again["enrolled"], again["already"]) == (0, 3)
    ids = due_steps.claim_due(db.session, clock=clock)
    db.session.commit()
    assert due_steps.claim_due(db.session, clock=clock) == []  # a second planner finds none
    first = due_steps.fire_batch(db.session, ids, clock=clock, settings=SETTINGS)
    second = due_steps.fire_batch(db.session, ids, clock=clock, settings=SETTINGS)
    db.session.commit()
    assert (first["sent"], second["skipped"]) == (3, 3)
    assert len(_emails()) == 3
    # A step row put back by hand (a lost lease) fires again but writes nothing new.
    row = db.session.scalars(select(DueStep).where(DueStep.step_index == 0)).first()
    row.status = DueStepStatus.ENQUEUED
    db.session.commit()
    due_steps.fire_batch(db.session, [row.id], clock=clock, settings=SETTINGS)
    db.session.commit()
    assert len(_emails()) == 3


def test_a_reply_or_an_unsubscribe_stops_and_the_holdout_is_never_contacted(
    in_app: Flask,
) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    customers = make_customers(db.session, clock, 12)
    strategy = make_strategy(
        db.session,
        clock,
        holdout_percent=25,
        window={"weekdays": list(range(7)), "start": "00:00", "end": "24:00"},
    )
    counts = _activate(strategy, clock, seed=7)
    assert counts["holdout"] >= 1 and counts["enrolled"] + counts["holdout"] == 12
    _tick(clock)
    holdout = set(
        db.session.scalars(
            select(Enrolment.customer_id).where(Enrolment.status == EnrolmentStatus.HOLDOUT)
        )
    )
    contacted = [c for c in customers if c.id not in holdout]
    replier, leaver = contacted[0], contacted[1]
    clock.advance(timedelta(hours=2))
    communications.log_communication(
        db.session,
        replier,
        {"channel": "email", "direction": "inbound", "body": "Thanks!"},
        actor_id=None,
        clock=clock,
    )
    stops.unsubscribe(db.session, leaver.id, leaver.primary_email, clock=clock)
    db.session.commit()
    # Beat's sweep shows the reply at once, before the next step would find it.
    assert stops.sweep_replies(db.session, clock=clock) == 1
    db.session.commit()
    clock.advance(timedelta(days=1, hours=1))
    _tick(clock)
    by_address: dict[str, int] = {}
    for message in _emails():
        by_address[message.to_address] = by_address.get(message.to_address, 0) + 1
    assert by_address[replier.primary_email] == 1
    assert by_address[leaver.primary_email] == 1
    assert all(by_address.get(c.primary_email) is None for c in customers if c.id in holdout)
    assert by_address[contacted[2].primary_email] == 2
    reasons = dict(db.session.execute(select(Enrolment.customer_id, Enrolment.stop_reason)).all())
    assert reasons[replier.id] == "replied"
    assert reasons[leaver.id] == "unsubscribed"


def test_the_weekly_cap_counts_across_two_strategies(in_app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    always = {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}
    make_customers(db.session, clock, 1)
    caps = {"per_customer_per_week": 1, "per_channel_per_minute": 100}
    first = make_strategy(db.session, clock, tag="outreach", window=always, caps=caps)
    second = make_strategy(db.session, clock, tag="outreach", window=always, caps=caps)
    _activate(first, clock)
    _activate(second, clock)
    outcome = _tick(clock)
    assert (outcome.get("sent"), outcome.get("capped")) == (1, 1)
    capped = {
        row.strategy_id: row.due_at
        for row in db.session.scalars(select(DueStep).where(DueStep.step_index == 0))
    }
    assert max(capped.values()) > clock.now() + timedelta(days=6)  # held a week by the cap
    clock.advance(timedelta(days=7, minutes=1))
    assert _tick(clock).get("sent") == 1


def test_the_per_minute_channel_cap_throttles(in_app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    make_customers(db.session, clock, 3)
    caps = {"per_customer_per_week": 5, "per_channel_per_minute": 2}
    strategy = make_strategy(db.session, clock, window=ALWAYS, caps=caps)
    _activate(strategy, clock)
    outcome = _tick(clock)
    assert (outcome.get("sent"), outcome.get("capped")) == (2, 1)
    clock.advance(timedelta(seconds=61))
    assert _tick(clock).get("sent") == 1


def test_a_paused_strategy_sends_nothing_until_resumed(in_app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    always = {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}
    make_customers(db.session, clock, 2)
    strategy = make_strategy(db.session, clock, window=always)
    _activate(strategy, clock)
    _transition(strategy, "pause", clock)
    db.session.commit()
    assert _tick(clock) == {"skipped": 0, "failed": 0}
    assert _emails() == []
    _transition(strategy, "resume", clock)
    db.session.commit()
    assert _tick(clock).get("sent") == 2
    with pytest.raises(Exception, match="allowed now: pause, archive"):
        strategies.transition(db.session, strategy, "activate", clock=clock)


def test_a_new_version_leaves_running_enrolments_on_theirs(in_app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    always = {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}
    make_customers(db.session, clock, 1)
    strategy = make_strategy(db.session, clock, window=always)
    _activate(strategy, clock)
    _tick(clock)
    definition: dict[str, Any] = dict(strategies.current_version(db.session, strategy).definition)
    steps = email_steps(3)
    steps[1]["subject"] = "New wording"
    strategies.edit(
        db.session,
        strategy,
        {"definition": {**definition, "steps": steps}},
        actor_id=None,
        clock=clock,
    )
    db.session.commit()
    assert strategies.current_version(db.session, strategy).number == 2
    make_customers(db.session, clock, 1, first=1)  # joins later: takes version 2
    clock.advance(timedelta(days=1, minutes=1))
    planning.enrol(
        db.session,
        strategy,
        activation.audience_ids(db.session, strategy, clock=clock),
        clock=clock,
    )
    db.session.commit()
    _tick(clock)
    subjects = [m.subject for m in _emails()]
    assert subjects.count("Step 2 for Customer") == 1  # the first enrolment's own version
    assert subjects.count("Step 1 for Customer") == 2


ALWAYS = {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}


def test_sms_and_task_steps_and_ab_variants(in_app: Flask, make_user: Any) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    owner = make_user(Role.AGENT)
    customers = make_customers(db.session, clock, 8)
    for customer in customers:
        profiles.update_customer(
            db.session,
            customer,
            {"phones": "+351 912 345 678"},
            expected_version=customer.version,
            actor_id=None,
            clock=clock,
        )
    steps = [
        {
            "channel": "sms",
            "body": "Hi {{ customer.first_name }}",
            "variants": [
                {"key": "A", "weight": 50, "body": "A text"},
                {"key": "B", "weight": 50, "body": "B text"},
            ],
        },
        {
            "channel": "task",
            "title": "Call {{ customer.name }}",
            "due_hours": 4,
            "delay": {"amount": 1, "unit": "hours"},
        },
    ]
    strategy = make_strategy(db.session, clock, window=ALWAYS, steps=steps, consent="not_withdrawn")
    strategy.owner_id = owner.id
    db.session.commit()
    _activate(strategy, clock)
    assert _tick(clock).get("sent") == 8
    sms = db.session.scalars(select(Communication).where(Communication.channel == "sms")).all()
    assert {c.body_text for c in sms} == {"A text", "B text"}  # both variants drawn
    assert all(c.direction == "outbound" for c in sms)
    variants = db.session.scalars(
        select(EnrolmentEvent.variant).where(EnrolmentEvent.kind == "sent")
    ).all()
    assert sorted(set(variants)) == ["A", "B"]
    clock.advance(timedelta(hours=1, minutes=1))
    assert _tick(clock).get("sent") == 8
    tasks = db.session.scalars(select(Requirement).where(Requirement.workflow == "task")).all()
    assert len(tasks) == 8
    assert {t.assignee_id for t in tasks} == {owner.id}
    assert tasks[0].title.startswith("Call Customer")
    assert tasks[0].sla_due_at == clock.now() + timedelta(hours=4)
    # Our own tasks are not "a new requirement" that stops the enrolments.
    assert (
        db.session.scalar(select(func.count()).where(Enrolment.status == EnrolmentStatus.COMPLETED))
        == 8
    )


def test_a_new_requirement_or_the_goal_stops_before_the_next_step(
    in_app: Flask, make_user: Any
) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    agent = db.session.get(User, make_user(Role.AGENT).id)
    customers = make_customers(db.session, clock, 3)
    strategy = make_strategy(db.session, clock, window=ALWAYS, goal={"kpi": "meeting_booked"})
    _activate(strategy, clock)
    _tick(clock)
    clock.advance(timedelta(hours=1))
    requirements.open_requirement(
        db.session, customer_id=customers[0].id, title="Broken", clock=clock, actor=agent
    )
    communications.log_communication(
        db.session,
        customers[1],
        {"channel": "meeting", "body": "Booked a demo"},
        actor_id=None,
        clock=clock,
    )
    db.session.commit()
    clock.advance(timedelta(days=1, minutes=1))
    _tick(clock)
    reasons = dict(db.session.execute(select(Enrolment.customer_id, Enrolment.stop_reason)).all())
    assert reasons == {
        customers[0].id: "requirement",
        customers[1].id: "goal_reached",
        customers[2].id: None,
    }
    assert len(_emails()) == 3 + 1


def test_trigger_audiences(in_app: Flask, make_user: Any) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    agent = db.session.get(User, make_user(Role.AGENT).id)
    old, new = make_customers(db.session, ManualClock(datetime(2098, 1, 1, tzinfo=UTC)), 1), []
    new = make_customers(db.session, clock, 1, first=1)
    resolved = requirements.open_requirement(
        db.session,
        customer_id=old[0].id,
        title="Done",
        clock=clock,
        actor=agent,
        assignee_id=agent.id,
    )
    requirements.fire(db.session, resolved, "assign", actor=agent, clock=clock)
    requirements.fire(db.session, resolved, "resolve", actor=agent, clock=clock, note="Fixed")
    transactions.record_transaction(
        db.session,
        new[0],
        {"kind": "order", "amount": "10", "currency": "EUR", "occurred_on": "2098-06-01"},
        actor_id=None,
        clock=clock,
    )
    db.session.commit()
    now = clock.now()

    def ids(audience: dict[str, Any], at: datetime) -> list[int]:
        return sorted(db.session.scalars(audiences.customer_ids(db.session, audience, at)))

    assert ids({"kind": "new_customers", "days": 30}, now) == [new[0].id]
    assert ids({"kind": "no_transaction", "days": 90}, now) == [new[0].id]
    assert ids({"kind": "requirement_resolved", "days": 3}, now + timedelta(days=3)) == [old[0].id]
    assert ids({"kind": "requirement_resolved", "days": 3}, now + timedelta(days=5)) == []
    opened = requirements.open_requirement(
        db.session, customer_id=new[0].id, title="Waiting", clock=clock, actor=agent
    )
    db.session.commit()
    audience = {"kind": "requirement_state", "state": opened.state, "days": 2}
    assert ids(audience, now + timedelta(days=2)) == [new[0].id]
    assert ids(audience, now + timedelta(days=1)) == []


def test_a_worker_dying_mid_batch_loses_and_duplicates_nothing(in_app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    make_customers(db.session, clock, 4)
    strategy = make_strategy(db.session, clock, window=ALWAYS)
    _activate(strategy, clock)
    ids = due_steps.claim_due(db.session, clock=clock)
    db.session.commit()
    # The worker executes the batch but dies before its commit: nothing of it remains.
    due_steps.fire_batch(db.session, ids, clock=clock, settings=SETTINGS)
    db.session.rollback()
    assert _emails() == []
    assert due_steps.claim_due(db.session, clock=clock) == []  # still leased
    clock.advance(due_steps.LEASE + timedelta(seconds=1))
    assert due_steps.release_expired_leases(db.session, clock=clock) == 4  # beat's sweep
    db.session.commit()
    assert _tick(clock).get("sent") == 4
    assert _tick(clock) == {"skipped": 0, "failed": 0}
    assert len(_emails()) == 4
    assert db.session.scalar(select(func.count()).select_from(Communication)) == 4


def test_a_sent_message_is_on_the_timeline_tagged_with_strategy_step_and_variant(
    in_app: Flask, make_user: Any
) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    customers = make_customers(db.session, clock, 4)
    steps = email_steps(2)
    steps[1]["variants"] = [
        {"key": "A", "weight": 50, "subject": "Variant A", "body": "A {{ unsubscribe_url }}"},
        {"key": "B", "weight": 50, "subject": "Variant B", "body": "B {{ unsubscribe_url }}"},
    ]
    strategy = make_strategy(db.session, clock, window=ALWAYS, steps=steps)
    db.session.commit()
    _activate(strategy, clock)
    _tick(clock)
    clock.advance(timedelta(days=1, minutes=1))
    assert _tick(clock).get("sent") == 4
    sent = db.session.scalars(select(Communication).order_by(Communication.id)).all()
    assert len(sent) == 8
    assert {c.strategy_id for c in sent} == {strategy.id}
    assert sorted(c.strategy_step_index for c in sent) == [0] * 4 + [1] * 4
    first, second = sent[:4], sent[4:]
    assert {c.strategy_variant for c in first} == {None}
    assert {c.strategy_variant for c in second} <= {"A", "B"}
    assert all(c.subject == f"Variant {c.strategy_variant}" for c in second)
    outbox_rows = {m.id: m for m in _emails()}
    for communication in sent:  # the message it records, with its delivery status
        message = outbox_rows[communication.outbox_id]
        assert message.message_id == communication.message_id
        assert message.to_address == communication.participants[0]

    # The API's communication fields, and the customer page links the message to its strategy.
    tagged = next(c for c in second if c.customer_id == customers[0].id)
    user = make_user(Role.SUPERVISOR)
    client = in_app.test_client()
    login(client, user.email)
    token = accounts.issue_token(
        db.session, db.session.get(User, user.id), "tests", clock=SystemClock()
    ).secret
    db.session.commit()
    listed = client.get(
        f"/api/v1/customers/{customers[0].id}/communications",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    by_id = {row["id"]: row for row in listed["items"]}
    assert by_id[tagged.id]["strategy_id"] == strategy.id
    assert by_id[tagged.id]["strategy_step_index"] == 1
    assert by_id[tagged.id]["strategy_variant"] == tagged.strategy_variant
    page = client.get(f"/customers/{customers[0].id}").get_data(as_text=True)
    assert f'href="/strategies/{strategy.id}"' in page
    assert f"step 2 · variant {tagged.strategy_variant}" in page
    assert "Hello Customer 0, step 1." in page  # the plain-text body is shown


def test_the_audience_streams_in_ascending_chunks_and_newcomers_leave_out_the_enrolled(
    in_app: Flask,
) -> None:
    clock = _clock()
    customers = make_customers(db.session, clock, 7)
    strategy = make_strategy(db.session, clock)
    db.session.commit()
    now = clock.now()
    chunks = list(activation.audience_chunks(db.session, strategy, now=now, size=3))
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [i for c in chunks for i in c] == sorted(c.id for c in customers)
    assert activation.audience_size(db.session, strategy, now=now) == 7
    planning.enrol(db.session, strategy, chunks[0], clock=clock)
    db.session.commit()
    newcomers = activation.audience_chunks(db.session, strategy, now=now, newcomers_only=True)
    assert [i for c in newcomers for i in c] == chunks[1] + chunks[2]
    assert activation.audience_size(db.session, strategy, now=now, newcomers_only=True) == 4
