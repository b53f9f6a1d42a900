"""Finding and starting work from the keyboard: "/" focuses the header's search, arrows and
Enter open a hit; "New requirement" picks its customer by type-ahead."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Role
from tests.browser.test_customers import make_customer, sign_in

pytestmark = pytest.mark.browser


def test_slash_search_arrows_and_enter_open_a_customer_found_without_accents(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    jose = make_customer(app, name="José Núñez", emails="jose@example.com")
    make_customer(app, name="Karl Müller")
    sign_in(page, live_server, make_user(Role.AGENT))

    page.keyboard.press("/")
    box = page.get_by_role("combobox", name="Global search")
    expect(box).to_be_focused()
    box.press_sequentially("nunez")

    listbox = page.locator("#global-search-list")
    expect(listbox.get_by_role("option", name="José Núñez")).to_be_visible()
    expect(listbox.get_by_text("Customers", exact=True)).to_be_visible()
    expect(listbox.get_by_role("option", name="Karl Müller")).to_have_count(0)
    box.press("ArrowDown")
    expect(listbox.get_by_role("option", name="José Núñez")).to_have_attribute(
        "aria-selected", "true"
    )
    box.press("Enter")
    expect(page).to_have_url(f"{live_server}/customers/{jose}")


def test_slash_types_normally_inside_a_field(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    sign_in(page, live_server, make_user(Role.AGENT))
    page.goto(f"{live_server}/organisations/")
    field = page.get_by_label("Search organisations")
    field.press_sequentially("a/b")
    expect(field).to_have_value("a/b")
    expect(page.get_by_role("combobox", name="Global search")).not_to_be_focused()


def test_enter_without_a_choice_opens_the_full_results_page(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    make_customer(app, name="Eva Ångström")
    sign_in(page, live_server, make_user(Role.AGENT))
    box = page.get_by_role("combobox", name="Global search")
    box.fill("angstrom")
    box.press("Enter")
    expect(page.get_by_role("heading", name="Search")).to_be_visible()
    expect(
        page.locator("#results-customers").get_by_role("link", name="Eva Ångström")
    ).to_be_visible()


def test_new_requirement_from_the_header_picks_the_customer_by_type_ahead(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    ana = make_customer(app, name="Ana Lima", emails="ana@example.com")
    sign_in(page, live_server, make_user(Role.AGENT))
    page.locator("#nav-new-requirement").click()
    picker = page.get_by_role("combobox", name="Customer")
    expect(picker).to_be_focused()
    page.wait_for_load_state("load")  # the deferred picker script listens before we type
    picker.press_sequentially("ana@ex")
    expect(
        page.locator("#customer-picker-list").get_by_role("option", name="Ana Lima")
    ).to_be_visible()
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(page).to_have_url(f"{live_server}/customers/{ana}/requirements/new")
    expect(page.get_by_role("link", name="Ana Lima")).to_be_visible()
