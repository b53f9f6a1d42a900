"""A received message, parsed with the standard library's `email` package (`policy=default`):
addresses with their RFC 2047 display names, text and sanitised HTML, the new text without
quoted history or signature (mail-parser-reply), attachments, whether a machine sent it, and
a delivery status notification's failed recipients (RFC 3464)."""

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from mailparser_reply import EmailReplyParser

from workflows.customers.communications import sanitise_body

# Declared charsets read with a superset codec: mail labelled GB2312 is routinely GBK, Big5 is
# often Big5-HKSCS, and ISO-8859-1 is often Windows-1252 (the WHATWG encoding standard does the
# same mapping for web pages).
CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
}
# Languages whose "On … wrote:" / "From: … Sent:" lines mail-parser-reply looks for; each one
# costs about 0.1 ms a message (bench/inbound.py), so the setting INBOUND_REPLY_LANGUAGES
# names the ones a team's customers write in.
REPLY_LANGUAGES = ("en", "de", "fr", "es", "zh")
AUTOMATIC_PRECEDENCE = {"bulk", "auto_reply", "junk", "list"}
# Out-of-office answers that set none of the standard headers still say so in the subject.
OUT_OF_OFFICE_SUBJECTS = re.compile(
    r"^\s*(auto(matic)?\s*(reply|response|antwort)|out of (the )?office|autoreply|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|respuesta autom[aá]tica|自动回复|自動回覆)\b",
    re.IGNORECASE,
)
SUBJECT_PREFIX_RE = re.compile(
    r"^\s*((re|fwd?|aw|wg|sv|antw|回复|答复|转发)\s*[:\uff1a]\s*)+", re.IGNORECASE
)
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
ENCODED_WORD_CHARSET_RE = re.compile(r"=\?([^?*\s]+)(?:\*[^?]*)?\?[bBqQ]\?")


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    is_inline: bool = False


@dataclass
class FailedRecipient:
    address: str
    status: str  # e.g. 5.1.1
    diagnostic: str


@dataclass
class ParsedEmail:
    message_id: str  # the message's own, or one made from its digest when it has none
    has_own_message_id: bool
    from_address: str  # lower-case; empty when the message names no sender
    from_name: str | None
    to: list[str]
    cc: list[str]
    subject: str
    in_reply_to: list[str]
    references: list[str]
    text: str  # the whole message as plain text (for search and the record)
    html: str | None  # the whole HTML part, sanitised
    reply_text: str  # what is shown: new text only, without quoted history or signature
    attachments: list[ParsedAttachment] = field(default_factory=list)
    automatic: str | None = None  # why a machine sent it (header or subject), else None
    is_bounce: bool = False
    failed_recipients: list[FailedRecipient] = field(default_factory=list)
    bounced_message_ids: list[str] = field(default_factory=list)
    size: int = 0
    sha256: str = ""


