"""A sales opportunity's money and timing: the expected amount in an ISO 4217 currency and the
expected close date, kept on the requirement (nullable; only the sales workflow has them).

Checked here for the form, the API and the opening of a requirement alike, with a field message
each (`Message`, shown in the reader's language): the amount is a decimal string (or an
integer), never negative, with at most the currency's minor-unit decimals (`transactions`'
ISO 4217 table: JPY none, KWD three); a currency is required once there is an amount; the date
is YYYY-MM-DD. A blank value clears the field. The sales report sums them per expected close
month and currency (`workflows.analytics.sales`)."""

from datetime import date
from decimal import Decimal
from typing import Any

from models import Requirement
from workflows.customers.transactions import parse_amount, parse_currency, places_error
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking.sales_workflow import SALES

FIELDS = ("amount", "currency", "expected_close_on")


def applies_to(workflow: str) -> bool:
    return workflow == SALES.key


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _amount(raw: Any) -> Decimal:
    if isinstance(raw, bool | float):
        raise ValueError(Message(N_('Send the amount as text such as "12.50", not as a number.')))
    if isinstance(raw, str) and raw.strip().startswith("-"):
        raise ValueError(Message(N_("The amount cannot be negative.")))
    try:
        return parse_amount(raw)
    except ValueError as exc:
        raise ValueError(
            Message(N_('Enter an amount such as "12.50" (at most 4 decimal places).'))
        ) from exc


def clean(
    data: dict[str, Any], *, workflow: str, current: Requirement | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(column values, errors by field) for the opportunity fields present in `data`; `current`
    is the requirement being edited (its saved amount and currency count for the checks that
    need both)."""
    given = {field: data[field] for field in FIELDS if field in data}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if not given:
        return values, errors
    if not applies_to(workflow):
        for field, raw in given.items():
            if _blank(raw):
                values[field] = None
            else:
                errors[field] = [Message(N_("Only sales opportunities have this field."))]
        return values, errors
    if "amount" in given:
        raw = given["amount"]
        if _blank(raw):
            values["amount"] = None
        else:
            try:
                values["amount"] = _amount(raw.strip() if isinstance(raw, str) else raw)
            except ValueError as exc:
                errors["amount"] = [exc.args[0]]
    if "currency" in given:
        raw = given["currency"]
        if _blank(raw):
            values["currency"] = None
        else:
            try:
                values["currency"] = parse_currency(raw)
            except ValueError:
                errors["currency"] = [
                    Message(N_("Enter an ISO 4217 currency code such as EUR or USD."))
                ]
    if "expected_close_on" in given:
        raw = given["expected_close_on"]
        if _blank(raw):
            values["expected_close_on"] = None
        elif isinstance(raw, date):
            values["expected_close_on"] = raw
        else:
            try:
                values["expected_close_on"] = date.fromisoformat(str(raw).strip())
            except ValueError:
                errors["expected_close_on"] = [Message(N_("Enter a date as YYYY-MM-DD."))]
    amount = values["amount"] if "amount" in values else getattr(current, "amount", None)
    currency = values["currency"] if "currency" in values else getattr(current, "currency", None)
    if "amount" not in errors and "currency" not in errors and amount is not None:
        if currency is None:
            errors["currency"] = [Message(N_("Give the currency of the amount."))]
        elif (too_precise := places_error(amount, currency)) is not None:
            errors["amount"] = [too_precise]
    return values, errors
