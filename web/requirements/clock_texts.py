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
from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import Team, User
from web import i18n
from web.extensions import db
from web.record_words import enum_label
from web.templating import viewer_zone
from workflows.channels import attachments
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


def _named(model: type[Team] | type[User]) -> Callable[[str], str]:
    """A stored id ("moved to team 3") as the row's name, or as it is when the row is gone."""

    def name(text: str) -> str:
        row = db.session.get(model, int(text)) if text.isdigit() else None
        return row.name if row is not None else text

    return name


def _due(text: str) -> str:
    """A stored UTC time ("2099-01-05 09:30:00") in the viewer's zone, with the zone's name."""
    try:
        at = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return text
    local = at.astimezone(viewer_zone())
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


# Sentences shown in other words than they are stored in: the due time is the viewer's, not UTC.
_SHOWN_AS = {clock_words.AT_RISK_DUE: _l("%(metric)s at risk: due %(due)s")}


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
    "team": _named(Team),
    "user": _named(User),
    "due": _due,
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
            if msgid in _SHOWN_AS:
                return str(_SHOWN_AS[msgid]) % values
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


def description(text: str | None) -> str | None:
    """A requirement's description: the one the system wrote for a follower in the reader's
    words, a typed one as it is."""
    return in_words(text, (clock_words.FOLLOWS,)) if text else text


def refusal(text: str | None) -> str | None:
    """Why an attachment was not kept (stored in English) in the reader's words."""
    return in_words(text, attachments.REFUSALS) if text else text
