from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from models import FieldKind, Role
from web.forms import LanguageField, TimeZoneField
from web.page_words import ENTITY_WORDS, FIELD_KIND_WORDS

ROLE_WORDS = {Role.AGENT: _l("Agent"), Role.SUPERVISOR: _l("Supervisor"), Role.ADMIN: _l("Admin")}
ROLE_CHOICES = [SelectChoice(r.value, ROLE_WORDS.get(r, r.value.capitalize())) for r in Role]


class NewUserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.AGENT.value)
    time_zone = TimeZoneField(_l("Time zone"))
    language = LanguageField(_l("Language"))


class EditUserForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    time_zone = TimeZoneField(_l("Time zone"))
    language = LanguageField(_l("Language"))
    is_active = BooleanField(_l("Active (can sign in)"))


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=120)])


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (the `checklist` macro adds a filter
    box): a plain click on a multiple select drops every other pick, a checkbox cannot."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TeamMembersForm(FlaskForm):
    members = CheckboxListField(_l("Members"), coerce=int)
    supervisors = CheckboxListField(
        _l("Supervisors"), coerce=int, description=_l("Supervisors are members too.")
    )


class TestEmailForm(FlaskForm):
    to_address = EmailField(_l("Send a test email to"), validators=[DataRequired(), Email()])


KIND_CHOICES = [SelectChoice(k.value, FIELD_KIND_WORDS[k.value]) for k in FieldKind]
ENTITY_CHOICES = [
    SelectChoice("customer", ENTITY_WORDS["customer"]),
    SelectChoice("organisation", ENTITY_WORDS["organisation"]),
]


class CustomFieldForm(FlaskForm):
    entity = SelectField(_l("Applies to"), choices=ENTITY_CHOICES)
    key = StringField(
        _l("Key"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("Permanent; used in imports and the API, e.g. contract_end."),
    )
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    choices = TextAreaField(_l("Choices"), description=_l("One per line, for choice fields."))
    is_required = BooleanField(_l("Required"))


class EditCustomFieldForm(FlaskForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=120)])
    choices = TextAreaField(_l("Choices"), description=_l("One per line, for choice fields."))
    is_required = BooleanField(_l("Required"))
    is_active = BooleanField(_l("Active (shown and validated)"))


class StageForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])


class EditStageForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    position = IntegerField(_l("Position"), validators=[InputRequired()])
    is_active = BooleanField(_l("Active"))
