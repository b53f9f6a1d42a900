from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from web.forms import TimeZoneField
from workflows.platform.passwords import MIN_PASSWORD_LENGTH


class ProfileForm(FlaskForm):
    version = HiddenField()
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    time_zone = TimeZoneField(
        "Time zone", description="Times across Rapport are shown in this zone."
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=120)],
        description="What will use it, e.g. 'billing sync'.",
    )
