"""The admin, canned response, import, outreach, privacy and report pages for a user whose
language is Simplified Chinese: no English left in headings, labels, buttons and messages
(tests/i18n_text.py's allow-list keeps brand names and codes), and the same pages in English
for an English user."""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Customer, Role, User
from tests.conftest import csrf_token, login
from tests.i18n_text import visible_english
from web.clocks import current_clock
from web.extensions import db
from workflows.channels import canned
from workflows.customers import custom_fields, profiles, segments, stages
from workflows.customers.queries import CustomerFilter
from workflows.outreach import strategies
from workflows.platform import accounts
from workflows.privacy import retention
from workflows.tracking import calendars, categories, sla_policies

ALWAYS = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]


@pytest.fixture
def world(app: Flask, make_user: Any) -> dict[str, Any]:
    """One of everything these pages list, named in Chinese (names are data, not interface)."""
    admin = make_user(Role.ADMIN, name="王管理", email="wang@example.com")
    with app.app_context():
        db.session.get(User, admin.id).language = "zh_Hans"
        clock = current_clock()
        session = db.session
        calendar = calendars.create(
            session,
            {"name": "上海工作日", "time_zone": "Asia/Shanghai", "periods": ALWAYS},
            clock=clock,
        )
        policy = sla_policies.create(
            session,
            {
                "name": "标准",
                "calendar_id": calendar.id,
                "targets": {"default": {"resolution": 8 * 3600}},
            },
            actor=None,
            clock=clock,
        )
        team = accounts.create_team(session, "一线团队", clock=clock)
        field = custom_fields.define_field(
            session,
            entity="customer",
            key="contract_end",
            label="合同到期",
            kind="date",
            clock=clock,
        )
        stage = stages.create_stage(session, key="trial", name="试用")
        categories.create_category(session, "账单", actor_id=admin.id, clock=clock)
        reply = canned.create_canned(
            session,
            {"name": "问候", "body": "您好 {{ customer.name }}", "team_id": None},
            actor=session.get(User, admin.id),
            clock=clock,
        )
        customer = profiles.create_customer(
            session,
            {"name": "张伟", "emails": "zhang@example.com", "tags": ["vip"]},
            actor_id=None,
            clock=clock,
        )
        segment = segments.create_segment(
            session, "重要客户", CustomerFilter(tag="vip"), owner_id=None, clock=clock
        )
        strategy = strategies.create(
            session,
            {
                "name": "回访",
                "definition": {
                    "audience": {"kind": "segment", "segment_id": segment.id},
                    "steps": [
                        {
                            "channel": "email",
                            "subject": "您好",
                            "body": "您好 {{ customer.name }} {{ unsubscribe_url }}",
                            "delay": {"amount": 0, "unit": "calendar_days"},
                        }
                    ],
                },
            },
            actor_id=None,
            clock=clock,
        )
        retention.save(
            session,
            {"target": "communications", "channel": "email", "months": "24", "action": "delete"},
            clock=clock,
        )
        session.commit()
        ids = {
            "admin": admin.id,
            "calendar": calendar.id,
            "policy": policy.id,
            "team": team.id,
            "field": field.id,
            "stage": stage.id,
            "canned": reply.id,
            "customer": session.get(Customer, customer.id).id,
            "strategy": strategy.id,
        }
    return {"admin": admin, **{f"{k}_id": v for k, v in ids.items()}}


def _pages(w: dict[str, Any]) -> list[str]:
    return [
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{w['admin_id']}",
        "/admin/teams",
        f"/admin/teams/{w['team_id']}",
        "/admin/outbox",
        "/admin/custom-fields",
        f"/admin/custom-fields/{w['field_id']}",
        "/admin/stages",
        f"/admin/stages/{w['stage_id']}",
        "/admin/categories",
        "/admin/calendars",
        "/admin/calendars/new",
        f"/admin/calendars/{w['calendar_id']}",
        f"/admin/calendars/{w['calendar_id']}/delete",
        "/admin/sla-policies",
        "/admin/sla-policies/new",
        f"/admin/sla-policies/{w['policy_id']}",
        f"/admin/sla-policies/{w['policy_id']}/versions",
        f"/admin/sla-policies/{w['policy_id']}/apply",
        f"/admin/sla-policies/{w['policy_id']}/apply/progress",
        "/admin/access-log",
        "/admin/retention",
        "/canned-responses",
        "/canned-responses/new",
        f"/canned-responses/{w['canned_id']}",
        "/imports",
        "/strategies",
        "/strategies/new",
        f"/strategies/{w['strategy_id']}",
        f"/strategies/{w['strategy_id']}/edit",
        f"/customers/{w['customer_id']}/erase",
        "/reports/support",
        "/reports/sales",
        "/reports/pareto",
    ]


def _upload(client: FlaskClient) -> str:
    """An import's column mapping page."""
    csv = "姓名,邮箱\n李娜,li@example.com\n".encode()
    import io

    response = client.post(
        "/imports",
        data={"csrf_token": csrf_token(client, "/imports"), "file": (io.BytesIO(csv), "客户.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_every_page_reads_in_chinese_for_a_chinese_user(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    login(client, world["admin"].email)
    pages = [*_pages(world), _upload(client)]
    leftovers = {}
    for path in pages:
        response = client.get(path, headers={"Accept-Language": "en-US"})
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert '<html lang="zh-Hans" ' in html, path
        found = visible_english(html)
        if found:
            leftovers[path] = found
    assert not leftovers, "\n".join(f"{p}:\n  " + "\n  ".join(f) for p, f in leftovers.items())


def test_a_chinese_page_shows_chinese_words_where_english_ones_were(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    login(client, world["admin"].email)
    html = client.get(f"/admin/sla-policies/{world['policy_id']}").get_data(as_text=True)
    assert "升级阶梯" in html and "创建新版本" in html
    assert "首次响应" in html  # a metric's label, from Python
    html = client.get(f"/strategies/{world['strategy_id']}").get_data(as_text=True)
    assert 'id="strategy-status">草稿</strong>' in html  # the status code, in words
    assert "试运行" in html


def test_the_same_pages_stay_english_for_an_english_user(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    with app.app_context():
        db.session.get(User, world["admin_id"]).language = "en"
        db.session.commit()
    login(client, world["admin"].email)
    html = client.get(f"/admin/sla-policies/{world['policy_id']}").get_data(as_text=True)
    assert '<html lang="en" ' in html
    assert "Escalation ladder" in html and "First response" in html
    html = client.get(f"/strategies/{world['strategy_id']}").get_data(as_text=True)
    assert 'id="strategy-status">draft</strong>' in html
    assert "升级" not in html
