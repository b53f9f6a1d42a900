"""New and edit customer forms: every error at its field (422), nothing half-saved, and a stale
edit refused (409) with the saved version beside the editor's own."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from models import Customer, Role
from web.access import role_required
from web.clocks import current_clock
from web.customers import bp
from web.customers.access import get_customer_or_404
from web.customers.forms import (
    PROFILE_FIELDS,
    CustomerForm,
    build_form,
    consent_changes,
    consent_fields_of,
    custom_fields_of,
    data_of,
    field_for_error,
    load,
)
from web.extensions import db
from web.forms import int_or_zero, shown_value
from workflows import customers
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
    consents = consent_changes(form)
    try:
        customer = customers.create_customer(
            db.session,
            data_of(db.session, form, definitions),
            actor_id=current_user.id,
            clock=current_clock(),
        )
        _set_consents(customer, consents)
    except ValidationFailed as exc:
        db.session.rollback()
        attach_errors(form, exc)
        return _render(form, definitions, None), 422
    if _has_errors(form):
        db.session.rollback()
        return _render(form, definitions, None), 422
    db.session.commit()
    flash(f"{customer.name} is saved.", "success")
    return redirect(url_for("customers.show", customer_id=customer.id))


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@role_required(Role.AGENT)
def edit(customer_id: int) -> Page:
    customer = get_customer_or_404(customer_id)
    form, definitions = build_form(db.session)
    if request.method == "GET":
        load(form, customer, definitions)
        return _render(form, definitions, customer)
    if not form.validate_on_submit():
        return _render(form, definitions, customer), 422
    consents = consent_changes(form)
    try:
        customers.update_customer(
            db.session,
            customer,
            data_of(db.session, form, definitions),
            expected_version=int_or_zero(form.version.data),
            actor_id=current_user.id,
            clock=current_clock(),
        )
        _set_consents(customer, consents)
        if _has_errors(form):
            db.session.rollback()
            return _render(form, definitions, customer), 422
        db.session.commit()
    except (StaleEdit, StaleDataError) as exc:
        # StaleDataError: another save passed the version check at the same moment.
        db.session.rollback()
        return _conflict(form, definitions, customer, exc)
    except ValidationFailed as exc:
        db.session.rollback()
        attach_errors(form, exc)
        return _render(form, definitions, customer), 422
    flash(f"{customer.name} is saved.", "success")
    return redirect(url_for("customers.show", customer_id=customer.id))


def _set_consents(customer: Customer, consents: list[Any]) -> None:
    for channel, granted, method in consents:
        customers.set_consent(
            db.session,
            customer,
            channel,
            granted=granted,
            method=method,
            actor_id=current_user.id,
            clock=current_clock(),
        )


def _conflict(
    mine: CustomerForm,
    definitions: list[Any],
    customer: Customer,
    exc: StaleEdit | StaleDataError,
) -> tuple[str, int]:
    """Keep the editor's entries in the form (now against the saved version, so saving again
    applies them) and show the saved version beside them."""
    customer = get_customer_or_404(customer.id, deleted=None)
    saved, _ = build_form(db.session, formdata=None, meta={"csrf": False})
    load(saved, customer, definitions)
    rows = []
    for field in (mine[n] for n in _compared(mine, definitions)):
        theirs, yours = shown_value(saved[field.name]), shown_value(field)
        rows.append((field.label.text, theirs, yours, theirs != yours))
    mine.version.data = str(customer.version)
    reason = (
        exc if isinstance(exc, StaleEdit) else "Someone saved this customer at the same moment."
    )
    flash(f"{reason} Nothing of yours is lost: compare, then save again.", "error")
    return _render(mine, definitions, customer, conflict=rows), 409


def _compared(form: CustomerForm, definitions: list[Any]) -> list[str]:
    return [*PROFILE_FIELDS, *(f.name for f in custom_fields_of(form, definitions))]


def attach_errors(form: CustomerForm, exc: ValidationFailed) -> None:
    for key, messages in exc.errors.items():
        field = field_for_error(form, key)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            flash(" ".join(messages), "error")


def _has_errors(form: CustomerForm) -> bool:
    return any(field.errors for field in form)


def _render(
    form: CustomerForm,
    definitions: list[Any],
    customer: Customer | None,
    conflict: list[Any] | None = None,
) -> str:
    return render_template(
        "customers/form.html",
        form=form,
        customer=customer,
        custom_fields=custom_fields_of(form, definitions),
        consent_fields=consent_fields_of(form),
        conflict=conflict,
    )
