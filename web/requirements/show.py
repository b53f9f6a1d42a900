"""The requirement page: fields, the assignment form (optimistic locking), the buttons for exactly
the triggers allowed now, the timeline of events and edits, each SLA clock explained, and the
conversation with the customer (the thread and the composer: web/requirements/composer.py)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
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
from web import history_words, stale_merge
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.forms import attach_errors, int_or_zero, shown_value
from web.requirements import (
    assignment,
    bp,
    clock_texts,
    confirmations,
    conversation,
    queries,
    sla_display,
)
from web.requirements.access import get_requirement_or_404, may_read, my_memberships
from web.requirements.forms import (
    AssignmentForm,
    build_assignment_form,
    category_choices,
    optional_id,
)
from workflows.customers.transactions import amount_text
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.tracking import requirements, workflow_words
from workflows.tracking.declaration import Workflow
from workflows.tracking.requirements import TransitionRefused

Page = Response | str | tuple[str, int]
# Which form field a guard's refusal is about.
GUARDED_FIELD = {"resolve": "note", "merge": "merge_into_id", "assign": "assignee_id"}


def label(name: str | None, workflow: Workflow | str | None = None) -> str:
    """A state's words from its declaration: `in_progress` → "in progress" (lowercase)."""
    return workflow_words.state_label(name, workflow) if name else ""


@bp.app_template_filter("trigger_label")
def trigger_label(name: str, workflow: Workflow | str | None = None) -> str:
    """A trigger's words from its declaration: `ask_customer` → "Ask the customer"."""
    return workflow_words.trigger_label(name, workflow)


@bp.app_template_filter("state_label")
def state_label(name: str | None, workflow: Workflow | str | None = None) -> str:
    return label(name, workflow) or "—"


@bp.app_template_filter("event_note")
def event_note(note: str | None) -> str | None:
    """A timeline event's note: a sentence the system wrote in the reader's words, a typed one
    as it is (web/requirements/clock_texts.py)."""
    return clock_texts.note(note)


@bp.app_template_filter("description_words")
def description_words(text: str | None) -> str | None:
    """A requirement's description: the sentence the system wrote for a follower in the
    reader's words, a typed one as it is."""
    return clock_texts.description(text)


@bp.app_template_filter("refusal_words")
def refusal_words(text: str | None) -> str | None:
    """Why an attachment was not kept, in the reader's words."""
    return clock_texts.refusal(text)


@bp.app_template_filter("timer_label")
def timer_label(kind: str, workflow: Workflow | str | None = None) -> str:
    return workflow_words.timer_label(kind, workflow)


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
    if not confirmations.is_confirmed() and trigger in requirements.allowed_triggers(
        db.session, req, user, my_memberships(user)
    ):
        what = confirmations.sentences([req], trigger)
        if what:
            return _ask_first(req, trigger, values, what, data.get("merge_into_id"))
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
    words = req.workflow
    flash(
        _(
            "%(action)s: %(before)s → %(after)s.",
            action=trigger_label(trigger, words),
            before=label(before, words),
            after=label(req.state, words),
        ),
        "success",
    )
    return redirect(url_for("requirements.show", requirement_id=req.id), 303)


def _ask_first(
    req: Requirement, trigger: str, values: dict[str, str], what: list[str], target_id: int | None
) -> str:
    words = trigger_label(trigger, req.workflow)
    if target_id is not None:
        target = db.session.get(Requirement, target_id)
        title = target.title if target else ""
        what = [*what, _("It will point to #%(id)s “%(title)s”.", id=target_id, title=title)]
    return confirmations.confirmation_page(
        heading=_("%(action)s #%(id)s “%(title)s”?", action=words, id=req.id, title=req.title),
        what=what,
        reqs=[req],
        action=url_for("requirements.transition", requirement_id=req.id),
        fields=[("trigger", trigger), *((k, v) for k, v in values.items() if v)],
        confirm_label=requirements.workflow_of(req).confirm_label(trigger),
        back=url_for("requirements.show", requirement_id=req.id),
    )


def _merge_target(req: Requirement, raw: str, errors: dict[str, list[str]]) -> int | None:
    raw = raw.strip().lstrip("#")
    if not raw.isdigit():
        errors["merge_into_id"] = [_("Give the number of the requirement to merge into.")]
        return None
    target = db.session.get(Requirement, int(raw))
    if target is not None and not may_read(target):
        target = None  # another team's: the same answer as a missing one
    if target is None:
        errors["merge_into_id"] = [_("There is no requirement #%(id)s.", id=raw)]
    elif target.id == req.id:
        errors["merge_into_id"] = [_("A requirement cannot be merged into itself.")]
    elif target.state in requirements.workflow_of(target).final_states:
        errors["merge_into_id"] = [
            _(
                "#%(id)s is %(state)s; choose an open one.",
                id=raw,
                state=label(target.state, target.workflow),
            )
        ]
    return target.id if target is not None else None


@bp.post("/requirements/<int:requirement_id>/assignment")
@role_required(Role.AGENT)
def assign(requirement_id: int) -> Page:
    req = get_requirement_or_404(requirement_id)
    form = build_assignment_form(db.session)
    if not form.validate_on_submit():
        return render_page(req, form=form), 422
    return _save_assignment(req, form)


