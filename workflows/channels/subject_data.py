"""The channels' part of a data-subject export and erasure: the files that came with the
customer's communications, and the raw inbound messages kept in the blob store.

The export lists every attachment and adds its bytes under `attachments/` when the caller
passes the blob store (`Subject.blobs`). The erasure anonymises the rows (file names, the
whole text and HTML of inbound messages, sender names) and deletes from the store every blob
no other row still uses: the same file kept once may belong to another customer too."""

import re
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import Attachment, Communication, InboundEmail
from workflows.customers.subject_data import communications_of, row_dict
from workflows.platform.clock import Clock
from workflows.platform.subject_data import ERASED, Section, Subject, register

ATTACHMENT_FIELDS = (
    "id",
    "communication_id",
    "filename",
    "content_type",
    "size",
    "sha256",
    "refusal",
    "is_inline",
    "created_at",
)


def _attachments(session: Session, subject: Subject) -> list[Attachment]:
    communications = select(Communication.id).where(communications_of(subject))
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.communication_id.in_(communications))
            .order_by(Attachment.id)
        )
    )


def _inbound(session: Session, subject: Subject) -> list[InboundEmail]:
    communications = select(Communication.id).where(
        Communication.customer_id.in_(subject.customer_ids)
    )
    emails = [e.lower() for e in subject.emails]
    return list(
        session.scalars(
            select(InboundEmail).where(
                or_(
                    InboundEmail.communication_id.in_(communications),
                    func.lower(InboundEmail.from_address).in_(emails),
                )
            )
        )
    )


def export_attachments(session: Session, subject: Subject) -> list[dict[str, Any]]:
    return [
        {**row_dict(a, ATTACHMENT_FIELDS), "file": _file_name(a) if a.sha256 else None}
        for a in _attachments(session, subject)
    ]


def attachment_files(session: Session, subject: Subject) -> dict[str, bytes]:
    if subject.blobs is None:
        return {}
    files = {}
    for attachment in _attachments(session, subject):
        if attachment.sha256 and subject.blobs.exists(attachment.sha256):
            files[_file_name(attachment)] = subject.blobs.open(attachment.sha256)
    return files


def _file_name(attachment: Attachment) -> str:
    # The id keeps two files of the same name apart; the rest is the name as sent, made safe
    # for a zip entry.
    safe = re.sub(r"[^\w.-]+", "_", attachment.filename or "file").strip("._") or "file"
    return f"{attachment.id}-{safe[:100]}"


def erase_attachments(session: Session, subject: Subject, clock: Clock) -> dict[str, int]:
    """Blobs go after the rows are anonymised in this transaction: were it rolled back, a
    deleted file would be missing behind a row that still names it, which the next run of
    the erasure (it resumes) anonymises anyway."""
    attachments = _attachments(session, subject)
    inbound = _inbound(session, subject)
    digests = {a.sha256 for a in attachments if a.sha256}
    digests |= {m.raw_sha256 for m in inbound if m.raw_sha256}
    for attachment in attachments:
        attachment.filename = ERASED
        attachment.sha256 = None
        attachment.refusal = "erased"
    for message in inbound:
        message.raw_sha256 = None
        message.full_text = ERASED if message.full_text else None
        message.full_html = None
        message.subject = None
        message.from_name = None
    session.flush()
    still_used = set(
        session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(digests)))
    ) | set(
        session.scalars(select(InboundEmail.raw_sha256).where(InboundEmail.raw_sha256.in_(digests)))
    )
    deleted = 0
    if subject.blobs is not None:
        for digest in sorted(digests - still_used):
            subject.blobs.delete(digest)
            deleted += 1
    return {
        "attachments": len(attachments),
        "inbound_emails": len(inbound),
        "blobs_deleted": deleted,
        "blobs_shared_with_others": len(digests & still_used),
    }


register(
    Section(
        "attachments",
        export_attachments,
        erase_attachments,
        files=attachment_files,
        position=35,
        description="files that came with the customer's communications, and raw inbound mail",
    )
)
