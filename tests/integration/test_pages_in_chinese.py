# ruff: noqa: RUF001 - the Chinese text uses fullwidth punctuation, as Chinese does
"""Every page for a user whose language is Simplified Chinese (and the signed-out pages for a
visitor whose browser asks for Chinese): no English words left in what a person reads on the
whole page (navigation, headings, buttons, labels, placeholders, aria-labels, messages) but the
detector's list of codes and brand names (tests/i18n_text.py). The world is Chinese, so no
typed data needs allowing; what the system stores in English — an SLA clock's history, the
timeline notes, a follower's description, a refused file's reason, an erased customer's name,
the default lifecycle stages, the duplicate finder's reasons, enrolment and access-log details —
is shown translated and checked here. `test_every_page_is_swept_or_named_as_not_a_page` keeps
the list complete: a new GET page outside /api fails it until it is swept or named as no page.

`_labels_owned_elsewhere` (the workflow declarations' labels and the categories) is what the
browser sweep still allows as data.
"""

import html as html_module
import json
import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import Communication, Enrolment, LifecycleStage, RequirementCategory, Role, User
from tests.conftest import csrf_token
from tests.i18n_text import english_words, visible_english, visible_text
from tests.integration.test_customer_pages import signed_in
from web.extensions import db
from workflows.channels import attachments, canned
from workflows.channels.attachments import AttachmentPolicy
from workflows.channels.inbound_parse import ParsedAttachment
from workflows.customers import (
    communications,
    custom_fields,
    imports,
    organisations,
    profiles,
    segments,
    transactions,
)
from workflows.customers.queries import CustomerFilter
from workflows.outreach import enrolments, links, planning, strategies
from workflows.platform import accounts, invitations
from workflows.platform.clock import ManualClock
from workflows.platform.publishing import take_pending
from workflows.privacy import erasure
from workflows.tracking import (
    calendars,
    clock_words,
    notifications,
    requirements,
    sla_policies,
    timers,
)
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
        self.app, self.agent = app, agent
        with app.app_context():
            for user in (lead, agent):  # the notices the timers write go to Chinese readers
                db.session.get(User, user.id).language = "zh_Hans"
            team = accounts.create_team(db.session, "华东客服组", clock=clock)
            accounts.set_team_members(db.session, team, [agent.id], [lead.id])
            calendar = calendars.create(
                db.session,
                {"name": "全天", "time_zone": "Asia/Shanghai", "periods": ALWAYS},
                clock=clock,
            )
            policy = sla_policies.create(
                db.session,
                {
                    "name": "标准服务",
                    "calendar_id": calendar.id,
                    "targets": {"normal": {"first_response": 3600, "resolution": 7200}},
                    "ladder": [
                        {
                            "at": "breach",
                            "recipients": ["assignee"],
                            "actions": [
                                "notify",
                                "raise_priority",
                                f"move_to_team:{team.id}",
                                f"reassign:{agent.id}",
                            ],
                        }
                    ],
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
            note = communications.log_communication(
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
            self.team, self.calendar, self.policy = team.id, calendar.id, policy.id
            self.communication = note.id
            self._the_rest(clock, lead, agent, requirement)

    def _the_rest(self, clock: ManualClock, lead: User, agent: User, requirement: Any) -> None:
        """The rows the other pages show: a canned reply, an import, a custom field, a stage, a
        strategy with an enrolment, an erasure, a trashed customer, notifications, an invitation
        and an unsubscribe link. Nothing is published: no worker runs what this world queues."""
        session = db.session
        lead_row, agent_row = session.get(User, lead.id), session.get(User, agent.id)
        self.canned = canned.create_canned(
            session,
            {"name": "问候", "body": "您好 {{ customer.name }}", "team_id": None},
            actor=lead_row,
            clock=clock,
        ).id
        csv = "姓名,邮箱\n李娜,li@example.cn\n"
        self.import_job = imports.create_job(
            session, filename="客户.csv", content=csv, created_by_id=lead.id, clock=clock
        ).id
        # Bad rows whose messages are the project's (an address email-validator refuses is
        # quoted in its own English on purpose: README, Translations).
        bad = (
            "姓名,邮箱,国家\n李娜,li@example.cn,CN\n王五,wang5@example.cn,ZZZ\n,w6@example.cn,CN\n"
        )
        done = imports.create_job(
            session, filename="有错的.csv", content=bad, created_by_id=lead.id, clock=clock
        )
        mapping = {"姓名": "name", "邮箱": "emails", "国家": "country"}
        imports.configure(session, done, mapping, "skip_bad_rows")
        imports.start(session, done)
        take_pending(session)
        session.commit()
        while imports.step(session, done.id, clock=clock):  # finished, as the worker would
            session.commit()
        session.commit()
        self.import_done = done.id
        self.field = custom_fields.define_field(
            session,
            entity="customer",
            key="contract_end",
            label="合同到期",
            kind="date",
            clock=clock,
        ).id
        self.stage = session.scalars(select(LifecycleStage).order_by(LifecycleStage.id)).first().id
        reachable = profiles.create_customer(
            session,
            {"name": "王小明", "emails": "xiaoming@example.cn", "language": "zh-CN"},
            actor_id=lead.id,
            clock=clock,
        )
        profiles.set_consent(
            session,
            reachable,
            "email",
            granted=True,
            method="网页表单",
            actor_id=lead.id,
            clock=clock,
        )
        audience = segments.create_segment(
            session, "回访客户", CustomerFilter(q="王小明"), owner_id=lead.id, clock=clock
        )
        strategy = strategies.create(
            session,
            {
                "name": "回访",
                "definition": {
                    "audience": {"kind": "segment", "segment_id": audience.id},
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
            actor_id=lead.id,
            clock=clock,
        )
        strategies.transition(session, strategy, "activate", clock=clock)
        planning.enrol(session, strategy, [reachable.id], clock=clock, rng=random.Random(1))  # noqa: S311
        self.strategy = strategy.id
        self.enrolment = session.scalar(
            select(Enrolment.id).where(Enrolment.strategy_id == strategy.id)
        )
        gone = profiles.create_customer(session, {"name": "赵磊"}, actor_id=lead.id, clock=clock)
        profiles.delete_customer(session, gone, actor_id=lead.id, clock=clock)
        self.trashed = gone.id
        erased = profiles.create_customer(session, {"name": "孙丽"}, actor_id=lead.id, clock=clock)
        self.erased = erased.id
        self.erasure = erasure.request_erasure(session, erased, actor_id=lead.id, clock=clock).id
        take_pending(session)
        session.commit()
        while erasure.step(session, self.erasure, clock=clock):  # done, as the worker would
            session.commit()
        session.commit()
        enrolments.remove(
            session, session.get(Enrolment, self.enrolment), actor=lead_row, clock=clock
        )
        for event in ("assigned", "mentioned", "at_risk", "breached", "escalated"):
            notifications.notify(
                session, event, [lead_row], requirement, clock=clock, actor=agent_row, email=False
            )
        invited = accounts.create_user(
            session,
            email="chen@example.cn",
            name="陈静",
            password=secrets.token_urlsafe(24),
            role=Role.AGENT,
            clock=clock,
        )
        invitation_settings = invitations.InvitationSettings(
            secret_key=self.app.config["SECRET_KEY"],
            expiry=timedelta(hours=float(self.app.config["INVITATION_EXPIRY_HOURS"])),
        )
        self.invitation = invitations.token_for(invitation_settings, invited, clock=clock)
        link_settings = links.LinkSettings(
            self.app.config["SECRET_KEY"], self.app.config["BASE_URL"]
        )
        self.unsubscribe = links.token_for(link_settings, reachable.id)
        self.reachable, self.invited = reachable.id, invited.id
        self._history(lead, agent, requirement)

    def _history(self, lead: User, agent: User, requirement: Any) -> None:
        """What happened two days before: a requirement escalated past its breach, one that
        follows a closed one, a file that was not kept. Its own clock, so the timers of the
        world's requirement (due after START) stay pending."""
        session = db.session
        past = ManualClock(START - timedelta(days=2))
        escalated = requirements.open_requirement(
            session,
            customer_id=self.customer,
            title="催退款",
            team_id=self.team,
            assignee_id=lead.id,
            assign_now=True,
            clock=past,
            actor=session.get(User, agent.id),
        )
        take_pending(session)
        session.commit()
        for _hour in range(4):  # at risk, breached, escalated: moved, reassigned, priority up
            past.advance(timedelta(hours=1))
            ids = timers.claim_due(session, clock=past)
            session.commit()
            timers.fire_batch(session, ids, clock=past)
            take_pending(session)
            session.commit()
        follower = requirements.open_requirement(
            session,
            customer_id=self.customer,
            title="发票开错了",
            description=clock_words.say(clock_words.FOLLOWS, id=requirement.id, state="closed"),
            team_id=self.team,
            clock=past,
            actor=None,
        )
        sale = requirements.open_requirement(
            session,
            customer_id=self.customer,
            title="采购五十台设备",
            workflow="sales",
            amount="50000",
            currency="CNY",
            expected_close_on="2099-02-01",
            assignee_id=agent.id,
            assign_now=True,
            team_id=self.team,
            clock=past,
            actor=session.get(User, lead.id),
        )
        task = requirements.open_requirement(
            session,
            customer_id=self.customer,
            title="回电确认地址",
            workflow="task",
            team_id=self.team,
            clock=past,
            actor=session.get(User, lead.id),
        )
        self.sale, self.task = sale.id, task.id
        note = session.get(Communication, self.communication)
        too_large = AttachmentPolicy(max_bytes=1024, allowed_types=["*/*"])
        big = ParsedAttachment("合同.pdf", "application/pdf", b"x" * 2048)
        attachments.keep(session, None, note, [big], policy=too_large, clock=past)
        take_pending(session)
        session.commit()
        self.escalated, self.follower = escalated.id, follower.id
        take_pending(session)  # the enrolment, the erasure: not for a worker
        session.commit()


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
    left: dict[str, list[str]] = {}
    for path in _pages(world):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert '<html lang="zh-Hans" ' in html, path
        words = visible_english(html)
        if words:
            left[path] = sorted(set(words))
    assert not left, f"English left on the pages: {left}"


def _more_pages(world: ChineseWorld) -> list[str]:
    """The pages besides the customer side's: the account, notifications, canned replies,
    imports, strategies, reports, the admin's and privacy's."""
    c, st, p = world.customer, world.strategy, world.policy
    return [
        "/",
        "/account",
        "/notifications",
        "/notifications/preferences",
        "/canned-responses",
        "/canned-responses/new",
        f"/canned-responses/{world.canned}",
        "/imports",
        f"/imports/{world.import_job}",
        f"/imports/{world.import_job}/progress",
        f"/imports/{world.import_done}/progress",
        "/strategies",
        "/strategies/new",
        f"/strategies/{st}",
        f"/strategies/{st}/edit",
        f"/strategies/{st}/preview?customer_id={world.reachable}&step=1",
        f"/strategies/{st}/enrolments/{world.enrolment}",
        "/reports/support",
        "/reports/sales",
        "/reports/pareto",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{world.invited}",
        "/admin/teams",
        f"/admin/teams/{world.team}",
        "/admin/calendars",
        "/admin/calendars/new",
        f"/admin/calendars/{world.calendar}",
        f"/admin/calendars/{world.calendar}/delete",
        "/admin/sla-policies",
        "/admin/sla-policies/new",
        f"/admin/sla-policies/{p}",
        f"/admin/sla-policies/{p}/versions",
        f"/admin/sla-policies/{p}/apply",
        f"/admin/sla-policies/{p}/apply/progress",
        "/admin/stages",
        f"/admin/stages/{world.stage}",
        "/admin/categories",
        "/admin/custom-fields",
        f"/admin/custom-fields/{world.field}",
        "/admin/workflows",
        "/admin/outbox",
        "/admin/retention",
        "/admin/access-log",
        f"/customers/{c}/erase",
        f"/customers/{world.trashed}/purge",
        f"/erasures/{world.erasure}",
        f"/customers/{world.erased}",
        f"/customers/{world.reachable}",
        f"/requirements/{world.escalated}",
        f"/requirements/{world.follower}",
        f"/requirements/{world.sale}",
        f"/requirements/{world.task}",
        "/requirements?queue=all&workflow=sales",
        f"/customers/communications/{world.communication}/edit",
    ]


def _signed_out_pages(world: ChineseWorld) -> list[str]:
    """The pages of a visitor whose browser asks for Chinese (the unsubscribe page: a Chinese
    customer's, whatever the browser asks)."""
    return ["/login", f"/invitation/{world.invitation}", f"/u/{world.unsubscribe}"]


def test_every_other_page_speaks_chinese_to_a_chinese_user(app: Flask, chinese: Any) -> None:
    world, client = chinese
    left: dict[str, list[str]] = {}

    def check(path: str, response: Any, status: int = 200) -> None:
        assert response.status_code == status, (path, response.status_code)
        html = response.get_data(as_text=True)
        assert '<html lang="zh-Hans" ' in html, path
        if words := visible_english(html):
            left[path] = words

    for path in _more_pages(world):
        check(path, client.get(path))
    visitor = app.test_client()
    chinese_browser = {"Accept-Language": "zh-CN,zh;q=0.9"}
    for path in _signed_out_pages(world):
        check(path, visitor.get(path, headers=chinese_browser))
    wrong = {"csrf_token": csrf_token(visitor), "email": "nobody@example.cn", "password": "错"}
    refused = visitor.post("/login", data=wrong, headers=chinese_browser)
    check("a refused sign-in", refused, 401)
    one_click = {"List-Unsubscribe": "One-Click"}
    done = visitor.post(f"/u/{world.unsubscribe}", data=one_click, headers=chinese_browser)
    check("unsubscribed", done)
    forged = f"/invitation/{world.invitation}x"
    check("a forged invitation", visitor.get(forged, headers=chinese_browser), 404)
    check("404", client.get("/customers/999999"), 404)
    unknown = f"/strategies/{world.strategy}/preview?customer_id=999999"
    check("a preview for no customer", client.get(unknown), 422)
    agent = signed_in(app, world.agent)
    check("403", agent.get("/admin/users"), 403)
    page = client.get(f"/customers/{world.customer}/edit").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    for asked in (  # the pages that ask before a POST does something for good
        f"/strategies/{world.strategy}/archive",
        f"/canned-responses/{world.canned}/delete",
        f"/admin/users/{world.invited}/reset-password",
    ):
        check(asked, client.post(asked, data={"csrf_token": token}))
    stale = {"csrf_token": token, "version": "0", "name": "王芳"}
    check("409", client.post(f"/customers/{world.customer}/edit", data=stale), 409)
    assert not left, f"English left on the pages: {left}"


# GET endpoints that are not pages a person reads: JSON, CSV and files, polled or downloaded.
NOT_PAGES = {
    "health.healthz",  # the load balancer's JSON
    "attachments.show",  # a stored file, as uploaded
    "imports.export_csv",  # /customers/export.csv
    "imports.bad_rows_csv",  # an import's rejected rows, as uploaded
    "imports.status",  # the import progress bar's JSON
    "privacy.certificate",  # an erasure's certificate.json (a record, English on purpose)
    "privacy.erasure_status",  # the erasure progress bar's JSON
    "admin.sla_policy_status",  # the apply-progress bar's JSON
    "outreach.progress",  # the enrolment progress bar's JSON
    "outreach.results",  # a strategy's results as JSON (the show page draws them)
    "reports.data",  # each report's figures as JSON (the pages draw them)
    "search.suggest",  # the search box's suggestions (JSON)
    "requirements.mention_suggestions",  # the @-mention list (JSON)
    "notifications.unread",  # the navigation badge's count (JSON)
    "escalations.counts",  # the escalation badge's counts (JSON)
    "escalations.live",  # the escalation page's live rows (JSON)
    "static",  # CSS, scripts, images
}


class _AnyIds:
    """A world whose every id is 1 and every token "t": for naming the swept endpoints."""

    def __getattr__(self, name: str) -> Any:
        return "t" if name in ("invitation", "unsubscribe") else 1


def _swept_endpoints(app: Flask) -> set[str]:
    world: Any = _AnyIds()
    adapter = app.url_map.bind("localhost")
    paths = [*_pages(world), *_more_pages(world), *_signed_out_pages(world)]
    return {adapter.match(path.split("?")[0], method="GET")[0] for path in paths}


def test_every_page_is_swept_or_named_as_not_a_page(app: Flask) -> None:
    """A new page cannot escape the sweep: every GET endpoint outside /api is rendered in
    Chinese above, or is listed in NOT_PAGES with the reason it is no page."""
    swept = _swept_endpoints(app)
    pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.rule.startswith("/api")
    }
    assert not pages - swept - NOT_PAGES, "sweep these pages (or say why they are no page)"
    assert not swept & NOT_PAGES
    assert not NOT_PAGES - pages - {"static"}, "gone from the app: remove from NOT_PAGES"


def test_stored_sentences_read_in_chinese_with_names_and_the_viewers_time(chinese: Any) -> None:
    """What the system stored in English, shown translated: an at-risk note's due time in the
    viewer's zone (not UTC), a rung's actions with the team's and the user's names (not ids),
    a follower's description, a refused file's reason, an erased customer's name."""
    world, client = chinese
    html = client.get(f"/requirements/{world.escalated}").get_data(as_text=True)
    assert "首次响应有超时风险：到期时间 2099-01-03 18:00 CST" in html  # 10:00 UTC
    assert "已移交团队 华东客服组；已改派给用户 张伟" in html
    assert "定时器“" in html
    html = client.get(f"/requirements/{world.follower}").get_data(as_text=True)
    assert f"接续 #{world.requirement}（该需求当时为已关闭）。" in html
    html = client.get(f"/customers/{world.customer}").get_data(as_text=True)
    assert '合同.pdf <span class="muted">(未保存：大于 1 KiB)' in html
    html = client.get(f"/customers/{world.erased}").get_data(as_text=True)
    assert f"已删除数据的客户 {world.erased}" in html and "Erased customer" not in html


def test_a_default_stage_is_edited_in_the_readers_words_and_keeps_its_seeded_name(
    app: Flask, chinese: Any
) -> None:
    world, client = chinese
    with app.app_context():
        stage = db.session.get(LifecycleStage, world.stage)
        assert (stage.key, stage.name) == ("lead", "Lead")
    path = f"/admin/stages/{world.stage}"
    page = client.get(path).get_data(as_text=True)
    assert 'value="线索"' in page and 'value="Lead"' not in page
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    saved = {"csrf_token": token, "name": "线索", "position": "5", "is_active": "y"}
    response = client.post(path, data=saved, follow_redirects=True)
    assert "阶段“线索”已保存。" in response.get_data(as_text=True)
    with app.app_context():
        stage = db.session.get(LifecycleStage, world.stage)
        assert (stage.name, stage.position) == ("Lead", 5)  # unchanged name: the seeded one


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
