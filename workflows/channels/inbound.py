"""Receiving one email: refuse what must be refused (unknown recipient, too large, unreadable, a
sender over the rate), store a message delivered twice once, and apply the rest in the caller's
transaction: a person's message goes on a customer's timeline with its effect on the
requirement; an automatic one is recorded and moves nothing; a bounce suppresses the address
and fails the outgoing message. Nothing here ever writes to the outbox, so Rapport never
answers an automatic message (DESIGN.md §7a).

The SMTP process (`workers/inbound.py`) and the HTTP endpoint (`web/api/channels/inbound.py`)
both call `deliver`, then commit."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Communication,
    Customer,
    EmailSuppression,
    InboundEmail,
    InboundKind,
    OutboxMessage,
    OutboxStatus,
    sync_delivery,
)
from workflows.channels import attachments, inbound_match
from workflows.channels.inbound_parse import (
    REPLY_LANGUAGES,
    MalformedEmail,
    ParsedEmail,
    as_html,
    bare_subject,
)
from workflows.channels.inbound_parse import parse as parse_email
from workflows.customers import profiles
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.platform.outbox_delivery import BOUNCED_PREFIX
from workflows.tracking import conversations, requirements

RATE_WINDOW = timedelta(minutes=1)
MAX_SHOWN_CHARS = 50_000  # the timeline's copy; the whole text stays on the inbound row


class InboundRefused(Exception):
    """A message we do not take; `smtp_code` and `http_status` say how to answer."""

    def __init__(self, smtp_code: int, http_status: int, message: str) -> None:
        super().__init__(message)
        self.smtp_code = smtp_code
        self.http_status = http_status
        self.message = message


@dataclass(frozen=True)
class InboundSettings:
    inbound_address: str  # support@example.com
    secret: str  # signs reply addresses
    thread_domains: Sequence[str]  # domains of Rapport's thread roots
    unknown_senders: str = "create"  # "create" a customer and requirement, or "ignore"
    max_bytes: int = 30 * 1024 * 1024
    sender_limit_per_minute: int = 30
    reply_languages: Sequence[str] = REPLY_LANGUAGES
    # Other addresses of ours that receive mail: the sender address, where bounces come back.
    other_addresses: Sequence[str] = ()
    attachment_policy: attachments.AttachmentPolicy = field(
        default_factory=lambda: attachments.AttachmentPolicy(25 * 1024 * 1024, ("*/*",))
    )

    @property
    def domain(self) -> str:
        return self.inbound_address.rpartition("@")[2].lower()

    def accepts(self, recipient: str) -> bool:
        """Whether `recipient` is the inbound address or one of its +tag forms, or one of
        `other_addresses`."""
        address = recipient.strip().strip("<>").lower()
        if address in (a.lower() for a in self.other_addresses):
            return True
        local, at, domain = address.rpartition("@")
        inbound_local = self.inbound_address.rpartition("@")[0].lower()
        return bool(at) and domain == self.domain and local.split("+", 1)[0] == inbound_local


@dataclass
class Receipt:
    inbound_email_id: int
    kind: InboundKind
    message_id: str
    duplicate: bool = False
    communication_id: int | None = None
    requirement_id: int | None = None
    customer_id: int | None = None
    matched_by: str | None = None


def check_recipients(recipients: Sequence[str], settings: InboundSettings) -> list[str]:
    """The recipients that are ours; InboundRefused (550) when none is."""
    ours = [r for r in recipients if settings.accepts(r)]
    if not ours:
        raise InboundRefused(550, 422, "No such mailbox here: send to " + settings.inbound_address)
    return ours


def _receipt(session: Session, row: InboundEmail, duplicate: bool = False) -> Receipt:
    customer_id = None
    if row.communication_id is not None:
        customer_id = session.scalar(
            select(Communication.customer_id).where(Communication.id == row.communication_id)
        )
    return Receipt(
        inbound_email_id=row.id,
        kind=row.kind,
        message_id=row.message_id,
        duplicate=duplicate,
        communication_id=row.communication_id,
        requirement_id=row.requirement_id,
        customer_id=customer_id,
        matched_by=row.matched_by,
    )


def already_received(session: Session, message_id: str) -> InboundEmail | None:
    return session.scalar(select(InboundEmail).where(InboundEmail.message_id == message_id))


def _over_rate(session: Session, sender: str, settings: InboundSettings, clock: Clock) -> bool:
    if not sender or settings.sender_limit_per_minute <= 0:
        return False
    recent = session.scalar(
        select(func.count(InboundEmail.id)).where(
            InboundEmail.from_address == sender,
            InboundEmail.received_at > clock.now() - RATE_WINDOW,
        )
    )
    return (recent or 0) >= settings.sender_limit_per_minute


def deliver(
    session: Session,
    raw: bytes,
    recipients: Sequence[str],
    *,
    settings: InboundSettings,
    store: attachments.BlobStore,
    clock: Clock,
    envelope_sender: str | None = None,
) -> Receipt:
    """Take one raw message delivered to `recipients` (the SMTP envelope's, or the message's
    own To/Cc when there is no envelope). Returns what became of it; InboundRefused when it is
    not taken. Runs in a savepoint and flushes, never commits: a message delivered twice at
    the same moment is stored once, the second delivery told it is a duplicate."""
    if len(raw) > settings.max_bytes:
        raise InboundRefused(552, 413, f"Message larger than {settings.max_bytes} bytes")
    try:
        parsed = parse_email(raw, reply_languages=settings.reply_languages)
    except MalformedEmail as exc:
        raise InboundRefused(554, 422, str(exc)) from exc
    recipients = check_recipients(list(recipients) or [*parsed.to, *parsed.cc], settings)
    existing = already_received(session, parsed.message_id)
    if existing is not None:
        return _receipt(session, existing, duplicate=True)
    if envelope_sender == "" and not parsed.automatic:
        parsed.automatic = "null envelope sender"  # RFC 3834: only machines send from <>
    if parsed.from_address and settings.accepts(parsed.from_address) and not parsed.automatic:
        parsed.automatic = "from Rapport's own address"  # never a customer: a loop
    if _over_rate(session, parsed.from_address, settings, clock):
        raise InboundRefused(451, 429, "Too many messages from this sender; try again later")
    raw_sha256 = store.put(raw)
    try:
        with session.begin_nested():
            row = _apply(session, parsed, recipients, settings, store, clock)
            row.raw_sha256 = raw_sha256
            session.flush()
    except IntegrityError:
        existing = already_received(session, parsed.message_id)
        if existing is None:
            raise
        return _receipt(session, existing, duplicate=True)
    return _receipt(session, row)


def _row(
    parsed: ParsedEmail, recipients: Sequence[str], kind: InboundKind, clock: Clock
) -> InboundEmail:
    return InboundEmail(
        message_id=parsed.message_id,
        kind=kind,
        from_address=parsed.from_address or "",
        from_name=parsed.from_name,
        recipients=list(recipients),
        subject=parsed.subject or None,
        full_text=parsed.text or None,
        full_html=parsed.html,
        size=parsed.size,
        note=parsed.automatic[:300] if parsed.automatic else None,
        received_at=clock.now(),
    )


def _apply(
    session: Session,
    parsed: ParsedEmail,
    recipients: Sequence[str],
    settings: InboundSettings,
    store: attachments.BlobStore,
    clock: Clock,
) -> InboundEmail:
    if parsed.is_bounce:
        return _bounce(session, parsed, recipients, clock)
    kind = InboundKind.AUTOMATIC if parsed.automatic else InboundKind.MESSAGE
    row = _row(parsed, recipients, kind, clock)
    session.add(row)
    session.flush()  # claims the Message-ID first: a concurrent duplicate fails here
    found = inbound_match.find(
        session, parsed, recipients, secret=settings.secret, domains=settings.thread_domains
    )
    requirement, customer, matched_by = found.requirement, found.customer, found.matched_by
    own = session.execute(
        select(Communication.id, Communication.requirement_id).where(
            Communication.message_id == parsed.message_id
        )
    ).first()
    if own is not None:
        # Already on a timeline: a message Rapport sent that came back (a Cc or Bcc to our own
        # address, a mailing list). Record that it came; add nothing.
        row.communication_id, row.requirement_id = own
        row.matched_by = "own_message"
        return row
    if customer is None and not parsed.automatic and settings.unknown_senders == "create":
        customer = _new_customer(session, parsed, clock)
        matched_by = "new_customer" if customer is not None else None
    if customer is None or customer.deleted_at is not None:
        row.kind = InboundKind.UNMATCHED if kind is InboundKind.MESSAGE else kind
        return row
    if requirement is None and not parsed.automatic:
        requirement = requirements.open_requirement(
            session,
            customer_id=customer.id,
            title=bare_subject(parsed.subject) or "(no subject)",
            clock=clock,
            actor=None,
            origin_channel="email",
        )
    shown = parsed.reply_text[:MAX_SHOWN_CHARS]
    communication = conversations.record_inbound_email(
        session,
        customer,
        requirement,
        {
            "subject": parsed.subject or "(no subject)",
            "body": as_html(shown) if shown else None,
            "participants": [parsed.from_address],
        },
        message_id=parsed.message_id,
        is_automatic=bool(parsed.automatic),
        clock=clock,
    )
    attachments.keep(
        session,
        store,
        communication,
        parsed.attachments,
        policy=settings.attachment_policy,
        clock=clock,
    )
    row.communication_id = communication.id
    row.requirement_id = communication.requirement_id
    row.matched_by = matched_by
    return row


def _new_customer(session: Session, parsed: ParsedEmail, clock: Clock) -> Customer | None:
    """A customer for an unknown sender, named as their mail names them."""
    if not parsed.from_address:
        return None
    name = parsed.from_name or parsed.from_address.partition("@")[0]
    try:
        with session.begin_nested():
            return profiles.create_customer(
                session,
                {"name": name[:200], "emails": [parsed.from_address]},
                actor_id=None,
                clock=clock,
            )
    except ValidationFailed:
        return None  # an address we cannot keep: the message stays unmatched


def _bounce(
    session: Session, parsed: ParsedEmail, recipients: Sequence[str], clock: Clock
) -> InboundEmail:
    """A delivery status notification: suppress each failed address and fail the message
    that bounced. Nothing is sent in answer."""
    row = _row(parsed, recipients, InboundKind.BOUNCE, clock)
    details = [f"{f.address}: {f.status} {f.diagnostic}".strip() for f in parsed.failed_recipients]
    row.note = ("; ".join(details) or "delivery report without a failed recipient")[:300]
    session.add(row)
    session.flush()
    for failed in parsed.failed_recipients:
        if session.scalar(
            select(EmailSuppression.id).where(EmailSuppression.email == failed.address)
        ):
            continue
        session.add(
            EmailSuppression(
                email=failed.address,
                reason="bounced",
                detail=f"{failed.status} {failed.diagnostic}".strip()[:300],
                inbound_email_id=row.id,
                created_at=clock.now(),
            )
        )
    if parsed.bounced_message_ids:
        failed_addresses = {f.address for f in parsed.failed_recipients}
        bounced = OutboxMessage.message_id.in_(parsed.bounced_message_ids)
        query = update(OutboxMessage).where(bounced)
        if failed_addresses:
            query = query.where(func.lower(OutboxMessage.to_address).in_(failed_addresses))
        session.execute(
            query.values(
                status=OutboxStatus.DEAD, last_error=(BOUNCED_PREFIX + row.note)[:2000]
            ).execution_options(synchronize_session=False)
        )
        # A bounced outreach step: its event says so too (the strategy's results read it).
        sync_delivery(session, select(OutboxMessage.id).where(bounced), now=clock.now())
    session.flush()
    return row
