"""Helpers shared by the HTML forms."""

import zoneinfo
from functools import cache
from typing import Any

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from web.i18n import LANGUAGE_NAMES
from workflows.platform.errors import ValidationFailed


def attach_errors(form: Any, exc: ValidationFailed) -> None:
    """Show each domain validation message at its form field (or as a flash if no such field)."""
    for name, messages in exc.errors.items():
        field = getattr(form, name.replace(".", "_"), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + messages
        else:
            flash(
                _("%(field)s: %(messages)s", field=name, messages=" ".join(map(str, messages))),
                "error",
            )


def shown_value(field: Any) -> str:
    """A field's value as the stale-edit comparison shows it (choice labels, one line)."""
    data = field.data
    if isinstance(data, list):
        return ", ".join(str(d) for d in data)
    text = "" if data is None else str(data).replace("\r\n", "\n").strip()
    choices = getattr(field, "choices", None)
    if choices and text:
        labels = {c.value: c.label for c in choices}
        return labels.get(text, text)
    if field.name in ("emails", "phones"):
        return ", ".join(line.strip() for line in text.splitlines() if line.strip())
    return text


def int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA zone names, sorted (read once: the tz database does not change while running)."""
    return tuple(sorted(zoneinfo.available_timezones()))


class TimeZoneInput(TextInput):
    """A text box suggesting the IANA zones as one types (a datalist): "berl" offers
    Europe/Berlin, where a 600-option select needed scrolling."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        list_id = f"{field.id}-zones"
        kwargs.setdefault("list", list_id)
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("spellcheck", "false")
        kwargs.setdefault("placeholder", _("e.g. %(zone)s", zone="Asia/Shanghai"))
        options = Markup("").join(Markup('<option value="{}">').format(z) for z in time_zones())
        return Markup('{}<datalist id="{}">{}</datalist>').format(
            super().__call__(field, **kwargs), list_id, options
        )


class TimeZoneField(StringField):
    """An IANA time zone, typed with suggestions and checked on the server (a 422 on the
    field otherwise). `optional` lets it stay blank; `by_workflow` leaves the check to a
    workflow that reports it with the record's other errors (a form error here would hide them)."""

    widget = TimeZoneInput()

    def __init__(
        self, *args: Any, optional: bool = False, by_workflow: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.optional = optional
        self.by_workflow = by_workflow

    def pre_validate(self, form: Any) -> None:
        self.data = (self.data or "").strip()
        if (not self.data and self.optional) or self.by_workflow:
            return
        if self.data not in time_zones():
            raise ValidationError(
                _(
                    "“%(value)s” is not a time zone: choose one from the list, e.g. %(zone)s.",
                    value=self.data,
                    zone="Asia/Shanghai",
                )
            )


class LanguageField(SelectField):
    """The interface language (also that of the staff emails): a supported locale, or empty to
    follow the browser's Accept-Language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "choices",
            [
                SelectChoice("", _l("Same as the browser")),
                *(SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()),
            ],
        )
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def process_data(self, value: Any) -> None:
        super().process_data(value or "")
