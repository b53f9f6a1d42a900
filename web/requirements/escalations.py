"""The supervisors' escalation queue: at-risk and breached SLA clocks with rung, time to or since
the breach, assignee and team; acknowledge (one or many) and reassign. Acknowledged clocks have
their own section and leave the counts: the badge counts only what still needs someone. The page
polls a small JSON endpoint, which also feeds the counts in the navigation."""

import hashlib
import time
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from models import Role, SlaClock, User
from web.access import can, role_required
from web.clocks import current_clock
from web.extensions import db
from web.requirements import assignment, escalations_bp, queries, sla_display
from web.requirements.access import get_requirement_or_404, my_memberships, readable_in
from web.templating import viewer_zone
from workflows.platform.errors import DomainError, ValidationFailed
from workflows.tracking import escalations
from workflows.tracking.requirements import NotPermitted

POLL_SECONDS = 2.5  # the page's refresh: a change shows within about this, well under 5 s
MAX_BULK = 200


def _scope() -> list[int] | None:
    user = current_user._get_current_object()
    return escalations.supervised_team_ids(db.session, user, my_memberships(user))


def _after() -> str | None:
    """The page's keyset cursor (`?after=`); a malformed one is a 400, not the first page."""
    after = request.args.get("after") or None
    if after is not None:
        try:
            escalations.parse_cursor(after)
        except ValidationFailed:
            abort(400, "Not a page of the escalation queue.")
    return after


def _page() -> escalations.Page:
    """One page of the queue (`escalations.QUEUE_LIMIT` rows): rendering 200 rows of ~3 KB
    each was half of the page's CPU, and nobody works down 200 escalations at a glance."""
    scope = _scope()
    return escalations.queue(
        db.session,
        clock=current_clock(),
        team_ids=scope,
        readable=readable_in(scope),
        after=_after(),
    )


def _counts() -> dict[str, int]:
    scope = _scope()
    return escalations.counts(
        db.session, clock=current_clock(), team_ids=scope, readable=readable_in(scope)
    )


def _url_pattern(endpoint: str, key: str) -> str:
    """`url_for(endpoint, key=N)` as a format string: one routing call per page, not per row."""
    marker = 987654321
    return url_for(endpoint, **{key: marker}).replace(str(marker), "{}")


