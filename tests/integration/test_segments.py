"""workflows.customers.segments on the real database: definitions round-trip, validate, and
evaluate."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from models import CustomFieldDefinition, FieldKind, Segment
from web.extensions import db
from workflows.customers import profiles, segments
from workflows.customers.queries import CustomerFilter
from workflows.platform.clock import ManualClock
from workflows.platform.errors import ValidationFailed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def book(in_app: Flask, make_user: Any) -> dict[str, Any]:
    clock = ManualClock(T0)
    owner = make_user()
    db.session.add(
        CustomFieldDefinition(
            entity="customer",
            key="interests",
            label="Interests",
            kind=FieldKind.MULTI_CHOICE,
            choices=["golf", "wine"],
            created_at=clock.now(),
        )
    )
    db.session.flush()
    made = {}
    for name, data in (
        ("Ana Lima", {"tags": "vip", "stage": "lead", "custom": {"interests": ["golf"]}}),
        ("Bruno Silva", {"tags": "vip", "stage": "customer", "owner_id": owner.id}),
        ("Carla Costa", {"stage": "customer", "custom": {"interests": ["golf", "wine"]}}),
    ):
        made[name] = profiles.create_customer(
            db.session, {"name": name, **data}, actor_id=None, clock=clock
        )
        clock.advance(timedelta(hours=1))
    db.session.commit()
    return {"clock": clock, "owner": owner, **made}


def _ids(segment: Segment) -> set[int]:
    return set(db.session.scalars(segments.evaluate(db.session, segment)))


def test_definition_round_trip() -> None:
    flt = CustomerFilter(
        q="golf club",
        owner_id=3,
        tag="vip",
        stage="lead",
        organisation_id=7,
        custom={"interests": "golf", "seats": 12},
        created_from=T0,
        created_to=T0 + timedelta(days=1),
        last_contacted_from=T0 - timedelta(days=30),
        last_contacted_to=T0,
        trash=True,
    )
    definition = segments.to_definition(flt)
    assert definition["created_from"] == "2026-03-02T09:00:00+00:00"
    assert segments.from_definition(definition) == flt
    assert segments.to_definition(CustomerFilter()) == {}
    assert segments.from_definition({}) == CustomerFilter()
    assert segments.to_definition(CustomerFilter(stage="lead")) == {"stage": "lead"}


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"owner_id": "3"}, "owner_id"),
        ({"owner_id": True}, "owner_id"),
        ({"tag": 5}, "tag"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_to": "2026-03-02T09:00:00"}, "created_to"),  # naive: which zone?
        ({"trash": "yes"}, "trash"),
        ({"custom": ["interests"]}, "custom"),
        ({"custom": {"interests": {"$ne": 1}}}, "custom"),
    ],
)
def test_bad_definitions_name_the_field(definition: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        segments.from_definition(definition)
    assert set(caught.value.errors) == {field}


def test_saved_segments_evaluate_to_their_customers(book: dict[str, Any]) -> None:
    clock = book["clock"]
    vip = segments.create_segment(
        db.session, "  VIPs ", CustomerFilter(tag="vip"), owner_id=book["owner"].id, clock=clock
    )
    golfers = segments.create_segment(
        db.session,
        "Golfing customers",
        CustomerFilter(stage="customer", custom={"interests": "golf"}),
        owner_id=None,
        clock=clock,
    )
    db.session.commit()
    db.session.expire_all()
    assert vip.name == "VIPs" and vip.definition == {"tag": "vip"}
    assert _ids(vip) == {book["Ana Lima"].id, book["Bruno Silva"].id}
    assert _ids(golfers) == {book["Carla Costa"].id}
    assert segments.filter_of(golfers) == CustomerFilter(
        stage="customer", custom={"interests": "golf"}
    )
    # A segment is evaluated now, not when it was saved.
    profiles.delete_customer(db.session, book["Ana Lima"], actor_id=None, clock=clock)
    db.session.commit()
    assert _ids(vip) == {book["Bruno Silva"].id}


def test_update_segment_changes_name_and_filter(book: dict[str, Any]) -> None:
    clock = book["clock"]
    segment = segments.create_segment(
        db.session, "Leads", CustomerFilter(stage="lead"), owner_id=None, clock=clock
    )
    db.session.commit()
    clock.advance(timedelta(minutes=5))
    segments.update_segment(
        db.session,
        segment,
        name="Recent customers",
        flt=CustomerFilter(stage="customer", created_from=T0 + timedelta(minutes=30)),
        clock=clock,
    )
    db.session.commit()
    db.session.expire_all()
    assert segment.name == "Recent customers"
    assert segment.updated_at == clock.now() and segment.created_at < segment.updated_at
    assert _ids(segment) == {book["Bruno Silva"].id, book["Carla Costa"].id}
    segments.update_segment(db.session, segment, name="Renamed only", clock=clock)
    assert segment.definition["stage"] == "customer"


def test_invalid_segments_are_refused_and_nothing_is_saved(book: dict[str, Any]) -> None:
    clock = book["clock"]
    with pytest.raises(ValidationFailed) as caught:
        segments.create_segment(
            db.session,
            "",
            CustomerFilter(stage="vip", custom={"interests": "chess"}),
            owner_id=None,
            clock=clock,
        )
    assert set(caught.value.errors) == {"name", "stage", "custom.interests"}
    segment = segments.create_segment(
        db.session, "Ok", CustomerFilter(tag="vip"), owner_id=None, clock=clock
    )
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        segments.update_segment(db.session, segment, name="x" * 121, clock=clock)
    assert set(caught.value.errors) == {"name"}
    db.session.rollback()
    assert db.session.query(Segment).count() == 1
    assert db.session.get(Segment, segment.id).name == "Ok"


def test_a_tampered_stored_definition_is_refused_when_evaluated(book: dict[str, Any]) -> None:
    segment = segments.create_segment(
        db.session, "Ok", CustomerFilter(tag="vip"), owner_id=None, clock=book["clock"]
    )
    segment.definition = {"tag": "vip", "sql": "1=1; DROP TABLE customers"}
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        segments.evaluate(db.session, segment)
    assert set(caught.value.errors) == {"sql"}
