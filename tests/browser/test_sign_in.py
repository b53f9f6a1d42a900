"""A person signs in with the keyboard and lands on the dashboard."""

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import OutboxMessage, Role
from tests.conftest import PASSWORD
from web.extensions import db

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


def test_admin_invites_a_user_who_chooses_a_password_from_the_link(
    page: Page, live_server: str, app: Flask, make_user: Any
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
    expect(page.get_by_text("an invitation is on its way to new.agent@example.com")).to_be_visible()
    expect(page.locator("#generated-password")).to_have_count(0)  # no password is shown

    # The email's link (read from the outbox row; the worker's delivery has its own test).
    with app.app_context():
        body = db.session.scalars(
            select(OutboxMessage.body_text).where(OutboxMessage.cause == "invitation")
        ).one()
    link = re.search(r"/invitation/\S+", body)
    assert link
    page.context.clear_cookies()  # the newcomer, on their own device
    page.goto(f"{live_server}{link.group(0)}")
    expect(page.get_by_role("heading", name="Welcome, New Agent")).to_be_visible()
    page.get_by_label("Choose a password").fill("a long passphrase")
    page.get_by_label("Repeat it").fill("a long passphrase")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your password is set.")).to_be_visible()
    page.get_by_label("Email").fill("new.agent@example.com")
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
