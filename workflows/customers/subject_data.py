"""The customers domain's part of a data-subject export and erasure: the profile (contact
points, address, notes, tags, custom fields), consent history, communications and transactions.
Erasing keeps what aggregates need (transaction amounts, currencies, dates and kinds; when a
communication happened and on which channel) and removes what identifies the person."""

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from models import (
    AuditEntry,
    Communication,
    Consent,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchDocument,
    Transaction,
    customer_tags,
)
from workflows.platform.audit import plain
from workflows.platform.clock import Clock
from workflows.platform.i18n import N_
from workflows.platform.subject_data import ERASED, Section, Subject, register

PROFILE_FIELDS = (
    "id",
    "name",
    "primary_email",
    "organisation_id",
    "owner_id",
    "time_zone",
    "language",
    "address_line",
    "district",
    "city",
    "region",
    "postal_code",
    "country",
    "notes",
    "custom",
    "created_at",
    "updated_at",
    "last_contacted_at",
    "deleted_at",
    "merged_into_id",
    "legal_hold_at",
    "erased_at",
)
COMMUNICATION_FIELDS = (
    "id",
    "customer_id",
    "channel",
    "direction",
    "occurred_at",
    "duration_seconds",
    "subject",
    "body_text",
    "body_html",
    "author_id",
    "participants",
    "requirement_id",
    "created_at",
    "updated_at",
    "deleted_at",
)
TRANSACTION_FIELDS = (
    "id",
    "customer_id",
    "kind",
    "status",
    "amount",
    "currency",
    "occurred_on",
    "reference",
    "created_at",
    "updated_at",
    "deleted_at",
)


def row_dict(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(row, name)) for name in fields}


def subject_of(session: Session, customer_id: int) -> Subject:
    """The customer, everyone merged into them (recursively), and their contact points."""
    ids = [customer_id]
    frontier = [customer_id]
    while frontier:
        merged = list(
            session.scalars(select(Customer.id).where(Customer.merged_into_id.in_(frontier)))
        )
        frontier = [i for i in merged if i not in ids]
        ids += frontier
    emails = set(
        session.scalars(select(CustomerEmail.email).where(CustomerEmail.customer_id.in_(ids)))
    )
    emails |= {
        e for e in session.scalars(select(Customer.primary_email).where(Customer.id.in_(ids))) if e
    }
    phones = set(
        session.scalars(select(CustomerPhone.e164).where(CustomerPhone.customer_id.in_(ids)))
    )
    return Subject(customer_id, tuple(ids), tuple(sorted(emails)), tuple(sorted(phones)))


# ---------------------------------------------------------------- export


def communications_of(subject: Subject) -> ColumnElement[bool]:
    """The subject's communications that the export's reader may read (all, by default)."""
    condition = Communication.customer_id.in_(subject.customer_ids)
    if subject.communications_readable is not None:
        condition = and_(condition, subject.communications_readable)
    return condition


def export_profile(session: Session, subject: Subject) -> list[dict[str, Any]]:
    out = []
    for customer in session.scalars(
        select(Customer).where(Customer.id.in_(subject.customer_ids)).order_by(Customer.id)
    ):
        record = row_dict(customer, PROFILE_FIELDS)
        record["emails"] = [{"email": e.email, "is_primary": e.is_primary} for e in customer.emails]
        record["phones"] = [{"e164": p.e164, "label": p.label} for p in customer.phones]
        record["tags"] = [t.name for t in customer.tags]
        record["organisation"] = customer.organisation.name if customer.organisation else None
        record["stage"] = customer.stage.key if customer.stage else None
        out.append(record)
    return out


def export_consents(session: Session, subject: Subject) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Consent).where(Consent.customer_id.in_(subject.customer_ids)).order_by(Consent.id)
    )
    return [
        row_dict(
            c,
            (
                "id",
                "customer_id",
                "channel",
                "is_granted",
                "at",
                "method",
                "recorded_by_id",
                "note",
            ),
        )
        for c in rows
    ]


def export_communications(session: Session, subject: Subject) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Communication)
        .where(communications_of(subject))
        .order_by(Communication.occurred_at, Communication.id)
    )
    # Communications have no attachments yet; when they do, a `files` exporter adds them.
    return [{**row_dict(c, COMMUNICATION_FIELDS), "attachments": []} for c in rows]


def export_transactions(session: Session, subject: Subject) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Transaction)
        .where(Transaction.customer_id.in_(subject.customer_ids))
        .order_by(Transaction.occurred_on, Transaction.id)
    )
    return [row_dict(t, TRANSACTION_FIELDS) for t in rows]


