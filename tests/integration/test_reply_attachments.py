"""Files on an agent's reply (the composer and the API): kept in the blob store and listed on
the communication, named by the outbox row and sent as a multipart/mixed message; limits named
at the field with nothing saved; shown in the thread and downloadable like received files. A
bounced reply reads "bounced" with the reason. Blobs a rolled-back transaction left are swept."""

import base64
import hashlib
import io
import os
import re
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Attachment, Communication, OutboxMessage
from tests.conftest import csrf_token
from tests.integration.test_canned_and_api_replies import api  # noqa: F401
from tests.integration.test_customer_pages import field_error, text_of
from tests.integration.test_inbound_mail import dsn
from tests.integration.test_replies import ana, rows, working  # noqa: F401
from tests.integration.test_requirement_pages import World, world  # noqa: F401
from web.clocks import current_clock
from web.extensions import db
from web.inbound import blob_store, inbound_settings, receive
from workflows.channels import attachments, inbound
from workflows.platform import outbox
from workflows.platform.clock import ManualClock

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40  # every byte value: base64 must keep them all
NOTES = "Größe: 42 · ok\n".encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def built(app: Flask, row: OutboxMessage) -> Any:
    """The message the sender would put on the wire for `row`, parsed back."""
    message = outbox.build_email(row, "Rapport <r@example.com>", blob_store(app.config).open)
    wire = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    return message_from_bytes(wire, policy=policy.default)


