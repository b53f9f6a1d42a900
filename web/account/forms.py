import zoneinfo

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from workflows.platform.passwords import MIN_PASSWORD_LENGTH


def time_zone_choices() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class ProfileForm(FlaskForm):
    version = HiddenField()
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    time_zone = SelectField("Time zone", description="Times across Rapport are shown in this zone.")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = time_zone_choices()

    def validate_time_zone(self, field: SelectField) -> None:
        if field.data not in zoneinfo.available_timezones():
            raise ValidationError("Choose a time zone from the list.")


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
