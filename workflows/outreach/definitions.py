"""What a strategy version says, validated as data: goal, audience, steps, send window, caps,
holdout, consent rule and stop conditions. Every error names its field (`steps.1.subject`)."""

import zoneinfo
from datetime import time
from typing import Any

from sqlalchemy.orm import Session

from models import Calendar, Segment, Team
from workflows.outreach import templates
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

GOAL_KPIS = ("reply_rate", "meeting_booked", "requirement_resolved", "revenue", "reactivation")
AUDIENCE_KINDS = (
    "segment",
    "requirement_resolved",
    "no_transaction",
    "new_customers",
    "requirement_state",
)
CHANNELS = ("email", "sms", "task")
DELAY_UNITS = ("minutes", "hours", "calendar_days", "business_days")
CONDITIONS = ("no_reply", "requirement_open", "goal_not_reached")
CONSENT_RULES = ("granted", "not_withdrawn")  # contact only after a grant / unless withdrawn
MAX_STEPS = 20
TEXTS = {"email": ("subject", "body"), "sms": ("body",), "task": ("title", "body")}
REQUIRED_TEXTS = {"email": ("subject", "body"), "sms": ("body",), "task": ("title",)}
DEFAULT_WINDOW = {
    "weekdays": [0, 1, 2, 3, 4],
    "start": "09:00",
    "end": "17:00",
    "calendar_id": None,
    "default_time_zone": "UTC",
}
DEFAULT_CAPS = {"per_customer_per_week": 3, "per_channel_per_minute": 600}
SPLIT_MODES = ("fixed", "adaptive")  # fixed: the variants' weights; adaptive: follow the results
DEFAULT_SPLIT = {"mode": "fixed", "floor": 10}
MAX_SPLIT_FLOOR = 50  # percent of new steps each variant keeps, whatever the results say


class _Errors:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)


def _int(
    value: Any,
    field: str,
    e: _Errors,
    *,
    low: int,
    high: int,
    default: int | None = None,
) -> int | None:
    if value in (None, "") and default is not None:
        return default
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        e.add(field, Message(N_("Use a whole number.")))
        return None
    if not low <= value <= high:
        e.add(field, Message(N_("Use a number from %(low)s to %(high)s."), low=low, high=high))
        return None
    return value


def _choice(value: Any, field: str, options: tuple[str, ...], e: _Errors) -> str | None:
    if value not in options:
        e.add(field, Message(N_("Choose one of: %(choices)s."), choices=", ".join(options)))
        return None
    return str(value)


def _goal(raw: Any, e: _Errors) -> dict[str, Any]:
    raw = raw if isinstance(raw, dict) else {}
    kpi = _choice(raw.get("kpi") or "reply_rate", "goal.kpi", GOAL_KPIS, e)
    target = raw.get("target")
    if target in (None, ""):
        target = None
    else:
        try:
            target = float(target)
        except (TypeError, ValueError):
            e.add("goal.target", Message(N_("Use a number (a share in %, a count or an amount).")))
            target = None
    days = _int(raw.get("days"), "goal.days", e, low=1, high=3650, default=30)
    return {"kpi": kpi, "target": target, "days": days}


def _audience(session: Session, raw: Any, e: _Errors) -> dict[str, Any]:
    raw = raw if isinstance(raw, dict) else {}
    kind = _choice(raw.get("kind") or "segment", "audience.kind", AUDIENCE_KINDS, e)
    result: dict[str, Any] = {"kind": kind}
    if kind == "segment":
        segment_id = _int(raw.get("segment_id"), "audience.segment_id", e, low=1, high=2**62)
        if segment_id is not None and session.get(Segment, segment_id) is None:
            e.add("audience.segment_id", Message(N_("No such segment.")))
        result["segment_id"] = segment_id
    elif kind is not None:
        result["days"] = _int(raw.get("days"), "audience.days", e, low=0, high=3650, default=7)
        if kind == "requirement_state":
            state = str(raw.get("state") or "").strip()
            if not state:
                e.add(
                    "audience.state",
                    Message(N_("Name the requirement state (e.g. waiting_on_customer).")),
                )
            result["state"] = state
    return result


def _delay(raw: Any, field: str, e: _Errors) -> dict[str, Any]:
    raw = raw if isinstance(raw, dict) else {}
    unit = _choice(raw.get("unit") or "calendar_days", f"{field}.unit", DELAY_UNITS, e)
    amount = _int(raw.get("amount"), f"{field}.amount", e, low=0, high=100_000, default=0)
    result: dict[str, Any] = {"amount": amount, "unit": unit}
    if unit == "business_days":
        result["calendar_id"] = raw.get("calendar_id")
    return result