class MalformedEmail(ValueError):
    """Not an RFC 5322 message we can read."""


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text of a part in its declared charset (or a superset of it); undecodable bytes become
    U+FFFD rather than losing the message."""
    name = (charset or "").strip().strip('"').lower()
    for candidate in (CHARSET_SUPERSETS.get(name, name), "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except LookupError:
            continue
        except UnicodeDecodeError:
            if candidate != "utf-8":
                return data.decode(candidate, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    # A base64 body keeps the sender's CRLF line ends (a quoted-printable or 8-bit one reaches
    # us with LF): one kind of line end, or each CR shows as an extra blank line.
    return decode_bytes(payload, part.get_content_charset()).replace("\r\n", "\n")


def _needs_superset(raw: str) -> bool:
    """Whether a header holds RFC 2047 words in a charset read with a superset codec. The
    standard library decodes those words strictly in the declared charset, so a subject labelled
    GB2312 that is really GBK (as many Chinese clients send) loses its GBK-only characters."""
    return any(name.lower() in CHARSET_SUPERSETS for name in ENCODED_WORD_CHARSET_RE.findall(raw))


def decode_words(raw: str) -> str | None:
    """A header value with its RFC 2047 words decoded each with `decode_bytes` (so in the
    superset of its declared charset); None when the words cannot be read at all."""
    try:
        parts = decode_header(raw)
    except Exception:  # a malformed word (bad base64): the standard reading stands
        return None
    return "".join(
        decode_bytes(text, charset) if isinstance(text, bytes) else text for text, charset in parts
    )


def _subject(message: Message) -> str:
    raw = _raw_header(message, "Subject")
    decoded = decode_words(raw) if _needs_superset(raw) else None
    return " ".join((decoded if decoded is not None else _header(message, "Subject")).split())


def _raw_header(message: Message, name: str) -> str:
    """A header field's value as sent, unfolded: for the ASCII fields (Message-IDs, flags,
    DSN fields), where the header registry's parsing costs more than the rest of the message."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return " ".join(str(value).split())
    return ""


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse is read as absent
        return ""
    return str(value or "").strip()


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lower-case address) pairs; display names decoded from RFC 2047."""
    wanted = name.lower()
    raw = [" ".join(str(v).split()) for k, v in message.raw_items() if k.lower() == wanted]
    if any(_needs_superset(value) for value in raw):
        # Names in a charset the standard library reads too strictly (see _needs_superset):
        # split the raw field (encoded words are ASCII) and decode each name ourselves.
        return [(decode_words(n) or n, a.lower()) for n, a in getaddresses(raw) if "@" in a]
    try:
        header = message.get(name)
        if header is not None and hasattr(header, "addresses"):
            return [
                (a.display_name or "", a.addr_spec.lower())
                for a in header.addresses
                if a.addr_spec and "@" in a.addr_spec
            ]
    except Exception:  # noqa: S110 - fall back to the lenient parser below
        pass
    raw = message.get_all(name, failobj=[]) if hasattr(message, "get_all") else []
    return [(n, a.lower()) for n, a in getaddresses([str(v) for v in raw]) if "@" in a]


def _message_ids(value: str) -> list[str]:
    return MESSAGE_ID_RE.findall(value or "")


def automatic_reason(message: Message, subject: str) -> str | None:
    """Why this message was sent by a machine (RFC 3834 and the common vendor headers)."""
    auto_submitted = _raw_header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _raw_header(message, name):
            return f"{name}: {_raw_header(message, name)}"
    precedence = _raw_header(message, "Precedence").lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if OUT_OF_OFFICE_SUBJECTS.match(subject):
        return "out-of-office subject"
    return None


def _is_attachment(part: Message) -> bool:
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    if part.get_filename():
        return True
    maintype = part.get_content_maintype()
    return disposition == "inline" and maintype not in ("text", "multipart")


def _walk(message: Message) -> tuple[list[str], list[str], list[ParsedAttachment]]:
    """Plain and HTML bodies in order, and attachments; a forwarded message (message/rfc822)
    is an attachment, not part of the body."""
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[ParsedAttachment] = []
    stack: list[Message] = [message]
    while stack:
        part = stack.pop(0)
        content_type = part.get_content_type()
        if part.is_multipart():
            if content_type == "message/rfc822" and part is not message:
                attachments.append(_attachment(part, "message.eml"))
                continue
            stack[0:0] = list(part.iter_parts() if hasattr(part, "iter_parts") else [])
            if not hasattr(part, "iter_parts"):
                stack[0:0] = part.get_payload()
            continue
        if _is_attachment(part):
            attachments.append(_attachment(part, "attachment"))
        elif content_type == "text/plain":
            texts.append(_part_text(part))
        elif content_type == "text/html":
            htmls.append(_part_text(part))
        elif part.get_content_maintype() != "text":
            attachments.append(_attachment(part, "attachment"))
    return texts, htmls, attachments


def _attachment(part: Message, default_name: str) -> ParsedAttachment:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
    else:
        data = part.get_payload(decode=True) or b""
    name = part.get_filename() or default_name
    name = name.replace("/", "_").replace("\\", "_").strip()[:255] or default_name
    return ParsedAttachment(
        filename=name,
        content_type=part.get_content_type()[:127],
        data=data,
        is_inline=part.get_content_disposition() == "inline",
    )


def trim_reply(text: str, languages: Sequence[str] = REPLY_LANGUAGES) -> str:
    """The new text of a reply: quoted history and signature cut (mail-parser-reply)."""
    if not text.strip():
        return ""
    try:
        replies = EmailReplyParser(languages=list(languages)).read(text).replies
    except Exception:  # a parser failure shows the whole text, never loses it
        return text.strip()
    shown = (replies[0].body if replies else "").strip()
    return shown or text.strip()


def _delivery_report(message: Message) -> tuple[list[FailedRecipient], list[str]]:
    """RFC 3464: the recipients whose Action is failed, and the bounced message's Message-IDs."""
    failed: list[FailedRecipient] = []
    original_ids: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            groups = part.get_payload()
            for group in groups[1:] if isinstance(groups, list) else []:
                action = _raw_header(group, "Action").lower()
                recipient = _raw_header(group, "Final-Recipient") or _raw_header(
                    group, "Original-Recipient"
                )
                address = recipient.partition(";")[2].strip().strip("<>").lower() or recipient
                if action == "failed" and "@" in address:
                    failed.append(
                        FailedRecipient(
                            address=address,
                            status=_raw_header(group, "Status"),
                            diagnostic=_raw_header(group, "Diagnostic-Code")[:250],
                        )
                    )
        elif content_type in ("message/rfc822", "text/rfc822-headers"):
            if content_type == "message/rfc822":
                inner = part.get_payload()
                headers = inner[0] if isinstance(inner, list) and inner else None
            else:
                headers = message_from_bytes(part.get_payload(decode=True) or b"")
            if headers is not None:
                original_ids += _message_ids(_raw_header(headers, "Message-ID"))
    return failed, original_ids