def _save_assignment(req: Requirement, form: AssignmentForm, *, merged: bool = False) -> Page:
    requirement_id = req.id
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
        if merged:
            return _conflict(form, requirement_id, exc)
        return _merge(form, requirement_id, exc)
    except ValidationFailed as exc:
        db.session.rollback()
        attach_errors(form, exc)
        return render_page(get_requirement_or_404(requirement_id), form=form), 422
    flash(_("Saved.") if changes else _("Nothing changed."), "success")
    return redirect(url_for("requirements.show", requirement_id=req.id), 303)


def _saved_values(req: Requirement) -> dict[str, str]:
    return {
        "version": str(req.version),
        "assignee_id": str(req.assignee_id or ""),
        "team_id": str(req.team_id or ""),
        "priority": req.priority.value,
    }


def _load(form: AssignmentForm, req: Requirement) -> None:
    for name, value in _saved_values(req).items():
        form[name].data = value


def _saved_form(req: Requirement) -> AssignmentForm:
    saved = build_assignment_form(db.session, formdata=None, meta={"csrf": False})
    _load(saved, req)
    return saved


def _merge(mine: AssignmentForm, requirement_id: int, exc: Exception) -> Page:
    """A save on an old version applies only the fields this editor changed (web/stale_merge)."""
    names = list(assignment.FIELDS)
    originals = stale_merge.originals_of(mine, names)
    if not originals:
        return _conflict(mine, requirement_id, exc)
    req = get_requirement_or_404(requirement_id)
    saved = _saved_form(req)
    merged = stale_merge.merge(mine, saved, names, originals)
    mine.version.data = str(req.version)
    if merged.both:
        return _conflict(mine, requirement_id, exc, only=merged.both)
    return _save_assignment(req, mine, merged=True)


def _conflict(
    mine: AssignmentForm, requirement_id: int, exc: Exception, *, only: set[str] | None = None
) -> tuple[str, int]:
    """Keep the editor's choices (now against the saved version, so saving again applies them)
    and show the saved values beside them: the fields both changed, with who and when."""
    req = get_requirement_or_404(requirement_id)
    saved = _saved_form(req)
    names = [n for n in assignment.FIELDS if only is None or n in only]
    who = stale_merge.who_changed(db.session, "requirement", req.id, names, current_clock().now())
    rows = []
    for name in names:
        theirs, yours = shown_value(saved[name]), shown_value(mine[name])
        rows.append((mine[name].label.text, theirs, yours, theirs != yours, who[name]))
    mine.version.data = str(req.version)
    reason = exc if isinstance(exc, StaleEdit) else _("Someone saved it at the same moment.")
    if only is not None:
        reason = _("Someone else changed the same field.")
    flash(
        _("Not saved: %(reason)s Your choices are kept: compare, then save again.", reason=reason),
        "error",
    )
    originals = stale_merge.originals_from(saved, assignment.FIELDS)
    return render_page(req, form=mine, conflict=rows, originals=originals), 409


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
    actors, people in edits, the assignee)."""
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
    # Active users' names come from the list the page's forms load anyway (once per request);
    # only former, deactivated users cost a query.
    active = dict(queries.user_choices(db.session))
    users.update({i: active[i] for i in user_ids if i in active})
    users.update(_names(User, user_ids - active.keys()))
    entries = [
        Entry(
            at=e.at,
            who=_who(e.actor_id, e.timer_id, users, timers),
            what=trigger_label(e.trigger, req.workflow),
            from_state=e.from_state,
            to_state=e.to_state,
            note=clock_texts.note(e.note),
        )
        for e in events
    ]
    entries += [
        Entry(
            at=a.at,
            who=users.get(a.actor_id, _("the system")) if a.actor_id else _("the system"),
            what=_("Edited"),
            note=_describe_changes(a.changes or {}),
            kind="edit",
        )
        for a in edits
    ]
    return sorted(entries, key=lambda e: e.at)


def _who(
    actor_id: int | None, timer_id: int | None, users: dict[int, str], timers: dict[int, str]
) -> str:
    if actor_id is not None:
        return users.get(actor_id, _("user #%(id)s", id=actor_id))
    if timer_id is not None:
        return _("timer “%(name)s”", name=timer_label(timers.get(timer_id, str(timer_id))))
    return _("the system")


def _describe_changes(changes: dict[str, Any]) -> str:
    return history_words.sentence(history_words.describe(db.session, changes, entity="requirement"))


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
    details_values: dict[str, str] | None = None,
    details_errors: dict[str, list[str]] | None = None,
    originals: list[tuple[str, str]] | None = None,
) -> str:
    user = current_user._get_current_object()
    if form is None:
        form = build_assignment_form(db.session, formdata=None)
        _load(form, req)
    if originals is None:  # the values the assignment form was loaded with
        posted = (
            stale_merge.originals_of(form, assignment.FIELDS) if request.method == "POST" else {}
        )
        originals = (
            [(stale_merge.PREFIX + n, v) for n, v in posted.items()]
            if posted
            # Straight from the row: building a form here would query its choices again.
            else [(stale_merge.PREFIX + n, _saved_values(req)[n]) for n in assignment.FIELDS]
        )
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
        originals=originals,
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
        details_values=details_values or _details(req),
        category_choices=category_choices(db.session, req.category),
        details_errors=details_errors or {},
    )


def _details(req: Requirement) -> dict[str, str]:
    return {
        "title": req.title,
        "description": req.description or "",
        "category": req.category or "",
        "tags": ", ".join(req.tags or []),
        "version": str(req.version),
        "amount": amount_text(req.amount) if req.amount is not None else "",
        "currency": req.currency or "",
        "expected_close_on": req.expected_close_on.isoformat() if req.expected_close_on else "",
    }
