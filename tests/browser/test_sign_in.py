"""A person signs in with the keyboard and lands on the dashboard."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_signs_in_and_sees_the_dashboard(page: Page, live_server: str, make_user: Any) -> None:
    user = make_user(Role.SUPERVISOR, name="Grace Supervisor", time_zone="Asia/Tokyo")
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/login?next=%2F")

    # Keyboard only: the email field has focus, Tab moves on, Enter submits.
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Welcome back, Grace Supervisor.")).to_be_visible()
    expect(page.get_by_text("your time zone is Asia/Tokyo")).to_be_visible()
    expect(page.get_by_role("link", name="Users")).to_have_count(0)  # not an admin


def test_wrong_password_shows_the_message_at_the_field(
    page: Page, live_server: str, make_user: Any
) -> None:
    user = make_user()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not it at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".field-error")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")


def test_admin_creates_a_user_and_sees_the_password_once(
    page: Page, live_server: str, make_user: Any
) -> None:
    admin = make_user(Role.ADMIN)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("summary", has_text="Admin").click()  # the admin menu opens
    page.get_by_role("link", name="Users", exact=True).click()
    expect(page).to_have_url(f"{live_server}/admin/users")
    page.get_by_role("button", name="New user").click()
    expect(page).to_have_url(f"{live_server}/admin/users/new")
    page.get_by_label("Email").fill("new.agent@example.com")
    page.get_by_label("Name").fill("New Agent")
    page.get_by_label("Time zone").fill("America/New_York")  # typed, with suggestions
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="Created New Agent")).to_be_visible()
    assert len(page.locator("#generated-password").inner_text().strip()) >= 12
