"""Which handles a note mentions: `@` after a start, a space or an opening bracket; a trailing
full stop or comma is punctuation; an email address is not a mention."""

import pytest

from workflows.tracking.mentions import handles_in


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("@ana please look", {"ana"}),
        ("Ask @Ana.Lima, then @carl.", {"ana.lima", "carl"}),
        ("(@bo) and [@cy]", {"bo", "cy"}),
        ("mail ana@example.com", set()),
        ("@ @ nothing", set()),
        ("two lines\n@AnaLima", {"analima"}),
        ("", set()),
    ],
)
def test_handles_in(text: str, handles: set[str]) -> None:
    assert handles_in(text) == handles
