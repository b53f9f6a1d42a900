"""SLA policies: validation, versioning and matching.

Editing a policy's settings adds an immutable version; open requirements keep the version they
started under until an admin applies the new one (`workflows.tracking.sla.recompute`).
Matching walks active policies by position: the first whose criteria all hold wins.
"""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Calendar,
    Customer,
    Metric,
    Priority,
    Requirement,
    Role,
    SlaPolicy,
    SlaPolicyVersion,
    Team,
    User,
)
from workflows.platform.clock import Clock
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

SETTINGS = (
    "calendar_id",
    "targets",
    "warning_percent",
    "pause_states",
    "ladder",
    "follow_up_seconds",
)
MATCH_KEYS = ("priorities", "team_ids", "categories", "tags")
DEFAULT_TARGET_KEY = "default"  # targets for priorities not listed
RUNG_AT = ("percent", "breach", "after_breach")
MAX_TARGET_SECONDS = 365 * 24 * 3600


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _clean_targets(raw: Any, errors: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    allowed_keys = [p.value for p in Priority] + [DEFAULT_TARGET_KEY]
    if not isinstance(raw, dict) or not raw:
        errors["targets"] = [
            Message(
                N_(
                    "Give targets in seconds per priority (or “default”), e.g. "
                    '{"default": {"first_response": 3600, "resolution": 86400}}.'
                )
            )
        ]
        return {}
    cleaned: dict[str, dict[str, int]] = {}
    for key, metrics in raw.items():
        if key not in allowed_keys:
            errors.setdefault("targets", []).append(
                Message(
                    N_("“%(key)s”: use one of %(choices)s."),
                    key=key,
                    choices=", ".join(allowed_keys),
                )
            )
            continue
        if not isinstance(metrics, dict):
            errors.setdefault("targets", []).append(
                Message(N_("“%(key)s”: give {metric: seconds}."), key=key)
            )
            continue
        cleaned[key] = {}
        for metric, seconds in metrics.items():
            number = _int(seconds)
            if metric not in Metric.__members__.values():
                errors.setdefault("targets", []).append(
                    Message(
                        N_("“%(key)s”: %(problem)s"),
                        key=f"{key}.{metric}",
                        problem=Message(
                            N_("metrics are %(choices)s."),
                            choices=", ".join(m.value for m in Metric),
                        ),
                    )
                )
            elif number is None or not 1 <= number <= MAX_TARGET_SECONDS:
                errors.setdefault("targets", []).append(
                    Message(
                        N_("“%(key)s”: %(problem)s"),
                        key=f"{key}.{metric}",
                        problem=Message(N_("a whole number of seconds, at least 1.")),
                    )
                )
            else:
                cleaned[key][metric] = number
    return cleaned


def _clean_pause_states(raw: Any, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict) or not all(
        m in Metric.__members__.values() and isinstance(v, list) for m, v in raw.items()
    ):
        errors["pause_states"] = [
            Message(N_('Give {metric: [state, …]}, e.g. {"resolution": ["waiting_on_customer"]}.'))
        ]
        return {}
    return {m: [str(s) for s in states] for m, states in raw.items()}


def _clean_recipient(value: Any) -> str | None:
    text = str(value or "").strip()
    if text in ("assignee", "team_supervisors"):
        return text
    kind, _, rest = text.partition(":")
    if kind == "role" and rest in {r.value for r in Role}:
        return text
    if kind == "user" and rest.isdigit():
        return text
    return None


def _clean_action(value: Any) -> str | None:
    text = str(value or "").strip()
    if text in ("notify", "raise_priority"):
        return text
    kind, _, rest = text.partition(":")
    if kind in ("move_to_team", "reassign") and rest.isdigit():
        return text
    return None


def _clean_ladder(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors["ladder"] = [Message(N_("The ladder is a list of rungs."))]
        return []
    rungs = []
    for index, item in enumerate(raw, start=1):
        problems = []
        if not isinstance(item, dict):
            errors.setdefault("ladder", []).append(
                Message(
                    N_("Rung %(n)s: %(problems)s."),
                    n=index,
                    problems=Message(N_("give an object")),
                )
            )
            continue
        at = item.get("at")
        rung: dict[str, Any] = {"at": at}
        if at not in RUNG_AT:
            problems.append(Message(N_("“at” is one of %(choices)s"), choices=", ".join(RUNG_AT)))
        elif at == "percent":
            value = _int(item.get("value"))
            if value is None or not 1 <= value <= 1000:
                problems.append(Message(N_("“value” is a percentage of the target, 1 to 1000")))
            rung["value"] = value
        elif at == "after_breach":
            seconds = _int(item.get("seconds"))
            if seconds is None or not 0 <= seconds <= MAX_TARGET_SECONDS:
                problems.append(
                    Message(N_("“seconds” after the breach is a whole number, 0 or more"))
                )
            rung["seconds"] = seconds
        recipients = [_clean_recipient(r) for r in item.get("recipients") or ["assignee"]]
        if None in recipients:
            problems.append(
                Message(
                    N_(
                        "recipients are assignee, team_supervisors, "
                        "role:<agent|supervisor|admin> or user:<id>"
                    )
                )
            )
        actions = [_clean_action(a) for a in item.get("actions") or ["notify"]]
        if None in actions:
            problems.append(
                Message(
                    N_(
                        "actions are notify, raise_priority, move_to_team:<team id> "
                        "or reassign:<user id>"
                    )
                )
            )
        rung["recipients"] = recipients
        rung["actions"] = actions
        if problems:
            errors.setdefault("ladder", []).append(
                Message(
                    N_("Rung %(n)s: %(problems)s."),
                    n=index,
                    problems=Message.joined("; ", problems),
                )
            )
        rungs.append(rung)
    return rungs


def clean(session: Session, data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate policy fields; one ValidationFailed names every bad field."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def given(key: str) -> bool:
        return not partial or key in data

    if given("name"):
        out["name"] = str(data.get("name") or "").strip()[:120]
        if not out["name"]:
            errors["name"] = [Message(N_("Give the policy a name."))]
    if "position" in data:
        out["position"] = _int(data["position"])
        if out["position"] is None:
            errors["position"] = [Message(N_("A whole number; lower positions are matched first."))]
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = [Message(N_("true or false."))]
        out["active"] = bool(data["active"])
    if given("match"):
        match = data.get("match") or {}
        if not isinstance(match, dict) or set(match) - set(MATCH_KEYS):
            errors["match"] = [
                Message(N_("Match on any of: %(choices)s (lists)."), choices=", ".join(MATCH_KEYS))
            ]
        else:
            out["match"] = _clean_match(session, match, errors)
    if given("calendar_id"):
        calendar_id = _int(data.get("calendar_id"))
        if calendar_id is None or session.get(Calendar, calendar_id) is None:
            errors["calendar_id"] = [Message(N_("Choose an existing calendar."))]
        out["calendar_id"] = calendar_id
    if given("targets"):
        out["targets"] = _clean_targets(data.get("targets"), errors)
    if given("warning_percent"):
        value = _int(data.get("warning_percent", 80))
        if value is None or not 1 <= value <= 100:
            errors["warning_percent"] = [
                Message(N_("A percentage of the target, 1 to 100 (100: no warning)."))
            ]
        out["warning_percent"] = value
    if given("pause_states"):
        out["pause_states"] = _clean_pause_states(data.get("pause_states"), errors)
    if given("ladder"):
        out["ladder"] = _clean_ladder(data.get("ladder"), errors)
    if given("follow_up_seconds"):
        raw = data.get("follow_up_seconds")
        value = None if raw in (None, "") else _int(raw)
        if raw not in (None, "") and (value is None or value < 1):
            errors["follow_up_seconds"] = [
                Message(N_("Business seconds without agent activity, or null."))
            ]
        out["follow_up_seconds"] = value
    if errors:
        raise ValidationFailed(errors)
    return out


def _clean_match(
    session: Session, match: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, list[Any]]:
    cleaned: dict[str, list[Any]] = {}
    for key in MATCH_KEYS:
        values = match.get(key) or []
        if not isinstance(values, list):
            errors.setdefault("match", []).append(Message(N_("“%(key)s” is a list."), key=key))
            continue
        if key == "priorities":
            bad = [v for v in values if v not in {p.value for p in Priority}]
            if bad:
                errors.setdefault("match", []).append(
                    Message(N_("Unknown priorities: %(values)s."), values=", ".join(map(str, bad)))
                )
        if key == "team_ids":
            ids = [_int(v) for v in values]
            known = set(session.scalars(select(Team.id).where(Team.id.in_([i for i in ids if i]))))
            if None in ids or set(ids) - known:
                errors.setdefault("match", []).append(Message(N_("Unknown team ids.")))
            values = ids
        if values:
            cleaned[key] = [str(v) if key != "team_ids" else v for v in values]
    return cleaned


def _check_name_free(session: Session, name: str, policy_id: int | None) -> None:
    taken = session.scalar(select(SlaPolicy.id).where(SlaPolicy.name == name))
    if taken is not None and taken != policy_id:
        raise ValidationFailed.field("name", Message(N_("Another policy has this name.")))


def create(
    session: Session, data: dict[str, Any], *, actor: User | None, clock: Clock
) -> SlaPolicy:
    values = clean(session, data)
    _check_name_free(session, values["name"], None)
    now = clock.now()
    position = values.get("position")
    if position is None:
        position = (session.scalar(select(func.max(SlaPolicy.position))) or 0) + 10
    policy = SlaPolicy(
        name=values["name"],
        position=position,
        active=values.get("active", True),
        match=values.get("match", {}),
        created_at=now,
        updated_at=now,
    )
    session.add(policy)
    session.flush()
    _add_version(session, policy, values, actor=actor, clock=clock)
    return policy


def update(
    session: Session,
    policy: SlaPolicy,
    data: dict[str, Any],
    *,
    expected_version: int | None,
    actor: User | None,
    clock: Clock,
) -> bool:
    """Change the given fields; settings changes add a version. True when a version was added."""
    if expected_version is not None and expected_version != policy.version:
        raise StaleEdit(expected_version, policy.version)
    values = clean(session, data, partial=True)
    if "name" in values:
        _check_name_free(session, values["name"], policy.id)
    for key in ("name", "position", "active", "match"):
        if key in values:
            setattr(policy, key, values[key])
    policy.updated_at = clock.now()
    current = policy.current_version
    changed = {k: v for k, v in values.items() if k in SETTINGS}
    if current is not None and all(getattr(current, k) == v for k, v in changed.items()):
        session.flush()
        return False
    merged = {k: getattr(current, k) for k in SETTINGS} if current else {}
    merged.update(changed)
    _add_version(session, policy, merged, actor=actor, clock=clock)
    return True


def _add_version(
    session: Session, policy: SlaPolicy, values: dict[str, Any], *, actor: User | None, clock: Clock
) -> SlaPolicyVersion:
    number = (
        session.scalar(
            select(func.max(SlaPolicyVersion.number)).where(SlaPolicyVersion.policy_id == policy.id)
        )
        or 0
    ) + 1
    version = SlaPolicyVersion(
        policy_id=policy.id,
        number=number,
        calendar_id=values["calendar_id"],
        targets=values["targets"],
        warning_percent=values.get("warning_percent") or 80,
        pause_states=values.get("pause_states") or {},
        ladder=values.get("ladder") or [],
        follow_up_seconds=values.get("follow_up_seconds"),
        created_at=clock.now(),
        created_by_id=actor.id if actor else None,
    )
    session.add(version)
    session.flush()
    policy.current_version_id = version.id
    policy.current_version = version
    session.flush()
    return version


def ordered(session: Session) -> list[SlaPolicy]:
    return list(session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)))


def reorder(session: Session, policy_ids: list[int], *, clock: Clock) -> None:
    """Set positions from an ordered list of ids (every policy, each once)."""
    policies = {p.id: p for p in ordered(session)}
    if sorted(policy_ids) != sorted(policies):
        raise ValidationFailed.field("order", Message(N_("List every policy id exactly once.")))
    for index, policy_id in enumerate(policy_ids):
        policies[policy_id].position = (index + 1) * 10
        policies[policy_id].updated_at = clock.now()
    session.flush()


def matches(policy: SlaPolicy, requirement: Requirement, customer_tags: set[str]) -> bool:
    match = policy.match or {}
    checks = (
        ("priorities", str(requirement.priority)),
        ("team_ids", requirement.team_id),
        ("categories", requirement.category),
    )
    for key, value in checks:
        if match.get(key) and value not in match[key]:
            return False
    wanted = set(match.get("tags") or [])
    return not wanted or bool(wanted & (customer_tags | set(requirement.tags or [])))


def is_catch_all(policy: SlaPolicy) -> bool:
    """True when the policy matches every requirement: no conditions, or only conditions every
    requirement meets (all the priorities). Teams, categories and tags never count: a
    requirement can have none."""
    everything = {p.value for p in Priority}
    for key in MATCH_KEYS:
        values = (policy.match or {}).get(key) or []
        if values and not (key == "priorities" and set(values) >= everything):
            return False
    return True


def shadowed_by(session: Session, policy: SlaPolicy | None) -> SlaPolicy | None:
    """The active catch-all above `policy` in the matching order (for None, a new policy: above
    the end of it): every requirement matches that one first, so `policy` is never used."""
    for other in ordered(session):
        if policy is not None and other.id == policy.id:
            return None
        if other.active and is_catch_all(other):
            return other
    return None


def match(session: Session, requirement: Requirement) -> SlaPolicyVersion | None:
    """The current version of the first active policy matching the requirement, if any."""
    customer = session.get(Customer, requirement.customer_id)
    tags = {t.name for t in customer.tags} if customer else set()
    for policy in ordered(session):
        if (
            policy.active
            and policy.current_version is not None
            and matches(policy, requirement, tags)
        ):
            return policy.current_version
    return None


def targets_for(version: SlaPolicyVersion, priority: Priority | str) -> dict[str, int]:
    """The priority's own targets, each metric it leaves out taken from `default`."""
    targets = version.targets or {}
    return {**targets.get(DEFAULT_TARGET_KEY, {}), **targets.get(str(priority), {})}


def as_dict(policy: SlaPolicy) -> dict[str, Any]:
    current = policy.current_version
    settings = {k: getattr(current, k) for k in SETTINGS} if current else {}
    return {
        "id": policy.id,
        "name": policy.name,
        "position": policy.position,
        "active": policy.active,
        "match": policy.match,
        "current_version": current.number if current else None,
        "current_version_id": current.id if current else None,
        **settings,
        "version": policy.version,
    }
