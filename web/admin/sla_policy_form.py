"""The SLA policy form: a draft of strings the template shows (from a saved policy or from the
posted form), the data `workflows.tracking.sla_policies` validates, and the domain's messages
placed at the cell or rung they are about. Durations are entered as “4h”, “1h 30m”, “2d” or
minutes."""

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from models import Metric, Priority, SlaPolicy
from web.record_words import enum_label
from workflows.platform.field_messages import Message
from workflows.tracking import sla_policies, workflow_words
from workflows.tracking.requirements import WORKFLOWS

METRICS = [m.value for m in Metric]
METRIC_LABELS = {
    "first_response": _l("First response"),
    "next_response": _l("Next response"),
    "resolution": _l("Resolution"),
}
TARGET_ROWS = [sla_policies.DEFAULT_TARGET_KEY, *(p.value for p in Priority)]
RUNG_AT = {
    "percent": _l("At a percentage of the target"),
    "breach": _l("At the breach"),
    "after_breach": _l("After the breach"),
}
RECIPIENTS = {
    "assignee": _l("Assignee"),
    "team_supervisors": _l("Team supervisors"),
    "role:supervisor": _l("Every supervisor"),
    "role:admin": _l("Every admin"),
}
RUNG_ACTIONS = {"notify": _l("notify"), "raise_priority": _l("raise priority")}
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
DURATION_HELP = _l(
    "e.g. 30m, 4h, 1h 30m or 2d (a day is 24 hours of business time); a bare number is minutes"
)


def parse_duration(text: str) -> int | None:
    """Seconds of “4h”, “1h 30m”, “2d”, “90s” or “45” (minutes); None when it is not one."""
    compact = re.sub(r"\s+", "", text or "").lower()
    if compact.isdigit():
        return int(compact) * 60
    if not re.fullmatch(r"(\d+(\.\d+)?[dhms])+", compact):
        return None
    parts = re.findall(r"(\d+(?:\.\d+)?)([dhms])", compact)
    return round(sum(float(number) * UNITS[unit] for number, unit in parts))


