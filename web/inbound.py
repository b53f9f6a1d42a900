"""Receiving email inside the app: the settings and blob store from configuration, and the unit
of work the SMTP process and the HTTP endpoint share (deliver, commit, answer)."""

from collections.abc import Mapping, Sequence
from email.utils import parseaddr
from typing import Any

from flask import current_app

from web.clocks import current_clock
from web.extensions import db
from workflows.channels import attachments
from workflows.channels.inbound import InboundSettings, Receipt, deliver


def inbound_settings(config: Mapping[str, Any]) -> InboundSettings:
    mail_from = parseaddr(str(config["MAIL_FROM"]))[1].lower()
    mail_from_domain = mail_from.rpartition("@")[2]
    inbound_domain = str(config["INBOUND_ADDRESS"]).rpartition("@")[2].lower()
    return InboundSettings(
        inbound_address=str(config["INBOUND_ADDRESS"]),
        secret=str(config["SECRET_KEY"]),
        thread_domains=tuple(dict.fromkeys(d for d in (mail_from_domain, inbound_domain) if d)),
        unknown_senders=str(config["INBOUND_UNKNOWN_SENDERS"]),
        max_bytes=int(config["INBOUND_MAX_BYTES"]),
        sender_limit_per_minute=int(config["INBOUND_SENDER_LIMIT_PER_MINUTE"]),
        reply_languages=tuple(config["INBOUND_REPLY_LANGUAGES"]),
        other_addresses=(mail_from,) if mail_from else (),
        attachment_policy=attachments.AttachmentPolicy(
            max_bytes=int(config["ATTACHMENTS_MAX_BYTES"]),
            allowed_types=tuple(config["ATTACHMENTS_ALLOWED_TYPES"]),
        ),
    )


def blob_store(config: Mapping[str, Any]) -> attachments.BlobStore:
    return attachments.LocalBlobStore(config["ATTACHMENTS_DIR"])


def receive(
    raw: bytes, recipients: Sequence[str], *, envelope_sender: str | None = None
) -> Receipt:
    """Deliver and commit; InboundRefused leaves nothing behind, any other error rolls back."""
    config = current_app.config
    try:
        receipt = deliver(
            db.session,
            raw,
            recipients,
            settings=inbound_settings(config),
            store=blob_store(config),
            clock=current_clock(),
            envelope_sender=envelope_sender,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return receipt
