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

ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in Role]


class NewUserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email()])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.AGENT.value)
    time_zone = TimeZoneField("Time zone")
    language = LanguageField("Language")


class EditUserForm(FlaskForm):
    version = HiddenField()
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    time_zone = TimeZoneField("Time zone")
    language = LanguageField("Language")
    is_active = BooleanField("Active (can sign in)")


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired(), Length(max=120)])


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (the `checklist` macro adds a filter
    box): a plain click on a multiple select drops every other pick, a checkbox cannot."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TeamMembersForm(FlaskForm):
    members = CheckboxListField("Members", coerce=int)
    supervisors = CheckboxListField(
        "Supervisors", coerce=int, description="Supervisors are members too."
    )


class TestEmailForm(FlaskForm):
    to_address = EmailField("Send a test email to", validators=[DataRequired(), Email()])


KIND_CHOICES = [SelectChoice(k.value, k.value.replace("_", " ")) for k in FieldKind]
ENTITY_CHOICES = [
    SelectChoice("customer", "Customer"),
    SelectChoice("organisation", "Organisation"),
]


class CustomFieldForm(FlaskForm):
    entity = SelectField("Applies to", choices=ENTITY_CHOICES)
    key = StringField(
        "Key",
        validators=[DataRequired(), Length(max=60)],
        description="Permanent; used in imports and the API, e.g. contract_end.",
    )
    label = StringField("Label", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Kind", choices=KIND_CHOICES)
    choices = TextAreaField("Choices", description="One per line, for choice fields.")
    is_required = BooleanField("Required")


class EditCustomFieldForm(FlaskForm):
    label = StringField("Label", validators=[DataRequired(), Length(max=120)])
    choices = TextAreaField("Choices", description="One per line, for choice fields.")
    is_required = BooleanField("Required")
    is_active = BooleanField("Active (shown and validated)")


class StageForm(FlaskForm):
    key = StringField("Key", validators=[DataRequired(), Length(max=40)])
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])


class EditStageForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    position = IntegerField("Position", validators=[InputRequired()])
    is_active = BooleanField("Active")
