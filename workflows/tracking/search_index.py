"""Requirement search: each requirement's document (title, description, the text of its
communications), kept current by the writers, and the ranked, highlighted match over it.

Same index design as customer search (`workflows/customers/search_index.py` and `queries.py`):
SQLite an FTS5 trigram table ranked by bm25, PostgreSQL a pg_trgm GIN index ranked by where
the first term occurs (the document starts with the title, then the description, then the
newest communications). The database-specific index follows the documents table (migration)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Double, cast, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from models import Communication, Requirement, RequirementSearchDocument
from workflows.customers.queries import MIN_TERM, highlight
from workflows.customers.search_index import communication_texts
from workflows.platform.clock import Clock
from workflows.platform.text_folding import fold, with_folded


def build_document(session: Session, requirement: Requirement) -> str:
    parts = [requirement.title]
    if requirement.description:
        parts.append(requirement.description)
    parts += communication_texts(session, Communication.requirement_id == requirement.id)
    return with_folded("\n".join(parts))


def refresh(session: Session, requirement: Requirement, *, clock: Clock) -> None:
    """Rewrite `requirement`'s document if its text changed; flushes, never commits."""
    session.flush()
    document = build_document(session, requirement)
    row = session.get(RequirementSearchDocument, requirement.id)
    if row is None:
        session.add(
            RequirementSearchDocument(
                requirement_id=requirement.id, document=document, updated_at=clock.now()
            )
        )
    elif row.document != document:
        row.document = document
        row.updated_at = clock.now()


# ------------------------------------------------------------------ matching


def terms_of(q: str | None) -> list[str]:
    """The words searched (each at least MIN_TERM characters: the trigram index needs three);
    shorter words are ignored rather than scanned for. Folded like the documents."""
    words = dict.fromkeys(fold(w).lower() for w in (q or "").split())
    return [w for w in words if len(w) >= MIN_TERM]


@dataclass(frozen=True)
class Match:
    """A subquery of matching requirement ids with a rank (ascending = better), to join."""

    subquery: Any

    @property
    def requirement_id(self) -> Any:
        return self.subquery.c.requirement_id

    @property
    def rank(self) -> Any:
        return self.subquery.c.rank


_fts = table("requirement_search_fts", column("rowid"), column("document"))
_fts_self = literal_column("requirement_search_fts")


def _fts_query(terms: list[str]) -> str:
    """FTS5 syntax: each term a quoted string (quotes doubled), juxtaposed means AND."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def match(session: Session, terms: list[str]) -> Match:
    """Requirements whose document holds every term (any case, any state)."""
    if session.get_bind().dialect.name == "sqlite":
        sub = (
            select(_fts.c.rowid.label("requirement_id"), func.bm25(_fts_self).label("rank"))
            .select_from(_fts)
            .where(_fts_self.op("MATCH")(_fts_query(terms)))
            .subquery("search")
        )
        return Match(sub)
    doc = RequirementSearchDocument.document
    sub = (
        select(
            RequirementSearchDocument.requirement_id.label("requirement_id"),
            cast(func.strpos(func.lower(doc), terms[0]), Double).label("rank"),
        )
        .where(*(doc.ilike("%" + _like_escape(t) + "%", escape="\\") for t in terms))
        .subquery("search")
    )
    return Match(sub)


def highlights(session: Session, requirement_ids: list[int], terms: list[str]) -> dict[int, str]:
    """An HTML-safe snippet per requirement around its first match, in one query."""
    if not terms or not requirement_ids:
        return {}
    rows = session.execute(
        select(RequirementSearchDocument.requirement_id, RequirementSearchDocument.document).where(
            RequirementSearchDocument.requirement_id.in_(requirement_ids)
        )
    )
    result = {}
    for ident, document in rows:
        snippet = highlight(document, terms)
        if snippet is not None:
            result[ident] = snippet
    return result
