"""The text a reader sees on a page, and the English left in it: for tests that render pages in
Simplified Chinese (a test client here, Chromium in the browser tests).

`visible_text(html)` collects text nodes and the attributes a person reads or hears (`title`,
`placeholder`, `aria-label`, `alt`, `value` of buttons, `data-confirm*` sentences that the confirm
dialog shows), without `<script>`, `<style>`, `<code>`, `<pre>` and `<kbd>` (keys are keys).
`english_words(html, data=...)` returns the Latin-letter words of that text that are neither on
the allow-list (brand names, codes, units) nor part of the given data (what users typed: names,
e-mail addresses, titles), so an assertion names exactly what is still untranslated;
`visible_english(html, allow=...)` the same of a whole page or sentence, each text with its
words (the admin and outreach pages' test, the A/B sentence's). The one detector of English left
on a page: the browser tests use it on Chromium's HTML too.
"""

import re
from collections.abc import Iterable
from html.parser import HTMLParser

# Words that stay as they are in every language: the brand, codes, formats and units.
ALLOWED = frozenset(
    {
        "Rapport",
        "SLA",
        "CSV",
        "API",
        "Markdown",
        "Mermaid",
        "KiB",
        "MiB",
        "Ctrl",
        "Enter",
        "UTC",
        "ID",
        "URL",
        "ISO",
        "A-Z",
        "Z-A",
        "CNY",
        "CST",
        "CN",
        "en",
        "pt-BR",
        "zh-CN",
        "KPI",
        "HH",
        "MM",
        "iCal",
        "ics",
        "English",
        "p90",
        "vip",
        "zip",
        "Wilson",
        "Newcombe",
        "UTF",
        "JSON",
    }
)

# Attributes whose value a person reads (or a screen reader speaks).
READ_ATTRIBUTES = (
    "title",
    "placeholder",
    "aria-label",
    "alt",
    "data-confirm",
    "data-confirm-label",
)
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "kbd", "samp", "textarea", "template"}
VOID_ELEMENTS = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area"}

WORD_RE = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]|[A-Za-z]")
# Things that are not words even though they are Latin letters: addresses, links, times, codes.
NOT_WORDS_RE = re.compile(
    r"\S+@\S+"  # e-mail addresses
    r"|https?://\S+"  # links
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|org|net)\b"  # domains: example.com
    r"|\b[A-Z][a-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?\b"  # time zones: Asia/Shanghai
    r"|\d{4}-\d\d-\d\dT[\d:.+-]+"  # ISO instants: 2099-01-05T09:00
    r"|#\d+"  # record numbers
    r"|\b[a-z]{2}-[A-Z]{2}\b"  # language tags: zh-CN, pt-BR
    r"|\b\d+[A-Za-z]*\b"  # 12px, 2nd, 404, durations (30m, 4h, 2d)
    r"|(?<![\w/])/[\w./-]+"  # paths: /customers/7
    r"|\b\w+(?:\.\w+)+\b"  # template variables (customer.name), file names
    r"|\b\w+_\w+\b"  # keys and codes (contract_end, unsubscribe_url)
    r"|\b[A-Z]{2,3}\b"  # country, region and currency codes (CN, DE, BY, CNY)
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self._skipping:
            if tag not in VOID_ELEMENTS:
                self._skipping.append(tag)
            return
        if tag in SKIPPED_ELEMENTS:
            self._skipping.append(tag)
            return
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self.chunks.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.chunks.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag in SKIPPED_ELEMENTS | set(self._skipping):
            # Pop to the matching element (HTML in the wild does not always close in order).
            while self._skipping and self._skipping.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.chunks.append(data.strip())


def visible_text(html: str, *, within: str | None = "main") -> list[str]:
    """The pieces of text a person reads on the page, in document order; only inside the first
    `<main>` by default (the navigation around it is base.html's, tested on its own)."""
    if within:
        start = html.find(f"<{within}")
        end = html.rfind(f"</{within}>")
        if start != -1 and end != -1:
            html = html[start:end]
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.chunks


def english_words(
    html: str,
    *,
    data: Iterable[str] = (),
    allowed: Iterable[str] = (),
    within: str | None = "main",
) -> list[str]:
    """The Latin-letter words left on the page, minus the allow-list and the words of `data`."""
    permitted = set(ALLOWED) | set(allowed)
    for item in data:
        permitted.update(WORD_RE.findall(NOT_WORDS_RE.sub(" ", item)))
    found = []
    for chunk in visible_text(html, within=within):
        for word in WORD_RE.findall(NOT_WORDS_RE.sub(" ", chunk)):
            if word not in permitted:
                found.append(word)
    return found


def visible_english(html: str, allow: Iterable[str] = ()) -> list[str]:
    """Each text of the whole page (navigation included) that still holds an English word, with
    those words: [] when none. `allow` adds names the test itself made (users, customers,
    teams); each of their words is allowed too."""
    permitted = set(ALLOWED)
    for name in allow:
        permitted.add(name)
        permitted.update(WORD_RE.findall(name))
    found = []
    for text in visible_text(html, within=None):
        words = [
            w
            for w in WORD_RE.findall(NOT_WORDS_RE.sub(" ", text))
            if len(w) > 1 and w not in permitted  # single letters: variants A/B, "p", "v1"
        ]
        if words:
            found.append(f"{text!r}: {' '.join(words)}")
    return found
