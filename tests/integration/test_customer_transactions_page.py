"""Recording a transaction from the customer page: defaults, field errors (422, nothing saved),
and the saved transaction in the list, the timeline and the lifetime value."""

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEntry, Customer, Role, Transaction, TransactionKind, User
from tests.integration.test_customer_pages import (
    count,
    field_error,
    make_customer,
    post_form,
    signed_in,
    text_of,
)
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles, transactions


@pytest.fixture
def agent(make_user: Any) -> User:
    # Far east of UTC, so "today" for the viewer is often not today in UTC.
    return make_user(Role.AGENT, name="Kiri Agent", time_zone="Pacific/Kiritimati")


@pytest.fixture
def agent_client(app: Flask, agent: User) -> FlaskClient:
    return signed_in(app, agent)


def record(client: FlaskClient, customer_id: int, **values: str) -> Any:
    return post_form(
        client,
        f"/customers/{customer_id}/transactions",
        values,
        f"/customers/{customer_id}",
    )


def input_value(html: str, name: str) -> str:
    form = html.split('id="record-transaction"')[1].split("</form>")[0]
    tag = form.split(f'name="{name}"')[1].split(">")[0]
    return tag.split('value="')[1].split('"')[0]


def test_form_defaults_to_euro_and_today_in_the_viewers_zone(
    app: Flask, agent_client: FlaskClient
) -> None:
    customer_id = make_customer(app)
    html = text_of(agent_client.get(f"/customers/{customer_id}"))
    assert input_value(html, "currency") == "EUR"
    with app.app_context():
        now = current_clock().now()
    today = now.astimezone(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    assert input_value(html, "occurred_on") == today


def test_form_defaults_to_the_currency_last_used(app: Flask, agent_client: FlaskClient) -> None:
    customer_id = make_customer(app)
    for currency in ("USD", "JPY"):
        response = record(agent_client, customer_id, kind="order", amount="5", currency=currency)
        assert response.status_code == 302
    html = text_of(agent_client.get(f"/customers/{customer_id}"))
    assert input_value(html, "currency") == "JPY"


def test_agent_records_a_payment_seen_in_list_timeline_and_lifetime_value(
    app: Flask, agent: User, agent_client: FlaskClient
) -> None:
    customer_id = make_customer(app)
    response = record(
        agent_client,
        customer_id,
        kind="payment",
        amount="1234.50",
        currency="usd",
        occurred_on="2026-03-04",
        reference="INV-77",
        status="completed",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer_id}#transactions")
    response = record(
        agent_client, customer_id, kind="refund", amount="0.50", currency="USD", status="completed"
    )
    assert response.status_code == 302

    with app.app_context():
        saved = db.session.scalars(select(Transaction).order_by(Transaction.id)).all()
        payment = saved[0]
        assert payment.kind is TransactionKind.PAYMENT
        assert (payment.amount, payment.currency) == (Decimal("1234.50"), "USD")
        assert (payment.occurred_on, payment.reference) == (date(2026, 3, 4), "INV-77")
        assert transactions.lifetime_value(db.session, customer_id) == {"USD": Decimal("1234.00")}
        audit = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_type == "transaction", AuditEntry.entity_id == payment.id
            )
        )
        assert audit is not None and audit.actor_id == agent.id

    html = text_of(agent_client.get(f"/customers/{customer_id}"))
    table = html.split('id="transactions"')[1].split("</table>")[0]
    assert "$1,234.50" in table and "INV-77" in table and "payment" in table
    ltv = html.split('id="lifetime-value"')[1].split("</dl>")[0]
    assert "$1,234.00" in ltv
    timeline = html.split('id="timeline"')[1]
    assert "Payment" in timeline and "$1,234.50 · INV-77" in timeline
    assert "Refund" in timeline


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency"),
        ({"amount": "-5"}, "amount", "never negative"),
        ({"amount": "twelve"}, "amount", "Enter an amount"),
        ({"amount": ""}, "amount", "required"),
        ({"occurred_on": "2026-02-30"}, "occurred_on", "YYYY-MM-DD"),
        ({"kind": "gift"}, "kind", "Choose one of"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(
    app: Flask, agent_client: FlaskClient, values: dict[str, str], field: str, message: str
) -> None:
    customer_id = make_customer(app)
    data = {
        "kind": "invoice",
        "amount": "10.00",
        "currency": "EUR",
        "occurred_on": "2026-01-02",
        "reference": "Typed ref survives",
        "status": "open",
    }
    data.update(values)
    response = record(agent_client, customer_id, **data)
    assert response.status_code == 422
    html = text_of(response)
    assert message in field_error(html, "tx-" + field.replace("_", "-"))
    assert input_value(html, "reference") == "Typed ref survives"
    assert count(app, Transaction) == 0


def test_several_bad_fields_each_get_their_message(app: Flask, agent_client: FlaskClient) -> None:
    customer_id = make_customer(app)
    response = record(
        agent_client, customer_id, kind="order", amount="-1", currency="ABC", occurred_on="soon"
    )
    assert response.status_code == 422
    html = text_of(response)
    for field_id in ("tx-amount", "tx-currency", "tx-occurred-on"):
        assert field_error(html, field_id)
    assert count(app, Transaction) == 0


def test_a_trashed_customer_takes_no_transaction(app: Flask, agent_client: FlaskClient) -> None:
    customer_id = make_customer(app)
    with app.app_context():
        row = db.session.get(Customer, customer_id)
        profiles.delete_customer(db.session, row, actor_id=None, clock=current_clock())
        db.session.commit()
    response = record(agent_client, customer_id, kind="order", amount="1", currency="EUR")
    assert response.status_code == 404
    assert count(app, Transaction) == 0


def test_recording_needs_an_agent(app: Flask, make_user: Any) -> None:
    customer_id = make_customer(app)
    anonymous = app.test_client()
    response = anonymous.post(f"/customers/{customer_id}/transactions", data={})
    assert response.status_code in (302, 400)
    for role in Role:
        client = signed_in(app, make_user(role))
        response = post_form(
            client,
            f"/customers/{customer_id}/transactions",
            {"kind": "order", "amount": "1", "currency": "EUR"},
            "/account",
        )
        if role.rank < Role.AGENT.rank:
            assert response.status_code == 403
            assert "Not allowed" in text_of(response)
        else:
            assert response.status_code == 302
    assert count(app, Transaction) == sum(1 for r in Role if r.rank >= Role.AGENT.rank)
