"""What a reader sees of a page that is still English: the words of its visible text (text
nodes, and the placeholder, title, aria-label, alt and button value attributes) outside an
allow-list of brand names and codes. Used by the tests that render pages in Simplified Chinese."""

import re
from collections.abc import Iterable
from html.parser import HTMLParser

# Words that stay as they are in every language: the brand, codes and format names.
ALLOWED = frozenset(
    {"Rapport", "API", "SLA", "CSV", "JSON", "KPI", "UTC", "ISO", "HH", "MM", "iCal", "ics"}
    | {"English", "p90", "vip", "zip", "Wilson", "Newcombe", "UTF", "Markdown", "ID"}
)
# Elements whose text is code or data, not interface words.
SKIPPED = frozenset({"script", "style", "code", "pre", "textarea", "kbd", "samp"})
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]")
NOT_WORDS = re.compile(
    r"\S+@\S+"  # email addresses
    r"|https?://\S+|/[\w./-]+"  # URLs and paths
    r"|\b[A-Z][a-z]+/[A-Za-z_]+\b"  # time zone names (Europe/Berlin)
    r"|\b\w+(?:\.\w+)+\b"  # template variables (customer.name), file names
    r"|\b\w+_\w+\b"  # keys and codes (contract_end, unsubscribe_url)
    r"|\b\d+[a-z]+\b"  # durations (30m, 4h, 2d)
    r"|\b[A-Z]{2,3}\b"  # country, region and currency codes (CN, DE, BY, CNY)
)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"] or "")
        if tag in SKIPPED:
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.texts.append(data)


def visible_text(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return [t.strip() for t in parser.texts if t.strip()]


def visible_english(html: str, allow: Iterable[str] = ()) -> list[str]:
    """Each visible text that still holds an English word, with the words: [] when none.
    `allow` adds names the test itself made (users, customers, teams); each of their words is
    allowed too."""
    allowed = set(ALLOWED)
    for name in allow:
        allowed.add(name)
        allowed.update(WORD.findall(name))
    found = []
    for text in visible_text(html):
        words = [w for w in WORD.findall(NOT_WORDS.sub(" ", text)) if w not in allowed]
        if words:
            found.append(f"{text!r}: {' '.join(words)}")
    return found