def _signature(rows: list[escalations.QueueRow], counts: dict[str, int]) -> str:
    """Changes when a row comes, goes or changes, or a count does (not as time passes: the
    browser ticks)."""
    parts = [":".join(str(counts[k]) for k in sorted(counts))] + [
        f"{r.sla.id}:{r.level}:{r.rung}:{r.acknowledged}:{r.sla.status}:"
        f"{r.requirement.assignee_id}:{r.requirement.team_id}:{r.requirement.state}"
        for r in rows
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _context(page: escalations.Page, counts: dict[str, int]) -> dict[str, Any]:
    rows = page.rows
    now = current_clock().now()
    acknowledgers = {r.sla.acknowledged_by_id for r in rows if r.sla.acknowledged_by_id}
    names = queries.names(db.session, [r.requirement for r in rows])
    names["users"] |= queries.names_by_id(db.session, User.id, User.name, acknowledgers)
    after = request.args.get("after")
    return {
        "rows": rows,
        "counts": counts,
        "first_url": url_for("escalations.index") if after else None,
        "next_url": url_for("escalations.index", after=page.next_after)
        if page.next_after
        else None,
        "countdowns": {r.sla.id: sla_display.countdown(r.sla, now) for r in rows},
        "names": names,
        "people": queries.user_choices(db.session),
        "urls": {
            "show": _url_pattern("requirements.show", "requirement_id"),
            "acknowledge": _url_pattern("escalations.acknowledge", "sla_clock_id"),
            "reassign": _url_pattern("escalations.reassign", "sla_clock_id"),
        },
    }


@escalations_bp.get("")
@role_required(Role.SUPERVISOR)
def index() -> str:
    page = _page()
    counts = _counts()
    return render_template(
        "escalations/index.html",
        signature=_signature(page.rows, counts),
        poll_ms=int(POLL_SECONDS * 1000),
        scoped=_scope() is not None,
        now=current_clock().now(),
        viewer_zone=viewer_zone().key,
        live_url=url_for("escalations.live", after=request.args.get("after") or None),
        **_context(page, counts),
    )


@escalations_bp.get("/live")
@role_required(Role.SUPERVISOR)
def live() -> Response:
    """The rows of the same page (`?after=`) as an HTML fragment with their signature and the
    counts; `?since=<signature>` leaves the HTML out when nothing changed."""
    page = _page()
    counts = _counts()
    # The counts are in the fragment (section headings), so they are part of what changed.
    signature = _signature(page.rows, counts)
    body: dict[str, Any] = {
        "signature": signature,
        "counts": counts,
        "now": current_clock().now().isoformat(),
    }
    if request.args.get("since") != signature:
        body["html"] = render_template("escalations/_rows.html", **_context(page, counts))
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@escalations_bp.get("/counts")
@role_required(Role.SUPERVISOR)
def counts() -> Response:
    response = jsonify(_counts())
    response.headers["Cache-Control"] = "no-store"
    return response


def navigation_counts() -> dict[str, Any]:
    """The navigation's at-risk and breached counts, for supervisors and admins. Every page
    shows them, so a web process keeps them per team scope for ESCALATION_NAV_CACHE_SECONDS:
    counting is O(escalated clocks) (~2 to 5 ms of SQL for 6,000 of them on SQLite), and a
    supervisor's page then costs what an agent's does."""
    if not can(current_user, Role.SUPERVISOR):
        return {}
    ttl = float(current_app.config["ESCALATION_NAV_CACHE_SECONDS"])
    if ttl <= 0:
        return {"escalation_counts": _counts()}
    scope = _scope()
    key = tuple(sorted(scope)) if scope is not None else None
    cache = current_app.extensions.setdefault("escalation_nav_counts", {})
    now = time.monotonic()
    hit = cache.get(key)
    if hit is None or now - hit[0] >= ttl:
        hit = cache[key] = (now, _counts())
    return {"escalation_counts": hit[1]}


def forget_navigation_counts() -> None:
    """After an acknowledgement or reassignment here, the next page counts afresh: the one
    who acted sees the badge change at once (other web processes within the cache's seconds)."""
    current_app.extensions.pop("escalation_nav_counts", None)


@escalations_bp.post("/<int:sla_clock_id>/acknowledge")
@role_required(Role.SUPERVISOR)
def acknowledge(sla_clock_id: int) -> Response:
    user = current_user._get_current_object()
    try:
        sla_clock = escalations.acknowledge(
            db.session, sla_clock_id, actor=user, clock=current_clock()
        )
    except ValidationFailed as exc:  # not at risk (any more), or gone
        db.session.rollback()
        reasons = " ".join(str(m) for ms in exc.errors.values() for m in ms)
        flash(_("Not acknowledged: %(reasons)s", reasons=reasons), "error")
        return redirect(url_for("escalations.index"), 303)
    db.session.commit()
    forget_navigation_counts()
    flash(_("Escalation on #%(id)s acknowledged.", id=sla_clock.requirement_id), "success")
    return redirect(url_for("escalations.index"), 303)


@escalations_bp.post("/acknowledge")
@role_required(Role.SUPERVISOR)
def acknowledge_many() -> Response:
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()][:MAX_BULK]
    if not ids:
        flash(_("Select at least one escalation first."), "error")
        return redirect(url_for("escalations.index"), 303)
    user = current_user._get_current_object()
    clock = current_clock()
    done: list[str] = []
    refused: list[str] = []
    for sla_clock_id in ids:
        sla_clock = db.session.get(SlaClock, sla_clock_id)
        name = (
            f"#{sla_clock.requirement_id}" if sla_clock else _("escalation %(id)s", id=sla_clock_id)
        )
        savepoint = db.session.begin_nested()
        try:
            escalations.acknowledge(db.session, sla_clock_id, actor=user, clock=clock)
            savepoint.commit()
            done.append(name)
        except (DomainError, StaleDataError) as exc:
            savepoint.rollback()
            reason = str(exc) if isinstance(exc, DomainError) else _("changed at the same moment")
            refused.append(f"{name}: {reason}")
    db.session.commit()
    forget_navigation_counts()
    if done:
        flash(_("Acknowledged: %(names)s.", names=", ".join(done)), "success")
    for line in refused:
        flash(_("Not acknowledged %(what)s", what=line), "error")
    return redirect(url_for("escalations.index"), 303)


@escalations_bp.post("/<int:sla_clock_id>/reassign")
@role_required(Role.SUPERVISOR)
def reassign(sla_clock_id: int) -> Response:
    sla_clock = db.get_or_404(SlaClock, sla_clock_id)
    req = get_requirement_or_404(sla_clock.requirement_id)
    raw = request.form.get("assignee_id", "")
    if not raw.isdigit():
        abort(400, _("Choose who takes it over."))
    try:
        assignment.change_assignment(
            db.session,
            req,
            assignee_id=int(raw),
            team_id=req.team_id,
            priority=req.priority.value,
            expected_version=None,
            actor=current_user._get_current_object(),
            clock=current_clock(),
        )
    except (ValidationFailed, NotPermitted) as exc:
        db.session.rollback()
        flash(_("#%(id)s not reassigned: %(reason)s", id=req.id, reason=exc), "error")
        return redirect(url_for("escalations.index"), 303)
    db.session.commit()
    forget_navigation_counts()
    flash(_("#%(id)s reassigned.", id=req.id), "success")
    return redirect(url_for("escalations.index"), 303)
