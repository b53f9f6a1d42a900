"""Orders, invoices, payments and refunds: the only code that writes them, and the money figures
derived from them. Amounts are Decimal end to end; a float never touches them."""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Customer, Transaction, TransactionKind, TransactionStatus
from workflows.customers import sales_rollups
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.field_messages import Message, message_of
from workflows.platform.i18n import N_

FIELDS = ("kind", "amount", "currency", "occurred_on", "reference", "status")
# SQLite keeps NUMERIC as a binary double, exact to 15 significant digits: 11 + 4 decimals.
AMOUNT_RE = re.compile(r"^\d{1,11}(\.\d{1,4})?$")
# ISO 4217 minor units where they are not 2 (the yen has no cents, the dinar has fils).
MINOR_UNITS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
SALE_KINDS = (TransactionKind.ORDER, TransactionKind.INVOICE, TransactionKind.PAYMENT)


def parse_amount(value: Any) -> Decimal:
    """A non-negative Decimal from an int, a Decimal or a decimal string; ValueError otherwise.

    Floats are refused: 0.1 + 0.2 is not 0.3 in binary, and the client should not have to
    trust that its JSON library printed enough digits."""
    if isinstance(value, bool | float):
        raise ValueError(
            Message(N_('Send the amount as a string such as "12.50", not as a JSON number.'))
        )
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(Message(N_('Enter an amount such as "12.50".')))
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(Message(N_("Amounts are never negative; record a refund instead.")))
    if text.startswith("+"):
        text = text[1:]
    if not AMOUNT_RE.match(text):
        raise ValueError(Message(N_('Enter an amount such as "12.50" (at most 4 decimal places).')))
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already refused it
        raise ValueError(Message(N_('Enter an amount such as "12.50".'))) from exc


def amount_text(amount: Decimal) -> str:
    """A stored amount as text: trailing zeros beyond the cents dropped ("0.1000" -> "0.10")."""
    text = f"{amount:f}"
    if "." in text:
        whole, fraction = text.split(".")
        fraction = fraction.rstrip("0").ljust(2, "0")
        return f"{whole}.{fraction}"
    return f"{text}.00"


def places_error(amount: Decimal, currency: str) -> Message | None:
    """The field message for an amount with more decimals than its currency has (JPY none,
    KWD three, most two), else None."""
    places = MINOR_UNITS.get(currency, 2)
    if -amount.normalize().as_tuple().exponent <= places:
        return None
    return Message(
        N_("%(currency)s amounts have at most %(places)s decimal places."),
        currency=currency,
        places=places,
    )


