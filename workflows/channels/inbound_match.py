"""Which requirement and customer a received message belongs to, tried in order: the signed
reply address, Rapport's Message-IDs in In-Reply-To/References (outbox rows, stored
communications, thread roots), a requirement number in the subject (`[#42]`), then the sender.

A signed address or the Message-ID of a message Rapport sent proves the sender had that
message. A thread root or a subject number can be guessed, so they count only when the sender
is one of the requirement's customer's addresses."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Communication, Customer, CustomerEmail, OutboxMessage, Requirement
from workflows.channels.inbound_parse import ParsedEmail
from workflows.platform.mail_threads import thread_of, threads_referenced

SUBJECT_NUMBER_RE = re.compile(r"\[#(\d{1,12})\]")
REQUIREMENT_THREAD_RE = re.compile(r"^r(\d{1,12})$")
OUTBOX_CAUSE_RE = re.compile(r"\brequirement:(\d+)\b")


@dataclass
class Match:
    requirement: Requirement | None
    customer: Customer | None
    matched_by: str | None  # reply_address, headers, subject, sender; None: nobody


def customer_of_address(session: Session, address: str) -> Customer | None:
    """The live customer who has `address` (the oldest, if two share it)."""
    return session.scalar(
        select(Customer)
        .join(CustomerEmail, CustomerEmail.customer_id == Customer.id)
        .where(CustomerEmail.email == address.lower(), Customer.deleted_at.is_(None))
        .order_by(Customer.id)
        .limit(1)
    )


def _requirement_of_thread(session: Session, thread: str | None) -> Requirement | None:
    found = REQUIREMENT_THREAD_RE.match(thread or "")
    return session.get(Requirement, int(found.group(1))) if found else None


def _sender_owns(session: Session, requirement: Requirement, address: str) -> bool:
    return (
        session.scalar(
            select(CustomerEmail.id).where(
                CustomerEmail.customer_id == requirement.customer_id,
                CustomerEmail.email == address.lower(),
            )
        )
        is not None
    )


def _by_reply_address(
    session: Session, recipients: Sequence[str], secret: str
) -> Requirement | None:
    for address in recipients:
        requirement = _requirement_of_thread(session, thread_of(address, secret))
        if requirement is not None:
            return requirement
    return None


def _by_message_ids(session: Session, ids: Sequence[str]) -> Requirement | None:
    """The newest referenced message Rapport sent or stored that names a requirement."""
    if not ids:
        return None
    rank = {mid: i for i, mid in enumerate(ids)}
    found: list[tuple[int, int]] = []
    for mid, requirement_id in session.execute(
        select(Communication.message_id, Communication.requirement_id).where(
            Communication.message_id.in_(ids), Communication.requirement_id.is_not(None)
        )
    ):
        found.append((rank[mid], requirement_id))
    for mid, cause in session.execute(
        select(OutboxMessage.message_id, OutboxMessage.cause).where(
            OutboxMessage.message_id.in_(ids)
        )
    ):
        cause_match = OUTBOX_CAUSE_RE.search(cause or "")
        if cause_match:
            found.append((rank[mid], int(cause_match.group(1))))
    for _, requirement_id in sorted(found, reverse=True):
        requirement = session.get(Requirement, requirement_id)
        if requirement is not None:
            return requirement
    return None


def _matched(session: Session, requirement: Requirement, how: str) -> Match:
    return Match(requirement, session.get(Customer, requirement.customer_id), how)


def find(
    session: Session,
    parsed: ParsedEmail,
    recipients: Sequence[str],
    *,
    secret: str,
    domains: Sequence[str],
) -> Match:
    """The match for `parsed` delivered to `recipients`; `domains` name Rapport's thread roots."""
    requirement = _by_reply_address(session, recipients, secret)
    if requirement is not None:
        return _matched(session, requirement, "reply_address")
    # In-Reply-To names the message answered; References lists the thread, oldest first.
    ids = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))
    requirement = _by_message_ids(session, ids)
    if requirement is not None:
        return _matched(session, requirement, "headers")
    sender = parsed.from_address
    for domain in domains:
        for thread in threads_referenced(" ".join(ids), domain):
            requirement = _requirement_of_thread(session, thread)
            if requirement is not None and _sender_owns(session, requirement, sender):
                return _matched(session, requirement, "headers")
    for number in SUBJECT_NUMBER_RE.findall(parsed.subject):
        requirement = session.get(Requirement, int(number))
        if requirement is not None and _sender_owns(session, requirement, sender):
            return _matched(session, requirement, "subject")
    customer = customer_of_address(session, sender) if sender else None
    return Match(None, customer, "sender" if customer else None)
