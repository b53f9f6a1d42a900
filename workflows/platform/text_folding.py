"""Accent folding for search: `José`, `Núñez`, `Müller`, `Ångström` and `Straße` are found by
`Jose`, `Nunez`, `Muller`, `Angstrom` and `Strasse`, and the other way round.

Both sides are folded: a search document carries a folded copy of each line that folding
changes (`with_folded`), and the searched words are folded too (`fold`). Neither database's
index folds by itself: SQLite's FTS5 trigram tokenizer only learned `remove_diacritics` in
3.45 (Debian 12 ships 3.40), and PostgreSQL's `unaccent` is an extension a host may lack.

Only Latin, Greek and Cyrillic letters and the like are folded; CJK, Hangul and everything
from U+2E80 on stay as written (NFKD would split Hangul syllables into jamo and rewrite
half-width katakana), so a later Chinese search finds its text intact."""

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

# Letters that NFKD does not decompose but that people type without their stroke or ligature.
SPECIAL = {
    "ß": "ss",
    "ẞ": "SS",
    "ø": "o",
    "Ø": "O",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "TH",
    "\u0131": "i",  # dotless i
}

FIRST_UNFOLDED = 0x2E80  # CJK radicals; everything from here on is left as written


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """The folded form of one character: possibly longer (ß → ss) or empty (a lone accent)."""
    if char.isascii() or ord(char) >= FIRST_UNFOLDED:
        return char
    special = SPECIAL.get(char)
    if special is not None:
        return special
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    return "".join(fold_char(c) for c in text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def fold_with_positions(text: str) -> tuple[str, Sequence[int]]:
    """`fold(text)` and, for each of its characters, the index in `text` it came from, so that a
    match found in the folded text can be marked in the original."""
    # ASCII runs fold to themselves: copied whole, only the other characters one by one. A
    # character-by-character loop over every snippet's document (1-2 KB, 25 a page) was about
    # a third of a customer search's CPU.
    if text.isascii():
        return text, range(len(text))
    out: list[str] = []
    positions: list[int] = []
    done = 0
    for run in _NON_ASCII.finditer(text):
        out.append(text[done : run.start()])
        positions.extend(range(done, run.start()))
        for index in range(run.start(), run.end()):
            folded = fold_char(text[index])
            out.append(folded)
            positions.extend([index] * len(folded))
        done = run.end()
    out.append(text[done:])
    positions.extend(range(done, len(text)))
    return "".join(out), positions


def with_folded(document: str) -> str:
    """`document` followed by the folded form of each line that folding changes: the index
    then finds the folded words while snippets still come from the lines as written."""
    lines = document.split("\n")
    extra = [folded for line in lines if (folded := fold(line)) != line]
    return "\n".join([*lines, *extra]) if extra else document
