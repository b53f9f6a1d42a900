"""The customer form, built per request: custom fields follow the active definitions."""

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    Field,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from models import Channel, CustomFieldDefinition, FieldKind, LifecycleStage, User
from web.customers import organisations as organisation_choices
from web.forms import TimeZoneField
from web.record_words import capitalised, stage_choices
from workflows.customers import custom_fields


def choices(pairs: Any) -> list[SelectChoice]:
    # A lazy label stays lazy: it is put into words when the form is rendered, in the viewer's
    # language (module-level choices are built once, at import).
    return [
        SelectChoice(str(value), label if isinstance(label, LazyString) else str(label))
        for value, label in pairs
    ]


CONSENT_CHOICES = choices(
    [("", _l("unchanged")), ("granted", _l("granted")), ("withdrawn", _l("withdrawn"))]
)
# Form fields in the order the form shows them, with the workflow's name for each.
PROFILE_FIELDS = (
    "name",
    "emails",
    "phones",
    "organisation_id",
    "owner_id",
    "stage",
    "time_zone",
    "language",
    "address_line",
    "district",
    "city",
    "region",
    "postal_code",
    "country",
    "notes",
    "tags",
)


class CustomerForm(FlaskForm):
    organisation_by_name = False  # a name box instead of a drop-down (many organisations)
    version = HiddenField()
    name = StringField(_l("Name"), validators=[Length(max=200)])
    emails = TextAreaField(_l("Emails"), description=_l("One per line; the first is the primary."))
    phones = TextAreaField(
        _l("Phones"), description=_l("One per line, any format; +country or local.")
    )
    organisation_id = SelectField(_l("Organisation"), validate_choice=False)
    owner_id = SelectField(_l("Owner"), validate_choice=False)
    stage = SelectField(_l("Stage"), validate_choice=False)
    time_zone = TimeZoneField(_l("Time zone"), optional=True, by_workflow=True)
    language = StringField(_l("Language"), description=_l("A language tag such as en or pt-BR."))
    address_line = StringField(_l("Street and number"))
    district = StringField(_l("District"))
    city = StringField(_l("City"))
    region = StringField(_l("Region / province"), description=_l("State, province or county."))
    postal_code = StringField(_l("Postal code"))
    country = StringField(_l("Country"), description=_l("Two letters, e.g. DE."))
    notes = TextAreaField(_l("Notes"))
    tags = StringField(_l("Tags"), description=_l("Separated by commas."))


def custom_field_name(key: str) -> str:
    return f"custom__{key}"


def custom_field(definition: CustomFieldDefinition) -> Field:
    label = (
        definition.label
        if definition.is_required
        else _("%(label)s (optional)", label=definition.label)
    )
    kind = definition.kind
    if kind is FieldKind.SINGLE_CHOICE:
        options = choices([("", "—"), *((c, c) for c in definition.choices)])
        return SelectField(label, choices=options, validate_choice=False)
    if kind is FieldKind.MULTI_CHOICE:
        options = choices((c, c) for c in definition.choices)
        return SelectMultipleField(label, choices=options, validate_choice=False)
    if kind is FieldKind.DATE:
        return StringField(label, render_kw={"type": "date"})
    if kind is FieldKind.NUMBER:
        return StringField(label, render_kw={"inputmode": "decimal"})
    if kind is FieldKind.TEXT:
        return StringField(label)
    raise ValueError(kind)


def _consent_fields(channel: Channel) -> dict[str, Field]:
    name = capitalised(channel)
    return {
        f"consent_{channel.value}": SelectField(
            _("%(channel)s consent", channel=name),
            choices=CONSENT_CHOICES,
            validate_choice=False,
        ),
        f"consent_{channel.value}_method": StringField(
            _("How (%(channel)s)", channel=name),
            description=_("e.g. web form, phone call, signed letter"),
        ),
    }


