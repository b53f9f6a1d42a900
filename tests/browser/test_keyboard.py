"""The keyboard-only flow in Chromium, no mouse: open the team queue (g q), move to a
requirement (j) and open it (Enter), take it (its trigger key), reply (r, Ctrl+Enter), wait on
the customer (its trigger key); "?" lists the shortcuts, and none fires while typing."""

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import Requirement, Role, User
from tests.browser.test_customers import make_customer, sign_in
from tests.browser.test_requirement_queues import clock, open_requirement  # noqa: F401
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import ManualClock

pytestmark = pytest.mark.browser


def focused_on_next_action(page: Page) -> None:
    """The focus is on the first trigger button (Playwright's `to_be_focused` also wants the
    window focused, which a headless page that just navigated may not report)."""
    page.wait_for_function(
        "() => document.activeElement"
        " && document.activeElement.matches('#transition-form .triggers button')",
        timeout=5000,
    )


def reply_and_wait_on_the_customer(page: Page, text: str) -> None:
    """ "r" opens the reply, typing stays in it, Ctrl+Enter sends, the focus comes back to the
    actions and the "Ask the customer" trigger's key waits on the customer."""
    keys = page.keyboard
    keys.press("r")
    body = page.locator("#reply-body")
    expect(body).to_be_focused()
    keys.type(text)
    expect(body).to_be_focused()
    keys.press("Control+Enter")
    expect(page.locator(".flash.success")).to_contain_text("Reply queued")
    focused_on_next_action(page)
    ask = page.get_by_role("button", name="Ask the customer")
    keys.press(ask.get_attribute("aria-keyshortcuts") or "none")
    expect(page.locator("#state")).to_have_text("waiting on customer")


def test_open_the_team_queue_take_reply_and_wait_on_the_customer_from_the_keyboard(
    page: Page,
    live_server: str,
    app: Flask,
    make_user: Any,
    clock: ManualClock,  # noqa: F811
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent")
    customer_id = make_customer(app, name="Ana Lima", emails="ana@example.com")
    with app.app_context():
        team = accounts.create_team(db.session, "Support", clock=clock)
        accounts.set_team_members(db.session, team, [agent.id], [])
        db.session.commit()
        team_id = team.id
    req_id = open_requirement(
        app, clock, agent, customer_id=customer_id, title="Printer on fire", team_id=team_id
    )
    sign_in(page, live_server, agent)
    keys = page.keyboard

    keys.press("?")
    overlay = page.locator("#keyboard-help")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("Team queue")
    keys.press("Escape")
    expect(overlay).to_be_hidden()

    keys.press("g")
    keys.press("q")
    expect(page.get_by_role("heading", name="Team queue")).to_be_visible()
    page.wait_for_load_state("load")  # the deferred keyboard.js has attached its handlers
    keys.press("j")
    expect(page.locator("#queue tbody tr").first).to_have_class("key-current")
    keys.press("Enter")
    expect(page.get_by_role("heading", name=f"#{req_id} Printer on fire")).to_be_visible()
    page.wait_for_load_state("load")

    take = page.get_by_role("button", name="Assign", exact=True)
    expect(take).to_have_attribute("aria-keyshortcuts", "1")
    keys.press("1")  # the assignee list starts at me: taking it
    expect(page.locator("#state")).to_have_text("open")
    expect(page.locator("#assignee")).to_have_text("Alma Agent")
    focused_on_next_action(page)

    # "n" and "r" typed in the reply do not jump anywhere.
    reply_and_wait_on_the_customer(page, "Thanks, we are on it. Is the printer still smoking?")
    with app.app_context():
        req = db.session.get(Requirement, req_id)
        assert (req.state, req.assignee_id) == ("waiting_on_customer", agent.id)


def test_find_a_customer_open_a_requirement_reply_and_wait_from_the_keyboard(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    """The whole chain with keys only: "/" finds the customer, "g n" opens a requirement for
    them (assigned to me), Enter saves it, "r" and Ctrl+Enter reply, a trigger key waits."""
    agent = make_user(Role.AGENT, name="Alma Agent")
    customer_id = make_customer(app, name="José Núñez", emails="jose@example.com")
    sign_in(page, live_server, agent)
    keys = page.keyboard

    keys.press("/")
    box = page.get_by_role("combobox", name="Global search")
    expect(box).to_be_focused()
    box.press_sequentially("nunez")
    expect(
        page.locator("#global-search-list").get_by_role("option", name="José Núñez")
    ).to_be_visible()
    box.press("ArrowDown")
    box.press("Enter")
    expect(page).to_have_url(f"{live_server}/customers/{customer_id}")
    page.wait_for_load_state("load")

    keys.press("g")
    keys.press("n")
    title = page.get_by_label("Title")
    expect(title).to_be_focused()  # the form's first field
    keys.type("Invoice missing")
    keys.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"#\d+ Invoice missing"))).to_be_visible()
    page.wait_for_load_state("load")

    # The form's assignee starts at me: the requirement opens assigned to me.
    expect(page.locator("#state")).to_have_text("open")
    expect(page.locator("#assignee")).to_have_text("Alma Agent")
    reply_and_wait_on_the_customer(page, "We are looking into it. Which invoice number?")
    with app.app_context():
        [req] = db.session.scalars(
            select(Requirement).where(Requirement.customer_id == customer_id)
        ).all()
        assert (req.state, req.assignee_id) == ("waiting_on_customer", agent.id)


def test_the_shortcut_list_speaks_chinese_to_a_chinese_user(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    agent = make_user(Role.AGENT, name="张伟")
    customer_id = make_customer(app, name="王芳", emails="wf@example.cn")
    sign_in(page, live_server, agent)
    with app.app_context():  # after the sign-in (whose helper reads the English dashboard)
        db.session.get(User, agent.id).language = "zh_Hans"
        db.session.commit()
    page.goto(f"{live_server}/customers/{customer_id}")
    page.wait_for_load_state("load")  # the deferred keyboard.js has attached its handlers
    page.keyboard.press("?")
    overlay = page.locator("#keyboard-help")
    expect(overlay).to_be_visible()
    expect(overlay.locator("h2")).to_have_text("键盘快捷键")
    expect(overlay).to_contain_text("先按 g 再按 n")
    expect(overlay).to_contain_text("为此客户新建需求")
    text = overlay.inner_text()
    for english in ("Show or hide", "Team queue", "then", "Close", "New requirement"):
        assert english not in text
    page.keyboard.press("Escape")
