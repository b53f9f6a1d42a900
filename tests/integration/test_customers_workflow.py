"""workflows.customers against the real database: validation, audit, search document."""

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import AuditEntry, Customer, CustomerSearchDocument, CustomFieldDefinition, FieldKind
from web.extensions import db
from workflows.customers import profiles
from workflows.platform.clock import ManualClock
from workflows.platform.errors import StaleEdit, ValidationFailed

clock = ManualClock()


def _create(**data: Any) -> Customer:
    data.setdefault("name", "Ana Lima")
    return profiles.create_customer(db.session, data, actor_id=None, clock=clock)


def test_creates_a_customer_with_normalised_contact_points(in_app: Flask) -> None:
    customer = _create(
        emails="Ana.Lima@Example.com, ana@work.example.com",
        phones=["+49 151 2345 6789", "030 1234567"],
        country="de",
        tags="VIP, vip, Berlin",
        time_zone="Europe/Berlin",
        language="pt-BR",
    )
    db.session.commit()
    assert customer.primary_email == "ana.lima@example.com"
    assert [p.e164 for p in customer.phones] == ["+4915123456789", "+49301234567"]
    assert [t.name for t in customer.tags] == ["berlin", "vip"]
    assert customer.country == "DE"
    document = db.session.get(CustomerSearchDocument, customer.id).document
    assert "4915123456789" in document and "015123456789" in document


def test_bad_input_names_every_field_and_saves_nothing(in_app: Flask) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _create(
            name="",
            emails="not-an-email",
            phones="12",
            time_zone="Mars/Olympus",
            country="Germany",
            stage="vip",
            language="English!",
        )
    db.session.rollback()
    assert set(caught.value.errors) == {
        "name",
        "emails",
        "phones",
        "time_zone",
        "country",
        "stage",
        "language",
    }
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_custom_fields_are_validated_by_kind(in_app: Flask) -> None:
    db.session.add_all(
        [
            CustomFieldDefinition(
                entity="customer",
                key="seats",
                label="Seats",
                kind=FieldKind.NUMBER,
                is_required=True,
                created_at=clock.now(),
            ),
            CustomFieldDefinition(
                entity="customer",
                key="plan",
                label="Plan",
                kind=FieldKind.SINGLE_CHOICE,
                choices=["free", "pro"],
                created_at=clock.now(),
            ),
        ]
    )
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        _create(custom={"seats": "many", "plan": "gold", "colour": "red"})
    assert set(caught.value.errors) == {"custom.seats", "custom.plan", "custom.colour"}
    db.session.rollback()
    with pytest.raises(ValidationFailed) as caught:
        _create(custom={"plan": "pro"})
    assert caught.value.errors == {"custom.seats": ["Seats is required."]}
    db.session.rollback()
    customer = _create(custom={"seats": "12", "plan": "pro"})
    assert customer.custom == {"seats": 12, "plan": "pro"}


def test_primary_email_is_unique_among_live_customers(in_app: Flask) -> None:
    first = _create(emails="ana@example.com")
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        _create(name="Other Ana", emails="ANA@example.com")
    assert "emails" in caught.value.errors
    db.session.rollback()
    profiles.delete_customer(db.session, first, actor_id=None, clock=clock)
    db.session.commit()
    second = _create(name="Other Ana", emails="ana@example.com")
    db.session.commit()
    with pytest.raises(ValidationFailed):  # restoring would make two live owners
        profiles.restore_customer(db.session, first, actor_id=None, clock=clock)
    assert second.id != first.id


def test_update_is_audited_field_by_field_and_refuses_stale_versions(in_app: Flask) -> None:
    customer = _create(city="Lisbon")
    db.session.commit()
    version = customer.version
    profiles.update_customer(
        db.session,
        customer,
        {"city": "Porto"},
        expected_version=version,
        actor_id=None,
        clock=clock,
    )
    db.session.commit()
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.entity_id == customer.id)
    ).one()
    assert entry.changes == {"city": ["Lisbon", "Porto"]}
    with pytest.raises(StaleEdit):
        profiles.update_customer(
            db.session,
            customer,
            {"city": "Faro"},
            expected_version=version,
            actor_id=None,
            clock=clock,
        )
