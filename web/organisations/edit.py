"""New and edit organisation pages (the flow is `web.edit_pages`)."""

from models import Role
from web.access import role_required
from web.edit_pages import EditPages, Page
from web.organisations import bp
from web.organisations.access import get_organisation_or_404
from web.organisations.forms import (
    PROFILE_FIELDS,
    build_form,
    custom_fields_of,
    data_of,
    field_for_error,
    load,
)
from web.phones import with_phone_region
from workflows.customers import organisations

PAGES = EditPages(
    noun="organisation",
    template="organisations/form.html",
    show_endpoint="organisations.show",
    id_arg="organisation_id",
    profile_fields=tuple(PROFILE_FIELDS),
    build_form=build_form,
    load=load,
    data_of=data_of,
    field_for_error=field_for_error,
    custom_fields_of=custom_fields_of,
    get_or_404=get_organisation_or_404,
    create=with_phone_region(organisations.create_organisation),
    update=with_phone_region(organisations.update_organisation),
)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.AGENT)
def new() -> Page:
    return PAGES.new()


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@role_required(Role.AGENT)
def edit(organisation_id: int) -> Page:
    return PAGES.edit(organisation_id)
