"""Flask-Babel: which language and time zone a request is shown in, and the Jinja helpers.

The language is the signed-in user's setting, else the `rapport_language` cookie (the language
menu on signed-out pages), else the best of `Accept-Language` among the supported locales,
else `DEFAULT_LANGUAGE`. Under /api/ an `Accept-Language` naming a supported locale comes first:
the client asks per request (problem titles and details; codes stay English). Tags are mapped
to locales in one place, `workflows.platform.i18n.supported_locale`, which the workers use too.
"""

import json
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from babel.numbers import UnknownCurrencyError
from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import Babel, format_currency, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from models import Role
from web.extensions import db
from web.templating import viewer_zone
from workflows.platform import accounts
from workflows.platform.i18n import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    set_ambient_locale,
    supported_locale,
    translations_dir,
)

LANGUAGE_COOKIE = "rapport_language"
LANGUAGE_COOKIE_DAYS = 365

bp = Blueprint("language", __name__)

# The language menu's entries, each in its own language (a reader who cannot read the current
# one still finds theirs).
LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文"}

ROLE_LABELS = {
    Role.AGENT: _l("agent"),
    Role.SUPERVISOR: _l("supervisor"),
    Role.ADMIN: _l("admin"),
}


# Durations as the queues show them ("2 d 3 h", "2 天 3 小时"): at most two units, rounded down.
# requirements.js ticks the countdowns with the same words (`<html data-durations>`).
DURATION_WORDS = {
    "s": _l("%(s)s s"),
    "m": _l("%(m)s min"),
    "h": _l("%(h)s h"),
    "hm": _l("%(h)s h %(m)s min"),
    "d": _l("%(d)s d"),
    "dh": _l("%(d)s d %(h)s h"),
    "breached": _l("breached %(duration)s ago"),
    "due": _l("due in %(duration)s"),
    "at_risk": _l("at risk: due in %(duration)s"),
}


def duration(seconds: float) -> str:
    """3 min, 2 h 5 min, 1 d 4 h (in the reader's language); under a minute: 40 s."""
    seconds = int(abs(seconds))
    if seconds < 60:
        return str(DURATION_WORDS["s"]) % {"s": seconds}
    minutes = seconds // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        key = "dh" if hours else "d"
    elif hours:
        key = "hm" if minutes else "h"
    else:
        key = "m"
    return str(DURATION_WORDS[key]) % {"d": days, "h": hours, "m": minutes}


# Words the shared scripts write (rapport.js's confirmation dialog, notifications.js's bell), on
# <html data-words> in the page's language.
SCRIPT_WORDS = {
    "no": _l("No, go back"),
    "yes": _l("Yes, go ahead"),
    "notifications": _l("Notifications"),
    "unread": _l("Notifications: %(n)s unread"),
    # The keyboard shortcuts overlay ("?", keyboard.js).
    "keys_title": _l("Keyboard shortcuts"),
    "keys_close": _l("Close"),
    "keys_help": _l("Show or hide this list"),
    # Translators: a key sequence: press g, then the key named by %(key)s.
    "keys_then": _l("g then %(key)s"),
    "keys_team": _l("Team queue"),
    "keys_mine": _l("My requirements"),
    "keys_escalations": _l("Escalations"),
    "keys_customers": _l("Customers"),
    "keys_new": _l("New requirement"),
    "keys_new_here": _l("New requirement for this customer"),
    "keys_rows": _l("Next / previous row of a list"),
    "keys_open": _l("Open the row"),
    "keys_reply": _l("Reply to the customer"),
    "keys_note": _l("Internal note"),
    "keys_send": _l("Send what you are writing"),
    # Translators: the tooltip of a trigger button that key %(n)s presses.
    "keys_key": _l("Key %(n)s"),
}


def script_words_json() -> str:
    return json.dumps({key: str(words) for key, words in SCRIPT_WORDS.items()})


def duration_words_json() -> str:
    return json.dumps({key: str(words) for key, words in DURATION_WORDS.items()})


def money(amount: Decimal | float | int | str | None, currency: str | None) -> str:
    """An amount in its own currency, as the viewer's locale writes it: ¥1,234.50 for CNY in
    Chinese, CN¥1,234.50 in English, €1,234.50. Amounts of different currencies are never
    added up; a code Babel does not know is written after the number."""
    if amount is None:
        return "—"
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    code = (currency or "").upper()
    try:
        return format_currency(value, code)
    except (UnknownCurrencyError, ValueError):
        return f"{format_decimal(value, format='#,##0.00')} {code}".strip()


def number(value: float | int | Decimal | None) -> str:
    """A number with the viewer's locale's grouping (1,234,567)."""
    return "—" if value is None else format_decimal(value)


def default_locale() -> str:
    return supported_locale(current_app.config["DEFAULT_LANGUAGE"]) or DEFAULT_LOCALE


def user_locale(user: object) -> str:
    """The language of what is written to `user` outside their own request (an email): their
    setting, else the configured default (another person's browser says nothing about them)."""
    return supported_locale(getattr(user, "language", None)) or default_locale()


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
    if request.path.startswith("/api/"):
        # An API client names the language of each answer's human texts in the request.
        asked = accepted_locale()
        if asked:
            return asked
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


def current_locale() -> str:
    """The current locale's id (`en`, `zh_Hans`), as the language menu names them."""
    return str(get_locale() or DEFAULT_LOCALE)


def _request_locale() -> str | None:
    return current_locale() if has_request_context() else None


def html_lang() -> str:
    """The current locale as a BCP 47 tag for `<html lang>` (`zh-Hans`, `en`)."""
    locale = get_locale()
    if locale is None:
        return DEFAULT_LOCALE
    return locale.language + (f"-{locale.script}" if locale.script else "")


def role_label(role: Role) -> Markup:
    return Markup.escape(str(ROLE_LABELS.get(role, role.value)))


def _back_to(target: str | None) -> str:
    """Where the menu returns to: a path on this site, never another host (an open redirect)."""
    parts = urlsplit(target or "")
    local = target and target.startswith("/") and not target.startswith("//")
    if local and not parts.scheme and not parts.netloc and "\\" not in target:
        return target
    return url_for("dashboard.index")


@bp.post("/language")
def choose() -> Response:
    """The language menu: saves a signed-in user's setting, and a cookie for the signed-out
    pages (sign-in, password reset) of this browser."""
    locale = supported_locale(request.form.get("language"))
    response = redirect(_back_to(request.form.get("next")))
    if locale is None:
        return response
    if current_user.is_authenticated:
        accounts.set_language(db.session, current_user, locale)
        db.session.commit()
    response.set_cookie(
        LANGUAGE_COOKIE,
        locale,
        max_age=LANGUAGE_COOKIE_DAYS * 86400,
        secure=bool(current_app.config["SECURE_COOKIES"]),
        httponly=True,
        samesite="Lax",
    )
    return response


def register(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations_dir()))
    app.config["BABEL_DEFAULT_LOCALE"] = supported_locale(app.config["DEFAULT_LANGUAGE"]) or "en"
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.register_blueprint(bp)
    # Labels declared in workflows/ (states, triggers, timers) show in the request's language.
    set_ambient_locale(_request_locale)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = number
    app.jinja_env.globals.update(
        html_lang=html_lang,
        current_locale=current_locale,
        duration_words_json=duration_words_json,
        script_words_json=script_words_json,
        role_label=role_label,
        language_names=LANGUAGE_NAMES,
        supported_locales=SUPPORTED_LOCALES,
    )
