# ruff: noqa: RUF001 - the Chinese text uses fullwidth punctuation, as Chinese does
"""Bad input from a Simplified Chinese user, in every area whose checks live in `workflows/`:
the customer, communication, transaction, segment, import and outreach strategy forms, and the
customer, communication, transaction, segment and requirement API. Each field message is the
Chinese text (a page in the user's language, problem+json in the request's Accept-Language),
and no English sentence is left in it: the English msgids are what the API sends without
Accept-Language (`tests/integration/test_api_*` keep checking those).

What may stay Latin in a message is data or a code: the values a user typed, the choice codes
a message lists (stage keys, priorities), a third-party library's reason (email-validator's,
the csv module's), which the message quotes as it is.
"""

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import LifecycleStage, Role, User
from tests.conftest import csrf_token
from tests.i18n_text import english_words, visible_english
from tests.integration.test_pages_in_chinese import (  # noqa: F401
    ChineseWorld,
    _labels_owned_elsewhere,
    chinese,
)
from web.extensions import db
from web.record_words import stored_words
from workflows.customers.imports import RowError
from workflows.customers.segments import FILTER_FIELDS
from workflows.platform import accounts
from workflows.platform.clock import ManualClock
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking.requirements import WORKFLOWS

CODES = ["low", "normal", "high", "urgent", "order", "invoice", "payment", "refund"]
# Standards and formats a Chinese message names as they are.
NAMES = ["UTF", "IANA", "USD", "HH", "MM", "KPI", "iCal", "A", "B"]  # B: a strategy's variant key
TYPED = ["RMB1"]  # what the bad input itself holds


@dataclass
class Bad:
    """One bad submission: what to send, the status, and the Chinese the reader must see."""

    name: str
    send: Callable[[ChineseWorld, FlaskClient, dict[str, str]], Any]
    status: int
    chinese: list[str]
    english: list[str]  # the msgids (in English) that must not be shown
    # The builder page lists template variables (customer.first_name): the check the outreach
    # pages' Chinese tests use, which knows them, reads it.
    builder: bool = False


def _form(client: FlaskClient, page: str, action: str, data: dict[str, Any], **kw: Any) -> Any:
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data}, **kw)


