"""New and edit organisation forms: every error at its field (422), nothing half-saved, and a
stale edit refused (409) with the saved version beside the editor's own."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from models import Organisation, Role
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.forms import int_or_zero, shown_value
from web.organisations import bp
from web.organisations.access import get_organisation_or_404
from web.organisations.forms import (
    PROFILE_FIELDS,
    OrganisationForm,
    build_form,
    custom_fields_of,
    data_of,
    field_for_error,
    load,
)
from workflows import organisations
from workflows.errors import StaleEdit, ValidationFailed

Page = Response | str | tuple[str, int]


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.AGENT)
def new() -> Page:
    form, definitions = build_form(db.session)
    if request.method == "GET":
        form.owner_id.data = str(current_user.id)
        return _render(form, definitions, None)
    if not form.validate_on_submit():
        return _render(form, definitions, None), 422
    try:
        organisation = organisations.create_organisation(
            db.session,
            data_of(form, definitions),
            actor_id=current_user.id,
            clock=current_clock(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        _attach_errors(form, exc)
        return _render(form, definitions, None), 422
    db.session.commit()
    flash(f"{organisation.name} is saved.", "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@role_required(Role.AGENT)
def edit(organisation_id: int) -> Page:
    organisation = get_organisation_or_404(organisation_id)
    form, definitions = build_form(db.session)
    if request.method == "GET":
        load(form, organisation, definitions)
        return _render(form, definitions, organisation)
    if not form.validate_on_submit():
        return _render(form, definitions, organisation), 422
    try:
        organisations.update_organisation(
            db.session,
            organisation,
            data_of(form, definitions),
            expected_version=int_or_zero(form.version.data),
            actor_id=current_user.id,
            clock=current_clock(),
        )
        db.session.commit()
    except (StaleEdit, StaleDataError) as exc:
        # StaleDataError: another save passed the version check at the same moment.
        db.session.rollback()
        return _conflict(form, definitions, organisation, exc)
    except ValidationFailed as exc:
        db.session.rollback()
        _attach_errors(form, exc)
        return _render(form, definitions, organisation), 422
    flash(f"{organisation.name} is saved.", "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


def _conflict(
    mine: OrganisationForm,
    definitions: list[Any],
    organisation: Organisation,
    exc: StaleEdit | StaleDataError,
) -> tuple[str, int]:
    """Keep the editor's entries (now against the saved version, so saving again applies them)
    and show the saved version beside them."""
    organisation = get_organisation_or_404(organisation.id, deleted=None)
    saved, _ = build_form(db.session, formdata=None, meta={"csrf": False})
    load(saved, organisation, definitions)
    names = [*PROFILE_FIELDS, *(f.name for f in custom_fields_of(mine, definitions))]
    rows = []
    for field in (mine[n] for n in names):
        theirs, yours = shown_value(saved[field.name]), shown_value(field)
        rows.append((field.label.text, theirs, yours, theirs != yours))
    mine.version.data = str(organisation.version)
    reason = (
        exc if isinstance(exc, StaleEdit) else "Someone saved this organisation at the same moment."
    )
    flash(f"{reason} Nothing of yours is lost: compare, then save again.", "error")
    return _render(mine, definitions, organisation, conflict=rows), 409


def _attach_errors(form: OrganisationForm, exc: ValidationFailed) -> None:
    for key, messages in exc.errors.items():
        field = field_for_error(form, key)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            flash(" ".join(messages), "error")


def _render(
    form: OrganisationForm,
    definitions: list[Any],
    organisation: Organisation | None,
    conflict: list[Any] | None = None,
) -> str:
    return render_template(
        "organisations/form.html",
        form=form,
        organisation=organisation,
        custom_fields=custom_fields_of(form, definitions),
        conflict=conflict,
    )
