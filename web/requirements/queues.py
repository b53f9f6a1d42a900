"""The agent queues ("My requirements", "Team queue", "All open") with filters and pages, and
their bulk actions: each selected row in its own savepoint, so one refusal undoes no other."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from models import Priority, Requirement, Role
from web.access import can, role_required
from web.clocks import current_clock
from web.extensions import db
from web.record_words import ENUM_LABELS
from web.requirements import assignment, bp, confirmations, queries, sla_display
from web.requirements.access import my_memberships, readable, team_ids_of
from web.requirements.views import view_url
from web.templating import viewer_zone
from workflows.analytics.ranges import local_midnight, parse_days
from workflows.platform.errors import DomainError, ValidationFailed
from workflows.tracking import requirements, saved_views, search_index, workflow_words
from workflows.tracking.requirements import TransitionRefused

PAGE_SIZE = 25
QUEUE_TITLES = {
    "mine": _l("My requirements"),
    "team": _l("Team queue"),
    "all": _l("All open"),
}
# The SLA-status filter's options and their words.
SLA_CHOICES = [
    ("breached", _l("breached")),
    ("at_risk", _l("at risk")),
    ("due_today", _l("due today")),
    ("paused", _l("paused")),
]
# The names of the filters a message may be about.
FILTER_LABELS = {
    "created_from": _l("Created from"),
    "created_to": _l("Created until"),
    "time_zone": _l("Time zone"),
}
# Triggers a bulk action cannot offer: "assign" has its own button, "merge" needs a target each.
NOT_IN_BULK = frozenset({"assign", "merge"})
MAX_BULK = 200


def _filter_from_args(errors: dict[str, list[str]]) -> queries.QueueFilter:
    """The filter the query string asks for; a bad created date (or zone) is named in `errors`
    and left out."""

    def arg(name: str, allowed: Any = None) -> str | None:
        value = request.args.get(name, "").strip()
        return value if value and (allowed is None or value in allowed) else None

    created_from, created_before = _created_range(errors)
    return queries.QueueFilter(
        state=arg("state", {*queries.ALL_STATES, queries.ANY_STATE}),
        priority=arg("priority", set(Priority)),
        team_id=request.args.get("team", type=int),
        assignee=arg("assignee"),
        workflow=arg("workflow", requirements.WORKFLOWS),
        q=arg("q"),
        sla=arg("sla", queries.SLA_STATUSES),
        category=arg("category"),
        created_from=created_from,
        created_before=created_before,
    )


def _created_zone() -> str:
    """The zone whose days `created_from` and `created_to` name: `time_zone` from the query
    (a report's drill-down link carries the report's), else the viewer's."""
    return request.args.get("time_zone", "").strip() or viewer_zone().key


def _created_range(errors: dict[str, list[str]]) -> tuple[datetime | None, datetime | None]:
    """`created_from` and `created_to` (whole local days, both inclusive) as the instants the
    support report counts between: from the first day's start to the start of the day after
    the last."""
    zone = _created_zone()
    try:
        first, last = parse_days(
            request.args.get("created_from"),
            request.args.get("created_to"),
            zone,
            fields=("created_from", "created_to", "time_zone"),
        )
    except ValidationFailed as exc:
        for field, messages in exc.errors.items():
            errors[field] = [str(m) for m in messages]
        return None, None
    tz = ZoneInfo(zone)
    return (
        local_midnight(first, tz) if first else None,
        local_midnight(last + timedelta(days=1), tz) if last else None,
    )


def _end_of_viewers_day(now: datetime) -> datetime:
    """Midnight after `now` in the viewer's time zone, in UTC: "due today" is their today."""
    return queries.end_of_day(now, viewer_zone())


