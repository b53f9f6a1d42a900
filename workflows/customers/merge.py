"""Duplicate customers: finding likely pairs, and merging one into another in one transaction.

A merge keeps every record: communications, transactions, consent history, requirements and any
other row that points at the merged-away customer move to the survivor, as do its emails, phones
and tags; the survivor's fields take the value chosen field by field. The merged-away customer is
soft-deleted with `merged_into_id` set, both are audited, and both search documents refreshed.
Flushes, never commits.
"""

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, func, select, update
from sqlalchemy.orm import Session, aliased

from models import Base, Customer, CustomerEmail, CustomerPhone
from workflows.customers import sales_rollups, search_index
from workflows.customers.profiles import snapshot
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

NAME_SIMILARITY = 0.9
MAX_ORGANISATION_SIZE = 2_000  # beyond this, only names with the same first letter are compared

# Fields whose surviving value is picked one by one; "primary_email" picks whose primary email
# stays primary. Emails, phones, tags and every related row are combined, not picked.
CHOOSABLE = (
    "name",
    "primary_email",
    "organisation_id",
    "owner_id",
    "stage_id",
    "time_zone",
    "language",
    "address_line",
    "district",
    "city",
    "region",
    "postal_code",
    "country",
    "notes",
)
# Tables merged by hand below; every other foreign key to customers.id is re-pointed in bulk.
HANDLED = {"customers", "customer_emails", "customer_phones", "customer_tags"}
# Rebuilt for the survivor, removed for the other: the search document, and the sales rollup
# (`sales_rollups`: two rows of one currency cannot both move to the survivor's key).
DROPPED = {"customer_search_documents", "customer_values"}


@dataclass
class DuplicatePair:
    first_id: int
    second_id: int
    reasons: list[str] = field(default_factory=list)


@dataclass
class MergeResult:
    survivor_id: int
    merged_id: int
    moved: dict[str, int]  # table -> rows re-pointed to the survivor


# ---------------------------------------------------------------- detection


def _normalised(name: str) -> str:
    return " ".join(name.casefold().split())


def similar_names(a: str, b: str) -> bool:
    """Equal ignoring case and spacing, or a difflib ratio of at least NAME_SIMILARITY."""
    a, b = _normalised(a), _normalised(b)
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def _shared(session: Session, column: Any, owner: Any) -> list[tuple[int, int, str]]:
    """(id, id, value) for two live customers sharing a value of a contact table."""
    first, second = aliased(owner), aliased(owner)
    c1, c2 = aliased(Customer), aliased(Customer)
    col1, col2 = getattr(first, column), getattr(second, column)
    query = (
        select(first.customer_id, second.customer_id, col1)
        .join(second, and_(col1 == col2, first.customer_id < second.customer_id))
        .join(c1, and_(c1.id == first.customer_id, c1.deleted_at.is_(None)))
        .join(c2, and_(c2.id == second.customer_id, c2.deleted_at.is_(None)))
    )
    return [(a, b, value) for a, b, value in session.execute(query)]


def _similar_in_organisations(session: Session) -> list[tuple[int, int, str]]:
    members: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = session.execute(
        select(Customer.organisation_id, Customer.id, Customer.name)
        .where(Customer.deleted_at.is_(None), Customer.organisation_id.is_not(None))
        .order_by(Customer.organisation_id, Customer.id)
    )
    for organisation_id, customer_id, name in rows:
        members[organisation_id].append((customer_id, name))
    found = []
    for people in members.values():
        big = len(people) > MAX_ORGANISATION_SIZE
        for i, (a_id, a_name) in enumerate(people):
            for b_id, b_name in people[i + 1 :]:
                if big and _normalised(a_name)[:1] != _normalised(b_name)[:1]:
                    continue
                if similar_names(a_name, b_name):
                    found.append((a_id, b_id, b_name))
    return found


