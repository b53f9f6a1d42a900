"""How a name is read and ordered: the pinyin of its Chinese characters (with the reading a
character has as a surname: 曾 zeng, 单 shan, 解 xie), the keys that find a Chinese name by one
or two of its characters, its pinyin or its initials, and the sort key that orders 王芳 under W
next to "Walter" rather than after every Latin name.

It lives beside the models because `customers.name_sort` is a column default computed here, so
that every insert path (forms, API, imports, bulk seeding) fills it; `workflows` uses the same
readings for the search index.

Only pypinyin's table of single-character readings is used, never its phrase dictionary: names
are not phrases (the phrase 曾经 says ceng, the surname zeng), and skipping the phrases saves
~45 MB and ~0.4 s of import in every process."""

import os
import re
import unicodedata

# Must be set before pypinyin is first imported; nothing else in Rapport imports it.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")

from pypinyin.pinyin_dict import pinyin_dict


def fold(text: str) -> str:
    """Accents off and case folded, for ordering only (search folds with
    workflows/platform/text_folding, which models may not import): Émile → emile, Straße →
    strasse."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# CJK unified ideographs (the basic block, extension A, compatibility ideographs, extensions
# B to F): what "Chinese characters" means for names here.
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")

# Characters whose surname reading is not their most common one (pypinyin lists the common one
# first): 曾国藩 is Zeng Guofan, 单雄信 Shan Xiongxin.
SURNAME_READINGS = {
    "曾": ("zeng", 1),
    "单": ("shan", 4),
    "解": ("xie", 4),
    "仇": ("qiu", 2),
    "朴": ("piao", 2),
    "区": ("ou", 1),
    "查": ("zha", 1),
    "盖": ("ge", 3),
    "覃": ("qin", 2),
    "缪": ("miao", 4),
    "翟": ("zhai", 2),
    "乐": ("yue", 4),
    "秘": ("bi", 4),
    "种": ("chong", 2),
    "繁": ("po", 2),
    "句": ("gou", 1),
    "尉": ("yu", 4),
    "长": ("zhang", 3),
    "员": ("yun", 4),
    "折": ("she", 2),
    "黑": ("he", 4),
    "洗": ("xian", 3),
    "召": ("shao", 4),
    "莘": ("shen", 1),
    "阚": ("kan", 4),
    "那": ("na", 1),
}

_TONE_MARKS = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0300": 4}
SORT_KEY_CHARS = 300  # the column's length; the reading leads, so a cut keeps the order


def _plain(marked: str) -> tuple[str, int]:
    """`lǜ` → ("lv", 4): the toneless spelling people type (ü as v) and the tone (5: neutral)."""
    tone = 5
    out = []
    for ch in unicodedata.normalize("NFD", marked):
        if ch in _TONE_MARKS:
            tone = _TONE_MARKS[ch]
        elif ch == "\u0308" and out and out[-1] == "u":  # ü (ǖ ǘ ǚ ǜ) is typed v
            out[-1] = "v"
        elif not unicodedata.combining(ch):
            out.append(ch)
    return "".join(out), tone


def char_reading(char: str, *, surname: bool = False) -> tuple[str, int] | None:
    """The pinyin of one Chinese character (as a surname, if `surname`), or None if unknown."""
    if surname and char in SURNAME_READINGS:
        return SURNAME_READINGS[char]
    readings = pinyin_dict.get(ord(char))
    if readings is None:
        return None
    return _plain(readings.split(",", 1)[0])


def syllables(run: str, *, leading: bool) -> list[tuple[str, int]]:
    """Readings of a run of Chinese characters; the first is read as a surname when the run
    `leading` the name. A character without a known reading stands for itself."""
    out = []
    for index, char in enumerate(run):
        reading = char_reading(char, surname=leading and index == 0)
        out.append(reading if reading is not None else (char, 5))
    return out


def cjk_runs(name: str) -> list[tuple[str, bool]]:
    """Each run of Chinese characters in `name`, and whether it begins the name."""
    stripped = name.lstrip()
    return [(m.group(), m.start() == 0) for m in CJK_RUN.finditer(stripped)]


def sort_key(name: str | None) -> str:
    """Orders names as a Chinese reader expects among Latin ones: each Chinese character by its
    pinyin (王芳 as "wang fang", next to "Wang Lei"), Latin letters folded and lower-cased
    (Émile with Emil), then the tones (汪 before 王), then the name itself so that equal
    readings keep the same characters together. Compared byte by byte (the column is binary on
    SQLite and `COLLATE "C"` on PostgreSQL)."""
    text = " ".join((name or "").split())
    reading: list[str] = []
    tones: list[str] = []
    done = 0
    for match in CJK_RUN.finditer(text):
        reading.append(fold(text[done : match.start()]))
        spelled = syllables(match.group(), leading=match.start() == 0)
        reading.append(" ".join(s for s, _ in spelled) + " ")
        tones.append("".join(str(t) for _, t in spelled))
        done = match.end()
    reading.append(fold(text[done:]))
    head = " ".join("".join(reading).split())
    # \x1f sorts before every printable character: "wang fang" before "wang fang li".
    return f"{head}\x1f{''.join(tones)}\x1f{text}"[:SORT_KEY_CHARS]


def pinyin_forms(name: str) -> list[str]:
    """What a person may type for the Chinese part of `name` in Latin letters: the whole pinyin
    and its initials from each syllable on (王小明: wangxiaoming, xiaoming, ming, wxm, xm),
    for every run of Chinese characters, with the common reading too where a surname has its
    own (曾: zeng and ceng)."""
    forms: list[str] = []
    for run, leading in cjk_runs(name):
        variants = [syllables(run, leading=leading)]
        if leading and run[0] in SURNAME_READINGS:
            variants.append(syllables(run, leading=False))
        for spelled in variants:
            spellings = [s for s, _ in spelled if s.isascii()]
            for start in range(len(spellings)):
                forms.append("".join(spellings[start:]))
                initials = "".join(s[0] for s in spellings[start:])
                if len(initials) >= 2:
                    forms.append(initials)
    return list(dict.fromkeys(f for f in forms if f))


def cjk_grams(name: str) -> list[str]:
    """Every one- and two-character piece of the Chinese runs of `name` (张伟: 张, 伟, 张伟):
    what the short-query index holds, as a trigram index cannot serve them."""
    grams: list[str] = []
    for run, _ in cjk_runs(name):
        grams.extend(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(grams))


def greeting_name(name: str | None) -> str:
    """What templates call `first_name`: the first word of a Latin name ("Ana" of "Ana Lima"),
    but a Chinese name whole (王芳, also when written 王 芳), since its first part is the
    surname and a greeting by the full name is the polite form."""
    text = " ".join((name or "").split())
    if CJK_RUN.search(text):
        return text.replace(" ", "") if CJK_RUN.fullmatch(text.replace(" ", "")) else text
    return text.split(" ")[0] if text else ""
