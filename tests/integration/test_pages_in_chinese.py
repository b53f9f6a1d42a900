"""The customer, organisation, requirement, escalation, search, duplicate and segment pages for a
user whose language is Simplified Chinese: no English words left in what a person reads
(headings, buttons, labels, placeholders, aria-labels, messages), the data aside.

What stays English here on purpose, passed as `data`: what people typed (there is none: the
world is Chinese), the requirement categories (admin-editable data) and the workflow
state/trigger labels, which the workflow declarations translate (not these pages). The default
lifecycle stages, an SLA clock's history lines and the duplicate finder's reasons are stored or
built in English and shown translated: they are checked here.
"""

import html as html_module
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import RequirementCategory, Role, User
from tests.i18n_text import english_words, visible_text
from tests.integration.test_customer_pages import signed_in
from web.extensions import db
from workflows.customers import communications, organisations, profiles, segments, transactions
from workflows.customers.queries import CustomerFilter
from workflows.platform import accounts
from workflows.platform.clock import ManualClock
from workflows.tracking import calendars, requirements, sla_policies
from workflows.tracking.workflow_words import EVENT_LABELS, WORKFLOWS

START = datetime(2099, 1, 5, 9, tzinfo=UTC)
ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]


def _labels_owned_elsewhere(app: Flask) -> list[str]:
    words = [*EVENT_LABELS.values()]
    for workflow in WORKFLOWS.values():
        words += [workflow.label, *workflow.state_labels.values()]
        words += [*workflow.trigger_labels.values(), *workflow.confirmations.values()]
    words += [w.lower() for w in words]  # "Yes, merge"
    with app.app_context():
        words += list(db.session.scalars(select(RequirementCategory.name)))
    return [str(w) for w in words]


class ChineseWorld:
    def __init__(self, app: Flask, clock: ManualClock, lead: User, agent: User) -> None:
        self.app = app
        with app.app_context():
            team = accounts.create_team(db.session, "华东客服组", clock=clock)
            accounts.set_team_members(db.session, team, [agent.id], [lead.id])
            calendar = calendars.create(
                db.session,
                {"name": "全天", "time_zone": "Asia/Shanghai", "periods": ALWAYS},
                clock=clock,
            )
            sla_policies.create(
                db.session,
                {
                    "name": "标准服务",
                    "calendar_id": calendar.id,
                    "targets": {"normal": {"first_response": 3600, "resolution": 7200}},
                },
                actor=None,
                clock=clock,
            )
            organisation = organisations.create_organisation(
                db.session, {"name": "上海远景科技"}, actor_id=lead.id, clock=clock
            )
            customer = profiles.create_customer(
                db.session,
                {"name": "王芳", "organisation_id": organisation.id, "phones": "+86 139 1234 5678"},
                actor_id=lead.id,
                clock=clock,
            )
            twin = profiles.create_customer(
                db.session,
                {"name": "王芳", "organisation_id": organisation.id},
                actor_id=lead.id,
                clock=clock,
            )
            communications.log_communication(
                db.session,
                customer,
                {"channel": "call", "body": "询问发票抬头", "duration_minutes": 5},
                actor_id=agent.id,
                clock=clock,
            )
            transactions.record_transaction(
                db.session,
                customer,
                {
                    "kind": "order",
                    "status": "completed",
                    "amount": "1234.50",
                    "currency": "CNY",
                    "occurred_on": "2099-01-04",
                },
                actor_id=agent.id,
                clock=clock,
            )
            segment = segments.create_segment(
                db.session, "上海客户", CustomerFilter(q="王"), owner_id=lead.id, clock=clock
            )
            requirement = requirements.open_requirement(
                db.session,
                customer_id=customer.id,
                title="发票开错了",
                description="需要重新开具增值税发票",
                team_id=team.id,
                clock=clock,
                actor=db.session.get(User, agent.id),
            )
            db.session.commit()
            self.customer, self.twin = customer.id, twin.id
            self.organisation, self.segment = organisation.id, segment.id
            self.requirement = requirement.id


