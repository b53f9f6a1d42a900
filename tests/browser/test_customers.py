"""An agent's day on the customer pages, in Chromium: find, log a call, edit in two tabs."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Customer, Role, User
from tests.conftest import PASSWORD
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import communications, profiles

pytestmark = pytest.mark.browser


def make_customer(app: Flask, **data: Any) -> int:
    with app.app_context():
        customer = profiles.create_customer(db.session, data, actor_id=None, clock=current_clock())
        db.session.commit()
        return customer.id


def sign_in(page: Page, live_server: str, user: User) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    # The heading shows while the deferred scripts still run; a key pressed before they have
    # attached their handlers would be lost (seen in CI: "/" did not focus the search).
    page.wait_for_load_state("load")


def test_finds_a_customer_by_a_phone_fragment_typed_with_spaces(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    make_customer(app, name="Ana Lima", phones="+49 151 2345 6789")
    make_customer(app, name="Bruno Costa", phones="+351 912 345 678")
    sign_in(page, live_server, make_user(Role.AGENT))
    page.get_by_role("link", name="Customers", exact=True).click()
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Bruno Costa")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Search customers").press_sequentially("151 234")

    expect(results.get_by_role("link", name="Ana Lima")).to_be_visible()
    expect(results.get_by_role("link", name="Bruno Costa")).to_have_count(0)
    expect(results.locator("mark").first).to_be_visible()
    assert page.evaluate("window.notReloaded") is True  # the results came by fetch
    expect(page).to_have_url(f"{live_server}/customers?q=151+234")  # a link to share or reload


def test_logs_a_call_in_under_five_keystrokes_and_sees_it_on_top(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    customer_id = make_customer(app, name="Ana Lima")
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        communications.log_communication(
            db.session,
            customer,
            {"channel": "note", "body": "An older note", "occurred_at": "2025-01-01T10:00"},
            actor_id=None,
            clock=current_clock(),
        )
        db.session.commit()
    sign_in(page, live_server, make_user(Role.AGENT, name="Alma Agent"))
    page.goto(f"{live_server}/customers/{customer_id}")
    page.get_by_label("Note").check()  # the form opened on another channel

    keystrokes = 0
    page.keyboard.press("c")  # picks "call" and puts the cursor in the body
    keystrokes += 1
    expect(page.get_by_label("Call")).to_be_checked()
    expect(page.get_by_label("What was said")).to_be_focused()
    page.keyboard.insert_text("Asked about the March invoice")  # the note itself
    page.keyboard.press("Control+Enter")
    keystrokes += 1
    assert keystrokes < 5

    first = page.locator("#timeline ol.timeline > li").first
    expect(first).to_contain_text("Call")
    expect(first).to_contain_text("Asked about the March invoice")
    expect(first).to_contain_text("Alma Agent")
    expect(page.locator("#timeline")).to_contain_text("An older note")


def test_second_tab_save_on_other_fields_keeps_both_changes(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    # The same field in both tabs (a conflict, side by side): test_safe_actions.py.
    customer_id = make_customer(app, name="Ana Lima", city="Porto")
    sign_in(page, live_server, make_user(Role.AGENT))
    edit_url = f"{live_server}/customers/{customer_id}/edit"
    page.goto(edit_url)
    other = page.context.new_page()
    other.goto(edit_url)

    page.get_by_label("Name").fill("Ana Lima-Souza")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Ana Lima-Souza")).to_be_visible()

    other.get_by_label("City").fill("Lisbon")
    other.get_by_role("button", name="Save").click()
    expect(other.locator("#conflict")).to_have_count(0)
    expect(other.get_by_role("heading", name="Ana Lima-Souza")).to_be_visible()
    expect(other.locator("#profile")).to_contain_text("Lisbon")


def test_typing_cn_as_the_country_puts_the_address_in_chinese_order(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    sign_in(page, live_server, make_user(Role.AGENT))
    page.goto(f"{live_server}/customers/new")
    parts = page.locator("#address .address-parts > [data-part]")
    western = ["address_line", "district", "postal_code", "city", "region", "country"]
    expect(parts).to_have_count(6)
    assert [parts.nth(i).get_attribute("data-part") for i in range(6)] == western
    page.get_by_label("Name").fill("王芳")
    page.get_by_label("City").fill("深圳市")
    page.get_by_label("Country").fill("cn")
    chinese = ["country", "region", "city", "district", "address_line", "postal_code"]
    expect(page.locator("#address")).to_have_attribute("data-layout", "cn")
    assert [parts.nth(i).get_attribute("data-part") for i in range(6)] == chinese
    expect(page.get_by_label("City")).to_have_value("深圳市")  # moved, not emptied
    page.get_by_label("Region / province").fill("广东省")
    page.get_by_label("District").fill("南山区")
    page.get_by_label("Street and number").fill("科技园路1号")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("广东省 深圳市 南山区 科技园路1号")
    page.get_by_role("button", name="Edit", exact=True).first.click()
    page.get_by_label("Country").fill("DE")
    expect(page.locator("#address")).to_have_attribute("data-layout", "western")
    assert [parts.nth(i).get_attribute("data-part") for i in range(6)] == western
