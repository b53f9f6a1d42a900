"""Keeps each customer's search document current (names, emails, phone digits, organisation,
notes, tags and communication text). The database-specific index follows it (see migration)."""

import re

import phonenumbers
from sqlalchemy import ColumnElement, select, text
from sqlalchemy.orm import Session

from models import Communication, Customer, CustomerSearchDocument
from workflows.platform.clock import Clock
from workflows.platform.text_folding import with_folded

# Enough of the newest communications to find a customer by what was said, without letting one
# chatty customer's document grow without bound.
MAX_COMMUNICATION_CHARS = 20_000


def phone_digits(e164: str) -> list[str]:
    """The digit strings a person may type: international and national forms."""
    forms = [e164.lstrip("+")]
    try:
        number = phonenumbers.parse(e164)
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        forms.append(re.sub(r"\D", "", national))
    except phonenumbers.NumberParseException:
        pass
    return forms


def communication_texts(session: Session, condition: ColumnElement[bool]) -> list[str]:
    """Subject and body of each live communication matching `condition`, newest first, while
    they fit in MAX_COMMUNICATION_CHARS together."""
    texts = session.execute(
        select(Communication.subject, Communication.body_text)
        .where(condition, Communication.deleted_at.is_(None))
        .order_by(Communication.occurred_at.desc())
    )
    kept: list[str] = []
    used = 0
    for subject, body in texts:
        text = " ".join(p for p in (subject, body) if p)
        if used + len(text) > MAX_COMMUNICATION_CHARS:
            break
        kept.append(text)
        used += len(text)
    return kept


def build_document(session: Session, customer: Customer) -> str:
    parts: list[str] = [customer.name]
    parts += [e.email for e in customer.emails]
    for phone in customer.phones:
        parts += phone_digits(phone.e164)
    if customer.organisation is not None:
        parts.append(customer.organisation.name)
    parts += [t.name for t in customer.tags]
    if customer.notes:
        parts.append(customer.notes)
    parts += communication_texts(session, Communication.customer_id == customer.id)
    return with_folded("\n".join(parts))


def refresh(session: Session, customer: Customer, *, clock: Clock) -> None:
    """Rewrite `customer`'s document; a deleted customer has none (so search skips it)."""
    session.flush()
    row = session.get(CustomerSearchDocument, customer.id)
    if customer.deleted_at is not None:
        if row is not None:
            session.delete(row)
        return
    document = build_document(session, customer)
    if row is None:
        session.add(
            CustomerSearchDocument(
                customer_id=customer.id, document=document, updated_at=clock.now()
            )
        )
    elif row.document != document:
        row.document = document
        row.updated_at = clock.now()


def compact(session: Session) -> None:
    """Rewrite the full-text index without the entries of changed or deleted documents (SQLite
    FTS5 otherwise keeps them in old segments until a merge). PostgreSQL's GIN index drops them
    on vacuum, and dumps never hold them."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text("INSERT INTO customer_search_fts(customer_search_fts) VALUES ('optimize')")
        )
