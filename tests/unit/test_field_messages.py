# ruff: noqa: RUF001 - the Chinese text uses fullwidth punctuation, as Chinese does
"""A workflow's field message: English as a string, its msgid and values for a page's language."""

import json
import pickle

import pytest
from markupsafe import Markup

from workflows.platform import i18n
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message, message_of
from workflows.platform.i18n import N_, gettext


def test_a_message_reads_in_english_and_keeps_its_msgid_and_values() -> None:
    message = Message("Use at most %(limit)s characters.", limit=200)
    assert message == "Use at most 200 characters."
    assert json.dumps({"name": [message]}) == '{"name": ["Use at most 200 characters."]}'
    again = pickle.loads(pickle.dumps(message))  # noqa: S301 (our own bytes: a task argument)
    assert (again, again.msgid, again.values) == (message, message.msgid, {"limit": 200})
    assert gettext("zh_Hans", message.msgid, **message.values) == "最多 200 个字符。"


def test_a_message_is_shown_in_the_readers_language_and_stays_english_as_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(i18n, "_ambient_locale", lambda: "zh_Hans")  # a Chinese web request
    message = Message(N_("Use at most %(limit)s characters."), limit=200)
    assert str(message) == f"{message}" == "最多 200 个字符。"
    assert Markup("<p>{}</p>").format(message) == "<p>最多 200 个字符。</p>"  # Jinja's way
    assert message == "Use at most 200 characters."  # what JSON and comparisons see
    assert " ".join([message]) == "Use at most 200 characters."  # hence " ".join(map(str, …))

    failed = ValidationFailed({"name": [message], "tags": ["as typed"]})
    assert str(failed) == "name: 最多 200 个字符。; tags: as typed"  # an error page, a flash
    assert message_of(ValueError(message)) is message
    assert message_of(ValueError("plain")) == "plain"


def test_joined_messages_keep_each_part_translatable(monkeypatch: pytest.MonkeyPatch) -> None:
    parts = [Message(N_("Assign someone first.")), "a guard's plain words"]
    joined = Message(
        N_("%(why)s Allowed now: %(allowed)s."), why=Message.joined(" ", parts), allowed="close"
    )
    assert joined == "Assign someone first. a guard's plain words Allowed now: close."
    monkeypatch.setattr(i18n, "_ambient_locale", lambda: "zh_Hans")
    assert str(joined) == "请先指派处理人。 a guard's plain words 当前允许：close。"
    # Made in a Chinese request, its English text is still English.
    again = Message(N_("%(why)s Allowed now: %(allowed)s."), why=parts[0], allowed="close")
    assert again == "Assign someone first. Allowed now: close."
