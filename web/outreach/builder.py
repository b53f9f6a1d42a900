"""The strategy builder form: flat HTML fields to and from a strategy definition. Step slots
are numbered from 0 (`steps-0-channel`, …); a slot with no channel is unused. Validation is the
workflow's, whose errors name fields as `steps.0.subject`, which the template shows in place."""

from typing import Any

from werkzeug.datastructures import MultiDict

STEP_SLOTS = 5
STEP_FIELDS = (
    "channel",
    "delay_amount",
    "delay_unit",
    "condition",
    "subject",
    "body",
    "title",
    "variant_b_subject",
    "variant_b_body",
    "split",
)


def _text(form: MultiDict[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _number(form: MultiDict[str, str], name: str) -> Any:
    text = _text(form, name)
    return int(text) if text.lstrip("-").isdigit() else (text or None)


def definition_from(form: MultiDict[str, str]) -> dict[str, Any]:
    steps = []
    for slot in range(STEP_SLOTS):
        prefix = f"steps-{slot}-"
        channel = _text(form, prefix + "channel")
        if not channel:
            continue
        step: dict[str, Any] = {
            "channel": channel,
            "delay": {
                "amount": _number(form, prefix + "delay_amount") or 0,
                "unit": _text(form, prefix + "delay_unit") or "calendar_days",
            },
            "condition": _text(form, prefix + "condition") or None,
            "subject": form.get(prefix + "subject") or "",
            "body": form.get(prefix + "body") or "",
            "title": form.get(prefix + "title") or "",
        }
        if _text(form, prefix + "variant_b_body"):
            split = _number(form, prefix + "split") or 50
            step["variants"] = [
                {"key": "A", "weight": split, "subject": step["subject"], "body": step["body"]},
                {
                    "key": "B",
                    "weight": 100 - split if isinstance(split, int) else 50,
                    "subject": form.get(prefix + "variant_b_subject") or "",
                    "body": form.get(prefix + "variant_b_body") or "",
                },
            ]
        steps.append(step)
    audience_kind = _text(form, "audience_kind") or "segment"
    return {
        "audience": {
            "kind": audience_kind,
            "segment_id": _number(form, "segment_id"),
            "days": _number(form, "audience_days"),
            "state": _text(form, "audience_state"),
        },
        "goal": {
            "kpi": _text(form, "goal_kpi") or "reply_rate",
            "target": _text(form, "goal_target") or None,
            "days": _number(form, "goal_days"),
        },
        "steps": steps,
        "window": {
            "weekdays": [int(d) for d in form.getlist("weekdays") if d.isdigit()],
            "start": _text(form, "window_start"),
            "end": _text(form, "window_end"),
            "calendar_id": _number(form, "calendar_id"),
            "default_time_zone": _text(form, "default_time_zone") or "UTC",
        },
        "caps": {
            "per_customer_per_week": _number(form, "per_customer_per_week"),
            "per_channel_per_minute": _number(form, "per_channel_per_minute"),
        },
        "holdout_percent": _number(form, "holdout_percent") or 0,
        "consent": _text(form, "consent") or "granted",
        "stop_on": {"requirement": form.get("stop_on_requirement") == "on"},
        "split": {
            "mode": _text(form, "split_mode") or "fixed",
            "floor": _number(form, "split_floor"),
        },
    }


def form_values(name: str, definition: dict[str, Any]) -> dict[str, Any]:
    """The form's values for a stored (or refused) definition."""
    audience = definition.get("audience") or {}
    goal = definition.get("goal") or {}
    window = definition.get("window") or {}
    caps = definition.get("caps") or {}
    values: dict[str, Any] = {
        "name": name,
        "audience_kind": audience.get("kind") or "segment",
        "segment_id": audience.get("segment_id"),
        "audience_days": audience.get("days"),
        "audience_state": audience.get("state") or "",
        "goal_kpi": goal.get("kpi") or "reply_rate",
        "goal_target": goal.get("target") if goal.get("target") is not None else "",
        "goal_days": goal.get("days") or 30,
        "weekdays": window.get("weekdays", [0, 1, 2, 3, 4]),
        "window_start": window.get("start") or "09:00",
        "window_end": window.get("end") or "17:00",
        "calendar_id": window.get("calendar_id"),
        "default_time_zone": window.get("default_time_zone") or "UTC",
        "per_customer_per_week": caps.get("per_customer_per_week", 3),
        "per_channel_per_minute": caps.get("per_channel_per_minute", 600),
        "holdout_percent": definition.get("holdout_percent", 0),
        "consent": definition.get("consent") or "granted",
        "stop_on_requirement": (definition.get("stop_on") or {}).get("requirement", True),
        "split_mode": (definition.get("split") or {}).get("mode") or "fixed",
        "split_floor": (definition.get("split") or {}).get("floor", 10),
        "steps": [],
    }
    steps = definition.get("steps") or []
    for slot in range(STEP_SLOTS):
        step = steps[slot] if slot < len(steps) else {}
        variants = step.get("variants") or []
        b = variants[1] if len(variants) > 1 else {}
        values["steps"].append(
            {
                "channel": step.get("channel", ""),
                "delay_amount": (step.get("delay") or {}).get("amount", 0 if slot == 0 else 2),
                "delay_unit": (step.get("delay") or {}).get("unit", "calendar_days"),
                "condition": step.get("condition") or "",
                "subject": step.get("subject", ""),
                "body": step.get("body", ""),
                "title": step.get("title", ""),
                "variant_b_subject": b.get("subject", ""),
                "variant_b_body": b.get("body", ""),
                "split": variants[0]["weight"] if variants else 50,
            }
        )
    return values
