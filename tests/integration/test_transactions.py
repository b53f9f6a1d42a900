"""workflows.customers.transactions against the real database: Decimal amounts, ISO 4217 currencies,
lifetime value per currency with refunds, last purchase date, audit."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import AuditEntry, Customer, Transaction
from web.extensions import db
from workflows.customers import profiles, transactions
from workflows.platform.clock import ManualClock
from workflows.platform.errors import StaleEdit, ValidationFailed

clock = ManualClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
def customer(in_app: Flask) -> Customer:
    made = profiles.create_customer(db.session, {"name": "Ana Lima"}, actor_id=None, clock=clock)
    db.session.commit()
    return made


def _record(customer: Customer, **data: Any) -> Transaction:
    data.setdefault("kind", "payment")
    data.setdefault("currency", "EUR")
    return transactions.record_transaction(db.session, customer, data, actor_id=None, clock=clock)


def test_records_an_exact_decimal_amount_in_an_upper_cased_currency(customer: Customer) -> None:
    made = _record(customer, kind="order", amount="1234.56", currency="usd", reference="SO-1")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Transaction, made.id)
    assert stored.amount == Decimal("1234.56") and isinstance(stored.amount, Decimal)
    assert stored.currency == "USD"
    assert stored.occurred_on == date(2026, 3, 10)  # today by the clock
    assert stored.status.value == "completed"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "transaction"))
    assert entry.changes["amount"] == [None, "1234.56"]


def test_bad_input_names_every_field_and_writes_nothing(customer: Customer) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _record(
            customer,
            kind="gift",
            amount="-5",
            currency="XYZ",
            occurred_on="yesterday",
            status="maybe",
            reference="r" * 121,
        )
    db.session.rollback()
    assert set(caught.value.errors) == {
        "kind",
        "amount",
        "currency",
        "occurred_on",
        "status",
        "reference",
    }
    assert "refund" in caught.value.errors["amount"][0]
    assert db.session.scalar(select(func.count()).select_from(Transaction)) == 0


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [
        ("10", Decimal("10")),
        (10, Decimal("10")),
        ("0.1", Decimal("0.1")),
        (" 99999999999.99 ", Decimal("99999999999.99")),
        ("12.345", None),  # finer than a cent: EUR has two decimals (see MINOR_UNITS)
        (10.5, None),  # a JSON number with a fraction: refused, never rounded through float
        ("1e3", None),
        ("12.34567", None),
        ("1,50", None),
        ("NaN", None),
        (True, None),
    ],
)
def test_amount_parsing(customer: Customer, amount: Any, accepted: Decimal | None) -> None:
    if accepted is None:
        with pytest.raises(ValidationFailed) as caught:
            _record(customer, amount=amount)
        assert list(caught.value.errors) == ["amount"]
    else:
        assert _record(customer, amount=amount).amount == accepted


def test_lifetime_value_per_currency_with_refunds(customer: Customer) -> None:
    for amount in ("0.10", "0.20", "100.00"):
        _record(customer, kind="payment", amount=amount, currency="EUR")
    _record(customer, kind="refund", amount="30.05", currency="EUR")
    _record(customer, kind="order", amount="100.30", currency="EUR")  # paid above: not twice
    _record(customer, kind="payment", amount="500", currency="JPY", status="open")  # not yet
    _record(customer, kind="invoice", amount="75.5", currency="GBP")  # nothing paid in GBP yet
    _record(customer, kind="order", amount="80", currency="GBP")
    _record(customer, kind="order", amount="19.99", currency="USD")
    _record(customer, kind="order", amount="5.01", currency="USD")
    _record(customer, kind="refund", amount="25.00", currency="USD")
    gone = _record(customer, kind="payment", amount="1000", currency="USD")
    transactions.delete_transaction(db.session, gone, actor_id=None, clock=clock)
    db.session.commit()
    value = transactions.lifetime_value(db.session, customer.id)
    assert value == {"EUR": Decimal("70.25"), "GBP": Decimal("75.5"), "USD": Decimal("0")}
    assert all(isinstance(v, Decimal) for v in value.values())


def test_last_purchase_ignores_refunds_cancelled_and_deleted(customer: Customer) -> None:
    assert transactions.last_purchase_on(db.session, customer.id) is None
    _record(customer, kind="order", amount="5", occurred_on="2026-01-02")
    _record(customer, kind="refund", amount="5", occurred_on="2026-02-01")
    _record(customer, kind="order", amount="5", occurred_on="2026-02-03", status="cancelled")
    gone = _record(customer, kind="payment", amount="5", occurred_on="2026-02-05")
    transactions.delete_transaction(db.session, gone, actor_id=None, clock=clock)
    db.session.commit()
    assert transactions.last_purchase_on(db.session, customer.id) == date(2026, 1, 2)


def test_update_checks_the_version_and_audits_field_changes(customer: Customer) -> None:
    made = _record(customer, kind="invoice", amount="10", status="open")
    db.session.commit()
    with pytest.raises(StaleEdit):
        transactions.update_transaction(
            db.session,
            made,
            {"status": "completed"},
            expected_version=9,
            actor_id=None,
            clock=clock,
        )
    with pytest.raises(ValidationFailed) as caught:
        transactions.update_transaction(
            db.session, made, {"currency": "EURO"}, expected_version=1, actor_id=None, clock=clock
        )
    assert list(caught.value.errors) == ["currency"]
    db.session.rollback()
    transactions.update_transaction(
        db.session, made, {"status": "completed"}, expected_version=1, actor_id=None, clock=clock
    )
    db.session.commit()
    assert made.version == 2
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.entity_id == made.id)
    ).one()
    assert entry.changes == {"status": ["open", "completed"]}


def test_a_trashed_customer_takes_no_transactions(customer: Customer) -> None:
    profiles.delete_customer(db.session, customer, actor_id=None, clock=clock)
    with pytest.raises(ValidationFailed):
        _record(customer, amount="1")
