"""The translation catalogues: complete for what the tree marks, and the Flask-free translator."""

import shutil
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from web.catalogue import TRANSLATIONS, problems
from workflows.platform.i18n import gettext, ngettext, supported_locale, translator


def test_every_marked_string_is_translated_in_simplified_chinese() -> None:
    found = problems()
    assert not found, "run bin/i18n update and translate:\n" + "\n".join(map(str, found))


def test_the_check_reports_empty_fuzzy_and_wrong_placeholder_entries(tmp_path: Path) -> None:
    shutil.copytree(TRANSLATIONS, tmp_path / "translations")
    po_path = tmp_path / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as f:
        catalogue = read_po(f, locale="zh_Hans")
    catalogue["Customers"].string = ""
    catalogue["Dashboard"].flags.add("fuzzy")
    catalogue["%(n)s at risk"].string = "%(count)s 个有风险"
    del catalogue["Sign out"]
    with po_path.open("wb") as f:
        write_po(f, catalogue)

    found = {(p.msgid, p.what) for p in problems(translations=tmp_path / "translations")}

    assert ("Customers", "untranslated") in found
    assert ("Dashboard", "fuzzy") in found
    assert ("Sign out", "missing") in found
    assert any(msgid == "%(n)s at risk" and "placeholder" in what for msgid, what in found)


def test_language_tags_map_to_the_supported_locales() -> None:
    for tag in ("zh", "zh-CN", "zh-Hans-CN", "zh-SG", "zh_Hans", "ZH-cn"):
        assert supported_locale(tag) == "zh_Hans", tag
    for tag in ("en", "en-GB", "en-US"):
        assert supported_locale(tag) == "en", tag
    for tag in ("zh-TW", "zh-Hant", "zh-HK", "de", "fr-FR", "", None):
        assert supported_locale(tag) is None, tag


def test_the_flask_free_translator_speaks_chinese_and_falls_back_to_english() -> None:
    assert translator("zh-CN").gettext("Customers") == "客户"
    assert gettext("zh_Hans", "%(n)s at risk", n=3) == "3 个有风险"
    assert gettext("de", "Customers") == "Customers"
    assert gettext(None, "%(n)s at risk", n=3) == "3 at risk"
    assert ngettext("en", "%(num)s customer", "%(num)s customers", 2) == "2 customers"