def find_duplicates(session: Session, *, limit: int = 500) -> list[DuplicatePair]:
    """Likely duplicate pairs among live customers: a shared email, a shared phone number, or
    similar names within one organisation. Each pair once, with every reason."""
    pairs: dict[tuple[int, int], DuplicatePair] = {}

    def note(a: int, b: int, reason: str) -> None:
        key = (min(a, b), max(a, b))
        pair = pairs.setdefault(key, DuplicatePair(*key))
        if reason not in pair.reasons:
            pair.reasons.append(reason)

    for a, b, email in _shared(session, "email", CustomerEmail):
        note(a, b, Message(N_("same email %(email)s"), email=email))
    for a, b, phone in _shared(session, "e164", CustomerPhone):
        note(a, b, Message(N_("same phone %(phone)s"), phone=phone))
    for a, b, _ in _similar_in_organisations(session):
        note(a, b, Message(N_("similar name in the same organisation")))
    ordered = sorted(pairs.values(), key=lambda p: (-len(p.reasons), p.first_id, p.second_id))
    return ordered[:limit]


# ---------------------------------------------------------------- merge


def _referencing_columns() -> list[tuple[Table, Any]]:
    """(table, column) of every foreign key to customers.id not merged by hand."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name in HANDLED | DROPPED:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "customers" and fk.column.name == "id":
                found.append((table, fk.parent))
    return found


def _move_rows(session: Session, survivor_id: int, other_id: int) -> dict[str, int]:
    moved = {}
    for table, column in _referencing_columns():
        values: dict[str, Any] = {column.name: survivor_id}
        if "version" in table.c:  # optimistic locking: an open edit form must see the change
            values["version"] = table.c.version + 1
        result = session.execute(update(table).where(column == other_id).values(**values))
        moved[table.name] = result.rowcount
    # Customers merged into `other` earlier now point at the survivor.
    session.execute(
        update(Customer.__table__)
        .where(Customer.__table__.c.merged_into_id == other_id)
        .values(merged_into_id=survivor_id, version=Customer.__table__.c.version + 1)
    )
    return moved


def _check(survivor: Customer, other: Customer, versions: dict[int, int]) -> None:
    if survivor.id == other.id:
        raise ValidationFailed.field("survivor", Message(N_("Choose two different customers.")))
    for customer in (survivor, other):
        if customer.deleted_at is not None:
            raise ValidationFailed.field(
                "customer",
                Message(N_("Customer #%(id)s is in the trash or merged already."), id=customer.id),
            )
        expected = versions.get(customer.id)
        if expected is not None and expected != customer.version:
            raise StaleEdit(expected, customer.version)


def _chosen(survivor: Customer, other: Customer, choices: dict[str, int]) -> dict[str, Customer]:
    by_id = {survivor.id: survivor, other.id: other}
    picked = {}
    for name in CHOOSABLE:
        source = choices.get(name, survivor.id)
        if source not in by_id:
            raise ValidationFailed.field(
                name, Message(N_("Pick the value of one of the two customers."))
            )
        picked[name] = by_id[source]
    return picked


def merge_customers(
    session: Session,
    survivor: Customer,
    other: Customer,
    *,
    choices: dict[str, int],
    expected_versions: dict[int, int],
    actor_id: int | None,
    clock: Clock,
) -> MergeResult:
    """Merge `other` into `survivor`. `choices` maps each CHOOSABLE field (and "custom.<key>")
    to the id of the customer whose value survives (default: the survivor's);
    `expected_versions` maps ids to the versions the person saw (StaleEdit if one moved on)."""
    _check(survivor, other, expected_versions)
    picked = _chosen(survivor, other, choices)
    now = clock.now()
    before, other_before = snapshot(survivor), snapshot(other)
    values = {name: getattr(source, name) for name, source in picked.items()}
    values["custom"] = _merged_custom(survivor, other, choices)
    primary = values.pop("primary_email") or survivor.primary_email or other.primary_email

    # Step aside first: the merged-away primary email may become the survivor's (unique index).
    other.deleted_at = now
    other.merged_into_id = survivor.id
    session.flush()

    moved = _move_rows(session, survivor.id, other.id)
    sales_rollups.refresh_customers(session, [survivor.id, other.id])
    moved["customer_emails"] = _move_contacts(survivor.emails, other.emails, "email")
    moved["customer_phones"] = _move_contacts(survivor.phones, other.phones, "e164")
    names = {t.name for t in survivor.tags}
    moved["customer_tags"] = len([t for t in other.tags if t.name not in names])
    survivor.tags = sorted(
        {t.name: t for t in [*survivor.tags, *other.tags]}.values(), key=lambda t: t.name
    )
    other.tags = []
    _put_primary_first(survivor, primary)

    for name, value in values.items():
        setattr(survivor, name, value)
    survivor.created_at = min(survivor.created_at, other.created_at)
    contacted = [c.last_contacted_at for c in (survivor, other) if c.last_contacted_at]
    survivor.last_contacted_at = max(contacted) if contacted else None
    survivor.updated_at = now
    session.flush()
    session.expire(survivor, ["consents"])  # consents moved in bulk
    session.expire(other, ["consents"])

    note = f"Customer #{other.id} merged into #{survivor.id}; moved " + ", ".join(
        f"{n} {table.replace('customer_', '')}" for table, n in sorted(moved.items())
    )
    audit.record(
        session,
        action="merge",
        entity_type="customer",
        entity_id=survivor.id,
        actor_id=actor_id,
        clock=clock,
        changes={"merged_from": [None, other.id], **audit.diff(before, snapshot(survivor))},
        note=note,
    )
    audit.record(
        session,
        action="merge",
        entity_type="customer",
        entity_id=other.id,
        actor_id=actor_id,
        clock=clock,
        changes={
            "merged_into_id": [None, survivor.id],
            **audit.diff(other_before, snapshot(other)),
        },
        note=note,
    )
    search_index.refresh(session, survivor, clock=clock)
    search_index.refresh(session, other, clock=clock)
    return MergeResult(survivor.id, other.id, moved)


def _move_contacts(into: list[Any], source: list[Any], key: str) -> int:
    """Move contact rows (emails or phones) the survivor lacks; identical ones stay behind."""
    have = {getattr(row, key) for row in into}
    moving = [row for row in source if getattr(row, key) not in have]
    for row in moving:
        source.remove(row)
        into.append(row)
    return len(moving)


def _put_primary_first(customer: Customer, primary: str | None) -> None:
    """The primary email in the customer's first email row, as everywhere else (the rows keep
    their ids; only which address sits in which row changes)."""
    rows = sorted(customer.emails, key=lambda e: e.id or 0)
    addresses = [e.email for e in rows]
    if primary in addresses:
        addresses.remove(primary)
        addresses.insert(0, primary)
    for index, (row, address) in enumerate(zip(rows, addresses, strict=True)):
        row.email = address
        row.is_primary = index == 0
    customer.primary_email = addresses[0] if addresses else None


def _merged_custom(survivor: Customer, other: Customer, choices: dict[str, int]) -> dict[str, Any]:
    """Every custom value of both; where both have a key, the chosen one (default survivor)."""
    ours, theirs = dict(survivor.custom or {}), dict(other.custom or {})
    merged = {**theirs, **ours}
    for key in set(ours) & set(theirs):
        if choices.get(f"custom.{key}") == other.id:
            merged[key] = theirs[key]
    return merged


def differing_fields(a: Customer, b: Customer) -> list[str]:
    """The CHOOSABLE fields and custom keys where the two differ (what the merge screen asks)."""
    names = [n for n in CHOOSABLE if getattr(a, n) != getattr(b, n)]
    custom_a, custom_b = a.custom or {}, b.custom or {}
    names += [
        f"custom.{k}" for k in sorted(set(custom_a) & set(custom_b)) if custom_a[k] != custom_b[k]
    ]
    return names


def live_count(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(Customer).where(Customer.deleted_at.is_(None))
    )
