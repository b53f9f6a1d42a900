"""Keeps each customer's search document current (names, emails, phone digits, organisation,
notes, tags and the text of communications on no requirement) and its short-query keys (the
one- and two-character pieces of a Chinese name, its pinyin and initials: `CustomerSearchKey`).
The database-specific index follows the document (see migration); bench/README.md explains the
design."""

import re

import phonenumbers
from sqlalchemy import ColumnElement, delete, select, text
from sqlalchemy.orm import Session

from models import Communication, Customer, CustomerSearchDocument, CustomerSearchKey
from models.name_readings import cjk_grams, pinyin_forms
from models.search import KEY_CHARS
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


def name_keys(name: str) -> set[str]:
    """The short-query keys of a name: its Chinese pieces of one and two characters, and its
    pinyin and initials of two letters or more (one letter would match half the customers)."""
    keys = set(cjk_grams(name)) | {f for f in pinyin_forms(name) if len(f) >= 2}
    return {k for k in keys if len(k) <= KEY_CHARS}


def build_document(session: Session, customer: Customer) -> str:
    parts: list[str] = [customer.name]
    if pinyin := pinyin_forms(customer.name):
        # Pinyin of three letters or more is found like any word, by the trigram index.
        parts.append(" ".join(pinyin))
    parts += [e.email for e in customer.emails]
    for phone in customer.phones:
        parts += phone_digits(phone.e164)
    if customer.organisation is not None:
        parts.append(customer.organisation.name)
    parts += [t.name for t in customer.tags]
    if customer.notes:
        parts.append(customer.notes)
    # A communication on a requirement is found through the requirement's document, which search
    # reads under the read policy; here its words would show team B's note in a snippet of a
    # customer that team A's agent found by them.
    parts += communication_texts(
        session,
        (Communication.customer_id == customer.id) & Communication.requirement_id.is_(None),
    )
    return with_folded("\n".join(parts))


def refresh(session: Session, customer: Customer, *, clock: Clock) -> None:
    """Rewrite `customer`'s document; a deleted customer has none (so search skips it)."""
    session.flush()
    row = session.get(CustomerSearchDocument, customer.id)
    if customer.deleted_at is not None:
        if row is not None:
            session.delete(row)  # its keys go with it (ON DELETE CASCADE)
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
    _refresh_keys(session, customer.id, name_keys(customer.name))


def _refresh_keys(session: Session, customer_id: int, wanted: set[str]) -> None:
    have = set(
        session.scalars(
            select(CustomerSearchKey.key).where(CustomerSearchKey.customer_id == customer_id)
        )
    )
    if gone := have - wanted:
        session.execute(
            delete(CustomerSearchKey).where(
                CustomerSearchKey.customer_id == customer_id, CustomerSearchKey.key.in_(gone)
            )
        )
    session.add_all(CustomerSearchKey(key=k, customer_id=customer_id) for k in wanted - have)


def compact(session: Session) -> None:
    """Rewrite the full-text index without the entries of changed or deleted documents (SQLite
    FTS5 otherwise keeps them in old segments until a merge). PostgreSQL's GIN index drops them
    on vacuum, and dumps never hold them."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text("INSERT INTO customer_search_fts(customer_search_fts) VALUES ('optimize')")
        )
