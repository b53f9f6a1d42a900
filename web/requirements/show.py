"""The requirement page: fields, the assignment form (optimistic locking), the buttons for exactly
the triggers allowed now, the timeline of events and edits, each SLA clock explained, and the
conversation with the customer (the thread and the composer: web/requirements/composer.py)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from models import (
    AuditEntry,
    Customer,
    Requirement,
    RequirementEvent,
    Role,
    SlaClock,
    SlaPolicy,
    SlaPolicyVersion,
    Timer,
    User,
)
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.forms import attach_errors, int_or_zero, shown_value
from web.requirements import assignment, bp, conversation, queries, sla_display
from web.requirements.access import get_requirement_or_404, may_read, my_memberships
from web.requirements.forms import AssignmentForm, build_assignment_form, optional_id
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.tracking import requirements
from workflows.tracking.requirements import TransitionRefused

Page = Response | str | tuple[str, int]
# Events the SLA engine records beside the transitions.
EVENT_LABELS = {
    "open": "Opened",
    "sla_warning": "SLA at risk",
    "sla_breach": "SLA breached",
    "sla_escalation": "SLA escalated",
    "sla_acknowledged": "SLA escalation acknowledged",
}
# Which form field a guard's refusal is about.
GUARDED_FIELD = {"resolve": "note", "merge": "merge_into_id", "assign": "assignee_id"}


def label(name: str | None) -> str:
    """`ask_customer` → "Ask customer"; `in_progress` → "in progress" (for states, lowercase)."""
    return (name or "").replace("_", " ")


@bp.app_template_filter("trigger_label")
def trigger_label(name: str) -> str:
    return label(name).capitalize()


@bp.app_template_filter("state_label")
def state_label(name: str | None) -> str:
    return label(name) or "—"


@bp.app_template_filter("duration")
def duration_filter(seconds: float) -> str:
    return sla_display.duration(seconds)


@bp.get("/requirements/<int:requirement_id>")
@role_required(Role.AGENT)
def show(requirement_id: int) -> str:
    return render_page(get_requirement_or_404(requirement_id))


@bp.post("/requirements/<int:requirement_id>/transitions")
@role_required(Role.AGENT)
def transition(requirement_id: int) -> Page:
    req = get_requirement_or_404(requirement_id)
    trigger = request.form.get("trigger", "").strip()
    values = {k: request.form.get(k, "") for k in ("note", "merge_into_id", "assignee_id")}
    note = values["note"].strip() or None
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    if trigger == "merge":
        data["merge_into_id"] = _merge_target(req, values["merge_into_id"], errors)
    if errors:
        return render_page(req, transition_values=values, transition_errors=errors), 422
    user = current_user._get_current_object()
    clock = current_clock()
    before = req.state
    try:
        if trigger == "assign" and values["assignee_id"].isdigit():
            assignee = db.session.get(User, int(values["assignee_id"]))
            if assignee is not None and assignee.id != req.assignee_id:
                assignment.change_assignment(
                    db.session,
                    req,
                    assignee_id=assignee.id,
                    team_id=req.team_id,
                    priority=req.priority.value,
                    expected_version=None,
                    actor=user,
                    clock=clock,
                )
        requirements.fire(db.session, req, trigger, actor=user, clock=clock, note=note, data=data)
    except TransitionRefused as exc:
        db.session.rollback()
        if trigger in exc.allowed and exc.reasons:  # a guard said no: show why at its field
            field = GUARDED_FIELD.get(trigger, "trigger")
            req = get_requirement_or_404(requirement_id)
            errors = {field: exc.reasons}
            return render_page(req, transition_values=values, transition_errors=errors), 422
        return render_template("requirements/refused.html", requirement=req, error=exc), 409
    except ValidationFailed as exc:
        db.session.rollback()
        req = get_requirement_or_404(requirement_id)
        return render_page(req, transition_values=values, transition_errors=exc.errors), 422
    db.session.commit()
    flash(f"{trigger_label(trigger)}: {label(before)} → {label(req.state)}.", "success")
    return redirect(url_for("requirements.show", requirement_id=req.id), 303)


def _merge_target(req: Requirement, raw: str, errors: dict[str, list[str]]) -> int | None:
    raw = raw.strip().lstrip("#")
    if not raw.isdigit():
        errors["merge_into_id"] = ["Give the number of the requirement to merge into."]
        return None
    target = db.session.get(Requirement, int(raw))
    if target is not None and not may_read(target):
        target = None  # another team's: the same answer as a missing one
    if target is None:
        errors["merge_into_id"] = [f"There is no requirement #{raw}."]
    elif target.id == req.id:
        errors["merge_into_id"] = ["A requirement cannot be merged into itself."]
    elif target.state in requirements.workflow_of(target).final_states:
        errors["merge_into_id"] = [f"#{raw} is {label(target.state)}; choose an open one."]
    return target.id if target is not None else None


@bp.post("/requirements/<int:requirement_id>/assignment")
@role_required(Role.AGENT)
def assign(requirement_id: int) -> Page:
    req = get_requirement_or_404(requirement_id)
    form = build_assignment_form(db.session)
    if not form.validate_on_submit():
        return render_page(req, form=form), 422
    errors: dict[str, list[str]] = {}
    assignee_id = optional_id(form, "assignee_id", errors)
    team_id = optional_id(form, "team_id", errors)
    if errors:
        attach_errors(form, ValidationFailed(errors))
        return render_page(req, form=form), 422
    try:
        changes = assignment.change_assignment(
            db.session,
            req,
            assignee_id=assignee_id,
            team_id=team_id,
            priority=form.priority.data or "",
            expected_version=int_or_zero(form.version.data),
            actor=current_user._get_current_object(),
            clock=current_clock(),
        )
        db.session.commit()
    except (StaleEdit, StaleDataError) as exc:
        # StaleDataError: another save passed the version check at the same moment.
        db.session.rollback()
        return _conflict(form, requirement_id, exc)
    except ValidationFailed as exc:
        db.session.rollback()
        attach_errors(form, exc)
        return render_page(get_requirement_or_404(requirement_id), form=form), 422
    flash("Saved." if changes else "Nothing changed.", "success")
    return redirect(url_for("requirements.show", requirement_id=req.id), 303)


def _load(form: AssignmentForm, req: Requirement) -> None:
    form.version.data = str(req.version)
    form.assignee_id.data = str(req.assignee_id or "")
    form.team_id.data = str(req.team_id or "")
    form.priority.data = req.priority.value


def _conflict(mine: AssignmentForm, requirement_id: int, exc: Exception) -> tuple[str, int]:
    """Keep the editor's choices (now against the saved version, so saving again applies them)
    and show the saved values beside them."""
    req = get_requirement_or_404(requirement_id)
    saved = build_assignment_form(db.session, formdata=None, meta={"csrf": False})
    _load(saved, req)
    rows = []
    for name in assignment.FIELDS:
        theirs, yours = shown_value(saved[name]), shown_value(mine[name])
        rows.append((mine[name].label.text, theirs, yours, theirs != yours))
    mine.version.data = str(req.version)
    reason = exc if isinstance(exc, StaleEdit) else "Someone saved it at the same moment."
    flash(f"Not saved: {reason} Your choices are kept: compare, then save again.", "error")
    return render_page(req, form=mine, conflict=rows), 409


@dataclass(frozen=True)
class Entry:
    """One line of the requirement's timeline: a transition or an edit."""

    at: datetime
    who: str
    what: str
    from_state: str | None = None
    to_state: str | None = None
    note: str | None = None
    kind: str = "event"