def _texts(
    session: Session,
    raw: dict[str, Any],
    field: str,
    channel: str,
    e: _Errors,
) -> dict[str, Any]:
    """Subject (email), body and translations of one step or variant, checked as templates."""
    result: dict[str, Any] = {}
    names = TEXTS[channel]
    for name in names:
        text = str(raw.get(name) or "")
        if name in REQUIRED_TEXTS[channel] and not text.strip():
            e.add(f"{field}.{name}", Message(N_("This field is required.")))
        else:
            for message in templates.problems(text):
                e.add(f"{field}.{name}", message)
        result[name] = text
    translations = raw.get("translations") or {}
    if not isinstance(translations, dict):
        e.add(f"{field}.translations", Message(N_("Use an object of language → texts.")))
        translations = {}
    cleaned: dict[str, dict[str, str]] = {}
    for language, texts in translations.items():
        if not isinstance(texts, dict):
            e.add(f"{field}.translations.{language}", Message(N_("Use an object of texts.")))
            continue
        cleaned[str(language)] = {}
        for name in names:
            text = str(texts.get(name) or "")
            for message in templates.problems(text):
                e.add(f"{field}.translations.{language}.{name}", message)
            cleaned[str(language)][name] = text
    if cleaned:
        result["translations"] = cleaned
    return result


def _step(session: Session, raw: Any, index: int, e: _Errors) -> dict[str, Any]:
    field = f"steps.{index}"
    if not isinstance(raw, dict):
        e.add(field, Message(N_("Each step is an object.")))
        return {}
    channel = _choice(raw.get("channel") or "email", f"{field}.channel", CHANNELS, e) or "email"
    step: dict[str, Any] = {
        "channel": channel,
        "delay": _delay(raw.get("delay"), f"{field}.delay", e),
    }
    condition = raw.get("condition") or None
    if condition is not None:
        condition = _choice(condition, f"{field}.condition", CONDITIONS, e)
    step["condition"] = condition
    step.update(_texts(session, raw, field, channel, e))
    if channel == "task":
        step["due_hours"] = _int(
            raw.get("due_hours"), f"{field}.due_hours", e, low=1, high=24 * 365, default=24
        )
        assignee = str(raw.get("assignee") or "owner")
        if assignee.startswith("team:"):
            team_id = assignee.removeprefix("team:")
            if not team_id.isdigit() or session.get(Team, int(team_id)) is None:
                e.add(f"{field}.assignee", Message(N_("No such team.")))
        elif assignee not in ("owner", "customer_owner"):
            e.add(f"{field}.assignee", Message(N_("Use owner, customer_owner or team:<id>.")))
        step["assignee"] = assignee
    variants = raw.get("variants") or []
    if not isinstance(variants, list):
        e.add(f"{field}.variants", Message(N_("Use a list of variants.")))
        variants = []
    cleaned = []
    keys: set[str] = set()
    for v_index, variant in enumerate(variants):
        v_field = f"{field}.variants.{v_index}"
        if not isinstance(variant, dict):
            e.add(v_field, Message(N_("Each variant is an object.")))
            continue
        key = str(variant.get("key") or chr(ord("A") + v_index))[:20]
        if key in keys:
            e.add(f"{v_field}.key", Message(N_("Each variant needs its own key.")))
        keys.add(key)
        weight = _int(variant.get("weight"), f"{v_field}.weight", e, low=1, high=100, default=50)
        cleaned.append(
            {"key": key, "weight": weight, **_texts(session, variant, v_field, channel, e)}
        )
    if len(cleaned) == 1:
        e.add(f"{field}.variants", Message(N_("Give at least two variants, or none.")))
    step["variants"] = cleaned
    return step


def _clock_time(value: Any, field: str, e: _Errors) -> str | None:
    text = str(value or "").strip()
    if text in ("24:00", "24:00:00"):
        return "24:00"
    try:
        return time.fromisoformat(text).strftime("%H:%M")
    except ValueError:
        e.add(field, Message(N_("Use a time as HH:MM.")))
        return None


