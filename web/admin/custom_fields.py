from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import CustomFieldDefinition, Role
from web.access import role_required
from web.admin import bp
from web.admin.forms import CustomFieldForm, EditCustomFieldForm
from web.clocks import current_clock
from web.extensions import db
from web.forms import attach_errors
from workflows.customers import custom_fields
from workflows.platform.errors import ValidationFailed


def _definitions() -> list[CustomFieldDefinition]:
    return list(
        db.session.scalars(
            select(CustomFieldDefinition).order_by(
                CustomFieldDefinition.entity,
                CustomFieldDefinition.position,
                CustomFieldDefinition.id,
            )
        )
    )


@bp.route("/custom-fields", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def custom_field_list() -> Response | str | tuple[str, int]:
    form = CustomFieldForm()
    if form.validate_on_submit():
        try:
            definition = custom_fields.define_field(
                db.session,
                entity=form.entity.data or "",
                key=form.key.data or "",
                label=form.label.data or "",
                kind=form.kind.data or "",
                choices=form.choices.data,
                is_required=bool(form.is_required.data),
                clock=current_clock(),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Field “%(label)s” added.", label=definition.label), "success")
            return redirect(url_for("admin.custom_field_list"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/custom_fields.html", definitions=_definitions(), form=form
    ), status


@bp.route("/custom-fields/<int:field_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_custom_field(field_id: int) -> Response | str | tuple[str, int]:
    definition = db.get_or_404(CustomFieldDefinition, field_id)
    form = EditCustomFieldForm(obj=definition)
    if request.method == "GET":
        form.choices.data = "\n".join(definition.choices)
    if form.validate_on_submit():
        try:
            custom_fields.update_field(
                db.session,
                definition,
                label=form.label.data or "",
                choices=form.choices.data,
                is_required=bool(form.is_required.data),
                is_active=bool(form.is_active.data),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Field “%(label)s” saved.", label=definition.label), "success")
            return redirect(url_for("admin.custom_field_list"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/custom_field_edit.html", definition=definition, form=form), status
