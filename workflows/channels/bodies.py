"""What an agent types, turned into an email's two parts: sanitised HTML and plain text.

Markdown goes through markdown-it-py (CommonMark, raw HTML off, links and line breaks kept),
then nh3, so nothing an agent pastes can put script or tracking pixels in a customer's mail.
The plain-text part is what was typed: Markdown reads as plain text."""

import enum
import html

import nh3
from markdown_it import MarkdownIt

MAX_BODY_CHARS = 100_000


class BodyFormat(enum.StrEnum):
    MARKDOWN = "markdown"
    TEXT = "text"


# "js-default": CommonMark without raw HTML, and links with unsafe schemes refused.
_markdown = MarkdownIt("js-default", {"breaks": True, "linkify": False}).enable("table")
_ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"img"}  # no remote images: they track the reader


def render(source: str, body_format: BodyFormat | str = BodyFormat.MARKDOWN) -> tuple[str, str]:
    """(HTML, plain text) of `source`."""
    text = source.replace("\r\n", "\n").strip()
    if BodyFormat(body_format) is BodyFormat.TEXT:
        markup = "<p>" + html.escape(text).replace("\n", "<br>\n") + "</p>"
    else:
        markup = _markdown.render(text)
    return nh3.clean(markup, tags=_ALLOWED_TAGS, link_rel="noopener noreferrer"), text
