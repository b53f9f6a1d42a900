"""Field messages that workflows produce (a ValidationFailed's texts, a refusal's reason) in a
form a page can show in the reader's language, without `workflows/` importing Flask.

A `Message` is the English text (what JSON, comparisons and `" ".join(...)` see: it *is* a
`str`) that also carries its msgid, marked with `N_()` for extraction, and its values. Wherever
it is *shown* it speaks the reader's language, as `LazyText` labels do: Jinja (`__html__`),
`str()` (so `str(exc)` of an error raised with a Message), f-strings and `%s` put it into the
ambient locale's words (the web request's; English without one). The API translates its
problem `errors` the same way (`web.problems`); plain strings are shown as they are.
"""

from typing import Any

from markupsafe import escape

from workflows.platform.i18n import display


class Message(str):
    """`Message(N_("Use at most %(limit)s characters."), limit=200)` reads "Use at most 200
    characters." and is shown in the reader's words through its msgid and values."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, **values: Any) -> "Message":
        # The English text takes the English of values that are themselves words (a Message,
        # a LazyText): `%s` alone would put them in the ambient locale's.
        english = {k: str.__str__(v) if isinstance(v, str) else v for k, v in values.items()}
        message = super().__new__(cls, msgid % english if values else msgid)
        message.msgid = msgid
        message.values = values
        return message

    @classmethod
    def joined(cls, separator: str, parts: list[str]) -> "Message":
        """`separator.join(parts)` that still shows each part in the reader's language (its
        msgid is no catalogue entry, so only the parts are translated)."""
        slots = separator.replace("%", "%%").join(f"%(p{i})s" for i in range(len(parts)))
        return cls(slots, **{f"p{i}": part for i, part in enumerate(parts)})

    def __str__(self) -> str:
        return display(self.msgid, None, **self.values)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (a Celery argument, a cache) as what it is, not as its plain English text.
        return (_rebuild, (self.msgid, self.values))


def _rebuild(msgid: str, values: dict[str, Any]) -> Message:
    return Message(msgid, **values)


def message_of(exc: BaseException) -> str:
    """The message an error was raised with, still a `Message` if it was one (`str(exc)`
    would give the ambient locale's plain text)."""
    first = exc.args[0] if len(exc.args) == 1 else None
    return first if isinstance(first, Message) else str(exc)