def _window(session: Session, raw: Any, e: _Errors) -> dict[str, Any]:
    raw = {**DEFAULT_WINDOW, **(raw if isinstance(raw, dict) else {})}
    weekdays = raw.get("weekdays")
    if (
        not isinstance(weekdays, list)
        or not weekdays
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekdays)
    ):
        e.add(
            "window.weekdays", Message(N_("Choose at least one weekday (0 = Monday … 6 = Sunday)."))
        )
        weekdays = []
    start = _clock_time(raw.get("start"), "window.start", e)
    end = _clock_time(raw.get("end"), "window.end", e)
    if start and start == end:
        e.add("window.end", Message(N_("The window must end at another time than it starts.")))
    calendar_id = raw.get("calendar_id") or None
    if calendar_id is not None:
        calendar_id = _int(calendar_id, "window.calendar_id", e, low=1, high=2**62)
        if calendar_id is not None and session.get(Calendar, calendar_id) is None:
            e.add("window.calendar_id", Message(N_("No such calendar.")))
    zone = str(raw.get("default_time_zone") or "UTC")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        e.add(
            "window.default_time_zone",
            Message(N_("Unknown time zone %(name)s (use an IANA name)."), name=repr(zone)),
        )
    return {
        "weekdays": sorted(set(weekdays)),
        "start": start,
        "end": end,
        "calendar_id": calendar_id,
        "default_time_zone": zone,
    }


def _caps(raw: Any, e: _Errors) -> dict[str, Any]:
    raw = {**DEFAULT_CAPS, **(raw if isinstance(raw, dict) else {})}
    return {
        "per_customer_per_week": _int(
            raw.get("per_customer_per_week"), "caps.per_customer_per_week", e, low=1, high=1000
        ),
        "per_channel_per_minute": _int(
            raw.get("per_channel_per_minute"),
            "caps.per_channel_per_minute",
            e,
            low=1,
            high=1_000_000,
        ),
    }


def _split(raw: Any, steps: list[dict[str, Any]], e: _Errors) -> dict[str, Any]:
    """How the variants of each step share the enrolments: by their fixed weights, or adaptive
    (Thompson sampling over the goal rate, see `workflows.analytics.variant_splits`) with a
    floor in percent that every variant keeps."""
    raw = {**DEFAULT_SPLIT, **(raw if isinstance(raw, dict) else {})}
    mode = _choice(raw.get("mode") or "fixed", "split.mode", SPLIT_MODES, e)
    floor = _int(
        raw.get("floor"),
        "split.floor",
        e,
        low=0,
        high=MAX_SPLIT_FLOOR,
        default=DEFAULT_SPLIT["floor"],
    )
    most = max((len(step.get("variants") or []) for step in steps), default=0)
    if mode == "adaptive" and floor is not None and floor * most > 100:
        e.add(
            "split.floor",
            Message(
                N_("A floor of %(floor)s %% cannot hold for %(count)s variants."),
                floor=floor,
                count=most,
            ),
        )
    return {"mode": mode, "floor": floor}


def is_adaptive(definition: dict[str, Any]) -> bool:
    return (definition.get("split") or {}).get("mode") == "adaptive"


def clean(session: Session, raw: Any) -> dict[str, Any]:
    """The stored form of a definition, or ValidationFailed naming every bad field."""
    if not isinstance(raw, dict):
        raise ValidationFailed.field("definition", Message(N_("Use an object.")))
    e = _Errors()
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        e.add("steps", Message(N_("Add at least one step.")))
        steps_raw = []
    elif len(steps_raw) > MAX_STEPS:
        e.add("steps", Message(N_("Use at most %(limit)s steps."), limit=MAX_STEPS))
    stop_on = raw.get("stop_on") if isinstance(raw.get("stop_on"), dict) else {}
    definition = {
        "goal": _goal(raw.get("goal"), e),
        "audience": _audience(session, raw.get("audience"), e),
        "steps": [_step(session, s, i, e) for i, s in enumerate(steps_raw[:MAX_STEPS])],
        "window": _window(session, raw.get("window"), e),
        "caps": _caps(raw.get("caps"), e),
        "holdout_percent": _int(
            raw.get("holdout_percent"), "holdout_percent", e, low=0, high=90, default=0
        ),
        "consent": _choice(raw.get("consent") or "granted", "consent", CONSENT_RULES, e),
        # Replies, unsubscribes and bounces always stop; a new or reopened requirement stops
        # unless the strategy says otherwise (a nudge about that very requirement would not).
        "stop_on": {"requirement": bool(stop_on.get("requirement", True))},
    }
    definition["split"] = _split(raw.get("split"), definition["steps"], e)
    if e.errors:
        raise ValidationFailed(e.errors)
    return definition


def channels_of(definition: dict[str, Any]) -> list[str]:
    return sorted({step["channel"] for step in definition.get("steps", [])})
