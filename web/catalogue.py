"""The translation catalogues' build steps in one place, for `bin/i18n` and the tests.

`python -m web.catalogue extract [POT]` writes the template extracted from the tree;
`python -m web.catalogue compile` writes the `.mo` files; `python -m web.catalogue check`
extracts afresh and lists every msgid that `zh_Hans` lacks, leaves empty, marks fuzzy or
translates with other placeholders than the English (each would show English, or fail).
"""

import io
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
COMPLETE_LOCALES = ("zh_Hans",)  # every msgid must be translated in these; `en` is the source

EXTRACT_ARGS = (
    "-F", str(ROOT / "babel.cfg"),
    "-k", "_l", "-k", "N_", "-k", "lazy_gettext",
    "--no-location", "--sort-output", "--add-comments=Translators:",
    "--project=Rapport", "--copyright-holder=Rapport contributors",
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    locale: str
    msgid: str
    what: str  # "missing", "untranslated", "fuzzy" or a placeholder error

    def __str__(self) -> str:
        return f"{self.locale}: {self.what}: {self.msgid!r}"


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path = TEMPLATE) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    _pybabel("extract", *EXTRACT_ARGS, "-o", str(output), str(ROOT))
    return output


def compile_all() -> None:
    _pybabel("compile", "-d", str(TRANSLATIONS))


def _msgid(message_id: str | tuple[str, ...]) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


def problems(
    locales: tuple[str, ...] = COMPLETE_LOCALES, translations: Path = TRANSLATIONS
) -> list[Problem]:
    """What a fresh extraction of the tree finds missing or wrong in each locale's `.po`."""
    with tempfile.TemporaryDirectory() as folder:
        template = read_po(io.BytesIO(extract(Path(folder) / "messages.pot").read_bytes()))
    found: list[Problem] = []
    for locale in locales:
        po_path = translations / locale / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as po:
            catalogue = read_po(po, locale=locale)
        for wanted in template:
            if not wanted.id:
                continue
            key = _msgid(wanted.id)
            message = catalogue.get(wanted.id)
            if message is None:
                found.append(Problem(locale, key, "missing"))
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                found.append(Problem(locale, key, "fuzzy"))
            elif not all(strings):
                found.append(Problem(locale, key, "untranslated"))
            else:
                found.extend(Problem(locale, key, str(e)) for e in message.check(catalogue))
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        extract(Path(argv[1]) if len(argv) > 1 else TEMPLATE)
        return 0
    if command == "compile":
        compile_all()
        return 0
    if command == "check":
        found = problems()
        for problem in found:
            print(problem)
        print(f"{len(found)} catalogue problem(s)" if found else "catalogues complete")
        return 1 if found else 0
    print("usage: python -m web.catalogue extract [POT] | compile | check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
