"""Adaptive variant splits on a real database: hand-built enrolments where variant B reaches
the goal (a reply) far more often than A; beat's computation gives B the larger share while A
keeps the floor, every run adds a history row, the page and the API show them, a bad option is
refused naming its field, and a step run again after a crash sends the variant it was planned
with even though the split changed in between."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    DueStep,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    OutboxMessage,
    Role,
    Strategy,
    StrategyStatus,
    User,
    VariantSplit,
)
from tests.conftest import csrf_token, login
from tests.outreach_helpers import email_steps, make_customers, make_strategy
from web.clocks import current_clock
from web.extensions import db
from workflows.analytics import variant_splits
from workflows.customers import communications
from workflows.outreach import activation, due_steps, execution, links, planning, strategies
from workflows.outreach.splits import choose_variant
from workflows.platform import accounts
from workflows.platform.clock import ManualClock
from workflows.platform.publishing import take_pending

START = datetime(2099, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
SETTINGS = execution.Settings(links=links.LinkSettings("test-secret", "https://crm.example.com"))
ALL_DAY = {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}


def _ab_steps() -> list[dict[str, Any]]:
    steps = email_steps(2)
    steps[0]["variants"] = [
        {"key": "A", "weight": 50, "subject": "A", "body": "Hello A {{ unsubscribe_url }}"},
        {"key": "B", "weight": 50, "subject": "B", "body": "Hello B {{ unsubscribe_url }}"},
    ]
    return steps


def _adaptive(tag: str, clock: ManualClock, floor: int = 10) -> Strategy:
    return make_strategy(
        db.session,
        clock,
        tag=tag,
        steps=_ab_steps(),
        window=ALL_DAY,
        goal={"kpi": "reply_rate"},
        split={"mode": "adaptive", "floor": floor},
    )


def hand_built() -> Strategy:
    """Committed: 40 enrolments sent step 1; customers 0-19 got A (2 replied), 20-39 got B
    (12 replied). Active, so beat's computation takes it."""
    clock = ManualClock(START - timedelta(days=1))
    people = make_customers(db.session, clock, 40, tag="adaptive")
    made = _adaptive("adaptive", clock)
    made.status = StrategyStatus.ACTIVE
    for n, customer in enumerate(people):
        enrolment = Enrolment(
            strategy_id=made.id,
            version_id=made.current_version_id,
            customer_id=customer.id,
            status=EnrolmentStatus.ACTIVE,
            enrolled_at=clock.now(),
        )
        db.session.add(enrolment)
        db.session.flush()
        for kind, values in (
            ("enrolled", {}),
            ("sent", {"step_index": 0, "variant": "A" if n < 20 else "B", "channel": "email"}),
        ):
            db.session.add(
                EnrolmentEvent(
                    enrolment_id=enrolment.id,
                    strategy_id=made.id,
                    customer_id=customer.id,
                    at=clock.now(),
                    kind=kind,
                    **values,
                )
            )
    clock.advance(timedelta(hours=2))
    for n in [*range(2), *range(20, 32)]:
        communications.log_communication(
            db.session,
            people[n],
            {"channel": "email", "direction": "inbound", "body": "Interested"},
            actor_id=None,
            clock=clock,
        )
    db.session.commit()
    return made


@pytest.fixture
def strategy(in_app: Flask) -> Strategy:
    return hand_built()


def _splits(strategy_id: int) -> list[VariantSplit]:
    return list(
        db.session.scalars(
            select(VariantSplit)
            .where(VariantSplit.strategy_id == strategy_id)
            .order_by(VariantSplit.id)
        )
    )


def test_b_with_the_higher_goal_rate_gets_the_larger_share_and_a_keeps_the_floor(
    strategy: Strategy,
) -> None:
    clock = ManualClock(START)
    assert variant_splits.compute_all(db.session, clock=clock) == 1  # step 2 has no variants
    db.session.commit()
    clock.advance(timedelta(hours=1))
    variant_splits.compute_all(db.session, clock=clock)
    db.session.commit()
    rows = _splits(strategy.id)
    assert [(r.step_index, r.computed_at) for r in rows] == [
        (0, START),
        (0, START + timedelta(hours=1)),
    ]
    latest = rows[-1]
    assert latest.trials == {"A": 20, "B": 20}
    assert latest.successes == {"A": 2, "B": 12}
    assert latest.shares["B"] > 0.85
    assert latest.shares["A"] == pytest.approx(0.1, abs=0.005)  # the floor, not less
    assert sum(latest.shares.values()) == pytest.approx(1, abs=1e-3)
    # New enrolments' first step is planned by that split: mostly B.
    newcomers = make_customers(db.session, clock, 40, tag="adaptive", first=40)
    planning.enrol(db.session, strategy, [c.id for c in newcomers], clock=clock)
    db.session.commit()
    planned = Counter(
        db.session.scalars(
            select(DueStep.variant).where(
                DueStep.strategy_id == strategy.id, DueStep.step_index == 0
            )
        )
    )
    assert planned["B"] > 30 and planned["A"] >= 1
    assert planned["A"] + planned["B"] == 40