@bp.get("/requirements")
@role_required(Role.AGENT)
def index() -> str | tuple[str, int]:
    queue = request.args.get("queue", "mine")
    if queue not in queries.QUEUES:
        abort(404)
    if queue == "all" and not can(current_user, Role.SUPERVISOR):
        abort(403, "“All open” needs the supervisor role.")
    errors: dict[str, list[str]] = {}
    flt = _filter_from_args(errors)
    page_number = max(request.args.get("page", 1, type=int), 1)
    my_teams = team_ids_of(db.session, current_user)
    now = current_clock().now()
    query = queries.queue_query(
        db.session,
        queue,
        current_user.id,
        my_teams,
        flt,
        now=now,
        day_end=_end_of_viewers_day(now),
    ).where(readable())
    rows, has_next = (
        ([], False) if errors else queries.page_of(db.session, query, page_number, PAGE_SIZE)
    )
    total = None
    if not (errors or flt.is_empty):
        # One page holds them all: no second query to count them.
        whole = page_number == 1 and not has_next
        total = len(rows) if whole else queries.count_of(db.session, query, queries.COUNT_CAP)
    clocks = queries.clocks_of(db.session, (r.id for r in rows))
    memberships = my_memberships(current_user)
    triggers = {
        r.id: requirements.allowed_triggers(db.session, r, current_user, memberships) for r in rows
    }
    bulk_triggers = sorted({t for ts in triggers.values() for t in ts} - NOT_IN_BULK)
    args = {k: v for k, v in request.args.items() if k in queries.FILTER_ARGS and v}
    views = saved_views.visible_to(db.session, current_user)
    team_names = dict(queries.team_choices(db.session))
    is_admin = can(current_user, Role.ADMIN)
    page = render_template(
        "requirements/index.html",
        queue=queue,
        title=(
            _("All requirements")
            if queue == "all" and flt.state == queries.ANY_STATE
            else QUEUE_TITLES[queue]
        ),
        rows=rows,
        countdowns={
            r.id: [sla_display.countdown(c, now) for c in clocks.get(r.id, [])] for r in rows
        },
        triggers=triggers,
        bulk_triggers=bulk_triggers,
        bulk_confirmations={t: " ".join(confirmations.sentences(rows, t)) for t in bulk_triggers},
        bulk_confirm_labels={t: confirmations.button_words(rows, t) for t in bulk_triggers},
        names=queries.names(db.session, rows),
        highlights=search_index.highlights(
            db.session, [r.id for r in rows], search_index.terms_of(flt.q)
        ),
        page=page_number,
        has_next=has_next,
        total=total,
        count_cap=queries.COUNT_CAP,
        errors=errors,
        created_zone=_created_zone(),
        filter_labels=FILTER_LABELS,
        args=args,
        filtered=not flt.is_empty or bool(errors),
        now=now,
        viewer_zone=viewer_zone().key,
        has_teams=bool(my_teams),
        state_choices=[
            *[(s, workflow_words.state_label(s)) for s in queries.ALL_STATES],
            (queries.ANY_STATE, _("any, done ones too")),
        ],
        priority_choices=[(p.value, ENUM_LABELS[p.value]) for p in Priority],
        team_choices=queries.team_choices(db.session),
        user_choices=queries.user_choices(db.session),
        workflow_choices=[(w.key, w.label) for w in requirements.WORKFLOWS.values()],
        sla_choices=SLA_CHOICES,
        saved_views=views,
        view_url=view_url,
        team_names=team_names,
        my_team_choices=[(i, n) for i, n in team_names.items() if i in my_teams or is_admin],
    )
    return (page, 422) if errors else page


