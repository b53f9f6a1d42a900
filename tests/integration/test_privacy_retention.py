"""Retention policies on SQLite and PostgreSQL: previewed before enabling, then applied by the
real worker (the task beat runs) per channel; the access log purged after its own period."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    Communication,
    CommunicationChannel,
    CustomerAccess,
    CustomerSearchDocument,
    Direction,
    Requirement,
    RetentionPolicy,
    Role,
)
from tests.conftest import csrf_token, login
from tests.services import Process, wait_until
from web.extensions import db
from workflows.customers import profiles, search_index
from workflows.platform.clock import ManualClock, SystemClock
from workflows.platform.errors import ValidationFailed
from workflows.privacy import access_log, retention


def _communication(customer_id: int, channel: str, age_days: int, body: str) -> None:
    now = SystemClock().now()
    at = now - timedelta(days=age_days)
    db.session.add(
        Communication(
            customer_id=customer_id,
            channel=CommunicationChannel(channel),
            direction=Direction.INBOUND,
            occurred_at=at,
            subject=body,
            body_text=body,
            participants=[],
            created_at=at,
            updated_at=at,
        )
    )


@pytest.fixture
def records(in_app: Flask) -> int:
    customer = profiles.create_customer(
        db.session, {"name": "Old Timer"}, actor_id=None, clock=SystemClock()
    )
    _communication(customer.id, "email", 800, "old email")
    _communication(customer.id, "email", 30, "recent email")
    _communication(customer.id, "call", 800, "old call")
    long_ago = SystemClock().now() - timedelta(days=900)
    for state, title in (("closed", "old closed"), ("open", "old open")):
        db.session.add(
            Requirement(
                customer_id=customer.id,
                title=title,
                description="details",
                workflow="support",
                state=state,
                created_at=long_ago,
                updated_at=long_ago,
                resolved_at=long_ago if state == "closed" else None,
            )
        )
    db.session.commit()
    search_index.refresh(db.session, customer, clock=SystemClock())
    db.session.commit()
    return customer.id


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    moment = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert retention.months_before(moment, 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert retention.months_before(moment, 15) == datetime(2024, 12, 31, 12, tzinfo=UTC)


def test_a_policy_is_previewed_before_it_is_enabled_and_a_change_disables_it(
    records: int,
) -> None:
    clock = SystemClock()
    policy = retention.save(
        db.session,
        {"target": "communications", "channel": "email", "months": "12", "action": "delete"},
        clock=clock,
    )
    with pytest.raises(retention.NotPreviewed):
        retention.enable(db.session, policy, True)
    assert retention.preview(db.session, policy, clock=clock) == 1  # the old email only
    retention.enable(db.session, policy, True)
    retention.save(
        db.session,
        {"target": "communications", "channel": "email", "months": "1", "action": "delete"},
        clock=clock,
        policy=policy,
    )
    assert not policy.is_enabled
    with pytest.raises(ValidationFailed) as refused:
        retention.save(
            db.session,
            {"target": "requirements", "channel": "fax", "months": "0", "action": "shred"},
            clock=clock,
        )
    assert set(refused.value.errors) == {"channel", "months", "action"}
    db.session.rollback()


def test_the_worker_applies_enabled_policies_per_channel(
    app: Flask, records: int, worker: Process
) -> None:
    clock = SystemClock()
    emails = retention.save(
        db.session,
        {"target": "communications", "channel": "email", "months": "12", "action": "delete"},
        clock=clock,
    )
    closed = retention.save(
        db.session,
        {"target": "requirements", "channel": "", "months": "12", "action": "anonymise"},
        clock=clock,
    )
    for policy in (emails, closed):
        retention.preview(db.session, policy, clock=clock)
        retention.enable(db.session, policy, True)
    db.session.commit()
    app.extensions["celery"].send_task("privacy.retention")

    def ran() -> bool:
        db.session.rollback()
        return all(p.last_run_at is not None for p in db.session.scalars(select(RetentionPolicy)))

    wait_until(ran, timeout=60, interval=0.2)
    db.session.rollback()
    left = sorted(db.session.scalars(select(Communication.body_text)))
    assert left == ["old call", "recent email"]
    document = db.session.get(CustomerSearchDocument, records).document
    assert "old email" not in document and "recent email" in document
    titles = dict(db.session.execute(select(Requirement.state, Requirement.title)).all())
    assert titles == {"closed": "[erased]", "open": "old open"}


def test_the_access_log_is_purged_after_its_retention(in_app: Flask) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    access_log.record(
        db.session, user_id=None, customer_id=1, action="view", via="page", clock=clock
    )
    clock.advance(timedelta(days=40))
    access_log.record(
        db.session, user_id=None, customer_id=1, action="view", via="api", clock=clock
    )
    assert access_log.purge(db.session, keep_days=30, clock=clock) == 1
    assert db.session.scalars(select(CustomerAccess.via)).all() == ["api"]
    db.session.rollback()


def test_admin_retention_page_previews_then_enables(
    app: Flask, client: FlaskClient, make_user: Any, records: int
) -> None:
    login(client, make_user(Role.ADMIN).email)
    token = csrf_token(client, "/admin/retention")
    bad = client.post(
        "/admin/retention",
        data={"csrf_token": token, "target": "communications", "months": "x", "action": "delete"},
    )
    assert bad.status_code == 422 and "whole number of months" in bad.get_data(as_text=True)
    saved = client.post(
        "/admin/retention",
        data={
            "csrf_token": token,
            "target": "communications",
            "channel": "call",
            "months": "6",
            "action": "anonymise",
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        policy_id = db.session.scalars(select(RetentionPolicy.id)).one()
    url = f"/admin/retention/{policy_id}"
    assert client.post(url, data={"csrf_token": token, "action": "enable"}).status_code == 409
    preview = client.post(
        url, data={"csrf_token": token, "action": "preview"}, follow_redirects=True
    )
    assert "would touch 1 records" in preview.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token, "action": "enable"}).status_code == 302
    with app.app_context():
        assert db.session.get(RetentionPolicy, policy_id).is_enabled