def test_a_fixed_or_inactive_strategy_gets_no_split(in_app: Flask) -> None:
    clock = ManualClock(START)
    fixed = make_strategy(db.session, clock, tag="fixed", steps=_ab_steps())
    fixed.status = StrategyStatus.ACTIVE
    _adaptive("draft", clock)  # adaptive, but still a draft
    db.session.commit()
    assert variant_splits.compute_all(db.session, clock=clock) == 0
    assert db.session.scalars(select(VariantSplit)).all() == []


def test_page_and_api_show_the_split_over_time(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    agent = make_user(Role.AGENT)
    with app.app_context():
        made = hand_built()
        for hours in (0, 1, 2):
            variant_splits.compute_all(
                db.session, clock=ManualClock(START + timedelta(hours=hours))
            )
        token = accounts.issue_token(
            db.session, db.session.get(User, agent.id), "split", clock=current_clock()
        ).secret
        db.session.commit()
        strategy_id = made.id
    api = client.get(
        f"/api/v1/strategies/{strategy_id}/results", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200
    split = api.json["split"]
    assert (split["mode"], split["floor"]) == ("adaptive", 10)
    assert split["history"]["columns"] == ["computed_at", "step_1_A", "step_1_B"]
    assert [row[0] for row in split["history"]["rows"]] == [
        (START + timedelta(hours=h)).isoformat() for h in (0, 1, 2)
    ]
    current = {
        row[1]: dict(zip(split["current"]["columns"], row, strict=True))
        for row in split["current"]["rows"]
    }
    assert (current["B"]["successes"], current["B"]["trials"], current["B"]["goal_rate"]) == (
        12,
        20,
        0.6,
    )
    assert current["B"]["share"] == split["history"]["rows"][-1][2]
    login(client, agent.email)
    page = client.get(f"/strategies/{strategy_id}/results")
    assert page.json == api.json
    html = client.get(f"/strategies/{strategy_id}").get_data(as_text=True)
    assert 'id="adaptive-split"' in html
    assert 'data-section="split.history"' in html and 'data-chart="line"' in html
    assert 'data-section="split.current"' in html and "Split over time" in html
    assert "every variant keeps at least 10 %." in html
    with app.app_context():
        db.session.get(User, agent.id).language = "zh_Hans"
        db.session.commit()
    chinese = client.get(f"/strategies/{strategy_id}").get_data(as_text=True)
    assert "分配随时间的变化" in chinese and "每个版本至少保留 10 %。" in chinese
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = str(spec)
    assert "split {mode: fixed|adaptive, floor: 0-50}" in documented
    assert "`split`: the variant split" in documented


def test_a_bad_split_is_refused_naming_its_field(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    supervisor = make_user(Role.SUPERVISOR)
    with app.app_context():
        token = accounts.issue_token(
            db.session, db.session.get(User, supervisor.id), "split", clock=current_clock()
        ).secret
        db.session.commit()
    body = {
        "name": "Split",
        "definition": {
            "audience": {"kind": "new_customers", "days": 7},
            "steps": _ab_steps(),
            "split": {"mode": "greedy", "floor": 80},
        },
    }
    refused = client.post(
        "/api/v1/strategies", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 422
    assert {"split.mode", "split.floor"} <= set(refused.get_json()["errors"])
    login(client, supervisor.email)
    form = {
        "csrf_token": csrf_token(client, "/strategies/new"),
        "name": "Split form",
        "audience_kind": "new_customers",
        "audience_days": "7",
        "steps-0-channel": "email",
        "steps-0-subject": "Hi",
        "steps-0-body": "Hello {{ unsubscribe_url }}",
        "steps-0-variant_b_subject": "Hi B",
        "steps-0-variant_b_body": "Hello B {{ unsubscribe_url }}",
        "weekdays": ["0", "1"],
        "window_start": "09:00",
        "window_end": "17:00",
        "per_customer_per_week": "3",
        "per_channel_per_minute": "600",
        "goal_days": "30",
        "split_mode": "adaptive",
        "split_floor": "60",
    }
    page = client.post("/strategies/new", data=form)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert set(re.findall(r'data-field="([^"]+)"', html)) == {"split.floor"}
    assert '<option value="adaptive" selected>' in html
    form["split_floor"] = "20"
    saved = client.post("/strategies/new", data=form)
    assert saved.status_code == 302
    with app.app_context():
        made = db.session.scalars(select(Strategy).where(Strategy.name == "Split form")).one()
        definition = strategies.current_version(db.session, made).definition
        assert definition["split"] == {"mode": "adaptive", "floor": 20}
    edit = client.get(f"/strategies/{made.id}/edit").get_data(as_text=True)
    assert '<option value="adaptive" selected>' in edit and 'value="20"' in edit


def test_a_rerun_after_a_crash_sends_the_planned_variant_though_the_split_changed(
    in_app: Flask,
) -> None:
    clock = ManualClock(START)
    people = make_customers(db.session, clock, 30, tag="rerun")
    made = _adaptive("rerun", clock)
    strategies.transition(db.session, made, "activate", clock=clock)
    take_pending(db.session)  # no background enrolment: this test enrols on its own clock
    _store_split(made.id, {"A": 0.9, "B": 0.1}, clock)
    planning.enrol(
        db.session, made, activation.audience_ids(db.session, made, clock=clock), clock=clock
    )
    db.session.commit()
    planned = dict(
        db.session.execute(
            select(DueStep.enrolment_id, DueStep.variant).where(DueStep.strategy_id == made.id)
        ).all()
    )
    assert len(planned) == len(people) and Counter(planned.values())["A"] > 20
    # The split turns round before the steps run: a fresh choice would differ for most.
    clock.advance(timedelta(minutes=5))
    _store_split(made.id, {"A": 0.1, "B": 0.9}, clock)
    db.session.commit()
    flipped = {
        e
        for e, key in planned.items()
        if choose_variant(_ab_steps()[0], e, 0, {"A": 0.1, "B": 0.9})["key"] != key
    }
    assert len(flipped) > 15
    # First attempt: claimed, executed, then the worker dies before its commit.
    claimed = due_steps.claim_due(db.session, clock=clock)
    db.session.commit()
    due_steps.fire_batch(db.session, claimed, clock=clock, settings=SETTINGS)
    db.session.rollback()
    # The lease expires, the sweep puts the rows back, they run again and commit.
    clock.advance(due_steps.LEASE + timedelta(seconds=1))
    due_steps.release_expired_leases(db.session, clock=clock)
    db.session.commit()
    again = due_steps.claim_due(db.session, clock=clock)
    db.session.commit()
    assert sorted(again) == sorted(claimed)
    assert due_steps.fire_batch(db.session, again, clock=clock, settings=SETTINGS)["sent"] == 30
    db.session.commit()
    # And a lost lease after the commit: run once more by hand.
    for row in db.session.scalars(select(DueStep).where(DueStep.id.in_(again))):
        row.status = "enqueued"
    db.session.commit()
    due_steps.fire_batch(db.session, again, clock=clock, settings=SETTINGS)
    db.session.commit()
    sent = dict(
        db.session.execute(
            select(EnrolmentEvent.enrolment_id, EnrolmentEvent.variant).where(
                EnrolmentEvent.strategy_id == made.id, EnrolmentEvent.kind == "sent"
            )
        ).all()
    )
    assert sent == planned
    keys = db.session.scalars(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.like(f"outreach:{made.id}:%")
        )
    ).all()
    assert sorted(keys) == sorted(
        execution.outbox_key(made.id, e, 0, key) for e, key in planned.items()
    )


def _store_split(strategy_id: int, shares: dict[str, float], clock: ManualClock) -> None:
    db.session.add(
        VariantSplit(
            strategy_id=strategy_id,
            step_index=0,
            computed_at=clock.now(),
            shares=shares,
            successes={"A": 0, "B": 0},
            trials={"A": 0, "B": 0},
        )
    )
    db.session.flush()
