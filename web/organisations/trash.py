"""Trash: move to it and restore (supervisors), each confirmed on a page of its own."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models import Organisation, Role
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.organisations import bp
from web.organisations.access import get_organisation_or_404
from web.trash import trash_page
from workflows.customers import organisations


@bp.get("/<int:organisation_id>/delete")
@role_required(Role.SUPERVISOR)
def confirm_delete(organisation_id: int) -> str:
    organisation = get_organisation_or_404(organisation_id)
    return render_template("organisations/confirm.html", organisation=organisation)


@bp.post("/<int:organisation_id>/delete")
@role_required(Role.SUPERVISOR)
def delete(organisation_id: int) -> Response:
    organisation = get_organisation_or_404(organisation_id)
    organisations.delete_organisation(
        db.session, organisation, actor_id=current_user.id, clock=current_clock()
    )
    db.session.commit()
    flash(_("%(name)s is in the trash.", name=organisation.name), "success")
    return redirect(url_for("organisations.index"))


@bp.get("/trash")
@role_required(Role.SUPERVISOR)
def trash() -> str:
    page = trash_page(Organisation)
    return render_template(
        "organisations/trash.html", organisations=page["rows"], next_before=page["next_before"]
    )


@bp.post("/<int:organisation_id>/restore")
@role_required(Role.SUPERVISOR)
def restore(organisation_id: int) -> Response:
    organisation = get_organisation_or_404(organisation_id, deleted=True)
    organisations.restore_organisation(
        db.session, organisation, actor_id=current_user.id, clock=current_clock()
    )
    db.session.commit()
    flash(_("%(name)s is restored.", name=organisation.name), "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))
