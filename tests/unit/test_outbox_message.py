"""The message an outbox row becomes on the wire: non-ASCII text survives, addresses stay
readable, and the fixed Message-ID is the row's."""

from datetime import UTC, datetime
from email import message_from_bytes, policy

from models import OutboxMessage
from workflows.platform import outbox


def _row(**overrides: object) -> OutboxMessage:
    values: dict[str, object] = {
        "to_address": "zoe@example.com",
        "subject": "Réponse à votre demande n° 42",
        "message_id": "<abc@example.com>",
        "created_at": datetime(2026, 12, 4, 21, 0, tzinfo=UTC),
        "cause": "reply:42",
        "body_text": "Bonjour Zoé,\nvoilà.\n",
        "body_html": None,
        "headers": {
            "Reply-To": "Équipe support <support+r42-x@example.com>",
            "References": "<t@x>",
        },
    }
    values.update(overrides)
    return OutboxMessage(**values)


def _parsed(row: OutboxMessage) -> object:
    message = outbox.build_email(row, "Rapport Été <rapport@example.com>")
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def test_non_ascii_headers_and_body_arrive_intact() -> None:
    parsed = _parsed(_row())
    assert parsed["Subject"] == "Réponse à votre demande n° 42"
    assert parsed["Reply-To"].addresses[0].addr_spec == "support+r42-x@example.com"
    assert parsed["Reply-To"].addresses[0].display_name == "Équipe support"
    assert parsed["From"].addresses[0].display_name == "Rapport Été"
    assert parsed["Message-ID"] == "<abc@example.com>"
    assert parsed["References"] == "<t@x>"
    assert parsed.get_content() == "Bonjour Zoé,\nvoilà.\n"


def test_an_html_body_goes_as_an_alternative_part() -> None:
    parsed = _parsed(_row(body_text="plain", body_html="<p>rich</p>"))
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>rich</p>"
    assert parsed.get_body(("plain",)).get_content().strip() == "plain"


def test_only_the_non_ascii_words_of_a_subject_are_encoded() -> None:
    row = _row(subject="At risk: first response on #1 “Invoice missing”")
    raw = message_from_bytes(outbox.build_email(row, "Rapport <r@example.com>").as_bytes())
    assert str(raw["Subject"]).startswith("At risk: first response on #1 =?utf-8?")
