"""What an agent types becomes sanitised HTML and plain text; subjects keep the thread's tag on
one line; canned templates are checked before they are saved."""

from types import SimpleNamespace

from workflows.channels import bodies, canned
from workflows.tracking import requirement_threads


def test_markdown_becomes_sanitised_html_and_the_text_stays_as_typed() -> None:
    source = (
        "Hi **Ana**\nsee [the guide](https://x.org) <script>x()</script> ![p](https://t.io/p.gif)"
    )
    html, text = bodies.render(source)
    assert "<strong>Ana</strong><br>" in html
    assert '<a href="https://x.org" rel="noopener noreferrer">the guide</a>' in html
    assert "<script>" not in html and "<img" not in html
    assert text == source


def test_unsafe_links_do_not_become_links() -> None:
    html, _ = bodies.render("[click](javascript:alert(1))")
    assert "<a" not in html


def test_plain_text_is_escaped_with_its_line_breaks() -> None:
    html, text = bodies.render("a <b> & c\nd", "text")
    assert html == "<p>a &lt;b&gt; &amp; c<br>\nd</p>"
    assert text == "a <b> & c\nd"


def test_a_subject_keeps_its_tag_on_one_line() -> None:
    requirement = SimpleNamespace(id=42, title="Printer\non fire")
    assert requirement_threads.subject(requirement) == "[#42] Printer on fire"
    assert requirement_threads.with_reference(42, "Hello\r\nBcc: x@y.z") == "[#42] Hello Bcc: x@y.z"
    assert requirement_threads.with_reference(42, "Re: [#42] ok") == "Re: [#42] ok"


def test_canned_templates_are_checked_and_filled_in() -> None:
    assert canned.template_errors("Hi {{ customer.first_name }} — {{ agent.name }}") == []
    assert canned.template_errors("{{ customer.phone }}") == [
        "“customer” has no “phone”. Use one of: name, first_name, email."
    ]
    context = canned._sample() | {"customer": {"name": "Ana Lima", "first_name": "Ana"}}
    assert canned.render("Hi {{ customer.first_name }}", context) == "Hi Ana"
