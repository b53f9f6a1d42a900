"""An admin sets up a calendar with a lunch break and an SLA policy with two ladder rungs in
Chromium: copying Monday's hours, adding rungs and choosing pause states by script."""

import os
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import Calendar, Role, SlaPolicy
from tests.browser.test_customers import sign_in
from web.extensions import db
from workflows.tracking import sla_policies

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("RAPPORT_SCREENSHOTS")  # a folder, to look at the pages


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_admin_sets_up_a_calendar_and_a_policy_with_a_ladder(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    sign_in(page, live_server, make_user(Role.ADMIN))
    page.get_by_text("Admin", exact=True).click()
    page.get_by_role("link", name="Business calendars").click()
    page.get_by_role("button", name="New calendar").click()
    page.get_by_label("Name", exact=True).fill("Berlin office")
    page.get_by_label("Monday, period 1, closes").fill("12:00")
    page.get_by_label("Monday, period 2, opens").fill("13:00")
    page.get_by_label("Monday, period 2, closes").fill("17:00")
    page.get_by_role("button", name="Copy Monday to Tuesday").click()
    expect(page.get_by_label("Friday, period 2, opens")).to_have_value("13:00")
    _shot(page, "calendar-form")
    page.get_by_role("button", name="Create calendar").click()
    expect(page.get_by_text("Calendar “Berlin office” created.")).to_be_visible()
    _shot(page, "calendar-saved")
    with app.app_context():
        calendar = db.session.scalars(select(Calendar)).one()
        assert len(calendar.periods) == 10

    page.goto(f"{live_server}/admin/sla-policies/new")
    page.get_by_label("Name", exact=True).fill("Standard")
    page.get_by_label("default first response target").fill("4h")
    page.get_by_label("default resolution target").fill("2d")
    page.get_by_label("Resolution: workflow default").uncheck()
    page.get_by_label("Resolution pauses in waiting on customer").check()
    expect(page.get_by_label("Next response pauses in waiting on customer")).to_be_disabled()
    page.get_by_role("button", name="Add a rung").click()
    first = page.locator("fieldset.rung").nth(0)
    expect(first.get_by_label("When")).to_be_focused()
    first.get_by_label("When").select_option("percent")
    first.get_by_label("Percent or delay").fill("90")
    page.get_by_role("button", name="Add a rung").click()
    second = page.locator("fieldset.rung").nth(1)
    expect(second.locator("legend").first).to_have_text("Rung 2")
    second.get_by_label("When").select_option("after_breach")
    second.get_by_label("Percent or delay").fill("30m")
    second.get_by_label("Team supervisors").check()
    second.get_by_label("Raise the priority").check()
    _shot(page, "policy-form")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_text("Policy “Standard” created: version 1.")).to_be_visible()
    _shot(page, "policy-saved")
    with app.app_context():
        saved = sla_policies.as_dict(db.session.scalars(select(SlaPolicy)).one())
    assert saved["pause_states"] == {"resolution": ["waiting_on_customer"]}
    assert [r["at"] for r in saved["ladder"]] == ["percent", "after_breach"]
    assert saved["ladder"][1]["actions"] == ["notify", "raise_priority"]
    assert saved["ladder"][1]["recipients"] == ["assignee", "team_supervisors"]

    page.goto(f"{live_server}/admin/sla-policies")
    _shot(page, "policy-list")
    page.goto(f"{live_server}/admin/sla-policies/{saved['id']}/apply")
    _shot(page, "policy-apply")