def _timeline(req: Requirement, users: dict[int, str]) -> list[Entry]:
    """The timeline; fills `users` with the names of everyone it and the page mention (the
    actors, people in edits, the assignee), in one query."""
    # The kind of the timer behind an event comes in the same query (a timer fires many).
    found = db.session.execute(
        select(RequirementEvent, Timer.kind)
        .outerjoin(Timer, Timer.id == RequirementEvent.timer_id)
        .where(RequirementEvent.requirement_id == req.id)
        .order_by(RequirementEvent.at, RequirementEvent.id)
    ).all()
    events = [event for event, _ in found]
    timers = {event.timer_id: kind for event, kind in found if event.timer_id is not None}
    edits = list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "requirement", AuditEntry.entity_id == req.id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
    user_ids = {e.actor_id for e in [*events, *edits] if e.actor_id is not None}
    user_ids |= {req.assignee_id} if req.assignee_id is not None else set()
    for a in edits:
        before_after = (a.changes or {}).get("assignee_id") or ()
        user_ids |= {v for v in before_after if isinstance(v, int)}
    users.update(_names(User, user_ids))
    teams = dict(queries.team_choices(db.session)) if any(a.changes for a in edits) else {}
    entries = [
        Entry(
            at=e.at,
            who=_who(e.actor_id, e.timer_id, users, timers),
            what=EVENT_LABELS.get(e.trigger) or trigger_label(e.trigger),
            from_state=e.from_state,
            to_state=e.to_state,
            note=e.note,
        )
        for e in events
    ]
    entries += [
        Entry(
            at=a.at,
            who=users.get(a.actor_id, "the system") if a.actor_id else "the system",
            what="Edited",
            note=_describe_changes(a.changes or {}, users, teams),
            kind="edit",
        )
        for a in edits
    ]
    return sorted(entries, key=lambda e: e.at)


