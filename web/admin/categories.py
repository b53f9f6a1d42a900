"""The requirement categories list (admins): add a name, take one off."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models import RequirementCategory, Role
from web.access import role_required
from web.admin import bp
from web.clocks import current_clock
from web.extensions import db
from workflows.platform.errors import ValidationFailed
from workflows.tracking import categories


@bp.route("/categories", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def category_list() -> Response | str | tuple[str, int]:
    name = request.form.get("name", "")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            category = categories.create_category(
                db.session, name, actor_id=current_user.id, clock=current_clock()
            )
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Category “%(name)s” added.", name=category.name), "success")
            return redirect(url_for("admin.category_list"))
    page = render_template(
        "admin/categories.html",
        categories=categories.all_categories(db.session),
        name=name,
        errors=errors,
    )
    return (page, 422) if errors else page


@bp.post("/categories/<int:category_id>/delete")
@role_required(Role.ADMIN)
def delete_category(category_id: int) -> Response:
    category = db.get_or_404(RequirementCategory, category_id)
    categories.delete_category(
        db.session, category, actor_id=current_user.id, clock=current_clock()
    )
    db.session.commit()
    flash(_("Category “%(name)s” taken off the list.", name=category.name), "success")
    return redirect(url_for("admin.category_list"))
