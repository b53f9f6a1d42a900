"""Translations without Flask, for text that workers and workflows render (notices, outreach
emails, workflow state and trigger labels, problem titles).

The catalogues are the ones the web uses (`translations/<locale>/LC_MESSAGES/messages.mo`,
compiled by `bin/install` or `bin/i18n compile`). Labels declared at import time are marked
with `N_()` (extracted, left in English) and translated where they are shown, with the viewer's
or the recipient's `translator(locale)`.
"""

import functools
import re
from collections.abc import Callable
from pathlib import Path

from babel.support import NullTranslations, Translations
from markupsafe import escape

SUPPORTED_LOCALES = ("en", "zh_Hans")  # the interface's languages
# German has a catalogue for the customer and staff notices only (the emails workers render,
# translated before the interface was); everything else in it falls back to English.
NOTICE_ONLY_LOCALES = ("de",)
DEFAULT_LOCALE = "en"

# The checkout's `translations/` (a development install or CI), else the working directory's
# (the Docker image installs the packages into site-packages and keeps `translations/` in /app).
_CANDIDATE_DIRS = (
    Path(__file__).resolve().parents[2] / "translations",
    Path.cwd() / "translations",
)

# Language tags that mean Simplified Chinese. Traditional (zh-Hant, zh-TW, zh-HK, zh-MO) is not
# offered, so those fall through to the next preference rather than being shown Simplified.
_TRADITIONAL = re.compile(r"^zh[-_](hant|tw|hk|mo)\b", re.IGNORECASE)


def _no_ambient_locale() -> str | None:
    return None


# Whose language a label is shown in when the caller names none: the web sets this to the
# request's locale (web/i18n.py); workers and tests without a request get English. Text for a
# recipient (an email) always names the recipient's locale instead.
_ambient_locale: Callable[[], str | None] = _no_ambient_locale


def set_ambient_locale(resolver: Callable[[], str | None]) -> None:
    global _ambient_locale  # set once per process, by the web app factory
    _ambient_locale = resolver


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name for "mark, do not translate")
    """Mark `message` for extraction; it is translated where it is displayed."""
    return message


def translations_dir() -> Path:
    for candidate in _CANDIDATE_DIRS:
        if candidate.is_dir():
            return candidate
    return _CANDIDATE_DIRS[0]


def supported_locale(tag: str | None) -> str | None:
    """The supported locale a language tag asks for (`zh-CN`, `zh-Hans-CN`, `zh-SG`, `zh` →
    `zh_Hans`; `en-GB` → `en`), or None when Rapport does not speak it."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-")
    lowered = tag.lower()
    if lowered == "zh-hans" or lowered.startswith("zh"):
        return None if _TRADITIONAL.match(lowered) else "zh_Hans"
    if lowered == "en" or lowered.startswith("en-"):
        return "en"
    return None


def catalogue_locale(tag: str | None) -> str | None:
    """The catalogue a language tag reads from: a supported locale, or a notice-only one
    (`de-AT` → `de`)."""
    chosen = supported_locale(tag)
    if chosen or not tag:
        return chosen
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in NOTICE_ONLY_LOCALES else None


@functools.cache
def translator(locale: str | None) -> NullTranslations:
    """Translations for `locale` (any tag `catalogue_locale` understands); English source text
    for anything else. Cached per process: catalogues change only with a deployment."""
    chosen = catalogue_locale(locale) or DEFAULT_LOCALE
    if chosen == DEFAULT_LOCALE:
        # msgids are English: the `en` catalogue only exists so that translators see the list.
        return NullTranslations()
    return Translations.load(str(translations_dir()), [chosen], domain="messages")


def gettext(locale: str | None, message: str, **variables: object) -> str:
    """`message` in `locale`, with `%(name)s` placeholders filled (as Flask-Babel does)."""
    text = translator(locale).gettext(message)
    return text % variables if variables else text


def ngettext(locale: str | None, singular: str, plural: str, n: int, **variables: object) -> str:
    """The form of `singular`/`plural` for `n` in `locale`; `%(num)s` is `n`."""
    text = translator(locale).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def display(message: str, locale: str | None = None, **variables: object) -> str:
    """A label marked with `N_` in the reader's language: `locale`, else the ambient one (the
    web request's), else English; `%(name)s` placeholders filled from `variables`."""
    text = translator(locale or _ambient_locale()).gettext(message)
    return text % variables if variables else text


class LazyText(str):
    """A label declared at import time that shows itself in the reader's language whenever it
    is rendered (Jinja, `str()`, f-strings); its `str` value, what JSON and comparisons see,
    stays the English msgid."""

    def __new__(cls, message: str, **variables: object) -> "LazyText":
        text = super().__new__(cls, message)
        text.variables = variables  # fills the `%(name)s` placeholders when shown
        return text

    def __str__(self) -> str:
        return display(str.__str__(self), None, **self.variables)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __html__(self) -> str:
        return str(escape(str(self)))
