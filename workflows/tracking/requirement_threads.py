"""A requirement's email thread: the header fields that keep every message to the customer
about requirement 42 in one thread, in their mail program and back in Rapport.

Each message carries `References: <thread-r42@domain> <earlier messages…>`, `In-Reply-To` the
latest of them, and `Reply-To` the signed reply address of `r42`, so an answer is matched by
its address or, if the mail program dropped it, by its headers (workflows/platform/
mail_threads.py). The earlier messages are the emails on the requirement whose Message-ID is
stored on their communication (replies sent from Rapport and the customer's own mail)."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Communication, Requirement
from workflows.platform import mail_threads

# References grows with the thread; mail programs and servers cope with a few dozen ids, and
# the root plus the latest ones is enough to match (RFC 5322 §3.6.4 allows trimming).
MAX_REFERENCES = 20


def thread_key(requirement_id: int) -> str:
    return f"r{requirement_id}"


def _one_line(text: str) -> str:
    # A line break in a header field would end it (and the outbox refuses to send it).
    return " ".join(text.split())


def subject(requirement: Requirement) -> str:
    """The subject every reply keeps: `[#42] title` (inbound mail is matched by the number)."""
    return _one_line(f"[#{requirement.id}] {requirement.title}")[:300]


def with_reference(requirement_id: int, text: str) -> str:
    """`text` on one line, tagged with `[#42]` unless it already is."""
    tag = f"[#{requirement_id}]"
    text = _one_line(text)
    return (text if tag in text else f"{tag} {text}".strip())[:300]


def earlier_messages(session: Session, requirement_ids: Iterable[int]) -> dict[int, list[str]]:
    """Message-IDs of the emails on each requirement, oldest first, in one query."""
    ids = list(set(requirement_ids))
    found: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        select(Communication.requirement_id, Communication.message_id)
        .where(
            Communication.requirement_id.in_(ids),
            Communication.message_id.is_not(None),
            Communication.deleted_at.is_(None),
        )
        .order_by(Communication.occurred_at, Communication.id)
    )
    for requirement_id, message_id in rows:
        found[requirement_id].append(message_id)
    return found


def headers(
    session: Session, requirement_id: int, *, earlier: list[str] | None = None
) -> dict[str, str]:
    """Reply-To, In-Reply-To and References for a new message of the requirement's thread;
    `earlier` saves the query when the caller already has the thread's Message-IDs."""
    if earlier is None:
        earlier = earlier_messages(session, [requirement_id])[requirement_id]
    settings = mail_threads.reply_settings(session)
    key = thread_key(requirement_id)
    domain = settings.domain if settings else "rapport.local"
    references = [mail_threads.thread_message_id(key, domain), *earlier[-MAX_REFERENCES:]]
    fields = {"In-Reply-To": references[-1], "References": " ".join(references)}
    if settings is not None:
        fields["Reply-To"] = mail_threads.reply_address(
            settings.inbound_address, key, settings.secret
        )
    return fields
