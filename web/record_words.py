"""Record values in words: the stored enum codes of priorities, channels, directions and
transactions (`urgent`, `inbound`, `refund`) as a reader sees them, in the viewer's language.

The codes stay English in the database and the API; pages show `{{ value|enum_label }}`.
One dict, keyed by the code: a code means the same thing wherever it is stored."""

import enum

from flask import Flask
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from models.customer import DEFAULT_STAGES
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


# The default lifecycle stages are seeded with English names (`models.customer.DEFAULT_STAGES`):
# a stage still so named is shown in the reader's language, a renamed one as the admin named it.
DEFAULT_STAGE_NAMES = {
    "lead": _l("Lead"),
    "prospect": _l("Prospect"),
    "customer": _l("Customer"),
    "churned": _l("Churned"),
}
_SEEDED_NAMES = dict(DEFAULT_STAGES)


def stage_name(key: str, name: str) -> str:
    if key in DEFAULT_STAGE_NAMES and _SEEDED_NAMES.get(key) == name:
        return str(DEFAULT_STAGE_NAMES[key])
    return name


def stage_words(stage: object) -> str:
    """A lifecycle stage's name (`{{ customer.stage|stage_name }}`)."""
    return stage_name(stage.key, stage.name) if stage is not None else ""  # type: ignore[attr-defined]


def stage_choices(rows: object) -> list[tuple[str, str]]:
    """(key, name) rows of stages for a select, their names in words."""
    return [(key, stage_name(key, name)) for key, name in rows]  # type: ignore[attr-defined]


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
    app.jinja_env.filters["in_words"] = in_words
    app.jinja_env.filters["stage_name"] = stage_words