def build_form(session: Session, **kwargs: Any) -> tuple[CustomerForm, list[CustomFieldDefinition]]:
    """A CustomerForm with one field per active custom field definition and per consent channel."""
    definitions = custom_fields.definitions(session, "customer")
    attrs: dict[str, Field] = {custom_field_name(d.key): custom_field(d) for d in definitions}
    for channel in Channel:
        attrs.update(_consent_fields(channel))
    organisation_options = organisation_choices.options(session)
    if organisation_options is None:
        attrs["organisation_id"] = StringField(
            _("Organisation"), description=_("Its name, or the beginning of it.")
        )
    form_class = type("BoundCustomerForm", (CustomerForm,), attrs)
    form = form_class(**kwargs)
    form.organisation_by_name = organisation_options is None
    if organisation_options is not None:
        form.organisation_id.choices = choices([("", "—"), *organisation_options])
    _fill_choices(session, form)
    return form, definitions


def _fill_choices(session: Session, form: CustomerForm) -> None:
    users = session.execute(select(User.id, User.name).where(User.is_active).order_by(User.name))
    form.owner_id.choices = choices([("", "—"), *users])
    stages = session.execute(
        select(LifecycleStage.key, LifecycleStage.name)
        .where(LifecycleStage.is_active)
        .order_by(LifecycleStage.position)
    )
    form.stage.choices = choices([("", "—"), *stage_choices(stages)])


def custom_fields_of(form: CustomerForm, definitions: list[CustomFieldDefinition]) -> list[Field]:
    return [form[custom_field_name(d.key)] for d in definitions]


def consent_fields_of(form: CustomerForm) -> list[tuple[Channel, Field, Field]]:
    return [(c, form[f"consent_{c.value}"], form[f"consent_{c.value}_method"]) for c in Channel]


def load(form: CustomerForm, customer: Any, definitions: list[CustomFieldDefinition]) -> None:
    """Fill the form from a saved customer (for GET and for showing a stale edit)."""
    form.version.data = str(customer.version)
    form.name.data = customer.name
    form.emails.data = "\n".join(e.email for e in customer.emails)
    form.phones.data = "\n".join(p.e164 for p in customer.phones)
    if form.organisation_by_name:
        form.organisation_id.data = customer.organisation.name if customer.organisation else ""
    else:
        form.organisation_id.data = str(customer.organisation_id or "")
    form.owner_id.data = str(customer.owner_id or "")
    form.stage.data = customer.stage.key if customer.stage else ""
    for name in (
        "time_zone",
        "language",
        "address_line",
        "district",
        "city",
        "region",
        "postal_code",
        "country",
    ):
        form[name].data = getattr(customer, name) or ""
    form.notes.data = customer.notes or ""
    form.tags.data = ", ".join(t.name for t in customer.tags)
    for d in definitions:
        value = (customer.custom or {}).get(d.key)
        field = form[custom_field_name(d.key)]
        if d.kind is FieldKind.MULTI_CHOICE:
            field.data = list(value or [])
        else:
            field.data = "" if value is None else str(value)


def data_of(
    session: Session, form: CustomerForm, definitions: list[CustomFieldDefinition]
) -> dict[str, Any]:
    """The workflow's input from the submitted form; an organisation name that matches none or
    several is reported at its field (and left unchanged)."""
    data: dict[str, Any] = {name: form[name].data for name in PROFILE_FIELDS}
    data["custom"] = {d.key: form[custom_field_name(d.key)].data for d in definitions}
    if form.organisation_by_name and (name := (data["organisation_id"] or "").strip()):
        try:
            data["organisation_id"] = organisation_choices.find_by_name(session, name)
        except ValueError as exc:
            form.organisation_id.errors = [*form.organisation_id.errors, str(exc)]
            del data["organisation_id"]
    return data


def consent_changes(form: CustomerForm) -> list[tuple[Channel, bool, str]]:
    """(channel, granted, method) for each channel whose consent the form changes; a missing
    method is reported at its field."""
    changes = []
    for channel, state, method in consent_fields_of(form):
        if not state.data:
            continue
        if state.data not in ("granted", "withdrawn"):
            state.errors = [*state.errors, _("Choose granted or withdrawn.")]
            continue
        if not (method.data or "").strip():
            method.errors = [*method.errors, _("Say how consent was given or withdrawn.")]
            continue
        changes.append((channel, state.data == "granted", method.data.strip()))
    return changes


def field_for_error(form: CustomerForm, key: str) -> Field | None:
    """The form field a workflow error key ("emails", "custom.plan", "stage_id") belongs to."""
    if key.startswith("custom."):
        key = custom_field_name(key.removeprefix("custom."))
    key = {"stage_id": "stage"}.get(key, key)
    return form._fields.get(key)
