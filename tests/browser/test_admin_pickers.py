"""An admin picks a team's members in Chromium from the filtered checkbox list: typing narrows
the names, ticks survive the filter, and Enter on a single match ticks it without submitting."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import Role, Team, TeamMembership, User
from tests.browser.test_customers import sign_in
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts

pytestmark = pytest.mark.browser


def test_admin_filters_and_ticks_team_members_from_the_keyboard(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    admin = make_user(Role.ADMIN, name="Ada Admin")
    ann = make_user(Role.AGENT, name="Ann Agent")
    jose = make_user(Role.AGENT, name="José Núñez")
    make_user(Role.AGENT, name="Bob Agent")
    with app.app_context():
        team = accounts.create_team(db.session, "Billing", clock=current_clock())
        accounts.set_team_members(db.session, team, [ann.id], [])
        db.session.commit()
        team_id = team.id

    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/admin/teams/{team_id}")
    members = page.locator("#members-picker")
    expect(members.get_by_label("Ann Agent (agent)")).to_be_checked()
    expect(members.locator("legend")).to_contain_text("1 chosen")

    # The filter folds accents; the other names hide, Ann's tick stays.
    search = members.get_by_label("Filter members")
    search.fill("jose")
    expect(members.get_by_label("Bob Agent (agent)")).to_be_hidden()
    expect(members.get_by_label("Ann Agent (agent)")).to_be_hidden()
    search.press("Enter")  # the one match is ticked; the form is not submitted
    expect(members.get_by_label("José Núñez (agent)")).to_be_checked()
    expect(members.locator("legend")).to_contain_text("2 chosen")

    search.fill("nobody")
    expect(members.get_by_text("No name matches.")).to_be_visible()
    search.fill("")
    expect(members.get_by_label("Ann Agent (agent)")).to_be_checked()

    # A plain click in the supervisors' list ticks one more, dropping nobody.
    page.locator("#supervisors-picker").get_by_label("Ann Agent (agent)").click()
    page.get_by_role("button", name="Save members").click()
    expect(page.get_by_text("Team Billing is saved.")).to_be_visible()
    with app.app_context():
        rows = db.session.execute(
            select(TeamMembership.user_id, TeamMembership.is_supervisor)
            .join(Team)
            .where(Team.id == team_id)
        ).all()
    assert dict(rows) == {ann.id: True, jose.id: False}


def test_time_zone_is_typed_with_suggestions_and_a_wrong_one_is_named(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    user = make_user(Role.AGENT, name="Tia Zone")
    sign_in(page, live_server, user)
    page.goto(f"{live_server}/account")
    zone = page.get_by_label("Time zone")
    # The suggestions are the browser's own, from the datalist the box points at.
    list_id = zone.get_attribute("list")
    assert list_id
    expect(page.locator(f"datalist#{list_id} option[value='America/Sao_Paulo']")).to_have_count(1)
    zone.fill("Europe/Atlantis")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("“Europe/Atlantis” is not a time zone")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Time zone").fill("America/Sao_Paulo")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_label("Time zone")).to_have_value("America/Sao_Paulo")
    expect(page.get_by_label("Time zone")).not_to_have_attribute("aria-invalid", "true")
    with app.app_context():
        assert db.session.get(User, user.id).time_zone == "America/Sao_Paulo"