def _who(
    actor_id: int | None, timer_id: int | None, users: dict[int, str], timers: dict[int, str]
) -> str:
    if actor_id is not None:
        return users.get(actor_id, f"user #{actor_id}")
    if timer_id is not None:
        return f"timer “{label(timers.get(timer_id, str(timer_id)))}”"
    return "the system"


def _describe_changes(changes: dict[str, Any], users: dict[int, str], teams: dict[int, str]) -> str:
    shown = {"assignee_id": ("assignee", users), "team_id": ("team", teams)}
    parts = []
    for field, (before, after) in sorted(changes.items()):
        name, lookup = shown.get(field, (label(field), {}))
        parts.append(f"{name}: {_value(before, lookup)} → {_value(after, lookup)}")
    return "; ".join(parts)


def _value(value: Any, lookup: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    return lookup.get(value, f"#{value}") if isinstance(value, int) else str(value)


def _names(model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _sla(req: Requirement) -> list[dict[str, Any]]:
    now = current_clock().now()
    clocks = db.session.scalars(
        select(SlaClock)
        .where(SlaClock.requirement_id == req.id)
        .order_by(SlaClock.started_at, SlaClock.id)
    ).all()
    return [
        {
            "clock": c,
            "label": sla_display.metric_label(c),
            "countdown": sla_display.countdown(c, now),
            "steps": sla_display.timeline(c, now),
        }
        for c in clocks
    ]


def _policy(req: Requirement) -> tuple[SlaPolicy, SlaPolicyVersion] | None:
    if req.sla_policy_version_id is None:
        return None
    found = db.session.execute(
        select(SlaPolicy, SlaPolicyVersion)
        .join(SlaPolicyVersion, SlaPolicyVersion.policy_id == SlaPolicy.id)
        .where(SlaPolicyVersion.id == req.sla_policy_version_id)
    ).first()
    return (found[0], found[1]) if found is not None else None


def render_page(
    req: Requirement,
    *,
    form: AssignmentForm | None = None,
    conflict: list[Any] | None = None,
    transition_values: dict[str, str] | None = None,
    transition_errors: dict[str, list[str]] | None = None,
    composer_values: dict[str, str] | None = None,
    composer_errors: dict[str, list[str]] | None = None,
    mode: str = "reply",
) -> str:
    user = current_user._get_current_object()
    if form is None:
        form = build_assignment_form(db.session, formdata=None)
        _load(form, req)
    memberships = my_memberships(user)
    users: dict[int, str] = {}
    timeline = _timeline(req, users)
    teams = dict(queries.team_choices(db.session))  # the assignment form's list: no query
    return render_template(
        "requirements/show.html",
        requirement=req,
        workflow=requirements.workflow_of(req),
        customer=db.session.get(Customer, req.customer_id),
        assignee=users.get(req.assignee_id) if req.assignee_id else None,
        team_name=teams.get(req.team_id) if req.team_id else None,
        allowed=requirements.allowed_triggers(db.session, req, user, memberships),
        may_act=requirements.may_act(db.session, user, req, memberships),
        form=form,
        conflict=conflict,
        transition_values=transition_values or {"assignee_id": str(req.assignee_id or user.id)},
        transition_errors=transition_errors or {},
        timeline=timeline,
        sla=_sla(req),
        policy=_policy(req),
        **conversation.context(
            db.session,
            req,
            user,
            values=composer_values,
            errors=composer_errors,
            mode=mode,
            memberships=memberships,
        ),
        merged_into=db.session.get(Requirement, req.merged_into_id) if req.merged_into_id else None,
        people=[(str(i), n) for i, n in queries.user_choices(db.session)],
        now=current_clock().now(),
    )