def _customer_form(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    page = client.get(f"/customers/{world.customer}/edit").get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    return _form(
        client,
        f"/customers/{world.customer}/edit",
        f"/customers/{world.customer}/edit",
        {"version": version, "name": "王芳", "phones": "12", "language": "克林贡语"},
    )


def _communication_form(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return _form(
        client,
        f"/customers/{world.customer}",
        f"/customers/{world.customer}/communications",
        {
            "channel": "call",
            "direction": "inbound",
            "occurred_at": "昨天",
            "duration_minutes": "-3",
        },
    )


def _transaction_form(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return _form(
        client,
        f"/customers/{world.customer}",
        f"/customers/{world.customer}/transactions",
        {
            "kind": "order",
            "status": "completed",
            "amount": "-5",
            "currency": "CNY",
            "occurred_on": "2099-01-04",
        },
    )


def _segment_form(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return _form(client, "/segments/new", "/segments/new", {"name": "长" * 121})


def _import_form(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return _form(
        client,
        "/imports",
        "/imports",
        {"file": (io.BytesIO(b"\xff\xfe\x00bad"), "客户.csv")},
        content_type="multipart/form-data",
    )


def _strategy_form(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return _form(
        client,
        "/strategies/new",
        "/strategies/new",
        {"name": "春节回访", "window_start": "25:00", "window_end": "18:00"},
    )


def _calendar_form(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    form: dict[str, Any] = {"name": "上海办公室", "time_zone": "Asia/Shanghai", "version": ""}
    form |= {"p-0-0-start": "09:00", "p-0-0-end": "12:00"}
    form |= {"p-1-0-start": "13:30", "p-1-0-end": "1x:00"}
    return _form(client, "/admin/calendars/new", "/admin/calendars/new", form)


def _customer_api(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return client.post(
        "/api/v1/customers",
        json={"name": "李雷", "phones": ["12"], "time_zone": "火星/基地", "stage": "无"},
        headers=api,
    )


def _communication_api(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/customers/{world.customer}/communications",
        json={"channel": "call", "occurred_at": "昨天", "body": "回电", "duration_minutes": -3},
        headers=api,
    )


def _transaction_api(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/customers/{world.customer}/transactions",
        json={
            "kind": "order",
            "status": "completed",
            "amount": "10",
            "currency": "RMB1",
            "occurred_on": "2099-01-04",
        },
        headers=api,
    )


def _segment_api(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return client.post(
        "/api/v1/segments", json={"name": "华东", "definition": {"城市": "上海"}}, headers=api
    )


def _requirement_api(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/requirements/{world.requirement}/transitions",
        json={"trigger": "飞走"},
        headers=api,
    )


def _requirement_refused(world: ChineseWorld, client: FlaskClient, api: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/requirements/{world.requirement}/transitions",
        json={"trigger": "merge"},
        headers=api,
    )


CASES = [
    Bad(
        "customer form",
        _customer_form,
        422,
        ["不是电话号码。", "请使用语言标记，例如 zh-CN 或 en。"],
        ["is not a phone number", "Use a language tag"],
    ),
    Bad(
        "communication form",
        _communication_form,
        422,
        ["请输入日期和时间，例如 2026-01-05 14:30。", "时长不能为负数。"],
        ["Enter a date and time", "A duration cannot be negative."],
    ),
    Bad(
        "transaction form",
        _transaction_form,
        422,
        ["金额不能为负数；请改为记录一笔退款。"],
        ["Amounts are never negative"],
    ),
    Bad("segment form", _segment_form, 422, ["最多 120 个字符。"], ["Use at most"]),
    Bad(
        "import form",
        _import_form,
        422,
        ["请将文件另存为 UTF-8 编码的 CSV。"],
        ["Save the file as UTF-8 CSV."],
    ),
    Bad(
        "outreach strategy form",
        _strategy_form,
        422,
        ["请按 HH:MM 格式填写时间。", "请至少选择一个星期几"],
        ["Use a time as HH:MM.", "Choose at least one weekday"],
        builder=True,
    ),
    Bad(
        "calendar form (a period's cell)",
        _calendar_form,
        422,
        ["“1x:00”不是时间（HH:MM）。"],
        ["is not a time"],
    ),
    Bad(
        "customer API",
        _customer_api,
        422,
        ["不是电话号码。", "未知时区", "请选择以下之一："],
        ["is not a phone number", "Unknown time zone", "Choose one of"],
    ),
    Bad(
        "communication API",
        _communication_api,
        422,
        ["请输入日期和时间，例如 2026-01-05 14:30。", "时长不能为负数。"],
        ["Enter a date and time", "A duration cannot be negative."],
    ),
    Bad(
        "transaction API",
        _transaction_api,
        422,
        ["不是 ISO 4217 货币代码（例如 CNY、USD）。"],
        ["is not an ISO 4217 currency code"],
    ),
    Bad("segment API", _segment_api, 422, ["未知筛选条件；可用："], ["Unknown filter"]),
    Bad(
        "requirement API: unknown trigger",
        _requirement_api,
        422,
        ["“飞走”不是此工作流的触发动作。可用的触发动作："],
        ["is not a trigger of this workflow"],
    ),
    Bad(
        "requirement API: refused trigger",
        _requirement_refused,
        409,
        ["当前允许："],
        ["Allowed now", "is not possible from"],
    ),
]


@pytest.fixture
def api_headers(app: Flask, make_user: Any) -> dict[str, str]:
    user = make_user(Role.ADMIN, name="接口", time_zone="Asia/Shanghai")
    with app.app_context():
        secret = accounts.issue_token(
            db.session,
            db.session.get(User, user.id),
            "字段消息",
            clock=app.extensions["clock"],
        ).secret
        db.session.commit()
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}


def _messages(body: dict[str, Any]) -> list[str]:
    """A problem's human texts: its detail and every field message."""
    texts = [body.get("detail") or ""]
    for messages in (body.get("errors") or {}).values():
        texts += messages if isinstance(messages, list) else [str(messages)]
    return texts


def _codes(app: Flask) -> list[str]:
    """What a message may quote as it is: choice codes, trigger codes, stage keys."""
    with app.app_context():
        stages = list(db.session.scalars(select(LifecycleStage.key)))
    triggers = [t for w in WORKFLOWS.values() for t in w.triggers]
    states = [s for w in WORKFLOWS.values() for s in w.state_labels]
    owned = _labels_owned_elsewhere(app)
    return [*CODES, *NAMES, *TYPED, *FILTER_FIELDS, *stages, *triggers, *states, *owned]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_is_answered_in_chinese(
    app: Flask,
    chinese: Any,  # noqa: F811
    api_headers: dict[str, str],
    case: Bad,
) -> None:
    world, client = chinese
    assert isinstance(app.extensions["clock"], ManualClock)
    response = case.send(world, client, api_headers)
    assert response.status_code == case.status, response.get_data(as_text=True)[:2000]
    if response.mimetype == "application/problem+json":
        texts = _messages(response.get_json())
        shown = " ".join(texts)
        for text in texts:
            assert not english_words(text, data=_codes(app), within=None), text
    elif case.builder:
        shown = response.get_data(as_text=True)
        assert not visible_english(shown, allow=_codes(app)), visible_english(shown, _codes(app))
    else:
        shown = response.get_data(as_text=True)
        assert not english_words(shown, data=_codes(app)), english_words(shown, data=_codes(app))
    for chinese_text in case.chinese:
        assert chinese_text in shown
    for english in case.english:
        assert english not in shown


def test_the_same_input_is_answered_in_english_without_a_chinese_language(
    app: Flask,
    chinese: Any,  # noqa: F811
    api_headers: dict[str, str],
) -> None:
    """The msgids are the English texts: an API client that asks for no language gets them."""
    world, _ = chinese
    client = app.test_client()  # not signed in: the session's user speaks Chinese
    english = {k: v for k, v in api_headers.items() if k != "Accept-Language"}
    body = _customer_api(world, client, english).get_json()
    assert body["errors"]["phones"] == ["'12' is not a phone number."]
    assert body["errors"]["time_zone"] == ["Unknown time zone '火星/基地' (use an IANA name)."]
    refused = _requirement_refused(world, client, english).get_json()
    assert "Allowed now:" in refused["detail"]


def test_an_imports_stored_row_errors_are_shown_in_the_readers_language(app: Flask) -> None:
    """A dry run stores its row errors (JSON); the pages and status.json show them later, in
    the language of whoever looks."""
    stored = json.loads(
        json.dumps(
            [
                RowError(
                    3, "phones", Message(N_("%(value)s is not a phone number."), value="'12'")
                ).as_dict(),
                {"row": 4, "field": "file", "message": "Conflict: UNIQUE constraint failed"},
            ]
        )
    )
    assert stored[0]["message"] == "'12' is not a phone number."  # the API's and the CSV's
    with app.test_request_context("/imports", headers={"Accept-Language": "zh-CN"}):
        assert stored_words(stored[0]) == "'12' 不是电话号码。"
        assert stored_words(stored[1]) == "Conflict: UNIQUE constraint failed"  # the database's
    with app.test_request_context("/imports", headers={"Accept-Language": "en"}):
        assert stored_words(stored[0]) == "'12' is not a phone number."
