"""Stored clock and timeline sentences in the reader's language.

An SLA clock's history and the timeline notes the system writes are stored in English, each a
msgid of `workflows.tracking.clock_words` filled with values. Here a stored text is matched
back to its msgid and shown translated, its values put into words too (a state code as the
state's words, "8 h" as a duration, a nested sentence translated in turn). A text that matches
none of them (a note a person typed) is shown as it is.
"""

import functools
import re
from collections.abc import Callable

from flask_babel import gettext as _

from web import i18n
from web.record_words import enum_label
from workflows.tracking import clock_words, workflow_words

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
_DURATION = re.compile(r"^(\d+) (d|h|min|s)$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "min": 60, "s": 1}
_SENTENCES = frozenset({"why", "actions"})  # values that are sentences themselves
_METRICS = {
    "first response": "first_response",
    "next response": "next_response",
    "resolution": "resolution",
}


@functools.cache
def _patterns(msgids: tuple[str, ...]) -> list[tuple[re.Pattern[str], str]]:
    """Each msgid as a regular expression that reads its values back, longest literal first
    (so "%(why)s; target …" is tried before a bare "%(why)s" could swallow it)."""
    compiled = []
    for msgid in msgids:
        pattern, last = "", 0
        for match in _PLACEHOLDER.finditer(msgid):
            pattern += re.escape(msgid[last : match.start()])
            name = match.group(1)
            if name is None:
                pattern += "%"
            elif name in _SENTENCES:
                pattern += f"(?P<{name}>.+?)"
            else:  # one value: never across a "; " that joins reasons
                pattern += f"(?P<{name}>(?:(?!; ).)+?)"
            last = match.end()
        pattern += re.escape(msgid[last:])
        compiled.append((re.compile(f"^{pattern}$", re.DOTALL), msgid))
    literal = lambda item: len(_PLACEHOLDER.sub("", item[1]))  # noqa: E731
    return sorted(compiled, key=literal, reverse=True)


def _duration(text: str) -> str:
    match = _DURATION.match(text)
    if not match:
        return text
    return i18n.duration(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _metric(text: str) -> str:
    from web.requirements.sla_display import METRIC_LABELS  # (sla_display imports this module)

    code = _METRICS.get(text.lower())
    return str(METRIC_LABELS[code]) if code else text


def _state(text: str) -> str:
    return workflow_words.state_label(text.replace(" ", "_"))


def _sentence(text: str) -> str:
    """A nested sentence (a reason inside a reason), or several joined with "; "."""
    return in_words(text, clock_words.WHY)


_VALUES: dict[str, Callable[[str], str]] = {
    "why": _sentence,
    "actions": _sentence,
    "target": _duration,
    "state": _state,
    "before": _state,
    "after": _state,
    "trigger": lambda code: workflow_words.trigger_label(code),
    "kind": lambda kind: workflow_words.timer_label(kind),
    "channel": lambda code: str(enum_label(code)),
    "priority": lambda code: str(enum_label(code)),
    "metric": _metric,
}


def in_words(text: str, msgids: tuple[str, ...]) -> str:
    """`text` (stored English, one of `msgids` filled) in the reader's language."""
    if not text:
        return text
    for pattern, msgid in _patterns(msgids):
        match = pattern.match(text)
        if match:
            values = {
                name: _VALUES.get(name, str)(value) for name, value in match.groupdict().items()
            }
            return _(msgid, **values) if values else _(msgid)
    if "; " in text:  # several reasons in one (an escalation rung's actions)
        return _("; ").join(in_words(part, msgids) for part in text.split("; "))
    return text


def what(text: str) -> str:
    return in_words(text, clock_words.WHAT)


def why(text: str) -> str:
    return in_words(text, clock_words.WHY)


def note(text: str | None) -> str | None:
    return in_words(text, clock_words.NOTES) if text else text
