"""Translations without Flask, for text that workers and workflows render (notices, outreach
emails, workflow state and trigger labels, problem titles).

The catalogues are the ones the web uses (`translations/<locale>/LC_MESSAGES/messages.mo`,
compiled by `bin/install` or `bin/i18n compile`). Labels declared at import time are marked
with `N_()` (extracted, left in English) and translated where they are shown, with the viewer's
or the recipient's `translator(locale)`.
"""

import functools
import re
from pathlib import Path

from babel.support import NullTranslations, Translations

SUPPORTED_LOCALES = ("en", "zh_Hans")
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


@functools.cache
def translator(locale: str | None) -> NullTranslations:
    """Translations for `locale` (any tag `supported_locale` understands); English source text
    for anything else. Cached per process: catalogues change only with a deployment."""
    chosen = supported_locale(locale) or DEFAULT_LOCALE
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
