"""New and edit customer pages (the flow is `web.edit_pages`); consent changes are saved with
the profile, in the same unit of work."""

from typing import Any

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Customer, Role
from web.access import role_required
from web.clocks import current_clock
from web.customers import bp
from web.customers.access import get_customer_or_404
from web.customers.forms import (
    PROFILE_FIELDS,
    build_form,
    consent_changes,
    consent_fields_of,
    custom_fields_of,
    data_of,
    field_for_error,
    load,
)
from web.edit_pages import EditPages, Page
from web.extensions import db
from web.phones import with_phone_region
from web.privacy.masks import is_masked
from workflows.customers import profiles


def _set_consents(customer: Customer, consents: list[Any]) -> None:
    for channel, granted, method in consents:
        profiles.set_consent(
            db.session,
            customer,
            channel,
            granted=granted,
            method=method,
            actor_id=current_user.id,
            clock=current_clock(),
        )


PAGES = EditPages(
    noun="customer",
    template="customers/form.html",
    show_endpoint="customers.show",
    id_arg="customer_id",
    profile_fields=tuple(PROFILE_FIELDS),
    build_form=build_form,
    load=load,
    data_of=lambda form, definitions: data_of(db.session, form, definitions),
    field_for_error=field_for_error,
    custom_fields_of=custom_fields_of,
    get_or_404=get_customer_or_404,
    create=with_phone_region(profiles.create_customer),
    update=with_phone_region(profiles.update_customer),
    prepare=consent_changes,
    finish=_set_consents,
    context=lambda form: {"consent_fields": consent_fields_of(form)},
)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.AGENT)
def new() -> Page:
    return PAGES.new()


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@role_required(Role.AGENT)
def edit(customer_id: int) -> Page:
    if is_masked(customer_id):
        # The form shows contact points in full: reveal (and so log) them first.
        flash(_("Reveal the contact points to edit this customer."), "info")
        return redirect(url_for("customers.show", customer_id=customer_id))
    return PAGES.edit(customer_id)
