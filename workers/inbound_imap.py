"""IMAP polling for teams whose mailbox lives elsewhere: beat runs `inbound.poll_imap` every
INBOUND_IMAP_INTERVAL seconds when INBOUND_IMAP_HOST is set.

Each unseen message is delivered as the SMTP process would (`web.inbound.receive`, committed),
then flagged \\Seen. A message refused for now (451: the sender's rate) or that failed to store
stays unseen for the next poll; one refused for good is flagged too, so it is not read again.
Two overlapping polls may read the same message: its Message-ID stores it once."""

import email
import logging
from collections.abc import Mapping
from email.utils import getaddresses
from typing import Any

from celery import shared_task
from flask import current_app
from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessageFlags

from web.inbound import receive
from workflows.channels.inbound import InboundRefused

log = logging.getLogger("rapport.inbound")

BATCH = 200  # messages per poll; the next poll takes the rest


@shared_task(name="inbound.poll_imap", acks_late=True, ignore_result=True)
def poll_imap() -> None:
    if current_app.config.get("INBOUND_IMAP_HOST"):
        poll(current_app.config)


def _raw(mailbox: MailBox, uid: str) -> bytes:
    """The message exactly as stored (imap-tools keeps only a parsed copy); PEEK leaves it
    unseen until it is stored."""
    _, data = mailbox.client.uid("FETCH", uid, "(BODY.PEEK[])")
    return next(part[1] for part in data if isinstance(part, tuple))


def _recipients(raw: bytes, inbound_address: str) -> list[str]:
    """The message's To and Cc (a signed reply address among them), then the inbound address:
    everything in the team's mailbox is for Rapport."""
    headers = email.message_from_bytes(raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
    fields = [str(v) for v in headers.get_all("To", []) + headers.get_all("Cc", [])]
    return [a for _, a in getaddresses(fields) if "@" in a] + [inbound_address]


def poll(config: Mapping[str, Any]) -> int:
    """Deliver the folder's unseen messages; returns how many were stored or already known."""
    box = MailBox if config["INBOUND_IMAP_SSL"] else MailBoxUnencrypted
    done = 0
    with box(config["INBOUND_IMAP_HOST"], int(config["INBOUND_IMAP_PORT"])).login(
        config["INBOUND_IMAP_USERNAME"],
        config["INBOUND_IMAP_PASSWORD"],
        config["INBOUND_IMAP_FOLDER"],
    ) as mailbox:
        for uid in mailbox.uids(AND(seen=False))[:BATCH]:
            raw = _raw(mailbox, uid)
            try:
                receive(raw, _recipients(raw, config["INBOUND_ADDRESS"]))
                done += 1
            except InboundRefused as exc:
                if exc.smtp_code < 500:
                    continue  # for now only: the next poll tries again
                log.warning("inbound: IMAP message %s refused: %s", uid, exc.message)
            except Exception:
                log.exception("inbound: IMAP message %s not stored; next poll retries", uid)
                continue
            mailbox.flag(uid, MailMessageFlags.SEEN, True)
    return done
