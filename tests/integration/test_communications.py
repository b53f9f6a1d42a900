"""workflows.customers.communications against the real database: validation, sanitising, time zones,
last-contacted time, audit, search document and the merged timeline."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import AuditEntry, Communication, Customer, CustomerSearchDocument
from web.extensions import db
from workflows.customers import communications, profiles, timelines, transactions
from workflows.platform.clock import ManualClock
from workflows.platform.errors import StaleEdit, ValidationFailed


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
def customer(in_app: Flask, clock: ManualClock) -> Customer:
    made = profiles.create_customer(db.session, {"name": "Ana Lima"}, actor_id=None, clock=clock)
    db.session.commit()
    return made


def _log(customer: Customer, clock: ManualClock, **data: Any) -> Communication:
    return communications.log_communication(
        db.session, customer, data, actor_id=None, clock=clock, viewer_zone="Europe/Berlin"
    )


def test_logs_a_call_read_in_the_viewers_zone(customer: Customer, clock: ManualClock) -> None:
    call = _log(
        customer,
        clock,
        channel="call",
        direction="inbound",
        occurred_at="2026-03-10 09:30",
        duration_minutes=12,
        subject="Invoice question",
        participants="Ana, Bruno",
    )
    db.session.commit()
    assert call.occurred_at == datetime(2026, 3, 10, 8, 30, tzinfo=UTC)  # Berlin is UTC+1
    assert call.duration_seconds == 720
    assert call.participants == ["Ana", "Bruno"]
    assert customer.last_contacted_at == call.occurred_at
    assert customer.version == 1  # logging a call does not make a profile edit stale
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "communication"))
    assert entry.action == "create" and entry.entity_id == call.id
    assert entry.changes["channel"] == [None, "call"]
    assert "Invoice question" in db.session.get(CustomerSearchDocument, customer.id).document


def test_defaults_now_outbound_and_internal_for_notes(
    customer: Customer, clock: ManualClock
) -> None:
    email = _log(customer, clock, channel="email", body="Sent the offer")
    note = _log(customer, clock, channel="note", body="Prefers mornings")
    assert email.direction.value == "outbound" and email.occurred_at == clock.now()
    assert note.direction.value == "internal"
    assert email.body_html == "Sent the offer" and email.body_text == "Sent the offer"


def test_notes_and_internal_records_do_not_count_as_contact(
    customer: Customer, clock: ManualClock
) -> None:
    _log(customer, clock, channel="note", body="internal remark")
    _log(customer, clock, channel="meeting", direction="internal", subject="Team prep")
    db.session.commit()
    assert customer.last_contacted_at is None


def test_html_body_is_sanitised_with_a_plain_text_copy(
    customer: Customer, clock: ManualClock
) -> None:
    record = _log(
        customer,
        clock,
        channel="email",
        body="<p>Hello <b>Ana</b></p><script>alert(1)</script><p>Fish &amp; chips "
        '<a href="javascript:steal()">here</a></p>',
    )
    assert "<script" not in record.body_html and "javascript:" not in record.body_html
    assert "<b>Ana</b>" in record.body_html
    assert record.body_text == "Hello Ana\nFish & chips here"


def test_bad_input_names_every_field_and_writes_nothing(
    customer: Customer, clock: ManualClock
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _log(
            customer,
            clock,
            channel="pigeon",
            direction="sideways",
            occurred_at="2027-01-01 10:00",
            duration_seconds=-5,
            participants=[1, 2],
            requirement_id="abc",
            colour="red",
        )
    db.session.rollback()
    assert set(caught.value.errors) == {
        "channel",
        "direction",
        "occurred_at",
        "duration_seconds",
        "participants",
        "requirement_id",
        "colour",
    }
    assert db.session.scalar(select(func.count()).select_from(Communication)) == 0
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type != "customer")
        )
        == 0
    )


@pytest.mark.parametrize("channel", ["email", "sms", "note"])
def test_a_duration_is_refused_for_untimed_channels(
    customer: Customer, clock: ManualClock, channel: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _log(customer, clock, channel=channel, body="x", duration_minutes=3)
    assert "duration_minutes" in caught.value.errors


def test_negative_duration_is_refused(customer: Customer, clock: ManualClock) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _log(customer, clock, channel="visit", duration_minutes="-1")
    assert caught.value.errors == {"duration_minutes": ["A duration cannot be negative."]}


def test_update_checks_the_version_and_recomputes_last_contact(
    customer: Customer, clock: ManualClock
) -> None:
    older = _log(customer, clock, channel="call", occurred_at="2026-03-01T10:00:00Z")
    newer = _log(customer, clock, channel="visit", occurred_at="2026-03-05T10:00:00Z")
    db.session.commit()
    with pytest.raises(StaleEdit):
        communications.update_communication(
            db.session, newer, {"subject": "x"}, expected_version=7, actor_id=None, clock=clock
        )
    communications.update_communication(
        db.session,
        newer,
        {"channel": "note", "body": "was an internal note after all"},
        expected_version=newer.version,
        actor_id=None,
        clock=clock,
    )
    db.session.commit()
    assert newer.direction.value == "outbound"  # the direction is kept unless sent
    assert customer.last_contacted_at == older.occurred_at  # a note is not a contact
    communications.delete_communication(db.session, older, actor_id=None, clock=clock)
    db.session.commit()
    assert customer.last_contacted_at is None
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.entity_type == "communication")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "create", "update", "delete"]


def test_deleted_records_leave_the_search_document(customer: Customer, clock: ManualClock) -> None:
    record = _log(customer, clock, channel="email", body="quarterly zebra report")
    db.session.commit()
    assert "zebra" in db.session.get(CustomerSearchDocument, customer.id).document
    communications.delete_communication(db.session, record, actor_id=None, clock=clock)
    db.session.commit()
    assert "zebra" not in db.session.get(CustomerSearchDocument, customer.id).document


def test_timeline_merges_sources_newest_first_across_pages(
    customer: Customer, clock: ManualClock
) -> None:
    for day in (2, 4, 6):
        _log(customer, clock, channel="call", occurred_at=f"2026-03-0{day}T09:00:00Z")
    for day in (3, 4, 7):
        transactions.record_transaction(
            db.session,
            customer,
            {
                "kind": "payment",
                "amount": "10.00",
                "currency": "EUR",
                "occurred_on": f"2026-03-0{day}",
            },
            actor_id=None,
            clock=clock,
        )
    db.session.commit()
    seen: list[tuple[str, datetime]] = []
    cursor = None
    for _ in range(10):
        page = timelines.timeline(db.session, customer.id, limit=2, before=cursor)
        seen += [(item.kind, item.at) for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    day = lambda d, h=0: datetime(2026, 3, d, h, tzinfo=UTC)  # noqa: E731
    assert seen == [
        ("event", day(10, 12)),  # the customer's creation
        ("transaction", day(7)),
        ("communication", day(6, 9)),
        ("communication", day(4, 9)),
        ("transaction", day(4)),
        ("transaction", day(3)),
        ("communication", day(2, 9)),
    ]
    only_calls = timelines.timeline(db.session, customer.id, kinds={"communication"})
    assert [i.kind for i in only_calls.items] == ["communication"] * 3
    assert only_calls.next_cursor is None


def test_timeline_pages_through_equal_times_without_loss(
    customer: Customer, clock: ManualClock
) -> None:
    ids = {_log(customer, clock, channel="sms", body=f"m{i}").id for i in range(5)}
    db.session.commit()
    seen: list[int] = []
    cursor = None
    while True:
        page = timelines.timeline(
            db.session, customer.id, kinds={"communication"}, limit=2, before=cursor
        )
        seen += [i.id for i in page.items]
        if not (cursor := page.next_cursor):
            break
    assert seen == sorted(ids, reverse=True)


def test_timeline_refuses_a_forged_cursor_or_kind(customer: Customer) -> None:
    with pytest.raises(ValidationFailed) as caught:
        timelines.timeline(db.session, customer.id, before="not-a-cursor")
    assert "before" in caught.value.errors
    with pytest.raises(ValidationFailed):
        timelines.timeline(db.session, customer.id, kinds={"gossip"})


def test_a_record_a_week_ahead_is_refused_but_a_few_hours_are_fine(
    customer: Customer, clock: ManualClock
) -> None:
    soon = clock.now() + timedelta(hours=3)
    assert _log(customer, clock, channel="meeting", occurred_at=soon).occurred_at == soon
    with pytest.raises(ValidationFailed):
        _log(customer, clock, channel="meeting", occurred_at=clock.now() + timedelta(days=7))
    assert date(2026, 3, 10) == clock.now().date()