def test_a_reply_over_the_api_carries_its_files_to_the_wire(ana: World, api: Any) -> None:  # noqa: F811
    rid = working(ana)
    files = [
        {"filename": "invoice.pdf", "content": b64(PDF)},
        {"filename": "../Notizen für Ana.txt", "content_type": "text/plain", "content": b64(NOTES)},
    ]
    response = api(
        "POST", f"/requirements/{rid}/replies", json={"body": "Both *files*", "attachments": files}
    )
    assert response.status_code == 201, response.get_json()
    listed = response.get_json()["attachments"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in listed] == [
        ("invoice.pdf", "application/pdf", len(PDF)),
        ("Notizen für Ana.txt", "text/plain", len(NOTES)),
    ]
    (row,) = rows(ana.app, OutboxMessage)
    assert [a["filename"] for a in row.attachments] == ["invoice.pdf", "Notizen für Ana.txt"]

    message = built(ana.app, row)
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(("plain",))
    assert body is not None and "Both *files*" in body.get_content()
    assert message.get_body(("html",)) is not None
    sent = [
        (a.get_filename(), a.get_content_type(), a.get_payload(decode=True))
        for a in message.iter_attachments()
    ]
    assert sent == [
        ("invoice.pdf", "application/pdf", PDF),
        ("Notizen für Ana.txt", "text/plain", NOTES),
    ]

    thread = api("GET", f"/requirements/{rid}/messages").get_json()
    assert thread[0]["attachments"] == listed
    download = api("GET", f"/attachments/{listed[0]['id']}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_files_over_the_limits_are_named_and_nothing_is_saved(
    ana: World,  # noqa: F811
    api: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rid = working(ana)
    monkeypatch.setitem(ana.app.config, "REPLY_ATTACHMENTS_MAX_COUNT", 2)
    monkeypatch.setitem(ana.app.config, "REPLY_ATTACHMENTS_MAX_TOTAL_BYTES", 2048)

    def reply(files: list[dict[str, str]]) -> Any:
        return api("POST", f"/requirements/{rid}/replies", json={"body": "x", "attachments": files})

    small = {"filename": "a.txt", "content": b64(b"a")}
    TOO_MUCH = "The files add up to more than 2 KiB."  # noqa: N806
    cases = [
        ([small] * 3, ["Attach at most 2 files."]),
        ([small, {"filename": "big.pdf", "content": b64(b"x" * 2048)}], [TOO_MUCH]),
        (
            [
                {
                    "filename": "run.exe",
                    "content_type": "application/x-msdownload",
                    "content": "TVo=",
                }
            ],
            ["run.exe: type application/x-msdownload not allowed."],
        ),
        ([{"filename": "empty.txt", "content": ""}], ["empty.txt: the file is empty."]),
    ]
    for files, errors in cases:
        response = reply(files)
        assert response.status_code == 422, files
        assert response.content_type == "application/problem+json"
        assert response.get_json()["errors"] == {"attachments": errors}, files
    for files, field in [
        ([small, {"filename": "b.txt", "content": "not base64!"}], "attachments.1.content"),
        ([{"content": b64(b"a")}], "attachments.0.filename"),
    ]:
        response = reply(files)
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == [field]
    assert rows(ana.app, Communication) == []
    assert rows(ana.app, OutboxMessage) == [] and rows(ana.app, Attachment) == []


def _reply_form(
    client: FlaskClient, rid: int, files: list[tuple[bytes, str]], body: str = "See attached"
) -> Any:
    page = f"/requirements/{rid}"
    data: dict[str, Any] = {"csrf_token": csrf_token(client, page), "body": body}
    data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(f"{page}/replies", data=data, content_type="multipart/form-data")


def test_the_composer_attaches_files_and_the_thread_links_them(
    ana: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rid = working(ana)
    agent = ana.client("agent")
    monkeypatch.setitem(ana.app.config, "REPLY_ATTACHMENTS_MAX_COUNT", 1)
    refused = _reply_form(agent, rid, [(PDF, "a.pdf"), (NOTES, "b.txt")])
    assert refused.status_code == 422
    assert field_error(text_of(refused), "reply-attachments") == "Attach at most 1 files."
    assert rows(ana.app, Communication) == []
    no_body = text_of(_reply_form(agent, rid, [(PDF, "a.pdf")], body=""))
    assert field_error(no_body, "reply-body") == "Write the message."
    assert 'id="reply-attachments-again"' in no_body  # a browser does not keep chosen files

    assert _reply_form(agent, rid, [(PDF, "quote.pdf")]).status_code == 303
    (kept,) = rows(ana.app, Attachment)
    assert (kept.filename, kept.content_type, kept.size) == (
        "quote.pdf",
        "application/pdf",
        len(PDF),
    )
    page = text_of(agent.get(f"/requirements/{rid}"))
    thread = page[page.index('id="thread"') :]
    assert re.search(rf'<a href="/attachments/{kept.id}" download>quote.pdf</a>', thread)
    download = agent.get(f"/attachments/{kept.id}")
    assert download.status_code == 200 and download.data == PDF


def test_a_bounced_reply_reads_bounced_with_the_reason(ana: World, api: Any) -> None:  # noqa: F811
    rid = working(ana)
    assert api("POST", f"/requirements/{rid}/replies", json={"body": "Hello"}).status_code == 201
    (row,) = rows(ana.app, OutboxMessage)
    with ana.app.app_context():
        receive(dsn(row.message_id, "ana@example.com"), ["support@example.com"])
    (message,) = api("GET", f"/requirements/{rid}/messages").get_json()
    assert message["delivery"] == "bounced"
    assert "5.1.1" in message["delivery_error"] and "Bounced" not in message["delivery_error"]
    page = text_of(ana.client("agent").get(f"/requirements/{rid}"))
    assert re.findall(r'data-delivery="(\w+)"', page) == ["bounced"]


def _age(store: attachments.LocalBlobStore, *digests: str) -> None:
    """Make the files two hours old, as the sweep would find them later."""
    then = time.time() - 7200
    for digest in digests:
        os.utime(store.path(digest), (then, then))


def _with_file(message_id: str, content: bytes) -> bytes:
    return (
        f"From: ana@example.com\r\nTo: support@example.com\r\nSubject: files\r\n"
        f"Message-ID: {message_id}\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
        "--m\r\nContent-Type: text/plain\r\n\r\nSee.\r\n--m\r\n"
        "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{b64(content)}\r\n--m--\r\n"
    ).encode()


def test_a_rolled_back_message_leaves_blobs_the_sweep_removes(
    in_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the inbound process: SQLite's driver would otherwise begin no transaction before the
    # savepoint, and releasing it would commit.
    monkeypatch.setitem(in_app.config, "SQLITE_IMMEDIATE", True)
    store = attachments.LocalBlobStore(tmp_path / "blobs")
    clock = ManualClock(current_clock().now())
    settings = inbound_settings(in_app.config)

    def deliver(raw: bytes) -> None:
        inbound.deliver(
            db.session, raw, ["support@example.com"], settings=settings, store=store, clock=clock
        )

    kept_raw, kept_file = _with_file("<kept@x>", b"%PDF kept"), hashlib.sha256(b"%PDF kept")
    deliver(kept_raw)
    db.session.commit()
    lost_raw, lost_file = _with_file("<lost@x>", b"%PDF lost"), hashlib.sha256(b"%PDF lost")
    deliver(lost_raw)
    db.session.rollback()  # e.g. the commit failed: the files were written, the rows are gone
    digests = [hashlib.sha256(r).hexdigest() for r in (kept_raw, lost_raw)]
    digests += [kept_file.hexdigest(), lost_file.hexdigest()]
    assert all(store.exists(d) for d in digests)
    assert db.session.scalar(select(func.count(Attachment.id))) == 1

    grace = timedelta(minutes=60)
    assert attachments.sweep_orphans(db.session, store, clock=clock, grace=grace) == 0  # too new
    _age(store, *digests)
    # The same bytes put again (a new message about to reference them) are young again.
    store.put(b"%PDF lost")
    assert attachments.sweep_orphans(db.session, store, clock=clock, grace=grace) == 1
    assert [store.exists(d) for d in digests] == [True, False, True, True]
    _age(store, lost_file.hexdigest())
    assert attachments.sweep_orphans(db.session, store, clock=clock, grace=grace) == 1
    assert [store.exists(d) for d in digests] == [True, False, True, False]
