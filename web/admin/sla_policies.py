"""SLA policies: the list in matching order (move up or down), the form whose settings become a
new version on save (optimistic locking), the versions page, and “apply to open requirements”:
a dry run, then a background recompute with a progress bar."""

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from models import Calendar, Priority, Role, SlaPolicy, SlaPolicyVersion, Team, User
from web.access import role_required
from web.admin import bp
from web.admin import sla_policy_form as policy_form
from web.clocks import current_clock
from web.extensions import db
from web.forms import int_or_zero
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.tracking import sla_apply, sla_policies

Page = Response | str | tuple[str, int]


def _names() -> dict[str, dict[str, str]]:
    """Names of the calendars, teams and users a policy may refer to, by id as a string."""
    return {
        "calendar": {str(c.id): c.name for c in db.session.scalars(select(Calendar))},
        "team": {str(t.id): t.name for t in db.session.scalars(select(Team))},
        "user": {str(u.id): u.name for u in db.session.scalars(select(User))},
    }


@bp.get("/sla-policies")
@role_required(Role.SUPERVISOR)
def sla_policy_list() -> str:
    policies = sla_policies.ordered(db.session)
    names = _names()
    return render_template(
        "admin/sla_policies.html",
        policies=policies,
        names=names,
        matches={p.id: policy_form.match_in_words(p.match or {}, names) for p in policies},
        shadows={p.id: sla_policies.shadowed_by(db.session, p) for p in policies},
        moved=request.args.get("moved", type=int),
        direction=request.args.get("direction", ""),
    )


@bp.post("/sla-policies/<int:policy_id>/move")
@role_required(Role.SUPERVISOR)
def move_sla_policy(policy_id: int) -> Response:
    """One step up or down the matching order; the list comes back focused on the same button."""
    policy = db.get_or_404(SlaPolicy, policy_id)
    ids = [p.id for p in sla_policies.ordered(db.session)]
    direction = request.form.get("direction")
    index = ids.index(policy.id)
    other = index - 1 if direction == "up" else index + 1
    if direction in ("up", "down") and 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        sla_policies.reorder(db.session, ids, clock=current_clock())
        db.session.commit()
        flash(
            _(
                "“%(name)s” is now number %(number)s in the matching order.",
                name=policy.name,
                number=other + 1,
            ),
            "success",
        )
    return redirect(
        url_for(
            "admin.sla_policy_list",
            moved=policy.id,
            direction=direction,
            _anchor=f"policy-{policy.id}",
        )
    )


@bp.route("/sla-policies/new", methods=["GET", "POST"])
@role_required(Role.SUPERVISOR)
def new_sla_policy() -> Page:
    if request.method == "GET":
        first_calendar = db.session.scalar(select(Calendar.id).order_by(Calendar.name).limit(1))
        return _render(None, policy_form.draft_of(None, first_calendar))
    draft, data, errors = policy_form.posted(request.form)
    try:
        policy = sla_policies.create(db.session, data, actor=current_user, clock=current_clock())
    except ValidationFailed as exc:
        policy_form.place(exc.errors, errors)
    if policy_form.has_errors(errors):
        db.session.rollback()
        return _render(None, draft, errors=errors), 422
    db.session.commit()
    flash(_("Policy “%(name)s” created: version 1.", name=policy.name), "success")
    _warn_if_shadowed(policy)
    return redirect(url_for("admin.edit_sla_policy", policy_id=policy.id))


@bp.route("/sla-policies/<int:policy_id>", methods=["GET", "POST"])
@role_required(Role.SUPERVISOR)
def edit_sla_policy(policy_id: int) -> Page:
    policy = db.get_or_404(SlaPolicy, policy_id)
    if request.method == "GET":
        return _render(policy, policy_form.draft_of(policy))
    draft, data, errors = policy_form.posted(request.form)
    try:
        added = sla_policies.update(
            db.session,
            policy,
            data,
            expected_version=int_or_zero(draft["version"]),
            actor=current_user,
            clock=current_clock(),
        )
        if not policy_form.has_errors(errors):
            db.session.commit()
    except ValidationFailed as exc:
        policy_form.place(exc.errors, errors)
    except (StaleEdit, StaleDataError):
        # StaleDataError: another save passed the version check at the same moment.
        db.session.rollback()
        return _conflict(policy_id, draft, data)
    if policy_form.has_errors(errors):
        db.session.rollback()
        return _render(db.get_or_404(SlaPolicy, policy_id), draft, errors=errors), 422
    number = policy.current_version.number if policy.current_version else 0
    if added:
        flash(
            _(
                "Policy “%(name)s” saved: version %(number)s created. Open requirements keep "
                "their version until you apply this one to them.",
                name=policy.name,
                number=number,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Policy “%(name)s” saved; settings unchanged (version %(number)s).",
                name=policy.name,
                number=number,
            ),
            "info",
        )
    _warn_if_shadowed(policy)
    return redirect(url_for("admin.edit_sla_policy", policy_id=policy.id))


def _warn_if_shadowed(policy: SlaPolicy) -> None:
    shadow = sla_policies.shadowed_by(db.session, policy)
    if shadow is not None:
        flash(
            render_template("admin/sla_policy_shadowed.txt", policy=policy, shadow=shadow),
            "warning",
        )


