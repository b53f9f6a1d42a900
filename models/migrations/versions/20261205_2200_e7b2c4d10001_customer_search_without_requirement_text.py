"""customer search documents without the text of communications on requirements

Revision ID: e7b2c4d10001
Revises: ffe0c0de0003
Create Date: 2026-12-05 22:00:00

A customer's search document held the text of every communication, also those linked to a
requirement: a customer search by the words of team B's internal note found the customer and
showed the note in the snippet to team A's agents, whom the read policy keeps from the note.
From now on `workflows.customers.search_index.build_document` leaves those out (the
requirement's own document has them, and requirement search applies the read policy). This
rebuilds the documents of the customers that have such communications.

The document is built here as `build_document` builds it today, with the folding copied from
`workflows.platform.text_folding` (this revision must do what it did when it ran) and the
pinyin from `models.name_readings` (data, as in c1a7e5e00001). The FTS5 tables follow the
documents through their triggers; PostgreSQL's trigram indexes follow by themselves. About
60,000 affected customers of 100,000 take a minute or two.
"""
import re
import unicodedata

import phonenumbers
import sqlalchemy as sa
from alembic import op

from models.name_readings import pinyin_forms

revision = 'e7b2c4d10001'
down_revision = 'ffe0c0de0003'
branch_labels = None
depends_on = None

BATCH = 500
MAX_COMMUNICATION_CHARS = 20_000
SPECIAL = {
    "ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH",
    "\u0131": "i",
}

customers = sa.table(
    "customers", sa.column("id", sa.Integer), sa.column("name", sa.String),
    sa.column("notes", sa.Text), sa.column("organisation_id", sa.Integer),
    sa.column("deleted_at", sa.DateTime),
)
organisations = sa.table("organisations", sa.column("id", sa.Integer), sa.column("name", sa.String))
emails = sa.table(
    "customer_emails", sa.column("id", sa.Integer), sa.column("customer_id", sa.Integer),
    sa.column("email", sa.String),
)
phones = sa.table(
    "customer_phones", sa.column("id", sa.Integer), sa.column("customer_id", sa.Integer),
    sa.column("e164", sa.String),
)
tags = sa.table("tags", sa.column("id", sa.Integer), sa.column("name", sa.String))
customer_tags = sa.table(
    "customer_tags", sa.column("customer_id", sa.Integer), sa.column("tag_id", sa.Integer)
)
communications = sa.table(
    "communications", sa.column("id", sa.Integer), sa.column("customer_id", sa.Integer),
    sa.column("requirement_id", sa.Integer), sa.column("subject", sa.String),
    sa.column("body_text", sa.Text), sa.column("occurred_at", sa.DateTime),
    sa.column("deleted_at", sa.DateTime),
)
documents = sa.table(
    "customer_search_documents", sa.column("customer_id", sa.Integer),
    sa.column("document", sa.Text),
)


def _fold_char(char):
    if char.isascii() or ord(char) >= 0x2E80:
        return char
    if char in SPECIAL:
        return SPECIAL[char]
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _with_folded(document):
    lines = document.split("\n")
    extra = []
    for line in lines:
        folded = "".join(_fold_char(c) for c in line)
        if folded != line:
            extra.append(folded)
    return "\n".join([*lines, *extra]) if extra else document


def _phone_digits(e164):
    forms = [e164.lstrip("+")]
    try:
        number = phonenumbers.parse(e164)
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        forms.append(re.sub(r"\D", "", national))
    except phonenumbers.NumberParseException:
        pass
    return forms


def _grouped(bind, query):
    out = {}
    for customer_id, *values in bind.execute(query):
        out.setdefault(customer_id, []).append(values)
    return out


def _rebuild(bind, ids):
    people = bind.execute(
        sa.select(customers.c.id, customers.c.name, customers.c.notes, organisations.c.name)
        .select_from(customers.outerjoin(
            organisations, organisations.c.id == customers.c.organisation_id
        ))
        .where(customers.c.id.in_(ids), customers.c.deleted_at.is_(None))
    ).all()
    mails = _grouped(bind, sa.select(emails.c.customer_id, emails.c.email)
                     .where(emails.c.customer_id.in_(ids)).order_by(emails.c.id))
    numbers = _grouped(bind, sa.select(phones.c.customer_id, phones.c.e164)
                       .where(phones.c.customer_id.in_(ids)).order_by(phones.c.id))
    labels = _grouped(bind, sa.select(customer_tags.c.customer_id, tags.c.name)
                      .join(tags, tags.c.id == customer_tags.c.tag_id)
                      .where(customer_tags.c.customer_id.in_(ids)).order_by(tags.c.name))
    said = _grouped(bind, sa.select(
        communications.c.customer_id, communications.c.subject, communications.c.body_text
    ).where(
        communications.c.customer_id.in_(ids),
        communications.c.requirement_id.is_(None),
        communications.c.deleted_at.is_(None),
    ).order_by(communications.c.customer_id, communications.c.occurred_at.desc()))
    current = dict(bind.execute(
        sa.select(documents.c.customer_id, documents.c.document)
        .where(documents.c.customer_id.in_(ids))
    ).all())
    for ident, name, notes, organisation in people:
        if ident not in current:
            continue
        parts = [name]
        if pinyin := pinyin_forms(name):
            parts.append(" ".join(pinyin))
        parts += [email for (email,) in mails.get(ident, [])]
        for (e164,) in numbers.get(ident, []):
            parts += _phone_digits(e164)
        if organisation is not None:
            parts.append(organisation)
        parts += [tag for (tag,) in labels.get(ident, [])]
        if notes:
            parts.append(notes)
        used = 0
        for subject, body in said.get(ident, []):
            text = " ".join(p for p in (subject, body) if p)
            if used + len(text) > MAX_COMMUNICATION_CHARS:
                break
            parts.append(text)
            used += len(text)
        document = _with_folded("\n".join(parts))
        if document != current[ident]:
            bind.execute(
                documents.update().where(documents.c.customer_id == ident)
                .values(document=document)
            )


def upgrade():
    bind = op.get_bind()
    last = 0
    while True:
        ids = list(bind.execute(
            sa.select(communications.c.customer_id)
            .where(
                communications.c.customer_id > last,
                communications.c.requirement_id.is_not(None),
                communications.c.deleted_at.is_(None),
            )
            .group_by(communications.c.customer_id)
            .order_by(communications.c.customer_id)
            .limit(BATCH)
        ).scalars())
        if not ids:
            return
        _rebuild(bind, ids)
        last = ids[-1]


def downgrade():
    # The earlier code adds the text back as each customer's document is next refreshed.
    pass
