from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from models import Role
from web.account.forms import time_zone_choices

ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in Role]


class NewUserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email()])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.AGENT.value)
    time_zone = SelectField("Time zone")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = time_zone_choices()


class EditUserForm(FlaskForm):
    version = HiddenField()
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    time_zone = SelectField("Time zone")
    is_active = BooleanField("Active (can sign in)")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = time_zone_choices()


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired(), Length(max=120)])


class TeamMembersForm(FlaskForm):
    members = SelectMultipleField("Members", coerce=int)
    supervisors = SelectMultipleField(
        "Supervisors", coerce=int, description="Supervisors are members too."
    )


class TestEmailForm(FlaskForm):
    to_address = EmailField("Send a test email to", validators=[DataRequired(), Email()])
