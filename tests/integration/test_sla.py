"""SLA clocks on the real database with a ManualClock: policies matched and versioned, clocks
started, paused, resumed, met and breached, ladders planned, fired and acknowledged, quiet
hours, next-response clocks from customer messages, follow-up reminders."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import (
    AuditEntry,
    Calendar,
    Metric,
    OutboxMessage,
    Priority,
    Requirement,
    RequirementEvent,
    Role,
    SlaClock,
    SlaStatus,
    Timer,
    TimerStatus,
    User,
)
from web.extensions import db
from workflows.customers import profiles, timelines
from workflows.platform import accounts, outbox
from workflows.platform.clock import ManualClock
from workflows.platform.errors import ValidationFailed
from workflows.tracking import (
    calendars,
    conversations,
    escalations,
    requirements,
    sla,
    sla_policies,
    timers,
)
from workflows.tracking.requirements import NotPermitted

START = datetime(2099, 1, 5, 9, tzinfo=UTC)  # a Monday, far from the session clock process
ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]


@pytest.fixture
def world(in_app: Flask, make_user: Any) -> dict[str, Any]:
    clock = ManualClock(START)
    agent = db.session.get(User, make_user(Role.AGENT, email="agent@example.com").id)
    supervisor = db.session.get(User, make_user(Role.SUPERVISOR, email="lead@example.com").id)
    team = accounts.create_team(db.session, "Support", clock=clock)
    accounts.set_team_members(db.session, team, [agent.id], [supervisor.id])
    customer = profiles.create_customer(
        db.session, {"name": "Ana", "emails": "ana@example.com"}, actor_id=None, clock=clock
    )
    calendar = calendars.create(
        db.session, {"name": "24/7", "time_zone": "UTC", "periods": ALWAYS}, clock=clock
    )
    policy = sla_policies.create(
        db.session,
        {
            "name": "Fast",
            "calendar_id": calendar.id,
            "targets": {"default": {"first_response": 10, "resolution": 100}},
            "warning_percent": 60,
            "ladder": [
                {"at": "breach", "recipients": ["assignee"]},
                {
                    "at": "after_breach",
                    "seconds": 5,
                    "recipients": ["team_supervisors"],
                    "actions": ["notify", "raise_priority"],
                },
            ],
        },
        actor=None,
        clock=clock,
    )
    db.session.commit()
    return {
        "clock": clock,
        "agent": agent,
        "supervisor": supervisor,
        "team": team,
        "customer": customer,
        "calendar": calendar,
        "policy": policy,
    }


def _open(world: dict[str, Any], **kw: Any) -> Requirement:
    kw.setdefault("team_id", world["team"].id)
    kw.setdefault("assignee_id", world["agent"].id)
    req = requirements.open_requirement(
        db.session,
        customer_id=world["customer"].id,
        title="Printer on fire",
        clock=world["clock"],
        actor=world["agent"],
        **kw,
    )
    db.session.commit()
    return req


def _clock_of(req: Requirement, metric: Metric) -> SlaClock:
    return db.session.scalars(
        select(SlaClock)
        .where(SlaClock.requirement_id == req.id, SlaClock.metric == metric)
        .order_by(SlaClock.id.desc())
    ).first()


def _pending(req: Requirement) -> dict[str, datetime]:
    rows = db.session.scalars(
        select(Timer).where(Timer.requirement_id == req.id, Timer.status == TimerStatus.PENDING)
    )
    return {t.kind: t.due_at for t in rows}


def _run_due(world: dict[str, Any]) -> dict[str, int]:
    """What the clock process and a worker do, in-process: claim what is due and fire it."""
    ids = timers.claim_due(db.session, clock=world["clock"])
    db.session.commit()
    outcome = timers.fire_batch(db.session, ids, clock=world["clock"])
    db.session.commit()
    return outcome


def _mail(kind: str = "") -> list[OutboxMessage]:
    return [
        m
        for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        if kind in m.cause
    ]


def test_open_starts_matching_clocks_and_plans_warning_breach_and_rungs(
    world: dict[str, Any],
) -> None:
    req = _open(world)
    first = _clock_of(req, Metric.FIRST_RESPONSE)
    assert first.status == SlaStatus.RUNNING
    assert first.due_at == START + timedelta(seconds=10)
    assert req.sla_due_at == first.due_at
    assert _pending(req) == {
        "first_response:warning": START + timedelta(seconds=6),
        "first_response:breach": START + timedelta(seconds=10),
        "first_response:rung_1": START + timedelta(seconds=10),
        "first_response:rung_2": START + timedelta(seconds=15),
        "resolution:warning": START + timedelta(seconds=60),
        "resolution:breach": START + timedelta(seconds=100),
        "resolution:rung_1": START + timedelta(seconds=100),
        "resolution:rung_2": START + timedelta(seconds=105),
    }


def test_warning_breach_and_rungs_fire_once_with_emails_and_actions(world: dict[str, Any]) -> None:
    req = _open(world)
    world["clock"].advance(timedelta(seconds=6))
    assert _run_due(world)["fired"] == 1
    first = _clock_of(req, Metric.FIRST_RESPONSE)
    assert first.warned_at == START + timedelta(seconds=6)
    [warning] = _mail("first_response:warning")
    assert warning.to_address == "agent@example.com"
    assert warning.subject == f"At risk: first response on #{req.id} “Printer on fire”"
    # An automatic notice: no out-of-office may answer it (RFC 3834), bounces still come.
    assert {k: warning.headers[k] for k in outbox.AUTOMATIC_HEADERS} == {
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
        "X-Auto-Response-Suppress": "OOF, AutoReply",
    }

    world["clock"].advance(timedelta(seconds=4))
    assert _run_due(world)["fired"] == 2  # breach and rung 1 are due together
    db.session.refresh(first)
    assert first.status == SlaStatus.BREACHED and first.rung == 1
    world["clock"].advance(timedelta(seconds=5))
    assert _run_due(world)["fired"] == 1
    db.session.refresh(first)
    db.session.refresh(req)
    assert first.rung == 2
    assert req.priority == Priority.HIGH  # rung 2 raises the priority
    [rung2] = _mail("first_response:rung_2")
    assert rung2.to_address == "lead@example.com"
    assert "Escalation 2" in rung2.subject
    # Nothing fires twice: running the same instant again finds nothing due.
    assert _run_due(world)["fired"] == 0
    triggers = [
        e.trigger
        for e in db.session.scalars(
            select(RequirementEvent).where(RequirementEvent.requirement_id == req.id)
        )
    ]
    assert triggers.count("sla_warning") == 1 and triggers.count("sla_breach") == 1
    assert triggers.count("sla_escalation") == 2


def test_resolving_before_the_breach_cancels_every_timer(world: dict[str, Any]) -> None:
    req = _open(world)
    requirements.fire(db.session, req, "assign", actor=world["agent"], clock=world["clock"])
    requirements.fire(
        db.session, req, "resolve", actor=world["agent"], clock=world["clock"], note="Fixed"
    )
    db.session.commit()
    assert list(_pending(req)) == ["auto_close"]  # the resolved state's own timer only
    assert _clock_of(req, Metric.RESOLUTION).status == SlaStatus.MET
    world["clock"].advance(timedelta(hours=1))
    assert _run_due(world)["fired"] == 0
    assert _mail() == []
    assert escalations.queue(db.session, clock=world["clock"]).rows == []


def test_outbound_reply_meets_first_response(world: dict[str, Any]) -> None:
    req = _open(world)
    world["clock"].advance(timedelta(seconds=3))
    conversations.log_communication(
        db.session,
        world["customer"],
        {"channel": "email", "direction": "outbound", "body": "On it", "requirement_id": req.id},
        actor_id=world["agent"].id,
        clock=world["clock"],
    )
    db.session.commit()
    first = _clock_of(req, Metric.FIRST_RESPONSE)
    assert first.status == SlaStatus.MET and first.met_at == START + timedelta(seconds=3)
    assert not [k for k in _pending(req) if k.startswith("first_response")]
    assert req.sla_due_at == START + timedelta(seconds=100)


def test_waiting_on_customer_pauses_resolution_and_customer_reply_resumes_it(
    world: dict[str, Any],
) -> None:
    req = _open(world)
    clock = world["clock"]
    requirements.fire(db.session, req, "assign", actor=world["agent"], clock=clock)
    clock.advance(timedelta(seconds=20))
    requirements.fire(db.session, req, "ask_customer", actor=world["agent"], clock=clock)
    db.session.commit()
    resolution = _clock_of(req, Metric.RESOLUTION)
    assert resolution.status == SlaStatus.PAUSED and resolution.used_seconds == 20
    assert resolution.due_at is None
    clock.advance(timedelta(hours=3))
    conversations.log_communication(
        db.session,
        world["customer"],
        {
            "channel": "email",
            "direction": "inbound",
            "body": "Here you go",
            "requirement_id": req.id,
        },
        actor_id=None,
        clock=clock,
    )
    db.session.commit()
    db.session.refresh(req)
    assert req.state == "open"  # customer_replied fired by the inbound message
    db.session.refresh(resolution)
    assert resolution.status == SlaStatus.RUNNING
    assert resolution.due_at == clock.now() + timedelta(seconds=80)
    assert [h["what"] for h in resolution.history] == ["started", "paused", "resumed"]
    events = db.session.scalars(
        select(RequirementEvent)
        .where(RequirementEvent.requirement_id == req.id)
        .order_by(RequirementEvent.id)
    ).all()
    assert events[-1].trigger == "customer_replied" and events[-1].actor_id is None


def test_customer_message_after_first_response_starts_next_response(world: dict[str, Any]) -> None:
    policy = world["policy"]
    sla_policies.update(
        db.session,
        policy,
        {"targets": {"default": {"first_response": 10, "next_response": 30, "resolution": 100}}},
        expected_version=policy.version,
        actor=None,
        clock=world["clock"],
    )
    db.session.commit()
    req = _open(world)
    log = conversations.log_communication
    log(
        db.session,
        world["customer"],
        {"channel": "email", "direction": "outbound", "body": "Hi", "requirement_id": req.id},
        actor_id=world["agent"].id,
        clock=world["clock"],
    )
    world["clock"].advance(timedelta(seconds=50))
    log(
        db.session,
        world["customer"],
        {"channel": "email", "direction": "inbound", "body": "And?", "requirement_id": req.id},
        actor_id=None,
        clock=world["clock"],
    )
    db.session.commit()
    nxt = _clock_of(req, Metric.NEXT_RESPONSE)
    assert nxt.status == SlaStatus.RUNNING and nxt.due_at == world["clock"].now() + timedelta(
        seconds=30
    )


def test_acknowledging_stops_the_next_rungs(world: dict[str, Any]) -> None:
    req = _open(world)
    world["clock"].advance(timedelta(seconds=10))
    _run_due(world)
    first = _clock_of(req, Metric.FIRST_RESPONSE)
    assert first.rung == 1
    [row] = [
        r for r in escalations.queue(db.session, clock=world["clock"]).rows if r.sla.id == first.id
    ]
    assert row.level == escalations.BREACHED and row.rung == 1
    with pytest.raises(NotPermitted):
        escalations.acknowledge(
            db.session,
            first.id,
            actor=db.session.get(User, _other_agent(world)),
            clock=world["clock"],
        )
    escalations.acknowledge(db.session, first.id, actor=world["supervisor"], clock=world["clock"])
    db.session.commit()
    acknowledged_at, due_at = first.acknowledged_at, first.due_at
    assert due_at == START + timedelta(seconds=10)  # the planned due time stays
    world["clock"].advance(timedelta(seconds=1))
    escalations.acknowledge(db.session, first.id, actor=world["supervisor"], clock=world["clock"])
    assert first.acknowledged_at == acknowledged_at  # a second acknowledgement changes nothing
    assert "first_response:rung_2" not in _pending(req)
    world["clock"].advance(timedelta(seconds=10))
    _run_due(world)
    assert _mail("first_response:rung_2") == []
    # Someone is on it: it leaves the breached count for its own, and stays listed.
    assert escalations.counts(db.session, clock=world["clock"]) == {
        "at_risk": 0,
        "breached": 0,
        "acknowledged": 1,
    }
    [row] = [
        r for r in escalations.queue(db.session, clock=world["clock"]).rows if r.sla.id == first.id
    ]
    assert row.acknowledged


def _other_agent(world: dict[str, Any]) -> int:
    user = accounts.create_user(
        db.session,
        email="x@example.com",
        name="X",
        password="a-long-password-1",
        role=Role.AGENT,
        clock=world["clock"],
    )
    db.session.commit()
    return user.id


def test_first_matching_policy_wins_and_edits_make_versions(world: dict[str, Any]) -> None:
    clock = world["clock"]
    urgent = sla_policies.create(
        db.session,
        {
            "name": "Urgent",
            "position": 0,
            "match": {"priorities": ["urgent"]},
            "calendar_id": world["calendar"].id,
            "targets": {"default": {"resolution": 50}},
        },
        actor=None,
        clock=clock,
    )
    vip = sla_policies.create(
        db.session,
        {
            "name": "VIP",
            "position": 1,
            "match": {"tags": ["vip"]},
            "calendar_id": world["calendar"].id,
            "targets": {"default": {"resolution": 20}},
        },
        actor=None,
        clock=clock,
    )
    db.session.commit()
    assert _open(world, priority="urgent").sla_policy_version_id == urgent.current_version_id
    assert _open(world).sla_policy_version_id == world["policy"].current_version_id
    profiles.update_customer(
        db.session,
        world["customer"],
        {"tags": "vip"},
        actor_id=None,
        clock=clock,
        expected_version=world["customer"].version,
    )
    db.session.commit()
    req = _open(world)
    assert req.sla_policy_version_id == vip.current_version_id
    old_version = vip.current_version_id
    assert sla_policies.update(
        db.session,
        vip,
        {"targets": {"default": {"resolution": 40}}},
        expected_version=vip.version,
        actor=None,
        clock=clock,
    )
    db.session.commit()
    assert vip.current_version.number == 2
    assert req.sla_policy_version_id == old_version  # open requirements keep theirs
    moves = sla.replan_under(db.session, req, vip.current_version, clock=clock, apply=False)
    assert moves == [20.0]
    sla.replan_under(db.session, req, vip.current_version, clock=clock, apply=True)
    db.session.commit()
    assert _clock_of(req, Metric.RESOLUTION).due_at == START + timedelta(seconds=40)


def test_business_hours_calendar_counts_only_open_time(world: dict[str, Any]) -> None:
    clock = world["clock"]
    berlin = calendars.create(
        db.session,
        {
            "name": "Berlin office",
            "time_zone": "Europe/Berlin",
            "periods": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
            "holidays": [{"date": "2099-01-12", "name": "Closed"}],
        },
        clock=clock,
    )
    sla_policies.update(
        db.session,
        world["policy"],
        {"calendar_id": berlin.id, "targets": {"default": {"resolution": 3600}}, "ladder": []},
        expected_version=world["policy"].version,
        actor=None,
        clock=clock,
    )
    clock.set(datetime(2099, 1, 9, 15, 30, tzinfo=UTC))  # Friday 16:30 in Berlin
    db.session.commit()
    req = _open(world)
    # 30 minutes on Friday, Monday the 12th is a holiday, so 30 more on Tuesday from 09:00.
    assert _clock_of(req, Metric.RESOLUTION).due_at == datetime(2099, 1, 13, 8, 30, tzinfo=UTC)


def test_quiet_hours_hold_warnings_but_not_breaches(world: dict[str, Any]) -> None:
    clock = world["clock"]
    calendars.update(
        db.session,
        world["calendar"],
        {"quiet_hours": [{"start": "08:00", "end": "10:00"}]},
        clock=clock,
    )
    db.session.commit()
    _open(world)
    clock.advance(timedelta(seconds=10))
    _run_due(world)
    [warning] = _mail("first_response:warning")
    assert warning.next_attempt_at == datetime(2099, 1, 5, 10, tzinfo=UTC)
    [breach] = _mail("first_response:breach")
    assert breach.next_attempt_at == clock.now()


def test_follow_up_reminds_the_assignee_after_silence(world: dict[str, Any]) -> None:
    clock = world["clock"]
    policy = world["policy"]
    sla_policies.update(
        db.session,
        policy,
        {"follow_up_seconds": 3600, "targets": {"default": {"resolution": 86400}}, "ladder": []},
        expected_version=policy.version,
        actor=None,
        clock=clock,
    )
    db.session.commit()
    req = _open(world)
    clock.advance(timedelta(minutes=30))
    requirements.fire(db.session, req, "assign", actor=world["agent"], clock=clock)  # activity
    db.session.commit()
    assert _pending(req)["follow_up"] == clock.now() + timedelta(hours=1)
    clock.advance(timedelta(minutes=59))
    assert _run_due(world)["fired"] == 0
    clock.advance(timedelta(minutes=1))
    assert _run_due(world)["fired"] == 1
    [mail] = _mail("follow_up")
    assert mail.to_address == "agent@example.com" and mail.subject.startswith("Follow up")


def test_german_recipient_gets_german_notice_in_their_zone(world: dict[str, Any]) -> None:
    agent = world["agent"]
    agent.language = "de"
    agent.time_zone = "Europe/Berlin"
    db.session.commit()
    _open(world)
    world["clock"].advance(timedelta(seconds=6))
    _run_due(world)
    [warning] = _mail("first_response:warning")
    assert warning.subject.startswith("Gefährdet: Erstreaktion")
    assert "2099-01-05 10:00:10 CET" in warning.body_text


def test_policy_and_calendar_validation_names_each_field(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        sla_policies.create(
            db.session,
            {
                "name": "",
                "calendar_id": 999,
                "targets": {"soon": {"first_response": 0}},
                "ladder": [{"at": "later"}],
            },
            actor=None,
            clock=world["clock"],
        )
    assert set(caught.value.errors) == {"name", "calendar_id", "targets", "ladder"}
    with pytest.raises(ValidationFailed) as caught:
        calendars.create(
            db.session,
            {
                "name": "x",
                "time_zone": "Mars/Olympus",
                "periods": [{"weekday": 9, "start": "10:00", "end": "09:00"}],
            },
            clock=world["clock"],
        )
    assert set(caught.value.errors) == {"time_zone", "periods"}


def test_holidays_imported_from_the_holidays_package_and_ical(world: dict[str, Any]) -> None:
    calendar: Calendar = world["calendar"]
    added = calendars.import_country_holidays(
        db.session, calendar, country="DE", subdivision="BY", years=[2026]
    )
    assert added.holidays >= 12 and added.working_days == 0
    assert any(h.day.isoformat() == "2026-10-03" for h in calendar.holidays)
    ical = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\n"
        "DTSTART;VALUE=DATE:20261228\r\nDTEND;VALUE=DATE:20261231\r\nSUMMARY:Office closed\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert calendars.import_ical(db.session, calendar, ical) == 3
    with pytest.raises(ValidationFailed):
        calendars.import_ical(db.session, calendar, "not a calendar")
    broken = ical.replace("DTSTART;VALUE=DATE:20261228", "DTSTART:notadate")
    with pytest.raises(ValidationFailed) as caught:
        calendars.import_ical(db.session, calendar, broken)
    assert "not a date" in caught.value.errors["file"][0]


def test_a_priority_row_takes_missing_targets_from_default(world: dict[str, Any]) -> None:
    policy = world["policy"]
    sla_policies.update(
        db.session,
        policy,
        {
            "targets": {
                "default": {"first_response": 10, "resolution": 100},
                "urgent": {"resolution": 50},
            }
        },
        expected_version=policy.version,
        actor=None,
        clock=world["clock"],
    )
    assert sla_policies.targets_for(policy.current_version, "urgent") == {
        "first_response": 10,
        "resolution": 50,
    }


def test_reopen_starts_a_new_resolution_cycle_and_cancel_ends_every_clock(
    world: dict[str, Any],
) -> None:
    req = _open(world)
    clock = world["clock"]
    requirements.fire(db.session, req, "assign", actor=world["agent"], clock=clock)
    requirements.fire(db.session, req, "resolve", actor=world["agent"], clock=clock, note="Done")
    clock.advance(timedelta(minutes=5))
    requirements.fire(db.session, req, "reopen", actor=world["agent"], clock=clock)
    db.session.commit()
    resolution = _clock_of(req, Metric.RESOLUTION)
    assert (resolution.cycle, resolution.status) == (2, SlaStatus.RUNNING)
    assert resolution.due_at == clock.now() + timedelta(seconds=100)
    requirements.fire(db.session, req, "cancel", actor=world["agent"], clock=clock)
    db.session.commit()
    assert _clock_of(req, Metric.RESOLUTION).status == SlaStatus.CANCELLED
    assert not [k for k in _pending(req) if ":" in k]
    assert db.session.get(Requirement, req.id).sla_due_at is None


def test_requirement_events_appear_on_the_customer_timeline(world: dict[str, Any]) -> None:
    req = _open(world)
    requirements.fire(db.session, req, "assign", actor=world["agent"], clock=world["clock"])
    db.session.commit()
    page = timelines.timeline(db.session, world["customer"].id, kinds={"requirement"})
    assert [(i.record.trigger, i.record.to_state) for i in page.items] == [
        ("assign", "open"),
        ("open", "new"),
    ]


def test_customer_reminder_in_the_customers_language_and_zone(world: dict[str, Any]) -> None:
    customer = world["customer"]
    profiles.update_customer(
        db.session,
        customer,
        {"language": "de", "time_zone": "Europe/Berlin"},
        expected_version=customer.version,
        actor_id=None,
        clock=world["clock"],
    )
    req = _open(world)
    clock = world["clock"]
    requirements.fire(db.session, req, "assign", actor=world["agent"], clock=clock)
    requirements.fire(db.session, req, "ask_customer", actor=world["agent"], clock=clock)
    db.session.commit()
    clock.advance(timedelta(days=5))
    _run_due(world)
    [second] = _mail("customer_reminder_2")
    assert second.to_address == "ana@example.com"
    assert second.subject == "Wir warten noch auf Ihre Antwort: Printer on fire"
    # Auto-resolve is 7 days after asking: 2099-01-12 09:00 UTC is 10:00 in Berlin.
    assert "2099-01-12 10:00:00 CET" in second.body_text
    assert "— Support" in second.body_text


def test_ladder_rungs_at_a_percentage_move_with_pauses(world: dict[str, Any]) -> None:
    policy = world["policy"]
    sla_policies.update(
        db.session,
        policy,
        {
            "targets": {"default": {"resolution": 100}},
            "ladder": [{"at": "percent", "value": 50, "recipients": ["team_supervisors"]}],
        },
        expected_version=policy.version,
        actor=None,
        clock=world["clock"],
    )
    db.session.commit()
    req = _open(world)
    clock = world["clock"]
    assert _pending(req)["resolution:rung_1"] == START + timedelta(seconds=50)
    requirements.fire(db.session, req, "assign", actor=world["agent"], clock=clock)
    clock.advance(timedelta(seconds=30))
    requirements.fire(db.session, req, "ask_customer", actor=world["agent"], clock=clock)
    db.session.commit()
    assert "resolution:rung_1" not in _pending(req)  # paused: nothing pending
    clock.advance(timedelta(hours=1))
    requirements.fire(db.session, req, "customer_replied", actor=world["agent"], clock=clock)
    db.session.commit()
    # 30 s were used before the pause: rung 1 comes 20 s after resuming, the breach 70 s.
    assert _pending(req)["resolution:rung_1"] == clock.now() + timedelta(seconds=20)
    assert _pending(req)["resolution:breach"] == clock.now() + timedelta(seconds=70)


def test_state_changes_keep_the_sla_timers_and_edits_are_audited(world: dict[str, Any]) -> None:
    req = _open(world)
    clock = world["clock"]
    requirements.fire(db.session, req, "assign", actor=world["agent"], clock=clock)
    requirements.fire(db.session, req, "start", actor=world["agent"], clock=clock)
    db.session.commit()
    assert "first_response:breach" in _pending(req)  # open → in progress pauses nothing
    clock.advance(timedelta(seconds=10))
    _run_due(world)
    assert _clock_of(req, Metric.FIRST_RESPONSE).status == SlaStatus.BREACHED
    requirements.update_requirement(
        db.session,
        req,
        {"priority": "high"},
        expected_version=req.version,
        actor=world["agent"],
        clock=clock,
    )
    db.session.commit()
    [entry] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "requirement")
    ).all()
    assert entry.changes == {"priority": ["normal", "high"]}
