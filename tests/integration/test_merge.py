"""Duplicates and merge through the pages: detection, a field-by-field merge that keeps every
record in one transaction, the audit log, stale forms, and supervisor-only access."""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import (
    AuditEntry,
    Communication,
    Consent,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchDocument,
    Role,
    Transaction,
    customer_tags,
)
from tests.conftest import csrf_token, login
from web.extensions import db
from workflows.customers import communications, organisations, profiles, transactions
from workflows.customers.merge import find_duplicates, similar_names
from workflows.platform.clock import SystemClock

clock = SystemClock()


@dataclass
class Pair:
    a: int
    b: int
    other: int


def _customer(org_id: int | None, **data: Any) -> Customer:
    if org_id is not None:
        data["organisation_id"] = org_id
    return profiles.create_customer(db.session, data, actor_id=None, clock=clock)


def _history(customer: Customer, n: int) -> None:
    for i in range(n):
        communications.log_communication(
            db.session,
            customer,
            {
                "channel": "call",
                "direction": "inbound",
                "occurred_at": f"2026-11-{10 + i:02d}T10:00:00",
                "duration_minutes": "5",
                "body": f"{customer.name} call {i} about widgets-{customer.id}",
            },
            actor_id=None,
            clock=clock,
        )
        transactions.record_transaction(
            db.session,
            customer,
            {
                "kind": "order",
                "amount": f"{10 + i}.50",
                "currency": "EUR",
                "occurred_on": "2026-11-01",
            },
            actor_id=None,
            clock=clock,
        )
    profiles.set_consent(
        db.session, customer, "email", granted=True, method="web form", actor_id=None, clock=clock
    )


@pytest.fixture
def pair(app: Flask) -> Pair:
    with app.app_context():
        acme = organisations.create_organisation(
            db.session, {"name": "Acme"}, actor_id=None, clock=clock
        )
        a = _customer(
            acme.id,
            name="Ana Lima",
            emails="ana@example.com",
            phones="+49 151 23456789",
            tags="vip",
            city="Berlin",
        )
        b = _customer(
            acme.id,
            name="ana  lima",
            emails="ana.lima@work.example.com, ana@example.com",
            phones="+49 151 23456789, +49 30 1234567",
            tags="north, vip",
            notes="Met at the fair",
        )
        other = _customer(None, name="Bruno Costa", emails="bruno@example.com")
        _history(a, 2)
        _history(b, 3)
        _history(other, 1)
        db.session.commit()
        return Pair(a.id, b.id, other.id)


@pytest.fixture
def supervisor(client: FlaskClient, make_user: Any) -> FlaskClient:
    login(client, make_user(Role.SUPERVISOR).email)
    return client


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        result = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Communication, Transaction, Consent, CustomerEmail, CustomerPhone)
        }
        result["customers"] = db.session.scalar(select(func.count()).select_from(Customer))
        db.session.remove()
        return result


def owned_by(app: Flask, customer_id: int) -> dict[str, int]:
    with app.app_context():
        result = {
            model.__tablename__: db.session.scalar(
                select(func.count()).select_from(model).where(model.customer_id == customer_id)
            )
            for model in (Communication, Transaction, Consent)
        }
        db.session.remove()
        return result


def test_similar_names() -> None:
    assert similar_names("Ana Lima", "ana  LIMA")
    assert similar_names("Jonathan Smith", "Jonathon Smith")
    assert not similar_names("Ana Lima", "Bruno Costa")


def test_the_duplicates_page_lists_the_pair_with_every_reason(
    app: Flask, pair: Pair, supervisor: FlaskClient
) -> None:
    with app.app_context():
        found = find_duplicates(db.session)
    assert [(p.first_id, p.second_id) for p in found] == [(pair.a, pair.b)]
    assert found[0].reasons == [
        "same email ana@example.com",
        "same phone +4915123456789",
        "similar name in the same organisation",
    ]
    html = supervisor.get("/duplicates").get_data(as_text=True)
    assert f"/duplicates/merge?a={pair.a}&amp;b={pair.b}" in html
    assert "Bruno Costa" not in html


def _merge_form(client: FlaskClient, pair: Pair) -> dict[str, str]:
    html = client.get(f"/duplicates/merge?a={pair.a}&b={pair.b}").get_data(as_text=True)
    assert "Primary email" in html and "primary_email" not in re.sub(r"<[^>]*>", "", html)
    form = dict(re.findall(r'type="hidden" name="([\w-]+)" value="([^"]*)"', html))
    # What a browser sends for the radios checked by default.
    form.update(re.findall(r'type="radio" name="([\w.-]+)" value="(\d+)" checked', html))
    form["csrf_token"] = csrf_token(client, f"/duplicates/merge?a={pair.a}&b={pair.b}")
    return form