@pytest.fixture
def chinese(app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    clock = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", clock)
    lead = make_user(Role.ADMIN, name="李主管", time_zone="Asia/Shanghai")
    agent = make_user(Role.AGENT, name="张伟", time_zone="Asia/Shanghai")
    with app.app_context():
        for user in (lead, agent):
            db.session.get(User, user.id).language = "zh_Hans"
        db.session.commit()
    world = ChineseWorld(app, clock, lead, agent)
    client = signed_in(app, lead)
    client.get("/")  # the sign-in's welcome (the sign-in page's, not these pages')
    return world, client


def _pages(world: ChineseWorld) -> list[str]:
    c, r, o, s = world.customer, world.requirement, world.organisation, world.segment
    return [
        "/customers",
        "/customers?q=王",
        "/customers?q=没有这个人",
        f"/customers/{c}",
        f"/customers/{c}/edit",
        "/customers/new",
        f"/customers/{c}/history",
        f"/customers/{c}/delete",
        "/customers/trash",
        "/organisations/",
        f"/organisations/{o}",
        f"/organisations/{o}/edit",
        f"/organisations/{o}/delete",
        "/organisations/new",
        "/organisations/trash",
        "/requirements",
        "/requirements?queue=team",
        "/requirements?queue=all",
        "/requirements?queue=all&q=发票",
        f"/requirements/{r}",
        "/requirements/new?q=王",
        f"/customers/{c}/requirements/new",
        "/escalations",
        "/search?q=王芳",
        "/search?q=没有",
        "/duplicates",
        f"/duplicates/merge?a={c}&b={world.twin}",
        "/segments",
        f"/segments/{s}/edit",
        f"/segments/{s}/delete",
        "/segments/new?q=王",
    ]


def test_the_pages_speak_chinese_to_a_chinese_user(app: Flask, chinese: Any) -> None:
    world, client = chinese
    data = _labels_owned_elsewhere(app)
    left: dict[str, list[str]] = {}
    for path in _pages(world):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert '<html lang="zh-Hans" ' in html, path
        words = english_words(html, data=data)
        if words:
            left[path] = sorted(set(words))
    assert not left, f"English left on the pages: {left}"


def test_the_check_finds_english_on_an_english_page(app: Flask, chinese: Any) -> None:
    world, client = chinese
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.name == "李主管"))
        lead.language = "en"
        db.session.commit()
    html = client.get(f"/customers/{world.customer}").get_data(as_text=True)
    assert {"Profile", "Consent", "Timeline"} <= set(english_words(html))
    assert "Profile" in visible_text(html)


def test_flash_and_field_messages_are_chinese(app: Flask, chinese: Any) -> None:
    world, client = chinese
    page = client.get(f"/customers/{world.customer}/edit").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        f"/customers/{world.customer}/edit",
        data={
            "csrf_token": token,
            "version": version,
            "name": "王芳",
            "consent_email": "granted",
            "country": "中国",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请说明同意或撤回的方式。" in html  # the consent method's field message (web/)
    assert "请使用两个字母的 ISO 3166 国家/地区代码" in html  # the workflow's (workflows/)
    assert not english_words(html, data=_labels_owned_elsewhere(app))

    response = client.post(
        f"/customers/{world.customer}/delete",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "王芳 已移入回收站。" in response.get_data(as_text=True)


def test_the_scripts_get_their_words_from_the_page(chinese: Any) -> None:
    world, client = chinese
    html = client.get(f"/requirements/{world.requirement}").get_data(as_text=True)
    durations = html.split('data-durations="')[1].split('"')[0]
    words = json.loads(html_module.unescape(durations))
    assert words["due"] == "%(duration)s 后到期"
    assert words["dh"] == "%(d)s 天 %(h)s 小时"
    block = html.split('<script type="application/json" id="countdown-words">')[1]
    assert "已超时" in json.loads(block.split("</script>")[0])["updated"]
    assert 'data-mention-label="可提及的同事"' in html
    assert "后到期" in html  # the server's countdown text, before the script ticks it
