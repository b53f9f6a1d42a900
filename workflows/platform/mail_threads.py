"""Email threads: the signed reply address that leads an answer back to what it answers, and the
Message-ID a thread hangs from.

A thread is a short key chosen by its owner (`r42`: requirement 42). Its reply address is
`<local>+<thread>-<signature>@<domain>` for the inbound address `<local>@<domain>`; the
signature is an HMAC (itsdangerous, keyed by the app's secret with a salt of its own) written
as 16 lowercase base32 characters, so nobody can guess or forge the address of another thread,
and it survives the mail servers that lower-case local parts.

Every message of a thread carries `References: <thread-<key>@<domain>>` (a root that no real
message has), so an answer from a client that drops the reply address is still matched by its
headers."""

import base64
import hmac
import re
from dataclasses import dataclass

from itsdangerous import Signer
from itsdangerous.encoding import base64_decode
from sqlalchemy.orm import Session

THREAD_RE = re.compile(r"^[a-z][a-z0-9]{0,30}$")
SIGNATURE_CHARS = 16
SALT = "rapport.reply-address"


def _signature(thread: str, secret: str) -> str:
    raw = base64_decode(Signer(secret, salt=SALT).get_signature(thread))
    return base64.b32encode(raw).decode().lower().rstrip("=")[:SIGNATURE_CHARS]


def reply_address(inbound_address: str, thread: str, secret: str) -> str:
    """The address an answer to `thread` should be sent to."""
    if not THREAD_RE.match(thread):
        raise ValueError(f"not a thread key: {thread!r}")
    local, _, domain = inbound_address.rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}+{thread}-{_signature(thread, secret)}@{domain}"


def thread_of(address: str, secret: str) -> str | None:
    """The thread a reply address names, or None when it names none or its signature is wrong."""
    local = address.strip().strip("<>").rpartition("@")[0].lower()
    _, plus, tag = local.partition("+")
    thread, dash, signature = tag.rpartition("-")
    if not (plus and dash and THREAD_RE.match(thread)):
        return None
    if not hmac.compare_digest(signature, _signature(thread, secret)):
        return None
    return thread


def thread_message_id(thread: str, domain: str) -> str:
    """The Message-ID every message of `thread` references."""
    return f"<thread-{thread}@{domain}>"


THREAD_ID_RE = re.compile(r"<thread-([a-z][a-z0-9]{0,30})@([^>\s]+)>")


def threads_referenced(header_value: str, domain: str) -> list[str]:
    """The threads of `domain` that an In-Reply-To or References value names, in order."""
    return [m.group(1) for m in THREAD_ID_RE.finditer(header_value or "") if m.group(2) == domain]


REPLY_SETTINGS_KEY = "rapport.reply_settings"  # session.info: the web app sets it from config


@dataclass(frozen=True)
class ReplySettings:
    """What a message about a thread needs from configuration: where answers go, the key that
    signs reply addresses, and the domain of Rapport's Message-IDs."""

    inbound_address: str
    secret: str
    domain: str


def reply_settings(session: Session) -> ReplySettings | None:
    """The settings the app put on `session` when its transaction began (None outside an app)."""
    session.connection()  # begin the transaction now: beginning it sets them
    return session.info.get(REPLY_SETTINGS_KEY)
