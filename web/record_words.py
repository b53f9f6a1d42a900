"""Record values in words: the stored enum codes of priorities, channels, directions and
transactions (`urgent`, `inbound`, `refund`) as a reader sees them, in the viewer's language.

The codes stay English in the database and the API; pages show `{{ value|enum_label }}`.
One dict, keyed by the code: a code means the same thing wherever it is stored."""

import enum

from flask import Flask
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from workflows.platform.field_messages import Message

ENUM_LABELS = {
    # Priority
    "low": _l("low"),
    "normal": _l("normal"),
    "high": _l("high"),
    "urgent": _l("urgent"),
    # Communication channels (and consent channels)
    "visit": _l("visit"),
    "call": _l("call"),
    "meeting": _l("meeting"),
    "email": _l("email"),
    "sms": _l("SMS"),
    "note": _l("note"),
    "phone": _l("phone"),
    # Communication directions
    "inbound": _l("inbound"),
    "outbound": _l("outbound"),
    "internal": _l("internal"),
    # Transaction kinds and statuses
    "order": _l("order"),
    "invoice": _l("invoice"),
    "payment": _l("payment"),
    "refund": _l("refund"),
    "open": _l("open"),
    "completed": _l("completed"),
    "cancelled": _l("cancelled"),
    # SLA clock statuses
    "running": _l("running"),
    "paused": _l("paused"),
    "met": _l("met"),
    "breached": _l("breached"),
}


def enum_label(value: enum.Enum | str | None) -> Markup:
    """The words for a stored code; an unknown code is shown as it is."""
    if value is None:
        return Markup("")
    code = value.value if isinstance(value, enum.Enum) else str(value)
    return Markup.escape(str(ENUM_LABELS.get(code, code)))


def capitalised(value: enum.Enum | str | None) -> Markup:
    """`enum_label` with a capital first letter, for a line's heading (no-op in Chinese)."""
    text = str(enum_label(value))
    return Markup.escape(text[:1].upper() + text[1:])


def in_words(message: str) -> str:
    """A workflow's field message in the reader's language (see
    `workflows.platform.field_messages`); a plain string as it is."""
    if isinstance(message, Message):
        return gettext(message.msgid, **message.values)
    return message


def stored_words(entry: dict) -> str:
    """A field message stored with its msgid and values (an import's row errors) in the
    reader's language; one stored as plain text as it is."""
    if entry.get("msgid"):
        return str(Message(entry["msgid"], **(entry.get("values") or {})))
    return str(entry.get("message", ""))


def register(app: Flask) -> None:
    app.jinja_env.filters["stored_words"] = stored_words
    app.jinja_env.filters["enum_label"] = enum_label
    app.jinja_env.filters["enum_heading"] = capitalised
