"""Admins: the customer access log (searchable) and retention policies (preview, enable)."""

from datetime import UTC, datetime, time

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import RetentionPolicy, Role, User
from web.access import role_required
from web.clocks import current_clock
from web.confirmations import ask_first, is_confirmed
from web.extensions import db
from web.page_words import code_words
from web.privacy import bp
from workflows.platform.errors import ValidationFailed
from workflows.privacy import access_log, retention


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def _date_arg(name: str) -> datetime | None:
    try:
        day = datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()  # noqa: DTZ007
    except ValueError:
        return None
    return datetime.combine(day, time(0), tzinfo=UTC)


@bp.get("/admin/access-log")
@role_required(Role.ADMIN)
def access_log_page() -> str:
    action = request.args.get("action", "")
    query = access_log.AccessQuery(
        customer_id=_int_arg("customer_id"),
        user_id=_int_arg("user_id"),
        action=action if action in access_log.ACTIONS else None,
        since=_date_arg("since"),
        until=_date_arg("until"),
        before_id=_int_arg("before"),
    )
    entries = access_log.search(db.session, query, limit=access_log.PAGE_SIZE + 1)
    users = dict(
        db.session.execute(
            select(User.id, User.name).where(User.id.in_({e.user_id for e in entries}))
        ).all()
    )
    return render_template(
        "privacy/access_log.html",
        entries=entries[: access_log.PAGE_SIZE],
        next_before=entries[access_log.PAGE_SIZE - 1].id
        if len(entries) > access_log.PAGE_SIZE
        else None,
        users=users,
        actions=access_log.ACTIONS,
        args=request.args,
    )


def _retention_page(errors: dict[str, list[str]] | None = None, values: dict | None = None) -> str:
    policies = list(
        db.session.scalars(
            select(RetentionPolicy).order_by(RetentionPolicy.target, RetentionPolicy.channel)
        )
    )
    return render_template(
        "privacy/retention.html",
        policies=policies,
        errors=errors or {},
        values=values or {"target": "communications", "action": "anonymise", "months": "24"},
        targets=retention.TARGETS,
        actions=retention.ACTIONS,
    )


@bp.get("/admin/retention")
@role_required(Role.ADMIN)
def retention_list() -> str:
    return _retention_page()


@bp.post("/admin/retention")
@role_required(Role.ADMIN)
def retention_create() -> Response | tuple[str, int]:
    values = {k: request.form.get(k, "") for k in ("target", "channel", "months", "action")}
    try:
        policy = retention.save(db.session, values, clock=current_clock())
    except ValidationFailed as exc:
        db.session.rollback()
        return _retention_page(exc.errors, values), 422
    db.session.commit()
    flash(_("Policy saved. Preview it before enabling it."), "success")
    return redirect(url_for("privacy.retention_list") + f"#policy-{policy.id}")


@bp.post("/admin/retention/<int:policy_id>")
@role_required(Role.ADMIN)
def retention_action(policy_id: int) -> Response | str:
    policy = db.get_or_404(RetentionPolicy, policy_id)
    action = request.form.get("action")
    if action == "preview":
        count = retention.preview(db.session, policy, clock=current_clock())
        flash(_("This policy would touch %(count)s records now.", count=count), "info")
    elif action in ("enable", "disable"):
        retention.enable(db.session, policy, action == "enable")  # NotPreviewed: 409
        flash(_("Policy enabled.") if action == "enable" else _("Policy disabled."), "success")
    elif action == "delete" and not is_confirmed():
        return ask_first(
            heading=_(
                "Delete the %(months)s-month retention policy for %(target)s?",
                months=policy.months,
                target=code_words(policy.target),
            ),
            what=[_("The policy is deleted for good; records it already removed stay removed.")],
            confirm_label=_("Yes, delete it"),
            back=url_for("privacy.retention_list"),
        )
    elif action == "delete":
        db.session.delete(policy)
        flash(_("Policy deleted."), "success")
    db.session.commit()
    return redirect(url_for("privacy.retention_list"))