def export_audit(session: Session, subject: Subject) -> list[dict[str, Any]]:
    ids = subject.customer_ids
    rows = session.scalars(
        select(AuditEntry)
        .where(
            or_(
                (AuditEntry.entity_type == "customer") & AuditEntry.entity_id.in_(ids),
                (AuditEntry.entity_type == "communication")
                & AuditEntry.entity_id.in_(
                    select(Communication.id).where(communications_of(subject))
                ),
                (AuditEntry.entity_type == "transaction")
                & AuditEntry.entity_id.in_(
                    select(Transaction.id).where(Transaction.customer_id.in_(ids))
                ),
            )
        )
        .order_by(AuditEntry.id)
    )
    return [
        row_dict(a, ("at", "actor_id", "action", "entity_type", "entity_id", "changes", "note"))
        for a in rows
    ]


# ---------------------------------------------------------------- erase

# An erased customer's name: stored in English (the API, exports and searches read it as it
# is); pages show it in the reader's language (web/templating.py `shown`).
ERASED_NAME = N_("Erased customer %(id)s")
ERASED_NAME_RE = re.compile(r"Erased customer (\d+)")


def erase_profile(session: Session, subject: Subject, clock: Clock) -> dict[str, int]:
    ids = subject.customer_ids
    now = clock.now()
    emails = session.execute(delete(CustomerEmail).where(CustomerEmail.customer_id.in_(ids)))
    phones = session.execute(delete(CustomerPhone).where(CustomerPhone.customer_id.in_(ids)))
    tags = session.execute(delete(customer_tags).where(customer_tags.c.customer_id.in_(ids)))
    consents = session.execute(
        update(Consent).where(Consent.customer_id.in_(ids)).values(note=None, method=ERASED)
    )
    customers = 0
    for customer in session.scalars(select(Customer).where(Customer.id.in_(ids))):
        customer.name = ERASED_NAME % {"id": customer.id}
        for name in (
            "primary_email",
            "time_zone",
            "language",
            "address_line",
            "district",
            "city",
            "region",
            "postal_code",
            "notes",
        ):
            setattr(customer, name, None)
        customer.custom = {}
        customer.erased_at = now
        customer.updated_at = now
        customers += 1
    session.flush()
    session.expire_all()  # the bulk deletes bypassed the loaded collections
    documents = session.execute(
        delete(CustomerSearchDocument).where(CustomerSearchDocument.customer_id.in_(ids))
    )
    session.flush()
    return {
        "customers": customers,
        "customer_emails": emails.rowcount,
        "customer_phones": phones.rowcount,
        "customer_tags": tags.rowcount,
        "consents": consents.rowcount,
        "customer_search_documents": documents.rowcount,
    }


def erase_communications(session: Session, subject: Subject, clock: Clock) -> dict[str, int]:
    result = session.execute(
        update(Communication)
        .where(Communication.customer_id.in_(subject.customer_ids))
        .values(
            subject=None,
            body_html=None,
            body_text=ERASED,
            participants=[],
            updated_at=clock.now(),
            version=Communication.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return {"communications": result.rowcount}


def erase_transactions(session: Session, subject: Subject, clock: Clock) -> dict[str, int]:
    """Amounts, currencies, kinds, statuses and dates stay: revenue figures do not change."""
    result = session.execute(
        update(Transaction)
        .where(
            Transaction.customer_id.in_(subject.customer_ids), Transaction.reference.is_not(None)
        )
        .values(reference=None, updated_at=clock.now(), version=Transaction.version + 1)
        .execution_options(synchronize_session=False)
    )
    return {"transactions": result.rowcount}


def erase_audit(session: Session, subject: Subject, clock: Clock) -> dict[str, int]:
    """The audit trail keeps who did what when, without the values (which were personal)."""
    ids = subject.customer_ids
    communication_ids = select(Communication.id).where(Communication.customer_id.in_(ids))
    transaction_ids = select(Transaction.id).where(Transaction.customer_id.in_(ids))
    result = session.execute(
        update(AuditEntry)
        .where(
            or_(
                (AuditEntry.entity_type == "customer") & AuditEntry.entity_id.in_(ids),
                (AuditEntry.entity_type == "communication")
                & AuditEntry.entity_id.in_(communication_ids),
                (AuditEntry.entity_type == "transaction")
                & AuditEntry.entity_id.in_(transaction_ids),
            )
        )
        .values(changes={"erased": True}, note=None)
        .execution_options(synchronize_session=False)
    )
    return {"audit_log": result.rowcount}


register(Section("profile", export_profile, erase_profile, position=10))
register(Section("consents", export_consents, position=20))  # erased with the profile
register(Section("communications", export_communications, erase_communications, position=30))
register(Section("transactions", export_transactions, erase_transactions, position=40))
register(Section("audit_log", export_audit, erase_audit, position=90))