def parse(raw: bytes, *, reply_languages: Sequence[str] = REPLY_LANGUAGES) -> ParsedEmail:
    """Parse a raw RFC 5322 message; MalformedEmail when it has no header we can read."""
    if not raw or not raw.strip():
        raise MalformedEmail("The message is empty.")
    message = message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise MalformedEmail("The message has no header fields.")
    senders = _addresses(message, "From") or _addresses(message, "Sender")
    from_name, from_address = senders[0] if senders else ("", "")
    if not from_address:
        _, from_address = parseaddr(_raw_header(message, "Return-Path"))
        from_address = from_address.lower()
    subject = _subject(message)[:300]
    digest = hashlib.sha256(raw).hexdigest()
    own_ids = _message_ids(_raw_header(message, "Message-ID"))
    texts, htmls, attachments = _walk(message)
    safe_html = None
    if htmls:
        safe_html, html_as_text = sanitise_body("\n".join(htmls))
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if not text and htmls:
        text = html_as_text
    parsed = ParsedEmail(
        message_id=own_ids[0][:300] if own_ids else f"<{digest}@inbound.rapport>",
        has_own_message_id=bool(own_ids),
        from_address=from_address[:254],
        from_name=(from_name.strip() or None) and from_name.strip()[:200],
        to=[a for _, a in _addresses(message, "To")],
        cc=[a for _, a in _addresses(message, "Cc")],
        subject=subject,
        in_reply_to=_message_ids(_raw_header(message, "In-Reply-To")),
        references=_message_ids(_raw_header(message, "References")),
        text=text,
        html=safe_html,
        reply_text=trim_reply(text, reply_languages),
        attachments=attachments,
        automatic=automatic_reason(message, subject),
        size=len(raw),
        sha256=digest,
    )
    if message.get_content_type() == "multipart/report":
        report_type = (message.get_param("report-type") or "").lower()
        if report_type == "delivery-status":
            parsed.is_bounce = True
            parsed.failed_recipients, parsed.bounced_message_ids = _delivery_report(message)
            parsed.attachments = []  # the returned message is ours, not the customer's
    return parsed


def bare_subject(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes, for a new requirement's title."""
    return SUBJECT_PREFIX_RE.sub("", subject).strip()


def as_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")