def parse_currency(value: Any) -> str:
    code = str(value or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(
            Message(
                N_("%(value)s is not an ISO 4217 currency code (e.g. EUR, USD)."),
                value=repr(str(value)),
            )
        )
    return code


def clean(
    data: dict[str, Any], *, clock: Clock, current: Transaction | None = None
) -> dict[str, Any]:
    """Validated column values for the fields in `data` (all fields when creating);
    ValidationFailed naming each bad field."""
    errors: dict[str, list[str]] = {}
    for field in sorted(set(data) - set(FIELDS)):
        errors[field] = [Message(N_("Unknown field."))]
    values: dict[str, Any] = {}
    creating = current is None

    def choice(enum: Any, field: str, default: Any = None) -> None:
        raw = data.get(field)
        if raw in (None, "") and default is not None:
            values[field] = default
            return
        try:
            values[field] = enum(str(raw).strip().lower())
        except ValueError:
            errors[field] = [
                Message(N_("Choose one of: %(choices)s."), choices=", ".join(m.value for m in enum))
            ]

    if creating or "kind" in data:
        choice(TransactionKind, "kind")
    if creating or "status" in data:
        choice(TransactionStatus, "status", TransactionStatus.COMPLETED)
    for field, parse in (("amount", parse_amount), ("currency", parse_currency)):
        if creating or field in data:
            if data.get(field) in (None, ""):
                errors[field] = [Message(N_("This field is required."))]
                continue
            try:
                values[field] = parse(data[field])
            except ValueError as exc:
                errors[field] = [message_of(exc)]
    amount, currency = values.get("amount"), values.get("currency")
    if amount is not None or currency is not None:
        amount = amount if amount is not None else getattr(current, "amount", None)
        currency = currency or getattr(current, "currency", None)
    too_precise = (
        places_error(amount, currency)
        if amount is not None and currency and "amount" not in errors
        else None
    )
    if too_precise is not None:
        errors["amount"] = [too_precise]
    if creating or "occurred_on" in data:
        raw = data.get("occurred_on")
        if raw in (None, ""):
            values["occurred_on"] = clock.now().date()
        elif isinstance(raw, date):
            values["occurred_on"] = raw
        else:
            try:
                values["occurred_on"] = date.fromisoformat(str(raw).strip()[:10])
            except ValueError:
                errors["occurred_on"] = [Message(N_("Enter a date as YYYY-MM-DD."))]
    if creating or "reference" in data:
        reference = str(data.get("reference") or "").strip() or None
        if reference and len(reference) > 120:
            errors["reference"] = [Message(N_("Use at most %(limit)s characters."), limit=120)]
        values["reference"] = reference
    if errors:
        raise ValidationFailed(errors)
    return values


def snapshot(transaction: Transaction) -> dict[str, Any]:
    """The audited view of a transaction."""
    return {
        "customer_id": transaction.customer_id,
        "kind": transaction.kind,
        "status": transaction.status,
        "amount": transaction.amount,
        "currency": transaction.currency,
        "occurred_on": transaction.occurred_on,
        "reference": transaction.reference,
    }


def record_transaction(
    session: Session,
    customer: Customer,
    data: dict[str, Any],
    *,
    actor_id: int | None,
    clock: Clock,
) -> Transaction:
    """Record an order, invoice, payment or refund; flushes, never commits."""
    if customer.deleted_at is not None:
        raise ValidationFailed.field(
            "customer", Message(N_("This customer is in the trash; restore it first."))
        )
    values = clean(data, clock=clock)
    now = clock.now()
    transaction = Transaction(customer_id=customer.id, created_at=now, updated_at=now, **values)
    session.add(transaction)
    session.flush()
    sales_rollups.refresh_transaction(session, customer.id, transaction.occurred_on)
    audit.record(
        session,
        action="create",
        entity_type="transaction",
        entity_id=transaction.id,
        actor_id=actor_id,
        clock=clock,
        changes=audit.diff({}, snapshot(transaction)),
    )
    return transaction


def update_transaction(
    session: Session,
    transaction: Transaction,
    data: dict[str, Any],
    *,
    expected_version: int,
    actor_id: int | None,
    clock: Clock,
) -> Transaction:
    """Apply the fields in `data` to the version the editor saw; StaleEdit if it moved on."""
    if transaction.version != expected_version:
        raise StaleEdit(expected_version, transaction.version)
    if transaction.deleted_at is not None:
        raise ValidationFailed.field("transaction", Message(N_("This transaction is deleted.")))
    values = clean(data, clock=clock, current=transaction)
    before = snapshot(transaction)
    for field, value in values.items():
        setattr(transaction, field, value)
    changes = audit.diff(before, snapshot(transaction))
    if changes:
        transaction.updated_at = clock.now()
        session.flush()
        sales_rollups.refresh_transaction(
            session, transaction.customer_id, before["occurred_on"], transaction.occurred_on
        )
        audit.record(
            session,
            action="update",
            entity_type="transaction",
            entity_id=transaction.id,
            actor_id=actor_id,
            clock=clock,
            changes=changes,
        )
    return transaction


def delete_transaction(
    session: Session,
    transaction: Transaction,
    *,
    actor_id: int | None,
    clock: Clock,
    expected_version: int | None = None,
) -> None:
    """Soft delete: kept for the audit log, left out of lists and lifetime value."""
    if expected_version is not None and transaction.version != expected_version:
        raise StaleEdit(expected_version, transaction.version)
    if transaction.deleted_at is not None:
        return
    transaction.deleted_at = clock.now()
    session.flush()
    sales_rollups.refresh_transaction(session, transaction.customer_id, transaction.occurred_on)
    audit.record(
        session,
        action="delete",
        entity_type="transaction",
        entity_id=transaction.id,
        actor_id=actor_id,
        clock=clock,
    )


def list_transactions(
    session: Session, customer_id: int, *, limit: int = 50, before: tuple[date, int] | None = None
) -> list[Transaction]:
    """Live transactions, newest first; `before` is the (occurred_on, id) of the last one seen."""
    query = select(Transaction).where(
        Transaction.customer_id == customer_id, Transaction.deleted_at.is_(None)
    )
    if before is not None:
        day, ident = before
        query = query.where(
            (Transaction.occurred_on < day)
            | ((Transaction.occurred_on == day) & (Transaction.id < ident))
        )
    order = (Transaction.occurred_on.desc(), Transaction.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def _completed(session: Session, customer_id: int) -> list[Any]:
    """(currency, kind, amount, occurred_on) of the customer's completed, live transactions."""
    return list(
        session.execute(
            select(
                Transaction.currency, Transaction.kind, Transaction.amount, Transaction.occurred_on
            ).where(
                Transaction.customer_id == customer_id,
                Transaction.deleted_at.is_(None),
                Transaction.status == TransactionStatus.COMPLETED,
            )
        )
    )


def _net_by_currency(rows: Iterable[Any]) -> dict[str, Decimal]:
    # Summed here, not with SQL SUM: SQLite would add binary doubles (0.1 + 0.2 != 0.3).
    totals: dict[str, dict[TransactionKind, Decimal]] = defaultdict(dict)
    for currency, kind, amount, _ in rows:
        by_kind = totals[currency]
        by_kind[kind] = by_kind.get(kind, Decimal(0)) + amount
    result: dict[str, Decimal] = {}
    for currency, by_kind in sorted(totals.items()):
        gross = Decimal(0)
        for kind in (TransactionKind.PAYMENT, TransactionKind.INVOICE, TransactionKind.ORDER):
            if kind in by_kind:
                gross = by_kind[kind]
                break
        result[currency] = gross - by_kind.get(TransactionKind.REFUND, Decimal(0))
    return result


def lifetime_value(session: Session, customer_id: int) -> dict[str, Decimal]:
    """Net revenue per currency (currencies are never converted or added together).

    Only completed, non-deleted transactions count. An order, its invoice and its payment are
    three records of one sale, so per currency only the most settled stage counts: completed
    payments if there are any in that currency, else completed invoices, else completed
    orders. Completed refunds are subtracted from it. The result may be negative (a refund of
    an earlier, unrecorded sale) and keeps 2+ decimal places as stored."""
    return _net_by_currency(_completed(session, customer_id))


@dataclass(frozen=True)
class SalesSummary:
    lifetime_value: dict[str, Decimal]  # as `lifetime_value`
    last_purchase_on: date | None  # as `last_purchase_on`
    last_currency: str | None  # of the live transaction recorded last (any kind or status)


def sales_summary(session: Session, customer_id: int) -> SalesSummary:
    """What the customer page shows about money, from one query over the customer's live
    transactions (instead of one query per figure)."""
    rows = session.execute(
        select(
            Transaction.currency,
            Transaction.kind,
            Transaction.amount,
            Transaction.occurred_on,
            Transaction.status,
            Transaction.created_at,
            Transaction.id,
        ).where(Transaction.customer_id == customer_id, Transaction.deleted_at.is_(None))
    ).all()
    completed = [r[:4] for r in rows if r.status == TransactionStatus.COMPLETED]
    sale_days = [r[3] for r in completed if r[1] in SALE_KINDS]
    newest = max(rows, key=lambda r: (r.created_at, r.id), default=None)
    return SalesSummary(
        lifetime_value=_net_by_currency(completed),
        last_purchase_on=max(sale_days, default=None),
        last_currency=newest.currency if newest is not None else None,
    )


def last_purchase_on(session: Session, customer_id: int) -> date | None:
    """The date of the newest completed order, invoice or payment (refunds are not purchases)."""
    return session.scalar(
        select(func.max(Transaction.occurred_on)).where(
            Transaction.customer_id == customer_id,
            Transaction.deleted_at.is_(None),
            Transaction.status == TransactionStatus.COMPLETED,
            Transaction.kind.in_(SALE_KINDS),
        )
    )