def _conflict(policy_id: int, draft: dict[str, Any], data: dict[str, Any]) -> tuple[str, int]:
    """Keep the editor's entries (now against the saved version, so saving again applies them)
    and show the saved settings beside them."""
    policy = db.get_or_404(SlaPolicy, policy_id)
    names = _names()
    theirs = policy_form.summary(sla_policies.as_dict(policy), names)
    yours = policy_form.summary(data, names)
    rows = [(label, a, b, a != b) for (label, a), (_label, b) in zip(theirs, yours, strict=True)]
    flash(
        _(
            "Someone saved this policy after you opened it. Nothing of yours is lost: "
            "compare, then save again."
        ),
        "error",
    )
    return _render(policy, {**draft, "version": str(policy.version)}, conflict=rows), 409


def _render(
    policy: SlaPolicy | None,
    draft: dict[str, Any],
    *,
    errors: dict[str, Any] | None = None,
    conflict: list[Any] | None = None,
) -> str:
    active_users = select(User).where(User.is_active).order_by(func.lower(User.name))
    return render_template(
        "admin/sla_policy_edit.html",
        policy=policy,
        form=draft,
        shadow=sla_policies.shadowed_by(db.session, policy),
        errors=errors or {"fields": {}, "cells": {}, "rungs": {}},
        conflict=conflict,
        calendars=db.session.scalars(select(Calendar).order_by(func.lower(Calendar.name))).all(),
        teams=db.session.scalars(select(Team).order_by(func.lower(Team.name))).all(),
        users=db.session.scalars(active_users).all(),
        priorities=[p.value for p in Priority],
        metrics=policy_form.METRIC_LABELS,
        target_rows=policy_form.TARGET_ROWS,
        rung_at=policy_form.RUNG_AT,
        recipients=policy_form.RECIPIENTS,
        pause_choices=policy_form.pause_choices(),
        default_pauses=policy_form.default_pauses(),
        duration_help=policy_form.DURATION_HELP,
    )


@bp.get("/sla-policies/<int:policy_id>/versions")
@role_required(Role.SUPERVISOR)
def sla_policy_versions(policy_id: int) -> str:
    policy = db.get_or_404(SlaPolicy, policy_id)
    versions = db.session.scalars(
        select(SlaPolicyVersion)
        .where(SlaPolicyVersion.policy_id == policy.id)
        .order_by(SlaPolicyVersion.number.desc())
    ).all()
    names = _names()
    settings = [
        policy_form.summary({k: getattr(v, k) for k in sla_policies.SETTINGS}, names)[
            3:
        ]  # name, active and matching belong to the policy, not its versions
        for v in versions
    ]
    return render_template(
        "admin/sla_policy_versions.html",
        policy=policy,
        versions=list(zip(versions, settings, strict=True)),
        names=names,
    )


# ---------------------------------------------------------------- apply to open requirements


@bp.get("/sla-policies/<int:policy_id>/apply")
@role_required(Role.SUPERVISOR)
def sla_policy_dry_run(policy_id: int) -> str:
    """What applying the current version would change; nothing is saved."""
    policy = db.get_or_404(SlaPolicy, policy_id)
    mode = _mode(request.args.get("mode"))
    report = sla_apply.dry_run(db.session, policy, clock=current_clock(), mode=mode)
    db.session.rollback()
    policy = db.get_or_404(SlaPolicy, policy_id)
    return render_template(
        "admin/sla_policy_apply.html",
        policy=policy,
        report=report,
        mode=mode,
        running=(policy.recompute or {}).get("status") in ("queued", "running"),
        duration=policy_form.format_duration,
    )


@bp.post("/sla-policies/<int:policy_id>/apply")
@role_required(Role.SUPERVISOR)
def apply_sla_policy(policy_id: int) -> Response:
    """Queue the recompute (published after commit); a running one refuses with 409."""
    policy = db.get_or_404(SlaPolicy, policy_id)
    mode = _mode(request.form.get("mode"))
    sla_apply.start(db.session, policy, clock=current_clock(), mode=mode)
    db.session.commit()
    return redirect(url_for("admin.sla_policy_progress", policy_id=policy.id))


def _mode(value: str | None) -> str:
    """Re-match or newer version (the default); anything else is the default, not an error."""
    return sla_apply.REMATCH if value == sla_apply.REMATCH else sla_apply.VERSIONS


@bp.get("/sla-policies/<int:policy_id>/apply/progress")
@role_required(Role.SUPERVISOR)
def sla_policy_progress(policy_id: int) -> str:
    policy = db.get_or_404(SlaPolicy, policy_id)
    return render_template(
        "admin/sla_policy_progress.html", policy=policy, progress=policy.recompute or {}
    )


@bp.get("/sla-policies/<int:policy_id>/apply/status")
@role_required(Role.SUPERVISOR)
def sla_policy_status(policy_id: int) -> Response:
    """The progress bar polls this: {"recompute": {"status", "total", "done", …} or null}."""
    return jsonify(recompute=db.get_or_404(SlaPolicy, policy_id).recompute)
