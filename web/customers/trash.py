"""Trash: move to it (supervisors), list and restore (supervisors), purge for good (admins);
each step confirmed on a page of its own, so it works without JavaScript."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models import Customer, Role
from web.access import role_required
from web.clocks import current_clock
from web.customers import bp
from web.customers.access import get_customer_or_404
from web.extensions import db
from web.trash import trash_page
from workflows.customers import profiles
from workflows.platform.errors import ValidationFailed


@bp.get("/<int:customer_id>/delete")
@role_required(Role.SUPERVISOR)
def confirm_delete(customer_id: int) -> str:
    customer = get_customer_or_404(customer_id)
    return render_template("customers/confirm.html", customer=customer, action="delete")


@bp.post("/<int:customer_id>/delete")
@role_required(Role.SUPERVISOR)
def delete(customer_id: int) -> Response:
    customer = get_customer_or_404(customer_id)
    profiles.delete_customer(db.session, customer, actor_id=current_user.id, clock=current_clock())
    db.session.commit()
    flash(_("%(name)s is in the trash.", name=customer.name), "success")
    return redirect(url_for("customers.index"))


@bp.get("/trash")
@role_required(Role.SUPERVISOR)
def trash() -> str:
    page = trash_page(Customer)
    return render_template(
        "customers/trash.html", customers=page["rows"], next_before=page["next_before"]
    )


@bp.post("/<int:customer_id>/restore")
@role_required(Role.SUPERVISOR)
def restore(customer_id: int) -> Response:
    customer = get_customer_or_404(customer_id, deleted=True)
    try:
        profiles.restore_customer(
            db.session, customer, actor_id=current_user.id, clock=current_clock()
        )
    except ValidationFailed as exc:
        db.session.rollback()
        flash(" ".join(str(m) for ms in exc.errors.values() for m in ms), "error")
        return redirect(url_for("customers.trash"))
    db.session.commit()
    flash(_("%(name)s is restored.", name=customer.name), "success")
    return redirect(url_for("customers.show", customer_id=customer.id))


@bp.get("/<int:customer_id>/purge")
@role_required(Role.ADMIN)
def confirm_purge(customer_id: int) -> str:
    customer = get_customer_or_404(customer_id, deleted=True)
    return render_template("customers/confirm.html", customer=customer, action="purge")


@bp.post("/<int:customer_id>/purge")
@role_required(Role.ADMIN)
def purge(customer_id: int) -> Response | tuple[str, int]:
    customer = get_customer_or_404(customer_id, deleted=True)
    if request.form.get("confirm_name", "").strip() != customer.name:
        error = _("Type the customer's name exactly to delete it for good.")
        return render_template(
            "customers/confirm.html", customer=customer, action="purge", error=error
        ), 422
    name = customer.name
    profiles.purge_customer(db.session, customer, actor_id=current_user.id, clock=current_clock())
    db.session.commit()
    flash(_("%(name)s is deleted for good.", name=name), "success")
    return redirect(url_for("customers.trash"))