def format_duration(seconds: float | None) -> str:
    """Hours, minutes and seconds, never days (a business “day” would mislead): “26h 30m”."""
    if seconds is None:
        return ""
    rest, parts = round(abs(seconds)), []
    for unit in ("h", "m", "s"):
        count, rest = divmod(rest, UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"


def pause_choices() -> list[tuple[str, list[str]]]:
    """Each workflow's label and the states in which a clock may still be running."""
    return [(w.label, [s for s in w.states if w.is_active(s)]) for w in WORKFLOWS.values()]


def default_pauses() -> dict[str, str]:
    """Per metric, what “workflow default” means, e.g. “Support request: waiting on customer”."""
    return {
        metric: "; ".join(
            f"{w.label}: {', '.join(w.state_label(s) for s in w.sla_pause_states[metric])}"
            for w in WORKFLOWS.values()
            if w.sla_pause_states.get(metric)
        )
        or _("never pauses")
        for metric in METRICS
    }


# ---------------------------------------------------------------- draft of a saved policy


def draft_of(policy: SlaPolicy | None, calendar_id: int | None = None) -> dict[str, Any]:
    if policy is None:
        return draft_of_settings(
            {
                "name": "",
                "active": True,
                "match": {},
                "calendar_id": calendar_id,
                "targets": {},
                "warning_percent": 80,
                "pause_states": {},
                "ladder": [],
                "follow_up_seconds": None,
                "version": "",
            }
        )
    return draft_of_settings(sla_policies.as_dict(policy))


def draft_of_settings(values: dict[str, Any]) -> dict[str, Any]:
    match = values.get("match") or {}
    targets = values.get("targets") or {}
    pauses = values.get("pause_states") or {}
    return {
        "version": str(values.get("version") or ""),
        "name": values.get("name") or "",
        "active": bool(values.get("active", True)),
        "priorities": list(match.get("priorities") or []),
        "team_ids": [str(i) for i in match.get("team_ids") or []],
        "categories": ", ".join(match.get("categories") or []),
        "tags": ", ".join(match.get("tags") or []),
        "calendar_id": str(values.get("calendar_id") or ""),
        "targets": {
            row: {m: format_duration(targets.get(row, {}).get(m)) for m in METRICS}
            for row in TARGET_ROWS
        },
        "warning_percent": str(values.get("warning_percent") or ""),
        "pause_default": {m: m not in pauses for m in METRICS},
        "pause_states": {m: list(pauses.get(m) or []) for m in METRICS},
        "ladder": [_rung_draft(r) for r in values.get("ladder") or []],
        "follow_up": format_duration(values.get("follow_up_seconds")),
    }


def _rung_draft(rung: dict[str, Any]) -> dict[str, Any]:
    recipients = [str(r) for r in rung.get("recipients") or []]
    actions = [str(a) for a in rung.get("actions") or []]

    def target(kind: str) -> str:
        return next((a.partition(":")[2] for a in actions if a.startswith(f"{kind}:")), "")

    at = rung.get("at") or ""
    value = rung.get("value") if at == "percent" else None
    return {
        "at": at,
        "value": format_duration(rung.get("seconds")) if at == "after_breach" else str(value or ""),
        "recipients": [r for r in recipients if not r.startswith("user:")],
        "user_ids": [r.partition(":")[2] for r in recipients if r.startswith("user:")],
        "notify": "notify" in actions,
        "raise_priority": "raise_priority" in actions,
        "move_to_team": target("move_to_team"),
        "reassign": target("reassign"),
    }


# ---------------------------------------------------------------- the posted form


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def posted(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The draft to show again, the data for the workflow, and errors found before it (durations
    that are not durations), placed like `place` places the workflow's."""
    errors: dict[str, Any] = {"fields": {}, "cells": {}, "rungs": {}}
    draft = {
        "version": form.get("version", ""),
        "name": form.get("name", ""),
        "active": bool(form.get("active")),
        "priorities": form.getlist("priorities"),
        "team_ids": form.getlist("team_ids"),
        "categories": form.get("categories", ""),
        "tags": form.get("tags", ""),
        "calendar_id": form.get("calendar_id", ""),
        "targets": {
            row: {m: form.get(f"target-{row}-{m}", "").strip() for m in METRICS}
            for row in TARGET_ROWS
        },
        "warning_percent": form.get("warning_percent", "").strip().rstrip("%").strip(),
        "pause_default": {m: bool(form.get(f"pause-{m}-default")) for m in METRICS},
        "pause_states": {m: form.getlist(f"pause-{m}") for m in METRICS},
        "ladder": _posted_rungs(form),
        "follow_up": form.get("follow_up", "").strip(),
    }
    targets: dict[str, dict[str, int]] = {}
    for row, cells in draft["targets"].items():
        for metric, text in cells.items():
            if not text:
                continue
            seconds = parse_duration(text)
            if seconds is None:
                message = _(
                    "“%(text)s” is not a duration (%(help)s).", text=text, help=DURATION_HELP
                )
                errors["cells"][f"{row}.{metric}"] = [message]
            else:
                targets.setdefault(row, {})[metric] = seconds
    if not targets and not errors["cells"]:
        errors["fields"]["targets"] = [
            _("Give at least one target, e.g. a default resolution of 3d.")
        ]
    follow_up = parse_duration(draft["follow_up"]) if draft["follow_up"] else None
    if draft["follow_up"] and follow_up is None:
        errors["fields"]["follow_up_seconds"] = [
            _("“%(text)s” is not a duration.", text=draft["follow_up"])
        ]
    data = {
        "name": draft["name"],
        "active": draft["active"],
        "match": {
            "priorities": draft["priorities"],
            "team_ids": draft["team_ids"],
            "categories": _words(draft["categories"]),
            "tags": _words(draft["tags"]),
        },
        "calendar_id": draft["calendar_id"],
        "targets": targets,
        "warning_percent": draft["warning_percent"],
        "pause_states": {
            m: draft["pause_states"][m] for m in METRICS if not draft["pause_default"][m]
        },
        "ladder": [_rung_data(index, r, errors) for index, r in enumerate(draft["ladder"])],
        "follow_up_seconds": follow_up,
    }
    return draft, data, errors


def _posted_rungs(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    """Rows with an “at” and not marked for removal, in their order on the page."""
    rungs = []
    for i in range(min(int(form.get("rungs") or 0), 50)):
        at = form.get(f"rung-{i}-at", "")
        if not at or form.get(f"rung-{i}-remove"):
            continue
        rungs.append(
            {
                "at": at,
                "value": form.get(f"rung-{i}-value", "").strip(),
                "recipients": form.getlist(f"rung-{i}-recipients"),
                "user_ids": form.getlist(f"rung-{i}-users"),
                "notify": bool(form.get(f"rung-{i}-notify")),
                "raise_priority": bool(form.get(f"rung-{i}-raise_priority")),
                "move_to_team": form.get(f"rung-{i}-move_to_team", ""),
                "reassign": form.get(f"rung-{i}-reassign", ""),
            }
        )
    return rungs


def _rung_data(index: int, rung: dict[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "at": rung["at"],
        "recipients": rung["recipients"] + [f"user:{u}" for u in rung["user_ids"] if u],
        "actions": [
            *(["notify"] if rung["notify"] else []),
            *(["raise_priority"] if rung["raise_priority"] else []),
            *([f"move_to_team:{rung['move_to_team']}"] if rung["move_to_team"] else []),
            *([f"reassign:{rung['reassign']}"] if rung["reassign"] else []),
        ],
    }
    if not data["actions"]:
        errors["rungs"].setdefault(index, []).append(_("Choose at least one action."))
    if rung["at"] == "percent":
        data["value"] = rung["value"].rstrip("%").strip()
    elif rung["at"] == "after_breach":
        data["seconds"] = parse_duration(rung["value"]) if rung["value"] else 0
        if data["seconds"] is None:
            errors["rungs"].setdefault(index, []).append(
                _(
                    "“%(text)s” is not a delay after the breach (%(help)s).",
                    text=rung["value"],
                    help=DURATION_HELP,
                )
            )
    return data


def place(domain_errors: dict[str, list[str]], errors: dict[str, Any]) -> dict[str, Any]:
    """Add the workflow's messages to `errors`: “Rung 2: …” at rung row 2, “default.resolution”
    at its target cell, the rest at their field."""
    for field, messages in domain_errors.items():
        for message in messages:
            rung = re.match(r"Rung (\d+): (.*)$", message) if field == "ladder" else None
            cell = re.match(r"“(\w+)\.(\w+)”: (.*)$", message) if field == "targets" else None
            if rung:
                errors["rungs"].setdefault(int(rung[1]) - 1, []).append(_part(message, rung[2]))
            elif cell:
                errors["cells"].setdefault(f"{cell[1]}.{cell[2]}", []).append(
                    _part(message, cell[3])
                )
            elif field == "targets" and (errors["cells"] or errors["fields"].get("targets")):
                continue  # “give targets”, in JSON terms: the form has said it at the cells
            else:
                errors["fields"].setdefault(field, []).append(message)
    return errors


def _part(message: str, english: str) -> str:
    """The part of “Rung 2: …” or “default.resolution”: …” a row or cell shows, in the reader's
    words when the workflow's `Message` carries it (its `problems` or `problem`)."""
    if isinstance(message, Message):
        return message.values.get("problems") or message.values.get("problem") or english
    return english


def has_errors(errors: dict[str, Any]) -> bool:
    return any(errors[k] for k in ("fields", "cells", "rungs"))


# ---------------------------------------------------------------- settings in words


def summary(values: dict[str, Any], names: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """A policy's fields (`as_dict` or the data posted) in words, for versions and conflicts.
    `names` maps "calendar", "team" and "user" ids (as strings) to names."""
    follow_up = values.get("follow_up_seconds")
    calendar = str(values.get("calendar_id") or "")
    return [
        (_("Name"), str(values.get("name") or "")),
        (_("Active"), _("yes") if values.get("active", True) else _("no")),
        (_("Matches"), match_in_words(values.get("match") or {}, names)),
        (_("Calendar"), names.get("calendar", {}).get(calendar, calendar or _("none"))),
        (_("Targets"), _targets_in_words(values.get("targets") or {})),
        (
            _("Warning at"),
            _("%(percent)s %% of the target", percent=values.get("warning_percent")),
        ),
        (_("Pauses"), _pauses_in_words(values.get("pause_states") or {})),
        (
            _("Escalation ladder"),
            _ladder_in_words(values.get("ladder") or [], names) or _("none"),
        ),
        (
            _("Follow-up reminder"),
            _("after %(duration)s", duration=format_duration(follow_up))
            if follow_up
            else _("none"),
        ),
    ]


def match_in_words(match: dict[str, list[Any]], names: dict[str, dict[str, str]]) -> str:
    teams = names.get("team", {})

    def shown(key: str, value: Any) -> str:
        if key == "team_ids":
            return teams.get(str(value), str(value))
        return str(enum_label(value)) if key == "priorities" else str(value)

    criteria = [
        f"{label} {', '.join(shown(key, v) for v in match[key])}"
        for key, label in (
            ("priorities", _("priority")),
            ("team_ids", _("team")),
            ("categories", _("category")),
            ("tags", _("tag")),
        )
        if match.get(key)
    ]
    return "; ".join(criteria) or _("every requirement")


def _targets_in_words(targets: dict[str, dict[str, Any]]) -> str:
    return "; ".join(
        f"{_('default') if row == sla_policies.DEFAULT_TARGET_KEY else enum_label(row)}: "
        + ", ".join(
            f"{METRIC_LABELS.get(m, m).lower()} {_seconds_in_words(s)}" for m, s in metrics.items()
        )
        for row, metrics in targets.items()
        if metrics
    ) or _("none")


def _seconds_in_words(value: Any) -> str:
    return format_duration(value) if isinstance(value, int) else str(value)


def _pauses_in_words(pauses: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{METRIC_LABELS[m].lower()}: "
        + (
            (", ".join(workflow_words.state_label(s) for s in pauses[m]) or _("never"))
            if m in pauses
            else _("workflow default")
        )
        for m in METRICS
    )


def _ladder_in_words(ladder: list[dict[str, Any]], names: dict[str, dict[str, str]]) -> str:
    def who(item: str) -> str:
        kind, _colon, rest = item.partition(":")
        if kind in ("user", "reassign"):
            user = names.get("user", {}).get(rest, rest)
            return _("reassign to %(name)s", name=user) if kind == "reassign" else user
        if kind == "move_to_team":
            return _("move to %(team)s", team=names.get("team", {}).get(rest, rest))
        if item in RUNG_ACTIONS:
            return str(RUNG_ACTIONS[item])
        return str(RECIPIENTS.get(item, item.replace("_", " ").replace("role:", "every ")))

    rungs = []
    for index, rung in enumerate(ladder, start=1):
        at = rung.get("at")
        when = {
            "percent": _("at %(percent)s %%", percent=rung.get("value")),
            "breach": _("at the breach"),
            "after_breach": _(
                "%(delay)s after the breach", delay=format_duration(rung.get("seconds") or 0)
            )
            if isinstance(rung.get("seconds"), int)
            else _("after the breach"),
        }.get(str(at), str(at))
        recipients = ", ".join(who(r) for r in rung.get("recipients") or ["assignee"])
        actions = ", ".join(who(a) for a in rung.get("actions") or ["notify"])
        rungs.append(f"{index}. {when}: {recipients} — {actions}")
    return "; ".join(rungs)
