"""Notifications in Chromium: a reassignment reaches the new assignee's bell without a reload;
an `@mention` typed with the suggestion list notifies the colleague; the home page lists the
agent's work and links into the queue."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import Notification, Requirement, Role, User
from tests.browser.test_customers import make_customer, sign_in
from tests.browser.test_requirement_queues import START, open_requirement
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import ManualClock
from workflows.tracking import requirements

pytestmark = pytest.mark.browser


@pytest.fixture
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    manual = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", manual)
    return manual


def team_of(app: Flask, clock: ManualClock, members: list[User], leads: list[User]) -> int:
    with app.app_context():
        team = accounts.create_team(db.session, "Support", clock=clock)
        accounts.set_team_members(db.session, team, [u.id for u in members], [u.id for u in leads])
        db.session.commit()
        return team.id


def test_a_reassignment_shows_on_the_new_assignees_bell_without_a_reload(
    page: Page, live_server: str, app: Flask, make_user: Any, clock: ManualClock
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent")
    colleague = make_user(Role.AGENT, name="Carl Colleague")
    lead = make_user(Role.SUPERVISOR, name="Lena Lead")
    team = team_of(app, clock, [agent, colleague], [lead])
    customer_id = make_customer(app, name="Ana Lima")
    req_id = open_requirement(
        app,
        clock,
        lead,
        customer_id=customer_id,
        title="Printer on fire",
        team_id=team,
        assignee_id=colleague.id,
    )
    sign_in(page, live_server, agent)
    bell = page.locator("#unread-count")
    expect(bell).to_be_hidden()
    page.evaluate("window.notReloaded = true")

    with app.app_context():  # the lead reassigns it, elsewhere
        requirements.update_requirement(
            db.session,
            db.session.get(Requirement, req_id),
            {"assignee_id": agent.id},
            expected_version=db.session.get(Requirement, req_id).version,
            actor=db.session.get(User, lead.id),
            clock=clock,
        )
        db.session.commit()

    expect(bell).to_have_text("1 unread", timeout=5000)
    assert page.evaluate("window.notReloaded") is True
    page.locator("#nav-notifications").click()
    item = page.locator("#notifications li.unread")
    expect(item).to_contain_text(f"Lena Lead assigned #{req_id} “Printer on fire” to you")
    item.get_by_role("button", name=f"Lena Lead assigned #{req_id}").click()
    expect(page.get_by_role("heading", name=f"#{req_id} Printer on fire")).to_be_visible()
    expect(bell).to_be_hidden()


def test_a_mention_chosen_from_suggestions_notifies_the_colleague(
    page: Page, live_server: str, app: Flask, make_user: Any, clock: ManualClock
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent", email="alma@example.com")
    colleague = make_user(Role.AGENT, name="Carl Colleague", email="carl.c@example.com")
    make_user(Role.AGENT, name="Cora Outsider", email="cora@example.com")  # another team
    lead = make_user(Role.SUPERVISOR, name="Lena Lead")
    team = team_of(app, clock, [agent, colleague], [lead])
    with app.app_context():
        accounts.create_team(db.session, "Sales", clock=clock)
        db.session.commit()
    customer_id = make_customer(app, name="Ana Lima")
    req_id = open_requirement(
        app,
        clock,
        agent,
        customer_id=customer_id,
        title="Printer on fire",
        team_id=team,
        assignee_id=agent.id,
    )
    sign_in(page, live_server, agent)
    page.goto(f"{live_server}/requirements/{req_id}")
    page.get_by_role("button", name="Internal note").click()
    box = page.get_by_label("Internal note (staff only, never sent)")
    box.press_sequentially("Could you look, @c")
    options = page.locator("#mention-suggestions [role=option]")
    expect(options).to_have_text(["Carl Colleague (@carl.c)"])
    box.press_sequentially("a")
    expect(options).to_have_text(["Carl Colleague (@carl.c)"])
    box.press("Enter")
    expect(page.locator("#mention-suggestions")).to_be_hidden()
    box.press_sequentially("please?")
    expect(box).to_have_value("Could you look, @carl.c please?")
    page.locator("#note-form").get_by_role("button", name="Add note").click()
    expect(page.locator(".flash.success")).to_have_text("Note added.")

    with app.app_context():
        rows = db.session.execute(
            select(Notification.user_id, Notification.event).where(
                Notification.requirement_id == req_id
            )
        ).all()
    assert (colleague.id, "mentioned") in rows
    assert all(user_id != agent.id for user_id, event in rows if event == "mentioned")


def test_the_home_page_leads_a_supervisor_into_the_filtered_queue(
    page: Page, live_server: str, app: Flask, make_user: Any, clock: ManualClock
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent")
    lead = make_user(Role.SUPERVISOR, name="Lena Lead")
    team = team_of(app, clock, [agent], [lead])
    customer_id = make_customer(app, name="Ana Lima")
    for title in ("Printer on fire", "Toner empty"):
        open_requirement(
            app,
            clock,
            lead,
            customer_id=customer_id,
            title=title,
            team_id=team,
            assignee_id=agent.id,
        )
    open_requirement(app, clock, lead, customer_id=customer_id, title="Nobody has it", team_id=team)
    sign_in(page, live_server, lead)
    expect(page.locator("#team-backlog [data-count]")).to_have_text("3")
    expect(page.locator("#team-loads")).to_contain_text("Alma Agent")
    page.locator("#team-unassigned header").get_by_role("link", name="Unassigned").click()
    queue = page.locator("#queue")
    expect(queue.get_by_role("link", name="Nobody has it")).to_be_visible()
    expect(queue.get_by_role("link", name="Toner empty")).to_have_count(0)
    page.go_back()
    page.locator("#team-loads").get_by_role("link", name="Alma Agent").click()
    expect(queue.get_by_role("link", name="Toner empty")).to_be_visible()
    expect(queue.get_by_role("link", name="Nobody has it")).to_have_count(0)
