"""A workflow's field message: English as a string, its msgid and values for a page's language."""

import json
import pickle

from workflows.platform.field_messages import Message
from workflows.platform.i18n import gettext


def test_a_message_reads_in_english_and_keeps_its_msgid_and_values() -> None:
    message = Message("Use at most %(limit)s characters.", limit=200)
    assert message == "Use at most 200 characters."
    assert json.dumps({"name": [message]}) == '{"name": ["Use at most 200 characters."]}'
    again = pickle.loads(pickle.dumps(message))  # noqa: S301 (our own bytes: a task argument)
    assert (again, again.msgid, again.values) == (message, message.msgid, {"limit": 200})
    assert gettext("zh_Hans", message.msgid, **message.values) == "最多 200 个字符。"
