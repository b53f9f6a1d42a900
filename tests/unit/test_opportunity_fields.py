"""A sales opportunity's amount, currency and expected close date: what `opportunities.clean`
accepts, refuses (naming the field, in translatable words) and clears."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from workflows.platform.field_messages import Message
from workflows.tracking import opportunities


def test_accepts_and_normalises():
    values, errors = opportunities.clean(
        {"amount": " 1500.5 ", "currency": "eur", "expected_close_on": "2099-04-30"},
        workflow="sales",
    )
    assert errors == {}
    assert values == {
        "amount": Decimal("1500.5"),
        "currency": "EUR",
        "expected_close_on": date(2099, 4, 30),
    }


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        (
            {"amount": "1.5", "currency": "JPY"},
            "amount",
            "JPY amounts have at most 0 decimal places.",
        ),
        (
            {"amount": "1.2345", "currency": "KWD"},
            "amount",
            "KWD amounts have at most 3 decimal places.",
        ),
        ({"amount": "-1", "currency": "EUR"}, "amount", "The amount cannot be negative."),
        (
            {"amount": 1.5, "currency": "EUR"},
            "amount",
            'Send the amount as text such as "12.50", not as a number.',
        ),
        (
            {"amount": "ten", "currency": "EUR"},
            "amount",
            'Enter an amount such as "12.50" (at most 4 decimal places).',
        ),
        ({"amount": "10"}, "currency", "Give the currency of the amount."),
        ({"currency": "EURO"}, "currency", "Enter an ISO 4217 currency code such as EUR or USD."),
        ({"expected_close_on": "30.04.2099"}, "expected_close_on", "Enter a date as YYYY-MM-DD."),
    ],
)
def test_refuses_naming_the_field(data: dict, field: str, text: str):
    _, errors = opportunities.clean(data, workflow="sales")
    assert errors == {field: [text]}
    assert isinstance(errors[field][0], Message)  # shown in the reader's language


def test_edits_check_against_the_saved_values_and_blank_clears():
    saved = SimpleNamespace(amount=Decimal("12.50"), currency="EUR")
    # Switching the currency alone to the yen: the saved 12.50 no longer fits.
    _, errors = opportunities.clean({"currency": "JPY"}, workflow="sales", current=saved)
    assert set(errors) == {"amount"}
    # Clearing the currency while an amount is saved is refused; clearing both is fine.
    _, errors = opportunities.clean({"currency": ""}, workflow="sales", current=saved)
    assert set(errors) == {"currency"}
    values, errors = opportunities.clean(
        {"amount": "", "currency": None}, workflow="sales", current=saved
    )
    assert (values, errors) == ({"amount": None, "currency": None}, {})


def test_other_workflows_have_none_of_them():
    values, errors = opportunities.clean(
        {"amount": "", "currency": None, "expected_close_on": None}, workflow="support"
    )
    assert (values, errors) == (
        {"amount": None, "currency": None, "expected_close_on": None},
        {},
    )
    _, errors = opportunities.clean({"amount": "5", "currency": "EUR"}, workflow="task")
    assert set(errors) == {"amount", "currency"}
