"""The agent's queue and the supervisor's escalation queue in Chromium.

The live server reads the app's clock, which each test replaces with a ManualClock in 2099:
timers planned here never fall due for a clock process of the session, and the test makes the
breach happen itself — it moves the ManualClock and fires what is due in-process, as the clock
process and a worker would — so nothing waits on wall-clock time or on other processes."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Requirement, Role, User
from tests.browser.test_customers import make_customer, sign_in
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import ManualClock
from workflows.tracking import calendars, requirements, sla_policies, timers

pytestmark = pytest.mark.browser

START = datetime(2099, 1, 5, 9, tzinfo=UTC)
ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]


@pytest.fixture
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    manual = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", manual)
    return manual


def open_requirement(app: Flask, clock: ManualClock, actor: User, **kw: Any) -> int:
    with app.app_context():
        req = requirements.open_requirement(
            db.session, clock=clock, actor=db.session.get(User, actor.id), **kw
        )
        db.session.commit()
        return req.id


def test_agent_resolves_a_requirement_from_my_queue(
    page: Page, live_server: str, app: Flask, make_user: Any, clock: ManualClock
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent")
    customer_id = make_customer(app, name="Ana Lima")
    req_id = open_requirement(
        app, clock, agent, customer_id=customer_id, title="Printer on fire", assignee_id=agent.id
    )
    with app.app_context():
        req = db.session.get(Requirement, req_id)
        actor = db.session.get(User, agent.id)
        for trigger in ("assign", "start"):
            requirements.fire(db.session, req, trigger, actor=actor, clock=clock)
        db.session.commit()
    sign_in(page, live_server, agent)

    page.get_by_role("link", name="Requirements", exact=True).click()
    expect(page.get_by_role("heading", name="My requirements")).to_be_visible()
    page.locator("#queue").get_by_role("link", name="Printer on fire").click()
    expect(page.get_by_role("heading", name=f"#{req_id} Printer on fire")).to_be_visible()

    page.get_by_role("button", name="Resolve", exact=True).click()  # no note yet: it asks for one
    note = page.get_by_label("Note (resolving needs one)")
    expect(note).to_be_focused()
    expect(page.locator("#transition-note-error")).to_have_text(
        "Resolving needs a resolution note."
    )
    note.fill("Replaced the fuser unit")
    page.get_by_role("button", name="Resolve", exact=True).click()

    expect(page.locator(".flash.success")).to_have_text("Resolve: in progress → resolved.")
    expect(page.locator("#state")).to_have_text("resolved")
    expect(page.locator("#resolution-note")).to_have_text("Replaced the fuser unit")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    page.get_by_role("link", name="Requirements", exact=True).click()
    expect(page.locator("#empty")).to_contain_text("Nothing assigned to you is open")


def test_supervisor_sees_a_new_breach_appear_and_acknowledges_it(
    page: Page, live_server: str, app: Flask, make_user: Any, clock: ManualClock
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent")
    lead = make_user(Role.SUPERVISOR, name="Lena Lead")
    customer_id = make_customer(app, name="Ana Lima")
    with app.app_context():
        team = accounts.create_team(db.session, "Support", clock=clock)
        accounts.set_team_members(db.session, team, [agent.id], [lead.id])
        calendar = calendars.create(
            db.session, {"name": "24/7", "time_zone": "UTC", "periods": ALWAYS}, clock=clock
        )
        sla_policies.create(
            db.session,
            {
                "name": "Fast",
                "calendar_id": calendar.id,
                "targets": {"default": {"first_response": 60}},
                "ladder": [{"at": "breach", "recipients": ["assignee"]}],
            },
            actor=None,
            clock=clock,
        )
        db.session.commit()
        team_id = team.id
    sign_in(page, live_server, lead)
    page.get_by_role("link", name="Escalations").click()
    expect(page.locator("#no-escalations")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    req_id = open_requirement(
        app,
        clock,
        agent,
        customer_id=customer_id,
        title="Printer on fire",
        assignee_id=agent.id,
        team_id=team_id,
    )
    clock.advance(timedelta(minutes=3))
    with app.app_context():  # what the clock process and a worker do when it falls due
        ids = timers.claim_due(db.session, clock=clock)
        db.session.commit()
        timers.fire_batch(db.session, ids, clock=clock)
        db.session.commit()

    row = page.locator("#escalations tr[data-clock]")
    expect(row).to_have_count(1, timeout=5000)  # within five seconds, by itself
    expect(row).to_contain_text(f"#{req_id} Printer on fire")
    expect(row).to_contain_text("breached 2 min ago")
    expect(row).to_contain_text("Alma Agent")
    expect(row).to_contain_text("Support")
    expect(page.locator('#nav-escalations [data-count="breached"]')).to_have_text("1 breached")
    assert page.evaluate("window.notReloaded") is True

    row.get_by_role("button", name=f"Acknowledge #{req_id}").click()

    expect(page.locator(".flash.success")).to_have_text(f"Escalation on #{req_id} acknowledged.")
    expect(page.locator("#escalations tr[data-clock]")).to_contain_text("acknowledged by Lena Lead")
    # Someone is on it: its own section, and the badge counts only what still needs someone.
    expect(page.locator("#acknowledged tr[data-clock]")).to_have_count(1)
    expect(page.locator("#no-escalations")).to_be_visible()
    expect(page.locator('#nav-escalations [data-count="breached"]')).to_be_hidden()
