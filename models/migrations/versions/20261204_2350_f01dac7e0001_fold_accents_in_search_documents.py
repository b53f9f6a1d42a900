"""fold accents in the customer and requirement search documents

Revision ID: f01dac7e0001
Revises: ffe0c0de0001
Create Date: 2026-12-04 23:50:00

Each document gains a folded copy of its lines that folding changes (José → Jose), as
`workflows.platform.text_folding.with_folded` writes them from now on. The folding is copied
here rather than imported: this revision must do what it did when it ran. The FTS5 tables
follow the documents through their triggers; PostgreSQL's trigram indexes follow by themselves.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = 'f01dac7e0001'
down_revision = 'ffe0c0de0001'
branch_labels = None
depends_on = None

SPECIAL = {
    "ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH",
    "\u0131": "i",
}
BATCH = 500


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


def _refold(table, key):
    bind = op.get_bind()
    docs = sa.table(table, sa.column(key, sa.Integer), sa.column("document", sa.Text))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(docs.c[key], docs.c.document)
            .where(docs.c[key] > last)
            .order_by(docs.c[key])
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for ident, document in rows:
            folded = _with_folded(document)
            if folded != document:
                bind.execute(
                    docs.update().where(docs.c[key] == ident).values(document=folded)
                )
        last = rows[-1][0]


def upgrade():
    _refold("customer_search_documents", "customer_id")
    _refold("requirement_search_documents", "requirement_id")


def downgrade():
    # The folded lines are harmless to the earlier code (they only add matches): keep them.
    pass
