"""The organisation form, built per request: custom fields follow the active definitions."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from models import CustomFieldDefinition, FieldKind, Organisation, User
from web.customers.forms import choices, custom_field, custom_field_name
from workflows.customers import custom_fields

# Form fields in the order the form shows them; the workflow uses the same names.
PROFILE_FIELDS = ("name", "website", "phone", "address", "notes", "owner_id")


class OrganisationForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Name"), validators=[Length(max=200)])
    website = StringField(_l("Website"), description=_l("e.g. example.com"))
    phone = StringField(_l("Phone"), description=_l("Any format; +country or local."))
    address = TextAreaField(_l("Address"))
    notes = TextAreaField(_l("Notes"))
    owner_id = SelectField(_l("Owner"), validate_choice=False)


def build_form(
    session: Session, **kwargs: Any
) -> tuple[OrganisationForm, list[CustomFieldDefinition]]:
    """An OrganisationForm with one field per active "organisation" custom field definition."""
    definitions = custom_fields.definitions(session, "organisation")
    attrs: dict[str, Field] = {custom_field_name(d.key): custom_field(d) for d in definitions}
    form = type("BoundOrganisationForm", (OrganisationForm,), attrs)(**kwargs)
    users = session.execute(select(User.id, User.name).where(User.is_active).order_by(User.name))
    form.owner_id.choices = choices([("", "—"), *users])
    return form, definitions


def custom_fields_of(
    form: OrganisationForm, definitions: list[CustomFieldDefinition]
) -> list[Field]:
    return [form[custom_field_name(d.key)] for d in definitions]


def load(
    form: OrganisationForm, organisation: Organisation, definitions: list[CustomFieldDefinition]
) -> None:
    """Fill the form from a saved organisation (for GET and for showing a stale edit)."""
    form.version.data = str(organisation.version)
    for name in PROFILE_FIELDS:
        value = getattr(organisation, name)
        form[name].data = "" if value is None else str(value)
    for d in definitions:
        value = (organisation.custom or {}).get(d.key)
        field = form[custom_field_name(d.key)]
        if d.kind is FieldKind.MULTI_CHOICE:
            field.data = list(value or [])
        else:
            field.data = "" if value is None else str(value)


def data_of(form: OrganisationForm, definitions: list[CustomFieldDefinition]) -> dict[str, Any]:
    data: dict[str, Any] = {name: form[name].data for name in PROFILE_FIELDS}
    data["custom"] = {d.key: form[custom_field_name(d.key)].data for d in definitions}
    return data


def field_for_error(form: OrganisationForm, key: str) -> Field | None:
    """The form field a workflow error key ("website", "custom.size") belongs to."""
    if key.startswith("custom."):
        key = custom_field_name(key.removeprefix("custom."))
    return form._fields.get(key)
