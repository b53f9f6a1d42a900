"""Field messages that workflows produce (a ValidationFailed's texts) in a form a page can show
in the reader's language, without `workflows/` importing Flask.

A `Message` is the English text (what the API, logs and tests see: it *is* a `str`) that also
carries its msgid, marked with `N_()` for extraction, and its values. `web/` shows
`gettext(message.msgid, **message.values)`; plain strings (messages not converted yet) are
shown as they are.
"""

from typing import Any


class Message(str):
    """`Message(N_("Use at most %(limit)s characters."), limit=200)` reads "Use at most 200
    characters." and can be put into other words with its msgid and values."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, **values: Any) -> "Message":
        message = super().__new__(cls, msgid % values if values else msgid)
        message.msgid = msgid
        message.values = values
        return message
