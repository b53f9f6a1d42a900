"""The plain text kept beside a communication's HTML: one line break per line of the email."""

import pytest

from workflows.customers.communications import sanitise_body


@pytest.mark.parametrize(
    ("body", "text"),
    [
        # A plain-text email arrives as HTML with <br> and a newline per line: not double-spaced.
        ("line one<br>\nline two<br>\r\nline three", "line one\nline two\nline three"),
        ("a<br>b<br/>c", "a\nb\nc"),
        # A block's end is one line break, with or without a newline after it in the HTML.
        ("<p>one</p>\n<p>two</p>", "one\ntwo"),
        ("<p>one</p><p>two</p>", "one\ntwo"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<ul><li>x</li>\n<li>y</li></ul>", "x\ny"),
        ("typed\nby hand", "typed\nby hand"),
    ],
)
def test_each_line_of_the_email_is_one_line_of_text(body: str, text: str) -> None:
    assert sanitise_body(body)[1] == text
