# ruff: noqa: RUF001 - Chinese text has full-width punctuation
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


FILES = {"a" * 64: b"%PDF\x00\xff", "b" * 64: b"From: x@y\r\n\r\nforwarded\r\n"}


def test_files_go_as_multipart_mixed_with_the_same_headers() -> None:
    row = _row(
        body_html="<p>voilà</p>",
        attachments=[
            {"sha256": "a" * 64, "filename": "Reçu n° 7.pdf", "content_type": "application/pdf"},
            {"sha256": "b" * 64, "filename": "earlier.eml", "content_type": "message/rfc822"},
        ],
    )
    message = outbox.build_email(row, "Rapport Été <rapport@example.com>", FILES.__getitem__)
    wire = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    parsed = message_from_bytes(wire, policy=policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed["Subject"] == "Réponse à votre demande n° 42"
    assert parsed["Reply-To"].addresses[0].display_name == "Équipe support"
    assert (parsed["Message-ID"], parsed["References"]) == ("<abc@example.com>", "<t@x>")
    plain = parsed.get_body(("plain",)).get_content()
    assert plain.replace("\r\n", "\n") == "Bonjour Zoé,\nvoilà.\n"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>voilà</p>"
    files = [
        (p.get_filename(), p.get_content_type(), p.get_payload(decode=True))
        for p in parsed.iter_attachments()
    ]
    # message/* may not be base64 (RFC 2046): a forwarded message goes as opaque bytes.
    assert files == [
        ("Reçu n° 7.pdf", "application/pdf", FILES["a" * 64]),
        ("earlier.eml", "application/octet-stream", FILES["b" * 64]),
    ]


def test_a_row_with_files_needs_the_blob_store() -> None:
    row = _row(attachments=[{"sha256": "c" * 64, "filename": "x", "content_type": "text/plain"}])
    for read_blob in (None, FILES.__getitem__):
        try:
            outbox.build_email(row, "r@example.com", read_blob)
        except (ValueError, KeyError):
            continue
        raise AssertionError("built a message without its file")


def test_automatic_headers_keep_the_thread_and_add_rfc_3834() -> None:
    headers = outbox.automatic({"References": "<t@x>"})
    assert headers == {
        "References": "<t@x>",
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
        "X-Auto-Response-Suppress": "OOF, AutoReply",
    }
    parsed = _parsed(_row(headers=headers))
    assert parsed["Auto-Submitted"] == "auto-generated"


def test_chinese_display_names_and_subjects_go_as_rfc_2047_and_come_back_equal() -> None:
    subject = "关于您的订单（编号 42）：发货通知与发票说明" * 3  # long: folded on the wire
    row = _row(
        to_address="王芳 <wangfang@example.cn>",
        subject=subject,
        body_text="王芳您好：\n您的订单已经发货。\n",
        headers={"Reply-To": "客服中心 <support+r42-x@example.cn>"},
    )
    wire = outbox.build_email(row, "蓝海贸易客服 <service@example.cn>").as_bytes()
    assert wire.isascii()  # RFC 2047 words and a quoted-printable UTF-8 body, no 8-bit bytes
    assert all(len(line) <= 998 for line in wire.split(b"\r\n"))
    parsed = message_from_bytes(wire, policy=policy.default)
    assert parsed["Subject"] == subject
    assert parsed["From"].addresses[0].display_name == "蓝海贸易客服"
    assert parsed["To"].addresses[0].display_name == "王芳"
    assert parsed["To"].addresses[0].addr_spec == "wangfang@example.cn"
    assert parsed["Reply-To"].addresses[0].display_name == "客服中心"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content() == "王芳您好：\n您的订单已经发货。\n"
