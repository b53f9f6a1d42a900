"""How the pages show SLA clocks: a countdown per running clock and, on the requirement page, a
timeline that explains each clock (started, paused, due, met or breached, and why)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import SlaClock, SlaStatus
from web import i18n
from web.requirements import clock_texts

METRIC_LABELS = {
    "first_response": _l("First response"),
    "next_response": _l("Next response"),
    "resolution": _l("Resolution"),
}


def metric_label(clock: SlaClock) -> str:
    label = str(METRIC_LABELS.get(clock.metric.value, clock.metric.value.replace("_", " ")))
    return f"{label} #{clock.cycle}" if clock.cycle > 1 else label


def duration(seconds: float) -> str:
    """3 min, 2 h 5 min, 1 d 4 h: at most two units, rounded down; under a minute: 40 s (in the
    reader's language: web/i18n.py keeps the words, shared with requirements.js)."""
    return i18n.duration(seconds)


@dataclass(frozen=True)
class Countdown:
    """What a clock's countdown shows now; the browser keeps it ticking from `due_at`."""

    clock: SlaClock
    label: str
    level: str  # ok, at_risk, breached, paused
    text: str

    @property
    def due_at(self) -> datetime | None:
        return self.clock.due_at

    @property
    def warning_at(self) -> datetime | None:
        return self.clock.warning_at


def countdown(clock: SlaClock, now: datetime) -> Countdown:
    label = metric_label(clock)
    if clock.status is SlaStatus.PAUSED or clock.due_at is None:
        return Countdown(clock, label, "paused", _("paused"))
    left = (clock.due_at - now).total_seconds()
    if clock.status is SlaStatus.BREACHED or left <= 0:
        return Countdown(clock, label, "breached", _words("breached", duration(left)))
    level = "at_risk" if clock.warning_at is not None and now >= clock.warning_at else "ok"
    return Countdown(
        clock, label, level, _words("at_risk" if level == "at_risk" else "due", duration(left))
    )


def _words(key: str, length: str) -> str:
    return str(i18n.DURATION_WORDS[key]) % {"duration": length}


@dataclass(frozen=True)
class Step:
    at: datetime | None
    what: str
    why: str = ""
    kind: str = "info"  # a KINDS value, "due" or "info"


def _at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


KINDS = (  # words of `SlaClock.history` ("started", "paused", "met late", …) and their kind
    ("resume", "resume"),
    ("pause", "pause"),
    ("breach", "breached"),
    ("met", "met"),
    ("at risk", "warning"),
    ("warn", "warning"),
    ("escalat", "escalated"),
    ("acknowledg", "ack"),
    ("start", "start"),
    ("cancel", "cancelled"),
)


def _kind(what: str) -> str:
    lowered = what.lower()
    return next((kind for word, kind in KINDS if word in lowered), "info")


def timeline(clock: SlaClock, now: datetime) -> list[Step]:
    """The clock's own history, completed with what its columns say (started, warned, due, met,
    breached, acknowledged) where the history does not already tell it, and each pause's length."""
    steps = [
        Step(_at(entry.get("at")), str(entry.get("what", "")), str(entry.get("why") or ""))
        for entry in clock.history or []
    ]
    # The kind is read from the stored English; the words are the reader's.
    steps = [
        Step(s.at, clock_texts.what(s.what), clock_texts.why(s.why), _kind(s.what)) for s in steps
    ]
    told = {s.kind for s in steps}
    if "start" not in told:
        steps.append(Step(clock.started_at, _("started"), "", "start"))
    if clock.warned_at and "warning" not in told:
        steps.append(Step(clock.warned_at, _("warning sent"), "", "warning"))
    if clock.met_at and "met" not in told:
        steps.append(Step(clock.met_at, _("met"), "", "met"))
    if clock.breached_at and "breached" not in told:
        steps.append(Step(clock.breached_at, _("breached"), "", "breached"))
    if clock.acknowledged_at and "ack" not in told:
        why = _("rung %(rung)s", rung=clock.acknowledged_rung)
        steps.append(Step(clock.acknowledged_at, _("acknowledged"), why, "ack"))
    steps.sort(key=lambda s: (s.at is None, s.at or now))
    steps = _with_pause_lengths(steps, now)
    if clock.status in (SlaStatus.RUNNING, SlaStatus.BREACHED) and clock.due_at is not None:
        if clock.due_at > now:
            steps.append(Step(clock.due_at, _("due"), _("if it keeps running"), "due"))
        elif "breached" not in {s.kind for s in steps}:
            steps.append(Step(clock.due_at, _("was due"), "", "due"))
    return steps


def _with_pause_lengths(steps: list[Step], now: datetime) -> list[Step]:
    """Name each pause's length on the step that ended it (or on the pause, if still paused)."""
    out: list[Step] = []
    paused_at: datetime | None = None
    paused_index: int | None = None
    for step in steps:
        if step.kind == "pause":
            paused_at, paused_index = step.at, len(out)
        elif step.kind == "resume" and paused_at is not None and step.at is not None:
            length = duration((step.at - paused_at).total_seconds())
            paused = _("paused for %(duration)s", duration=length)
            why = f"{step.why}{_('; ')}{paused}" if step.why else paused
            step = Step(step.at, step.what, why, step.kind)
            paused_at = paused_index = None
        out.append(step)
    if paused_at is not None and paused_index is not None:
        held = out[paused_index]
        length = duration((now - paused_at).total_seconds())
        so_far = _("paused for %(duration)s so far", duration=length)
        why = (
            f"{held.why}{_('; ')}{so_far}"
            if held.why
            else _("%(duration)s so far", duration=length)
        )
        out[paused_index] = Step(held.at, held.what, why, held.kind)
    return out