def _back() -> str:
    """Where to return after a bulk action: the queue page it came from (never off-site)."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return url_for("requirements.index")


@bp.post("/requirements/bulk")
@role_required(Role.AGENT)
def bulk() -> Response | str:
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()][:MAX_BULK]
    action = request.form.get("action", "")
    if not ids:
        flash(_("Select at least one requirement first."), "error")
        return redirect(_back(), 303)
    clock = current_clock()
    user = current_user._get_current_object()
    if action == "assign_to_me":

        def done_words(ids: str) -> str:
            return _("Assigned to you: %(ids)s.", ids=ids)

        def apply(req: Requirement) -> None:
            assignment.assign_to(db.session, req, user, actor=user, clock=clock)

    elif action == "fire":
        trigger = request.form.get("trigger", "")
        note = request.form.get("note", "").strip() or None
        if not trigger:
            flash(_("Choose what to do with the selected requirements."), "error")
            return redirect(_back(), 303)
        words = workflow_words.trigger_label(trigger)
        if not confirmations.is_confirmed():
            selected = list(
                db.session.scalars(
                    select(Requirement)
                    .where(Requirement.id.in_(ids), readable())
                    .order_by(Requirement.id)
                )
            )
            what = confirmations.sentences(selected, trigger)
            if what:
                return _ask_first(ids, selected, trigger, note, what)

        def done_words(ids: str) -> str:
            return _("%(action)s: done for %(ids)s.", action=words, ids=ids)

        def apply(req: Requirement) -> None:
            requirements.fire(db.session, req, trigger, actor=user, clock=clock, note=note)

    else:
        abort(400, _("Unknown bulk action."))
    done, refused = _each_in_savepoint(ids, apply)
    db.session.commit()
    if done:
        flash(done_words(", ".join(f"#{i}" for i in done)), "success")
    for requirement_id, reason in refused:
        flash(_("#%(id)s refused: %(reason)s", id=requirement_id, reason=reason), "error")
    return redirect(_back(), 303)


def _ask_first(
    ids: list[int], selected: list[Requirement], trigger: str, note: str | None, what: list[str]
) -> str:
    words = workflow_words.trigger_label(trigger)
    count = len(selected)
    return confirmations.confirmation_page(
        heading=ngettext(
            "%(action)s %(num)s requirement?",
            "%(action)s %(num)s requirements?",
            count,
            action=words,
        ),
        what=what,
        reqs=selected,
        action=url_for("requirements.bulk"),
        fields=[
            *(("ids", str(i)) for i in ids),
            ("action", "fire"),
            ("trigger", trigger),
            ("note", note or ""),
            ("next", _back()),
        ],
        confirm_label=confirmations.button_words(selected, trigger, count),
        back=_back(),
    )


def refusal_words(req: Requirement, exc: TransitionRefused) -> str:
    """The refusal as people read it: the declarations' words, not the codes."""
    definition = requirements.workflow_of(req)
    why = " ".join(map(str, exc.reasons)) or _(
        "“%(trigger)s” is not possible from “%(state)s”.",
        trigger=definition.trigger_label(exc.trigger),
        state=definition.state_label(exc.state),
    )
    allowed = ", ".join(str(definition.trigger_label(t)) for t in exc.allowed) or _("nothing")
    return _("%(why)s Allowed now: %(allowed)s.", why=why, allowed=allowed)


def _each_in_savepoint(
    ids: list[int], apply: Callable[[Requirement], None]
) -> tuple[list[int], list[tuple[int, str]]]:
    done: list[int] = []
    refused: list[tuple[int, str]] = []
    found = {
        r.id: r
        for r in db.session.scalars(
            select(Requirement).where(Requirement.id.in_(ids), readable()).order_by(Requirement.id)
        )
    }
    for requirement_id in ids:
        req = found.get(requirement_id)
        if req is None:
            refused.append((requirement_id, _("No such requirement.")))
            continue
        savepoint = db.session.begin_nested()
        try:
            apply(req)
            savepoint.commit()
            done.append(requirement_id)
        except TransitionRefused as exc:
            savepoint.rollback()
            refused.append((requirement_id, refusal_words(req, exc)))
        except DomainError as exc:  # NotPermitted, ValidationFailed
            savepoint.rollback()
            refused.append((requirement_id, str(exc)))
        except StaleDataError:  # PostgreSQL: another transaction changed it under us
            savepoint.rollback()
            refused.append((requirement_id, _("Someone changed it at the same moment; try again.")))
    return done, refused
