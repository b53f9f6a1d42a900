"""Editing a logged communication from the customer page: its subject, body and the requirement
it belongs to (linking goes through `workflows.tracking.conversations`, which checks the right
to act on the requirement), deleting it (supervisors; soft, audited) and restoring it."""

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import Communication, Customer, Requirement, Role
from web.access import role_required
from web.clocks import current_clock
from web.customers import bp
from web.extensions import db
from web.forms import int_or_zero
from web.requirements.access import may_read_communication, readable
from web.templating import viewer_zone
from web.trash import get_or_404
from workflows.platform.errors import ValidationFailed
from workflows.tracking import conversations

EDIT_FIELDS = ("subject", "body", "requirement_id")


def _communication(communication_id: int, *, deleted: bool = False) -> Communication:
    """The record, 404 as if missing when linked to a requirement the user may not read."""
    communication = get_or_404(Communication, communication_id, deleted=deleted)
    get_or_404(Customer, communication.customer_id)  # its customer is not in the trash
    if not may_read_communication(communication):
        abort(404)
    return communication


def _requirement_choices(communication: Communication) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Requirement.id, Requirement.title)
        .where(Requirement.customer_id == communication.customer_id, readable())
        .order_by(Requirement.id.desc())
    )
    return [(ident, f"#{ident} {title}") for ident, title in rows]


def _render(communication: Communication, values: dict[str, Any], errors: Any) -> str:
    return render_template(
        "customers/communication_edit.html",
        communication=communication,
        values=values,
        errors=errors,
        requirements=_requirement_choices(communication),
    )


@bp.route("/communications/<int:communication_id>/edit", methods=["GET", "POST"])
@role_required(Role.AGENT)
def edit_communication(communication_id: int) -> Response | str | tuple[str, int]:
    communication = _communication(communication_id)
    if request.method == "GET":
        values = {
            "subject": communication.subject or "",
            "body": communication.body_text or "",
            "requirement_id": str(communication.requirement_id or ""),
            "version": str(communication.version),
        }
        return _render(communication, values, {})
    values = {f: request.form.get(f, "") for f in (*EDIT_FIELDS, "version")}
    data: dict[str, Any] = {f: values[f] for f in EDIT_FIELDS}
    data["requirement_id"] = int_or_zero(values["requirement_id"]) or None
    if communication.body_html and (communication.body_text or "") == values["body"]:
        del data["body"]  # unchanged: keep the formatted original rather than its plain text
    try:
        conversations.update_communication(
            db.session,
            communication,
            data,
            expected_version=int_or_zero(values["version"]),
            actor_id=current_user.id,
            clock=current_clock(),
            viewer_zone=viewer_zone().key,
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return _render(communication, values, exc.errors), 422
    db.session.commit()
    flash(_("Communication saved."), "success")
    return redirect(url_for("customers.show", customer_id=communication.customer_id) + "#timeline")


@bp.post("/communications/<int:communication_id>/delete")
@role_required(Role.SUPERVISOR)
def delete_communication(communication_id: int) -> Response:
    communication = _communication(communication_id)
    conversations.delete_communication(
        db.session,
        communication,
        actor_id=current_user.id,
        clock=current_clock(),
        expected_version=int_or_zero(request.form.get("version", "")),
    )
    db.session.commit()
    return redirect(
        url_for("customers.show", customer_id=communication.customer_id, deleted=communication.id)
        + "#timeline"
    )


@bp.post("/communications/<int:communication_id>/restore")
@role_required(Role.SUPERVISOR)
def restore_communication(communication_id: int) -> Response:
    communication = _communication(communication_id, deleted=True)
    conversations.restore_communication(
        db.session, communication, actor_id=current_user.id, clock=current_clock()
    )
    db.session.commit()
    flash(_("Communication restored."), "success")
    return redirect(url_for("customers.show", customer_id=communication.customer_id) + "#timeline")
