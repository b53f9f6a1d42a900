# ruff: noqa: RUF001 - the Chinese text uses fullwidth punctuation, as Chinese does
"""A staff member who reads Chinese gets the SLA notices in Chinese: the real clock process
claims the timers, a real worker renders them in the recipient's language (not the language of
whoever opened the requirement) and the SMTP server receives each once."""

import time
from collections import Counter
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from flask import Flask

from models import User
from tests.e2e import test_sla_escalation as sla_e2e
from tests.services import wait_until
from web.extensions import db

api = sla_e2e.api  # the admin/agent/supervisor API fixture of the SLA acceptance test
ALWAYS, _ok = sla_e2e.ALWAYS, sla_e2e._ok


def _subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _body(message: Message) -> str:
    part = message.get_body(("plain",)) if hasattr(message, "get_body") else None
    part = part or message
    payload = part.get_payload(decode=True)
    return payload.decode(part.get_content_charset() or "utf-8")


def test_a_breach_notice_reaches_a_chinese_reading_agent_in_chinese_once(
    app: Flask, api: dict[str, Any], worker: Any, clock_process: Any, mailbox: Any
) -> None:
    with app.app_context():
        db.session.get(User, api["agent"].id).language = "zh_Hans"
        db.session.commit()
    call = api["call"]
    calendar = _ok(
        call("POST", "/calendars", json={"name": "全天", "time_zone": "UTC", "periods": ALWAYS}),
        201,
    )
    _ok(
        call(
            "POST",
            "/sla-policies",
            json={
                "name": "秒级",
                "calendar_id": calendar["id"],
                "targets": {"default": {"first_response": 3}},
                "warning_percent": 60,
                "ladder": [{"at": "breach", "recipients": ["assignee"]}],
            },
        ),
        201,
    )
    customer = _ok(
        call("POST", "/customers", json={"name": "王芳", "emails": ["wangfang@example.com"]}), 201
    )
    requirement = _ok(
        call(
            "POST",
            "/requirements",
            json={
                "customer_id": customer["id"],
                "title": "发票丢失",
                "assignee_id": api["agent"].id,
            },
            headers={"Accept-Language": "en"},  # the opener's language is not the recipient's
        ),
        201,
    )

    # The at-risk warning, the breach notice and the ladder's first rung, each once.
    wait_until(lambda: len(mailbox.received()) >= 3, timeout=30)
    time.sleep(1.5)  # anything sent twice would arrive by now
    messages = mailbox.received()
    assert all(m["To"] == "agent@example.com" for m in messages)
    assert len(Counter(m["Message-ID"] for m in messages)) == len(messages)
    rid = requirement["id"]
    by_subject = {_subject(m): m for m in messages}
    assert Counter(_subject(m) for m in messages) == {
        f"有风险：#{rid}“发票丢失”的首次响应": 1,
        f"已超时：#{rid}“发票丢失”的首次响应": 1,
        f"第 1 级升级：#{rid}“发票丢失”的首次响应": 1,  # the ladder's rung at breach
    }
    breach = by_subject[f"已超时：#{rid}“发票丢失”的首次响应"]
    body = _body(breach)
    assert f"客户 王芳 的需求 #{rid}“发票丢失”的首次响应目标已超时" in body
    assert "优先级：普通。状态：待处理。" in body
    assert "Hello" not in body and "Priority" not in body
