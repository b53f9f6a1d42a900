"""The header's global search: customers, organisations and requirements matching one query,
grouped by kind, each group ranked by its own index (customer and requirement search documents,
see `workflows/customers/search_index.py` and `workflows/tracking/search_index.py`).

Requirements pass through the read policy the caller gives (`visibility.readable`); customers
and organisations are readable by every agent. Read-only: nothing here writes."""

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models import Customer, Organisation, Requirement
from workflows.customers import organisations
from workflows.customers.queries import CustomerFilter, highlight, list_customers
from workflows.tracking import search_index

MAX_PER_KIND = 50


@dataclass(frozen=True)
class Hit:
    id: int
    label: str
    detail: str | None = None  # plain text: an email, a state, a customer's name
    snippet: str | None = None  # HTML-safe, matches in <mark>


@dataclass
class Results:
    q: str
    customers: list[Hit] = field(default_factory=list)
    organisations: list[Hit] = field(default_factory=list)
    requirements: list[Hit] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.customers or self.organisations or self.requirements)


def search(session: Session, q: str, *, readable: ColumnElement[bool], limit: int = 5) -> Results:
    """Up to `limit` (1 to MAX_PER_KIND) hits of each kind for `q`, best first."""
    q = " ".join(q.split())
    limit = max(1, min(limit, MAX_PER_KIND))
    results = Results(q)
    if not q:
        return results
    results.customers = _customers(session, q, limit)
    results.organisations = _organisations(session, q, limit)
    results.requirements = _requirements(session, q, readable, limit)
    return results


def _customers(session: Session, q: str, limit: int) -> list[Hit]:
    page = list_customers(session, CustomerFilter(q=q), limit=limit)
    return [Hit(c.id, c.name, c.primary_email, page.highlights.get(c.id)) for c in page.items]


def _organisations(session: Session, q: str, limit: int) -> list[Hit]:
    # Names only, with no index of their own: both the name (its folded `name_key`) and the
    # query are folded, so `Jose` finds "José Ltd" and `José` finds "Jose Ltd".
    rows = session.scalars(
        select(Organisation)
        .where(Organisation.deleted_at.is_(None), organisations.name_matches(q))
        .order_by(func.length(Organisation.name), Organisation.name, Organisation.id)
        .limit(limit)
    )
    return [Hit(o.id, o.name, None, highlight(o.name, [q])) for o in rows]


def _requirements(session: Session, q: str, readable: ColumnElement[bool], limit: int) -> list[Hit]:
    terms = search_index.terms_of(q)
    if not terms:
        return []
    match = search_index.match(session, terms)
    rows = session.execute(
        select(Requirement, Customer.name)
        .join(match.subquery, match.requirement_id == Requirement.id)
        .join(Customer, Customer.id == Requirement.customer_id)
        .where(readable)
        .order_by(match.rank, Requirement.id.desc())
        .limit(limit)
    ).all()
    snippets = search_index.highlights(session, [r.id for r, _ in rows], terms)
    return [
        Hit(r.id, f"#{r.id} {r.title}", f"{customer} · {r.state}", snippets.get(r.id))
        for r, customer in rows
    ]