def test_merging_two_duplicates_keeps_every_record_and_audits_both(
    app: Flask, pair: Pair, supervisor: FlaskClient
) -> None:
    before = counts(app)
    a_owned, b_owned = owned_by(app, pair.a), owned_by(app, pair.b)
    form = _merge_form(supervisor, pair)
    form.update(
        {
            "survivor": str(pair.a),
            "choice-name": str(pair.a),
            "choice-primary_email": str(pair.b),
            "choice-notes": str(pair.b),
            "choice-city": str(pair.a),
        }
    )

    response = supervisor.post("/duplicates/merge", data=form)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{pair.a}")
    assert "merged into" in supervisor.get(response.headers["Location"]).get_data(as_text=True)
    for customer_id in (pair.a, pair.b):  # each record's history page shows the merge
        history = supervisor.get(f"/customers/{customer_id}/history").get_data(as_text=True)
        assert 'data-action="merge"' in history
        assert f"Customer #{pair.b} merged into #{pair.a}" in history
    assert counts(app) == before  # nothing lost, nothing copied
    assert owned_by(app, pair.a) == {k: a_owned[k] + b_owned[k] for k in a_owned}
    assert owned_by(app, pair.b) == {"communications": 0, "transactions": 0, "consents": 0}
    with app.app_context():
        a, b = db.session.get(Customer, pair.a), db.session.get(Customer, pair.b)
        assert (b.merged_into_id, b.deleted_at is not None) == (pair.a, True)
        assert (a.name, a.city, a.notes) == ("Ana Lima", "Berlin", "Met at the fair")
        assert a.primary_email == "ana.lima@work.example.com"
        assert (a.emails[0].email, a.emails[0].is_primary) == ("ana.lima@work.example.com", True)
        assert sorted(e.email for e in a.emails) == ["ana.lima@work.example.com", "ana@example.com"]
        assert sorted(p.e164 for p in a.phones) == ["+4915123456789", "+49301234567"]
        assert [t.name for t in a.tags] == ["north", "vip"]
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(customer_tags)
                .where(customer_tags.c.customer_id == pair.b)
            )
            == 0
        )
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "merge").order_by(AuditEntry.entity_id)
        ).all()
        assert [(e.entity_id, e.entity_type) for e in entries] == [
            (pair.a, "customer"),
            (pair.b, "customer"),
        ]
        assert entries[0].changes["merged_from"] == [None, pair.b]
        assert entries[0].changes["notes"] == [None, "Met at the fair"]
        assert entries[1].changes["merged_into_id"] == [None, pair.a]
        assert "3 communications" in entries[0].note and "3 transactions" in entries[0].note
        document = db.session.get(CustomerSearchDocument, pair.a).document
        assert f"widgets-{pair.b}" in document and "ana.lima@work.example.com" in document
        assert db.session.get(CustomerSearchDocument, pair.b) is None
        assert find_duplicates(db.session) == []


def test_a_stale_merge_form_is_refused_and_changes_nothing(
    app: Flask, pair: Pair, supervisor: FlaskClient
) -> None:
    form = _merge_form(supervisor, pair)
    with app.app_context():
        b = db.session.get(Customer, pair.b)
        profiles.update_customer(
            db.session, b, {"city": "Porto"}, expected_version=b.version, actor_id=None, clock=clock
        )
        db.session.commit()
    before = owned_by(app, pair.b)

    response = supervisor.post("/duplicates/merge", data={**form, "survivor": str(pair.a)})

    assert response.status_code == 409
    assert owned_by(app, pair.b) == before
    with app.app_context():
        assert db.session.get(Customer, pair.b).deleted_at is None


def test_agents_may_not_see_or_merge_duplicates(
    app: Flask, pair: Pair, client: FlaskClient, make_user: Any
) -> None:
    login(client, make_user(Role.AGENT).email)
    assert client.get("/duplicates").status_code == 403
    assert client.get(f"/duplicates/merge?a={pair.a}&b={pair.b}").status_code == 403
    token = csrf_token(client, "/customers")
    data = {"csrf_token": token, "a": pair.a, "b": pair.b, "survivor": pair.a}
    assert client.post("/duplicates/merge", data=data).status_code == 403
    with app.app_context():
        assert db.session.get(Customer, pair.b).deleted_at is None


def test_admins_may_merge(app: Flask, pair: Pair, client: FlaskClient, make_user: Any) -> None:
    login(client, make_user(Role.ADMIN).email)
    form = _merge_form(client, pair)
    response = client.post("/duplicates/merge", data={**form, "survivor": str(pair.b)})
    assert response.status_code == 302
    with app.app_context():
        a = db.session.get(Customer, pair.a)
        assert a.merged_into_id == pair.b
        assert db.session.get(Customer, pair.b).name == "Ana Lima"  # the default radios
