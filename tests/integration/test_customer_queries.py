"""workflows.customers.queries on the real database: filters, search, sorting, keyset pages."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from models import (
    Communication,
    CommunicationChannel,
    Customer,
    CustomFieldDefinition,
    Direction,
    FieldKind,
    Organisation,
)
from web.extensions import db
from workflows.customers import profiles, search_index
from workflows.customers.queries import CustomerFilter, list_customers, matching_ids
from workflows.platform.clock import ManualClock
from workflows.platform.errors import ValidationFailed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _customer(clock: ManualClock, **data: Any) -> Customer:
    customer = profiles.create_customer(db.session, data, actor_id=None, clock=clock)
    clock.advance(timedelta(minutes=1))
    return customer


def _names(page: Any) -> list[str]:
    return [c.name for c in page.items]


def _all_pages(flt: CustomerFilter, sort: str | None, limit: int) -> list[int]:
    ids: list[int] = []
    cursor = None
    for _ in range(100):
        page = list_customers(db.session, flt, sort=sort, limit=limit, cursor=cursor)
        ids += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("pagination did not end")


@pytest.fixture
def crm(in_app: Flask, make_user: Any) -> dict[str, Any]:
    """A small, varied book of customers."""
    clock = ManualClock(T0)
    ana, bo = make_user(), make_user()
    now = clock.now()
    acme = Organisation(name="Acme Logistics", custom={}, created_at=now, updated_at=now)
    globex = Organisation(name="Globex", custom={}, created_at=now, updated_at=now)
    db.session.add_all([acme, globex])
    db.session.add(
        CustomFieldDefinition(
            entity="customer",
            key="region",
            label="Region",
            kind=FieldKind.SINGLE_CHOICE,
            choices=["north", "south"],
            created_at=now,
        )
    )
    db.session.add(
        CustomFieldDefinition(
            entity="customer",
            key="interests",
            label="Interests",
            kind=FieldKind.MULTI_CHOICE,
            choices=["golf", "wine", "jazz"],
            created_at=now,
        )
    )
    db.session.add(
        CustomFieldDefinition(
            entity="customer", key="seats", label="Seats", kind=FieldKind.NUMBER, created_at=now
        )
    )
    db.session.flush()
    made = {
        "lima": _customer(
            clock,
            name="Ana Lima",
            emails="ana.lima@example.com",
            phones="+49 151 2345 6789",
            organisation_id=acme.id,
            owner_id=ana.id,
            stage="lead",
            tags="vip, berlin",
            custom={"region": "north", "interests": ["golf", "wine"], "seats": 12},
        ),
        "silva": _customer(
            clock,
            name="Bruno Silva",
            emails="bruno@globex.example",
            phones="+49 30 1234567",
            organisation_id=globex.id,
            owner_id=bo.id,
            stage="customer",
            tags="berlin",
            notes="Prefers calls after <b>lunch</b> & coffee",
            custom={"region": "south", "interests": ["jazz"], "seats": 3},
        ),
        "costa": _customer(
            clock,
            name="Carla Costa",
            emails="carla@costa.example",
            organisation_id=acme.id,
            owner_id=ana.id,
            stage="customer",
            custom={"region": "south", "interests": ["wine"], "seats": 12.5},
        ),
        "dias": _customer(clock, name="Alberto Dias", owner_id=bo.id, stage="prospect"),
        "evans": _customer(clock, name="Alma Evans", owner_id=bo.id),
    }
    made["costa"].last_contacted_at = T0 + timedelta(days=3)
    made["lima"].last_contacted_at = T0 + timedelta(days=1)
    db.session.add(
        Communication(
            customer_id=made["dias"].id,
            channel=CommunicationChannel.CALL,
            direction=Direction.OUTBOUND,
            occurred_at=now,
            subject="Renewal",
            body_text="Discussed the photovoltaic roof upgrade",
            participants=[],
            created_at=now,
            updated_at=now,
        )
    )
    db.session.flush()
    search_index.refresh(db.session, made["dias"], clock=clock)
    db.session.commit()
    return {"clock": clock, "ana": ana, "bo": bo, "acme": acme, "globex": globex, **made}


# ------------------------------------------------------------------ filters


def test_lists_live_customers_by_name_by_default(crm: dict[str, Any]) -> None:
    page = list_customers(db.session, CustomerFilter())
    assert _names(page) == ["Alberto Dias", "Alma Evans", "Ana Lima", "Bruno Silva", "Carla Costa"]
    assert page.next_cursor is None and page.highlights == {} and page.sort == "name"


def test_each_filter_alone(crm: dict[str, Any]) -> None:
    def names(**kw: Any) -> set[str]:
        return set(_names(list_customers(db.session, CustomerFilter(**kw))))

    assert names(owner_id=crm["ana"].id) == {"Ana Lima", "Carla Costa"}
    assert names(tag="Berlin") == {"Ana Lima", "Bruno Silva"}
    assert names(tag="nonexistent") == set()
    assert names(stage="customer") == {"Bruno Silva", "Carla Costa"}
    assert names(organisation_id=crm["acme"].id) == {"Ana Lima", "Carla Costa"}
    assert names(custom={"region": "south"}) == {"Bruno Silva", "Carla Costa"}
    assert names(custom={"interests": "wine"}) == {"Ana Lima", "Carla Costa"}
    assert names(custom={"seats": "12"}) == {"Ana Lima"}
    assert names(custom={"seats": 12.5}) == {"Carla Costa"}
    assert names(created_from=T0 + timedelta(minutes=1), created_to=T0 + timedelta(minutes=3)) == {
        "Bruno Silva",
        "Carla Costa",
    }
    assert names(last_contacted_from=T0 + timedelta(days=2)) == {"Carla Costa"}
    assert names(last_contacted_to=T0 + timedelta(days=2)) == {"Ana Lima"}


def test_filters_combine(crm: dict[str, Any]) -> None:
    flt = CustomerFilter(
        owner_id=crm["ana"].id, stage="customer", custom={"interests": ["wine"]}, q="costa"
    )
    assert _names(list_customers(db.session, flt)) == ["Carla Costa"]
    flt = CustomerFilter(tag="berlin", organisation_id=crm["globex"].id, stage="lead")
    assert _names(list_customers(db.session, flt)) == []
    ids = db.session.scalars(matching_ids(db.session, CustomerFilter(tag="berlin", q="lima")))
    assert list(ids) == [crm["lima"].id]


def test_bad_filter_values_name_the_field(crm: dict[str, Any]) -> None:
    for flt, field in (
        (CustomerFilter(stage="vip"), "stage"),
        (CustomerFilter(custom={"region": "east"}), "custom.region"),
        (CustomerFilter(custom={"shoe_size": 9}), "custom.shoe_size"),
        (CustomerFilter(custom={"seats": "many"}), "custom.seats"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            list_customers(db.session, flt)
        assert set(caught.value.errors) == {field}
    with pytest.raises(ValidationFailed) as caught:
        list_customers(db.session, CustomerFilter(), sort="age")
    assert set(caught.value.errors) == {"sort"}
    with pytest.raises(ValidationFailed) as caught:
        list_customers(db.session, CustomerFilter(), cursor="not-a-cursor")
    assert set(caught.value.errors) == {"cursor"}


def test_trash_only_lists_deleted_customers(crm: dict[str, Any]) -> None:
    profiles.delete_customer(db.session, crm["silva"], actor_id=None, clock=crm["clock"])
    db.session.commit()
    assert "Bruno Silva" not in _names(list_customers(db.session, CustomerFilter()))
    assert _names(list_customers(db.session, CustomerFilter(q="bruno"))) == []
    assert _names(list_customers(db.session, CustomerFilter(q="globex"))) == []
    assert _names(list_customers(db.session, CustomerFilter(trash=True))) == ["Bruno Silva"]
    page = list_customers(db.session, CustomerFilter(trash=True, q="bruno"))
    assert _names(page) == ["Bruno Silva"]
    assert page.highlights[crm["silva"].id] == "<mark>Bruno</mark> Silva"


# ------------------------------------------------------------------ search


def test_finds_a_phone_number_by_a_fragment_typed_with_spaces(crm: dict[str, Any]) -> None:
    for typed in ("151 2345", "0151-2345 67", "(030) 12-34", "+49 151 23", "4930.1234"):
        page = list_customers(db.session, CustomerFilter(q=typed))
        assert len(page.items) == 1, typed
    assert _names(list_customers(db.session, CustomerFilter(q="151 2345"))) == ["Ana Lima"]
    assert _names(list_customers(db.session, CustomerFilter(q="(030) 12-34"))) == ["Bruno Silva"]
    page = list_customers(db.session, CustomerFilter(q="151 2345"))
    assert "<mark>1512345</mark>" in page.highlights[crm["lima"].id]


def test_finds_by_email_organisation_note_and_communication(crm: dict[str, Any]) -> None:
    def names(q: str) -> list[str]:
        return _names(list_customers(db.session, CustomerFilter(q=q)))

    assert names("lima@exa") == ["Ana Lima"]
    assert names("globex.exam") == ["Bruno Silva"]
    assert sorted(names("Logistics")) == ["Ana Lima", "Carla Costa"]
    assert names("coffee") == ["Bruno Silva"]
    assert names("photovoltaic") == ["Alberto Dias"]
    assert names("PHOTOVOLTAIC roof") == ["Alberto Dias"]  # every word must match
    assert names("photovoltaic lunch") == []
    assert names("zzz-nothing") == []


def test_search_input_is_escaped(crm: dict[str, Any]) -> None:
    for typed in ('"', 'ana" OR "bruno', "lim*", "NEAR(ana lima)", "100%", "a_b", "\\", "--"):
        page = list_customers(db.session, CustomerFilter(q=typed))
        assert page.items == [] or typed == "--", typed
    assert _names(list_customers(db.session, CustomerFilter(q="ana%"))) == []


def test_highlight_marks_matches_and_escapes_html(crm: dict[str, Any]) -> None:
    page = list_customers(db.session, CustomerFilter(q="lunch"))
    snippet = page.highlights[crm["silva"].id]
    assert snippet == "Prefers calls after &lt;b&gt;<mark>lunch</mark>&lt;/b&gt; &amp; coffee"
    page = list_customers(db.session, CustomerFilter(q="<b>lunch"))
    assert _names(page) == ["Bruno Silva"]
    assert "<mark>&lt;b&gt;lunch</mark>" in page.highlights[crm["silva"].id]


def test_short_terms_fall_back_to_a_name_prefix(crm: dict[str, Any]) -> None:
    page = list_customers(db.session, CustomerFilter(q="aL"))
    assert _names(page) == ["Alberto Dias", "Alma Evans"]
    assert page.sort == "name"
    assert page.highlights[crm["dias"].id] == "<mark>Al</mark>berto Dias"
    assert _names(list_customers(db.session, CustomerFilter(q="an"))) == ["Ana Lima"]
    assert _names(list_customers(db.session, CustomerFilter(q="b"))) == ["Bruno Silva"]
    # With a long term beside it, a short one must appear somewhere in the document.
    assert _names(list_customers(db.session, CustomerFilter(q="berlin bo"))) == []
    assert _names(list_customers(db.session, CustomerFilter(q="berlin br"))) == ["Bruno Silva"]


def test_relevance_ranks_better_matches_first(crm: dict[str, Any]) -> None:
    clock = crm["clock"]
    _customer(clock, name="Zed Berlin-Berlin", notes="berlin berlin berlin berlin")
    db.session.commit()
    page = list_customers(db.session, CustomerFilter(q="berlin"))
    assert page.sort == "relevance"
    assert _names(page)[0] == "Zed Berlin-Berlin"
    assert set(_names(page)) == {"Zed Berlin-Berlin", "Ana Lima", "Bruno Silva"}


# ------------------------------------------------------------------ sorting and pages


def test_sort_orders(crm: dict[str, Any]) -> None:
    def names(sort: str) -> list[str]:
        return _names(list_customers(db.session, CustomerFilter(), sort=sort))

    by_creation = ["Ana Lima", "Bruno Silva", "Carla Costa", "Alberto Dias", "Alma Evans"]
    assert names("created_at") == by_creation
    assert names("-created_at") == by_creation[::-1]
    assert names("-name") == [
        "Carla Costa",
        "Bruno Silva",
        "Ana Lima",
        "Alma Evans",
        "Alberto Dias",
    ]
    # Never contacted sorts last either way.
    assert names("last_contacted_at")[:2] == ["Ana Lima", "Carla Costa"]
    assert names("-last_contacted_at")[:2] == ["Carla Costa", "Ana Lima"]
    assert set(names("last_contacted_at")[2:]) == {"Bruno Silva", "Alberto Dias", "Alma Evans"}


@pytest.mark.parametrize(
    "sort",
    ["name", "-name", "created_at", "-created_at", "last_contacted_at", "-last_contacted_at"],
)
def test_keyset_pages_have_no_duplicates_or_gaps_under_ties(in_app: Flask, sort: str) -> None:
    clock = ManualClock(T0)
    now = clock.now()
    expected = []
    for i in range(23):
        # Many equal names, creation times and contact times (ties everywhere, some NULL).
        customer = Customer(
            name=f"Twin {i % 3}",
            custom={},
            created_at=now + timedelta(minutes=i % 4),
            updated_at=now,
            last_contacted_at=None if i % 5 == 0 else now + timedelta(hours=i % 2),
        )
        db.session.add(customer)
        db.session.flush()
        expected.append(customer.id)
    db.session.commit()
    whole = [c.id for c in list_customers(db.session, CustomerFilter(), sort=sort, limit=50).items]
    for limit in (1, 2, 4, 7):
        paged = _all_pages(CustomerFilter(), sort, limit)
        assert paged == whole, limit
    assert sorted(whole) == sorted(expected)


def test_search_results_page_by_relevance(crm: dict[str, Any]) -> None:
    clock = crm["clock"]
    for i in range(9):
        _customer(clock, name=f"Harbour {i}", notes="harbour " * (i % 3 + 1))
    db.session.commit()
    whole = [c.id for c in list_customers(db.session, CustomerFilter(q="harbour"), limit=50).items]
    assert len(whole) == 9
    assert _all_pages(CustomerFilter(q="harbour"), None, 2) == whole


def test_a_cursor_from_another_sort_is_refused(crm: dict[str, Any]) -> None:
    page = list_customers(db.session, CustomerFilter(), sort="name", limit=2)
    assert page.next_cursor
    with pytest.raises(ValidationFailed) as caught:
        list_customers(db.session, CustomerFilter(), sort="-created_at", cursor=page.next_cursor)
    assert set(caught.value.errors) == {"cursor"}


def test_a_page_loads_contact_points_and_tags_without_more_queries(crm: dict[str, Any]) -> None:
    db.session.expire_all()
    statements: list[str] = []
    engine = db.session.get_bind()

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = list_customers(db.session, CustomerFilter(q="berlin"))
        before = len(statements)
        seen = [
            (c.name, [e.email for e in c.emails], [p.e164 for p in c.phones], c.tags, c.consents)
            for c in page.items
        ]
        seen += [
            (c.organisation and c.organisation.name, c.stage and c.stage.key) for c in page.items
        ]
        assert len(statements) == before
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == 4
    assert db.session.scalar(select(Customer.id).where(Customer.name == "Ana Lima")) in {
        c.id for c in page.items
    }
