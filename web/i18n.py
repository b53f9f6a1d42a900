"""Flask-Babel: which language and time zone a request is shown in, and the Jinja helpers.

The language is the signed-in user's setting, else the `rapport_language` cookie (the language
menu on signed-out pages), else the best of `Accept-Language` among the supported locales,
else `DEFAULT_LANGUAGE`. Tags are mapped to locales in one place,
`workflows.platform.i18n.supported_locale`, which the workers use too.
"""

from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from models import Role
from web.templating import viewer_zone
from workflows.platform.i18n import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    supported_locale,
    translations_dir,
)

LANGUAGE_COOKIE = "rapport_language"

# The language menu's entries, each in its own language (a reader who cannot read the current
# one still finds theirs).
LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文"}

ROLE_LABELS = {
    Role.AGENT: _l("agent"),
    Role.SUPERVISOR: _l("supervisor"),
    Role.ADMIN: _l("admin"),
}


def default_locale() -> str:
    return supported_locale(current_app.config["DEFAULT_LANGUAGE"]) or DEFAULT_LOCALE


def accepted_locale() -> str | None:
    """The first `Accept-Language` entry (by quality) that Rapport speaks."""
    for tag, _quality in request.accept_languages:
        locale = supported_locale(tag)
        if locale:
            return locale
    return None


def select_locale() -> str:
    if not has_request_context():
        return default_locale()
    if current_user and current_user.is_authenticated:
        chosen = supported_locale(current_user.language)
        if chosen:
            return chosen
    return (
        supported_locale(request.cookies.get(LANGUAGE_COOKIE))
        or accepted_locale()
        or default_locale()
    )


def select_timezone() -> str:
    return viewer_zone().key


def html_lang() -> str:
    """The current locale as a BCP 47 tag for `<html lang>` (`zh-Hans`, `en`)."""
    locale = get_locale()
    if locale is None:
        return DEFAULT_LOCALE
    return locale.language + (f"-{locale.script}" if locale.script else "")


def role_label(role: Role) -> Markup:
    return Markup.escape(str(ROLE_LABELS.get(role, role.value)))


def register(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations_dir()))
    app.config["BABEL_DEFAULT_LOCALE"] = supported_locale(app.config["DEFAULT_LANGUAGE"]) or "en"
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(
        html_lang=html_lang,
        role_label=role_label,
        language_names=LANGUAGE_NAMES,
        supported_locales=SUPPORTED_LOCALES,
    )
